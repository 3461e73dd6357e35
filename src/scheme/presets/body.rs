//! Providers that sign the body alone, with no timestamp: Bitbucket,
//! Intercom, Coinbase Commerce, Lemon Squeezy, PagerDuty, Typeform,
//! WooCommerce, Heroku and Sentry. Nothing bounds a delivery's age, so the replay
//! records (kept as long as each provider retries) are the only defence
//! against a captured delivery.

use http::HeaderName;

use super::{lenient, preset, DAY};
use crate::scheme::{
    Algorithm, Encoding, JsonPointer, KeyFormat, Method, OnInvalid, Part, ReplayBasis, Scheme,
    SchemeBuilder, SignatureFormat,
};

/// `X-Hub-Signature`: Bitbucket's `sha256=<hex>`, Intercom's `sha1=<hex>`.
pub const HUB_SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature");
/// `X-Event-Key`: Bitbucket's event name, **not** signed.
pub const BITBUCKET_EVENT: HeaderName = HeaderName::from_static("x-event-key");
/// `X-CC-Webhook-Signature`: Coinbase Commerce's hex HMAC-SHA256 of the body.
pub const COINBASE_COMMERCE_SIGNATURE: HeaderName =
    HeaderName::from_static("x-cc-webhook-signature");
/// `X-Signature`: Lemon Squeezy's hex HMAC-SHA256 of the body.
pub const LEMON_SQUEEZY_SIGNATURE: HeaderName = HeaderName::from_static("x-signature");
/// `X-Event-Name`: Lemon Squeezy's event name, **not** signed.
pub const LEMON_SQUEEZY_EVENT: HeaderName = HeaderName::from_static("x-event-name");
/// `X-PagerDuty-Signature`: `v1=<hex>` entries, comma-separated.
pub const PAGERDUTY_SIGNATURE: HeaderName = HeaderName::from_static("x-pagerduty-signature");
/// `Typeform-Signature`: `sha256=<base64>`.
pub const TYPEFORM_SIGNATURE: HeaderName = HeaderName::from_static("typeform-signature");
/// `X-WC-Webhook-Signature`: WooCommerce's base64 HMAC-SHA256 of the body.
pub const WOOCOMMERCE_SIGNATURE: HeaderName = HeaderName::from_static("x-wc-webhook-signature");
/// `X-WC-Webhook-Topic`: WooCommerce's topic, **not** signed.
pub const WOOCOMMERCE_TOPIC: HeaderName = HeaderName::from_static("x-wc-webhook-topic");
/// `Heroku-Webhook-Hmac-SHA256`: Heroku's base64 HMAC-SHA256 of the body.
pub const HEROKU_SIGNATURE: HeaderName = HeaderName::from_static("heroku-webhook-hmac-sha256");

/// `Sentry-Hook-Signature`: Sentry's hex HMAC-SHA256 of the body.
pub const SENTRY_SIGNATURE: HeaderName = HeaderName::from_static("sentry-hook-signature");
/// `Sentry-Hook-Resource`: what the event is about, **not** signed.
pub const SENTRY_RESOURCE: HeaderName = HeaderName::from_static("sentry-hook-resource");

/// A scheme named `name` that signs the body alone, its signature in
/// `header` written as `format`.
fn body_only(name: &'static str, header: HeaderName, format: SignatureFormat) -> SchemeBuilder {
    Scheme::builder(name)
        .signature_header(header)
        .signature_format(format)
        .message([Part::Body])
}

/// The field of the signed body a re-signed retry shares.
fn field(pointer: &'static str) -> ReplayBasis {
    ReplayBasis::JsonPointer(JsonPointer::from_static(pointer))
}

impl Scheme {
    /// Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`, HMAC-SHA256 of the
    /// body with the webhook's secret
    /// (<https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/>).
    /// GitHub's header name (GitHub puts SHA-1 in it), with SHA-256 values.
    /// A value that is not hex, or another prefix, is malformed; hex of
    /// the wrong length does not match. `X-Event-Key` (unsigned) is passed
    /// on. No official library: the cases are the documented rule.
    ///
    /// **Retries and replay key**: after a 5xx or a timeout Bitbucket tries
    /// at most twice more, at once, with the same body. The key is the body
    /// and records live a day.
    pub fn bitbucket() -> Self {
        preset(
            body_only(
                "bitbucket",
                HUB_SIGNATURE,
                SignatureFormat::labeled(b'=', "").on_wrong_length(OnInvalid::NoMatch),
            )
            .method(Method::hmac_sha256("sha256"))
            .event_header(BITBUCKET_EVENT)
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// Intercom: `X-Hub-Signature: sha1=<hex>`, **HMAC-SHA1** of the body
    /// with the app's client secret
    /// (<https://developers.intercom.com/docs/webhooks/setting-up-webhooks>).
    /// Entry rules as [`Scheme::bitbucket`]'s. No official library.
    ///
    /// **Retries and replay key**: Intercom does not publish its schedule;
    /// a notification's body carries its delivery counters, so a retry is
    /// re-signed and differs. The key is the notification's `/id`
    /// (`notif_…`), and records live 3 days.
    pub fn intercom() -> Self {
        preset(
            body_only(
                "intercom",
                HUB_SIGNATURE,
                SignatureFormat::labeled(b'=', "").on_wrong_length(OnInvalid::NoMatch),
            )
            .method(Method::new("sha1", Algorithm::HmacSha1, KeyFormat::Raw))
            .replay_basis(field("/id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Coinbase Commerce: `X-CC-Webhook-Signature: <hex>`, HMAC-SHA256 of
    /// the body with the endpoint's shared secret (coinbase-commerce-node
    /// and -python `Webhook.verifySigHeader`). A value that is not 64 hex
    /// digits does not match (the libraries compare text).
    ///
    /// **Retries and replay key**: retried with exponential backoff for up
    /// to 3 days; each attempt's body carries its attempt number, so it is
    /// re-signed. The key is the event's `/event/id`; records live 3 days.
    pub fn coinbase_commerce() -> Self {
        preset(
            body_only(
                "coinbase-commerce",
                COINBASE_COMMERCE_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/event/id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Lemon Squeezy: `X-Signature: <hex>`, HMAC-SHA256 of the body with
    /// the webhook's signing secret
    /// (<https://docs.lemonsqueezy.com/help/webhooks/signing-requests>).
    /// A value that is not 64 hex digits does not match. `X-Event-Name`
    /// (unsigned) is passed on.
    ///
    /// **Retries and replay key**: three retries with exponential backoff
    /// (5 s, 25 s, 125 s), the same body. The key is the body; records
    /// live a day.
    pub fn lemon_squeezy() -> Self {
        preset(
            body_only(
                "lemon-squeezy",
                LEMON_SQUEEZY_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .event_header(LEMON_SQUEEZY_EVENT)
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`,
    /// HMAC-SHA256 of the body, one entry per active secret while secrets
    /// rotate (PagerDuty developer docs, go-pagerduty `webhookv3`). Any
    /// entry may match; entries are split on commas alone (`, v1=` is an
    /// unknown label, as in go-pagerduty); a `v1` value that does not
    /// decode just fails to match (go-pagerduty skips it too).
    ///
    /// **Retries and replay key**: retried for up to 48 hours with the same
    /// body (the unsigned `X-Webhook-Id` repeats, but never feeds a key). The
    /// key is the event's `/event/id`; records live 3 days.
    pub fn pagerduty() -> Self {
        preset(
            body_only(
                "pagerduty",
                PAGERDUTY_SIGNATURE,
                lenient(SignatureFormat::labeled(b'=', ",")),
            )
            .method(Method::hmac_sha256("v1"))
            .replay_basis(field("/event/id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Typeform: `Typeform-Signature: sha256=<base64>`, HMAC-SHA256 of the
    /// body with the webhook's secret
    /// (<https://www.typeform.com/developers/webhooks/secure-your-webhooks/>).
    /// Another prefix is malformed; a value that does not decode does not
    /// match.
    ///
    /// **Retries and replay key**: retried for up to about 10 hours with
    /// the same body. The key is the body's `/event_id`; records live a
    /// day.
    pub fn typeform() -> Self {
        preset(
            body_only(
                "typeform",
                TYPEFORM_SIGNATURE,
                SignatureFormat::labeled(b'=', "")
                    .encoding(Encoding::Base64)
                    .on_undecodable(OnInvalid::NoMatch)
                    .on_wrong_length(OnInvalid::NoMatch),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/event_id"))
            .replay_record_ttl(DAY),
        )
    }

    /// WooCommerce: `X-WC-Webhook-Signature: <base64>`, HMAC-SHA256 of the
    /// body (`WC_Webhook::generate_signature`). WooCommerce keys it with
    /// the secret after decoding HTML entities (`&amp;` → `&`): give
    /// hookwarden the secret as you typed it. `X-WC-Webhook-Topic`
    /// (unsigned) is passed on.
    ///
    /// **Retries and replay key**: none (a webhook is disabled after
    /// repeated failures). The key is the body; records live a day.
    pub fn woocommerce() -> Self {
        preset(
            body_only(
                "woocommerce",
                WOOCOMMERCE_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .event_header(WOOCOMMERCE_TOPIC)
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// Heroku app webhooks: `Heroku-Webhook-Hmac-SHA256: <base64>`,
    /// HMAC-SHA256 of the body with the subscription's secret
    /// (<https://devcenter.heroku.com/articles/app-webhooks#securing-webhook-requests>).
    ///
    /// **Retries and replay key**: `sync` webhooks are retried for up to 72
    /// hours; each attempt's body names the attempt, so it is re-signed.
    /// The key is the delivery's `/webhook_metadata/delivery/id`; records
    /// live 3 days.
    pub fn heroku() -> Self {
        preset(
            body_only(
                "heroku",
                HEROKU_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/webhook_metadata/delivery/id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Sentry integration platform: `Sentry-Hook-Signature: <hex>`,
    /// HMAC-SHA256 of the body as sent, keyed with the integration's client
    /// secret as text (getsentry/sentry `AppPlatformEvent`; its
    /// documentation's sample hashes the body re-serialized, which refuses
    /// real bodies holding `\u` escapes: hookwarden signs the raw bytes, as
    /// Sentry does). `Sentry-Hook-Timestamp` is **not signed**, so it is not
    /// read: a check of it would stop nothing. `Sentry-Hook-Resource`
    /// (unsigned) is passed on as the event type.
    ///
    /// **Retries and replay key**: at most 3 retries, 5 minutes apart, with
    /// the same body and signature. The key is the body; records live a day.
    pub fn sentry() -> Self {
        preset(
            body_only(
                "sentry",
                SENTRY_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .event_header(SENTRY_RESOURCE)
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }
}
