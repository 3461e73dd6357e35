//! Every provider-signed vector in `tests/data/signatures.json`, through the core.

mod common;

use common::vectors;

#[test]
fn every_vector_gives_its_expected_verdict() {
    let cases = vectors::load();
    assert_eq!(cases.len(), 64, "the vector file should hold 64 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let got = match case
            .verifier()
            .verify_at(&case.header_map(), &case.body(), case.now())
        {
            Ok(_) => "ok".to_owned(),
            Err(err) => err.code().to_owned(),
        };
        if got != case.expect {
            failures.push(format!(
                "{}: expected {}, got {got}",
                case.name, case.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_gives_the_same_verdict_when_streamed_in_chunks() {
    for case in vectors::load() {
        let verifier = case.verifier();
        let body = case.body();
        let one_shot = verifier
            .verify_at(&case.header_map(), &body, case.now())
            .map_err(|e| e.code());
        for chunk in [1, 7, 64, 1000] {
            let streamed = verifier
                .check_headers_at(&case.header_map(), case.now())
                .and_then(|mut pending| {
                    for piece in body.chunks(chunk) {
                        pending.update(piece)?;
                    }
                    pending.finish()
                })
                .map_err(|e| e.code());
            assert_eq!(streamed, one_shot, "{} in chunks of {chunk}", case.name);
        }
    }
}

#[test]
fn error_messages_never_contain_a_secret_or_the_expected_signature() {
    for case in vectors::load() {
        let Err(err) = case
            .verifier()
            .verify_at(&case.header_map(), &case.body(), case.now())
        else {
            continue;
        };
        let timestamp = case
            .headers
            .iter()
            .find(|(n, _)| n.to_ascii_lowercase().ends_with("-timestamp"))
            .and_then(|(_, v)| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let text = format!("{err} {err:?} {}", err.body_json());
        for secret in &case.secrets {
            assert!(!text.contains(secret.as_str()), "{}: {text}", case.name);
            let expected = hookwarden::Signer::new(case.scheme(), secret.as_str())
                .unwrap()
                .digest(timestamp, &case.body());
            assert!(
                !text.contains(&hex::encode(expected)),
                "{}: {text}",
                case.name
            );
        }
        let header = err.header().map(|h| h.as_str().to_owned());
        if let Some(h) = header {
            assert!(
                text.contains(&h),
                "{}: message should name {h}: {text}",
                case.name
            );
        }
    }
}
