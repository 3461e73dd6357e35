//! [`JsonPointer`]: the RFC 6901 pointer naming the field of a signed JSON
//! body that a replay key is made of.

use std::borrow::Cow;
use std::fmt;

/// Longest pointer accepted, in bytes.
pub(crate) const MAX_POINTER_LEN: usize = 256;

/// An RFC 6901 JSON pointer (`/id`, `/event_id`, `/data/object/id`,
/// `/items/0/id`; `~1` stands for `/` and `~0` for `~` in a name), naming the
/// field of a signed JSON body whose value is a delivery's replay key: see
/// [`ReplayBasis::JsonPointer`](super::ReplayBasis::JsonPointer).
///
/// Cheap to clone (a `&'static str`, or a shared owned string). Checked by
/// [`SchemeBuilder::build`](super::SchemeBuilder::build): it must start with
/// `/`, every `~` must be followed by `0` or `1`, and it is at most 256
/// bytes long.
///
/// ```
/// use hookwarden::scheme::JsonPointer;
///
/// let id = JsonPointer::from_static("/data/object/id");
/// assert_eq!(id.as_str(), "/data/object/id");
/// assert_eq!(id.tokens().collect::<Vec<_>>(), ["data", "object", "id"]);
/// assert_eq!(JsonPointer::new("/a~1b/m~0n").tokens().collect::<Vec<_>>(), ["a/b", "m~n"]);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct JsonPointer {
    text: Cow<'static, str>,
}

impl JsonPointer {
    /// A pointer from a literal (checked when the scheme is built).
    pub const fn from_static(text: &'static str) -> Self {
        JsonPointer {
            text: Cow::Borrowed(text),
        }
    }

    /// A pointer (checked when the scheme is built).
    pub fn new(text: impl Into<Cow<'static, str>>) -> Self {
        JsonPointer { text: text.into() }
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The names and indexes it goes through, `~1` and `~0` decoded.
    pub fn tokens(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.raw_tokens().map(|t| {
            if t.contains('~') {
                Cow::Owned(t.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(t)
            }
        })
    }

    /// The tokens as written (`~` escapes kept); nothing for an invalid pointer.
    pub(crate) fn raw_tokens(&self) -> std::str::Split<'_, char> {
        let rest = self.text.strip_prefix('/').unwrap_or("");
        let mut split = rest.split('/');
        if !self.text.starts_with('/') {
            // Drain the one empty token: an invalid pointer has none.
            split.next();
        }
        split
    }

    /// The `n`th token as written, if there is one.
    pub(crate) fn raw_token(&self, n: usize) -> Option<&str> {
        self.raw_tokens().nth(n)
    }

    /// How many tokens it has.
    pub(crate) fn depth(&self) -> usize {
        self.raw_tokens().count()
    }

    /// Why the pointer is not a valid one, if it is not.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let text = self.as_str();
        if !text.starts_with('/') {
            return Some("a JSON pointer replay key must start with `/`");
        }
        if text.len() > MAX_POINTER_LEN {
            return Some("a JSON pointer replay key is longer than 256 bytes");
        }
        let bytes = text.as_bytes();
        let bad_escape = bytes
            .iter()
            .enumerate()
            .any(|(i, b)| *b == b'~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')));
        if bad_escape {
            return Some("a `~` in a JSON pointer must be followed by `0` or `1`");
        }
        None
    }
}

impl fmt::Debug for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonPointer({:?})", self.as_str())
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The bytes of a pointer token, `~1` → `/` and `~0` → `~`.
pub(crate) fn token_bytes(token: &str) -> impl Iterator<Item = u8> + '_ {
    let mut bytes = token.bytes();
    std::iter::from_fn(move || match bytes.next()? {
        b'~' => match bytes.next() {
            Some(b'1') => Some(b'/'),
            _ => Some(b'~'),
        },
        b => Some(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_problems() {
        assert_eq!(JsonPointer::from_static("/").depth(), 1);
        assert_eq!(JsonPointer::from_static("/a/b").raw_token(1), Some("b"));
        assert_eq!(JsonPointer::from_static("id").raw_tokens().count(), 0);
        assert!(JsonPointer::from_static("/id").problem().is_none());
        assert!(JsonPointer::from_static("/").problem().is_none());
        assert!(JsonPointer::from_static("").problem().is_some());
        assert!(JsonPointer::from_static("id").problem().is_some());
        assert!(JsonPointer::from_static("/a~").problem().is_some());
        assert!(JsonPointer::from_static("/a~2").problem().is_some());
        assert!(JsonPointer::new("/".repeat(300)).problem().is_some());
        let decoded: Vec<u8> = token_bytes("a~1b~0c~01").collect();
        assert_eq!(decoded, b"a/b~c~1");
    }
}
