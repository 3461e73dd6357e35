//! Every catalogued mistake (`tests/common/mistakes.rs`) through the
//! library: the cause named, confirmed where the engine undid it, the
//! codes tried, no secret and no expected signature in anything shown.

#[path = "common/mistakes.rs"]
mod mistakes;

use std::time::{Duration, UNIX_EPOCH};

use hookwarden::diagnose::{diagnose, diagnose_with, Audience, Limits, Options, CODES};
use hookwarden::{Scheme, Secret};

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

#[test]
fn the_guide_documents_every_code() {
    let guide = include_str!("../docs/diagnose.md");
    for code in CODES {
        assert!(
            guide.contains(&format!("| `{code}` |")),
            "docs/diagnose.md has no row for {code}"
        );
    }
}

/// A gzip bomb (64 MiB of zeros in about 64 KiB) is decompressed no
/// further than the limit, and named from its header alone.
#[test]
fn a_gzip_bomb_is_not_inflated_past_the_limit() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    let mut headers = hookwarden::Signer::new(Scheme::github(), "k")
        .unwrap()
        .sign(0, b"{}")
        .to_header_map();
    headers.insert("content-encoding", "gzip".parse().unwrap());
    let mut limits = Limits::default();
    limits.max_decompressed = 1 << 20;
    let start = std::time::Instant::now();
    let d = diagnose_with(
        &Scheme::github(),
        &headers,
        &bomb,
        &["k"],
        UNIX_EPOCH,
        &Options::new().limits(limits),
    );
    let cause = d.likely_cause().unwrap();
    assert_eq!(cause.code(), "body_compressed");
    assert!(!cause.is_confirmed());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// At most `max_candidates` are tried: with a budget of one, the diagnosis
/// stops early and falls back honestly.
#[test]
fn the_budget_bounds_the_candidates() {
    let headers = hookwarden::Signer::new(Scheme::mittr(), "k")
        .unwrap()
        .sign(mistakes::NOW, b"{\"a\": 1}")
        .to_header_map();
    let now = UNIX_EPOCH + Duration::from_secs(mistakes::NOW);
    let mut limits = Limits::default();
    limits.max_candidates = 1;
    let body = b"{\"a\": 1}\n";
    let d = diagnose_with(
        &Scheme::mittr(),
        &headers,
        body,
        &["k"],
        now,
        &Options::new().limits(limits),
    );
    assert_eq!(d.likely_cause().unwrap().code(), "different_secret");
    let d = diagnose(&Scheme::mittr(), &headers, body, &["k"], now);
    assert_eq!(d.likely_cause().unwrap().code(), "trailing_newline");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever the request holds, the diagnosis of every preset returns
    /// (no panic), with known codes only.
    #[test]
    fn hostile_input_never_panics(
        preset in proptest::sample::select(Scheme::PRESETS),
        signature in "[ -~]{0,200}",
        timestamp in "[0-9a-z.:-]{0,20}",
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
        prefix in proptest::sample::select(vec![&b""[..], b"\x1f\x8b\x08", b"{\"a\":[", b"\xef\xbb\xbf", b"x\x9c"]),
        secret in "[ -~]{1,40}",
    ) {
        let scheme = Scheme::preset(preset).unwrap();
        let mut headers = http::HeaderMap::new();
        for name in scheme.signature_headers() {
            if let Ok(v) = signature.parse() {
                headers.insert(name.clone(), v);
            }
        }
        for name in ["x-mittr-timestamp", "webhook-timestamp", "x-slack-request-timestamp", "content-length", "webhook-id"] {
            if let Ok(v) = timestamp.parse() {
                headers.insert(name, v);
            }
        }
        headers.insert("content-encoding", "gzip".parse().unwrap());
        let body = [prefix, &body[..]].concat();
        let d = diagnose(&scheme, &headers, &body, &[secret.as_str()], UNIX_EPOCH + Duration::from_secs(mistakes::NOW));
        for code in d.tried() {
            proptest::prop_assert!(CODES.contains(code));
        }
        if let Some(cause) = d.likely_cause() {
            proptest::prop_assert!(CODES.contains(&cause.code()));
            let _ = cause.hint_for(Audience::Page);
        }
    }
}
