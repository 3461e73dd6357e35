//! Unit tests of the verifier.
use super::*;
use crate::sign::Signer;
use crate::ConfigError;
use http::{HeaderMap, HeaderValue};
use std::time::{Duration, UNIX_EPOCH};

const NOW: u64 = 1_764_072_000;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn verifier(scheme: Scheme, secrets: &[&str]) -> Verifier {
    Verifier::builder(scheme)
        .secrets(secrets.iter().copied())
        .build()
        .unwrap()
}

fn signed(scheme: Scheme, secret: &str, ts: u64, body: &[u8]) -> HeaderMap {
    Signer::new(scheme, secret)
        .unwrap()
        .sign(ts, body)
        .to_header_map()
}

#[test]
fn verifies_a_mittr_delivery() {
    let v = verifier(Scheme::mittr(), &["s3cret"]);
    let h = signed(Scheme::mittr(), "s3cret", NOW - 10, b"{}");
    let ok = v.verify_at(&h, b"{}", at(NOW)).unwrap();
    assert_eq!(ok.scheme(), "mittr");
    assert_eq!(ok.timestamp(), Some(NOW - 10));
    assert_eq!(ok.secret_index(), 0);
    assert_eq!(ok.unsigned_event_type(), None);
}

#[test]
fn verifies_the_published_github_vector_as_mitpo() {
    let v = Verifier::builder(Scheme::mitpo())
        .secret("It's a Secret to Everybody")
        .disable_timestamp_check()
        .build()
        .unwrap();
    let mut h = HeaderMap::new();
    h.insert(
        "x-mitpo-signature",
        HeaderValue::from_static(
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
    );
    h.insert("x-mitpo-timestamp", HeaderValue::from_static("1"));
    assert!(v.verify_at(&h, b"Hello, World!", at(NOW)).is_ok());
    let err = v.verify_at(&h, b"Hello, World?", at(NOW)).unwrap_err();
    assert_eq!(err.code(), "signature_mismatch");
}

#[test]
fn rotation_reports_which_secret_matched() {
    let v = verifier(Scheme::mittr(), &["new", "old", "older"]);
    for (i, s) in ["new", "old", "older"].iter().enumerate() {
        let h = signed(Scheme::mittr(), s, NOW, b"x");
        assert_eq!(v.verify_at(&h, b"x", at(NOW)).unwrap().secret_index(), i);
    }
    let h = signed(Scheme::mittr(), "unknown", NOW, b"x");
    let err = v.verify_at(&h, b"x", at(NOW)).unwrap_err();
    assert!(matches!(
        err,
        Error::SignatureMismatch {
            secrets: 3,
            candidates: 1,
            ..
        }
    ));
}

#[test]
fn chunk_split_invariance_at_every_split_point() {
    let body: Vec<u8> = (0u8..=200).collect();
    for scheme in [Scheme::mittr(), Scheme::mitpo()] {
        let v = verifier(scheme.clone(), &["k1", "k2", "k3"]);
        let h = signed(scheme.clone(), "k3", NOW, &body);
        let mut bad = body.clone();
        bad[100] ^= 1;
        for split in 0..=body.len() {
            for (input, expect_ok) in [(&body, true), (&bad, false)] {
                let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
                p.update(&input[..split]).unwrap();
                p.update(&input[split..]).unwrap();
                assert_eq!(p.finish().is_ok(), expect_ok, "split {split}");
            }
        }
        // Byte by byte, too.
        let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
        for b in &body {
            p.update(std::slice::from_ref(b)).unwrap();
        }
        assert_eq!(p.finish().unwrap().secret_index(), 2);
    }
}

#[test]
fn stale_and_tampered_reports_the_timestamp() {
    let v = verifier(Scheme::mittr(), &["k"]);
    let h = signed(Scheme::mittr(), "k", NOW - 301, b"body");
    let err = v.verify_at(&h, b"tampered", at(NOW)).unwrap_err();
    assert!(
        matches!(err, Error::TimestampTooOld { timestamp, now: NOW, .. } if timestamp == NOW - 301)
    );
}

#[test]
fn rejects_extreme_timestamps_without_panic() {
    let v = verifier(Scheme::mittr(), &["k"]);
    let base = signed(Scheme::mittr(), "k", NOW, b"");
    for (ts, code) in [
        ("-9223372036854775808", "malformed_header"),
        ("18446744073709551616", "malformed_header"),
        ("18446744073709551615", "timestamp_in_future"),
        ("0", "timestamp_too_old"),
    ] {
        let mut h = base.clone();
        h.insert("x-mittr-timestamp", HeaderValue::from_static(ts));
        for now in [
            at(0),
            at(NOW),
            at(u64::MAX / 2),
            UNIX_EPOCH - Duration::from_secs(9),
        ] {
            let got = v.verify_at(&h, b"", now);
            if now == at(NOW) {
                assert_eq!(got.unwrap_err().code(), code, "{ts}");
            }
        }
    }
}

#[test]
fn disabled_timestamp_check_still_requires_the_header() {
    let v = Verifier::builder(Scheme::mittr())
        .secret("k")
        .disable_timestamp_check()
        .build()
        .unwrap();
    let h = signed(Scheme::mittr(), "k", 5, b"x");
    assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
    let mut h2 = h.clone();
    h2.remove("x-mittr-timestamp");
    assert_eq!(
        v.verify_at(&h2, b"x", at(NOW)).unwrap_err().code(),
        "missing_header"
    );
}

#[test]
fn zero_tolerance_means_this_second_not_unchecked() {
    let v = Verifier::builder(Scheme::mittr())
        .secret("k")
        .tolerance(Duration::ZERO)
        .build()
        .unwrap();
    let h = signed(Scheme::mittr(), "k", NOW, b"x");
    assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
    assert_eq!(
        v.verify_at(&h, b"x", at(NOW + 1)).unwrap_err().code(),
        "timestamp_too_old"
    );
}

#[test]
fn separate_past_and_future_tolerances() {
    let v = Verifier::builder(Scheme::mittr())
        .secret("k")
        .past_tolerance(Duration::from_secs(60))
        .future_tolerance(Duration::from_secs(5))
        .build()
        .unwrap();
    let ok = |ts| v.verify_at(&signed(Scheme::mittr(), "k", ts, b""), b"", at(NOW));
    assert!(ok(NOW - 60).is_ok());
    assert_eq!(ok(NOW - 61).unwrap_err().code(), "timestamp_too_old");
    assert!(ok(NOW + 5).is_ok());
    assert_eq!(ok(NOW + 6).unwrap_err().code(), "timestamp_in_future");
}

#[test]
fn injected_clock_is_used_by_verify() {
    let v = Verifier::builder(Scheme::mitpo())
        .secret("whsec_k")
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap();
    let h = signed(Scheme::mitpo(), "whsec_k", NOW - 299, b"x");
    assert!(v.verify(&h, b"x").is_ok());
    let h = signed(Scheme::mitpo(), "whsec_k", NOW - 301, b"x");
    assert_eq!(v.verify(&h, b"x").unwrap_err().code(), "timestamp_too_old");
}

#[test]
fn overridden_header_names_are_used() {
    let scheme = Scheme::mittr()
        .with_signature_header(http::HeaderName::from_static("x-sig"))
        .with_timestamp_header(http::HeaderName::from_static("x-ts"));
    let v = verifier(scheme.clone(), &["k"]);
    let h = signed(scheme, "k", NOW, b"x");
    assert!(h.contains_key("x-sig") && h.contains_key("x-ts"));
    assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
}

#[test]
fn mitpo_event_type_is_carried_but_marked_unsigned() {
    let v = verifier(Scheme::mitpo(), &["whsec_k"]);
    let mut h = signed(Scheme::mitpo(), "whsec_k", NOW, b"{}");
    h.insert(
        "x-mitpo-event",
        HeaderValue::from_static("dispatch.completed"),
    );
    let ok = v.verify_at(&h, b"{}", at(NOW)).unwrap();
    assert_eq!(ok.unsigned_event_type(), Some("dispatch.completed"));
    // Changing the unsigned header does not break the signature: that is the point.
    h.insert("x-mitpo-event", HeaderValue::from_static("refund.issued"));
    assert!(v.verify_at(&h, b"{}", at(NOW)).is_ok());
    h.append("x-mitpo-event", HeaderValue::from_static("again"));
    assert_eq!(
        v.verify_at(&h, b"{}", at(NOW)).unwrap_err().code(),
        "malformed_header"
    );
}

#[test]
fn body_limit_is_enforced_while_streaming() {
    let v = Verifier::builder(Scheme::mitpo())
        .secret("k")
        .body_limit(10)
        .build()
        .unwrap();
    let h = signed(Scheme::mitpo(), "k", NOW, b"0123456789");
    let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
    p.update(b"01234").unwrap();
    p.update(b"56789").unwrap();
    assert_eq!(
        p.update(b"!").unwrap_err(),
        Error::BodyTooLarge { limit: Some(10) }
    );
    assert!(p.finish().is_ok(), "the rejected chunk is not hashed");
}

#[test]
fn config_errors_are_separate() {
    assert_eq!(
        Verifier::builder(Scheme::mittr()).build().unwrap_err(),
        ConfigError::NoSecret
    );
    assert_eq!(
        Verifier::builder(Scheme::mittr())
            .secret("a")
            .secret("")
            .build()
            .unwrap_err(),
        ConfigError::EmptySecret { index: 1 }
    );
}

#[test]
fn debug_output_never_contains_secrets_or_signatures() {
    let v = verifier(Scheme::mittr(), &["super-secret-value"]);
    let h = signed(Scheme::mittr(), "super-secret-value", NOW, b"x");
    let sig = h.get("x-mittr-signature").unwrap().to_str().unwrap()[3..].to_owned();
    let p = v.check_headers_at(&h, at(NOW)).unwrap();
    let ok = v.verify_at(&h, b"x", at(NOW)).unwrap();
    let builder = Verifier::builder(Scheme::mittr()).secret("super-secret-value");
    let err = v.verify_at(&h, b"y", at(NOW)).unwrap_err();
    let shown = format!("{v:?} {p:?} {ok:?} {builder:?} {err:?} {err}");
    assert!(!shown.contains("super-secret-value"), "{shown}");
    assert!(!shown.contains(&sig), "{shown}");
}

#[test]
fn signed_at_never_panics_on_an_attackers_timestamp() {
    let v = Verifier::builder(Scheme::mitpo())
        .secret("k")
        .disable_timestamp_check()
        .build()
        .unwrap();
    let mut h = signed(Scheme::mitpo(), "k", NOW, b"x");
    h.insert(
        "x-mitpo-timestamp",
        HeaderValue::from_static("18446744073709551615"),
    );
    let delivery = v.verify_at(&h, b"x", at(NOW)).unwrap();
    assert_eq!(delivery.timestamp(), Some(u64::MAX));
    assert_eq!(delivery.signed_at(), None);
    h.insert("x-mitpo-timestamp", HeaderValue::from_static("1764072000"));
    let delivery = v.verify_at(&h, b"x", at(NOW)).unwrap();
    assert_eq!(delivery.signed_at(), Some(at(NOW)));
}
