//! The signed message: an ordered list of parts that ends with the raw body.

use std::borrow::Cow;

use http::HeaderName;

/// One part of the signed message.
///
/// The message is the concatenation of its parts, and always ends with
/// [`Part::Body`] (the body is streamed; what precedes it is known once the
/// headers are read). For example Mittr signs
/// `[Timestamp, Literal("."), Body]`, Slack `[Literal("v0:"), Timestamp,
/// Literal(":"), Body]`, Standard Webhooks `[DeliveryId, Literal("."),
/// Timestamp, Literal("."), Body]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// Fixed bytes, such as a separator.
    Literal(Cow<'static, [u8]>),
    /// The timestamp's text as received (ASCII digits, trimmed).
    Timestamp,
    /// The delivery id's text as received (trimmed).
    DeliveryId,
    /// The value of another header as received (trimmed; exactly one
    /// value, visible ASCII).
    Header(HeaderName),
    /// The raw body. Last, and only last.
    Body,
}

impl Part {
    /// A literal part.
    pub fn literal(bytes: impl Into<Cow<'static, [u8]>>) -> Self {
        Part::Literal(bytes.into())
    }

    /// `"."`, the separator most providers use.
    pub const DOT: Part = Part::Literal(Cow::Borrowed(b"."));
}
