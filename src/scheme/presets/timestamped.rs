//! Providers that sign a timestamp with the body: Paddle Billing, Mux,
//! Calendly, Buildkite (a timestamp entry beside the signature) and Zoom
//! (a timestamp header).

use std::time::Duration;

use http::HeaderName;

use super::{lenient, preset, timestamp_dot_body, DAY};
use crate::scheme::{
    JsonPointer, Method, OnInvalid, Part, ReplayBasis, Scheme, SchemeBuilder, SignatureFormat,
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
}
