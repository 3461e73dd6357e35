//! A catalogue of the mistakes `diagnose` names, each built the way it
//! happens in practice (a JSON library re-encoding the body, an env file
//! keeping quotes, a sender compressing with flate2, …), plus valid
//! deliveries of every preset and negatives (a truly different secret is
//! still `different_secret`, whatever else the body looks like).
//!
//! Shared by the library's tests (`tests/diagnose.rs`), the CLI's
//! (`tests/cli.rs`) and the page's WebAssembly module (`web/src/lib.rs`),
//! so that each cause is checked the same way through all three.
#![allow(dead_code)]

use std::io::{Read, Write};

use base64::Engine as _;
use hookwarden::scheme::{Algorithm, KeyFormat, Method, Part, SignatureFormat};
use hookwarden::{Scheme, Signer};
use serde::{Deserialize, Serialize};

/// The time every delivery is checked at (unix seconds).
pub const NOW: u64 = 1_764_072_000;

/// One delivery and the cause expected for it (`ok` when it verifies).
pub struct Mistake {
    /// What happened, in a few words.
    pub name: &'static str,
    /// The expected code: `ok`, or a likely cause's.
    pub cause: &'static str,
    /// The preset the receiver verifies with, as `--scheme` takes it.
    pub scheme: &'static str,
    /// The receiver's secrets, as configured (mistakes included).
    pub secrets: Vec<String>,
    /// The headers as received.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

impl Mistake {
    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in &self.headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    /// The headers as `Name: value` lines.
    pub fn header_text(&self) -> String {
        self.headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}\n"))
            .collect()
    }

    /// Whether the scheme carries a timestamp (so `--now` applies).
    pub fn has_timestamp(&self) -> bool {
        Scheme::preset(self.scheme)
            .unwrap()
            .timestamp_source()
            .is_some()
    }
}

/// A typed event, as a handler deserializes it (field order kept).
#[derive(Serialize, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Serialize, Deserialize)]
struct Data {
    customer: String,
    amount: u64,
    note: String,
}

fn event() -> Event {
    Event {
        id: "evt_1QxY7".into(),
        kind: "invoice.paid".into(),
        data: Data {
            customer: "Zoë Müller".into(),
            amount: 4200,
            note: "paid via café terminal №3".into(),
        },
    }
}

/// A JSON writer as Python's `json.dumps` with `ensure_ascii` (the
/// default): non-ASCII characters as lower-case `\u` escapes.
struct EnsureAscii;

impl serde_json::ser::Formatter for EnsureAscii {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

fn ensure_ascii(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, EnsureAscii);
    value.serialize(&mut ser).unwrap();
    out
}

/// A handler that deserializes into its own types and serializes again.
fn round_trip(body: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::from_slice::<Event>(body).unwrap()).unwrap()
}

fn headers(signed: hookwarden::SignedHeaders) -> Vec<(String, String)> {
    signed
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect()
}

fn sign(scheme: Scheme, secret: &[u8], timestamp: u64, body: &[u8]) -> Vec<(String, String)> {
    headers(Signer::new(scheme, secret).unwrap().sign(timestamp, body))
}

fn set(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(n, _)| n != name);
    headers.push((name.to_owned(), value));
}

fn get<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    &headers.iter().find(|(n, _)| n == name).unwrap().1
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

/// A hand-rolled sender: `base` with another key format, algorithm,
/// encoding or message.
fn sender(
    base: Scheme,
    method: Method,
    format: Option<SignatureFormat>,
    message: Option<Vec<Part>>,
) -> Scheme {
    let mut b = Scheme::builder(base.name().to_owned());
    for h in base.signature_headers() {
        b = b.signature_header(h.clone());
    }
    match base.timestamp_source() {
        Some(hookwarden::scheme::TimestampSource::Header(names)) => {
            for n in names {
                b = b.timestamp_header(n.clone());
            }
        }
        Some(hookwarden::scheme::TimestampSource::Entry(label)) => {
            b = b.timestamp_entry(label.to_string())
        }
        _ => {}
    }
    for id in base.delivery_id_headers() {
        b = b.delivery_id_header(id.clone());
    }
    b.signature_format(format.unwrap_or_else(|| base.signature_format().clone()))
        .method(method)
        .message(message.unwrap_or_else(|| base.message().to_vec()))
        .replay_basis(hookwarden::scheme::ReplayBasis::Message)
        .build()
        .unwrap()
}

fn m(
    name: &'static str,
    cause: &'static str,
    scheme: &'static str,
    secret: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Mistake {
    Mistake {
        name,
        cause,
        scheme,
        secrets: vec![secret.to_owned()],
        headers,
        body,
    }
}

const STRIPE: &str = "whsec_Mf9kQ2r8GKYqrTwjUPD8";
const SW: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GITHUB: &str = "It's a Secret to Everybody";
const SLACK: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const SHOPIFY: &str = "shpss_4f2a6c1b9e8d7a3b";
const MITPO: &str = "whsec_MITPOq7xR2vL9";
const MITTR: &str = "mittr-signing-secret";

/// Every catalogued delivery.
pub fn all() -> Vec<Mistake> {
    let compact = serde_json::to_vec(&event()).unwrap();
    let pretty = serde_json::to_vec_pretty(&event()).unwrap();
    let ascii = ensure_ascii(&event());
    let text = b"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&text=94070".to_vec();
    let mut out = Vec::new();

    // Valid deliveries of every preset.
    for (preset, secret) in [
        ("mittr", MITTR),
        ("mitpo", MITPO),
        ("stripe", STRIPE),
        ("standard-webhooks", SW),
        ("svix", SW),
        ("github", GITHUB),
        ("slack", SLACK),
        ("shopify", SHOPIFY),
    ] {
        let h = sign(
            Scheme::preset(preset).unwrap(),
            secret.as_bytes(),
            NOW - 5,
            &compact,
        );
        out.push(m("valid", "ok", preset, secret, h, compact.clone()));
    }

    // The body.
    out.push(m(
        "a Rust handler deserialized Stripe's pretty JSON into its types and serialized it again (serde_json)",
        "body_reserialized",
        "stripe",
        STRIPE,
        sign(Scheme::stripe(), STRIPE.as_bytes(), NOW, &pretty),
        round_trip(&pretty),
    ));
    out.push(m(
        "a Python sender escaped non-ASCII (ensure_ascii); the handler re-encoded it with serde_json",
        "body_json_escapes",
        "github",
        GITHUB,
        sign(Scheme::github(), GITHUB.as_bytes(), 0, &ascii),
        round_trip(&ascii),
    ));
    out.push(m(
        "the body was saved with a trailing newline (writeln!, echo)",
        "trailing_newline",
        "mitpo",
        MITPO,
        sign(Scheme::mitpo(), MITPO.as_bytes(), NOW, &compact),
        [&compact[..], b"\n"].concat(),
    ));
    out.push(m(
        "the body was copied from an indented log line",
        "body_whitespace",
        "slack",
        SLACK,
        sign(Scheme::slack(), SLACK.as_bytes(), NOW, &text),
        [&b"    "[..], &text, b"  \n"].concat(),
    ));
    out.push(m(
        "a Windows tool saved the body as UTF-8 with a byte-order mark",
        "body_bom",
        "shopify",
        SHOPIFY,
        sign(Scheme::shopify(), SHOPIFY.as_bytes(), 0, &compact),
        [&b"\xef\xbb\xbf"[..], &compact].concat(),
    ));
    out.push(m(
        "the pretty body went through a text-mode copy that wrote CRLF",
        "line_endings_changed",
        "mittr",
        MITTR,
        sign(Scheme::mittr(), MITTR.as_bytes(), NOW, &pretty),
        String::from_utf8(pretty.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes(),
    ));
    out.push(m(
        "the handler decoded the UTF-8 body as Latin-1 and re-encoded it",
        "body_charset",
        "svix",
        SW,
        sign(Scheme::svix(), SW.as_bytes(), NOW, &compact),
        compact
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into_bytes(),
    ));
    let latin1 = b"{\"customer\":\"Zo\xeb M\xfcller\",\"amount\":4200}".to_vec();
    out.push(m(
        "a Latin-1 body was decoded as UTF-8 lossily (String::from_utf8_lossy)",
        "body_decoded_lossily",
        "mitpo",
        MITPO,
        sign(Scheme::mitpo(), MITPO.as_bytes(), NOW, &latin1),
        String::from_utf8_lossy(&latin1).into_owned().into_bytes(),
    ));
    let mut h = sign(Scheme::github(), GITHUB.as_bytes(), 0, &pretty);
    set(&mut h, "content-encoding", "gzip".into());
    out.push(m(
        "the sender signed the JSON, then gzip-compressed the request (flate2)",
        "body_compressed",
        "github",
        GITHUB,
        h,
        gzip(&pretty),
    ));
    let mut h = sign(Scheme::mittr(), MITTR.as_bytes(), NOW, &gzip(&pretty));
    set(&mut h, "content-encoding", "gzip".into());
    out.push(m(
        "the sender signed the gzip bytes; the framework decompressed them",
        "body_decompressed",
        "mittr",
        MITTR,
        h,
        pretty.clone(),
    ));
    let big = serde_json::to_vec_pretty(&vec![event(), event(), event(), event()]).unwrap();
    let mut h = sign(Scheme::stripe(), STRIPE.as_bytes(), NOW, &big);
    set(&mut h, "content-length", big.len().to_string());
    let mut cut = vec![0u8; 512];
    let n = (&big[..]).read(&mut cut).unwrap();
    cut.truncate(n);
    out.push(m(
        "the handler read the body with one read() into a 512-byte buffer",
        "body_truncated",
        "stripe",
        STRIPE,
        h,
        cut,
    ));
    out.push(m(
        "a logging middleware consumed the body before verification",
        "body_empty",
        "github",
        GITHUB,
        sign(Scheme::github(), GITHUB.as_bytes(), 0, &compact),
        Vec::new(),
    ));

    // The secret.
    out.push(m(
        "the secret was read from a file written by echo (trailing newline)",
        "secret_whitespace",
        "slack",
        &format!("{SLACK}\n"),
        sign(Scheme::slack(), SLACK.as_bytes(), NOW, &text),
        text.clone(),
    ));
    let env_file = format!("STRIPE_WEBHOOK_SECRET=\"{STRIPE}\"\n");
    let (_, quoted) = env_file.trim_end().split_once('=').unwrap();
    out.push(m(
        "an env file's quotes were kept by a naive loader",
        "secret_quoted",
        "stripe",
        quoted,
        sign(Scheme::stripe(), STRIPE.as_bytes(), NOW, &compact),
        compact.clone(),
    ));
    out.push(m(
        "the configured secret lost its whsec_ prefix",
        "secret_prefix",
        "mitpo",
        MITPO.strip_prefix("whsec_").unwrap(),
        sign(Scheme::mitpo(), MITPO.as_bytes(), NOW, &compact),
        compact.clone(),
    ));
    out.push(m(
        "the secret came from a Kubernetes Secret's data, still base64",
        "secret_base64_decoded",
        "shopify",
        &base64::engine::general_purpose::STANDARD.encode(SHOPIFY),
        sign(Scheme::shopify(), SHOPIFY.as_bytes(), 0, &compact),
        compact.clone(),
    ));
    let b64_secret = "c2VjcmV0LWdpdGh1Yi1ob29r";
    let decoded = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64_secret)
            .unwrap(),
    )
    .unwrap();
    out.push(m(
        "the secret was base64-decoded where it is configured",
        "secret_base64_encoded",
        "github",
        &decoded,
        sign(Scheme::github(), b64_secret.as_bytes(), 0, &compact),
        compact.clone(),
    ));
    let hex_secret = "6d697474722d6865782d7365637265742d6b6579";
    out.push(m(
        "the sender hex-decoded the secret (bytes.fromhex)",
        "secret_hex_decoded",
        "mittr",
        hex_secret,
        sign(
            Scheme::mittr(),
            &hex::decode(hex_secret).unwrap(),
            NOW,
            &compact,
        ),
        compact.clone(),
    ));
    out.push(m(
        "the secret was hex-decoded where it is configured",
        "secret_hex_encoded",
        "slack",
        "slack-signing-secret",
        sign(
            Scheme::slack(),
            hex::encode("slack-signing-secret").as_bytes(),
            NOW,
            &text,
        ),
        text.clone(),
    ));
    let raw_key = sender(
        Scheme::standard_webhooks(),
        Method::new("v1", Algorithm::HmacSha256, KeyFormat::Raw),
        None,
        None,
    );
    out.push(m(
        "a hand-rolled Standard Webhooks sender keyed the HMAC with the whsec_ text",
        "secret_not_decoded",
        "standard-webhooks",
        SW,
        headers(
            Signer::new(raw_key, SW)
                .unwrap()
                .sign_with_id(NOW, "msg_2b8YkqVf", &compact)
                .unwrap(),
        ),
        compact.clone(),
    ));
    // Exactly 32 bytes: an Ed25519 seed.
    let whsk = format!(
        "whsk_{}",
        base64::engine::general_purpose::STANDARD.encode(b"hookwarden-ed25519-test-seed-001")
    );
    let whsk = whsk.as_str();
    out.push(m(
        "the Ed25519 signing key was given to verify",
        "invalid_secret",
        "standard-webhooks",
        whsk,
        sign(Scheme::standard_webhooks(), whsk.as_bytes(), NOW, &compact),
        compact.clone(),
    ));

    // The signature.
    let hexdigest = hex::encode(
        Signer::new(Scheme::shopify(), SHOPIFY)
            .unwrap()
            .digest(0, &compact),
    );
    out.push(m(
        "a hand-rolled Shopify sender wrote hexdigest() instead of base64",
        "signature_encoding",
        "shopify",
        SHOPIFY,
        vec![("x-shopify-hmac-sha256".into(), hexdigest)],
        compact.clone(),
    ));
    let mut h = sign(Scheme::standard_webhooks(), SW.as_bytes(), NOW, &compact);
    let upper = get(&h, "webhook-signature").to_uppercase();
    set(&mut h, "webhook-signature", upper.replace("V1,", "v1,"));
    out.push(m(
        "a gateway upper-cased the signature header's value",
        "signature_case_changed",
        "standard-webhooks",
        SW,
        h,
        compact.clone(),
    ));
    let sha1 = sender(
        Scheme::github(),
        Method::new("sha256", Algorithm::HmacSha1, KeyFormat::Raw),
        Some(SignatureFormat::labeled(b'=', "")),
        None,
    );
    out.push(m(
        "the sender put an HMAC-SHA1 (the legacy X-Hub-Signature) under sha256=",
        "signature_algorithm",
        "github",
        GITHUB,
        sign(sha1, GITHUB.as_bytes(), 0, &compact),
        compact.clone(),
    ));
    let mut h = sign(Scheme::svix(), SW.as_bytes(), NOW, &compact);
    let equals = get(&h, "svix-signature").replacen("v1,", "v1=", 1);
    set(&mut h, "svix-signature", equals);
    out.push(m(
        "a hand-rolled Svix sender wrote v1=<base64> for v1,<base64>",
        "signature_label",
        "svix",
        SW,
        h,
        compact.clone(),
    ));
    let old = sign(Scheme::shopify(), b"shpss_old_secret", 0, &compact);
    let mut h = sign(Scheme::shopify(), SHOPIFY.as_bytes(), 0, &compact);
    let joined = format!(
        "{}, {}",
        get(&old, "x-shopify-hmac-sha256"),
        get(&h, "x-shopify-hmac-sha256")
    );
    set(&mut h, "x-shopify-hmac-sha256", joined);
    out.push(m(
        "a proxy joined the old and new secrets' headers into one value",
        "signature_several_entries",
        "shopify",
        SHOPIFY,
        h,
        compact.clone(),
    ));

    // The signed content.
    let body_only = sender(
        Scheme::stripe(),
        Method::hmac_sha256("v1"),
        None,
        Some(vec![Part::Body]),
    );
    out.push(m(
        "a sender wrote Stripe's header but signed the body alone (GitHub's layout)",
        "scheme_mixup",
        "stripe",
        STRIPE,
        sign(body_only, STRIPE.as_bytes(), NOW, &compact),
        compact.clone(),
    ));
    let dot = sender(
        Scheme::slack(),
        Method::hmac_sha256("v0"),
        None,
        Some(vec![
            Part::literal(&b"v0:"[..]),
            Part::Timestamp,
            Part::DOT,
            Part::Body,
        ]),
    );
    out.push(m(
        "a hand-rolled Slack sender signed v0:<ts>.<body> (a dot for the colon)",
        "scheme_mixup",
        "slack",
        SLACK,
        sign(dot, SLACK.as_bytes(), NOW, &text),
        text.clone(),
    ));
    out.push(m(
        "a JavaScript sender wrote Date.now() (milliseconds)",
        "timestamp_in_milliseconds",
        "mittr",
        MITTR,
        sign(Scheme::mittr(), MITTR.as_bytes(), NOW * 1000, &compact),
        compact.clone(),
    ));
    out.push(m(
        "the sender's clock is ten minutes behind",
        "clock_skew",
        "slack",
        SLACK,
        sign(Scheme::slack(), SLACK.as_bytes(), NOW - 600, &text),
        text.clone(),
    ));
    out.push(m(
        "the sender's clock is ten minutes ahead",
        "clock_skew",
        "standard-webhooks",
        SW,
        sign(
            Scheme::standard_webhooks(),
            SW.as_bytes(),
            NOW + 600,
            &compact,
        ),
        compact.clone(),
    ));

    // The headers.
    out.push(m(
        "a Svix delivery (svix-* headers) reached a Standard Webhooks endpoint",
        "wrong_scheme",
        "standard-webhooks",
        SW,
        sign(Scheme::svix(), SW.as_bytes(), NOW, &compact),
        compact.clone(),
    ));
    out.push(m(
        "a GitHub delivery reached a MITPO endpoint",
        "wrong_scheme",
        "mitpo",
        GITHUB,
        sign(Scheme::github(), GITHUB.as_bytes(), 0, &compact),
        compact.clone(),
    ));
    let mut h = sign(Scheme::github(), GITHUB.as_bytes(), 0, &compact);
    h.retain(|(n, _)| n != "x-hub-signature-256");
    set(&mut h, "x-github-event", "push".into());
    out.push(m(
        "a proxy stripped the signature header",
        "missing_header",
        "github",
        GITHUB,
        h,
        compact.clone(),
    ));
    let mut h = sign(Scheme::mittr(), MITTR.as_bytes(), NOW, &compact);
    set(&mut h, "x-mittr-timestamp", "2026-11-25T12:00:00Z".into());
    out.push(m(
        "the sender wrote the timestamp as an ISO 8601 date",
        "malformed_header",
        "mittr",
        MITTR,
        h,
        compact.clone(),
    ));

    // Negatives: signed with a truly different secret, whatever the body
    // looks like, is `different_secret`, and nothing else.
    let negatives: Vec<(&'static str, &'static str, &'static str, Vec<u8>)> = vec![
        ("stripe", STRIPE, "a compact body", compact.clone()),
        ("github", GITHUB, "a pretty JSON body", pretty.clone()),
        (
            "mitpo",
            MITPO,
            "a body ending in a newline",
            [&compact[..], b"\n"].concat(),
        ),
        (
            "mittr",
            MITTR,
            "a CRLF body",
            String::from_utf8(pretty.clone())
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes(),
        ),
        (
            "shopify",
            SHOPIFY,
            "a gzip body without Content-Encoding",
            gzip(&compact),
        ),
        (
            "standard-webhooks",
            SW,
            "a body with \\u escapes",
            ascii.clone(),
        ),
        (
            "slack",
            SLACK,
            "a body with a BOM",
            [&b"\xef\xbb\xbf"[..], &text].concat(),
        ),
    ];
    for (preset, secret, name, body) in negatives {
        let other = if preset.contains("standard") {
            "whsec_b3RoZXItc2VjcmV0LWtleQ=="
        } else {
            "someone-elses-secret"
        };
        let h = sign(
            Scheme::preset(preset).unwrap(),
            other.as_bytes(),
            NOW,
            &body,
        );
        out.push(Mistake {
            name,
            cause: "different_secret",
            scheme: preset,
            secrets: vec![secret.to_owned()],
            headers: h,
            body,
        });
    }
    out
}

/// The codes the catalogue expects, each once.
pub fn covered_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = all().iter().map(|m| m.cause).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}
