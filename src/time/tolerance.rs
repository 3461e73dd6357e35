//! How far a delivery's timestamp may be from now.

use std::fmt;
use std::time::Duration;

/// How far a delivery's timestamp may be from now.
///
/// `None` on a side means that side is not checked. Defaults to 300 seconds
/// into the past and 300 seconds into the future.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// Largest accepted age.
    pub past: Option<Duration>,
    /// Largest accepted distance into the future (clock skew).
    pub future: Option<Duration>,
}

/// The default tolerance on each side: 300 seconds.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            past: Some(DEFAULT_TOLERANCE),
            future: Some(DEFAULT_TOLERANCE),
        }
    }
}

impl fmt::Debug for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |d: Option<Duration>| d.map_or("unchecked".to_owned(), |d| format!("{d:?}"));
        write!(
            f,
            "Tolerance {{ past: {}, future: {} }}",
            side(self.past),
            side(self.future)
        )
    }
}

/// Which side of the window a timestamp fell outside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stale {
    TooOld(Duration),
    InFuture(Duration),
}

impl Tolerance {
    /// Checks `timestamp` against `now`, both unix seconds, without overflow
    /// whatever the values.
    pub(crate) fn check(&self, timestamp: u64, now: u64) -> Result<(), Stale> {
        if timestamp <= now {
            if let Some(past) = self.past {
                if Duration::from_secs(now - timestamp) > past {
                    return Err(Stale::TooOld(past));
                }
            }
        } else if let Some(future) = self.future {
            if Duration::from_secs(timestamp - now) > future {
                return Err(Stale::InFuture(future));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_edges_are_inclusive() {
        let t = Tolerance::default();
        assert_eq!(t.check(1000 - 300, 1000), Ok(()));
        assert_eq!(t.check(1000 + 300, 1000), Ok(()));
        assert_eq!(
            t.check(1000 - 301, 1000),
            Err(Stale::TooOld(DEFAULT_TOLERANCE))
        );
        assert_eq!(
            t.check(1000 + 301, 1000),
            Err(Stale::InFuture(DEFAULT_TOLERANCE))
        );
    }

    #[test]
    fn tolerance_never_overflows() {
        let t = Tolerance::default();
        assert!(matches!(t.check(u64::MAX, 0), Err(Stale::InFuture(_))));
        assert!(matches!(t.check(0, u64::MAX), Err(Stale::TooOld(_))));
        assert_eq!(t.check(u64::MAX, u64::MAX), Ok(()));
        let open = Tolerance {
            past: None,
            future: None,
        };
        assert_eq!(open.check(u64::MAX, 0), Ok(()));
        assert_eq!(open.check(0, u64::MAX), Ok(()));
    }

    #[test]
    fn one_sided_tolerance() {
        let t = Tolerance {
            past: Some(Duration::from_secs(10)),
            future: None,
        };
        assert_eq!(t.check(5000, 1000), Ok(()));
        assert!(t.check(989, 1000).is_err());
    }
}
