//! Reading a timestamp header value: unix seconds in ASCII digits, or as a
//! scheme's [`TimestampFormat`] says. The clock and the freshness window
//! are in [`time`](crate::time).

use crate::error::Malformed;
pub use crate::scheme::TimestampFormat;

mod rfc3339;

// The reading and writing of each format live here, with the rest of the
// timestamp's text; the scheme only names the format.
impl TimestampFormat {
    /// Reads a timestamp header value in this format, after trimming spaces
    /// and tabs: unix seconds.
    ///
    /// # Errors
    /// [`Malformed::Empty`], [`Malformed::NotDigits`],
    /// [`Malformed::NotRfc3339`] or [`Malformed::OutOfRange`].
    pub fn read(self, value: &[u8]) -> Result<u64, Malformed> {
        self.parse(value).map(|(n, _)| n)
    }

    /// The text a signer writes for unix `seconds` (milliseconds: the
    /// second's first, at most `u64::MAX`; RFC 3339: UTC, to the second, at
    /// most the last second of 9999).
    pub fn write(self, seconds: u64) -> String {
        match self {
            TimestampFormat::UnixSeconds => seconds.to_string(),
            // Saturated: past u64::MAX milliseconds, the largest one.
            TimestampFormat::UnixMillis => seconds.saturating_mul(1000).to_string(),
            TimestampFormat::Rfc3339 => rfc3339::render(seconds),
        }
    }

    /// Unix seconds and the trimmed text (which schemes sign as is).
    pub(crate) fn parse(self, value: &[u8]) -> Result<(u64, &[u8]), Malformed> {
        let text = trim(value);
        let seconds = match self {
            TimestampFormat::UnixSeconds => digits(text),
            TimestampFormat::UnixMillis => digits(text).map(|ms| ms / 1000),
            TimestampFormat::Rfc3339 => rfc3339::seconds(text),
        };
        seconds.map(|n| (n, text)).map_err(Malformed::from)
    }
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
    TimestampFormat::UnixSeconds.parse(value)
}

/// Why a timestamp is not one, kept to a byte so that the verification
/// path gets its result in registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotATimestamp {
    Empty,
    NotDigits,
    NotRfc3339,
    OutOfRange,
}

impl From<NotATimestamp> for Malformed {
    fn from(reason: NotATimestamp) -> Malformed {
        match reason {
            NotATimestamp::Empty => Malformed::Empty,
            NotATimestamp::NotDigits => Malformed::NotDigits,
            NotATimestamp::NotRfc3339 => Malformed::NotRfc3339,
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
}
