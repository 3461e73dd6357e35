//! When to retry and how long to wait (the waiting is the [`Timer`](crate::time::Timer)'s).

use std::time::Duration;

use http::StatusCode;

use super::Outcome;

/// When and how often to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay cap before the first retry. Defaults to 0.5 s.
    pub base_delay: Duration,
    /// Growth of the cap per attempt. Defaults to 2.
    pub factor: f64,
    /// Attempts in all, the first included. Defaults to 5.
    pub max_attempts: u32,
    /// Largest delay between two attempts, also for `Retry-After`. Defaults to 30 s.
    pub max_delay: Duration,
    /// Full jitter: each delay is uniform in `[0, cap]`. Defaults to `true`;
    /// `false` waits the cap itself (deterministic, for tests).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(500),
            factor: 2.0,
            max_attempts: 5,
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The delay cap before retry number `retry` (1 for the first retry):
    /// `min(max_delay, base_delay * factor^(retry - 1))`.
    pub fn cap(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.base_delay.as_secs_f64() * self.factor.powi(exponent);
        if !secs.is_finite() || secs >= self.max_delay.as_secs_f64() {
            self.max_delay
        } else {
            Duration::from_secs_f64(secs.max(0.0))
        }
    }

    pub(super) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let cap = self.cap(retry);
        if self.jitter {
            cap.mul_f64(fastrand::f64())
        } else {
            cap
        }
    }
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
    fn backoff_caps_grow_exponentially_up_to_the_max() {
        let p = RetryPolicy::default();
        let caps: Vec<_> = (1..=8).map(|n| p.cap(n).as_millis()).collect();
        assert_eq!(caps, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(p.cap(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn full_jitter_stays_within_the_cap() {
        let p = RetryPolicy::default();
        for retry in 1..6 {
            for _ in 0..200 {
                assert!(p.delay(retry, None) <= p.cap(retry));
            }
        }
        let p = RetryPolicy { jitter: false, ..p };
        assert_eq!(p.delay(3, None), Duration::from_secs(2));
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(700))),
            Duration::from_secs(30)
        );
    }

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
