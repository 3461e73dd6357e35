//! Time: the wall clock that timestamps are checked against ([`Clock`]),
//! the window they must fall in ([`Tolerance`]), and, on the runtime, the
//! monotonic timer behind read deadlines, replay leases and the
//! dispatcher's waits between attempts ([`Timer`]). All injectable, so that
//! tests need not wait in real time.

use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "runtime")]
mod timer;
mod tolerance;

#[cfg(feature = "runtime")]
pub(crate) use timer::first;
#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub use timer::{ManualTimer, Sleep, Timer, TokioTimer};
pub(crate) use tolerance::Stale;
pub use tolerance::{Tolerance, DEFAULT_TOLERANCE};

/// Where "now" comes from. Inject a fixed clock in tests or to check an
/// archived delivery against the time it arrived.
///
/// Any `Fn() -> SystemTime + Send + Sync + 'static` is a clock:
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use hookwarden::{Scheme, Verifier};
///
/// let fixed = || UNIX_EPOCH + Duration::from_secs(1_764_072_000);
/// let verifier = Verifier::builder(Scheme::mittr()).secret("s").clock(fixed).build()?;
/// # Ok::<(), hookwarden::ConfigError>(())
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock, [`SystemTime::now`]. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// Whole unix seconds of `time`; times before 1970 count as 0.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn clocks_before_1970_count_as_zero() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1500)), 1);
    }
}
