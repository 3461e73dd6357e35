//! [`TimestampFormat`]: how a scheme writes its timestamp (read and written
//! in [`timestamp`](crate::timestamp)).

/// How a scheme writes its timestamp. Whatever the format, freshness is
/// checked to the second, and the timestamp is signed as the text received.
///
/// ```
/// use hookwarden::timestamp::TimestampFormat;
///
/// assert_eq!(TimestampFormat::UnixMillis.read(b"1764071982123"), Ok(1_764_071_982));
/// assert_eq!(TimestampFormat::Rfc3339.read(b"2025-11-25T11:59:42Z"), Ok(1_764_071_982));
/// assert_eq!(TimestampFormat::Rfc3339.write(1_764_071_982), "2025-11-25T11:59:42Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TimestampFormat {
    /// Unix seconds in ASCII digits (most providers): the default.
    #[default]
    UnixSeconds,
    /// Unix milliseconds in ASCII digits (Webflow), compared to
    /// the clock in whole seconds (rounded down).
    UnixMillis,
    /// An RFC 3339 date-time (Twitch, Zendesk): `2026-12-08T10:00:00Z`,
    /// with an optional fraction of a second (dropped) and `Z` or an
    /// offset `±hh:mm`.
    Rfc3339,
}
