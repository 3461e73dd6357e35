//! What a delivery's attempts got: [`Outcome`], [`Attempt`],
//! [`DeliveryReport`], and the [`DeadLetter`] kept when it failed; and
//! what an attempt's answer means for its delivery (retry or not).

use std::fmt;
use std::time::Duration;

use http::{StatusCode, Uri};

use super::Delivery;

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The endpoint answered with this status.
    Status(u16),
    /// The attempt timed out.
    Timeout,
    /// The connection failed (refused, reset, …).
    ConnectionError(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Status(s) => write!(f, "HTTP {s}"),
            Outcome::Timeout => f.write_str("timed out"),
            Outcome::ConnectionError(e) => write!(f, "connection error: {e}"),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The timestamp this attempt was signed with, unix seconds.
    pub timestamp: u64,
    /// How long the dispatcher waited before this attempt.
    pub delay_before: Duration,
    /// What came back.
    pub outcome: Outcome,
    /// The response's error code when it was a hookwarden-style JSON
    /// rejection (`{"error":"<code>",…}`), as the receiver wrote it but
    /// bounded and escaped: its first [`ERROR_CODE_LIMIT`] (64) characters,
    /// then `…` when it is longer; printable ASCII kept, any other byte
    /// replaced by `?`.
    ///
    /// [`ERROR_CODE_LIMIT`]: super::ERROR_CODE_LIMIT
    pub error_code: Option<String>,
    /// How long the attempt took.
    pub elapsed: Duration,
}

impl Attempt {
    pub(super) fn verdict(&self) -> Verdict {
        verdict(&self.outcome, self.error_code.as_deref())
    }
}

/// The result of one delivery.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    pub(super) url: Uri,
    pub(super) attempts: Vec<Attempt>,
    pub(super) elapsed: Duration,
}

impl DeliveryReport {
    /// Whether the receiver has the delivery: the last attempt got a 2xx,
    /// or a 409 `replayed` (the receiver had already processed it).
    pub fn delivered(&self) -> bool {
        self.attempts
            .last()
            .is_some_and(|a| a.verdict() == Verdict::Delivered)
    }

    /// Every attempt, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The last attempt.
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The target.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// Time from the first attempt to the end of the last.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// A delivery that exhausted its attempts (or was refused with a 4xx that
/// is not retried), kept for inspection and replay (the newest
/// [`dead_letter_capacity`](super::DispatcherBuilder::dead_letter_capacity)
/// of them).
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// What was to be delivered.
    pub delivery: Delivery,
    /// How it went.
    pub report: DeliveryReport,
}

/// The error code of a 409 for a delivery the receiver has already
/// processed: final, the delivery counts as delivered.
const REPLAYED: &str = "replayed";

/// The error code of a 409 for a delivery a copy of which the receiver is
/// processing right now: retried, honouring `Retry-After`.
const IN_FLIGHT: &str = "in_flight";

/// What an attempt means for its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The receiver has it: a 2xx, or a 409 `replayed`.
    Delivered,
    /// Try again: a connection error, a timeout, a 5xx, 408, 429, or a
    /// 409 `in_flight`.
    Retry,
    /// Final: any other answer.
    Failed,
}

/// The verdict on an attempt that got `outcome` with the JSON rejection's
/// `error_code`, if any.
pub(super) fn verdict(outcome: &Outcome, error_code: Option<&str>) -> Verdict {
    let status = match outcome {
        Outcome::Timeout | Outcome::ConnectionError(_) => return Verdict::Retry,
        Outcome::Status(s) => StatusCode::from_u16(*s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    };
    match (status, error_code) {
        (s, _) if s.is_success() => Verdict::Delivered,
        (StatusCode::CONFLICT, Some(REPLAYED)) => Verdict::Delivered,
        (StatusCode::CONFLICT, Some(IN_FLIGHT)) => Verdict::Retry,
        (s, _) if s.is_server_error() => Verdict::Retry,
        (StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS, _) => Verdict::Retry,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |s| verdict(&Outcome::Status(s), None);
        for s in [500, 502, 503, 504, 408, 429] {
            assert_eq!(status(s), Verdict::Retry, "{s}");
        }
        for s in [200, 202, 204] {
            assert_eq!(status(s), Verdict::Delivered, "{s}");
        }
        for s in [301, 400, 401, 403, 404, 409, 413, 422] {
            assert_eq!(status(s), Verdict::Failed, "{s}");
        }
        assert_eq!(verdict(&Outcome::Timeout, None), Verdict::Retry);
        let refused = Outcome::ConnectionError("refused".into());
        assert_eq!(verdict(&refused, None), Verdict::Retry);
    }

    #[test]
    fn a_409_is_read_by_its_code() {
        let conflict = Outcome::Status(409);
        assert_eq!(verdict(&conflict, Some("replayed")), Verdict::Delivered);
        assert_eq!(verdict(&conflict, Some("in_flight")), Verdict::Retry);
        assert_eq!(verdict(&conflict, Some("conflict")), Verdict::Failed);
        assert_eq!(verdict(&conflict, None), Verdict::Failed);
        // The codes mean this on a 409 only.
        assert_eq!(
            verdict(&Outcome::Status(400), Some("replayed")),
            Verdict::Failed
        );
        assert_eq!(
            verdict(&Outcome::Status(400), Some("in_flight")),
            Verdict::Failed
        );
    }
}
