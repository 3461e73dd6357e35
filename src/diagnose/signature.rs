//! The signature as written: hex where the scheme writes base64 (or the
//! reverse), letters whose case changed, another algorithm recognized by
//! its length, another label or version, several values where one is
//! expected. Each is confirmed against the signature recomputed over the
//! scheme's own message: nothing of it is ever shown.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::cause::LikelyCause;
use super::key::{equal, Keyed};
use super::limits::Budget;
use crate::scheme::{Algorithm, Encoding, EntryShape, Scheme};

/// Most tokens looked at, all values together.
const MAX_TOKENS: usize = 64;
/// Longest value decoded (a hex HMAC-SHA512 is 128 characters).
const MAX_VALUE: usize = 200;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const BASE64: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// The ways `value` decodes.
fn decodings(value: &[u8]) -> Vec<(Encoding, Vec<u8>)> {
    let mut out = Vec::new();
    if value.is_empty() || value.len() > MAX_VALUE {
        return out;
    }
    if let Ok(bytes) = hex::decode(value) {
        out.push((Encoding::Hex, bytes));
    }
    if let Ok(bytes) = BASE64.decode(value).or_else(|_| BASE64_URL.decode(value)) {
        out.push((Encoding::Base64, bytes));
    }
    out
}

/// What an entry's label looked like, if it is printable and short.
fn shown_label(label: &[u8], separator: u8) -> String {
    let ok = label.len() <= 16
        && label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        format!(
            "{}{}",
            String::from_utf8_lossy(label),
            char::from(separator)
        )
    } else {
        String::new()
    }
}

/// Splits a token at the first `=`, `,` or `:`.
fn generic_label(token: &[u8]) -> Option<(&[u8], u8, &[u8])> {
    let at = token.iter().position(|b| matches!(b, b'=' | b',' | b':'))?;
    Some((&token[..at], token[at], &token[at + 1..]))
}

/// Explains a signature that is right but written wrong, for `key` over
/// `message`; `None` when none of these explains it. Costs one HMAC, plus
/// one per other algorithm a value's length suggests.
pub(super) fn explain(
    scheme: &Scheme,
    values: &[&[u8]],
    key: &Keyed,
    message: &[&[u8]],
    budget: &mut Budget,
) -> Option<LikelyCause> {
    let tag = key.tag(message)?;
    let tag = tag.as_bytes();
    let label = scheme.methods()[usize::from(key.method())]
        .label()
        .as_bytes();
    let entries = entries(scheme, values);
    // The decoded lengths seen, for the other algorithms' check.
    let mut lengths = Vec::new();
    for &entry in &entries {
        let cause = match own_value(scheme, label, entry) {
            Some(value) => written_wrong(scheme, value, tag, &mut lengths),
            None => other_label(scheme, entry, tag, &mut lengths),
        };
        if cause.is_some() {
            return cause;
        }
    }
    several_entries(scheme, values, label, tag)
        .or_else(|| other_algorithm(&entries, key, message, &lengths, budget))
}

/// The entries of the signature header values, by the scheme's delimiters
/// (each whole value, trimmed, when it has none).
fn entries<'v>(scheme: &Scheme, values: &[&'v [u8]]) -> Vec<&'v [u8]> {
    let delimiters = scheme.signature_format().delimiters();
    if delimiters.is_empty() {
        values.iter().map(|v| crate::timestamp::trim(v)).collect()
    } else {
        values
            .iter()
            .flat_map(|v| v.split(|b| delimiters.contains(b)))
            .filter(|t| !t.is_empty())
            .take(MAX_TOKENS)
            .collect()
    }
}

/// The value of `entry` if it is written under the method's own `label`
/// (or, for a scheme without labels, does not look labeled).
fn own_value<'e>(scheme: &Scheme, label: &[u8], entry: &'e [u8]) -> Option<&'e [u8]> {
    match scheme.signature_format().label_separator() {
        Some(sep) => entry
            .iter()
            .position(|&b| b == sep)
            .filter(|&at| &entry[..at] == label)
            .map(|at| &entry[at + 1..]),
        None => Some(entry).filter(
            |e| !matches!(generic_label(e), Some((l, _, v)) if !l.is_empty() && v.len() > 2),
        ),
    }
}

/// The right signature under the right label, in the other encoding or
/// with its letters' case changed.
fn written_wrong(
    scheme: &Scheme,
    value: &[u8],
    tag: &[u8],
    lengths: &mut Vec<usize>,
) -> Option<LikelyCause> {
    let expected = scheme.signature_format().value_encoding();
    for (encoding, bytes) in decodings(value) {
        lengths.push(bytes.len());
        if encoding != expected && equal(&bytes, tag) {
            return Some(LikelyCause::SignatureEncoding {
                found: encoding,
                expected,
            });
        }
    }
    if expected == Encoding::Base64 {
        let right = STANDARD.encode(tag);
        let folded = |t: &[u8]| t.to_ascii_lowercase();
        if !equal(value, right.as_bytes()) && equal(&folded(value), &folded(right.as_bytes())) {
            return Some(LikelyCause::SignatureCaseChanged);
        }
    }
    None
}

/// The right signature under another label (or none where the scheme
/// writes one).
fn other_label(
    scheme: &Scheme,
    entry: &[u8],
    tag: &[u8],
    lengths: &mut Vec<usize>,
) -> Option<LikelyCause> {
    let (found, value) = match generic_label(entry) {
        Some((l, sep, v)) => (shown_label(l, sep), v),
        None => (String::new(), entry),
    };
    for (_, bytes) in decodings(value) {
        lengths.push(bytes.len());
        if equal(&bytes, tag) {
            let expected = EntryShape::signature(scheme).to_string();
            return Some(LikelyCause::SignatureLabel { found, expected });
        }
    }
    None
}

/// The right signature among several values in a header the scheme reads
/// as one (a proxy joined repeated headers).
fn several_entries(
    scheme: &Scheme,
    values: &[&[u8]],
    label: &[u8],
    tag: &[u8],
) -> Option<LikelyCause> {
    let format = scheme.signature_format();
    if !format.delimiters().is_empty() {
        return None;
    }
    for value in values {
        let parts: Vec<&[u8]> = value
            .split(|b| matches!(b, b',' | b' ' | b';' | b'\t'))
            .filter(|p| !p.is_empty())
            .take(MAX_TOKENS)
            .collect();
        if parts.len() < 2 {
            continue;
        }
        for part in &parts {
            let value = match format.label_separator() {
                Some(sep) => match part.iter().position(|&b| b == sep) {
                    Some(at) if &part[..at] == label => &part[at + 1..],
                    _ => continue,
                },
                None => part,
            };
            if decodings(value).iter().any(|(_, b)| equal(b, tag)) {
                return Some(LikelyCause::SignatureSeveralEntries {
                    entries: parts.len(),
                });
            }
        }
    }
    None
}

/// A signature made with another algorithm, tried only where a decoded
/// value has that algorithm's length.
fn other_algorithm(
    entries: &[&[u8]],
    key: &Keyed,
    message: &[&[u8]],
    lengths: &[usize],
    budget: &mut Budget,
) -> Option<LikelyCause> {
    for other in [Algorithm::HmacSha1, Algorithm::HmacSha512] {
        if other == key.algorithm || !lengths.contains(&other.signature_len()) || !budget.spend() {
            continue;
        }
        let Some(other_tag) = key.tag_with(other, message) else {
            continue;
        };
        let hit = entries.iter().any(|&entry| {
            let value = generic_label(entry).map_or(entry, |(_, _, v)| v);
            decodings(value)
                .iter()
                .any(|(_, b)| equal(b, other_tag.as_bytes()))
        });
        if hit {
            return Some(LikelyCause::SignatureAlgorithm {
                found: other,
                expected: key.algorithm,
            });
        }
    }
    None
}
