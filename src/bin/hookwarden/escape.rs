//! Making what a sender controls safe to print on a terminal.
//!
//! A payload, a header value or a receiver's error code can hold escape
//! sequences that set the window title, clear the screen, move the cursor
//! to overwrite a verdict, or write the clipboard (OSC 52). Everything a
//! sender controls goes through [`terminal_safe`] before it is printed.

/// How much of a payload `listen` prints: 4 KiB of escaped text.
pub const PAYLOAD_PREVIEW: usize = 4096;

/// `bytes` as one line of text a terminal shows literally: C0 controls
/// (`\n`, `\r`, `\t` and `\xNN`), DEL, C1 controls (`\u{9b}`), the
/// Unicode bidi and line-separator controls, and invalid UTF-8 (`\xNN`,
/// per byte) are written as escapes; everything else is kept.
pub fn terminal_safe(bytes: &[u8]) -> String {
    terminal_safe_within(bytes, usize::MAX).0
}

/// As [`terminal_safe`], at most `max` bytes of text: the text, and how
/// many of `bytes` it shows (a character or its escape is never cut).
pub fn terminal_safe_within(bytes: &[u8], max: usize) -> (String, usize) {
    let mut out = String::with_capacity(bytes.len().min(max));
    let mut shown = 0;
    let mut piece = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            piece.clear();
            push_char(&mut piece, c);
            if out.len() + piece.len() > max {
                return (out, shown);
            }
            out.push_str(&piece);
            shown += c.len_utf8();
        }
        for b in chunk.invalid() {
            if out.len() + 4 > max {
                return (out, shown);
            }
            out.push_str(&format!("\\x{b:02x}"));
            shown += 1;
        }
    }
    (out, shown)
}

/// `text` cut to at most `max` bytes, on a character boundary, saying how
/// much was cut.
pub fn capped(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{} [{} more bytes not shown]",
        &text[..cut],
        text.len() - cut
    )
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
/// bytes of escaped text, saying how much of the payload was cut.
pub fn payload_preview(body: &[u8]) -> String {
    let (text, shown) = terminal_safe_within(body, PAYLOAD_PREVIEW);
    if shown == body.len() {
        return format!("{} bytes): {text}", body.len());
    }
    format!(
        "{} bytes, first {shown} shown): {text} [{} more bytes not shown]",
        body.len(),
        body.len() - shown
    )
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

    #[test]
    fn the_preview_caps_the_escaped_text_not_the_payload() {
        // Each byte prints as a 4-character escape: 1024 of them fit.
        let body = vec![0x1b; 10_000];
        let preview = payload_preview(&body);
        let text = preview
            .strip_prefix("10000 bytes, first 1024 shown): ")
            .unwrap();
        let text = text.strip_suffix(" [8976 more bytes not shown]").unwrap();
        assert_eq!(text, "\\x1b".repeat(1024));
        // An escape is never cut: 4095 bytes hold 1023 of them.
        assert_eq!(terminal_safe_within(&body, 4095).1, 1023);
        assert_eq!(
            terminal_safe_within(b"\xff\xfe", 7),
            ("\\xff".to_owned(), 1)
        );
        assert_eq!(capped("abcdé", 5), "abcd [2 more bytes not shown]");
        assert_eq!(capped("abc", 3), "abc");
    }
}
