//! Whole verifications from structured input. The expected verdict is
//! computed here, independently (hmac + sha2 directly): `Ok` must come
//! exactly when one of the secrets really signed that body (and, for Mittr,
//! that timestamp text) and the timestamp is fresh.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use hmac::{Hmac, KeyInit, Mac};
use hookwarden::{Scheme, Verifier};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Timestamp {
    /// Seconds relative to now, written in decimal.
    Relative(i32),
    /// Any bytes.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Entry {
    /// The real signature with secret `n % secrets`.
    Genuine(u8),
    /// A well-formed entry that is not a signature.
    Random([u8; 32]),
    /// Another version's entry, ignored.
    OtherVersion([u8; 32]),
    /// Anything.
    Garbage(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    mittr: bool,
    secrets: Vec<Vec<u8>>,
    now: u32,
    past: Option<u16>,
    future: Option<u16>,
    timestamp: Timestamp,
    entries: Vec<Entry>,
    uppercase: bool,
    separator: u8,
    duplicate_timestamp: bool,
    body: Vec<u8>,
}

fn hmac(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

fuzz_target!(|input: Input| {
    let secrets: Vec<Vec<u8>> = input
        .secrets
        .into_iter()
        .filter(|s| !s.is_empty())
        .take(4)
        .collect();
    if secrets.is_empty() {
        return;
    }
    let (scheme, prefix) = if input.mittr {
        (Scheme::mittr(), "v1=")
    } else {
        (Scheme::mitpo(), "sha256=")
    };
    let now = u64::from(input.now);
    let ts_text: Vec<u8> = match &input.timestamp {
        Timestamp::Relative(d) => (i64::from(input.now) + i64::from(*d))
            .to_string()
            .into_bytes(),
        Timestamp::Raw(raw) => raw.clone(),
    };
    let Ok(ts_value) = HeaderValue::from_bytes(&ts_text) else {
        return;
    };
    let trimmed = trim(&ts_text);
    let ts_number = (!trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit))
        .then(|| std::str::from_utf8(trimmed).ok()?.parse::<u64>().ok())
        .flatten();

    let genuine: Vec<[u8; 32]> = secrets
        .iter()
        .map(|s| {
            if input.mittr {
                hmac(s, &[trimmed, b".", &input.body])
            } else {
                hmac(s, &[&input.body])
            }
        })
        .collect();
    let sep = match input.separator % 4 {
        0 => ",",
        1 => " ",
        2 => ", ",
        _ => "\t",
    };
    let mut well_formed = !input.entries.is_empty() && input.entries.len() <= 16;
    let mut any_genuine = false;
    let mut value = Vec::new();
    for (i, entry) in input.entries.iter().enumerate() {
        if i > 0 {
            value.extend_from_slice(sep.as_bytes());
        }
        let text = match entry {
            Entry::Genuine(n) => {
                any_genuine = true;
                format!(
                    "{prefix}{}",
                    encode(&genuine[usize::from(*n) % genuine.len()], input.uppercase)
                )
            }
            Entry::Random(d) => format!("{prefix}{}", encode(d, input.uppercase)),
            Entry::OtherVersion(d) => format!("v9={}", hex::encode(d)),
            Entry::Garbage(g) => {
                well_formed = false;
                String::from_utf8_lossy(g).into_owned()
            }
        };
        value.extend_from_slice(text.as_bytes());
    }
    if !input
        .entries
        .iter()
        .any(|e| matches!(e, Entry::Genuine(_) | Entry::Random(_)))
    {
        well_formed = false;
    }
    let Ok(sig_value) = HeaderValue::from_bytes(&value) else {
        return;
    };
    well_formed &= value.len() <= 4096 && ts_number.is_some() && !input.duplicate_timestamp;

    let mut headers = HeaderMap::new();
    headers.insert(scheme.signature_header().clone(), sig_value);
    headers.insert(scheme.timestamp_header().unwrap().clone(), ts_value.clone());
    if input.duplicate_timestamp {
        headers.append(scheme.timestamp_header().unwrap().clone(), ts_value);
    }

    let mut builder = Verifier::builder(scheme)
        .secrets(secrets.iter().map(Vec::as_slice))
        .body_limit(u64::MAX);
    builder = match input.past {
        Some(p) => builder.past_tolerance(Duration::from_secs(p.into())),
        None => builder,
    };
    builder = match input.future {
        Some(f) => builder.future_tolerance(Duration::from_secs(f.into())),
        None => builder,
    };
    let verifier = builder.build().unwrap();
    let past = input.past.map_or(300, u64::from);
    let future = input.future.map_or(300, u64::from);
    let fresh = ts_number.is_some_and(|ts| {
        if ts <= now {
            now - ts <= past
        } else {
            ts - now <= future
        }
    });

    let result = verifier.verify_at(&headers, &input.body, UNIX_EPOCH + Duration::from_secs(now));
    match &result {
        Ok(verified) => {
            assert!(fresh, "accepted a stale or future timestamp");
            let lower = String::from_utf8_lossy(&value).to_ascii_lowercase();
            let expected = format!("{prefix}{}", hex::encode(genuine[verified.secret_index()]));
            assert!(
                lower.contains(&expected),
                "accepted without a genuine signature"
            );
            assert_eq!(verified.timestamp(), ts_number);
        }
        Err(err) => {
            assert!(
                !(well_formed && fresh && any_genuine),
                "rejected a genuine, fresh, well-formed delivery: {err}"
            );
            let text = err.to_string();
            for g in &genuine {
                assert!(!text.contains(&hex::encode(g)), "message leaks a signature");
            }
        }
    }
});

/// Hex in either case: the verifier must accept both.
fn encode(digest: &[u8; 32], uppercase: bool) -> String {
    if uppercase {
        hex::encode_upper(digest)
    } else {
        hex::encode(digest)
    }
}
