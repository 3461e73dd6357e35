//! When to retry and how long to wait (what an answer means is in
//! `report`; the waiting is the [`Timer`](crate::time::Timer)'s).

use std::time::Duration;

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
}
