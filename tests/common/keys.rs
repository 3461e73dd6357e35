//! The keys a preset is signed and verified with in tests: one secret for
//! both where the scheme is an HMAC (raw, or Standard Webhooks' base64),
//! a key pair where it verifies with a public key only (Discord's Ed25519:
//! RFC 8032's first test key, seed and public key in hex).
#![allow(dead_code)]

use hookwarden::scheme::{Algorithm, KeyFormat};
use hookwarden::Scheme;

/// RFC 8032 section 7.1, TEST 1: the seed.
pub const ED25519_SEED_HEX: &str =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// RFC 8032 section 7.1, TEST 1: its public key.
pub const ED25519_PUBLIC_HEX: &str =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/// `(signing key, verifying key)` for `scheme`: `raw` for a raw HMAC
/// secret, `base64` for a `whsec_` base64 one.
pub fn keys_for(
    scheme: &Scheme,
    raw: &'static str,
    base64: &'static str,
) -> (&'static str, &'static str) {
    let method = &scheme.methods()[0];
    match (method.algorithm(), method.key_format()) {
        (Algorithm::Ed25519, KeyFormat::Hex) => (ED25519_SEED_HEX, ED25519_PUBLIC_HEX),
        (_, KeyFormat::Raw) => (raw, raw),
        _ => (base64, base64),
    }
}
