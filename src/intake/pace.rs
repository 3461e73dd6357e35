//! [`MinDataRate`] and the [`Pace`] a body is held to while it arrives: the
//! read deadline over the whole body, and the minimum data rate once its
//! grace period is over.

use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::IntakeSettings;
use crate::time::Sleep;
use crate::Error;

/// The default minimum data rate: 240 bytes a second, after a grace period
/// of 5 seconds (as Kestrel's `MinRequestBodyDataRate`).
pub const DEFAULT_MIN_DATA_RATE: MinDataRate = MinDataRate {
    bytes_per_second: 240,
    grace: Duration::from_secs(5),
};

/// The slowest a body may arrive: once `grace` has passed since the
/// headers were accepted, a body that has delivered fewer than
/// `bytes_per_second` × the time elapsed gets 408 `body_too_slow` and its
/// bytes and slot are freed. A sender that stops sending stops holding a
/// slot and budget after the grace period, not at the read deadline.
///
/// The rate is an average since the headers' acceptance: a body may pause
/// as long as what it sent before covers the pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinDataRate {
    bytes_per_second: u64,
    grace: Duration,
}

impl MinDataRate {
    /// At least `bytes_per_second` (at least 1) once `grace` has passed.
    pub const fn new(bytes_per_second: u64, grace: Duration) -> Self {
        MinDataRate {
            bytes_per_second: if bytes_per_second == 0 {
                1
            } else {
                bytes_per_second
            },
            grace,
        }
    }

    /// The rate, in bytes a second.
    pub const fn bytes_per_second(&self) -> u64 {
        self.bytes_per_second
    }

    /// The grace period.
    pub const fn grace(&self) -> Duration {
        self.grace
    }

    /// How long after the headers' acceptance a body that has delivered
    /// `received` bytes is too slow, if nothing more arrives: when the
    /// rate's due exceeds `received`, and not before the grace period.
    fn due(&self, received: u64) -> Duration {
        let nanos = (u128::from(received) + 1)
            .saturating_mul(1_000_000_000)
            .div_ceil(u128::from(self.bytes_per_second));
        let due = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        due.max(self.grace)
    }

    fn error(&self) -> Error {
        Error::BodyTooSlow {
            bytes_per_second: self.bytes_per_second,
            grace: self.grace,
        }
    }
}

/// The timers of one body. Armed only when the body first makes the
/// intake wait (then counted from that moment, which is the headers'
/// acceptance as far as a body that has not arrived can tell); a body in
/// memory never arms one.
#[derive(Default)]
pub(super) struct Pace {
    /// When the headers were accepted, as far as it was read: for the
    /// verification-time histogram, or once the body makes us wait.
    pub(super) started: Option<Instant>,
    deadline: Option<Sleep>,
    /// The rate's timer: when the bytes received by then fall behind.
    rate: Option<Sleep>,
}

impl Pace {
    /// The pace from `started` (with metrics: the headers' acceptance).
    pub(super) fn new(started: Option<Instant>) -> Self {
        Pace {
            started,
            ..Pace::default()
        }
    }

    /// Pending while the body keeps the pace (its own waker wakes us for
    /// its bytes); the error once the deadline passed or the body fell
    /// behind the minimum rate. A deadline or rate too far to be
    /// represented is none.
    pub(super) fn poll(
        &mut self,
        settings: &IntakeSettings,
        received: u64,
        cx: &mut Context<'_>,
    ) -> Poll<Error> {
        let timer = &settings.timer;
        let started = *self.started.get_or_insert_with(|| timer.now());
        let deadline = settings.read_deadline;
        if let Some(at) = started.checked_add(deadline) {
            let sleep = self.deadline.get_or_insert_with(|| timer.sleep_until(at));
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Error::BodyTimeout { deadline });
            }
        }
        let Some(rate) = settings.min_rate else {
            return Poll::Pending;
        };
        loop {
            let Some(due) = started.checked_add(rate.due(received)) else {
                return Poll::Pending;
            };
            let sleep = self.rate.get_or_insert_with(|| timer.sleep_until(due));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The timer was armed for fewer bytes than have arrived since:
            // armed again for what has arrived, unless that is behind too.
            if due <= timer.now() {
                return Poll::Ready(rate.error());
            }
            self.rate = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_is_the_grace_period_or_when_the_bytes_fall_behind() {
        let rate = MinDataRate::new(240, Duration::from_secs(5));
        assert_eq!(rate.due(0), Duration::from_secs(5));
        assert_eq!(rate.due(1199), Duration::from_secs(5));
        assert_eq!(rate.due(2399), Duration::from_secs(10));
        assert_eq!(rate.due(2400), Duration::from_nanos(10_004_166_667));
        assert!(
            rate.due(u64::MAX) > Duration::from_secs(1 << 30),
            "saturates, never wraps"
        );
        assert_eq!(MinDataRate::new(0, Duration::ZERO).bytes_per_second(), 1);
    }
}
