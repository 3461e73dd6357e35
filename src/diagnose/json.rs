//! JSON as JSON libraries write it, at the byte level: a parse of the
//! received body that keeps every number's and every string's text, then
//! re-writing it as another library would (compact, `", "` separators,
//! pretty-printed; non-ASCII as UTF-8 or as `\u` escapes; keys sorted or
//! not). The body is never turned into a `String`: strings are re-encoded
//! from their bytes.

/// The deepest nesting parsed; deeper input is not treated as JSON.
const MAX_DEPTH: usize = 128;

/// A parsed JSON value, borrowing the body.
#[derive(Debug)]
pub(super) enum Value<'a> {
    /// A number, `true`, `false` or `null`: its text.
    Scalar(&'a [u8]),
    /// A string's content between the quotes, escapes as written.
    Str(&'a [u8]),
    Array(Vec<Value<'a>>),
    Object(Vec<(&'a [u8], Value<'a>)>),
}

/// Why the body is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotJson {
    /// It ends in the middle of a value: it was cut short.
    Truncated,
    /// Anything else.
    Invalid,
}

/// Parses a whole body (surrounding whitespace allowed).
pub(super) fn parse(body: &[u8]) -> Result<Value<'_>, NotJson> {
    let mut p = Parser { text: body, at: 0 };
    p.skip_ws();
    if p.at == body.len() {
        return Err(NotJson::Invalid);
    }
    let value = p.value(0)?;
    p.skip_ws();
    if p.at == body.len() {
        Ok(value)
    } else {
        Err(NotJson::Invalid)
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Result<u8, NotJson> {
        self.text.get(self.at).copied().ok_or(NotJson::Truncated)
    }

    fn expect(&mut self, byte: u8) -> Result<(), NotJson> {
        if self.peek()? == byte {
            self.at += 1;
            Ok(())
        } else {
            Err(NotJson::Invalid)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        if depth > MAX_DEPTH {
            return Err(NotJson::Invalid);
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::Str),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(depth),
            _ => Err(NotJson::Invalid),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<Value<'a>, NotJson> {
        let start = self.at;
        for &b in word {
            self.expect(b)?;
        }
        Ok(Value::Scalar(&self.text[start..self.at]))
    }

    fn number(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        let start = self.at;
        while let Some(b) = self.text.get(self.at) {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.at += 1;
            } else {
                break;
            }
        }
        if self.at == self.text.len() {
            // A number at the very end of a document that is not one: cut.
            return if depth == 0 {
                Ok(Value::Scalar(&self.text[start..]))
            } else {
                Err(NotJson::Truncated)
            };
        }
        Ok(Value::Scalar(&self.text[start..self.at]))
    }

    /// A string's content; the closing quote consumed.
    fn string(&mut self) -> Result<&'a [u8], NotJson> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    self.peek()?;
                    self.at += 1;
                }
                b if b < 0x20 => return Err(NotJson::Invalid),
                _ => self.at += 1,
            }
        }
        let content = &self.text[start..self.at];
        self.at += 1;
        Ok(content)
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(NotJson::Invalid),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, NotJson> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            members.push((key, self.value(depth + 1)?));
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(NotJson::Invalid),
            }
        }
    }
}

/// How strings are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Escapes {
    /// Non-ASCII characters as `\uXXXX` (`Some(upper)`), or as UTF-8 (`None`).
    pub(super) non_ascii: Option<bool>,
    /// `/` as `\/` (PHP).
    pub(super) slash: bool,
    /// `<`, `>`, `&` as `\u003c`… (Go).
    pub(super) html: bool,
}

/// UTF-8 as is, nothing extra escaped (serde_json, JavaScript, Ruby, Java).
pub(super) const RAW: Escapes = Escapes {
    non_ascii: None,
    slash: false,
    html: false,
};

/// Non-ASCII as lower-case `\u` escapes (Python's `ensure_ascii`).
pub(super) const ASCII: Escapes = Escapes {
    non_ascii: Some(false),
    slash: false,
    html: false,
};

/// How values are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// `{"a":1,"b":[1,2]}`
    Compact,
    /// `{"a": 1, "b": [1, 2]}` (Python's default)
    Spaced,
    /// One member per line, indented by this many spaces, `"a": 1`.
    Pretty(u8),
}

/// A library's way of writing JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Style {
    pub(super) layout: Layout,
    pub(super) escapes: Escapes,
}

/// Writes `value` in `style`; `None` past `cap` bytes.
pub(super) fn write(value: &Value<'_>, style: Style, cap: usize) -> Option<Vec<u8>> {
    let mut w = Writer {
        out: Vec::with_capacity(cap.min(1 << 16)),
        style,
        cap,
    };
    w.value(value, 0)?;
    Some(w.out)
}

/// Sorts every object's members by key bytes (the order of code points, as
/// Python's `sort_keys`, Go's maps and serde_json's `Value` have it).
/// Returns whether anything moved.
pub(super) fn sort_keys(value: &mut Value<'_>) -> bool {
    match value {
        Value::Object(members) => {
            let mut moved = !members.windows(2).all(|w| w[0].0 <= w[1].0);
            members.sort_by(|a, b| a.0.cmp(b.0));
            for (_, v) in members.iter_mut() {
                moved |= sort_keys(v);
            }
            moved
        }
        Value::Array(items) => items.iter_mut().fold(false, |m, v| sort_keys(v) | m),
        _ => false,
    }
}

struct Writer {
    out: Vec<u8>,
    style: Style,
    cap: usize,
}

impl Writer {
    fn push(&mut self, bytes: &[u8]) -> Option<()> {
        if self.out.len() + bytes.len() > self.cap {
            return None;
        }
        self.out.extend_from_slice(bytes);
        Some(())
    }

    fn newline(&mut self, depth: usize) -> Option<()> {
        if let Layout::Pretty(indent) = self.style.layout {
            self.push(b"\n")?;
            for _ in 0..depth * usize::from(indent) {
                self.push(b" ")?;
            }
        }
        Some(())
    }

    fn separator(&mut self, depth: usize) -> Option<()> {
        match self.style.layout {
            Layout::Spaced => self.push(b", "),
            Layout::Compact => self.push(b","),
            Layout::Pretty(_) => {
                self.push(b",")?;
                self.newline(depth)
            }
        }
    }

    fn value(&mut self, value: &Value<'_>, depth: usize) -> Option<()> {
        match value {
            Value::Scalar(text) => self.push(text),
            Value::Str(content) => self.string(content),
            Value::Array(items) => {
                self.push(b"[")?;
                if !items.is_empty() {
                    self.newline(depth + 1)?;
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.separator(depth + 1)?;
                        }
                        self.value(item, depth + 1)?;
                    }
                    self.newline(depth)?;
                }
                self.push(b"]")
            }
            Value::Object(members) => {
                self.push(b"{")?;
                if !members.is_empty() {
                    self.newline(depth + 1)?;
                    for (i, (key, item)) in members.iter().enumerate() {
                        if i > 0 {
                            self.separator(depth + 1)?;
                        }
                        self.string(key)?;
                        self.push(if self.style.layout == Layout::Compact {
                            b":"
                        } else {
                            b": "
                        })?;
                        self.value(item, depth + 1)?;
                    }
                    self.newline(depth)?;
                }
                self.push(b"}")
            }
        }
    }

    fn string(&mut self, content: &[u8]) -> Option<()> {
        self.push(b"\"")?;
        let escapes = self.style.escapes;
        let mut out = std::mem::take(&mut self.out);
        let ok = reencode(content, escapes, &mut out, self.cap);
        self.out = out;
        ok?;
        self.push(b"\"")
    }
}

/// Re-encodes a string's content (escapes as written) in `escapes`,
/// appending to `out`; `None` past `cap`. Runs of bytes that stay as they
/// are are copied whole.
pub(super) fn reencode(
    content: &[u8],
    escapes: Escapes,
    out: &mut Vec<u8>,
    cap: usize,
) -> Option<()> {
    let plain = |b: u8| {
        b >= 0x20
            && b != b'"'
            && b != b'\\'
            && !(escapes.slash && b == b'/')
            && !(escapes.html && matches!(b, b'<' | b'>' | b'&'))
            && (b < 0x80 || escapes.non_ascii.is_none())
    };
    let mut i = 0;
    while i < content.len() {
        let run = content[i..]
            .iter()
            .position(|&b| !plain(b))
            .unwrap_or(content.len() - i);
        if run > 0 {
            if out.len() + run > cap {
                return None;
            }
            out.extend_from_slice(&content[i..i + run]);
            i += run;
            continue;
        }
        if out.len() + 12 > cap {
            return None;
        }
        let (c, len) = match content[i] {
            b'\\' => match unescape(&content[i..]) {
                Some(decoded) => decoded,
                None => {
                    // Not an escape we can read: keep its bytes.
                    let end = (i + 2).min(content.len());
                    out.extend_from_slice(&content[i..end]);
                    i = end;
                    continue;
                }
            },
            b if b < 0x80 => (u32::from(b), 1),
            _ => match utf8_char(&content[i..]) {
                Some(decoded) => decoded,
                None => {
                    out.push(content[i]);
                    i += 1;
                    continue;
                }
            },
        };
        write_char(c, escapes, out);
        i += len;
    }
    Some(())
}

/// Appends `\uXXXX`.
fn escape_unit(out: &mut Vec<u8>, unit: u32, upper: bool) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(digits[((unit >> shift) & 0xf) as usize]);
    }
}

/// Writes one code point (a lone surrogate included) as `escapes` says.
fn write_char(c: u32, escapes: Escapes, out: &mut Vec<u8>) {
    let esc = escape_unit;
    match c {
        0x22 => out.extend_from_slice(b"\\\""),
        0x5c => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0d => out.extend_from_slice(b"\\r"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x2f if escapes.slash => out.extend_from_slice(b"\\/"),
        0x3c | 0x3e | 0x26 if escapes.html => esc(out, c, false),
        c if c < 0x20 => esc(out, c, false),
        c if c < 0x80 => out.push(c as u8),
        c => match (escapes.non_ascii, char::from_u32(c)) {
            (Some(upper), _) if c > 0xffff => {
                let v = c - 0x10000;
                esc(out, 0xd800 + (v >> 10), upper);
                esc(out, 0xdc00 + (v & 0x3ff), upper);
            }
            (Some(upper), _) => esc(out, c, upper),
            (None, Some(ch)) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            // A lone surrogate cannot be UTF-8: it stays an escape.
            (None, None) => esc(out, c, false),
        },
    }
}

/// One escape at the start of `text`: its code point (a surrogate pair
/// joined) and length.
fn unescape(text: &[u8]) -> Option<(u32, usize)> {
    let simple = match text.get(1)? {
        b'"' => Some(0x22),
        b'\\' => Some(0x5c),
        b'/' => Some(0x2f),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(0x0a),
        b'r' => Some(0x0d),
        b't' => Some(0x09),
        b'u' => None,
        _ => return None,
    };
    if let Some(c) = simple {
        return Some((c, 2));
    }
    let unit = hex4(text.get(2..6)?)?;
    if (0xd800..0xdc00).contains(&unit) && text.get(6..8) == Some(b"\\u") {
        if let Some(low) = text.get(8..12).and_then(hex4) {
            if (0xdc00..0xe000).contains(&low) {
                return Some((0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), 12));
            }
        }
    }
    Some((unit, 6))
}

fn hex4(text: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(text).ok()?;
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// One UTF-8 character at the start of `bytes`, and its length.
fn utf8_char(bytes: &[u8]) -> Option<(u32, usize)> {
    let len = match bytes[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(bytes.get(..len)?)
        .ok()?
        .chars()
        .next()?;
    Some((u32::from(c), len))
}

/// The body with every string re-encoded in `escapes` and everything else
/// (whitespace, numbers, key order) kept byte for byte; `None` past `cap`
/// or when the body is not JSON.
pub(super) fn reencode_strings(body: &[u8], escapes: Escapes, cap: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            let next = body[i..]
                .iter()
                .position(|&b| b == b'"')
                .map_or(body.len(), |p| i + p);
            out.extend_from_slice(&body[i..next]);
            i = next;
            continue;
        }
        let mut end = i + 1;
        loop {
            match body.get(end)? {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        out.push(b'"');
        reencode(&body[i + 1..end], escapes, &mut out, cap)?;
        out.push(b'"');
        i = end + 1;
        if out.len() > cap {
            return None;
        }
    }
    Some(out)
}

/// Whether any string of the body holds a non-ASCII character, raw or
/// escaped (`\u0080` and above).
pub(super) fn has_non_ascii(body: &[u8]) -> bool {
    body.iter().any(|&b| b >= 0x80)
        || body
            .windows(6)
            .any(|w| w[0] == b'\\' && w[1] == b'u' && hex4(&w[2..]).is_some_and(|u| u >= 0x80))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn styled(body: &[u8], layout: Layout, escapes: Escapes, sort: bool) -> String {
        let mut v = parse(body).unwrap();
        if sort {
            sort_keys(&mut v);
        }
        String::from_utf8(write(&v, Style { layout, escapes }, usize::MAX).unwrap()).unwrap()
    }

    #[test]
    fn writes_as_the_libraries_do() {
        let body =
            "{ \"b\" : [1, 2.50, {}], \"a\": \"caf\\u00e9 \u{1f600}/<\",\"c\":[] }".as_bytes();
        // serde_json::to_string of the same value (keys in this order).
        assert_eq!(
            styled(body, Layout::Compact, RAW, false),
            "{\"b\":[1,2.50,{}],\"a\":\"caf\u{e9} \u{1f600}/<\",\"c\":[]}"
        );
        // Python's json.dumps(value) (ensure_ascii, ", " and ": ").
        assert_eq!(
            styled(body, Layout::Spaced, ASCII, false),
            "{\"b\": [1, 2.50, {}], \"a\": \"caf\\u00e9 \\ud83d\\ude00/<\", \"c\": []}"
        );
        // serde_json::to_string_pretty / JSON.stringify(v, null, 2), keys sorted.
        assert_eq!(
            styled(body, Layout::Pretty(2), RAW, true),
            "{\n  \"a\": \"caf\u{e9} \u{1f600}/<\",\n  \"b\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"c\": []\n}"
        );
        let php = Escapes {
            slash: true,
            ..ASCII
        };
        assert_eq!(
            styled(b"[\"a/b\"]", Layout::Compact, php, false),
            "[\"a\\/b\"]"
        );
        let go = Escapes { html: true, ..RAW };
        assert_eq!(
            styled(b"[\"<&>\"]", Layout::Compact, go, false),
            "[\"\\u003c\\u0026\\u003e\"]"
        );
    }

    #[test]
    fn tells_truncated_from_invalid() {
        assert_eq!(parse(b"{\"a\": [1, 2").unwrap_err(), NotJson::Truncated);
        assert_eq!(parse(b"{\"a\": \"x").unwrap_err(), NotJson::Truncated);
        assert_eq!(parse(b"{\"a\": 12").unwrap_err(), NotJson::Truncated);
        assert_eq!(parse(b"{\"a\" 1}").unwrap_err(), NotJson::Invalid);
        assert_eq!(parse(b"hello").unwrap_err(), NotJson::Invalid);
        assert_eq!(parse(b"").unwrap_err(), NotJson::Invalid);
        assert!(parse(b"12").is_ok());
        let deep = [&[b'['; 200][..], &[b']'; 200][..]].concat();
        assert_eq!(parse(&deep).unwrap_err(), NotJson::Invalid);
    }

    #[test]
    fn re_encodes_strings_only() {
        let body = "{\"n\" :  \"caf\u{e9}\"}".as_bytes();
        let escaped = reencode_strings(body, ASCII, usize::MAX).unwrap();
        assert_eq!(escaped, b"{\"n\" :  \"caf\\u00e9\"}");
        assert_eq!(reencode_strings(&escaped, RAW, usize::MAX).unwrap(), body);
        assert!(reencode_strings(b"[\"open", RAW, usize::MAX).is_none());
        assert!(write(
            &parse(b"[1,2,3]").unwrap(),
            Style {
                layout: Layout::Pretty(4),
                escapes: RAW
            },
            8
        )
        .is_none());
    }
}
