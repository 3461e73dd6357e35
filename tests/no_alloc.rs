//! `Verifier::verify` allocates nothing for Mittr, replay protection on (the
//! default) or off, and for MITPO only the event type that `Verified`
//! carries; the streamed path allocates the replay digest's hasher once,
//! when replay protection is on. Counted with a counting global
//! allocator; this file holds a single test so no other test's allocations
//! are counted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookwarden::{Scheme, Signer, Verifier};

#[test]
fn verification_allocates_only_what_verified_carries() {
    let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
    let body = vec![b'x'; 16 * 1024];

    // Mittr, with one secret and with two (rotation), replay protection on
    // (the default: `verify` computes the replay digest, and does not
    // claim): nothing at all.
    for secrets in [&["current"][..], &["current", "previous"][..]] {
        let verifier = Verifier::builder(Scheme::mittr())
            .secrets(secrets.iter().copied())
            .build()
            .unwrap();
        assert!(verifier.replay_protection().is_some());
        let headers = Signer::new(Scheme::mittr(), *secrets.last().unwrap())
            .unwrap()
            .sign(1_764_071_990, &body)
            .to_header_map();
        // Warm up anything lazily initialised (CPU feature detection).
        verifier.verify_at(&headers, &body, now).unwrap();
        let info = allocation_counter::measure(|| {
            let verified = verifier.verify_at(&headers, &body, now).unwrap();
            std::hint::black_box(verified);
        });
        assert_eq!(
            info.count_total,
            0,
            "Mittr with {} secret(s): {info:?}",
            secrets.len()
        );

        // Rejections do not allocate either.
        let info = allocation_counter::measure(|| {
            let err = verifier.verify_at(&headers, b"tampered", now).unwrap_err();
            std::hint::black_box(err);
        });
        assert_eq!(info.count_total, 0, "Mittr mismatch: {info:?}");

        // The streamed path: the replay digest's hasher, once.
        let info = allocation_counter::measure(|| streamed(&verifier, &headers, &body, now));
        assert_eq!(info.count_total, 1, "Mittr streamed: {info:?}");
        let unprotected = Verifier::builder(Scheme::mittr())
            .secrets(secrets.iter().copied())
            .without_replay_protection()
            .build()
            .unwrap();
        let info = allocation_counter::measure(|| {
            std::hint::black_box(unprotected.verify_at(&headers, &body, now).unwrap());
            streamed(&unprotected, &headers, &body, now);
        });
        assert_eq!(info.count_total, 0, "Mittr opted out: {info:?}");
    }

    // MITPO: exactly one allocation, the event type string in `Verified`.
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret("whsec_k")
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::mitpo(), "whsec_k")
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap();
    let headers = signer.sign(1_764_071_990, &body).to_header_map();
    let info = allocation_counter::measure(|| {
        let verified = verifier.verify_at(&headers, &body, now).unwrap();
        assert_eq!(verified.unsigned_event_type(), Some("dispatch.completed"));
        std::hint::black_box(verified);
    });
    assert_eq!(info.count_total, 1, "MITPO with event header: {info:?}");
    let headers = Signer::new(Scheme::mitpo(), "whsec_k")
        .unwrap()
        .sign(1_764_071_990, &body)
        .to_header_map();
    let info = allocation_counter::measure(|| {
        std::hint::black_box(verifier.verify_at(&headers, &body, now).unwrap());
    });
    assert_eq!(info.count_total, 0, "MITPO without event header: {info:?}");
}

/// Verifies `body` streamed in chunks of 1000 bytes.
fn streamed(verifier: &Verifier, headers: &http::HeaderMap, body: &[u8], now: SystemTime) {
    let mut pending = verifier.check_headers_at(headers, now).unwrap();
    for chunk in body.chunks(1000) {
        pending.update(chunk).unwrap();
    }
    std::hint::black_box(pending.finish().unwrap());
}
