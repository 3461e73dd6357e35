//! Signing keys: a signer's secret turned into its method's key once.

use crate::config_error::ConfigError;
use crate::key::{key_material, Hmac, Tag};
use crate::scheme::{Method, Scheme};
use crate::secret::Secret;

/// What one signing secret became: a keyed HMAC, or an Ed25519 private key.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // built once per signer
pub(super) enum SigningKey {
    Hmac(Hmac),
    #[cfg(feature = "ed25519")]
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl SigningKey {
    /// The key `secret` stands for in `scheme`, and its method's index.
    pub(super) fn new(
        scheme: &Scheme,
        index: usize,
        secret: &Secret,
    ) -> Result<(u8, Self), ConfigError> {
        let methods = scheme.methods();
        let (method, bytes) = key_material(methods, index, secret, Method::signing_key_format)?;
        let key = match Hmac::new(methods[method].algorithm, &bytes) {
            Some(hmac) => SigningKey::Hmac(hmac),
            None => asymmetric(index, &bytes)?,
        };
        Ok((method as u8, key))
    }

    /// The signature of `parts`, concatenated.
    pub(super) fn sign(&self, parts: &[&[u8]]) -> Tag {
        match self {
            SigningKey::Hmac(hmac) => hmac.tag(parts),
            #[cfg(feature = "ed25519")]
            SigningKey::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                Tag::new(&key.sign(&parts.concat()).to_bytes())
            }
        }
    }
}

/// A `whsk_` key: a 32-byte seed, or 64 bytes of seed ‖ public key (the
/// form stablelib and libsodium write).
#[cfg(feature = "ed25519")]
fn asymmetric(index: usize, bytes: &[u8]) -> Result<SigningKey, ConfigError> {
    let invalid = ConfigError::InvalidSecret {
        index,
        reason: "not an Ed25519 private key (32-byte seed, or 64-byte seed and public key)",
    };
    let seed: [u8; 32] = bytes
        .get(..32)
        .and_then(|s| s.try_into().ok())
        .ok_or(invalid.clone())?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    match bytes.len() {
        32 => {}
        64 if bytes[32..] == key.verifying_key().to_bytes() => {}
        _ => return Err(invalid),
    }
    Ok(SigningKey::Ed25519(Box::new(key)))
}

#[cfg(not(feature = "ed25519"))]
fn asymmetric(index: usize, _: &[u8]) -> Result<SigningKey, ConfigError> {
    Err(ConfigError::FeatureRequired {
        index,
        feature: "ed25519",
    })
}
