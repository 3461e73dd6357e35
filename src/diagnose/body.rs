//! The body between the provider and the handler: a byte-order mark,
//! trailing newlines and whitespace, line endings, Latin-1 and UTF-8 mixed
//! up. Each variant is a byte transformation of the received body standing
//! for what the provider may have signed.

use std::borrow::Cow;

use super::cause::LikelyCause;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Variants that are the received body cut at some length with some bytes
/// appended: `(cut, suffix, cause)`. One HMAC pass covers them all.
pub(super) fn cut_variants(body: &[u8]) -> Vec<(usize, &'static [u8], LikelyCause)> {
    let n = body.len();
    let mut out = Vec::new();
    if body.ends_with(b"\r\n") {
        out.push((
            n - 2,
            &b""[..],
            LikelyCause::TrailingNewline { added: true },
        ));
    }
    if body.ends_with(b"\n") {
        out.push((
            n - 1,
            &b""[..],
            LikelyCause::TrailingNewline { added: true },
        ));
    }
    out.push((n, &b"\n"[..], LikelyCause::TrailingNewline { added: false }));
    out.push((
        n,
        &b"\r\n"[..],
        LikelyCause::TrailingNewline { added: false },
    ));
    let trimmed = body.trim_ascii_end().len();
    if trimmed < n
        && !out
            .iter()
            .any(|(cut, s, _)| *cut == trimmed && s.is_empty())
    {
        out.push((
            trimmed,
            &b""[..],
            LikelyCause::BodyWhitespace { added: true },
        ));
    }
    out
}

/// The other variants, each a new body, in the order they are tried.
pub(super) fn variants(body: &[u8]) -> Vec<(Cow<'_, [u8]>, LikelyCause)> {
    let mut out: Vec<(Cow<'_, [u8]>, LikelyCause)> = Vec::new();
    match body.strip_prefix(BOM) {
        Some(rest) => out.push((Cow::Borrowed(rest), LikelyCause::BodyBom { added: true })),
        None => out.push((
            Cow::Owned([BOM, body].concat()),
            LikelyCause::BodyBom { added: false },
        )),
    }
    let start = body.len() - body.trim_ascii_start().len();
    if start > 0 && start < body.len() {
        out.push((
            Cow::Borrowed(&body[start..]),
            LikelyCause::BodyWhitespace { added: true },
        ));
        let both = body.trim_ascii();
        if both.len() + start < body.len() {
            out.push((
                Cow::Borrowed(both),
                LikelyCause::BodyWhitespace { added: true },
            ));
        }
    }
    if body.windows(2).any(|w| w == b"\r\n") {
        out.push((
            Cow::Owned(replace(body, b"\r\n", b"\n")),
            LikelyCause::LineEndingsChanged { to_crlf: true },
        ));
    }
    if has_bare_lf(body) {
        let lf = replace(body, b"\r\n", b"\n");
        out.push((
            Cow::Owned(replace(&lf, b"\n", b"\r\n")),
            LikelyCause::LineEndingsChanged { to_crlf: false },
        ));
    }
    if let Some((bytes, signed_as)) = charset_variant(body) {
        out.push((Cow::Owned(bytes), LikelyCause::BodyCharset { signed_as }));
    }
    out
}

fn has_bare_lf(body: &[u8]) -> bool {
    body.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || body[i - 1] != b'\r'))
}

/// Latin-1 and UTF-8 mixed up: the received body read back into the
/// bytes it came from.
fn charset_variant(body: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    if body.is_ascii() {
        return None;
    }
    match std::str::from_utf8(body) {
        // Received as UTF-8 after a Latin-1 decoding: every character is
        // one Latin-1 byte.
        Ok(text) => {
            let bytes: Option<Vec<u8>> = text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect();
            let bytes = bytes?;
            let signed_as = if std::str::from_utf8(&bytes).is_ok() {
                "UTF-8"
            } else {
                "Latin-1"
            };
            Some((bytes, signed_as))
        }
        // Received as Latin-1 bytes of a UTF-8 text.
        Err(_) => {
            let text: String = body.iter().map(|&b| char::from(b)).collect();
            Some((text.into_bytes(), "UTF-8"))
        }
    }
}

/// Replaces every `from` with `to`.
pub(super) fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + haystack.len() / 16);
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// Whether the body holds U+FFFD, the mark of a lossy UTF-8 decoding.
pub(super) fn has_replacement_characters(body: &[u8]) -> bool {
    body.windows(3).any(|w| w == "\u{FFFD}".as_bytes())
}
