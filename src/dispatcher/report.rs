//! What a delivery's attempts got: [`Outcome`], [`Attempt`],
//! [`DeliveryReport`], and the [`DeadLetter`] kept when it failed.

use std::fmt;
use std::time::Duration;

use http::Uri;

use super::policy::{verdict, Verdict};
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
    /// rejection (`{"error":"<code>",…}`).
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
/// is not retried), kept for inspection and replay.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// What was to be delivered.
    pub delivery: Delivery,
    /// How it went.
    pub report: DeliveryReport,
}
