//! Making what a sender controls safe to print on a terminal.
//!
//! A payload, a header value or a receiver's error code can hold escape
//! sequences that set the window title, clear the screen, move the cursor
//! to overwrite a verdict, or write the clipboard (OSC 52). Everything a
//! sender controls goes through [`terminal_safe`] before it is printed.

/// How much of a payload `listen` prints.
pub const PAYLOAD_PREVIEW: usize = 4096;

/// `bytes` as one line of text a terminal shows literally: C0 controls
/// (`\n`, `\r`, `\t` and `\xNN`), DEL, C1 controls (`\u{9b}`), the
/// Unicode bidi and line-separator controls, and invalid UTF-8 (`\xNN`,
/// per byte) are written as escapes; everything else is kept.
pub fn terminal_safe(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
        c if is_unsafe_unicode(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c => out.push(c),
    }
}

/// C1 controls (8-bit CSI, OSC, …), bidi overrides and isolates (which
/// reorder what is shown), and the Unicode line and paragraph separators.
fn is_unsafe_unicode(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `N bytes): <payload>` for `payload (…`: at most [`PAYLOAD_PREVIEW`]
/// bytes of it, escaped, saying how much was cut.
pub fn payload_preview(body: &[u8]) -> String {
    if body.len() <= PAYLOAD_PREVIEW {
        return format!("{} bytes): {}", body.len(), terminal_safe(body));
    }
    let shown = char_boundary_before(body, PAYLOAD_PREVIEW);
    format!(
        "{} bytes, first {shown} shown): {} [{} more bytes not shown]",
        body.len(),
        terminal_safe(&body[..shown]),
        body.len() - shown
    )
}

/// `limit`, moved back (by at most 3) so as not to cut a UTF-8 sequence.
fn char_boundary_before(body: &[u8], limit: usize) -> usize {
    let mut cut = limit;
    while cut > limit.saturating_sub(3) && body.get(cut).is_some_and(|b| b & 0xc0 == 0x80) {
        cut -= 1;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invalid_bytes_are_escaped() {
        let text = terminal_safe(b"a\x1b]0;t\x07\r\n\t\x7f\xc2\x9b\xe2\x80\xae\xff\\ \xc3\xa9");
        assert_eq!(text, r"a\x1b]0;t\x07\r\n\t\x7f\u{9b}\u{202e}\xff\ é");
    }

    #[test]
    fn the_preview_is_capped_on_a_character_boundary() {
        let short = payload_preview(b"{}");
        assert_eq!(short, "2 bytes): {}");
        let mut body = vec![b'a'; PAYLOAD_PREVIEW - 1];
        body.extend_from_slice("é and more".as_bytes());
        let long = payload_preview(&body);
        assert!(long.starts_with(&format!("{} bytes, first 4095 shown): aaa", body.len())));
        // "é" straddles the limit: it is left out whole (2 bytes + " and more").
        assert!(
            long.ends_with("a [11 more bytes not shown]"),
            "{}",
            &long[4000..]
        );
    }
}
