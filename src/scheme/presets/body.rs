//! Providers that sign the body alone, with no timestamp: Bitbucket,
//! Intercom, Coinbase Commerce, Lemon Squeezy, PagerDuty, Typeform,
//! WooCommerce, Heroku, Sentry, Vercel, Xero, Dropbox, CircleCI, Meta,
//! X (Twitter), HCP Terraform, LaunchDarkly, Alchemy, Modern Treasury,
//! AfterShip, Castle, Chargify, Worldline, Webex and Bolt. Nothing bounds a delivery's age, so the replay
//! records (kept as long as each provider retries) are the only defence
//! against a captured delivery.

use http::HeaderName;

use super::{lenient, preset, DAY, GITHUB_SIGNATURE};
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
/// `X-Signature`: Lemon Squeezy's and Modern Treasury's hex HMAC-SHA256 of the body.
pub const X_SIGNATURE: HeaderName = HeaderName::from_static("x-signature");
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

/// `x-vercel-signature`: Vercel's hex HMAC-SHA1 of the body.
pub const VERCEL_SIGNATURE: HeaderName = HeaderName::from_static("x-vercel-signature");
/// `x-xero-signature`: Xero's base64 HMAC-SHA256 of the body.
pub const XERO_SIGNATURE: HeaderName = HeaderName::from_static("x-xero-signature");
/// `X-Dropbox-Signature`: Dropbox's hex HMAC-SHA256 of the body.
pub const DROPBOX_SIGNATURE: HeaderName = HeaderName::from_static("x-dropbox-signature");
/// `circleci-signature`: `v1=<hex>` entries.
pub const CIRCLECI_SIGNATURE: HeaderName = HeaderName::from_static("circleci-signature");
/// `x-twitter-webhooks-signature`: X's `sha256=<base64>`.
pub const TWITTER_SIGNATURE: HeaderName = HeaderName::from_static("x-twitter-webhooks-signature");

/// `X-TFE-Notification-Signature`: HCP Terraform's hex HMAC-SHA512 of the body.
pub const TERRAFORM_SIGNATURE: HeaderName = HeaderName::from_static("x-tfe-notification-signature");
/// `X-LD-Signature`: LaunchDarkly's hex HMAC-SHA256 of the body.
pub const LAUNCHDARKLY_SIGNATURE: HeaderName = HeaderName::from_static("x-ld-signature");
/// `X-Alchemy-Signature`: Alchemy's hex HMAC-SHA256 of the body.
pub const ALCHEMY_SIGNATURE: HeaderName = HeaderName::from_static("x-alchemy-signature");

/// `aftership-hmac-sha256`: AfterShip Tracking's base64 HMAC-SHA256 of the body.
pub const AFTERSHIP_SIGNATURE: HeaderName = HeaderName::from_static("aftership-hmac-sha256");
/// `X-Castle-Signature`: Castle's base64 HMAC-SHA256 of the body.
pub const CASTLE_SIGNATURE: HeaderName = HeaderName::from_static("x-castle-signature");
/// `X-Chargify-Webhook-Signature-Hmac-Sha-256`: Chargify's hex HMAC-SHA256 of the body.
pub const CHARGIFY_SIGNATURE: HeaderName =
    HeaderName::from_static("x-chargify-webhook-signature-hmac-sha-256");
/// `X-GCS-Signature`: Worldline Connect's base64 HMAC-SHA256 of the body.
pub const WORLDLINE_SIGNATURE: HeaderName = HeaderName::from_static("x-gcs-signature");
/// `X-Spark-Signature`: Webex's hex HMAC-SHA1 of the body.
pub const WEBEX_SIGNATURE: HeaderName = HeaderName::from_static("x-spark-signature");
/// `X-Bolt-Hmac-Sha256`: Bolt's base64 HMAC-SHA256 of the body.
pub const BOLT_SIGNATURE: HeaderName = HeaderName::from_static("x-bolt-hmac-sha256");

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
                X_SIGNATURE,
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

    /// Vercel: `x-vercel-signature: <hex>`, **HMAC-SHA1** of the body with
    /// the webhook's secret (an integration's client secret for integration
    /// webhooks) (<https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks>).
    /// No official library; the cases are the documented rule.
    ///
    /// **Retries and replay key**: Vercel publishes no schedule. The key is
    /// the event's `/id`; records live a day.
    pub fn vercel() -> Self {
        preset(
            body_only(
                "vercel",
                VERCEL_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::new("sha1", Algorithm::HmacSha1, KeyFormat::Raw))
            .replay_basis(field("/id"))
            .replay_record_ttl(DAY),
        )
    }

    /// Xero: `x-xero-signature: <base64>`, HMAC-SHA256 of the body with the
    /// webhook key **as text** (it looks like base64 and is not decoded)
    /// (<https://developer.xero.com/documentation/guides/webhooks/configuring-your-server>,
    /// XeroAPI/XeroWebhooksReceiver). Xero's intent-to-receive check sends
    /// correctly and incorrectly signed deliveries and expects 200 and 401:
    /// the verifier's answers, as for any delivery.
    ///
    /// **Retries and replay key**: retried with decreasing frequency for up
    /// to 24 hours, the same body. The key is the body; records live 2 days.
    pub fn xero() -> Self {
        preset(
            body_only(
                "xero",
                XERO_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(2 * DAY),
        )
    }

    /// Dropbox: `X-Dropbox-Signature: <hex>`, HMAC-SHA256 of the body with
    /// the app secret (<https://www.dropbox.com/developers/reference/webhooks>,
    /// dropbox/mdwebhook). The endpoint's `GET ?challenge=` verification is
    /// not signed.
    ///
    /// **Retries and replay key**: notifications name accounts that
    /// changed, not changes, and are retried with the same body. The key is
    /// the body; records live a day.
    pub fn dropbox() -> Self {
        preset(
            body_only(
                "dropbox",
                DROPBOX_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// CircleCI: `circleci-signature: v1=<hex>[,v2=…]`, HMAC-SHA256 of the
    /// body with the webhook's secret
    /// (<https://circleci.com/docs/webhooks/#validate-webhooks>). Only `v1`
    /// entries are read (as CircleCI asks, against downgrades); entries are
    /// split on commas alone; a `v1` value that does not decode fails to
    /// match.
    ///
    /// **Retries and replay key**: retried later, schedule undocumented;
    /// CircleCI names the event's `/id` as the key to deduplicate on.
    /// Records live a day.
    pub fn circleci() -> Self {
        preset(
            body_only(
                "circleci",
                CIRCLECI_SIGNATURE,
                lenient(SignatureFormat::labeled(b'=', ",")),
            )
            .method(Method::hmac_sha256("v1"))
            .replay_basis(field("/id"))
            .replay_record_ttl(DAY),
        )
    }

    /// Meta (Facebook, Instagram, WhatsApp Graph API webhooks):
    /// `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the body (as
    /// sent, with its Unicode escapes) with the app secret
    /// (<https://developers.facebook.com/docs/graph-api/webhooks/getting-started>).
    /// GitHub's header and entry rules; the legacy SHA-1 `X-Hub-Signature`
    /// is never read (Meta's own sample checks only that one). The `GET`
    /// subscription check (`hub.verify_token`, `hub.challenge`) is not
    /// signed.
    ///
    /// **Retries and replay key**: a failed batch is retried with
    /// decreasing frequency for up to 36 hours, the same body. The key is
    /// the body; records live 2 days.
    pub fn meta() -> Self {
        preset(
            body_only(
                "meta",
                GITHUB_SIGNATURE,
                SignatureFormat::labeled(b'=', "").on_wrong_length(OnInvalid::NoMatch),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(2 * DAY),
        )
    }

    /// X (Twitter) Account Activity API: `x-twitter-webhooks-signature:
    /// sha256=<base64>`, HMAC-SHA256 of the body with the app's consumer
    /// secret (twitterdev/autohook). **Its CRC `GET` is never answered**:
    /// it is unsigned and its reply is the same MAC of a token the caller
    /// chooses, so a receiver that answers it signs any body for anyone
    /// (answer it yourself only if you must, and know that).
    ///
    /// **Retries and replay key**: X's retries are not documented for all
    /// tiers. The key is the body; records live a day.
    pub fn twitter() -> Self {
        preset(
            body_only(
                "twitter",
                TWITTER_SIGNATURE,
                SignatureFormat::labeled(b'=', "")
                    .encoding(Encoding::Base64)
                    .on_undecodable(OnInvalid::NoMatch)
                    .on_wrong_length(OnInvalid::NoMatch),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// HCP Terraform (Terraform Cloud, Terraform Enterprise) notifications:
    /// `X-TFE-Notification-Signature: <hex>`, **HMAC-SHA512** of the body
    /// with the notification's token
    /// (<https://developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations#notification-authenticity>).
    /// A configuration without a token sends the header empty: it counts as
    /// missing.
    ///
    /// **Retries and replay key**: none documented (a notification is sent
    /// once). The key is the body; records live a day.
    pub fn terraform() -> Self {
        preset(
            body_only(
                "terraform",
                TERRAFORM_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::new("sha512", Algorithm::HmacSha512, KeyFormat::Raw))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(DAY),
        )
    }

    /// LaunchDarkly: `X-LD-Signature: <hex>`, HMAC-SHA256 of the body with
    /// the webhook's secret
    /// (<https://launchdarkly.com/docs/home/infrastructure/webhooks#sign-a-webhook>).
    ///
    /// **Retries and replay key**: one retry after a non-2xx answer, the
    /// same body. The key is the audit-log entry's `/_id`; records live a
    /// day.
    pub fn launchdarkly() -> Self {
        preset(
            body_only(
                "launchdarkly",
                LAUNCHDARKLY_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/_id"))
            .replay_record_ttl(DAY),
        )
    }

    /// Alchemy Notify: `X-Alchemy-Signature: <hex>`, HMAC-SHA256 of the
    /// body keyed with the webhook's signing key **as text**, its `whsec_`
    /// prefix included (alchemyplatform/webhook-examples; not decoded as
    /// Svix's are).
    ///
    /// **Retries and replay key**: Alchemy publishes no schedule. The key is
    /// the event's `/id`; records live a day.
    pub fn alchemy() -> Self {
        preset(
            body_only(
                "alchemy",
                ALCHEMY_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/id"))
            .replay_record_ttl(DAY),
        )
    }

    /// Modern Treasury: `X-Signature: <hex>`, HMAC-SHA256 of the body with
    /// the webhook key (modern-treasury-node and -python
    /// `webhooks.validateSignature`). `X-Webhook-ID` repeats on retries
    /// but is not signed, so it never feeds a key.
    ///
    /// **Retries and replay key**: retried, schedule unpublished, the same
    /// body. The key is the body; records live 3 days.
    pub fn modern_treasury() -> Self {
        preset(
            body_only(
                "modern-treasury",
                X_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(3 * DAY),
        )
    }

    /// AfterShip Tracking: `aftership-hmac-sha256: <base64>`, HMAC-SHA256
    /// of the body with the webhook secret
    /// (<https://www.aftership.com/docs/tracking/webhook/webhook-signature>).
    /// AfterShip's other products sign under other names
    /// (`as-signature-hmac-sha256`): describe them with `Scheme::builder`.
    ///
    /// **Retries and replay key**: up to 14 attempts over about 68 hours.
    /// The key is the event's `/event_id`; records live 3 days.
    pub fn aftership() -> Self {
        preset(
            body_only(
                "aftership",
                AFTERSHIP_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/event_id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Castle: `X-Castle-Signature: <base64>`, HMAC-SHA256 of the body with
    /// the API secret (castle-python and castle-node webhook verification).
    ///
    /// **Retries and replay key**: undocumented; a retry is the same body.
    /// The key is the body; records live 3 days.
    pub fn castle() -> Self {
        preset(
            body_only(
                "castle",
                CASTLE_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Chargify (Maxio Advanced Billing):
    /// `X-Chargify-Webhook-Signature-Hmac-Sha-256: <hex>`, HMAC-SHA256 of the
    /// (form-encoded) body with the site's shared key (Chargify's webhook
    /// documentation, whose worked example reproduces). The legacy MD5
    /// `X-Chargify-Webhook-Signature` is never read.
    ///
    /// **Retries and replay key**: retried while an endpoint fails, for up
    /// to about 48 hours; the body starts with the webhook's own `id=`. The
    /// key is the body; records live 3 days.
    pub fn chargify() -> Self {
        preset(
            body_only(
                "chargify",
                CHARGIFY_SIGNATURE,
                lenient(SignatureFormat::bare("")),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Worldline Connect (Ingenico ePayments): `X-GCS-Signature: <base64>`,
    /// HMAC-SHA256 of the body with the webhook secret
    /// (connect-sdk-python3 and connect-sdk-nodejs `WebhooksHelper`). The
    /// SDKs pick the secret `X-GCS-KeyId` names; hookwarden tries each
    /// configured secret (any of yours may match) and does not read the key
    /// id.
    ///
    /// **Retries and replay key**: undocumented. The key is the event's
    /// `/id`; records live 3 days.
    pub fn worldline() -> Self {
        preset(
            body_only(
                "worldline",
                WORLDLINE_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(field("/id"))
            .replay_record_ttl(3 * DAY),
        )
    }

    /// Webex: `X-Spark-Signature: <hex>`, **HMAC-SHA1** of the body with the
    /// webhook's secret (<https://developer.webex.com/docs/webhooks>).
    /// hookwarden signs the raw bytes; the bot framework's check hashes the
    /// body re-serialized.
    ///
    /// **Retries and replay key**: undocumented; no event id. The key is
    /// the body; records live a day.
    pub fn webex() -> Self {
        preset(
            body_only("webex", WEBEX_SIGNATURE, lenient(SignatureFormat::bare("")))
                .method(Method::new("sha1", Algorithm::HmacSha1, KeyFormat::Raw))
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(DAY),
        )
    }

    /// Bolt: `X-Bolt-Hmac-Sha256: <base64>`, HMAC-SHA256 of the body with
    /// the signing secret (BoltApp/bolt-magento2 `Helper/Hook`). hookwarden
    /// hashes the raw bytes, so Bolt's advice to escape Unicode first does
    /// not apply.
    ///
    /// **Retries and replay key**: retried with back-off, horizon
    /// undocumented; one transaction sends several hooks. The key is the
    /// body; records live 3 days.
    pub fn bolt() -> Self {
        preset(
            body_only(
                "bolt",
                BOLT_SIGNATURE,
                lenient(SignatureFormat::bare("").encoding(Encoding::Base64)),
            )
            .method(Method::hmac_sha256("sha256"))
            .replay_basis(ReplayBasis::Body)
            .replay_record_ttl(3 * DAY),
        )
    }
}
