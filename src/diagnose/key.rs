//! A key being tried: a configured secret as the scheme reads it, or one
//! of its variants; its signature over a message, compared with the
//! request's entries. One candidate is one pass over the message.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::key::{key_bytes, Hmac, Tag};
use crate::scheme::{method_for, Algorithm, Method, Scheme};
use crate::signature::Candidate;

/// A key and the method (entry label) whose entries it checks.
pub(super) struct Keyed {
    pub(super) method: u8,
    pub(super) algorithm: Algorithm,
    /// The key bytes (for HMACs with another algorithm).
    pub(super) bytes: Zeroizing<Vec<u8>>,
    kind: Kind,
}

enum Kind {
    Hmac(Hmac),
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl Keyed {
    /// `secret` read as `scheme` reads verifying keys; `None` when it is
    /// not one.
    pub(super) fn from_secret(scheme: &Scheme, secret: &[u8]) -> Option<Self> {
        if secret.is_empty() {
            return None;
        }
        let method = method_for(scheme.methods(), secret, Method::key_format)?;
        let spec = &scheme.methods()[method];
        let bytes = key_bytes(spec.key_format(), secret).ok()?;
        Keyed::from_bytes(method, spec.algorithm(), bytes)
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
        let kind = match Hmac::new(algorithm, &bytes) {
            Some(hmac) => Kind::Hmac(hmac),
            None => ed25519(&bytes)?,
        };
        Some(Keyed {
            method: u8::try_from(method).ok()?,
            algorithm,
            bytes,
            kind,
        })
    }

    /// Whether this is an HMAC key (whose signatures can be recomputed and
    /// compared in other forms).
    pub(super) fn is_hmac(&self) -> bool {
        matches!(self.kind, Kind::Hmac(_))
    }

    /// The HMAC tag of `parts`, concatenated (`None` for Ed25519 keys).
    pub(super) fn tag(&self, parts: &[&[u8]]) -> Option<Tag> {
        match &self.kind {
            Kind::Hmac(hmac) => Some(hmac.tag(parts)),
            #[cfg(feature = "ed25519")]
            Kind::Ed25519(_) => None,
        }
    }

    /// The tag of `parts` with `algorithm` and this key's bytes.
    pub(super) fn tag_with(&self, algorithm: Algorithm, parts: &[&[u8]]) -> Option<Tag> {
        Hmac::new(algorithm, &self.bytes).map(|h| h.tag(parts))
    }

    /// Whether `parts`, concatenated, verify against an entry of this key's method.
    pub(super) fn matches(&self, parts: &[&[u8]], entries: &[Candidate]) -> bool {
        match &self.kind {
            Kind::Hmac(hmac) => self.tag_matches(&hmac.tag(parts), entries),
            #[cfg(feature = "ed25519")]
            Kind::Ed25519(key) => entries.iter().filter(|c| c.method == self.method).any(|c| {
                crate::key::ed25519_stream(key, c).is_some_and(|mut s| {
                    parts.iter().for_each(|p| s.update(p));
                    s.finalize_and_verify().is_ok()
                })
            }),
        }
    }

    /// Compared in constant time, as the verifier does: `hookguard listen`
    /// diagnoses what anyone may send it.
    fn tag_matches(&self, tag: &Tag, entries: &[Candidate]) -> bool {
        entries
            .iter()
            .filter(|c| c.method == self.method)
            .fold(false, |hit, c| equal(c.bytes(), tag.as_bytes()) | hit)
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
        match &self.kind {
            Kind::Hmac(hmac) => {
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
                    if self.tag_matches(&ending.finish_with(Tag::new), entries) {
                        return Some(i);
                    }
                }
                None
            }
            #[cfg(feature = "ed25519")]
            Kind::Ed25519(_) => variants.iter().position(|&(cut, suffix)| {
                self.matches(&[prefix, &body[..cut.min(body.len())], suffix], entries)
            }),
        }
    }
}

#[cfg(feature = "ed25519")]
fn ed25519(bytes: &[u8]) -> Option<Kind> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(bytes.try_into().ok()?).ok()?;
    Some(Kind::Ed25519(key))
}

#[cfg(not(feature = "ed25519"))]
fn ed25519(_: &[u8]) -> Option<Kind> {
    None
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub(super) fn equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}
