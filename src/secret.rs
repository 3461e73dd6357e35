//! Webhook secrets: used as HMAC keys byte for byte, never printed, zeroed on drop.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A shared signing secret.
///
/// The key is the secret's bytes exactly as given: a MITPO secret `whsec_…` is
/// used whole, prefix included, and nothing is base64-decoded or trimmed.
///
/// `Debug` prints a redaction and the memory is zeroed when the value is dropped.
///
/// ```
/// use hookwarden::Secret;
/// let secret = Secret::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// ```
#[derive(Clone)]
pub struct Secret(Box<[u8]>);

impl Secret {
    /// Wraps the secret's bytes.
    pub fn new(bytes: impl Into<Secret>) -> Self {
        bytes.into()
    }

    /// The key bytes. Handle with care: never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Whether the secret has no bytes (rejected by the builders).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short, non-reversible fingerprint (8 hex digits of a domain-separated
    /// SHA-256), to tell secrets apart in logs without revealing them.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"hookwarden secret fingerprint\0")
            .chain_update(&self.0)
            .finalize();
        hex::encode(&digest[..4])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl ZeroizeOnDrop for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<Vec<u8>> for Secret {
    fn from(mut bytes: Vec<u8>) -> Self {
        // Copy into an exact-size allocation and wipe the original, spare capacity included.
        let secret = Secret(bytes.as_slice().into());
        bytes.zeroize();
        secret
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret::from(text.into_bytes())
    }
}

impl From<&[u8]> for Secret {
    fn from(bytes: &[u8]) -> Self {
        Secret(bytes.into())
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Secret(text.as_bytes().into())
    }
}

impl From<&String> for Secret {
    fn from(text: &String) -> Self {
        Secret::from(text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret = Secret::from("hunter2-super-secret");
        let shown = format!("{secret:?} {:#?}", secret);
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn keeps_the_whsec_prefix() {
        assert_eq!(Secret::from("whsec_abc").expose(), b"whsec_abc");
    }

    #[test]
    fn fingerprint_is_short_stable_and_distinct() {
        let a = Secret::from("a");
        assert_eq!(a.fingerprint().len(), 8);
        assert_eq!(
            a.fingerprint(),
            Secret::from(String::from("a")).fingerprint()
        );
        assert_ne!(a.fingerprint(), Secret::from("b").fingerprint());
    }
}
