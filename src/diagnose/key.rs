//! A key being tried: a configured secret as the scheme reads it, or one
//! of its variants; its signature over a message, compared with the
//! request's entries. One candidate is one pass over the message.

use zeroize::Zeroizing;

use crate::key::{key_kind, key_material, tag_matches, Hmac, Key, KeyKind, Tag};
use crate::scheme::{Algorithm, Method, Scheme};
use crate::secret::Secret;
use crate::signature::Candidate;

pub(super) use crate::key::equal;

/// A verifier's key (the method whose entries it checks, and the keyed
/// state) with what a diagnosis also needs: its algorithm and bytes.
pub(super) struct Keyed {
    key: Key,
    pub(super) algorithm: Algorithm,
    /// The key bytes (for HMACs with another algorithm).
    pub(super) bytes: Zeroizing<Vec<u8>>,
}

impl Keyed {
    /// `secret` read as `scheme` reads verifying keys; `None` when it is
    /// not one.
    pub(super) fn from_secret(scheme: &Scheme, secret: &[u8]) -> Option<Self> {
        let secret = Secret::from(secret);
        let (method, bytes) =
            key_material(scheme.methods(), 0, &secret, Method::key_format).ok()?;
        Keyed::from_bytes(method, scheme.methods()[method].algorithm(), bytes)
    }

    /// Key bytes used directly for `method` (a variant of the key itself).
    pub(super) fn from_bytes(
        method: usize,
        algorithm: Algorithm,
        bytes: Zeroizing<Vec<u8>>,
    ) -> Option<Self> {
        if bytes.is_empty() {
            return None;
        }
        let method = u8::try_from(method).ok()?;
        let kind = key_kind(algorithm, &bytes, 0).ok()?;
        Some(Keyed {
            key: Key { method, kind },
            algorithm,
            bytes,
        })
    }

    /// The index of the method whose entries this key checks.
    pub(super) fn method(&self) -> u8 {
        self.key.method
    }

    /// Whether this is an HMAC key (whose signatures can be recomputed and
    /// compared in other forms).
    pub(super) fn is_hmac(&self) -> bool {
        matches!(self.key.kind, KeyKind::Hmac(_))
    }

    /// The HMAC tag of `parts`, concatenated (`None` for Ed25519 keys).
    pub(super) fn tag(&self, parts: &[&[u8]]) -> Option<Tag> {
        match &self.key.kind {
            KeyKind::Hmac(hmac) => Some(hmac.tag(parts)),
            #[cfg(feature = "ed25519")]
            KeyKind::Ed25519(_) => None,
        }
    }

    /// The tag of `parts` with `algorithm` and this key's bytes.
    pub(super) fn tag_with(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Option<Tag> {
        Hmac::new(algorithm, &self.bytes).map(|h| h.tag(parts))
    }

    /// Whether `parts`, concatenated, verify against an entry of this
    /// key's method, compared in constant time as the verifier does:
    /// `hookwarden listen` diagnoses what anyone may send it.
    pub(super) fn matches(&self, parts: &[&[u8]], entries: &[Candidate]) -> bool {
        self.key.matches(parts, entries)
    }

    /// For each variant `(cut, suffix)`, whether `prefix ‖ body[..cut] ‖
    /// suffix` verifies; the HMAC runs over the body once for all of them.
    pub(super) fn matches_cuts(
        &self,
        prefix: &[u8],
        body: &[u8],
        variants: &[(usize, &[u8])],
        entries: &[Candidate],
    ) -> Option<usize> {
        match &self.key.kind {
            KeyKind::Hmac(hmac) => {
                let mut order: Vec<usize> = (0..variants.len()).collect();
                order.sort_by_key(|&i| variants[i].0);
                let mut mac = hmac.clone();
                mac.update(prefix);
                let mut at = 0;
                for i in order {
                    let (cut, suffix) = variants[i];
                    let cut = cut.min(body.len());
                    if cut > at {
                        mac.update(&body[at..cut]);
                        at = cut;
                    }
                    let mut ending = mac.clone();
                    ending.update(suffix);
                    if ending.finish_with(|tag| tag_matches(tag, self.key.method, entries)) {
                        return Some(i);
                    }
                }
                None
            }
            #[cfg(feature = "ed25519")]
            KeyKind::Ed25519(_) => variants.iter().position(|&(cut, suffix)| {
                self.matches(&[prefix, &body[..cut.min(body.len())], suffix], entries)
            }),
        }
    }
}
