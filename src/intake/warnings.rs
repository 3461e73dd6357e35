//! How many rejections are logged at WARN: at most
//! [`WARNINGS_PER_SECOND`] per verifier, the rest at DEBUG, so that a flood
//! of forged deliveries cannot flood the logs. The next warning says how
//! many were demoted meanwhile; metrics count every rejection regardless.

#![cfg_attr(not(feature = "tracing"), allow(dead_code))]

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Rejections logged at WARN per second and verifier; the rest at DEBUG.
pub const WARNINGS_PER_SECOND: u32 = 10;

const WINDOW: Duration = Duration::from_secs(1);

/// A verifier's count of warnings in the current one-second window.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    start: Option<Instant>,
    warned: u32,
    /// Rejections logged at DEBUG since the last warning.
    demoted: u64,
}

/// At which level to log a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// A warning, saying how many rejections were demoted since the last.
    Warn { demoted: u64 },
    /// Over this second's quota: DEBUG.
    Debug,
}

impl Warnings {
    /// The level of a rejection at `now`.
    pub(crate) fn level(&self, now: Instant) -> Level {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = window
            .start
            .map(|start| now.saturating_duration_since(start));
        if elapsed.is_none_or(|elapsed| elapsed >= WINDOW) {
            window.start = Some(now);
            window.warned = 0;
        }
        if window.warned < WARNINGS_PER_SECOND {
            window.warned += 1;
            Level::Warn {
                demoted: std::mem::take(&mut window.demoted),
            }
        } else {
            window.demoted += 1;
            Level::Debug
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_a_second_then_debug_and_the_next_warning_counts_them() {
        let warnings = Warnings::default();
        let t0 = Instant::now();
        let levels: Vec<Level> = (0..25).map(|_| warnings.level(t0)).collect();
        assert!(levels[..10]
            .iter()
            .all(|l| *l == Level::Warn { demoted: 0 }));
        assert!(levels[10..].iter().all(|l| *l == Level::Debug));
        let later = t0 + Duration::from_millis(999);
        assert_eq!(warnings.level(later), Level::Debug);
        assert_eq!(warnings.level(t0 + WINDOW), Level::Warn { demoted: 16 });
        assert_eq!(warnings.level(t0 + WINDOW), Level::Warn { demoted: 0 });
    }
}
