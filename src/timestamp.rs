//! Timestamp parsing, freshness windows and the injectable clock.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Malformed;

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

/// Whole unix seconds of `time`; times before 1970 count as 0.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Trims spaces and tabs on both ends, as HTTP does around header values.
pub(crate) fn trim(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let Some(start) = start else { return &[] };
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &value[start..end]
}

/// Parses a timestamp header value as the [`Verifier`](crate::Verifier)
/// does: unix seconds in ASCII digits after trimming spaces and tabs; no
/// sign, decimal point or exponent; at most `u64::MAX`.
///
/// ```
/// use hookwarden::{timestamp::parse_timestamp, Malformed};
/// assert_eq!(parse_timestamp(b" 1764071982 "), Ok(1_764_071_982));
/// assert_eq!(parse_timestamp(b"1.7e9"), Err(Malformed::NotDigits));
/// ```
///
/// # Errors
/// [`Malformed::Empty`], [`Malformed::NotDigits`] or [`Malformed::OutOfRange`].
pub fn parse_timestamp(value: &[u8]) -> Result<u64, Malformed> {
    parse(value).map(|(n, _)| n)
}

/// Parses a timestamp header value: unix seconds in ASCII digits after
/// trimming, nothing else. Returns the number and the trimmed text (which
/// Mittr signs as is).
pub(crate) fn parse(value: &[u8]) -> Result<(u64, &[u8]), Malformed> {
    let text = trim(value);
    match digits(text) {
        Ok(n) => Ok((n, text)),
        Err(reason) => Err(reason.into()),
    }
}

/// Why a timestamp is not one, kept to a byte so that the verification
/// path gets its result in registers.
#[derive(Clone, Copy)]
enum NotATimestamp {
    Empty,
    NotDigits,
    OutOfRange,
}

impl From<NotATimestamp> for Malformed {
    fn from(reason: NotATimestamp) -> Malformed {
        match reason {
            NotATimestamp::Empty => Malformed::Empty,
            NotATimestamp::NotDigits => Malformed::NotDigits,
            NotATimestamp::OutOfRange => Malformed::OutOfRange,
        }
    }
}

/// The number `text` writes in ASCII digits, nothing else.
fn digits(text: &[u8]) -> Result<u64, NotATimestamp> {
    if text.is_empty() {
        return Err(NotATimestamp::Empty);
    }
    let mut n: u64 = 0;
    // 19 digits always fit in a u64: no overflow check needed up to that.
    let short = text.len() <= 19;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(NotATimestamp::NotDigits);
        }
        n = if short {
            n * 10 + u64::from(digit)
        } else {
            n.checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit)))
                .ok_or(NotATimestamp::OutOfRange)?
        };
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_and_keeps_the_trimmed_text() {
        assert_eq!(
            parse(b" 1764071982\t"),
            Ok((1_764_071_982, &b"1764071982"[..]))
        );
        assert_eq!(parse(b"0"), Ok((0, &b"0"[..])));
        assert_eq!(
            parse(b"18446744073709551615"),
            Ok((u64::MAX, &b"18446744073709551615"[..]))
        );
    }

    #[test]
    fn rejects_extreme_timestamps_without_panic() {
        assert_eq!(parse(b"-9223372036854775808"), Err(Malformed::NotDigits));
        assert_eq!(parse(b"18446744073709551616"), Err(Malformed::OutOfRange));
        assert_eq!(parse(&[b'9'; 4000]), Err(Malformed::OutOfRange));
    }

    #[test]
    fn rejects_anything_but_digits() {
        for bad in [
            &b"+1"[..],
            b"1.5",
            b"1e9",
            b"17 64",
            b"abc",
            b"\xff",
            b"1764071982Z",
        ] {
            assert_eq!(parse(bad), Err(Malformed::NotDigits), "{bad:?}");
        }
        assert_eq!(parse(b""), Err(Malformed::Empty));
        assert_eq!(parse(b" \t "), Err(Malformed::Empty));
    }

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

    #[test]
    fn clocks_before_1970_count_as_zero() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1500)), 1);
    }
}
