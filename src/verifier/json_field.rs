//! One field of a JSON body, named by a [`JsonPointer`], read without
//! building a tree: a single pass that validates the whole document (as
//! `serde_json` would: UTF-8, the grammar, escapes and surrogate pairs, at
//! most 127 levels of nesting) and skips every value off the pointer's
//! path. No recursion (nesting is tracked in a fixed 128-bit stack) and no
//! allocation. One difference: numbers are checked against the grammar
//! only, so a literal beyond `f64`'s range (`1e999`), which `serde_json`
//! refuses, is accepted here (a body carrying one is keyed by its field
//! rather than by its message; a number id is keyed by its literal text).
//!
//! As `serde_json::Value::pointer` on the parsed body: of duplicate names
//! the last counts (its value replaces the earlier one's, and whatever was
//! found beneath it); an array is indexed by a token of decimal digits
//! without leading zeros; a pointer into a scalar finds nothing.

use crate::scheme::{token_bytes, JsonPointer};

/// Deepest nesting accepted, as `serde_json`'s recursion limit.
const MAX_DEPTH: usize = 127;

/// What the pointer names in a valid JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    /// A string: the bytes between its quotes, escapes not decoded, and
    /// whether it has any.
    Str { raw: &'a [u8], escaped: bool },
    /// A number's literal text.
    Num(&'a [u8]),
}

/// Why there is no id to key on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// The pointer names nothing.
    Absent,
    /// It names an object, an array, a boolean or `null`.
    NotAnId,
    /// The body is not valid JSON.
    Invalid,
}

impl Miss {
    /// For logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Miss::Absent => "the field is missing",
            Miss::NotAnId => "the field is not a string or a number",
            Miss::Invalid => "the body is not JSON",
        }
    }
}

/// The value `pointer` names in `body`.
pub(crate) fn find<'a>(body: &'a [u8], pointer: &JsonPointer) -> Result<Field<'a>, Miss> {
    // All of it once, ASCII the quick way: the walk then takes any byte of
    // 0x80 and above inside a string as part of a valid character.
    if !body.is_ascii() && std::str::from_utf8(body).is_err() {
        return Err(Miss::Invalid);
    }
    let mut walk = Walk {
        b: body,
        i: 0,
        pointer,
        tokens: token_count(pointer),
        stack: [0; 2],
        depth: 0,
        on_path: 0,
        index: 0,
        token_level: usize::MAX,
        token: "",
        token_tilde: false,
        found: Err(Miss::Absent),
    };
    match walk.run() {
        Some(()) => walk.found,
        None => Err(Miss::Invalid),
    }
}

/// What a value is to the pointer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Off the path.
    Skip,
    /// On the path, above the field: descend into it.
    Descend,
    /// The field itself.
    Leaf,
}

struct Walk<'a, 'p> {
    b: &'a [u8],
    i: usize,
    pointer: &'p JsonPointer,
    tokens: usize,
    /// One bit per open container: set for an object, clear for an array.
    stack: [u64; 2],
    depth: usize,
    /// How many of the open containers are on the pointer's path (they are
    /// the outermost ones).
    on_path: usize,
    /// The index of the current element in the innermost container, when it
    /// is an array on the path (`usize::MAX` once past the one named).
    index: usize,
    /// The pointer's token at `token_level` (a container's depth, counted
    /// from 1), kept from one member to the next.
    token_level: usize,
    token: &'p str,
    /// Whether `token` has a `~` escape.
    token_tilde: bool,
    found: Result<Field<'a>, Miss>,
}

impl<'a, 'p> Walk<'a, 'p> {
    fn run(&mut self) -> Option<()> {
        // The root is on the path: the pointer has at least one token.
        let mut role = if self.tokens == 0 {
            Role::Leaf
        } else {
            Role::Descend
        };
        loop {
            self.skip_ws();
            let opened = self.value(role)?;
            if opened {
                self.skip_ws();
                let close = if self.is_object() { b'}' } else { b']' };
                if self.peek() == Some(close) {
                    self.i += 1;
                    self.close();
                } else {
                    role = self.first_member()?;
                    continue;
                }
            }
            // After a value: a comma and the next member, or the end of
            // containers, or the end of the document.
            loop {
                self.skip_ws();
                if self.depth == 0 {
                    return (self.i == self.b.len()).then_some(());
                }
                let close = if self.is_object() { b'}' } else { b']' };
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        role = self.next_member()?;
                        break;
                    }
                    c if c == close => {
                        self.i += 1;
                        self.close();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// Reads one value; `true` when it opened a container (its members
    /// follow).
    fn value(&mut self, role: Role) -> Option<bool> {
        let start = self.i;
        match self.peek()? {
            c @ (b'{' | b'[') => {
                self.i += 1;
                if self.depth >= MAX_DEPTH {
                    return None;
                }
                let (word, bit) = (self.depth / 64, self.depth % 64);
                if c == b'{' {
                    self.stack[word] |= 1 << bit;
                } else {
                    self.stack[word] &= !(1 << bit);
                }
                self.depth += 1;
                match role {
                    Role::Descend => {
                        self.on_path += 1;
                        self.index = 0;
                    }
                    Role::Leaf => self.found = Err(Miss::NotAnId),
                    Role::Skip => {}
                }
                return Some(true);
            }
            b'"' => {
                let escaped = self.string()?;
                if role == Role::Leaf {
                    let raw = &self.b[start + 1..self.i - 1];
                    self.found = Ok(Field::Str { raw, escaped });
                }
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                if role == Role::Leaf {
                    self.found = Ok(Field::Num(&self.b[start..self.i]));
                }
            }
            b't' => self.literal(b"true", role)?,
            b'f' => self.literal(b"false", role)?,
            b'n' => self.literal(b"null", role)?,
            _ => return None,
        }
        Some(false)
    }

    fn is_object(&self) -> bool {
        let top = self.depth - 1;
        self.stack[top / 64] & (1 << (top % 64)) != 0
    }

    fn close(&mut self) {
        if self.on_path == self.depth {
            self.on_path -= 1;
            // Back in the container that held it: past the member named.
            self.index = usize::MAX;
        }
        self.depth -= 1;
    }

    /// The first member of the container just opened.
    fn first_member(&mut self) -> Option<Role> {
        self.member()
    }

    /// The member after a comma.
    fn next_member(&mut self) -> Option<Role> {
        if !self.is_object() && self.on_path == self.depth {
            self.index = self.index.saturating_add(1);
        }
        self.skip_ws();
        self.member()
    }

    /// An array's next element, or an object's next name and colon: what
    /// the value that follows is to the pointer.
    fn member(&mut self) -> Option<Role> {
        let on_path = self.on_path == self.depth;
        let matched = if self.is_object() {
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.i + 1;
            let escaped = self.string()?;
            let name = &self.b[start..self.i - 1];
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            on_path && self.name_matches(name, escaped)
        } else {
            on_path && self.index_matches()
        };
        if !matched {
            return Some(Role::Skip);
        }
        if self.depth == self.tokens {
            Some(Role::Leaf)
        } else {
            // A later duplicate replaces whatever the earlier one held.
            self.found = Err(Miss::Absent);
            Some(Role::Descend)
        }
    }

    /// The token the members of the innermost container are matched
    /// against.
    fn token(&mut self) -> &'p str {
        if self.token_level != self.depth {
            self.token_level = self.depth;
            self.token = nth_token(self.pointer, self.depth - 1);
            self.token_tilde = self.token.contains('~');
        }
        self.token
    }

    fn name_matches(&mut self, name: &[u8], escaped: bool) -> bool {
        let token = self.token();
        if !escaped && !self.token_tilde {
            return name == token.as_bytes();
        }
        Unescaped::new(name).eq(token_bytes(token))
    }

    fn index_matches(&mut self) -> bool {
        let token = self.token().as_bytes();
        let digits = !token.is_empty() && token.iter().all(u8::is_ascii_digit);
        if !digits || (token.len() > 1 && token[0] == b'0') {
            return false;
        }
        std::str::from_utf8(token)
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            == Some(self.index)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// `true`, `false` or `null`: never an id.
    fn literal(&mut self, word: &[u8], role: Role) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        if self.b.get(self.i..end)? != word {
            return None;
        }
        self.i = end;
        if role == Role::Leaf {
            self.found = Err(Miss::NotAnId);
        }
        Some(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    /// A string, from its opening quote to past its closing one; whether it
    /// has escapes. Control characters and invalid escapes (a lone
    /// surrogate included) make it invalid. (UTF-8 is checked once for the
    /// whole body, before the walk.)
    fn string(&mut self) -> Option<bool> {
        let b = self.b;
        let mut i = self.i + 1;
        let mut escaped = false;
        loop {
            // Eight bytes at a time up to the first that needs attention
            // (past the end, the padding's zeros count as controls).
            let flags = specials(word_at(b, i));
            if flags == 0 {
                i += 8;
                continue;
            }
            i += (flags.trailing_zeros() / 8) as usize;
            match *b.get(i)? {
                b'"' => {
                    self.i = i + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    i = escape_end(b, i)?;
                }
                _ => return None, // a control character
            }
        }
    }
}

/// How many tokens `pointer` has (as [`JsonPointer::depth`]).
fn token_count(pointer: &JsonPointer) -> usize {
    match pointer.as_str().as_bytes() {
        [b'/', rest @ ..] => 1 + rest.iter().filter(|&&c| c == b'/').count(),
        _ => pointer.depth(),
    }
}

/// The `n`th token of `pointer` as written (as [`JsonPointer::raw_token`]),
/// empty when there is none.
fn nth_token(pointer: &JsonPointer, n: usize) -> &str {
    let Some(mut rest) = pointer.as_str().strip_prefix('/') else {
        return pointer.raw_token(n).unwrap_or_default();
    };
    for _ in 0..n {
        match rest.bytes().position(|c| c == b'/') {
            Some(at) => rest = &rest[at + 1..],
            None => return "",
        }
    }
    let end = rest.bytes().position(|c| c == b'/').unwrap_or(rest.len());
    &rest[..end]
}

/// The eight bytes of `b` from `at`, little-endian, zeros past its end.
#[inline(always)]
fn word_at(b: &[u8], at: usize) -> u64 {
    match b.get(at..at.wrapping_add(8)) {
        Some(chunk) => {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        }
        None => {
            let rest = b.get(at..).unwrap_or_default();
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(word)
        }
    }
}

/// The high bit of each byte of `x` that is a `"`, a `\\` or a control
/// character (below 0x20), and possibly of bytes after the first such
/// (the borrows of the subtractions run upwards): its lowest set bit is
/// always exact. Bytes of 0x80 and above (UTF-8) are never flagged.
#[inline(always)]
fn specials(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    (x.wrapping_sub(ONES * 0x20) & !x
        | quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash)
        & HIGHS
}

/// Where the escape starting at `at` (a backslash) ends, if it is valid.
fn escape_end(b: &[u8], at: usize) -> Option<usize> {
    match *b.get(at + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(at + 2),
        b'u' => {
            let unit = hex4(b, at + 2)?;
            match unit {
                0xD800..=0xDBFF => {
                    if b.get(at + 6..at + 8)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(b, at + 8)?;
                    (0xDC00..=0xDFFF).contains(&low).then_some(at + 12)
                }
                0xDC00..=0xDFFF => None,
                _ => Some(at + 6),
            }
        }
        _ => None,
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u16> {
    let digits: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    let mut value = 0u16;
    for d in digits {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        value = value << 4 | u16::from(v);
    }
    Some(value)
}

/// The bytes of a string's text (between its quotes, already validated),
/// escapes decoded, as UTF-8.
pub(crate) struct Unescaped<'a> {
    raw: &'a [u8],
    i: usize,
    pending: [u8; 4],
    pending_at: usize,
    pending_len: usize,
}

impl<'a> Unescaped<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        Unescaped {
            raw,
            i: 0,
            pending: [0; 4],
            pending_at: 0,
            pending_len: 0,
        }
    }

    /// The decoded text in pieces: runs of the raw text without escapes,
    /// and each escape's character. Feeds `sink` without allocating.
    pub(crate) fn for_each_piece(raw: &[u8], mut sink: impl FnMut(&[u8])) {
        let mut i = 0;
        while i < raw.len() {
            let run = raw[i..]
                .iter()
                .position(|b| *b == b'\\')
                .unwrap_or(raw.len() - i);
            if run > 0 {
                sink(&raw[i..i + run]);
                i += run;
                continue;
            }
            let (c, next) = decode_escape(raw, i);
            let mut buf = [0u8; 4];
            sink(c.encode_utf8(&mut buf).as_bytes());
            i = next;
        }
    }
}

/// The character of the escape at `at` and where it ends; U+FFFD for an
/// invalid one (never met: strings are validated first).
fn decode_escape(raw: &[u8], at: usize) -> (char, usize) {
    let simple = |c| (c, at + 2);
    match raw.get(at + 1) {
        Some(b'"') => simple('"'),
        Some(b'\\') => simple('\\'),
        Some(b'/') => simple('/'),
        Some(b'b') => simple('\u{8}'),
        Some(b'f') => simple('\u{c}'),
        Some(b'n') => simple('\n'),
        Some(b'r') => simple('\r'),
        Some(b't') => simple('\t'),
        Some(b'u') => {
            let Some(unit) = hex4(raw, at + 2) else {
                return (char::REPLACEMENT_CHARACTER, raw.len());
            };
            if (0xD800..=0xDBFF).contains(&unit) {
                if let Some(low) = hex4(raw, at + 8) {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    return (
                        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                        at + 12,
                    );
                }
            }
            (
                char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                at + 6,
            )
        }
        _ => (char::REPLACEMENT_CHARACTER, raw.len()),
    }
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.pending_at < self.pending_len {
            self.pending_at += 1;
            return Some(self.pending[self.pending_at - 1]);
        }
        let b = *self.raw.get(self.i)?;
        if b != b'\\' {
            self.i += 1;
            return Some(b);
        }
        let (c, next) = decode_escape(self.raw, self.i);
        self.i = next;
        self.pending_len = c.encode_utf8(&mut self.pending).len();
        self.pending_at = 1;
        Some(self.pending[0])
    }
}

#[cfg(test)]
mod tests;
