//! The hookguard demo: signs a Mittr and a MITPO delivery in-process, verifies
//! them, and shows what the verifier says about tampered, stale and forged
//! ones. Exits non-zero if any verdict differs from what is expected.
//!
//! Run with `cargo run --example demo`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use hookguard::{Scheme, Signer, Verifier};

/// scenario, scheme, verifier, headers, body, expected code
type Case<'a> = (
    &'static str,
    &'static str,
    &'a Verifier,
    http::HeaderMap,
    Vec<u8>,
    &'static str,
);

struct Row {
    scenario: &'static str,
    scheme: &'static str,
    expected: &'static str,
    got: String,
    detail: String,
}

fn main() -> ExitCode {
    let now = SystemTime::now();
    let unix = hookguard::timestamp::unix_seconds(now);
    let mittr_secret = "mittr-demo-secret";
    let mitpo_secret = "whsec_demo_secret_k3y";
    let body: &[u8] = br#"{"event":"dispatch.completed","data":{"id":"d_123","amount":4200}}"#;

    let mittr = Verifier::builder(Scheme::mittr())
        .secret(mittr_secret)
        .secret("mittr-previous-secret")
        .tolerance(Duration::from_secs(300))
        .build()
        .expect("valid configuration");
    let mitpo = Verifier::builder(Scheme::mitpo())
        .secret(mitpo_secret)
        .build()
        .expect("valid configuration");
    let sign = |scheme: Scheme, secret: &str, ts: u64, body: &[u8]| {
        Signer::new(scheme, secret)
            .expect("non-empty secret")
            .with_event_type("dispatch.completed")
            .expect("valid event type")
            .sign(ts, body)
            .to_header_map()
    };

    let mut tampered = body.to_vec();
    tampered[40] ^= 0x01;
    let cases: Vec<Case<'_>> = vec![
        (
            "valid delivery",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), mittr_secret, unix, body),
            body.to_vec(),
            "ok",
        ),
        (
            "rotated secret",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), "mittr-previous-secret", unix, body),
            body.to_vec(),
            "ok",
        ),
        (
            "tampered body",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), mittr_secret, unix, body),
            tampered.clone(),
            "signature_mismatch",
        ),
        (
            "wrong secret",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), "attacker-guess", unix, body),
            body.to_vec(),
            "signature_mismatch",
        ),
        (
            "stale timestamp",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), mittr_secret, unix - 600, body),
            body.to_vec(),
            "timestamp_too_old",
        ),
        (
            "future timestamp",
            "mittr",
            &mittr,
            sign(Scheme::mittr(), mittr_secret, unix + 600, body),
            body.to_vec(),
            "timestamp_in_future",
        ),
        (
            "missing header",
            "mittr",
            &mittr,
            http::HeaderMap::new(),
            body.to_vec(),
            "missing_header",
        ),
        (
            "valid delivery",
            "mitpo",
            &mitpo,
            sign(Scheme::mitpo(), mitpo_secret, unix, body),
            body.to_vec(),
            "ok",
        ),
        (
            "tampered body",
            "mitpo",
            &mitpo,
            sign(Scheme::mitpo(), mitpo_secret, unix, body),
            tampered,
            "signature_mismatch",
        ),
        (
            "prefix stripped",
            "mitpo",
            &mitpo,
            sign(Scheme::mitpo(), "demo_secret_k3y", unix, body),
            body.to_vec(),
            "signature_mismatch",
        ),
    ];

    let mut rows = Vec::new();
    for (scenario, scheme, verifier, headers, body, expected) in cases {
        let (got, detail) = match verifier.verify_at(&headers, &body, now) {
            Ok(v) => (
                "ok".to_owned(),
                format!(
                    "secret #{} event {:?} (unsigned)",
                    v.secret_index(),
                    v.unsigned_event_type().unwrap_or("-")
                ),
            ),
            Err(e) => (e.code().to_owned(), format!("{} {e}", e.status().as_u16())),
        };
        rows.push(Row {
            scenario,
            scheme,
            expected,
            got,
            detail,
        });
    }

    println!(
        "{:<18} {:<6} {:<20} {:<20} {:<5} detail",
        "scenario", "scheme", "expected", "got", "pass"
    );
    let mut failed = 0;
    for row in &rows {
        let pass = row.got == row.expected;
        failed += usize::from(!pass);
        println!(
            "{:<18} {:<6} {:<20} {:<20} {:<5} {}",
            row.scenario,
            row.scheme,
            row.expected,
            row.got,
            if pass { "PASS" } else { "FAIL" },
            row.detail
        );
    }
    println!("{} passed, {} failed", rows.len() - failed, failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
