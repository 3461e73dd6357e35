//! Why a delivery was rejected, and the one mapping from errors to HTTP
//! responses that every adapter shares.

use std::fmt;
use std::time::Duration;

use http::{HeaderName, StatusCode};

/// Why a delivery was rejected.
///
/// Every variant has a stable machine-readable [`code`](Error::code) and an
/// HTTP [`status`](Error::status); its `Display` message names the header and
/// the reason. No variant ever holds a secret or the expected signature.
///
/// Checks run in this order, and the first failure is reported: headers
/// present → well-formed → timestamp fresh → signature. A request that is both
/// stale and tampered with therefore reports [`Error::TimestampTooOld`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A required header is absent. Code `missing_header`, 400.
    MissingHeader {
        /// The header that is missing.
        header: HeaderName,
    },
    /// A header is present but cannot be read. Code `malformed_header`, 400.
    MalformedHeader {
        /// The offending header.
        header: HeaderName,
        /// What is wrong with it.
        reason: Malformed,
    },
    /// The timestamp is further in the past than the tolerance allows.
    /// Code `timestamp_too_old`, 401.
    TimestampTooOld {
        /// The timestamp header.
        header: HeaderName,
        /// The delivery's timestamp, unix seconds.
        timestamp: u64,
        /// The verifier's clock, unix seconds.
        now: u64,
        /// The past tolerance in force.
        tolerance: Duration,
    },
    /// The timestamp is further in the future than the tolerance allows.
    /// Code `timestamp_in_future`, 401.
    TimestampInFuture {
        /// The timestamp header.
        header: HeaderName,
        /// The delivery's timestamp, unix seconds.
        timestamp: u64,
        /// The verifier's clock, unix seconds.
        now: u64,
        /// The future tolerance in force.
        tolerance: Duration,
    },
    /// None of the signatures in the header was made with any configured
    /// secret over these bytes. Code `signature_mismatch`, 401.
    SignatureMismatch {
        /// The signature header.
        header: HeaderName,
        /// How many signature entries the header carried.
        candidates: usize,
        /// How many secrets were tried.
        secrets: usize,
    },
    /// The body is larger than the configured limit. Code `body_too_large`, 413.
    BodyTooLarge {
        /// The limit in bytes, when known (a framework's own limit, such as
        /// actix-web's `PayloadConfig`, does not always say).
        limit: Option<u64>,
    },
    /// The body could not be read to the end (the client went away, or the
    /// transport failed). Code `body_unreadable`, 400.
    BodyUnreadable {
        /// What the transport reported.
        reason: String,
    },
    /// This delivery was already processed: the sender may stop retrying.
    /// Code `replayed`, 409 (final).
    Replayed,
    /// A copy of this delivery is being processed right now; whether it
    /// succeeds is not known yet. Code `in_flight`, 409 with `Retry-After`:
    /// send it again later.
    InFlight,
    /// The body did not arrive within the read deadline (counted from the
    /// moment the headers were accepted). Code `body_timeout`, 408.
    BodyTimeout {
        /// The deadline in force.
        deadline: Duration,
    },
    /// The receiver holds as many unverified body bytes as its budget allows
    /// (other deliveries are being read). Code `overloaded`, 503 with
    /// `Retry-After`.
    Overloaded {
        /// The process-wide budget of unverified bytes.
        budget: u64,
    },
    /// The body is sent with a `Content-Encoding` (gzip, br, …): hookguard
    /// verifies and hands over the bytes exactly as sent and never decodes
    /// them, so an encoded body is refused before it is read. Code
    /// `unsupported_content_encoding`, 415.
    UnsupportedEncoding {
        /// The encoding named by the sender (printable ASCII, at most 32
        /// characters; anything else is replaced).
        encoding: String,
    },
    /// The in-memory replay store is full of unexpired records. Code
    /// `replay_store_full`, 503.
    ReplayStoreFull,
    /// The replay store cannot be reached and the verifier fails closed.
    /// Code `replay_store_unavailable`, 503.
    ReplayStoreUnavailable {
        /// What the store reported.
        reason: String,
    },
    /// The per-tenant [`SecretSource`](crate::tenant::SecretSource) could
    /// not answer. Code `secret_source_unavailable`, 503 with `Retry-After`.
    SecretSourceUnavailable {
        /// What the source reported (never a secret).
        reason: String,
    },
    /// Verification is not set up for this route (no verifier, or the
    /// metadata was asked for where no middleware verified): a server
    /// configuration mistake, never a pass. Code `not_configured`, 500.
    NotConfigured,
}

/// What is wrong with a malformed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The header appears more than once where one value is expected.
    Duplicated,
    /// The value is longer than the limit, in bytes.
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// More signature entries than the limit.
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// No entry labeled with one of the scheme's methods (`v1=`, `sha256=`).
    NoSignature {
        /// What an entry should look like, such as `v1=<hex>`.
        expected: crate::signature::EntryShape,
    },
    /// A signature entry is not hexadecimal.
    InvalidHex,
    /// A signature entry is not standard padded base64.
    InvalidBase64,
    /// A signature entry has the wrong length for its algorithm.
    WrongLength {
        /// The number of characters found.
        found: usize,
        /// The number of characters expected.
        expected: usize,
    },
    /// The signature header has no timestamp entry (Stripe's `t=`).
    NoTimestampEntry {
        /// What the entry should look like, such as `t=<unix seconds>`.
        expected: crate::signature::EntryShape,
    },
    /// The timestamp is empty.
    Empty,
    /// The timestamp is not made of ASCII digits only (no sign, decimal point or exponent).
    NotDigits,
    /// The timestamp does not fit in 64 bits.
    OutOfRange,
    /// The value is not visible ASCII.
    NotVisibleAscii,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Duplicated => f.write_str("the header appears more than once"),
            Malformed::TooLong { limit } => write!(f, "the value is longer than {limit} bytes"),
            Malformed::TooManyEntries { limit } => {
                write!(f, "more than {limit} signature entries")
            }
            Malformed::NoSignature { expected } => write!(f, "no `{expected}` entry"),
            Malformed::InvalidHex => f.write_str("a signature entry is not hexadecimal"),
            Malformed::InvalidBase64 => f.write_str("a signature entry is not base64"),
            Malformed::WrongLength { found, expected } => write!(
                f,
                "a signature entry has {found} characters, expected {expected}"
            ),
            Malformed::NoTimestampEntry { expected } => {
                write!(f, "no `{expected}` timestamp entry")
            }
            Malformed::Empty => f.write_str("the value is empty"),
            Malformed::NotDigits => {
                f.write_str("not unix seconds in ASCII digits (no sign, decimal point or exponent)")
            }
            Malformed::OutOfRange => f.write_str("the number does not fit in 64 bits"),
            Malformed::NotVisibleAscii => f.write_str("the value is not visible ASCII"),
        }
    }
}

impl Error {
    /// The stable machine-readable code: `missing_header`, `malformed_header`,
    /// `timestamp_too_old`, `timestamp_in_future`, `signature_mismatch`,
    /// `body_too_large`, `body_unreadable`, `body_timeout`, `overloaded`,
    /// `unsupported_content_encoding`, `replayed`, `in_flight`,
    /// `replay_store_full`, `replay_store_unavailable`,
    /// `secret_source_unavailable` or `not_configured`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingHeader { .. } => "missing_header",
            Error::MalformedHeader { .. } => "malformed_header",
            Error::TimestampTooOld { .. } => "timestamp_too_old",
            Error::TimestampInFuture { .. } => "timestamp_in_future",
            Error::SignatureMismatch { .. } => "signature_mismatch",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::BodyUnreadable { .. } => "body_unreadable",
            Error::Replayed => "replayed",
            Error::InFlight => "in_flight",
            Error::BodyTimeout { .. } => "body_timeout",
            Error::Overloaded { .. } => "overloaded",
            Error::UnsupportedEncoding { .. } => "unsupported_content_encoding",
            Error::ReplayStoreFull => "replay_store_full",
            Error::ReplayStoreUnavailable { .. } => "replay_store_unavailable",
            Error::SecretSourceUnavailable { .. } => "secret_source_unavailable",
            Error::NotConfigured => "not_configured",
        }
    }

    /// The HTTP status every adapter answers with: 400 for missing or
    /// malformed input, 401 for stale, future or forged deliveries, 408 for a
    /// body that did not arrive in time, 409 for a replay or a copy in
    /// flight, 413 for an oversized body, 415 for an encoded body, 500 when
    /// verification is not configured, 503 when the receiver is overloaded
    /// or the replay store is full or unreachable.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::MissingHeader { .. }
            | Error::MalformedHeader { .. }
            | Error::BodyUnreadable { .. } => StatusCode::BAD_REQUEST,
            Error::TimestampTooOld { .. }
            | Error::TimestampInFuture { .. }
            | Error::SignatureMismatch { .. } => StatusCode::UNAUTHORIZED,
            Error::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Error::UnsupportedEncoding { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Replayed | Error::InFlight => StatusCode::CONFLICT,
            Error::Overloaded { .. }
            | Error::ReplayStoreFull
            | Error::ReplayStoreUnavailable { .. }
            | Error::SecretSourceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message for the caller, who may be anyone (the delivery is not
    /// authenticated yet): the `Display` message, except where that carries
    /// what an infrastructure component reported (a store's or a secret
    /// source's connection error, a transport failure), which stays in the
    /// logs and in this value.
    pub fn public_message(&self) -> String {
        match self {
            Error::ReplayStoreUnavailable { .. } => {
                "the replay store is unavailable; try again later".to_owned()
            }
            Error::SecretSourceUnavailable { .. } => {
                "the secret source is unavailable; try again later".to_owned()
            }
            Error::BodyUnreadable { .. } => "body could not be read".to_owned(),
            _ => self.to_string(),
        }
    }

    /// The JSON body every adapter answers with:
    /// `{"error":"<code>","message":"<public message>"}` (see
    /// [`public_message`](Self::public_message)).
    pub fn body_json(&self) -> String {
        let message = self.public_message();
        let mut out = String::with_capacity(32 + message.len());
        out.push_str("{\"error\":\"");
        out.push_str(self.code());
        out.push_str("\",\"message\":\"");
        push_json_escaped(&mut out, &message);
        out.push_str("\"}");
        out
    }

    /// When the sender should try again, for the retryable answers:
    /// [`IN_FLIGHT_RETRY_AFTER`] for `in_flight`, [`OVERLOADED_RETRY_AFTER`]
    /// for `overloaded`, `replay_store_full`, `replay_store_unavailable` and
    /// `secret_source_unavailable`; `None` otherwise.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::InFlight => Some(IN_FLIGHT_RETRY_AFTER),
            Error::Overloaded { .. }
            | Error::ReplayStoreFull
            | Error::ReplayStoreUnavailable { .. }
            | Error::SecretSourceUnavailable { .. } => Some(OVERLOADED_RETRY_AFTER),
            _ => None,
        }
    }

    /// The rejection response every adapter sends: [`status`](Self::status),
    /// `Content-Type: application/json`, [`body_json`](Self::body_json), and
    /// `Retry-After` (seconds) when [`retry_after`](Self::retry_after) has one.
    pub fn to_response(&self) -> http::Response<bytes::Bytes> {
        let mut response = http::Response::new(bytes::Bytes::from(self.body_json()));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(JSON_CONTENT_TYPE),
        );
        if let Some(after) = self.retry_after() {
            headers.insert(http::header::RETRY_AFTER, after.as_secs().into());
        }
        response
    }

    /// The header the error is about, if any.
    pub fn header(&self) -> Option<&HeaderName> {
        match self {
            Error::MissingHeader { header }
            | Error::MalformedHeader { header, .. }
            | Error::TimestampTooOld { header, .. }
            | Error::TimestampInFuture { header, .. }
            | Error::SignatureMismatch { header, .. } => Some(header),
            _ => None,
        }
    }
}

/// The content type of [`Error::body_json`].
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// `Retry-After` of an `in_flight` answer: 2 seconds. A copy of the delivery
/// is being processed; by then it is usually settled.
pub const IN_FLIGHT_RETRY_AFTER: Duration = Duration::from_secs(2);

/// `Retry-After` of the `overloaded`, `replay_store_full` and
/// `replay_store_unavailable` answers: 5 seconds.
pub const OVERLOADED_RETRY_AFTER: Duration = Duration::from_secs(5);

#[cfg(feature = "runtime")]
/// A header value a sender chose, made safe to show: printable ASCII kept,
/// anything else replaced by `?`, at most 32 characters (then `…`).
pub(crate) fn shown(value: &[u8]) -> String {
    let mut out: String = value
        .iter()
        .take(32)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    if value.len() > 32 {
        out.push('…');
    }
    out
}

fn push_json_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

fn rfc3339(unix: u64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).ok()?).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn write_time(f: &mut fmt::Formatter<'_>, unix: u64) -> fmt::Result {
    match rfc3339(unix) {
        Some(text) => write!(f, "{unix} ({text})"),
        None => write!(f, "{unix}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingHeader { header } => write!(f, "missing header `{header}`"),
            Error::MalformedHeader { header, reason } => {
                write!(f, "malformed header `{header}`: {reason}")
            }
            Error::TimestampTooOld {
                header,
                timestamp,
                now,
                tolerance,
            } => {
                write!(f, "timestamp in `{header}` is too old: ")?;
                write_time(f, *timestamp)?;
                write!(f, " is {} s before now ", now.saturating_sub(*timestamp))?;
                write_time(f, *now)?;
                write!(f, ", past the tolerance of {} s", tolerance.as_secs())
            }
            Error::TimestampInFuture {
                header,
                timestamp,
                now,
                tolerance,
            } => {
                write!(f, "timestamp in `{header}` is in the future: ")?;
                write_time(f, *timestamp)?;
                write!(f, " is {} s after now ", timestamp.saturating_sub(*now))?;
                write_time(f, *now)?;
                write!(f, ", past the tolerance of {} s", tolerance.as_secs())
            }
            Error::SignatureMismatch {
                header,
                candidates,
                secrets,
            } => {
                // How many secrets are configured (a rotation in progress) is
                // for the logs, not for an unauthenticated caller.
                let _ = secrets;
                write!(
                    f,
                    "signature mismatch: none of the {candidates} signature(s) in `{header}` \
                     matches the body with a configured secret"
                )
            }
            Error::BodyTooLarge { limit: Some(limit) } => {
                write!(f, "body is larger than the limit of {limit} bytes")
            }
            Error::BodyTooLarge { limit: None } => {
                f.write_str("body is larger than the configured limit")
            }
            Error::BodyUnreadable { reason } => write!(f, "body could not be read: {reason}"),
            Error::Replayed => f.write_str("this delivery was already processed (replay)"),
            Error::InFlight => f.write_str(
                "a copy of this delivery is being processed right now; send it again later",
            ),
            Error::BodyTimeout { deadline } => write!(
                f,
                "the body did not arrive within {} s of the headers",
                deadline.as_secs_f64()
            ),
            Error::Overloaded { budget } => write!(
                f,
                "the receiver holds its whole budget of {budget} unverified body bytes; \
                 send it again later"
            ),
            Error::UnsupportedEncoding { encoding } => write!(
                f,
                "`content-encoding: {encoding}` is not accepted: a webhook body is verified and \
                 handed over exactly as sent, never decoded; send it unencoded"
            ),
            Error::ReplayStoreFull => {
                f.write_str("the replay store is full of unexpired records; try again later")
            }
            Error::ReplayStoreUnavailable { reason } => {
                write!(f, "the replay store is unavailable: {reason}")
            }
            Error::SecretSourceUnavailable { reason } => {
                write!(f, "the secret source is unavailable: {reason}")
            }
            Error::NotConfigured => {
                f.write_str("webhook verification is not configured for this route")
            }
        }
    }
}

impl std::error::Error for Error {}

/// A verifier or signer was configured wrongly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret was given.
    NoSecret,
    /// The secret at this position (0-based, in the order given) is empty.
    EmptySecret {
        /// Position of the empty secret.
        index: usize,
    },
    /// An event type that cannot be sent as a header value.
    InvalidEventType,
    /// A delivery id that cannot be sent as a header value (empty, or not
    /// visible ASCII).
    InvalidDeliveryId,
    /// Replay protection needs a TTL when the timestamp check is off on
    /// either side: set [`ReplayProtection::ttl`](crate::replay::ReplayProtection::ttl).
    ReplayTtlRequired,
    /// The replay TTL is shorter than past + future tolerance: a replay
    /// could pass after its record expired.
    ReplayTtlTooShort {
        /// The shortest TTL that is safe.
        minimum: Duration,
    },
    /// A scheme description is inconsistent (see [`SchemeBuilder::build`](crate::scheme::SchemeBuilder::build)).
    InvalidScheme {
        /// The first inconsistency found.
        reason: &'static str,
    },
    /// The secret at this position cannot be a key of the scheme (not
    /// base64 where the scheme decodes it, a prefix no method takes, …).
    InvalidSecret {
        /// Position of the secret, in the order given.
        index: usize,
        /// Why, without the secret.
        reason: &'static str,
    },
    /// Both fixed secrets and a per-tenant secret source were given.
    SecretsAndSource,
    /// The secret at this position needs a crate feature that is off
    /// (a `whpk_` key needs `ed25519`).
    FeatureRequired {
        /// Position of the secret.
        index: usize,
        /// The feature to turn on.
        feature: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoSecret => {
                f.write_str("no secret configured: call `.secret(..)` at least once")
            }
            ConfigError::EmptySecret { index } => {
                write!(
                    f,
                    "secret #{index} is empty; an empty HMAC key proves nothing"
                )
            }
            ConfigError::InvalidEventType => {
                f.write_str("the event type is not a valid header value (visible ASCII only)")
            }
            ConfigError::InvalidDeliveryId => {
                f.write_str("the delivery id is empty or not visible ASCII")
            }
            ConfigError::ReplayTtlRequired => f.write_str(
                "replay protection needs an explicit TTL when the timestamp check is off",
            ),
            ConfigError::ReplayTtlTooShort { minimum } => write!(
                f,
                "the replay TTL must be at least past + future tolerance ({} s)",
                minimum.as_secs()
            ),
            ConfigError::SecretsAndSource => {
                f.write_str("both `.secret(..)` and `.secret_source(..)` were given: choose one")
            }
            ConfigError::InvalidScheme { reason } => write!(f, "invalid scheme: {reason}"),
            ConfigError::InvalidSecret { index, reason } => {
                write!(f, "secret #{index} is not a key of this scheme: {reason}")
            }
            ConfigError::FeatureRequired { index, feature } => {
                write!(f, "secret #{index} needs hookguard's `{feature}` feature")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::MITTR_TIMESTAMP;

    #[test]
    fn codes_and_statuses_are_stable() {
        let h = MITTR_TIMESTAMP;
        let cases = [
            (
                Error::MissingHeader { header: h.clone() },
                "missing_header",
                400,
            ),
            (
                Error::MalformedHeader {
                    header: h.clone(),
                    reason: Malformed::NotDigits,
                },
                "malformed_header",
                400,
            ),
            (
                Error::TimestampTooOld {
                    header: h.clone(),
                    timestamp: 1,
                    now: 400,
                    tolerance: Duration::from_secs(300),
                },
                "timestamp_too_old",
                401,
            ),
            (
                Error::TimestampInFuture {
                    header: h.clone(),
                    timestamp: 400,
                    now: 1,
                    tolerance: Duration::from_secs(300),
                },
                "timestamp_in_future",
                401,
            ),
            (
                Error::SignatureMismatch {
                    header: h,
                    candidates: 1,
                    secrets: 1,
                },
                "signature_mismatch",
                401,
            ),
            (
                Error::BodyTooLarge { limit: Some(10) },
                "body_too_large",
                413,
            ),
            (Error::BodyTooLarge { limit: None }, "body_too_large", 413),
            (
                Error::BodyUnreadable {
                    reason: "reset".into(),
                },
                "body_unreadable",
                400,
            ),
            (Error::Replayed, "replayed", 409),
            (Error::InFlight, "in_flight", 409),
            (
                Error::BodyTimeout {
                    deadline: Duration::from_secs(30),
                },
                "body_timeout",
                408,
            ),
            (Error::Overloaded { budget: 64 }, "overloaded", 503),
            (
                Error::UnsupportedEncoding {
                    encoding: "gzip".into(),
                },
                "unsupported_content_encoding",
                415,
            ),
            (Error::ReplayStoreFull, "replay_store_full", 503),
            (
                Error::ReplayStoreUnavailable {
                    reason: "connection refused".into(),
                },
                "replay_store_unavailable",
                503,
            ),
            (
                Error::SecretSourceUnavailable {
                    reason: "database down".into(),
                },
                "secret_source_unavailable",
                503,
            ),
            (Error::NotConfigured, "not_configured", 500),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.status().as_u16(), status, "{code}");
            let body = err.body_json();
            assert!(
                body.starts_with(&format!("{{\"error\":\"{code}\",\"message\":\"")),
                "{body}"
            );
        }
    }

    #[test]
    fn messages_name_the_header_and_reason() {
        let err = Error::MalformedHeader {
            header: MITTR_TIMESTAMP,
            reason: Malformed::NotDigits,
        };
        let text = err.to_string();
        assert!(text.contains("x-mittr-timestamp"), "{text}");
        assert!(text.contains("ASCII digits"), "{text}");
    }

    #[test]
    fn time_errors_carry_readable_times() {
        let err = Error::TimestampTooOld {
            header: MITTR_TIMESTAMP,
            timestamp: 1_764_071_699,
            now: 1_764_072_000,
            tolerance: Duration::from_secs(300),
        };
        let text = err.to_string();
        assert!(text.contains("301 s before now"), "{text}");
        assert!(text.contains("2025-11-25T"), "{text}");
        assert!(text.contains("tolerance of 300 s"), "{text}");
    }

    #[test]
    fn extreme_timestamps_format_without_panic() {
        let err = Error::TimestampInFuture {
            header: MITTR_TIMESTAMP,
            timestamp: u64::MAX,
            now: 0,
            tolerance: Duration::from_secs(300),
        };
        assert!(err.to_string().contains(&u64::MAX.to_string()));
    }

    #[test]
    fn retryable_answers_say_when_to_retry() {
        let retry_after = |e: Error| {
            e.to_response()
                .headers()
                .get(http::header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(retry_after(Error::InFlight).as_deref(), Some("2"));
        assert_eq!(
            retry_after(Error::Overloaded { budget: 1 }).as_deref(),
            Some("5")
        );
        assert_eq!(retry_after(Error::ReplayStoreFull).as_deref(), Some("5"));
        assert_eq!(retry_after(Error::Replayed), None, "replayed is final");
        assert_eq!(retry_after(Error::BodyTooLarge { limit: Some(1) }), None);
    }

    #[test]
    fn a_mismatch_does_not_tell_how_many_secrets_are_configured() {
        let one = Error::SignatureMismatch {
            header: MITTR_TIMESTAMP,
            candidates: 1,
            secrets: 1,
        };
        let two = Error::SignatureMismatch {
            header: MITTR_TIMESTAMP,
            candidates: 1,
            secrets: 2,
        };
        assert_eq!(one.body_json(), two.body_json());
    }

    #[test]
    fn a_senders_encoding_is_shown_safely() {
        assert_eq!(shown(b"gzip"), "gzip");
        assert_eq!(shown(b"\x1b]0;x\x07"), "?]0;x?");
        let long = shown(&[b'a'; 100]);
        assert!(long.ends_with('…') && long.chars().count() == 33);
    }

    #[test]
    fn json_body_escapes_control_and_quote_characters() {
        let mut out = String::new();
        push_json_escaped(&mut out, "a \"quoted\"\nline\u{1}");
        assert_eq!(out, r#"a \"quoted\"\nline\u0001"#);
    }

    #[test]
    fn infrastructure_details_stay_out_of_the_response() {
        let detail = "dial tcp 10.0.0.5:6379: connection refused";
        for err in [
            Error::ReplayStoreUnavailable {
                reason: detail.into(),
            },
            Error::SecretSourceUnavailable {
                reason: detail.into(),
            },
            Error::BodyUnreadable {
                reason: detail.into(),
            },
        ] {
            assert!(err.to_string().contains(detail), "kept for the logs");
            let body = err.body_json();
            assert!(!body.contains("10.0.0.5"), "{body}");
            assert!(body.contains(err.code()), "{body}");
        }
    }
}
