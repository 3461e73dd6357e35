//! Why a delivery was rejected, and the one mapping from errors to HTTP
//! responses that every adapter shares.

use std::fmt;
use std::time::Duration;

use http::{HeaderName, StatusCode};

pub use crate::cause::Cause;
pub use crate::config_error::ConfigError;
pub use code::Code;

mod code;

/// Why a delivery was rejected.
///
/// Every variant has a stable machine-readable [`code`](Error::code) and an
/// HTTP [`status`](Error::status), declared once in [`Code`]; its `Display`
/// message names the header and the reason. No variant ever holds a secret or the expected signature.
///
/// Checks run in this order, and the first failure is reported: headers
/// present → well-formed → timestamp fresh → signature. A request that is both
/// stale and tampered with therefore reports [`Error::TimestampTooOld`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required header is absent: [`Code::MissingHeader`].
    #[error("missing header `{header}`")]
    MissingHeader {
        /// The header that is missing.
        header: HeaderName,
    },
    /// A header is present but cannot be read: [`Code::MalformedHeader`].
    #[error("malformed header `{header}`: {reason}")]
    MalformedHeader {
        /// The offending header.
        header: HeaderName,
        /// What is wrong with it.
        reason: Malformed,
    },
    /// The timestamp is further in the past than the tolerance allows:
    /// [`Code::TimestampTooOld`].
    #[error(
        "timestamp in `{header}` is too old: {} is {} s before now {}, past the tolerance of {} s",
        Time(*.timestamp), .now.saturating_sub(*.timestamp), Time(*.now), .tolerance.as_secs()
    )]
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
    /// The timestamp is further in the future than the tolerance allows:
    /// [`Code::TimestampInFuture`].
    #[error(
        "timestamp in `{header}` is in the future: {} is {} s after now {}, past the tolerance of {} s",
        Time(*.timestamp), .timestamp.saturating_sub(*.now), Time(*.now), .tolerance.as_secs()
    )]
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
    /// secret over these bytes: [`Code::SignatureMismatch`].
    ///
    /// The message does not say how many secrets are configured (a rotation
    /// in progress): that is for the logs, not for an unauthenticated caller.
    #[error(
        "signature mismatch: none of the {candidates} signature(s) in `{header}` \
         matches the body with a configured secret"
    )]
    SignatureMismatch {
        /// The signature header.
        header: HeaderName,
        /// How many signature entries the header carried.
        candidates: usize,
        /// How many secrets were tried.
        secrets: usize,
    },
    /// The body is larger than the configured limit: [`Code::BodyTooLarge`].
    #[error("body is larger than {}", Limit(*.limit))]
    BodyTooLarge {
        /// The limit in bytes, when known (a framework's own limit, such as
        /// actix-web's `PayloadConfig`, does not always say).
        limit: Option<u64>,
    },
    /// The body could not be read to the end (the client went away, or the
    /// transport failed): [`Code::BodyUnreadable`].
    #[error("body could not be read: {reason}")]
    BodyUnreadable {
        /// What the transport reported.
        reason: String,
        /// The transport's error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// This delivery was already processed: the sender may stop retrying
    /// ([`Code::Replayed`], final).
    #[error("this delivery was already processed (replay)")]
    Replayed,
    /// A copy of this delivery is being processed right now; whether it
    /// succeeds is not known yet: send it again later ([`Code::InFlight`],
    /// with `Retry-After`).
    #[error("a copy of this delivery is being processed right now; send it again later")]
    InFlight,
    /// The body did not arrive within the read deadline (counted from the
    /// moment the headers were accepted): [`Code::BodyTimeout`].
    #[error("the body did not arrive within {} s of the headers", .deadline.as_secs_f64())]
    BodyTimeout {
        /// The deadline in force.
        deadline: Duration,
    },
    /// The receiver holds as many unverified body bytes as its budget allows
    /// (other deliveries are being read): [`Code::Overloaded`], with
    /// `Retry-After`.
    #[error(
        "the receiver holds its whole budget of {budget} unverified body bytes; \
         send it again later"
    )]
    Overloaded {
        /// The process-wide budget of unverified bytes.
        budget: u64,
    },
    /// The sender (its [`Peer`](crate::intake::Peer)) holds its whole share
    /// of the budget of unverified bytes: as many deliveries being read, or
    /// as many bytes, as one peer may hold while others are served:
    /// [`Code::Overloaded`], with `Retry-After`.
    #[error(
        "this sender holds its whole share of the receiver's unverified deliveries \
         ({deliveries} being read, {bytes} bytes); send it again later"
    )]
    PeerOverloaded {
        /// The share's bytes.
        bytes: u64,
        /// The share's deliveries being read at once.
        deliveries: u32,
    },
    /// The body arrived slower than the minimum data rate once its grace
    /// period was over (counted from the moment the headers were accepted):
    /// [`Code::BodyTooSlow`].
    #[error(
        "the body arrived slower than {bytes_per_second} bytes a second after a grace \
         period of {} s",
        .grace.as_secs_f64()
    )]
    BodyTooSlow {
        /// The minimum rate in force, in bytes a second.
        bytes_per_second: u64,
        /// Its grace period.
        grace: Duration,
    },
    /// The body is sent with a `Content-Encoding` (gzip, br, …): hookwarden
    /// verifies and hands over the bytes exactly as sent and never decodes
    /// them, so an encoded body is refused before it is read:
    /// [`Code::UnsupportedContentEncoding`].
    #[error(
        "`content-encoding: {encoding}` is not accepted: a webhook body is verified and \
         handed over exactly as sent, never decoded; send it unencoded"
    )]
    UnsupportedEncoding {
        /// The encoding named by the sender (printable ASCII, at most 32
        /// characters; anything else is replaced).
        encoding: String,
    },
    /// The in-memory replay store is full of unexpired records:
    /// [`Code::ReplayStoreFull`].
    #[error("the replay store is full of unexpired records; try again later")]
    ReplayStoreFull,
    /// The replay store cannot be reached and the verifier fails closed:
    /// [`Code::ReplayStoreUnavailable`].
    #[error("the replay store is unavailable: {reason}")]
    ReplayStoreUnavailable {
        /// What the store reported.
        reason: String,
        /// The store's error, when there is one (a Redis error, say).
        #[source]
        source: Option<Cause>,
    },
    /// An adapter found no [`Verifier`](crate::Verifier) for the route (in
    /// the app's data, the request's extensions or the middleware): a server
    /// configuration mistake, never a pass: [`Code::NotConfigured`].
    #[error(
        "webhook verification is not configured for this route: no `Verifier` was given to \
         its adapter (the app's data or the middleware)"
    )]
    NotConfigured,
    /// A handler asks for the [`VerifiedDelivery`](crate::VerifiedDelivery)
    /// of a request that no verification layer or middleware verified (the
    /// route is outside it): [`Code::NoVerifiedDelivery`].
    #[error(
        "no verified delivery on this request: the route is outside the verification layer \
         or middleware; put it behind one, or extract `Verified<T>` instead"
    )]
    NoVerifiedDelivery,
    /// A claim on a [`ReplayProtection`](crate::replay::ReplayProtection)
    /// handle not bound to a verifier (the one given to the builder: it has
    /// no namespace or record TTL): [`Code::ReplayNotBound`].
    #[error(
        "this replay protection handle is not bound to a verifier (no namespace or record \
         TTL): claim with the verifier's copy, `Verifier::replay_protection()`"
    )]
    ReplayNotBound,
    /// A claim for a delivery verified without replay protection: it carries
    /// no digest to key it by. [`Code::NoReplayKey`].
    #[error(
        "this delivery was verified without replay protection and has no replay key: \
         claim deliveries verified by the verifier the replay protection is bound to"
    )]
    NoReplayKey,
    /// The tenant is read from the request path
    /// ([`TenantFrom::PathSegment`](crate::tenant::TenantFrom)) but the
    /// delivery was verified without one: [`Code::TenantPathMissing`].
    #[error(
        "the tenant is read from the request path, but no path was given: verify with \
         `Verifier::verify_for_path`"
    )]
    TenantPathMissing,
    /// No verifier could be built from the settings given (a secret that is
    /// not a key of the scheme, say): the diagnosis reports this where it
    /// has no verification result. [`Code::InvalidConfig`].
    #[error("no verifier could be built: {error}")]
    InvalidConfig {
        /// Why the verifier could not be built.
        error: ConfigError,
    },
    /// The per-tenant [`SecretSource`](crate::tenant::SecretSource) could
    /// not answer: [`Code::SecretSourceUnavailable`], with `Retry-After`.
    #[error("the secret source is unavailable: {reason}")]
    SecretSourceUnavailable {
        /// What the source reported (never a secret).
        reason: String,
    },
    /// The unsigned event header names another event than the signed
    /// payload's `event` field: someone changed the header of a captured
    /// delivery. Only with
    /// [`require_event_match`](crate::VerifierBuilder::require_event_match)
    /// (feature `serde`): [`Code::EventMismatch`].
    #[error(
        "the unsigned `{header}` header names the event `{unsigned}`, but the signed \
         payload's `event` is `{signed}`"
    )]
    EventMismatch {
        /// The event header (`x-mitpo-event`).
        header: HeaderName,
        /// The header's value, as the sender chose it (printable ASCII, at
        /// most 32 characters; anything else is replaced).
        unsigned: String,
        /// The payload's `event` (printable ASCII, at most 32 characters;
        /// anything else is replaced).
        signed: String,
    },
}

/// What is wrong with a malformed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The header appears more than once where one value is expected.
    #[error("the header appears more than once")]
    Duplicated,
    /// The value is longer than the limit, in bytes.
    #[error("the value is longer than {limit} bytes")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// More signature entries than the limit.
    #[error("more than {limit} signature entries")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// No entry labeled with one of the scheme's methods (`v1=`, `sha256=`).
    #[error("no `{expected}` entry")]
    NoSignature {
        /// What an entry should look like, such as `v1=<hex>`.
        expected: crate::scheme::EntryShape,
    },
    /// A signature entry is not hexadecimal.
    #[error("a signature entry is not hexadecimal")]
    InvalidHex,
    /// A signature entry is not standard padded base64.
    #[error("a signature entry is not base64")]
    InvalidBase64,
    /// A signature entry has the wrong length for its algorithm.
    #[error("a signature entry has {found} characters, expected {expected}")]
    WrongLength {
        /// The number of characters found (at most the header's 4 KiB).
        found: u32,
        /// The number of characters expected.
        expected: u32,
    },
    /// An entry that may appear once appears again (Stripe's `t=`).
    #[error("the `{expected}` entry appears more than once")]
    RepeatedEntry {
        /// The entry, such as `t=<unix seconds>`.
        expected: crate::scheme::EntryShape,
    },
    /// The signature header has no timestamp entry (Stripe's `t=`).
    #[error("no `{expected}` timestamp entry")]
    NoTimestampEntry {
        /// What the entry should look like, such as `t=<unix seconds>`.
        expected: crate::scheme::EntryShape,
    },
    /// The timestamp is empty.
    #[error("the value is empty")]
    Empty,
    /// The timestamp is not made of ASCII digits only (no sign, decimal point or exponent).
    #[error("not unix seconds in ASCII digits (no sign, decimal point or exponent)")]
    NotDigits,
    /// The timestamp is not an RFC 3339 date-time (schemes whose timestamp
    /// is one, such as Twitch's).
    #[error("not an RFC 3339 date-time such as 2026-12-08T10:00:00Z")]
    NotRfc3339,
    /// The timestamp does not fit in 64 bits.
    #[error("the number does not fit in 64 bits")]
    OutOfRange,
    /// The value is not visible ASCII.
    #[error("the value is not visible ASCII")]
    NotVisibleAscii,
}

impl Error {
    /// The stable machine-readable code, as sent in the rejection body:
    /// [`Code::of`] this error, as text (every code is in [`Code`]'s table).
    pub fn code(&self) -> &'static str {
        Code::of(self).as_str()
    }

    /// The HTTP status every adapter answers with: [`Code::status`] of this
    /// error's code (the table of [`Code`]).
    pub fn status(&self) -> StatusCode {
        Code::of(self).status()
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

    /// When the sender should try again, for the retryable answers
    /// ([`Code::retry_after`] of this error's code: [`IN_FLIGHT_RETRY_AFTER`]
    /// for `in_flight`, [`OVERLOADED_RETRY_AFTER`] for the 503s); `None`
    /// otherwise.
    pub fn retry_after(&self) -> Option<Duration> {
        Code::of(self).retry_after()
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
            | Error::SignatureMismatch { header, .. }
            | Error::EventMismatch { header, .. } => Some(header),
            _ => None,
        }
    }
}

/// The content type of [`Error::body_json`].
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// `Retry-After` of an `in_flight` answer: 2 seconds. A copy of the delivery
/// is being processed; by then it is usually settled.
pub const IN_FLIGHT_RETRY_AFTER: Duration = Code::InFlight.retry_after().unwrap();

/// `Retry-After` of the 503 answers (`overloaded`, `replay_store_full`,
/// `replay_store_unavailable`, `secret_source_unavailable`): 5 seconds.
pub const OVERLOADED_RETRY_AFTER: Duration = Code::Overloaded.retry_after().unwrap();

#[cfg(feature = "runtime")]
/// A header value a sender chose, made safe to show: printable ASCII kept,
/// anything else replaced by `?`, at most 32 characters (then `…`).
pub(crate) fn shown(value: &[u8]) -> String {
    shown_at_most(value, 32)
}

#[cfg(feature = "runtime")]
/// What [`shown`] does, keeping at most `max` characters (then `…`): for
/// other text a remote party chose (a request path in the logs, a
/// receiver's error code). Every character kept is one byte, so the result
/// is at most `max + 3` bytes.
pub(crate) fn shown_at_most(value: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(value.len().min(max) + 3);
    out.extend(value.iter().take(max).map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            b as char
        } else {
            '?'
        }
    }));
    if value.len() > max {
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

/// Unix seconds in a message: `1764072000 (2025-11-25T12:00:00Z)`, or the
/// number alone when it is beyond what RFC 3339 can show.
struct Time(u64);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match rfc3339(self.0) {
            Some(text) => write!(f, "{} ({text})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The body limit in a message, when it is known.
struct Limit(Option<u64>);

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(limit) => write!(f, "the limit of {limit} bytes"),
            None => f.write_str("the configured limit"),
        }
    }
}

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
                    source: None,
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
                Error::PeerOverloaded {
                    bytes: 16,
                    deliveries: 2,
                },
                "overloaded",
                503,
            ),
            (
                Error::BodyTooSlow {
                    bytes_per_second: 240,
                    grace: Duration::from_secs(5),
                },
                "body_too_slow",
                408,
            ),
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
                    source: None,
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
            (Error::NoVerifiedDelivery, "no_verified_delivery", 500),
            (Error::ReplayNotBound, "replay_not_bound", 500),
            (Error::NoReplayKey, "no_replay_key", 500),
            (Error::TenantPathMissing, "tenant_path_missing", 500),
            (
                Error::InvalidConfig {
                    error: ConfigError::NoSecret,
                },
                "invalid_config",
                500,
            ),
            (
                Error::EventMismatch {
                    header: MITTR_TIMESTAMP,
                    unsigned: "a".into(),
                    signed: "b".into(),
                },
                "event_mismatch",
                400,
            ),
        ];
        let covered: std::collections::HashSet<Code> =
            cases.iter().map(|(err, _, _)| Code::of(err)).collect();
        assert_eq!(covered.len(), Code::ALL.len(), "a code without a case here");
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
        let source_down = Error::SecretSourceUnavailable {
            reason: "down".into(),
        };
        assert_eq!(retry_after(source_down).as_deref(), Some("5"));
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
        assert_eq!(shown_at_most(b"/a\x1b[31m\xc2\x9b", 8), "/a?[31m?…");
        assert_eq!(shown_at_most(b"/hooks", 6), "/hooks");
        assert_eq!(shown_at_most(&[b'a'; 70_000], 128).len(), 128 + 3);
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
                source: None,
            },
            Error::SecretSourceUnavailable {
                reason: detail.into(),
            },
            Error::BodyUnreadable {
                reason: detail.into(),
                source: None,
            },
        ] {
            assert!(err.to_string().contains(detail), "kept for the logs");
            let body = err.body_json();
            assert!(!body.contains("10.0.0.5"), "{body}");
            assert!(body.contains(err.code()), "{body}");
        }
    }
}
