//! [`Timestamp`]: a MITPO payload's `timestamp`, RFC 3339.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A MITPO payload's `timestamp`, as sent (RFC 3339, such as
/// `2026-03-22T10:30:00Z`), and the instant it names when it parses.
///
/// It is part of the signed body (unlike the `X-MITPO-Timestamp` header).
/// Text that is not RFC 3339 is kept rather than refused: [`as_str`](Self::as_str)
/// gives it, and the accessors of the instant give `None`. Offsets and
/// fractions of a second are honoured; a space instead of the `T` (which
/// RFC 3339 allows) is accepted too.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    instant: Option<OffsetDateTime>,
}

impl Timestamp {
    /// Reads `text`: the instant it names, if it is RFC 3339.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let instant = parse(&text);
        Timestamp { text, instant }
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the text is RFC 3339.
    pub fn is_valid(&self) -> bool {
        self.instant.is_some()
    }

    /// The instant, in seconds since the Unix epoch (negative before it).
    pub fn unix_seconds(&self) -> Option<i64> {
        Some(self.instant?.unix_timestamp())
    }

    /// The instant as a [`SystemTime`], when the platform can represent it.
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let nanos = self.instant?.unix_timestamp_nanos();
        let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).ok()?);
        if nanos >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

fn parse(text: &str) -> Option<OffsetDateTime> {
    if let Ok(instant) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(instant);
    }
    // RFC 3339 (5.6, note) lets a space stand for the `T`.
    let (date, time) = (text.get(..10)?, text.get(10..)?);
    let time = time.strip_prefix(' ')?;
    OffsetDateTime::parse(&format!("{date}T{time}"), &Rfc3339).ok()
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.text).finish()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Timestamp::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_form_offsets_and_fractions() {
        let cases = [
            ("2026-03-22T10:30:00Z", 1_774_175_400),
            ("2026-03-22t10:30:00z", 1_774_175_400),
            ("2026-03-22T12:30:00+02:00", 1_774_175_400),
            ("2026-03-22T10:30:00.123456Z", 1_774_175_400),
            ("2026-03-22 10:30:00Z", 1_774_175_400),
            ("1969-12-31T23:59:59Z", -1),
        ];
        for (text, unix) in cases {
            let timestamp = Timestamp::new(text);
            assert_eq!(timestamp.unix_seconds(), Some(unix), "{text}");
            assert!(timestamp.to_system_time().is_some(), "{text}");
            assert_eq!(timestamp.as_str(), text);
        }
        let fraction = Timestamp::new("2026-03-22T10:30:00.5Z");
        let since = fraction
            .to_system_time()
            .unwrap()
            .duration_since(UNIX_EPOCH);
        assert_eq!(since.unwrap(), Duration::from_millis(1_774_175_400_500));
    }

    #[test]
    fn keeps_what_is_not_rfc_3339_without_an_instant() {
        for text in [
            "",
            "yesterday",
            "1774175400",
            "2026-03-22",
            "2026-03-22T10:30:00",
            "2026-13-40T99:99:99Z",
            "2026-03-22\u{a0}10:30:00Z",
            "9999-12-31T23:59:60+23:59 and more",
        ] {
            let timestamp = Timestamp::new(text);
            assert!(!timestamp.is_valid(), "{text}");
            assert_eq!(timestamp.unix_seconds(), None);
            assert_eq!(timestamp.to_system_time(), None);
            assert_eq!(timestamp.as_str(), text);
        }
    }

    #[test]
    fn extreme_years_never_panic() {
        for text in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"] {
            let timestamp = Timestamp::new(text);
            assert!(timestamp.is_valid(), "{text}");
            let _ = timestamp.to_system_time();
        }
    }
}
