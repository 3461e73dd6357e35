//! Conformance: every case of the providers' own published test suites
//! (`tests/data/providers/*.json`, each case citing its repository and
//! file; see the README there) through the matching preset. An `ok` case
//! must verify, and, re-signed with hookwarden's `Signer`, produce the very
//! entry the provider's library wrote; an `error` case must fail with the
//! expected code. Where hookwarden is deliberately stricter than a provider's
//! library, the case is listed in `STRICTER` with the reason, and checked
//! to fail with the stricter code (never silently skipped).

use std::time::{Duration, UNIX_EPOCH};

use hookwarden::scheme::{Encoding, ReplayBasis, TimestampSource};
use hookwarden::{ConfigError, Scheme, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

/// Cases where hookwarden answers differently from the vector's `expect`,
/// on purpose: (file, case, our code, why).
const STRICTER: &[(&str, &str, &str, &str)] = &[
    (
        "stripe",
        "one_hour_in_future",
        "timestamp_in_future",
        "stripe-node never rejects a future timestamp; hookwarden allows 300 s of clock skew, \
         as for every preset (widen `future_tolerance` to follow Stripe)",
    ),
    (
        "github",
        "go_signature_without_prefix",
        "missing_header",
        "go-github falls back to the legacy SHA-1 `X-Hub-Signature` and finds it unparsable; \
         hookwarden never reads that header, so it is missing (as in \
         go_sha1_valid_in_x_hub_signature_only)",
    ),
    (
        "bitbucket",
        "base64_instead_of_hex",
        "malformed_header",
        "a value that is not hex is malformed, as for GitHub (no library: the rule compares text)",
    ),
    (
        "intercom",
        "base64_instead_of_hex",
        "malformed_header",
        "a value that is not hex is malformed, as for GitHub (no library: the rule compares text)",
    ),
    (
        "pagerduty",
        "base64_instead_of_hex",
        "signature_mismatch",
        "a `v1` value that does not decode fails to match, as the docs' sample answers; go-pagerduty \
         skips it and calls a header left with no entry malformed",
    ),
    (
        "discord",
        "non_hex_pair_decoding_to_zero",
        "signature_mismatch",
        "a signature that is not hex fails to match, as discord-interactions-js answers (false); \
         the Python library's `bytes.fromhex` raises instead",
    ),
    (
        "svix",
        "negative_timestamp",
        "malformed_header",
        "a timestamp is ASCII digits only; svix's Rust library also refuses it as invalid \
         (the Python one calls it too old)",
    ),
];

/// Cases hookwarden accepts although the provider's library refuses them,
/// on purpose: (file, case, why). Each is signed with one of the
/// verifier's own secrets over the very bytes received: written another
/// way (capitals, spaces), under a key id not read, or over an empty body.
const WIDER: &[(&str, &str, &str)] = &[
    ("bitbucket", "uppercase_hex", UPPER_HEX),
    ("buildkite", "constructed_uppercase_hex", UPPER_HEX),
    ("calendly", "uppercase_hex", UPPER_HEX),
    ("coinbase_commerce", "uppercase_hex", UPPER_HEX),
    ("intercom", "uppercase_hex", UPPER_HEX),
    ("lemon_squeezy", "uppercase_hex", UPPER_HEX),
    ("mux", "constructed_uppercase_hex", UPPER_HEX),
    ("paddle", "constructed_uppercase_hex", UPPER_HEX),
    ("pagerduty", "uppercase_hex", UPPER_HEX),
    ("zoom", "uppercase_hex", UPPER_HEX),
    ("twitch", "uppercase_hex", UPPER_HEX),
    ("sentry", "uppercase_hex", UPPER_HEX),
    ("vercel", "uppercase_hex", UPPER_HEX),
    ("dropbox", "uppercase_hex", UPPER_HEX),
    ("circleci", "uppercase_hex", UPPER_HEX),
    ("meta", "uppercase_hex", UPPER_HEX),
    ("terraform", "uppercase_hex", UPPER_HEX),
    ("launchdarkly", "uppercase_hex", UPPER_HEX),
    ("alchemy", "uppercase_hex", UPPER_HEX),
    ("tiktok", "uppercase_hex", UPPER_HEX),
    ("webflow", "uppercase_hex", UPPER_HEX),
    ("modern_treasury", "uppercase_hex", UPPER_HEX),
    ("launchdarkly", "hex_with_surrounding_space", TRIMMED),
    ("modern_treasury", "signature_with_trailing_space", TRIMMED),
    ("aftership", "signature_with_surrounding_space", TRIMMED),
    ("chargify", "uppercase_hex", UPPER_HEX),
    ("webex", "uppercase_hex", UPPER_HEX),
    (
        "castle",
        "node_empty_payload",
        "an empty body with a valid MAC verifies: hookwarden checks the signature, not the body's \
         shape (Castle's libraries refuse an empty body before any check)",
    ),
    ("worldline", "keyid_header_absent", KEY_ID),
    ("worldline", "keyid_names_unknown_key", KEY_ID),
    ("worldline", "keyid_selects_wrong_key", KEY_ID),
    ("worldline", "node_keyid_prototype_property", KEY_ID),
    (
        "worldline",
        "py_unmarshal_duplicate_signature_headers",
        "several instances of the signature header are read together, as for every preset; one \
         valid signature verifies",
    ),
];

const KEY_ID: &str = "hookwarden does not read `X-GCS-KeyId`: it tries every configured secret \
    (all of them yours), where Worldline's SDKs try only the one the key id names";

const TRIMMED: &str = "spaces around a field value are not part of it (RFC 9110 section 5.5: \
    servers strip them); hookwarden trims them as HTTP does";

const UPPER_HEX: &str = "hookwarden decodes hex in either case and compares the MAC's bytes \
    (as go-github, go-pagerduty and go-buildkite do); the libraries that compare lower-case text \
    refuse the same valid MAC written in capitals";

/// The preset a file's cases are for: its name, `_` written `-`.
fn scheme(file: &str) -> Scheme {
    Scheme::preset(&file.replace('_', "-")).expect("a preset per file")
}

fn headers(case: &Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    for pair in case["headers"].as_array().unwrap() {
        let name = HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap();
        let value = HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap();
        map.append(name, value);
    }
    map
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// What hookwarden answers for `case`: `ok` and the index of the secret
/// that verified, an error code, or `config:<…>` when the verifier cannot be
/// built (an empty secret, a v1a key without feature `ed25519`).
fn verdict(file: &str, case: &Value) -> (String, usize) {
    let scheme = scheme(file);
    let preset_past = scheme.tolerance().past;
    let mut builder = Verifier::builder(scheme).secrets(strings(&case["secrets"]));
    // A case that states its provider's window runs under the preset's own
    // (both sides: Paddle's 5 s, Twitch's 600 s past and 300 s future);
    // one that sets another (a library's test argument, Stripe's 10 s)
    // runs under that.
    match case["tolerance"].as_u64().map(Duration::from_secs) {
        Some(t) if Some(t) != preset_past => builder = builder.tolerance(t),
        _ => {}
    }
    let verifier = match builder.build() {
        Ok(v) => v,
        Err(e) => return (format!("config:{}", config_code(&e)), 0),
    };
    let now = UNIX_EPOCH + Duration::from_secs(case["now"].as_u64().unwrap_or(1_700_000_000));
    let body = case["body"].as_str().unwrap().as_bytes();
    match verifier.verify_at(&headers(case), body, now) {
        Ok(delivery) => ("ok".to_owned(), delivery.secret_index()),
        Err(e) => (e.code().to_owned(), 0),
    }
}

fn config_code(error: &ConfigError) -> &'static str {
    match error {
        ConfigError::NoSecret => "no_secret",
        ConfigError::EmptySecret { .. } => "empty_secret",
        ConfigError::FeatureRequired { .. } => "feature_required",
        _ => "other",
    }
}

/// Whether a config error is the right answer: GitHub cases without a
/// secret (hookwarden refuses to build a verifier with no or an empty
/// secret, which is stricter than go-github skipping validation), and v1a
/// keys when feature `ed25519` is off.
fn acceptable_config(file: &str, case: &Value, code: &str) -> bool {
    let secrets = strings(&case["secrets"]);
    let no_secret = secrets.is_empty() || secrets.iter().any(String::is_empty);
    let v1a = case["name"].as_str().unwrap().starts_with("v1a");
    (matches!(file, "github" | "woocommerce" | "worldline")
        && no_secret
        && matches!(code, "config:no_secret" | "config:empty_secret"))
        || (cfg!(not(feature = "ed25519")) && v1a && code == "config:feature_required")
}

/// Re-signs an `ok` case and checks that the provider's header holds the
/// entry hookwarden writes (HMAC and Ed25519 are both deterministic).
/// Entries are compared whole; hex without regard to letter case (the same
/// bytes), and a `wider` [`TRIMMED`] case trimmed.
fn resign(
    file: &str,
    case: &Value,
    secret_index: usize,
    wider: Option<&str>,
) -> Result<(), String> {
    let scheme = scheme(file);
    let key = case["signing_key"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| strings(&case["secrets"])[secret_index].clone());
    let headers = headers(case);
    let body = case["body"].as_str().unwrap().as_bytes();
    // The timestamp as the provider wrote it (Twitch's nanoseconds, an
    // RFC 3339 text), signed as such.
    let timestamp = match scheme.timestamp_source() {
        Some(TimestampSource::Header(names)) => {
            first_value(&headers, names).map(|t| t.trim().to_owned())
        }
        Some(TimestampSource::Entry(label)) => first_value(&headers, scheme.signature_headers())
            .and_then(|v| entry_value(&scheme, &v, label).map(str::to_owned)),
        _ => None,
    }
    .unwrap_or_else(|| "0".to_owned());
    let signer = match Signer::new(scheme.clone(), key.as_str()) {
        Ok(s) => s,
        Err(_) if acceptable_without_ed25519(case) => return Ok(()),
        Err(e) => return Err(format!("signer: {e}")),
    };
    let id = first_value(&headers, scheme.delivery_id_headers());
    let id = id.filter(|_| scheme.signs_delivery_id());
    let signed = match scheme.timestamp_source() {
        Some(_) => signer.sign_with_timestamp_text(&timestamp, id.as_deref(), body),
        None => Ok(signer.sign(0, body)),
    }
    .map_err(|e| e.to_string())?;
    let ours = signed
        .get(scheme.signature_header())
        .unwrap()
        .to_str()
        .unwrap();
    // The last entry the signer wrote: the signature (a timestamp entry
    // comes first). Standard Webhooks' entries hold a comma themselves.
    let delimiters = scheme.signature_format().delimiters();
    let entry = match delimiters {
        [] => ours,
        _ => ours
            .rsplit(|c: char| delimiters.contains(&(c as u8)))
            .next()
            .unwrap(),
    };
    // Hex is compared without regard to case where the provider's own
    // library accepts capitals (Discord) or where the difference is listed.
    let hex = scheme.signature_format().value_encoding() == Encoding::Hex;
    let normal = |v: &str| match wider {
        Some(why) if why == TRIMMED => v.trim().to_owned(),
        _ if hex => v.to_ascii_lowercase(),
        _ => v.to_owned(),
    };
    // Every entry the provider's headers hold, split as the scheme splits them.
    let theirs: Vec<String> = scheme
        .signature_headers()
        .iter()
        .flat_map(|h| headers.get_all(h))
        .map(|v| normal(v.to_str().unwrap()))
        .flat_map(|v| match delimiters {
            [] => vec![v],
            _ => v
                .split(|c: char| delimiters.contains(&(c as u8)))
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    if theirs.iter().any(|v| *v == normal(entry)) {
        Ok(())
    } else {
        Err(format!("re-signed `{ours}` not in {theirs:?}"))
    }
}

fn acceptable_without_ed25519(case: &Value) -> bool {
    cfg!(not(feature = "ed25519")) && case["signing_key"].is_string()
}

/// The value of the first of `names` present.
fn first_value(headers: &HeaderMap, names: &[HeaderName]) -> Option<String> {
    let value = names.iter().find_map(|n| headers.get(n))?.to_str().ok()?;
    Some(value.to_owned())
}

/// The value of the entry labelled `label` in a signature header (Stripe's
/// `t=`, Paddle's `ts=`, Buildkite's `timestamp=`).
fn entry_value<'v>(scheme: &Scheme, value: &'v str, label: &str) -> Option<&'v str> {
    let format = scheme.signature_format();
    let separator = char::from(format.label_separator()?);
    value
        .split(|c: char| format.delimiters().contains(&(c as u8)))
        .find_map(|e| e.strip_prefix(label)?.strip_prefix(separator))
}

fn run(file: &str) {
    let text = std::fs::read_to_string(format!("tests/data/providers/{file}.json")).unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "{file}: too few cases");
    // A file whose every case states one window states its provider's: the
    // preset must default to it (Paddle 5 s, Calendly 180 s, Twitch 600 s).
    let windows: std::collections::BTreeSet<Option<u64>> =
        cases.iter().map(|c| c["tolerance"].as_u64()).collect();
    if let [Some(window)] = windows.into_iter().collect::<Vec<_>>()[..] {
        let past = scheme(file).tolerance().past;
        assert_eq!(
            past,
            Some(Duration::from_secs(window)),
            "{file}: the preset's window"
        );
    }
    key_field_is_in_their_bodies(file, cases);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expected = match case["expect"].as_str().unwrap() {
            "ok" => "ok",
            _ => case["error"].as_str().unwrap(),
        };
        let expected = STRICTER
            .iter()
            .find(|(f, n, _, _)| *f == file && *n == name)
            .map_or(expected, |(_, _, code, _)| code);
        let wider = WIDER
            .iter()
            .find(|(f, n, _)| *f == file && *n == name)
            .map(|(_, _, why)| *why);
        let expected = if wider.is_some() { "ok" } else { expected };
        let (got, secret_index) = verdict(file, case);
        if got != expected && !acceptable_config(file, case, &got) {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        } else if got == "ok" {
            if let Err(e) = resign(file, case, secret_index, wider) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{file}:\n{}", failures.join("\n"));
}

/// Presets keyed on a JSON field whose provider files hold no event that
/// carries it, and why.
const KEY_FIELD_NOT_IN_CASES: &[(&str, &str)] = &[
    (
        "mux",
        "mux-node's tests sign small made-up bodies; Mux's events carry `id` (the SDK's \
         `BaseWebhookEvent`, beside `attempts`)",
    ),
    (
        "slack",
        "the SDKs' cases are slash commands and url_verification, which carry no `event_id` \
         (keyed by their signed message); Events API envelopes do",
    ),
];

/// A preset keyed on a JSON field finds it in its provider's own events:
/// at least one `ok` body carries it (so that a pointer written wrong
/// fails here, instead of falling back to the message key unseen).
fn key_field_is_in_their_bodies(file: &str, cases: &[Value]) {
    let ReplayBasis::JsonPointer(pointer) = scheme(file).replay_basis().clone() else {
        return;
    };
    if KEY_FIELD_NOT_IN_CASES.iter().any(|(f, _)| *f == file) {
        return;
    }
    let carries = cases.iter().filter(|c| c["expect"] == "ok").any(|c| {
        serde_json::from_str::<Value>(c["body"].as_str().unwrap())
            .is_ok_and(|body| body.pointer(pointer.as_str()).is_some())
    });
    assert!(carries, "{file}: no event of theirs carries {pointer}");
}

/// One test per provider file (its name in the summary), and the list of
/// files, which must be every file in `tests/data/providers/`.
macro_rules! providers {
    ($($file:ident),* $(,)?) => {
        $(
            #[test]
            fn $file() {
                run(stringify!($file));
            }
        )*
        const FILES: &[&str] = &[$(stringify!($file)),*];
    };
}

providers! {
    stripe,
    standard_webhooks,
    svix,
    github,
    slack,
    shopify,
    clerk,
    resend,
    paddle,
    mux,
    calendly,
    buildkite,
    zoom,
    bitbucket,
    intercom,
    coinbase_commerce,
    lemon_squeezy,
    pagerduty,
    typeform,
    woocommerce,
    heroku,
    twitch,
    zendesk,
    sentry,
    vercel,
    xero,
    dropbox,
    circleci,
    meta,
    twitter,
    terraform,
    launchdarkly,
    alchemy,
    tiktok,
    modern_treasury,
    webflow,
    aftership,
    castle,
    chargify,
    worldline,
    webex,
    bolt,
    discord,
}

#[test]
fn every_file_is_run() {
    let mut found: Vec<String> = std::fs::read_dir("tests/data/providers")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    found.sort();
    let mut listed: Vec<&str> = FILES.to_vec();
    listed.sort_unstable();
    assert_eq!(found, listed);
}

#[test]
fn every_stricter_case_exists() {
    let case = |file: &str, name: &str| {
        let text = std::fs::read_to_string(format!("tests/data/providers/{file}.json")).unwrap();
        let data: Value = serde_json::from_str(&text).unwrap();
        let cases = data["cases"].as_array().unwrap().clone();
        let found = cases.into_iter().find(|c| c["name"] == name);
        found.unwrap_or_else(|| panic!("{file}: no case {name}"))
    };
    // Each listed case differs from what its file expects: a stricter code,
    // or an error hookwarden accepts.
    for (file, name, ours, _) in STRICTER {
        let c = case(file, name);
        let theirs = if c["expect"] == "ok" {
            "ok"
        } else {
            c["error"].as_str().unwrap()
        };
        assert_ne!(theirs, *ours, "{file}: {name} is not a difference");
    }
    for (file, name, _) in WIDER {
        assert_eq!(case(file, name)["expect"], "error", "{file}: {name}");
    }
}
