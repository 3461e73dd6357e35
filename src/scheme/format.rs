//! How a signature header writes its entries: the separators, the label
//! before each value, the value's encoding, and what an entry that cannot
//! be decoded means; and [`EntryShape`], what an entry looks like, for messages.

use std::borrow::Cow;
use std::fmt;

use super::Scheme;

/// How a signature value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// Hexadecimal, either case (`v1=5257a8…`).
    Hex,
    /// Standard base64 with padding (`v1,g0hM9S…=`).
    Base64,
}

/// What an entry that carries a known label but an unusable value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnInvalid {
    /// The header is malformed: 400 `malformed_header`, whatever the other
    /// entries say (Mittr, MITPO).
    Malformed,
    /// The entry simply cannot match: if no other entry matches, 401
    /// `signature_mismatch` (Stripe's `v1=potato` beside a valid entry).
    NoMatch,
}

/// The layout of a signature header's entries.
///
/// Built from one of the constructors, then adjusted:
///
/// ```
/// use hookwarden::scheme::{Encoding, OnInvalid, SignatureFormat};
///
/// // `sig=<base64>; sig=<base64>`
/// let format = SignatureFormat::labeled(b'=', "; ")
///     .encoding(Encoding::Base64)
///     .on_undecodable(OnInvalid::NoMatch);
/// assert_eq!(format.label_separator(), Some(b'='));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignatureFormat {
    pub(crate) delimiters: Cow<'static, [u8]>,
    pub(crate) delimiter_set: ByteSet,
    pub(crate) label: Option<u8>,
    pub(crate) encoding: Encoding,
    pub(crate) undecodable: OnInvalid,
    pub(crate) wrong_length: OnInvalid,
}

impl SignatureFormat {
    /// Entries `<label><separator><value>`, split on any byte of
    /// `delimiters` (empty: the whole value is one entry). Hex values; an
    /// entry that is not hex, or not the algorithm's length, makes the
    /// header malformed.
    pub fn labeled(separator: u8, delimiters: impl Into<Cow<'static, str>>) -> Self {
        let delimiters = bytes_of(delimiters.into());
        SignatureFormat {
            delimiter_set: ByteSet::of(&delimiters),
            delimiters,
            label: Some(separator),
            encoding: Encoding::Hex,
            undecodable: OnInvalid::Malformed,
            wrong_length: OnInvalid::Malformed,
        }
    }

    /// Values without a label, split on any byte of `delimiters` (empty:
    /// the whole value is one entry). Every value is for the scheme's first
    /// signing method. Hex values, malformed when they are not.
    pub fn bare(delimiters: impl Into<Cow<'static, str>>) -> Self {
        SignatureFormat {
            label: None,
            ..SignatureFormat::labeled(b'=', delimiters)
        }
    }

    /// Sets how values are encoded (default hex).
    #[must_use]
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Sets what a value that does not decode means (default malformed).
    #[must_use]
    pub fn on_undecodable(mut self, policy: OnInvalid) -> Self {
        self.undecodable = policy;
        self
    }

    /// Sets what a value of the wrong length for its algorithm means
    /// (default malformed).
    #[must_use]
    pub fn on_wrong_length(mut self, policy: OnInvalid) -> Self {
        self.wrong_length = policy;
        self
    }

    /// The bytes that separate entries.
    pub fn delimiters(&self) -> &[u8] {
        &self.delimiters
    }

    /// The byte between an entry's label and its value; `None` for bare values.
    pub fn label_separator(&self) -> Option<u8> {
        self.label
    }

    /// How values are encoded.
    pub fn value_encoding(&self) -> Encoding {
        self.encoding
    }

    /// Where the next delimiter is in `hay` (memchr for up to three
    /// delimiters, as every preset has).
    pub(crate) fn next_delimiter(&self, hay: &[u8]) -> Option<usize> {
        match *self.delimiters {
            [a] => memchr::memchr(a, hay),
            [a, b] => memchr::memchr2(a, b, hay),
            [a, b, c] => memchr::memchr3(a, b, c, hay),
            _ => hay.iter().position(|&b| self.delimiter_set.contains(b)),
        }
    }

    /// The delimiter a signer writes between entries (the first of the
    /// delimiters, or a comma when there are none).
    pub(crate) fn joiner(&self) -> u8 {
        self.delimiters.first().copied().unwrap_or(b',')
    }
}

fn bytes_of(text: Cow<'static, str>) -> Cow<'static, [u8]> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// A set of bytes, tested in one step (the delimiters, on the hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    fn of(bytes: &[u8]) -> Self {
        let mut set = [0u64; 4];
        for &b in bytes {
            set[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        ByteSet(set)
    }

    #[inline]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// What an entry must look like, for messages: `v1=<hex>`, `t=<unix seconds>`.
///
/// Kept small (15 bytes, `Copy`) so that the errors holding one stay
/// cheap to move on the verification path; a label longer than 12 bytes
/// is shown cut, with `…`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EntryShape {
    label: [u8; LABEL_SHOWN],
    /// The label's length, with [`CUT`] set when it was longer.
    len: u8,
    separator: u8,
    value: ValueShape,
}

/// Label bytes an [`EntryShape`] keeps.
const LABEL_SHOWN: usize = 12;

/// Marks a label cut to [`LABEL_SHOWN`] bytes.
const CUT: u8 = 0x80;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueShape {
    Hex,
    Base64,
    UnixSeconds,
}

impl EntryShape {
    fn new(label: &str, separator: Option<u8>, value: ValueShape) -> Self {
        let mut shape = EntryShape {
            label: [0; LABEL_SHOWN],
            len: 0,
            separator: separator.unwrap_or(0),
            value,
        };
        let mut end = label.len().min(LABEL_SHOWN);
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        shape.label[..end].copy_from_slice(&label.as_bytes()[..end]);
        shape.len = end as u8 | if end < label.len() { CUT } else { 0 };
        shape
    }

    /// The shape of a signature entry of `scheme`'s first method.
    pub(crate) fn signature(scheme: &Scheme) -> Self {
        let format = scheme.signature_format();
        let value = match format.value_encoding() {
            Encoding::Hex => ValueShape::Hex,
            _ => ValueShape::Base64,
        };
        match format.label_separator() {
            Some(sep) => EntryShape::new(scheme.methods()[0].label(), Some(sep), value),
            None => EntryShape::new("", None, value),
        }
    }

    /// The shape of a timestamp entry labeled `label` (Stripe's `t=`).
    pub(crate) fn timestamp(label: &str, separator: Option<u8>) -> Self {
        EntryShape::new(label, separator, ValueShape::UnixSeconds)
    }
}

impl fmt::Display for EntryShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = usize::from(self.len & !CUT);
        f.write_str(std::str::from_utf8(&self.label[..len]).unwrap_or("?"))?;
        if self.len & CUT != 0 {
            f.write_str("…")?;
        }
        if self.separator != 0 {
            write!(f, "{}", char::from(self.separator))?;
        }
        f.write_str(match self.value {
            ValueShape::Hex => "<hex>",
            ValueShape::Base64 => "<base64>",
            ValueShape::UnixSeconds => "<unix seconds>",
        })
    }
}

impl fmt::Debug for EntryShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}
