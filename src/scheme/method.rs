//! Signing methods: the label an entry carries, the algorithm behind it,
//! and how a configured secret becomes that algorithm's key.

use std::borrow::Cow;

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA256: 32-byte signatures. Every preset but Standard Webhooks' `v1a`.
    HmacSha256,
    /// HMAC-SHA1: 20-byte signatures, for legacy providers. Weak: prefer SHA-256.
    HmacSha1,
    /// HMAC-SHA512: 64-byte signatures.
    HmacSha512,
    /// Ed25519 (RFC 8032): 64-byte signatures checked with a public key.
    /// Verifying and signing need feature `ed25519`.
    Ed25519,
}

impl Algorithm {
    /// The length of a signature in bytes.
    pub const fn signature_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha512 | Algorithm::Ed25519 => 64,
        }
    }

    /// The lower-case name: `hmac-sha256`, `hmac-sha1`, `hmac-sha512`, `ed25519`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha512 => "hmac-sha512",
            Algorithm::Ed25519 => "ed25519",
        }
    }
}

/// How a configured secret (or key) becomes key bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFormat {
    /// The secret's bytes exactly as given, prefix included (Mittr, MITPO,
    /// Stripe, GitHub, Slack, Shopify). Never trimmed.
    Raw,
    /// `prefix` (optional unless `prefix_required`) followed by standard
    /// base64, padded or not; the decoded bytes are the key (Standard
    /// Webhooks' `whsec_…`, `whpk_…`).
    Base64 {
        /// The prefix stripped before decoding.
        prefix: Cow<'static, str>,
        /// Whether a secret without the prefix is refused (and left to
        /// another method of the scheme).
        prefix_required: bool,
    },
    /// Hexadecimal, either case, nothing around it: the decoded bytes are
    /// the key (Discord's Ed25519 public keys, 64 hex digits; a signing key
    /// is the 32-byte seed, or seed and public key, in hex).
    Hex,
}

impl KeyFormat {
    /// Base64 after an optional `prefix`.
    pub fn base64(prefix: impl Into<Cow<'static, str>>) -> Self {
        KeyFormat::Base64 {
            prefix: prefix.into(),
            prefix_required: false,
        }
    }

    /// Base64 after a required `prefix`: only secrets that start with it
    /// are keys of this method.
    pub fn base64_prefixed(prefix: impl Into<Cow<'static, str>>) -> Self {
        KeyFormat::Base64 {
            prefix: prefix.into(),
            prefix_required: true,
        }
    }

    /// Whether this format insists on a prefix that `secret` carries.
    pub(crate) fn claims(&self, secret: &[u8]) -> bool {
        match self {
            KeyFormat::Base64 {
                prefix,
                prefix_required: true,
            } => secret.starts_with(prefix.as_bytes()),
            _ => false,
        }
    }

    /// Whether this format takes secrets without a required prefix.
    pub(crate) fn is_open(&self) -> bool {
        !matches!(
            self,
            KeyFormat::Base64 {
                prefix_required: true,
                ..
            }
        )
    }
}

/// One way a scheme signs: the label of its entries (`v1`, `sha256`,
/// `v1a`; ignored for bare values), the algorithm, and the key formats.
///
/// ```
/// use hookwarden::scheme::{Algorithm, KeyFormat, Method};
///
/// let method = Method::hmac_sha256("v1");
/// assert_eq!(method.algorithm(), Algorithm::HmacSha256);
/// let legacy = Method::new("sha1", Algorithm::HmacSha1, KeyFormat::Raw);
/// assert_eq!(legacy.label(), "sha1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Method {
    pub(crate) label: Cow<'static, str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: KeyFormat,
    pub(crate) signing_key: KeyFormat,
}

impl Method {
    /// A method; the signing key has the same format as the verifying one
    /// (as for every HMAC).
    pub fn new(label: impl Into<Cow<'static, str>>, algorithm: Algorithm, key: KeyFormat) -> Self {
        Method {
            label: label.into(),
            algorithm,
            signing_key: key.clone(),
            key,
        }
    }

    /// HMAC-SHA256 keyed with the secret's raw bytes.
    pub fn hmac_sha256(label: impl Into<Cow<'static, str>>) -> Self {
        Method::new(label, Algorithm::HmacSha256, KeyFormat::Raw)
    }

    /// Sets a different format for signing keys (asymmetric methods: the
    /// verifier holds public keys, the signer private ones).
    #[must_use]
    pub fn with_signing_key(mut self, format: KeyFormat) -> Self {
        self.signing_key = format;
        self
    }

    /// The entries' label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// How a verifier's secret becomes a key.
    pub fn key_format(&self) -> &KeyFormat {
        &self.key
    }

    /// How a signer's secret becomes a key.
    pub fn signing_key_format(&self) -> &KeyFormat {
        &self.signing_key
    }
}

/// The method a secret belongs to: the first whose required prefix it
/// carries, else the first that takes secrets without one.
pub(crate) fn method_for(
    methods: &[Method],
    secret: &[u8],
    format: impl Fn(&Method) -> &KeyFormat,
) -> Option<usize> {
    methods
        .iter()
        .position(|m| format(m).claims(secret))
        .or_else(|| methods.iter().position(|m| format(m).is_open()))
}
