//! Every catalogued mistake (`tests/common/mistakes.rs`) through the
//! library: the cause named, confirmed where the engine undid it, the
//! codes tried, no secret and no expected signature in anything shown.

#[path = "common/mistakes.rs"]
mod mistakes;

use std::time::{Duration, UNIX_EPOCH};

use hookguard::diagnose::{diagnose, Audience, CODES};
use hookguard::{Scheme, Secret};

#[test]
fn every_mistake_is_named_through_the_library() {
    let mut failures = Vec::new();
    for m in mistakes::all() {
        let scheme = Scheme::preset(m.scheme).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(mistakes::NOW);
        let d = diagnose(&scheme, &m.header_map(), &m.body, &m.secrets, now);
        let got = d.likely_cause().map_or("ok", |c| c.code());
        if got != m.cause || d.is_ok() != (m.cause == "ok") {
            failures.push(format!(
                "{} ({}): expected {}, got {got} after {:?}",
                m.name,
                m.scheme,
                m.cause,
                d.tried()
            ));
            continue;
        }
        let Some(cause) = d.likely_cause() else {
            assert!(d.tried().is_empty(), "{}", m.name);
            continue;
        };
        assert!(
            d.tried().contains(&cause.code()),
            "{}: {:?}",
            m.name,
            d.tried()
        );
        for code in d.tried() {
            assert!(CODES.contains(code), "{code}");
        }
        for audience in [Audience::Library, Audience::Cli, Audience::Page] {
            let hint = cause.hint_for(audience);
            let shown = format!("{hint} {cause:?} {d:?}");
            for secret in &m.secrets {
                let secret = secret.trim_matches(|c: char| c.is_whitespace() || c == '"');
                assert!(
                    !shown.contains(secret),
                    "{}: the secret leaked: {shown}",
                    m.name
                );
            }
            for (_, value) in &m.headers {
                if value.len() >= 20 {
                    assert!(
                        !shown.contains(value.as_str()),
                        "{}: a signature is shown: {shown}",
                        m.name
                    );
                }
            }
        }
        if cause.code() == "different_secret" {
            assert!(!cause.is_confirmed());
            let fp = Secret::from(m.secrets[0].as_str()).fingerprint();
            assert!(cause.hint().contains(&fp), "{}", cause.hint());
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
fn the_catalogue_covers_every_code() {
    let covered = mistakes::covered_codes();
    for code in CODES {
        assert!(covered.contains(code), "no catalogued mistake for {code}");
    }
}
