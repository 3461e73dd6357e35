//! Providers that sign a timestamp with the body: Discord (Ed25519),
//! Paddle Billing, Mux,
//! Calendly, Buildkite, TikTok (a timestamp entry beside the signature), Zoom (a
//! timestamp header), Webflow (in milliseconds), Twitch and Zendesk (an
//! RFC 3339 timestamp header).

use std::time::Duration;

use http::HeaderName;

use super::{lenient, preset, timestamp_dot_body, DAY};
use crate::scheme::{
    Algorithm, Encoding, JsonPointer, KeyFormat, Method, OnInvalid, Part, ReplayBasis, Scheme,
    SchemeBuilder, SignatureFormat, TimestampFormat,
};
use crate::time::Tolerance;

/// `Paddle-Signature`: `ts=<unix>;h1=<hex>`.
pub const PADDLE_SIGNATURE: HeaderName = HeaderName::from_static("paddle-signature");
/// `Mux-Signature`: `t=<unix>,v1=<hex>`.
pub const MUX_SIGNATURE: HeaderName = HeaderName::from_static("mux-signature");
/// `Calendly-Webhook-Signature`: `t=<unix>,v1=<hex>`.
pub const CALENDLY_SIGNATURE: HeaderName = HeaderName::from_static("calendly-webhook-signature");
/// `X-Buildkite-Signature`: `timestamp=<unix>,signature=<hex>`.
pub const BUILDKITE_SIGNATURE: HeaderName = HeaderName::from_static("x-buildkite-signature");
/// `X-Buildkite-Event`: Buildkite's event name, **not** signed.
pub const BUILDKITE_EVENT: HeaderName = HeaderName::from_static("x-buildkite-event");
/// `x-zm-signature`: `v0=<hex>`.
pub const ZOOM_SIGNATURE: HeaderName = HeaderName::from_static("x-zm-signature");
/// `x-zm-request-timestamp`: unix seconds, signed.
pub const ZOOM_TIMESTAMP: HeaderName = HeaderName::from_static("x-zm-request-timestamp");

/// `Twitch-Eventsub-Message-Signature`: `sha256=<hex>`.
pub const TWITCH_SIGNATURE: HeaderName =
    HeaderName::from_static("twitch-eventsub-message-signature");
/// `Twitch-Eventsub-Message-Id`: the message id, signed, the same on every resend.
pub const TWITCH_MESSAGE_ID: HeaderName = HeaderName::from_static("twitch-eventsub-message-id");
/// `Twitch-Eventsub-Message-Timestamp`: an RFC 3339 date-time, signed.
pub const TWITCH_TIMESTAMP: HeaderName =
    HeaderName::from_static("twitch-eventsub-message-timestamp");
/// `Twitch-Eventsub-Message-Type`: `notification`, `webhook_callback_verification`
/// or `revocation`, **not** signed.
pub const TWITCH_MESSAGE_TYPE: HeaderName = HeaderName::from_static("twitch-eventsub-message-type");
/// `X-Zendesk-Webhook-Signature`: base64 HMAC-SHA256.
pub const ZENDESK_SIGNATURE: HeaderName = HeaderName::from_static("x-zendesk-webhook-signature");
/// `X-Zendesk-Webhook-Signature-Timestamp`: an RFC 3339 date-time, signed.
pub const ZENDESK_TIMESTAMP: HeaderName =
    HeaderName::from_static("x-zendesk-webhook-signature-timestamp");

/// `X-Signature-Ed25519`: Discord's hex Ed25519 signature.
pub const DISCORD_SIGNATURE: HeaderName = HeaderName::from_static("x-signature-ed25519");
/// `X-Signature-Timestamp`: unix seconds, signed.
pub const DISCORD_TIMESTAMP: HeaderName = HeaderName::from_static("x-signature-timestamp");
/// `TikTok-Signature`: `t=<unix>,s=<hex>`.
pub const TIKTOK_SIGNATURE: HeaderName = HeaderName::from_static("tiktok-signature");

/// `x-webflow-signature`: Webflow's hex HMAC-SHA256.
pub const WEBFLOW_SIGNATURE: HeaderName = HeaderName::from_static("x-webflow-signature");
/// `x-webflow-timestamp`: unix **milliseconds**, signed.
pub const WEBFLOW_TIMESTAMP: HeaderName = HeaderName::from_static("x-webflow-timestamp");

/// A scheme named `name` whose `header` holds a timestamp entry labelled
/// `timestamp` and HMAC-SHA256 entries labelled `label`, split on
/// `delimiters`; a value that does not decode just fails to match.
fn entries(
    name: &'static str,
    header: HeaderName,
    delimiters: &'static str,
    timestamp: &'static str,
    label: &'static str,
) -> SchemeBuilder {
    Scheme::builder(name)
        .signature_header(header)
        .signature_format(lenient(SignatureFormat::labeled(b'=', delimiters)))
        .method(Method::hmac_sha256(label))
        .timestamp_entry(timestamp)
}

impl Scheme {
    /// Paddle Billing (not Paddle Classic's RSA): `Paddle-Signature:
    /// ts=<unix>;h1=<hex>`, HMAC-SHA256 over `<ts>:<body>` with the
    /// notification destination's secret key as given, `pdl_ntfset_…`
    /// prefix included
    /// (<https://developer.paddle.com/webhooks/signature-verification>,
    /// PaddleHQ/paddle-node-sdk and paddle-python-sdk). Several `h1`
    /// entries may appear while a secret rotates; any may match. **5 s each
    /// way**, as Paddle's SDKs enforce and its documentation asks of
    /// manual checks (widen it with `VerifierBuilder::tolerance` if your
    /// clock drifts).
    ///
    /// **Retries and replay key**: live notifications are retried with
    /// exponential backoff for up to 3 days, each attempt re-signed with a
    /// new `ts`. The key is the body's `/notification_id` (`ntf_…`); records
    /// live 3 days.
    pub fn paddle() -> Self {
        let five = Some(Duration::from_secs(5));
        preset(
            entries("paddle", PADDLE_SIGNATURE, ";", "ts", "h1")
                .message([Part::Timestamp, Part::literal(&b":"[..]), Part::Body])
                .tolerance(Tolerance {
                    past: five,
                    future: five,
                })
                .replay_basis(ReplayBasis::JsonPointer(JsonPointer::from_static(
                    "/notification_id",
                )))
                .replay_record_ttl(3 * DAY),
        )
    }

    /// Mux: `Mux-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over
    /// `<t>.<body>` with the webhook's signing secret
    /// (<https://www.mux.com/docs/core/verify-webhook-signatures>,
    /// muxinc/mux-node-sdk). Unknown schemes (`v2=`) are ignored; any `v1`
    /// entry may match. 300 s each way (Mux's SDK never refuses a future
    /// timestamp).
    ///
    /// **Retries and replay key**: a retried event's body grows its
    /// `attempts` list, so each attempt is a new signed message. The key is
    /// the event's `/id`; records live 2 days.
    pub fn mux() -> Self {
        preset(
            entries("mux", MUX_SIGNATURE, ",", "t", "v1")
                .message(timestamp_dot_body())
                .replay_basis(ReplayBasis::JsonPointer(JsonPointer::from_static("/id")))
                .replay_record_ttl(2 * DAY),
        )
    }

    /// Calendly: `Calendly-Webhook-Signature: t=<unix>,v1=<hex>`,
    /// HMAC-SHA256 over `<t>.<body>` with the subscription's signing key
    /// (<https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures>).
    /// 180 s into the past (Calendly's sample), 300 s into the future. A
    /// subscription made with a personal access token may have no signing
    /// key, and then sends no signature: such deliveries are refused.
    ///
    /// **Retries and replay key**: retried with exponential backoff for 24
    /// hours, each attempt re-signed, the same body. The key is the body;
    /// records live 2 days.
    pub fn calendly() -> Self {
        preset(
            entries("calendly", CALENDLY_SIGNATURE, ",", "t", "v1")
                .message(timestamp_dot_body())
                .tolerance(Tolerance {
                    past: Some(Duration::from_secs(180)),
                    future: Some(Duration::from_secs(300)),
                })
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(2 * DAY),
        )
    }

    /// Buildkite: `X-Buildkite-Signature: timestamp=<unix>,signature=<hex>`,
    /// HMAC-SHA256 over `<timestamp>.<body>` with the webhook's token
    /// (<https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature>,
    /// buildkite/go-buildkite). 300 s each way, as Buildkite's documentation
    /// suggests. A `signature` value that is not hex makes the header
    /// malformed (go-buildkite decodes it). The plain-text `X-Buildkite-Token` (the other setting of a
    /// Buildkite webhook) is **never** accepted instead: go-buildkite falls
    /// back to it when the signature is absent. `X-Buildkite-Event`
    /// (unsigned) is passed on.
    ///
    /// **Retries and replay key**: Buildkite documents none. The key is the
    /// signed message; records live the window and a second.
    pub fn buildkite() -> Self {
        preset(
            entries(
                "buildkite",
                BUILDKITE_SIGNATURE,
                ",",
                "timestamp",
                "signature",
            )
            .signature_format(
                SignatureFormat::labeled(b'=', ",").on_wrong_length(OnInvalid::NoMatch),
            )
            .message(timestamp_dot_body())
            .event_header(BUILDKITE_EVENT),
        )
    }

    /// Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 over
    /// `v0:<x-zm-request-timestamp>:<body>` with the app's secret token
    /// (<https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events>).
    /// hookwarden signs the raw body; Zoom's sample and its Rivet library
    /// hash the body re-serialized by `JSON.stringify`, the same bytes for
    /// the compact JSON Zoom sends. 300 s each way (Zoom's libraries check
    /// no age at all).
    ///
    /// **Retries and replay key**: three retries over about 85 minutes
    /// (after 5, 20 and 60 minutes), the same body. The key is the body;
    /// records live 3 hours.
    pub fn zoom() -> Self {
        preset(
            Scheme::builder("zoom")
                .signature_header(ZOOM_SIGNATURE)
                .signature_format(lenient(SignatureFormat::labeled(b'=', "")))
                .method(Method::hmac_sha256("v0"))
                .timestamp_header(ZOOM_TIMESTAMP)
                .message([
                    Part::literal(&b"v0:"[..]),
                    Part::Timestamp,
                    Part::literal(&b":"[..]),
                    Part::Body,
                ])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(Duration::from_secs(3 * 3600)),
        )
    }

    /// Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex>`,
    /// HMAC-SHA256 over the message id, the timestamp and the body
    /// concatenated with no separator, with the subscription's secret
    /// (<https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message>).
    /// The timestamp `Twitch-Eventsub-Message-Timestamp` is an RFC 3339
    /// date-time (to the nanosecond), signed as received; older than 10
    /// minutes is refused, as Twitch asks, and more than 300 s ahead.
    /// `Twitch-Eventsub-Message-Type` (unsigned) is passed on as the event
    /// type.
    ///
    /// **Retries and replay key**: Twitch resends a notification it is not
    /// sure was received with the same message id and a fresh timestamp
    /// and signature, with no documented bound. The key is the signed
    /// message id; records live a day.
    pub fn twitch() -> Self {
        preset(
            Scheme::builder("twitch")
                .signature_header(TWITCH_SIGNATURE)
                .signature_format(lenient(SignatureFormat::labeled(b'=', "")))
                .method(Method::hmac_sha256("sha256"))
                .delivery_id_header(TWITCH_MESSAGE_ID)
                .timestamp_header(TWITCH_TIMESTAMP)
                .timestamp_format(TimestampFormat::Rfc3339)
                .event_header(TWITCH_MESSAGE_TYPE)
                .message([Part::DeliveryId, Part::Timestamp, Part::Body])
                .tolerance(Tolerance {
                    past: Some(Duration::from_secs(600)),
                    future: Some(Duration::from_secs(300)),
                })
                .replay_basis(ReplayBasis::DeliveryId)
                .replay_record_ttl(DAY),
        )
    }

    /// Zendesk: `X-Zendesk-Webhook-Signature: <base64>`, HMAC-SHA256 over
    /// the `X-Zendesk-Webhook-Signature-Timestamp` text followed by the
    /// body, no separator, keyed with the signing secret **as text** (it
    /// looks like base64 and is not decoded)
    /// (<https://developer.zendesk.com/documentation/webhooks/verifying/>).
    /// The timestamp is an RFC 3339 date-time; Zendesk documents no window,
    /// hookwarden applies 300 s each way. A "Test webhook" request is
    /// signed with Zendesk's fixed test secret: add it as a second secret
    /// while testing. Zendesk's older worked example, signed body first,
    /// does not verify (the current rule is timestamp first).
    ///
    /// **Retries and replay key**: a few retries on some answers (409, and
    /// 429 or 503 with a short `Retry-After`), each re-signed. Trigger
    /// bodies are written by their authors and need carry no event id, so
    /// the key is the signed message; records live the window and a
    /// second. Key event subscriptions on their `/id` in one line
    /// (`ReplayBasis::json_pointer("/id")`).
    pub fn zendesk() -> Self {
        preset(
            Scheme::builder("zendesk")
                .signature_header(ZENDESK_SIGNATURE)
                .signature_format(lenient(
                    SignatureFormat::bare("").encoding(Encoding::Base64),
                ))
                .method(Method::hmac_sha256("sha256"))
                .timestamp_header(ZENDESK_TIMESTAMP)
                .timestamp_format(TimestampFormat::Rfc3339)
                .message([Part::Timestamp, Part::Body]),
        )
    }

    /// TikTok (for developers, not TikTok Shop): `TikTok-Signature:
    /// t=<unix>,s=<hex>`, HMAC-SHA256 over `<t>.<body>` with the app's
    /// client secret (<https://developers.tiktok.com/doc/webhooks-verification>).
    /// TikTok sets no window: 300 s each way.
    ///
    /// **Retries and replay key**: retried with exponential backoff for up
    /// to 72 hours, the same event. The key is the body; records live 3
    /// days.
    pub fn tiktok() -> Self {
        preset(
            entries("tiktok", TIKTOK_SIGNATURE, ",", "t", "s")
                .message(timestamp_dot_body())
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(3 * DAY),
        )
    }

    /// Webflow: `x-webflow-signature: <hex>`, HMAC-SHA256 over
    /// `<x-webflow-timestamp>:<body>` with the webhook's secret (an OAuth
    /// app's client secret, or the site's webhook secret), the timestamp in
    /// **milliseconds** (<https://developers.webflow.com/data/docs/working-with-webhooks>,
    /// webflow/js-webflow-api). 300 s each way (Webflow's SDK checks no
    /// age at all).
    ///
    /// **Retries and replay key**: up to 3 retries, 10 minutes apart, the
    /// same body. The key is the body; records live a day.
    pub fn webflow() -> Self {
        preset(
            Scheme::builder("webflow")
                .signature_header(WEBFLOW_SIGNATURE)
                .signature_format(lenient(SignatureFormat::bare("")))
                .method(Method::hmac_sha256("sha256"))
                .timestamp_header(WEBFLOW_TIMESTAMP)
                .timestamp_format(TimestampFormat::UnixMillis)
                .message([Part::Timestamp, Part::literal(&b":"[..]), Part::Body])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(DAY),
        )
    }

    /// Discord (interactions and webhook events): `X-Signature-Ed25519:
    /// <hex>`, an **Ed25519** signature over the `X-Signature-Timestamp`
    /// text followed by the body, no separator, checked with the
    /// application's public key in hex (64 digits)
    /// (<https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers>,
    /// discord-interactions-js `verifyKey`). Sign with the 32-byte seed in
    /// hex. Needs feature `ed25519`. 300 s each way (Discord's libraries
    /// check no age at all). Discord also sends deliveries with invalid
    /// signatures as a routine check: they get 401, as it requires.
    ///
    /// **Retries and replay key**: interactions are not retried; webhook
    /// events are, the same body. The key is the body; records live a day.
    pub fn discord() -> Self {
        preset(
            Scheme::builder("discord")
                .signature_header(DISCORD_SIGNATURE)
                .signature_format(lenient(SignatureFormat::bare("")))
                .method(Method::new("ed25519", Algorithm::Ed25519, KeyFormat::Hex))
                .timestamp_header(DISCORD_TIMESTAMP)
                .message([Part::Timestamp, Part::Body])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(DAY),
        )
    }
}
