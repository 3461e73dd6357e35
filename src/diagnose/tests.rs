//! Unit tests of the diagnosis, one per family of causes.

use super::*;
use crate::Signer;
use base64::Engine as _;
use http::HeaderMap;
use std::time::UNIX_EPOCH;

const NOW: u64 = 1_764_072_000;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn cause(scheme: Scheme, headers: &HeaderMap, body: &[u8], secret: &str) -> String {
    let d = diagnose(&scheme, headers, body, &[secret], at(NOW));
    assert!(!d.is_ok());
    d.likely_cause().unwrap().code().to_owned()
}

fn sign(scheme: Scheme, secret: &[u8], ts: u64, body: &[u8]) -> HeaderMap {
    Signer::new(scheme, secret)
        .unwrap()
        .sign(ts, body)
        .to_header_map()
}

const JSON: &[u8] = br#"{"event": "dispatch.completed", "data": {"id": "d_1", "amount": 42}}"#;

#[test]
fn a_valid_delivery_has_no_cause() {
    let h = sign(Scheme::mittr(), b"k", NOW, JSON);
    let d = diagnose(&Scheme::mittr(), &h, JSON, &["k"], at(NOW));
    assert!(d.is_ok() && d.likely_cause().is_none());
}

#[test]
fn finds_body_reserializations() {
    for scheme in [Scheme::mittr(), Scheme::mitpo()] {
        let h = sign(scheme.clone(), b"k", NOW, JSON);
        // The framework pretty-printed the sender's JSON (key order kept).
        let pretty = b"{\n  \"event\": \"dispatch.completed\",\n  \"data\": {\n    \"id\": \"d_1\",\n    \"amount\": 42\n  }\n}";
        let d = diagnose(&scheme, &h, pretty, &["k"], at(NOW));
        assert_eq!(
            d.likely_cause().unwrap().code(),
            "body_reserialized",
            "{:?}",
            d.likely_cause()
        );
        // The sender's keys were sorted; the framework kept a different order.
        let sorted = br#"{"data":{"amount":42,"id":"d_1"},"event":"dispatch.completed"}"#;
        let h = sign(scheme.clone(), b"k", NOW, sorted);
        assert_eq!(cause(scheme.clone(), &h, JSON, "k"), "body_reserialized");
        // Sent compact, received pretty.
        let compact = br#"{"event":"dispatch.completed","data":{"id":"d_1","amount":42}}"#.to_vec();
        let h = sign(scheme.clone(), b"k", NOW, &compact);
        assert_eq!(cause(scheme.clone(), &h, JSON, "k"), "body_reserialized");
    }
}

#[test]
fn finds_newline_and_line_ending_changes() {
    let h = sign(Scheme::mittr(), b"k", NOW, JSON);
    assert_eq!(
        cause(Scheme::mittr(), &h, &[JSON, b"\n"].concat(), "k"),
        "trailing_newline"
    );
    let with_nl = [JSON, b"\n"].concat();
    let h = sign(Scheme::mitpo(), b"k", NOW, &with_nl);
    assert_eq!(cause(Scheme::mitpo(), &h, JSON, "k"), "trailing_newline");
    let crlf = b"line one\r\nline two\r\n".to_vec();
    let h = sign(Scheme::mitpo(), b"k", NOW, &crlf);
    assert_eq!(
        cause(Scheme::mitpo(), &h, b"line one\nline two\n", "k"),
        "line_endings_changed"
    );
}

#[test]
fn finds_lossy_utf8_decoding() {
    let original = b"{\"name\":\"caf\xe9\"}".to_vec();
    let h = sign(Scheme::mitpo(), b"k", NOW, &original);
    let lossy = String::from_utf8_lossy(&original).into_owned().into_bytes();
    assert_eq!(
        cause(Scheme::mitpo(), &h, &lossy, "k"),
        "body_decoded_lossily"
    );
}

#[test]
fn finds_scheme_mixups() {
    let mitpo_form = sign(Scheme::mitpo(), b"k", NOW, JSON);
    let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
    let hex = &mitpo_form
        .get("x-mitpo-signature")
        .unwrap()
        .to_str()
        .unwrap()[7..];
    h.insert("x-mittr-signature", format!("v1={hex}").parse().unwrap());
    assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "scheme_mixup");
    // And the other way round.
    let mittr_form = sign(Scheme::mittr(), b"k", NOW, JSON);
    let mut h = sign(Scheme::mitpo(), b"k", NOW, JSON);
    let hex = &mittr_form
        .get("x-mittr-signature")
        .unwrap()
        .to_str()
        .unwrap()[3..];
    h.insert(
        "x-mitpo-signature",
        format!("sha256={hex}").parse().unwrap(),
    );
    h.insert("x-mitpo-timestamp", NOW.into());
    assert_eq!(cause(Scheme::mitpo(), &h, JSON, "k"), "scheme_mixup");
}

#[test]
fn finds_secret_mistakes() {
    let h = sign(Scheme::mitpo(), b"MfKQ9r8GKYqr", NOW, JSON);
    assert_eq!(
        cause(Scheme::mitpo(), &h, JSON, "whsec_MfKQ9r8GKYqr"),
        "secret_prefix"
    );
    let h = sign(Scheme::mitpo(), b"whsec_MfKQ9r8GKYqr", NOW, JSON);
    assert_eq!(
        cause(Scheme::mitpo(), &h, JSON, "MfKQ9r8GKYqr"),
        "secret_prefix"
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode("c2VjcmV0LWJ5dGVz")
        .unwrap();
    let h = sign(Scheme::mitpo(), &decoded, NOW, JSON);
    assert_eq!(
        cause(Scheme::mitpo(), &h, JSON, "whsec_c2VjcmV0LWJ5dGVz"),
        "secret_base64_decoded"
    );
    let h = sign(Scheme::mittr(), b"s3cret", NOW, JSON);
    assert_eq!(
        cause(Scheme::mittr(), &h, JSON, "s3cret\n"),
        "secret_whitespace"
    );
    let h = sign(Scheme::mittr(), b"s3cret\n", NOW, JSON);
    assert_eq!(
        cause(Scheme::mittr(), &h, JSON, "s3cret"),
        "secret_whitespace"
    );
}

#[test]
fn finds_timestamp_problems() {
    let h = sign(Scheme::mittr(), b"k", NOW * 1000, JSON);
    assert_eq!(
        cause(Scheme::mittr(), &h, JSON, "k"),
        "timestamp_in_milliseconds"
    );
    let h = sign(Scheme::mittr(), b"k", NOW - 900, JSON);
    let d = diagnose(&Scheme::mittr(), &h, JSON, &["k"], at(NOW));
    assert_eq!(
        d.likely_cause(),
        Some(&LikelyCause::ClockSkew {
            seconds: -900,
            signature_valid: true
        })
    );
    assert!(d.likely_cause().unwrap().hint().contains("900 s behind"));
}

#[test]
fn finds_the_other_schemes_headers() {
    let h = sign(Scheme::mitpo(), b"k", NOW, JSON);
    assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "wrong_scheme");
    let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
    let v = h
        .get("x-mittr-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .replace("v1=", "sha256=");
    h.insert("x-mittr-signature", v.parse().unwrap());
    // Mittr's own signature under MITPO's label: only the label is wrong.
    assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "signature_label");
    // MITPO's whole entry in Mittr's header: another preset's.
    let mitpo = sign(Scheme::mitpo(), b"k", NOW, JSON);
    let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
    h.insert("x-mittr-signature", mitpo["x-mitpo-signature"].clone());
    assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "wrong_scheme");
    let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
    h.remove("x-mittr-signature");
    assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "missing_header");
}

#[test]
fn falls_back_to_a_different_secret_without_showing_it() {
    let h = sign(Scheme::mittr(), b"someone-elses-secret", NOW, JSON);
    let d = diagnose(
        &Scheme::mittr(),
        &h,
        JSON,
        &["my-configured-secret"],
        at(NOW),
    );
    let cause = d.likely_cause().unwrap();
    assert_eq!(cause.code(), "different_secret");
    let text = format!("{cause} {cause:?} {d:?}");
    assert!(
        !text.contains("my-configured-secret") && !text.contains("someone-elses"),
        "{text}"
    );
    assert!(text.contains(&Secret::from("my-configured-secret").fingerprint()));
}

/// One value of every variant, in [`CODES`]' order.
fn every_cause() -> Vec<LikelyCause> {
    use crate::scheme::{Algorithm, Encoding};
    let h = || http::HeaderName::from_static("x-mittr-signature");
    vec![
        LikelyCause::MissingHeader { header: h() },
        LikelyCause::MalformedHeader {
            header: h(),
            reason: crate::Malformed::InvalidHex,
        },
        LikelyCause::WrongScheme {
            looks_like: "github",
            confirmed: true,
        },
        LikelyCause::InvalidSecret {
            error: crate::ConfigError::EmptySecret { index: 0 },
        },
        LikelyCause::TimestampInMilliseconds,
        LikelyCause::ClockSkew {
            seconds: 600,
            signature_valid: true,
        },
        LikelyCause::SchemeMixup {
            signed_as: "<body>".into(),
            like: vec!["github"],
        },
        LikelyCause::SignatureEncoding {
            found: Encoding::Hex,
            expected: Encoding::Base64,
        },
        LikelyCause::SignatureCaseChanged,
        LikelyCause::SignatureAlgorithm {
            found: Algorithm::HmacSha1,
            expected: Algorithm::HmacSha256,
        },
        LikelyCause::SignatureLabel {
            found: "sha256=".into(),
            expected: "v1=<hex>".into(),
        },
        LikelyCause::SignatureSeveralEntries { entries: 2 },
        LikelyCause::SecretWhitespace { configured: true },
        LikelyCause::SecretQuoted,
        LikelyCause::SecretPrefix {
            prefix: "whsec_",
            sender_stripped: true,
        },
        LikelyCause::SecretBase64Decoded,
        LikelyCause::SecretBase64Encoded,
        LikelyCause::SecretHexDecoded,
        LikelyCause::SecretHexEncoded,
        LikelyCause::SecretNotDecoded,
        LikelyCause::BodyBom { added: true },
        LikelyCause::TrailingNewline { added: true },
        LikelyCause::BodyWhitespace { added: true },
        LikelyCause::LineEndingsChanged { to_crlf: true },
        LikelyCause::BodyJsonEscapes {
            signed_escaped: true,
        },
        LikelyCause::BodyReserialized {
            style: "compact",
            keys_sorted: true,
        },
        LikelyCause::BodyCharset { signed_as: "UTF-8" },
        LikelyCause::BodyDecodedLossily,
        LikelyCause::BodyCompressed {
            encoding: "gzip",
            confirmed: true,
        },
        LikelyCause::BodyDecompressed { encoding: "gzip" },
        LikelyCause::BodyTruncated {
            received: 512,
            declared: Some(900),
        },
        LikelyCause::BodyEmpty,
        LikelyCause::DifferentSecret {
            fingerprints: vec!["0a1b2c3d".into()],
        },
    ]
}

#[test]
fn every_variant_has_its_code_and_a_hint_for_each_reader() {
    let codes: Vec<&str> = every_cause().iter().map(LikelyCause::code).collect();
    assert_eq!(codes, CODES);
    for cause in every_cause() {
        assert_eq!(cause.hint(), cause.hint_for(Audience::Library));
        for audience in [
            Audience::Library,
            Audience::Cli,
            Audience::Page,
            Audience::Listen,
        ] {
            let hint = cause.hint_for(audience);
            assert!(hint.len() > 30, "{}: {hint}", cause.code());
            if audience != Audience::Library {
                assert!(!hint.contains("Scheme::"), "{hint}");
            }
        }
        // `listen` has none of `verify`'s input flags: its fixes never
        // name them.
        let listen = cause.hint_for(Audience::Listen);
        for flag in ["--body-file", "--request-file", "--header", "--now"] {
            assert!(!listen.contains(flag), "{}: {listen}", cause.code());
        }
        assert_eq!(
            cause.to_string(),
            format!("{}: {}", cause.code(), cause.hint())
        );
    }
}

#[test]
fn hints_are_in_the_readers_terms() {
    let wrong = LikelyCause::WrongScheme {
        looks_like: "standard-webhooks",
        confirmed: true,
    };
    assert!(wrong
        .hint_for(Audience::Library)
        .contains("`Scheme::standard_webhooks()`"));
    assert!(wrong
        .hint_for(Audience::Cli)
        .contains("`--scheme standard-webhooks`"));
    assert!(wrong
        .hint_for(Audience::Page)
        .contains("the provider \u{201c}Standard Webhooks\u{201d}"));
    let newline = LikelyCause::TrailingNewline { added: true };
    assert!(newline
        .hint_for(Audience::Library)
        .contains("verifier.verify(&headers, &body)"));
    assert!(newline.hint_for(Audience::Cli).contains("--body-file"));
    assert!(newline
        .hint_for(Audience::Page)
        .contains("choose it as a file"));
    let skew = LikelyCause::ClockSkew {
        seconds: -900,
        signature_valid: false,
    };
    assert!(
        skew.hint_for(Audience::Cli).contains("900 s behind")
            && skew.hint_for(Audience::Cli).contains("--now")
    );
}

#[test]
fn a_signing_key_given_to_verify_says_which_key_to_use() {
    let whsk = format!(
        "whsk_{}",
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    );
    let h = sign(Scheme::standard_webhooks(), whsk.as_bytes(), NOW, JSON);
    let d = diagnose(
        &Scheme::standard_webhooks(),
        &h,
        JSON,
        &[whsk.as_str()],
        at(NOW),
    );
    assert_eq!(d.error().map(Error::code), Some("invalid_config"));
    let cause = d.likely_cause().unwrap();
    assert_eq!(cause.code(), "invalid_secret");
    assert!(cause.hint().contains("whpk_"), "{}", cause.hint());
    assert!(!format!("{cause:?} {}", cause.hint()).contains(&whsk[5..]));
    // A Standard Webhooks secret with the newline of an env file: the
    // verifier cannot even decode it, and the newline is named.
    let secret = "whsec_c2VjcmV0LXNlY3JldA==";
    let h = sign(Scheme::standard_webhooks(), secret.as_bytes(), NOW, JSON);
    let d = diagnose(
        &Scheme::standard_webhooks(),
        &h,
        JSON,
        &[format!("{secret}\n")],
        at(NOW),
    );
    assert_eq!(d.likely_cause().unwrap().code(), "secret_whitespace");
}

#[test]
fn json_escapes_either_way() {
    let raw = "{\"name\":\"Zo\u{eb}\"}".as_bytes();
    let escaped = b"{\"name\":\"Zo\\u00eb\"}";
    let h = sign(Scheme::github(), b"k", 0, escaped);
    let d = diagnose(&Scheme::github(), &h, raw, &["k"], at(NOW));
    assert_eq!(
        d.likely_cause(),
        Some(&LikelyCause::BodyJsonEscapes {
            signed_escaped: true
        })
    );
    let h = sign(Scheme::github(), b"k", 0, raw);
    let d = diagnose(&Scheme::github(), &h, escaped, &["k"], at(NOW));
    assert_eq!(
        d.likely_cause(),
        Some(&LikelyCause::BodyJsonEscapes {
            signed_escaped: false
        })
    );
    // Signed with another secret: not explained by escapes.
    let h = sign(Scheme::github(), b"other", 0, raw);
    let d = diagnose(&Scheme::github(), &h, escaped, &["k"], at(NOW));
    assert_eq!(d.likely_cause().unwrap().code(), "different_secret");
}

#[test]
fn another_presets_entries_in_a_header_without_a_timestamp_entry() {
    // MITPO's entry pasted into Stripe's header: no `t=`, so no message to
    // recompute; the label still says whose entry it is.
    let mitpo = sign(Scheme::mitpo(), b"k", NOW, JSON);
    let mut h = HeaderMap::new();
    h.insert("stripe-signature", mitpo["x-mitpo-signature"].clone());
    let d = diagnose(&Scheme::stripe(), &h, JSON, &["k"], at(NOW));
    assert_eq!(d.error().unwrap().code(), "malformed_header");
    assert_eq!(
        d.likely_cause(),
        Some(&LikelyCause::WrongScheme {
            looks_like: "mitpo",
            confirmed: false
        })
    );
}
