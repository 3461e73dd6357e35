//! The secret as stored: what happens to it between the provider's
//! dashboard and the code that loads it (whitespace, quotes from an env
//! file, the provider's prefix, hex or base64 encoded or decoded), each
//! turned into the key it would give.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::cause::LikelyCause;
use super::key::Keyed;
use crate::scheme::{method_for, Algorithm, KeyFormat, Method, Scheme};

/// Prefixes providers put before their secrets.
const PREFIXES: [&str; 2] = ["whsec_", "shpss_"];

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// The base64 decoding of `text` (standard or URL-safe, padded or not).
fn base64_decode(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let decoded = LENIENT_STANDARD
        .decode(text)
        .or_else(|_| LENIENT_URL_SAFE.decode(text))
        .ok()?;
    Some(Zeroizing::new(decoded))
}

/// Every variant of one configured secret, each with the cause it stands
/// for, in the order they are tried. Variants that are not keys of the
/// scheme, or equal to the secret, are left out.
pub(super) fn variants(scheme: &Scheme, secret: &[u8]) -> Vec<(LikelyCause, Keyed)> {
    let mut out = Vec::new();
    let mut text = |cause: LikelyCause, variant: &[u8]| {
        if variant != secret {
            if let Some(key) = Keyed::from_secret(scheme, variant) {
                out.push((cause, key));
            }
        }
    };
    let trimmed = secret.trim_ascii();
    text(LikelyCause::SecretWhitespace { configured: true }, trimmed);
    if let Some(inner) = unquoted(trimmed) {
        text(LikelyCause::SecretQuoted, inner.trim_ascii());
    }
    if trimmed.len() == secret.len() {
        for suffix in [&b"\n"[..], b"\r\n", b" "] {
            let added = Zeroizing::new([secret, suffix].concat());
            text(LikelyCause::SecretWhitespace { configured: false }, &added);
        }
    }
    let Some(method) = method_for(scheme.methods(), secret, Method::key_format)
        .or_else(|| method_for(scheme.methods(), trimmed, Method::key_format))
    else {
        return out;
    };
    let spec = &scheme.methods()[method];
    let algorithm = spec.algorithm();
    if algorithm == Algorithm::Ed25519 {
        return out; // an asymmetric key: only its text can be wrong
    }
    let configured = Keyed::from_secret(scheme, secret).map(|k| k.bytes);
    let mut bytes = |cause: LikelyCause, key: Zeroizing<Vec<u8>>| {
        if configured.as_ref() != Some(&key) {
            if let Some(key) = Keyed::from_bytes(method, algorithm, key) {
                out.push((cause, key));
            }
        }
    };
    match spec.key_format() {
        KeyFormat::Raw => {
            match PREFIXES.iter().find(|p| secret.starts_with(p.as_bytes())) {
                Some(prefix) => bytes(
                    LikelyCause::SecretPrefix {
                        prefix,
                        sender_stripped: true,
                    },
                    Zeroizing::new(secret[prefix.len()..].to_vec()),
                ),
                None => bytes(
                    LikelyCause::SecretPrefix {
                        prefix: PREFIXES[0],
                        sender_stripped: false,
                    },
                    Zeroizing::new([PREFIXES[0].as_bytes(), secret].concat()),
                ),
            }
            let unprefixed = PREFIXES
                .iter()
                .find_map(|p| secret.strip_prefix(p.as_bytes()))
                .unwrap_or(secret);
            if let Some(decoded) = base64_decode(unprefixed) {
                bytes(LikelyCause::SecretBase64Decoded, decoded);
            }
            if let Ok(decoded) = hex::decode(unprefixed) {
                bytes(LikelyCause::SecretHexDecoded, Zeroizing::new(decoded));
            }
            bytes(
                LikelyCause::SecretBase64Encoded,
                Zeroizing::new(STANDARD.encode(secret).into_bytes()),
            );
            bytes(
                LikelyCause::SecretHexEncoded,
                Zeroizing::new(hex::encode(secret).into_bytes()),
            );
        }
        // Asymmetric keys only (returned above): nothing to try.
        KeyFormat::Hex => {}
        KeyFormat::Base64 { prefix, .. } => {
            bytes(
                LikelyCause::SecretNotDecoded,
                Zeroizing::new(secret.to_vec()),
            );
            if let Some(bare) = secret.strip_prefix(prefix.as_bytes()) {
                bytes(LikelyCause::SecretNotDecoded, Zeroizing::new(bare.to_vec()));
            }
        }
    }
    out
}

/// The text inside matching quotes, as an env file's loader may keep them.
fn unquoted(text: &[u8]) -> Option<&[u8]> {
    match text {
        [q @ (b'"' | b'\''), inner @ .., last] if q == last => Some(inner),
        _ => None,
    }
}
