//! The error codes, declared once: each code's name on the wire, its HTTP
//! status, its `Retry-After` and its meaning. [`Error::code`],
//! [`Error::status`] and [`Error::retry_after`] read them from here, the
//! metrics make one `outcome` label of each, and a test checks every table
//! of codes in the README, `docs/` and the rustdoc against them.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use super::Error;

/// The `Retry-After` of a declaration: none, or so many seconds.
macro_rules! retry_after {
    () => {
        None
    };
    ($seconds:literal) => {
        Some(Duration::from_secs($seconds))
    };
}

/// Declares the codes: `Variant = "code", status, [retry seconds,] "meaning";`.
/// Generates [`Code`], its table in rustdoc and its accessors.
macro_rules! declare_codes {
    ($(
        $variant:ident = $code:literal, $status:literal, $(retry $seconds:literal,)? $meaning:literal;
    )*) => {
        /// An error's stable code, declared once with its HTTP status, its
        /// `Retry-After` and its meaning; [`Code::of`] gives an
        /// [`Error`]'s.
        ///
        /// | code | status | meaning |
        /// |---|---|---|
        $(
            #[doc = concat!(
                "| `", $code, "` | ", $status, $(" + `Retry-After: ", $seconds, "`",)?
                " | ", $meaning, " |"
            )]
        )*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $(
                #[doc = concat!(
                    "`", $code, "`, ", $status, $(" with `Retry-After: ", $seconds, "`",)?
                    ": ", $meaning, "."
                )]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in the order of the table above.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as sent in the rejection body's `error` field,
            /// logged and used as the metrics' `outcome` label.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status every adapter answers with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => {
                        // Checked when the crate compiles, never at run time.
                        const STATUS: StatusCode = match StatusCode::from_u16($status) {
                            Ok(status) => status,
                            Err(_) => panic!("not an HTTP status"),
                        };
                        STATUS
                    })*
                }
            }

            /// When the sender should try again, for a retryable answer
            /// (sent as `Retry-After`, in seconds); `None` for a final one.
            pub const fn retry_after(self) -> Option<Duration> {
                match self {
                    $(Code::$variant => retry_after!($($seconds)?),)*
                }
            }

            /// What the code means, in one line.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

declare_codes! {
    MissingHeader = "missing_header", 400,
        "the signature, timestamp, delivery id or tenant header is absent";
    MalformedHeader = "malformed_header", 400,
        "a header cannot be parsed, is too long, or appears twice";
    TimestampTooOld = "timestamp_too_old", 401,
        "the timestamp is older than the past tolerance";
    TimestampInFuture = "timestamp_in_future", 401,
        "the timestamp is further ahead than the future tolerance";
    SignatureMismatch = "signature_mismatch", 401,
        "no configured secret signed these bytes";
    BodyTooLarge = "body_too_large", 413,
        "the body exceeds the limit";
    BodyUnreadable = "body_unreadable", 400,
        "the body stream failed before its end";
    BodyTimeout = "body_timeout", 408,
        "the body did not arrive within the read deadline";
    BodyTooSlow = "body_too_slow", 408,
        "the body arrived slower than the minimum data rate, past its grace period";
    UnsupportedContentEncoding = "unsupported_content_encoding", 415,
        "the body is sent with a `Content-Encoding` (refused before it is read)";
    Overloaded = "overloaded", 503, retry 5,
        "the budget of unverified bytes, or the sender's share of it, cannot take this body now";
    Replayed = "replayed", 409,
        "already processed (final: the sender may stop)";
    InFlight = "in_flight", 409, retry 2,
        "a copy is being processed right now: send it again later";
    EventMismatch = "event_mismatch", 400,
        "the unsigned event header differs from the signed payload's `event` (only with `require_event_match`)";
    ReplayStoreFull = "replay_store_full", 503, retry 5,
        "the in-memory replay store is full of unexpired records";
    ReplayStoreUnavailable = "replay_store_unavailable", 503, retry 5,
        "the replay store cannot be reached (fail closed)";
    SecretSourceUnavailable = "secret_source_unavailable", 503, retry 5,
        "the per-tenant secret source cannot answer";
    NotConfigured = "not_configured", 500,
        "an adapter found no verifier for the route";
    NoVerifiedDelivery = "no_verified_delivery", 500,
        "a handler asks for the verified delivery on a route outside the verification layer or middleware";
    ReplayNotBound = "replay_not_bound", 500,
        "a claim on a replay protection handle not bound to a verifier (use `Verifier::replay_protection()`)";
    NoReplayKey = "no_replay_key", 500,
        "a claim for a delivery verified without replay protection";
    TenantPathMissing = "tenant_path_missing", 500,
        "the tenant is read from the path, but the delivery was verified without one (use `verify_for_path`)";
    InvalidConfig = "invalid_config", 500,
        "no verifier could be built from the settings (reported by the diagnosis)";
}

impl Code {
    /// The code of `error`.
    pub const fn of(error: &Error) -> Code {
        match error {
            Error::MissingHeader { .. } => Code::MissingHeader,
            Error::MalformedHeader { .. } => Code::MalformedHeader,
            Error::TimestampTooOld { .. } => Code::TimestampTooOld,
            Error::TimestampInFuture { .. } => Code::TimestampInFuture,
            Error::SignatureMismatch { .. } => Code::SignatureMismatch,
            Error::BodyTooLarge { .. } => Code::BodyTooLarge,
            Error::BodyUnreadable { .. } => Code::BodyUnreadable,
            Error::BodyTimeout { .. } => Code::BodyTimeout,
            Error::UnsupportedEncoding { .. } => Code::UnsupportedContentEncoding,
            Error::Overloaded { .. } | Error::PeerOverloaded { .. } => Code::Overloaded,
            Error::BodyTooSlow { .. } => Code::BodyTooSlow,
            Error::Replayed => Code::Replayed,
            Error::InFlight => Code::InFlight,
            Error::EventMismatch { .. } => Code::EventMismatch,
            Error::ReplayStoreFull => Code::ReplayStoreFull,
            Error::ReplayStoreUnavailable { .. } => Code::ReplayStoreUnavailable,
            Error::SecretSourceUnavailable { .. } => Code::SecretSourceUnavailable,
            Error::NotConfigured => Code::NotConfigured,
            Error::NoVerifiedDelivery => Code::NoVerifiedDelivery,
            Error::ReplayNotBound => Code::ReplayNotBound,
            Error::NoReplayKey => Code::NoReplayKey,
            Error::TenantPathMissing => Code::TenantPathMissing,
            Error::InvalidConfig { .. } => Code::InvalidConfig,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_a_valid_status() {
        let mut seen = std::collections::HashSet::new();
        for (index, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, index, "Code::ALL is in declaration order");
            let name = code.as_str();
            assert!(seen.insert(name), "{name} declared twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{name}"
            );
            assert_eq!(code.to_string(), name);
        }
    }
}
