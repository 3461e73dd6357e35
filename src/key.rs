//! Keys: a configured secret turned into its method's key once, at build
//! time; keyed HMAC states cloned per delivery; constant-time comparison.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::config_error::ConfigError;
use crate::scheme::{method_for, Algorithm, KeyFormat, Method, Scheme};
use crate::secret::Secret;
use crate::signature::{Candidate, MAX_SIGNATURE_LEN};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;
type HmacSha1 = hmac::Hmac<sha1::Sha1>;
type HmacSha512 = hmac::Hmac<sha2::Sha512>;

/// A keyed HMAC state of one of the supported hashes.
#[derive(Clone)]
pub(crate) enum Hmac {
    Sha256(HmacSha256),
    Sha1(HmacSha1),
    Sha512(HmacSha512),
}

/// A MAC or signature, as long as its algorithm makes it.
pub(crate) struct Tag {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: usize,
}

impl Tag {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut tag = Tag {
            bytes: [0; MAX_SIGNATURE_LEN],
            len: bytes.len(),
        };
        tag.bytes[..bytes.len()].copy_from_slice(bytes);
        tag
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Hmac {
    /// Keys the MAC once; HMAC takes keys of any length.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Option<Self> {
        Some(match algorithm {
            Algorithm::HmacSha256 => Hmac::Sha256(HmacSha256::new_from_slice(key).ok()?),
            Algorithm::HmacSha1 => Hmac::Sha1(HmacSha1::new_from_slice(key).ok()?),
            Algorithm::HmacSha512 => Hmac::Sha512(HmacSha512::new_from_slice(key).ok()?),
            Algorithm::Ed25519 => return None,
        })
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hmac::Sha256(mac) => mac.update(bytes),
            Hmac::Sha1(mac) => mac.update(bytes),
            Hmac::Sha512(mac) => mac.update(bytes),
        }
    }

    /// Finalizes the MAC and hands the tag to `use_tag`, without copying it.
    pub(crate) fn finish_with<R>(self, use_tag: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Hmac::Sha256(mac) => use_tag(&mac.finalize().into_bytes()),
            Hmac::Sha1(mac) => use_tag(&mac.finalize().into_bytes()),
            Hmac::Sha512(mac) => use_tag(&mac.finalize().into_bytes()),
        }
    }

    /// The tag of `parts`, from a clone of this keyed state.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> Tag {
        self.tag_with(parts, Tag::new)
    }

    /// Hands the tag of `parts` to `use_tag`; only the concrete keyed state
    /// is cloned (not the enum, sized for SHA-512).
    pub(crate) fn tag_with<R>(&self, parts: &[&[u8]], use_tag: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Hmac::Sha256(mac) => keyed_tag(mac, parts, use_tag),
            Hmac::Sha1(mac) => keyed_tag(mac, parts, use_tag),
            Hmac::Sha512(mac) => keyed_tag(mac, parts, use_tag),
        }
    }
}

/// Clones `mac`, feeds it `parts` and hands the tag to `use_tag`.
#[inline]
fn keyed_tag<M: Mac + Clone, R>(mac: &M, parts: &[&[u8]], use_tag: impl FnOnce(&[u8]) -> R) -> R {
    let mut mac = mac.clone();
    for part in parts {
        mac.update(part);
    }
    use_tag(&mac.finalize().into_bytes())
}

/// A verifying key: what one configured secret became.
#[derive(Clone)]
pub(crate) enum KeyKind {
    Hmac(Hmac),
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A verifying key and the method (entry label) it checks.
#[derive(Clone)]
pub(crate) struct Key {
    pub(crate) method: u8,
    pub(crate) kind: KeyKind,
}

impl Key {
    /// Whether any candidate of this key's method is a valid signature of
    /// `parts`, concatenated. Every candidate is compared (no early exit).
    pub(crate) fn matches(&self, parts: &[&[u8]], candidates: &[Candidate]) -> bool {
        match &self.kind {
            KeyKind::Hmac(hmac) => {
                hmac.tag_with(parts, |tag| tag_matches(tag, self.method, candidates))
            }
            #[cfg(feature = "ed25519")]
            KeyKind::Ed25519(key) => {
                let mut hit = false;
                for c in candidates.iter().filter(|c| c.method == self.method) {
                    hit |= ed25519_stream(key, c).is_some_and(|mut s| {
                        parts.iter().for_each(|part| s.update(part));
                        s.finalize_and_verify().is_ok()
                    });
                }
                hit
            }
        }
    }
}

/// Compares `tag` in constant time with every candidate of `method` (no
/// early exit; which candidates belong to a method, and their lengths, are
/// public).
pub(crate) fn tag_matches(tag: &[u8], method: u8, candidates: &[Candidate]) -> bool {
    let mut hit = 0u8;
    for c in candidates {
        if c.method == method {
            hit |= u8::from(equal(tag, c.bytes()));
        }
    }
    hit != 0
}

/// Constant-time equality of two byte strings, eight bytes at a time (in
/// time that depends on their lengths only).
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let ((a8, a_rest), (b8, b_rest)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let mut diff = 0u64;
    for (x, y) in a8.iter().zip(b8) {
        diff |= u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y);
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        diff |= u64::from(x ^ y);
    }
    diff.ct_eq(&0).into()
}

#[cfg(feature = "ed25519")]
pub(crate) fn ed25519_stream(
    key: &ed25519_dalek::VerifyingKey,
    candidate: &Candidate,
) -> Option<ed25519_dalek::StreamVerifier> {
    let signature = ed25519_dalek::Signature::from_slice(candidate.bytes()).ok()?;
    key.verify_stream(&signature).ok()
}

/// Base64 as Standard Webhooks' libraries read secrets: padded or not,
/// trailing bits ignored (Python appends `==` and decodes leniently).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The key bytes `secret` stands for under `format`.
pub(crate) fn key_bytes(
    format: &KeyFormat,
    secret: &[u8],
) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    let bytes = match format {
        KeyFormat::Raw => Zeroizing::new(secret.to_vec()),
        KeyFormat::Base64 { prefix, .. } => {
            let text = secret.strip_prefix(prefix.as_bytes()).unwrap_or(secret);
            let decoded = LENIENT_BASE64
                .decode(text)
                .map_err(|_| "not base64 after the prefix")?;
            Zeroizing::new(decoded)
        }
        KeyFormat::Hex => Zeroizing::new(hex::decode(secret).map_err(|_| "not hexadecimal")?),
    };
    if bytes.is_empty() {
        return Err("the key is empty");
    }
    Ok(bytes)
}

/// Turns the configured secrets into verifying keys, one per secret, in order.
pub(crate) fn verifying_keys(scheme: &Scheme, secrets: &[Secret]) -> Result<Vec<Key>, ConfigError> {
    secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| verifying_key(scheme.methods(), index, secret))
        .collect()
}

fn verifying_key(methods: &[Method], index: usize, secret: &Secret) -> Result<Key, ConfigError> {
    let (method, bytes) = key_material(methods, index, secret, Method::key_format)?;
    Ok(Key {
        method: method as u8,
        kind: key_kind(methods[method].algorithm, &bytes, index)?,
    })
}

/// The method secret `index` belongs to, and its key bytes, where `format`
/// says how a secret is read (verifying or signing keys).
pub(crate) fn key_material(
    methods: &[Method],
    index: usize,
    secret: &Secret,
    format: impl Fn(&Method) -> &KeyFormat,
) -> Result<(usize, Zeroizing<Vec<u8>>), ConfigError> {
    let invalid = |reason| ConfigError::InvalidSecret { index, reason };
    if secret.is_empty() {
        return Err(ConfigError::EmptySecret { index });
    }
    let method = method_for(methods, secret.expose(), &format)
        .ok_or_else(|| invalid("it has none of the prefixes the scheme's keys carry"))?;
    let bytes = key_bytes(format(&methods[method]), secret.expose()).map_err(invalid)?;
    Ok((method, bytes))
}

/// The verifying key `bytes` make for `algorithm`; `index` names the secret
/// in an error.
pub(crate) fn key_kind(
    algorithm: Algorithm,
    bytes: &[u8],
    index: usize,
) -> Result<KeyKind, ConfigError> {
    match Hmac::new(algorithm, bytes) {
        Some(hmac) => Ok(KeyKind::Hmac(hmac)),
        None => asymmetric_key(index, bytes),
    }
}

#[cfg(feature = "ed25519")]
fn asymmetric_key(index: usize, bytes: &[u8]) -> Result<KeyKind, ConfigError> {
    let invalid = ConfigError::InvalidSecret {
        index,
        reason: "not a 32-byte Ed25519 public key",
    };
    let array: [u8; 32] = bytes.try_into().map_err(|_| invalid.clone())?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&array).map_err(|_| invalid)?;
    Ok(KeyKind::Ed25519(key))
}

#[cfg(not(feature = "ed25519"))]
fn asymmetric_key(index: usize, _: &[u8]) -> Result<KeyKind, ConfigError> {
    Err(ConfigError::FeatureRequired {
        index,
        feature: "ed25519",
    })
}

/// A key's state over a streamed message: a keyed HMAC being fed, or one
/// Ed25519 stream per candidate of the key's method.
// The HMAC state is the common case: boxing it would allocate per delivery.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Running {
    Hmac {
        method: u8,
        mac: Hmac,
    },
    #[cfg(feature = "ed25519")]
    Ed25519(Vec<ed25519_dalek::StreamVerifier>),
}

impl Key {
    /// Starts this key's state for a delivery with these candidates.
    #[cfg_attr(not(feature = "ed25519"), allow(unused_variables))]
    pub(crate) fn start(&self, candidates: &[Candidate]) -> Running {
        match &self.kind {
            KeyKind::Hmac(mac) => Running::Hmac {
                method: self.method,
                mac: mac.clone(),
            },
            #[cfg(feature = "ed25519")]
            KeyKind::Ed25519(key) => Running::Ed25519(
                candidates
                    .iter()
                    .filter(|c| c.method == self.method)
                    .filter_map(|c| ed25519_stream(key, c))
                    .collect(),
            ),
        }
    }
}

impl Running {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Running::Hmac { mac, .. } => mac.update(bytes),
            #[cfg(feature = "ed25519")]
            Running::Ed25519(streams) => streams.iter_mut().for_each(|s| s.update(bytes)),
        }
    }

    /// Whether the message fed verifies against a candidate (every
    /// candidate compared, no early exit).
    pub(crate) fn matches(self, candidates: &[Candidate]) -> bool {
        match self {
            Running::Hmac { method, mac } => {
                mac.finish_with(|tag| tag_matches(tag, method, candidates))
            }
            #[cfg(feature = "ed25519")]
            Running::Ed25519(streams) => streams
                .into_iter()
                .fold(false, |hit, s| s.finalize_and_verify().is_ok() | hit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality_agrees_with_plain_equality() {
        for len in [0usize, 1, 7, 8, 9, 20, 32, 63, 64] {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(equal(&a, &a.clone()), "{len}");
            for at in 0..len {
                for bit in 0..8 {
                    let mut b = a.clone();
                    b[at] ^= 1 << bit;
                    assert!(!equal(&a, &b), "{len} {at} {bit}");
                }
            }
            assert!(!equal(&a, &[a.as_slice(), &[0]].concat()));
        }
    }
}
