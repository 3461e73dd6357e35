//! Property tests (proptest): round trips, single-bit flips, chunking and
//! exact tolerance boundaries, for Mittr and MITPO; round trips, bit flips
//! and chunking for every preset (Discord's with its Ed25519 key pair).

mod common;

use std::time::{Duration, UNIX_EPOCH};

use hookwarden::{Scheme, Signer, Verifier};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

fn scheme(mittr: bool) -> Scheme {
    if mittr {
        Scheme::mittr()
    } else {
        Scheme::mitpo()
    }
}

fn at(secs: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn verifier(scheme: Scheme, secret: &[u8]) -> Verifier {
    Verifier::builder(scheme)
        .secret(secret)
        .body_limit(u64::MAX)
        .build()
        .unwrap()
}

/// Times a `SystemTime` can hold on every platform.
const MAX_TS: u64 = 1 << 40;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(
        mittr: bool,
        secret in proptest::collection::vec(any::<u8>(), 1..80),
        ts in 0..MAX_TS,
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let s = scheme(mittr);
        let headers = Signer::new(s.clone(), secret.as_slice()).unwrap().sign(ts, &body).to_header_map();
        let verified = verifier(s, &secret).verify_at(&headers, &body, at(ts)).unwrap();
        prop_assert_eq!(verified.timestamp(), Some(ts));
        prop_assert_eq!(verified.body_len(), body.len() as u64);
    }

    #[test]
    fn any_single_bit_flip_in_the_body_fails(
        mittr: bool,
        body in proptest::collection::vec(any::<u8>(), 1..512),
        index: prop::sample::Index,
        bit in 0u8..8,
    ) {
        let s = scheme(mittr);
        let headers = Signer::new(s.clone(), "k").unwrap().sign(1000, &body).to_header_map();
        let mut flipped = body.clone();
        flipped[index.index(body.len())] ^= 1 << bit;
        let err = verifier(s, b"k").verify_at(&headers, &flipped, at(1000)).unwrap_err();
        prop_assert_eq!(err.code(), "signature_mismatch");
    }

    #[test]
    fn any_single_bit_flip_in_the_signature_fails(
        mittr: bool,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let s = scheme(mittr);
        let signer = Signer::new(s.clone(), "k").unwrap();
        let mut digest = signer.digest(1000, &body);
        digest[byte] ^= 1 << bit;
        let mut headers = signer.sign(1000, &body).to_header_map();
        let value = format!("{}={}", s.methods()[0].label(), hex::encode(digest));
        headers.insert(s.signature_header().clone(), HeaderValue::try_from(value).unwrap());
        let err = verifier(s, b"k").verify_at(&headers, &body, at(1000)).unwrap_err();
        prop_assert_eq!(err.code(), "signature_mismatch");
    }

    #[test]
    fn any_single_bit_flip_in_a_mittr_timestamp_fails(
        ts in 1_000_000_000u64..2_000_000_000,
        body in proptest::collection::vec(any::<u8>(), 0..256),
        index: prop::sample::Index,
        bit in 0u8..8,
    ) {
        let s = Scheme::mittr();
        let mut headers = Signer::new(s.clone(), "k").unwrap().sign(ts, &body).to_header_map();
        let mut text = ts.to_string().into_bytes();
        let i = index.index(text.len());
        text[i] ^= 1 << bit;
        let value = HeaderValue::from_bytes(&text);
        prop_assume!(value.is_ok());
        headers.insert(s.timestamp_header().unwrap().clone(), value.unwrap());
        // Whatever the flip made of it, the clock agrees with the new text, so
        // only the signature can reject it (or the format, for a non-digit).
        let now = hookwarden::timestamp::parse_timestamp(&text).unwrap_or(ts).min(MAX_TS);
        let verifier = Verifier::builder(s).secret("k").disable_timestamp_check().build().unwrap();
        let err = verifier.verify_at(&headers, &body, at(now)).unwrap_err();
        prop_assert!(matches!(err.code(), "signature_mismatch" | "malformed_header"), "{}", err);
    }

    #[test]
    fn chunking_never_changes_the_verdict(
        mittr: bool,
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        mut cuts in proptest::collection::vec(0usize..1025, 0..12),
        tamper: bool,
    ) {
        let s = scheme(mittr);
        let headers = Signer::new(s.clone(), "k").unwrap().sign(1000, &body).to_header_map();
        let mut sent = body.clone();
        if tamper && !sent.is_empty() { sent[0] ^= 0x80; }
        let v = verifier(s, b"k");
        let one_shot = v.verify_at(&headers, &sent, at(1000));
        cuts.iter_mut().for_each(|c| *c = (*c).min(sent.len()));
        cuts.sort_unstable();
        let mut pending = v.check_headers_at(&headers, at(1000)).unwrap();
        let mut start = 0;
        for cut in cuts.into_iter().chain([sent.len()]) {
            pending.update(&sent[start..cut]).unwrap();
            start = cut;
        }
        prop_assert_eq!(pending.finish(), one_shot);
    }

    #[test]
    fn tolerance_boundaries_are_exact(
        mittr: bool,
        now in 1_000_000u64..MAX_TS,
        past in 0u64..1_000_000,
        future in 0u64..1_000_000,
    ) {
        let s = scheme(mittr);
        let v = Verifier::builder(s.clone())
            .secret("k")
            .past_tolerance(Duration::from_secs(past))
            .future_tolerance(Duration::from_secs(future))
            .build()
            .unwrap();
        let check = |ts: u64| {
            let headers: HeaderMap = Signer::new(s.clone(), "k").unwrap().sign(ts, b"x").to_header_map();
            v.verify_at(&headers, b"x", at(now)).map_err(|e| e.code())
        };
        prop_assert!(check(now - past.min(now)).is_ok());
        prop_assert!(check(now + future).is_ok());
        if past < now {
            prop_assert_eq!(check(now - past - 1).unwrap_err(), "timestamp_too_old");
        }
        prop_assert_eq!(check(now + future + 1).unwrap_err(), "timestamp_in_future");
    }
}

/// A preset by index, and the keys it signs and verifies with for `key`
/// bytes: one secret (raw, or `whsec_` + base64 for Standard Webhooks and
/// its kin), or, for a scheme verified with a public key (Discord), a
/// fixed key pair.
fn preset(index: usize, key: &[u8]) -> (Scheme, Vec<u8>, Vec<u8>) {
    use base64::Engine as _;
    use hookwarden::scheme::{Algorithm, KeyFormat};
    let scheme = Scheme::preset(Scheme::PRESETS[index % Scheme::PRESETS.len()]).unwrap();
    let method = &scheme.methods()[0];
    let (signing, verifying) = match (method.algorithm(), method.key_format()) {
        (Algorithm::Ed25519, _) => (
            common::keys::ED25519_SEED_HEX.as_bytes().to_vec(),
            common::keys::ED25519_PUBLIC_HEX.as_bytes().to_vec(),
        ),
        (_, KeyFormat::Raw) => (key.to_vec(), key.to_vec()),
        _ => {
            let text = base64::engine::general_purpose::STANDARD.encode(key);
            let secret = format!("whsec_{text}").into_bytes();
            (secret.clone(), secret)
        }
    };
    (scheme, signing, verifying)
}

/// The last second an RFC 3339 timestamp (Twitch, Zendesk) can write:
/// 9999-12-31T23:59:59Z.
const LAST_RFC3339: u64 = 253_402_300_799;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_preset_round_trips_and_refuses_any_bit_flip(
        which in 0usize..Scheme::PRESETS.len(),
        key in proptest::collection::vec(any::<u8>(), 1..64),
        ts in 1_000_000u64..LAST_RFC3339,
        body in proptest::collection::vec(any::<u8>(), 1..1024),
        index: prop::sample::Index,
        bit in 0u8..8,
    ) {
        let (s, signing, secret) = preset(which, &key);
        let headers = Signer::new(s.clone(), signing.as_slice()).unwrap().sign(ts, &body).to_header_map();
        let v = verifier(s.clone(), &secret);
        let verified = v.verify_at(&headers, &body, at(ts)).unwrap();
        prop_assert_eq!(verified.scheme(), s.name());
        prop_assert_eq!(verified.timestamp().is_some(), s.timestamp_source().is_some());
        let mut flipped = body.clone();
        flipped[index.index(body.len())] ^= 1 << bit;
        let err = v.verify_at(&headers, &flipped, at(ts)).unwrap_err();
        prop_assert_eq!(err.code(), "signature_mismatch");
    }

    #[test]
    fn every_preset_verdict_is_the_same_in_any_chunking(
        which in 0usize..Scheme::PRESETS.len(),
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        mut cuts in proptest::collection::vec(0usize..1025, 0..12),
        tamper: bool,
    ) {
        let (s, signing, secret) = preset(which, b"chunk-key");
        let headers = Signer::new(s.clone(), signing.as_slice()).unwrap().sign(1000, &body).to_header_map();
        let mut sent = body.clone();
        if tamper && !sent.is_empty() { sent[0] ^= 0x80; }
        let v = verifier(s, &secret);
        let one_shot = v.verify_at(&headers, &sent, at(1000));
        prop_assert_eq!(one_shot.is_ok(), !tamper || sent.is_empty());
        cuts.iter_mut().for_each(|c| *c = (*c).min(sent.len()));
        cuts.sort_unstable();
        let mut pending = v.check_headers_at(&headers, at(1000)).unwrap();
        let mut start = 0;
        for cut in cuts.into_iter().chain([sent.len()]) {
            pending.update(&sent[start..cut]).unwrap();
            start = cut;
        }
        prop_assert_eq!(pending.finish(), one_shot);
    }
}
