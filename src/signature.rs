//! Parsing the signature header into candidate digests, without allocating
//! for one or two entries.

use std::fmt;

use crate::error::Malformed;
use crate::SchemeKind;

/// Most signature entries read from the signature header(s) of one request,
/// all instances of the header together. Bounds the work an attacker can cause.
pub const MAX_ENTRIES: usize = 16;

/// Longest signature header value accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;

/// Length of an HMAC-SHA256 digest in bytes.
pub const DIGEST_LEN: usize = 32;

/// The signature entries of one request, parsed with the rules the
/// [`Verifier`](crate::Verifier) applies: entries separated by commas and/or
/// whitespace, entries with another prefix ignored, hex in either case,
/// exactly 32 bytes, at most [`MAX_ENTRIES`] entries in all and
/// [`MAX_HEADER_LEN`] bytes per value. Up to two digests are kept inline:
/// parsing a header with one or two entries does not allocate.
///
/// ```
/// use hookguard::{signature::Signatures, SchemeKind};
/// let value = format!("v2=ignored, v1={}", "ab".repeat(32));
/// let parsed = Signatures::parse([value.as_bytes()], SchemeKind::Mittr)?;
/// assert_eq!(parsed.len(), 1);
/// # Ok::<(), hookguard::Malformed>(())
/// ```
#[derive(Clone)]
pub struct Signatures(Candidates);

impl Signatures {
    /// Parses every value of the signature header, in order.
    ///
    /// # Errors
    /// The first rule broken; [`Malformed::NoSignature`] when no entry has
    /// the scheme's prefix.
    pub fn parse<'a>(
        values: impl IntoIterator<Item = &'a [u8]>,
        kind: SchemeKind,
    ) -> Result<Self, Malformed> {
        let prefix = kind.signature_prefix();
        let mut candidates = Candidates::new();
        for value in values {
            candidates.parse_value(value, prefix.as_bytes())?;
        }
        candidates.finish(prefix)?;
        Ok(Signatures(candidates))
    }

    /// How many entries had the scheme's prefix (at least 1, at most [`MAX_ENTRIES`]).
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Always `false` for a successfully parsed header.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The decoded digests, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8; DIGEST_LEN]> {
        self.0.as_slice().iter()
    }
}

impl fmt::Debug for Signatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signatures")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The digests found in the signature header(s): the first two inline (one
/// entry, or two during a rotation: no allocation), more in a vector.
#[derive(Clone)]
pub(crate) struct Candidates {
    inline: [[u8; DIGEST_LEN]; INLINE],
    spill: Vec<[u8; DIGEST_LEN]>,
    len: usize,
    entries: usize,
}

/// Digests kept without allocating.
const INLINE: usize = 2;

impl Candidates {
    pub(crate) const fn new() -> Self {
        Candidates {
            inline: [[0; DIGEST_LEN]; INLINE],
            spill: Vec::new(),
            len: 0,
            entries: 0,
        }
    }

    /// The digests with the scheme's prefix.
    pub(crate) fn as_slice(&self) -> &[[u8; DIGEST_LEN]] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    fn push(&mut self, digest: [u8; DIGEST_LEN]) {
        if self.len < INLINE {
            self.inline[self.len] = digest;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(digest);
        }
        self.len += 1;
    }

    /// Reads one value of the signature header.
    ///
    /// Entries are separated by commas and/or whitespace. Entries that start
    /// with `prefix` must hold exactly 64 hex digits (either case); others,
    /// such as a future `v2=`, are ignored. Call [`Candidates::finish`] after
    /// the last value.
    pub(crate) fn parse_value(&mut self, value: &[u8], prefix: &[u8]) -> Result<(), Malformed> {
        if value.len() > MAX_HEADER_LEN {
            return Err(Malformed::TooLong {
                limit: MAX_HEADER_LEN,
            });
        }
        let tokens = value
            .split(|b| matches!(b, b',' | b' ' | b'\t'))
            .filter(|t| !t.is_empty());
        for token in tokens {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(Malformed::TooManyEntries { limit: MAX_ENTRIES });
            }
            let Some(hex) = token.strip_prefix(prefix) else {
                continue;
            };
            self.push(decode_digest(hex)?);
        }
        Ok(())
    }

    /// Fails when no entry had the scheme's prefix.
    pub(crate) fn finish(&self, prefix: &'static str) -> Result<(), Malformed> {
        if self.len == 0 {
            Err(Malformed::NoSignature { prefix })
        } else {
            Ok(())
        }
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

/// Decodes 64 hex digits (either case) into a digest.
fn decode_digest(hex: &[u8]) -> Result<[u8; DIGEST_LEN], Malformed> {
    if hex.len() != DIGEST_LEN * 2 {
        return Err(if hex.iter().all(u8::is_ascii_hexdigit) {
            Malformed::WrongLength { found: hex.len() }
        } else {
            Malformed::InvalidHex
        });
    }
    let mut out = [0u8; DIGEST_LEN];
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
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "f510c5a0a56d977bdbb1abc55b09d505a26dabc53fc63213e60df332175426b6";
    const OTHER: &str = "672a3a2667a4ea89f017f674292eb02a57b79e413827bab03f50cc4fa0553023";

    fn parse(values: &[&str], prefix: &'static str) -> Result<Vec<String>, Malformed> {
        let kind = if prefix == "v1=" {
            SchemeKind::Mittr
        } else {
            SchemeKind::Mitpo
        };
        let parsed = Signatures::parse(values.iter().map(|v| v.as_bytes()), kind)?;
        assert_eq!(parsed.len(), parsed.iter().count());
        Ok(parsed.iter().map(hex::encode).collect())
    }

    #[test]
    fn reads_a_single_entry() {
        assert_eq!(parse(&[&format!("v1={HEX}")], "v1=").unwrap(), [HEX]);
    }

    #[test]
    fn keeps_every_entry_not_only_the_last() {
        let got = parse(&[&format!("v1={HEX},v1={OTHER} v1={HEX}")], "v1=").unwrap();
        assert_eq!(got, [HEX, OTHER, HEX]);
    }

    #[test]
    fn reads_several_header_instances_together() {
        let got = parse(&[&format!("v1={HEX}"), &format!("v1={OTHER}")], "v1=").unwrap();
        assert_eq!(got, [HEX, OTHER]);
    }

    #[test]
    fn accepts_mixed_separators_and_surrounding_whitespace() {
        let got = parse(&[&format!(" ,\tv1={HEX} , ,v1={OTHER}\t")], "v1=").unwrap();
        assert_eq!(got, [HEX, OTHER]);
    }

    #[test]
    fn hex_is_case_insensitive() {
        let got = parse(&[&format!("sha256={}", HEX.to_uppercase())], "sha256=").unwrap();
        assert_eq!(got, [HEX]);
    }

    #[test]
    fn ignores_other_versions() {
        let got = parse(&[&format!("v0=zz v2={OTHER} v1={HEX}")], "v1=").unwrap();
        assert_eq!(got, [HEX]);
    }

    #[test]
    fn rejects_a_header_with_only_other_versions() {
        assert_eq!(
            parse(&[&format!("sha256={HEX}")], "v1="),
            Err(Malformed::NoSignature { prefix: "v1=" })
        );
        assert_eq!(
            parse(&[HEX], "sha256="),
            Err(Malformed::NoSignature { prefix: "sha256=" })
        );
    }

    #[test]
    fn rejects_only_separators() {
        assert_eq!(
            parse(&[" , ,, "], "v1="),
            Err(Malformed::NoSignature { prefix: "v1=" })
        );
        assert_eq!(
            parse(&[""], "v1="),
            Err(Malformed::NoSignature { prefix: "v1=" })
        );
    }

    #[test]
    fn rejects_truncated_signature() {
        assert_eq!(
            parse(&[&format!("v1={}", &HEX[..62])], "v1="),
            Err(Malformed::WrongLength { found: 62 })
        );
        assert_eq!(
            parse(&["v1="], "v1="),
            Err(Malformed::WrongLength { found: 0 })
        );
    }

    #[test]
    fn rejects_overlong_and_odd_length_signatures() {
        assert_eq!(
            parse(&[&format!("v1={HEX}ab")], "v1="),
            Err(Malformed::WrongLength { found: 66 })
        );
        assert_eq!(
            parse(&[&format!("v1={}", &HEX[..63])], "v1="),
            Err(Malformed::WrongLength { found: 63 })
        );
    }

    #[test]
    fn rejects_non_hex_signature() {
        assert_eq!(
            parse(&[&format!("v1={}", "z".repeat(64))], "v1="),
            Err(Malformed::InvalidHex)
        );
        assert_eq!(
            parse(
                &["sha256=VthJucs8pWCVXwHWm5ccd1aZzzKCahZ05pFm3W57PKQ="],
                "sha256="
            ),
            Err(Malformed::InvalidHex)
        );
        // A bad entry poisons the header even when a good one is present.
        assert_eq!(
            parse(&[&format!("v1=xyz,v1={HEX}")], "v1="),
            Err(Malformed::InvalidHex)
        );
    }

    #[test]
    fn hex_decoding_agrees_with_the_hex_crate_on_every_digit_pair() {
        let digits = b"0123456789abcdefABCDEFgG/:@`";
        for &a in digits {
            for &b in digits {
                let text = [a, b].repeat(DIGEST_LEN);
                let ours = decode_digest(&text).ok();
                let reference = hex::decode(&text).ok();
                assert_eq!(ours.map(|d| d.to_vec()), reference, "{}", a as char);
            }
        }
    }

    #[test]
    fn caps_the_number_of_entries() {
        let sixteen = vec![format!("v1={HEX}"); MAX_ENTRIES].join(",");
        assert_eq!(parse(&[&sixteen], "v1=").unwrap().len(), MAX_ENTRIES);
        let seventeen = format!("{sixteen},v2=x");
        assert_eq!(
            parse(&[&seventeen], "v1="),
            Err(Malformed::TooManyEntries { limit: MAX_ENTRIES })
        );
        // The cap holds across header instances too.
        let values = vec![format!("v1={HEX}"); MAX_ENTRIES + 1];
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(
            parse(&refs, "v1="),
            Err(Malformed::TooManyEntries { limit: MAX_ENTRIES })
        );
    }

    #[test]
    fn caps_the_header_length() {
        let long = format!("v1={HEX}{}", " ".repeat(MAX_HEADER_LEN));
        assert_eq!(
            parse(&[&long], "v1="),
            Err(Malformed::TooLong {
                limit: MAX_HEADER_LEN
            })
        );
    }
}
