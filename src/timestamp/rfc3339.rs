//! RFC 3339 date-times (`2026-12-08T10:00:00Z`, `…T10:00:00.123456789+01:00`)
//! read to unix seconds and written from them, without a calendar crate:
//! the proleptic Gregorian day count of Howard Hinnant's `days_from_civil`.

use super::NotATimestamp;

/// Longest fraction of a second read (Twitch sends nanoseconds).
const MAX_FRACTION_DIGITS: usize = 18;

/// Unix seconds of `text`, the fraction dropped: `YYYY-MM-DD`, `T` (or
/// `t`), `hh:mm:ss`, an optional `.` and digits, then `Z` (or `z`) or an
/// offset `±hh:mm`. Nothing else, no surrounding space; before 1970 is out
/// of range.
pub(super) fn seconds(text: &[u8]) -> Result<u64, NotATimestamp> {
    if text.is_empty() {
        return Err(NotATimestamp::Empty);
    }
    let bad = NotATimestamp::NotRfc3339;
    if text.len() < 20 || !matches!(text[10], b'T' | b't') {
        return Err(bad);
    }
    let year = number(text, 0, 4, b'-')?;
    let month = number(text, 5, 2, b'-')?;
    let day = number(text, 8, 2, b'T')?;
    let hour = number(text, 11, 2, b':')?;
    let minute = number(text, 14, 2, b':')?;
    let second = number(text, 17, 2, 0)?;
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    if !valid {
        return Err(bad);
    }
    let offset = offset_seconds(skip_fraction(&text[19..])?)?;
    let local =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    u64::try_from(local - offset).map_err(|_| NotATimestamp::OutOfRange)
}

/// `text` for unix `seconds`, in UTC to the second (`2026-12-08T10:00:00Z`);
/// years past 9999 are written as the last second of 9999.
pub(super) fn render(seconds: u64) -> String {
    const LAST: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let seconds = seconds.min(LAST);
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    let in_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

/// The `width` digits at `at`, followed by `then` (0: anything follows).
fn number(text: &[u8], at: usize, width: usize, then: u8) -> Result<u32, NotATimestamp> {
    let digits = text.get(at..at + width).ok_or(NotATimestamp::NotRfc3339)?;
    let follows = text.get(at + width).copied();
    let separator_ok = match then {
        0 => true,
        b'T' => matches!(follows, Some(b'T' | b't')),
        _ => follows == Some(then),
    };
    if !separator_ok || !digits.iter().all(u8::is_ascii_digit) {
        return Err(NotATimestamp::NotRfc3339);
    }
    Ok(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// What follows the seconds once an optional `.digits` is skipped.
fn skip_fraction(rest: &[u8]) -> Result<&[u8], NotATimestamp> {
    let Some(fraction) = rest.strip_prefix(b".") else {
        return Ok(rest);
    };
    let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > MAX_FRACTION_DIGITS {
        return Err(NotATimestamp::NotRfc3339);
    }
    Ok(&fraction[digits..])
}

/// The offset `Z` or `±hh:mm`, in seconds east of UTC, ending the text.
fn offset_seconds(zone: &[u8]) -> Result<i64, NotATimestamp> {
    let sign = match zone {
        [b'Z' | b'z'] => return Ok(0),
        [b'+', ..] => 1,
        [b'-', ..] => -1,
        _ => return Err(NotATimestamp::NotRfc3339),
    };
    if zone.len() != 6 {
        return Err(NotATimestamp::NotRfc3339);
    }
    let hours = number(zone, 1, 2, b':')?;
    let minutes = number(zone, 4, 2, 0)?;
    if hours > 23 || minutes > 59 {
        return Err(NotATimestamp::NotRfc3339);
    }
    Ok(sign * i64::from(hours * 3600 + minutes * 60))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (negative before it).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01 (`days` ≥ 0).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_providers_send() {
        // Zendesk, Twitch (nanoseconds), an offset, lower case.
        assert_eq!(seconds(b"2021-07-25T10:00:00Z"), Ok(1_627_207_200));
        assert_eq!(
            seconds(b"2019-11-16T10:11:12.634234626Z"),
            Ok(1_573_899_072)
        );
        assert_eq!(seconds(b"2021-07-25T12:00:00+02:00"), Ok(1_627_207_200));
        assert_eq!(seconds(b"2021-07-25t07:30:00-02:30"), Ok(1_627_207_200));
        assert_eq!(seconds(b"1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(seconds(b"2024-02-29T23:59:60Z"), Ok(1_709_251_200));
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            &b"2021-07-25 10:00:00Z"[..],
            b"2021-07-25T10:00:00",
            b"2021-07-25T10:00Z",
            b"2021-13-01T00:00:00Z",
            b"2023-02-29T00:00:00Z",
            b"2021-07-25T24:00:00Z",
            b"2021-07-25T10:00:00.Z",
            b"2021-07-25T10:00:00+0200",
            b"2021-07-25T10:00:00Z ",
            b"+2021-07-25T10:00:00Z",
            b"1627207200",
            b"2021-07-25T10:00:00.1234567890123456789Z",
        ] {
            assert_eq!(seconds(bad), Err(NotATimestamp::NotRfc3339), "{bad:?}");
        }
        assert_eq!(seconds(b""), Err(NotATimestamp::Empty));
        assert_eq!(
            seconds(b"1969-12-31T23:59:59Z"),
            Err(NotATimestamp::OutOfRange)
        );
    }

    #[test]
    fn writes_what_it_reads() {
        for t in [
            0,
            1_627_207_200,
            1_709_251_199,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(seconds(render(t).as_bytes()), Ok(t), "{t}");
        }
        assert_eq!(render(1_627_207_200), "2021-07-25T10:00:00Z");
        assert_eq!(render(u64::MAX), "9999-12-31T23:59:59Z");
    }
}
