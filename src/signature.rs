//! Reading the signature header into candidate signatures, by the rules of
//! the scheme's [`SignatureFormat`](crate::scheme::SignatureFormat), without
//! allocating for one or two entries.

use std::fmt;

use base64::Engine as _;

use crate::error::Malformed;
use crate::scheme::{Encoding, EntryShape, OnInvalid, Scheme};

/// Most entries read from the signature header(s) of one request, all
/// values together. Bounds the work an attacker can cause.
pub const MAX_ENTRIES: usize = 16;

/// Most asymmetric (Ed25519) entries read from one request: each costs a
/// pass over the body per public key.
pub const MAX_ASYMMETRIC_ENTRIES: usize = 4;

/// Longest signature header value accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;

/// Longest signature, in bytes (HMAC-SHA512, Ed25519).
pub const MAX_SIGNATURE_LEN: usize = 64;

/// The signature entries of one request, parsed with the rules the
/// [`Verifier`](crate::Verifier) applies for `scheme`. Up to two entries are
/// kept inline: parsing a header with one or two entries does not allocate.
///
/// ```
/// use hookwarden::{signature::Signatures, Scheme};
/// let value = format!("v2=ignored, v1={}", "ab".repeat(32));
/// let parsed = Signatures::parse([value.as_bytes()], &Scheme::mittr())?;
/// assert_eq!(parsed.len(), 1);
/// # Ok::<(), hookwarden::Malformed>(())
/// ```
#[derive(Clone)]
pub struct Signatures(Candidates);

impl Signatures {
    /// Parses every value of the signature header, in order. A timestamp
    /// entry (Stripe's `t=`) is skipped, not checked.
    ///
    /// # Errors
    /// The first rule broken; [`Malformed::NoSignature`] when no entry is
    /// labeled with one of the scheme's methods.
    pub fn parse<'a>(
        values: impl IntoIterator<Item = &'a [u8]>,
        scheme: &Scheme,
    ) -> Result<Self, Malformed> {
        let mut candidates = Candidates::new();
        let mut reader = EntryReader::new(scheme, &mut candidates);
        for value in values {
            reader.read(value)?;
        }
        reader.finish()?;
        Ok(Signatures(candidates))
    }

    /// How many entries were labeled with one of the scheme's methods
    /// (decodable or not).
    pub fn len(&self) -> usize {
        self.0.labeled
    }

    /// Always `false` for a successfully parsed header.
    pub fn is_empty(&self) -> bool {
        self.0.labeled == 0
    }

    /// The decoded signatures, in order, each with the index of its method.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.0
            .as_slice()
            .iter()
            .map(|c| (usize::from(c.method), c.bytes()))
    }
}

impl fmt::Debug for Signatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signatures")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// One decoded signature and the index of its method.
#[derive(Clone, Copy)]
pub(crate) struct Candidate {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: u8,
    pub(crate) method: u8,
}

impl Candidate {
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

const EMPTY: Candidate = Candidate {
    bytes: [0; MAX_SIGNATURE_LEN],
    len: 0,
    method: 0,
};

/// The decoded signatures: the first two inline (one entry, or two during
/// a rotation: no allocation), more in a vector.
#[derive(Clone)]
pub(crate) struct Candidates {
    inline: [Candidate; INLINE],
    spill: Vec<Candidate>,
    kept: usize,
    /// Entries labeled with a method, decodable or not.
    pub(crate) labeled: usize,
}

/// Signatures kept without allocating.
const INLINE: usize = 2;

impl Candidates {
    pub(crate) const fn new() -> Self {
        Candidates {
            inline: [EMPTY; INLINE],
            spill: Vec::new(),
            kept: 0,
            labeled: 0,
        }
    }

    pub(crate) fn as_slice(&self) -> &[Candidate] {
        if self.spill.is_empty() {
            &self.inline[..self.kept]
        } else {
            &self.spill
        }
    }

    /// Decodes the next candidate in place with `decode`; kept only if it succeeds.
    fn try_push(
        &mut self,
        decode: impl FnOnce(&mut Candidate) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        let decoded = if self.kept < INLINE {
            decode(&mut self.inline[self.kept])
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            let mut candidate = EMPTY;
            let decoded = decode(&mut candidate);
            self.spill.push(candidate);
            decoded.inspect_err(|_| {
                self.spill.pop();
            })
        };
        decoded.map(|()| self.kept += 1)
    }
}

/// Reads the values of a signature header into [`Candidates`], and the
/// timestamp entry of schemes that write one there.
pub(crate) struct EntryReader<'s, 'a, 'c> {
    scheme: &'s Scheme,
    candidates: &'c mut Candidates,
    entries: usize,
    asymmetric: usize,
    timestamp: Option<&'a [u8]>,
    timestamp_seen: usize,
}

impl<'s, 'a, 'c> EntryReader<'s, 'a, 'c> {
    pub(crate) fn new(scheme: &'s Scheme, candidates: &'c mut Candidates) -> Self {
        EntryReader {
            scheme,
            candidates,
            entries: 0,
            asymmetric: 0,
            timestamp: None,
            timestamp_seen: 0,
        }
    }

    /// Reads one value of the signature header.
    pub(crate) fn read(&mut self, value: &'a [u8]) -> Result<(), Malformed> {
        if value.len() > MAX_HEADER_LEN {
            return Err(Malformed::TooLong {
                limit: MAX_HEADER_LEN,
            });
        }
        let format = &self.scheme.format;
        if format.delimiters.is_empty() {
            let whole = crate::timestamp::trim(value);
            return if whole.is_empty() {
                Ok(())
            } else {
                self.entry(whole)
            };
        }
        let mut rest = value;
        loop {
            let start = rest.iter().position(|&b| !format.delimiter_set.contains(b));
            let Some(start) = start else { return Ok(()) };
            rest = &rest[start..];
            let end = format.next_delimiter(rest).unwrap_or(rest.len());
            self.entry(&rest[..end])?;
            rest = &rest[end..];
        }
    }

    fn entry(&mut self, token: &'a [u8]) -> Result<(), Malformed> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(Malformed::TooManyEntries { limit: MAX_ENTRIES });
        }
        let Some(separator) = self.scheme.format.label else {
            return self.signature(0, token);
        };
        let Some(at) = token.iter().position(|&b| b == separator) else {
            return Ok(()); // no label: not an entry of this scheme
        };
        let (label, value) = (&token[..at], &token[at + 1..]);
        if let Some(method) = self.method_labeled(label) {
            return self.signature(method, value);
        }
        if self.is_timestamp_label(label) {
            self.timestamp_seen += 1;
            self.timestamp = Some(value);
        }
        Ok(())
    }

    fn method_labeled(&self, label: &[u8]) -> Option<usize> {
        let methods = &self.scheme.methods;
        methods.iter().position(|m| same(m.label.as_bytes(), label))
    }

    fn is_timestamp_label(&self, label: &[u8]) -> bool {
        matches!(
            &self.scheme.timestamp,
            Some(crate::scheme::TimestampSource::Entry(l)) if same(l.as_bytes(), label)
        )
    }

    fn signature(&mut self, method: usize, text: &[u8]) -> Result<(), Malformed> {
        self.candidates.labeled += 1;
        let algorithm = self.scheme.methods[method].algorithm;
        if algorithm == crate::scheme::Algorithm::Ed25519 {
            self.asymmetric += 1;
            if self.asymmetric > MAX_ASYMMETRIC_ENTRIES {
                return Err(Malformed::TooManyEntries {
                    limit: MAX_ASYMMETRIC_ENTRIES,
                });
            }
        }
        let format = &self.scheme.format;
        let len = algorithm.signature_len();
        let decoded = self.candidates.try_push(|candidate| {
            candidate.method = method as u8;
            candidate.len = len as u8;
            decode(format.encoding, text, &mut candidate.bytes[..len])
        });
        match decoded {
            Ok(()) => Ok(()),
            Err(reason) => {
                let policy = match reason {
                    Malformed::WrongLength { .. } => format.wrong_length,
                    _ => format.undecodable,
                };
                match policy {
                    OnInvalid::NoMatch => Ok(()),
                    _ => Err(reason),
                }
            }
        }
    }

    /// The timestamp entry's value, if the scheme has one.
    ///
    /// # Errors
    /// [`Malformed::NoSignature`] when no entry had a method's label;
    /// [`Malformed::NoTimestampEntry`] / [`Malformed::RepeatedEntry`] for a
    /// missing or repeated timestamp entry.
    pub(crate) fn finish(self) -> Result<Option<&'a [u8]>, Malformed> {
        if let Some(crate::scheme::TimestampSource::Entry(label)) = &self.scheme.timestamp {
            let expected = EntryShape::timestamp(label, self.scheme.format.label);
            match self.timestamp_seen {
                0 => return Err(Malformed::NoTimestampEntry { expected }),
                1 => {}
                _ => return Err(Malformed::RepeatedEntry { expected }),
            }
        }
        if self.candidates.labeled == 0 {
            return Err(Malformed::NoSignature {
                expected: EntryShape::signature(self.scheme),
            });
        }
        Ok(self.timestamp)
    }
}

/// Whether two short labels are equal (a loop beats a `memcmp` call here).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Decodes one signature value into `out`, which has its length.
fn decode(encoding: Encoding, text: &[u8], out: &mut [u8]) -> Result<(), Malformed> {
    match encoding {
        Encoding::Hex => decode_hex(text, out),
        _ => decode_base64(text, out),
    }
}

/// Hex digit values; 0xFF marks a byte that is not a hex digit.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Decodes `2 * out.len()` hex digits (either case) into `out`.
fn decode_hex(hex: &[u8], out: &mut [u8]) -> Result<(), Malformed> {
    if hex.len() != out.len() * 2 {
        return Err(if hex.iter().all(u8::is_ascii_hexdigit) {
            Malformed::WrongLength {
                found: hex.len() as u32,
                expected: out.len() as u32 * 2,
            }
        } else {
            Malformed::InvalidHex
        });
    }
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = HEX_VALUES[usize::from(pair[0])];
        let lo = HEX_VALUES[usize::from(pair[1])];
        invalid |= hi | lo;
        *byte = (hi << 4) | (lo & 0x0F);
    }
    if invalid & 0xF0 != 0 {
        return Err(Malformed::InvalidHex);
    }
    Ok(())
}

/// Decodes padded standard base64 of exactly `out.len()` bytes into `out`.
fn decode_base64(text: &[u8], out: &mut [u8]) -> Result<(), Malformed> {
    let expected = out.len().div_ceil(3) * 4;
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if text.len() != expected {
        return Err(if text.iter().all(alphabet) {
            Malformed::WrongLength {
                found: text.len() as u32,
                expected: expected as u32,
            }
        } else {
            Malformed::InvalidBase64
        });
    }
    let mut buf = [0u8; MAX_SIGNATURE_LEN + 2];
    match base64::engine::general_purpose::STANDARD.decode_slice(text, &mut buf) {
        Ok(n) if n == out.len() => {
            out.copy_from_slice(&buf[..n]);
            Ok(())
        }
        _ => Err(Malformed::InvalidBase64),
    }
}

#[cfg(test)]
mod tests;
