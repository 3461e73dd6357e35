//! The digest a replay key is made of: a 128-bit XXH3 of the signed
//! message, kept only with replay protection on. See
//! [`ReplayKey`](crate::replay::ReplayKey) for why a non-cryptographic hash
//! is sound here.
//!
//! For schemes whose replay basis is the signed delivery id (Standard
//! Webhooks), the digest is that of the id alone. With the body as the
//! basis, it is the message's digest with nothing before the body (for a
//! scheme that signs the body alone, the message's own: keys do not change
//! when such a scheme's basis is named `Body`). With a JSON field as the
//! basis, it is [`field`]'s: a tag and the value's XXH3-128, 24 bytes
//! hashed where a message's digest hashes 32, so that no field's digest is
//! a message's by construction (a body whose bytes equal some id does not
//! collide with it). Otherwise the message is
//! what precedes the body (`<timestamp>.` for Mittr) and the body; the digest is `XXH3-128(XXH3-128(prefix) ‖ XXH3-128(body))`, so
//! that the body, the long part, is hashed in one pass whether it comes
//! whole or in chunks, and both paths agree.

#[cfg(feature = "runtime")]
use xxhash_rust::xxh3::{xxh3_128, Xxh3Default};

/// A digest being computed over a streamed body.
pub(crate) struct ReplayDigest {
    #[cfg(feature = "runtime")]
    prefix: u128,
    #[cfg(feature = "runtime")]
    body: Xxh3Default,
    /// A digest known before the body (the signed delivery id's).
    #[cfg(feature = "runtime")]
    fixed: Option<u128>,
}

impl ReplayDigest {
    /// Starts the digest of a message that begins with `prefix`.
    #[cfg(feature = "runtime")]
    pub(super) fn new(prefix: &[u8]) -> Box<Self> {
        Box::new(ReplayDigest {
            prefix: xxh3_128(prefix),
            body: Xxh3Default::new(),
            fixed: None,
        })
    }

    /// A digest that does not depend on the body.
    #[cfg(feature = "runtime")]
    pub(super) fn fixed(digest: u128) -> Box<Self> {
        Box::new(ReplayDigest {
            prefix: 0,
            body: Xxh3Default::new(),
            fixed: Some(digest),
        })
    }

    /// Feeds the next chunk of the body.
    #[cfg_attr(not(feature = "runtime"), allow(unused_variables))]
    pub(super) fn update(&mut self, chunk: &[u8]) {
        #[cfg(feature = "runtime")]
        if self.fixed.is_none() {
            self.body.update(chunk);
        }
    }

    /// The digest.
    pub(super) fn finish(&self) -> u128 {
        #[cfg(feature = "runtime")]
        return self
            .fixed
            .unwrap_or_else(|| combine(self.prefix, self.body.digest128()));
        #[cfg(not(feature = "runtime"))]
        0
    }
}

/// The digest of a JSON field's value: a string's unescaped text, a
/// number's literal text, each under its own tag (the string `"1"` and the
/// number `1` are two keys).
#[cfg(feature = "runtime")]
pub(super) fn field(field: super::json_field::Field<'_>) -> u128 {
    use super::json_field::{Field, Unescaped};
    match field {
        Field::Str {
            raw,
            escaped: false,
        } => tagged(b"hw:str\0\0", xxh3_128(raw)),
        Field::Str { raw, escaped: true } => {
            let mut hasher = Xxh3Default::new();
            Unescaped::for_each_piece(raw, |piece| hasher.update(piece));
            tagged(b"hw:str\0\0", hasher.digest128())
        }
        Field::Num(text) => tagged(b"hw:num\0\0", xxh3_128(text)),
    }
}

/// `XXH3-128(tag ‖ value)`: 24 bytes, never a message digest's 32.
#[cfg(feature = "runtime")]
fn tagged(tag: &[u8; 8], value: u128) -> u128 {
    let mut both = [0u8; 24];
    both[..8].copy_from_slice(tag);
    both[8..].copy_from_slice(&value.to_le_bytes());
    xxh3_128(&both)
}

/// The digest of a whole message.
#[cfg(feature = "runtime")]
pub(super) fn one_shot(prefix: &[u8], body: &[u8]) -> u128 {
    combine(xxh3_128(prefix), xxh3_128(body))
}

/// A digest scoped to one tenant: the same signed message for two tenants
/// (a platform fanning one event out) are two deliveries.
pub(super) fn for_tenant(digest: u128, tenant: &str) -> u128 {
    #[cfg(feature = "runtime")]
    return combine(digest, xxh3_128(tenant.as_bytes()));
    #[cfg(not(feature = "runtime"))]
    {
        let _ = tenant;
        digest
    }
}

#[cfg(feature = "runtime")]
fn combine(prefix: u128, body: u128) -> u128 {
    let mut both = [0u8; 32];
    both[..16].copy_from_slice(&prefix.to_le_bytes());
    both[16..].copy_from_slice(&body.to_le_bytes());
    xxh3_128(&both)
}

#[cfg(all(test, feature = "runtime"))]
mod tests {
    use super::*;

    #[test]
    fn streamed_and_whole_agree_in_any_chunking() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let prefix = b"1764071982.";
        let whole = one_shot(prefix, &body);
        for size in [1, 7, 64, 1000, 5000] {
            let mut streamed = ReplayDigest::new(prefix);
            for chunk in body.chunks(size) {
                streamed.update(chunk);
            }
            assert_eq!(streamed.finish(), whole, "chunks of {size}");
        }
        // The prefix counts, and where it ends does not blur into the body.
        assert_ne!(one_shot(b"1764071983.", &body), whole);
        assert_ne!(
            one_shot(b"1764071982.x", &body[1..]),
            one_shot(prefix, &body)
        );
    }

    #[test]
    fn a_field_is_never_keyed_as_a_message_of_the_same_bytes() {
        use crate::verifier::json_field::Field;
        let id = b"evt_1";
        let string = field(Field::Str {
            raw: id,
            escaped: false,
        });
        assert_ne!(string, one_shot(b"", id), "a body equal to the id");
        assert_ne!(string, one_shot(b"delivery-id", id), "a delivery id");
        assert_ne!(
            field(Field::Num(b"1")),
            field(Field::Str {
                raw: b"1",
                escaped: false
            })
        );
        let escaped = field(Field::Str {
            raw: br"evt\u005f1",
            escaped: true,
        });
        assert_eq!(escaped, string, "escapes decoded");
    }
}
