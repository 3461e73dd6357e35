//! The `hookwarden` command-line tool: every exit code, every likely cause,
//! `--json` parsed and checked, built on the vectors and crafted
//! misconfigurations.

mod common;
#[path = "common/mistakes.rs"]
mod mistakes;

use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use base64::Engine;
use hookwarden::{Scheme, Signer};

const NOW: u64 = 1_764_072_000;

fn hookwarden() -> Command {
    Command::cargo_bin("hookwarden").unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    let out = hookwarden()
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `hookwarden verify --json` for headers and a body given on stdin.
fn verify_json(
    scheme: &str,
    secrets: &[&str],
    headers: &http::HeaderMap,
    body: &[u8],
    now: u64,
    tolerance: u64,
) -> (i32, serde_json::Value) {
    let mut args = vec![
        "verify".to_owned(),
        "--scheme".into(),
        scheme.into(),
        "--json".into(),
        "--body-file".into(),
        "-".into(),
    ];
    for s in secrets {
        args.extend(["--secret".to_owned(), (*s).to_owned()]);
    }
    for (name, value) in headers {
        args.extend([
            "--header".to_owned(),
            format!("{name}: {}", value.to_str().unwrap()),
        ]);
    }
    args.extend([
        "--now".into(),
        now.to_string(),
        "--tolerance".into(),
        tolerance.to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&refs, body);
    let json: serde_json::Value = serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}\n{}", r.stdout, r.stderr));
    for key in ["ok", "error", "message", "likely_cause", "hint"] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    (r.code, json)
}

#[test]
fn every_vector_through_verify_json() {
    for case in common::vectors::load() {
        let secrets: Vec<&str> = case.secrets.iter().map(String::as_str).collect();
        let (code, json) = verify_json(
            &case.scheme,
            &secrets,
            &case.header_map(),
            &case.body(),
            case.now,
            case.tolerance_secs,
        );
        if case.expect == "ok" {
            assert_eq!(
                (code, &json["ok"]),
                (0, &serde_json::Value::Bool(true)),
                "{}: {json}",
                case.name
            );
            assert!(json["error"].is_null() && json["likely_cause"].is_null());
        } else {
            assert_eq!(code, 1, "{}: {json}", case.name);
            assert_eq!(json["error"], case.expect, "{}", case.name);
            assert!(json["likely_cause"].is_string(), "{}: {json}", case.name);
            let text = json.to_string();
            for s in &case.secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{}: a secret leaked: {text}",
                    case.name
                );
            }
        }
    }
}

fn sign(scheme: Scheme, secret: &[u8], ts: u64, body: &[u8]) -> http::HeaderMap {
    Signer::new(scheme, secret)
        .unwrap()
        .sign(ts, body)
        .to_header_map()
}

#[test]
fn every_likely_cause_is_named() {
    let json = br#"{"event": "dispatch.completed", "data": {"id": "d_1"}}"#.to_vec();
    let compact = br#"{"event":"dispatch.completed","data":{"id":"d_1"}}"#.to_vec();
    let with_newline = [&json[..], b"\n"].concat();
    let crlf = b"a\r\nb\r\n".to_vec();
    let latin1 = b"{\"name\":\"caf\xe9\"}".to_vec();
    let lossy = String::from_utf8_lossy(&latin1).into_owned().into_bytes();
    let b64_key = base64::engine::general_purpose::STANDARD
        .decode("c2VjcmV0LWJ5dGVz")
        .unwrap();
    let mitpo_form = sign(Scheme::mitpo(), b"k", NOW, &json);
    let mut mixup = sign(Scheme::mittr(), b"k", NOW, &json);
    let hex = mitpo_form["x-mitpo-signature"].to_str().unwrap()[7..].to_owned();
    mixup.insert("x-mittr-signature", format!("v1={hex}").parse().unwrap());
    let mut malformed = sign(Scheme::mittr(), b"k", NOW, &json);
    malformed.insert("x-mittr-timestamp", "2026-03-22T10:30:00Z".parse().unwrap());
    let mut missing = sign(Scheme::mittr(), b"k", NOW, &json);
    missing.remove("x-mittr-signature");

    type Case<'a> = (&'a str, &'a str, &'a str, http::HeaderMap, &'a [u8]);
    let cases: Vec<Case> = vec![
        (
            "body_reserialized",
            "mittr",
            "k",
            sign(Scheme::mittr(), b"k", NOW, &compact),
            &json,
        ),
        (
            "trailing_newline",
            "mitpo",
            "k",
            sign(Scheme::mitpo(), b"k", NOW, &json),
            &with_newline,
        ),
        (
            "line_endings_changed",
            "mitpo",
            "k",
            sign(Scheme::mitpo(), b"k", NOW, &crlf),
            b"a\nb\n",
        ),
        (
            "body_decoded_lossily",
            "mitpo",
            "k",
            sign(Scheme::mitpo(), b"k", NOW, &latin1),
            &lossy,
        ),
        ("scheme_mixup", "mittr", "k", mixup, &json),
        (
            "secret_prefix",
            "mitpo",
            "whsec_abc",
            sign(Scheme::mitpo(), b"abc", NOW, &json),
            &json,
        ),
        (
            "secret_base64_decoded",
            "mitpo",
            "whsec_c2VjcmV0LWJ5dGVz",
            sign(Scheme::mitpo(), &b64_key, NOW, &json),
            &json,
        ),
        (
            "secret_whitespace",
            "mittr",
            "k\n",
            sign(Scheme::mittr(), b"k", NOW, &json),
            &json,
        ),
        (
            "timestamp_in_milliseconds",
            "mittr",
            "k",
            sign(Scheme::mittr(), b"k", NOW * 1000, &json),
            &json,
        ),
        (
            "clock_skew",
            "mittr",
            "k",
            sign(Scheme::mittr(), b"k", NOW - 3600, &json),
            &json,
        ),
        (
            "wrong_scheme",
            "mittr",
            "k",
            sign(Scheme::mitpo(), b"k", NOW, &json),
            &json,
        ),
        ("missing_header", "mittr", "k", missing, &json),
        ("malformed_header", "mittr", "k", malformed, &json),
        (
            "different_secret",
            "mittr",
            "k",
            sign(Scheme::mittr(), b"other", NOW, &json),
            &json,
        ),
    ];
    for (cause, scheme, secret, headers, body) in cases {
        let (code, out) = verify_json(scheme, &[secret], &headers, body, NOW, 300);
        assert_eq!(code, 1, "{cause}: {out}");
        assert_eq!(out["likely_cause"], cause, "{out}");
        assert!(out["hint"].as_str().is_some_and(|h| !h.is_empty()));
        if cause == "clock_skew" {
            assert!(out["hint"].as_str().unwrap().contains("3600 s"), "{out}");
        }
        if cause != "secret_whitespace" {
            assert!(!out.to_string().contains(&format!("\"{secret}\"")), "{out}");
        }
    }
}

#[test]
fn text_output_and_exit_codes() {
    let body = b"{\"event\":\"x\"}";
    let h = sign(Scheme::mittr(), b"k", NOW, body);
    let header_args: Vec<String> = h
        .iter()
        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
        .collect();
    let mut args = vec![
        "verify",
        "--scheme",
        "mittr",
        "--secret-env",
        "HG_SECRET",
        "--body-file",
        "-",
        "--now",
        "1764072000",
    ];
    for a in &header_args {
        args.extend(["--header", a.as_str()]);
    }
    let ok = hookwarden()
        .args(&args)
        .env("HG_SECRET", "k")
        .write_stdin(body.to_vec())
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.starts_with("verified: mittr delivery, secret #0"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when piped: {text:?}");

    let bad = hookwarden()
        .args(&args)
        .env("HG_SECRET", "nope")
        .write_stdin(body.to_vec())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(
        text.contains("rejected: signature_mismatch (401)")
            && text.contains("likely cause: different_secret"),
        "{text}"
    );

    // Usage and input errors: 2.
    for (args, why) in [
        (
            vec!["verify", "--scheme", "mittr", "--body-file", "-"],
            "give at least one --secret",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "/nonexistent/body",
            ],
            "/nonexistent/body",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--header",
                "no colon",
            ],
            "not `Name: value`",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "mittr",
                "--secret-env",
                "HG_UNSET_VAR",
                "--body-file",
                "-",
            ],
            "HG_UNSET_VAR",
        ),
        (
            vec!["verify", "--scheme", "nope", "--secret", "k"],
            "invalid value",
        ),
        (
            vec!["verify", "--scheme", "mittr", "--secret", "k"],
            "--body-file",
        ),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let r = run(&args, b"");
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn verifies_a_raw_request_file() {
    let body = b"{\"event\":\"dispatch.completed\"}\n";
    let h = sign(Scheme::mitpo(), b"whsec_raw", NOW, body);
    let mut raw = b"POST /webhooks/mitpo HTTP/1.1\r\nHost: example.test\r\n".to_vec();
    for (n, v) in &h {
        raw.extend_from_slice(format!("{n}: {}\r\n", v.to_str().unwrap()).as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    let dir = std::env::temp_dir().join(format!("hookwarden-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("request.http");
    std::fs::write(&file, &raw).unwrap();
    let r = run(
        &[
            "verify",
            "--scheme",
            "mitpo",
            "--secret",
            "whsec_raw",
            "--request-file",
            file.to_str().unwrap(),
            "--now",
            "1764072000",
            "--json",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    // The same request with its trailing newline lost on the way.
    std::fs::write(&file, &raw[..raw.len() - 1]).unwrap();
    let r = run(
        &[
            "verify",
            "--scheme",
            "mitpo",
            "--secret",
            "whsec_raw",
            "--request-file",
            file.to_str().unwrap(),
            "--now",
            "1764072000",
            "--json",
        ],
        b"",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("\"likely_cause\":\"trailing_newline\""),
        "{}",
        r.stdout
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sign_prints_headers_and_a_curl_command_that_verify_accepts() {
    let r = run(
        &[
            "sign",
            "--scheme",
            "mittr",
            "--secret",
            "k",
            "--body-file",
            "-",
            "--timestamp",
            "1764072000",
            "--url",
            "http://127.0.0.1:9/hook",
        ],
        b"payload",
    );
    assert_eq!(r.code, 0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("x-mittr-signature: v1="),
        "{}",
        r.stdout
    );
    assert_eq!(lines[1], "x-mittr-timestamp: 1764072000");
    let curl = lines.iter().find(|l| l.contains("curl ")).unwrap();
    assert!(
        curl.contains("curl -sS --url 'http://127.0.0.1:9/hook'")
            && curl.ends_with("--data-binary @-"),
        "{curl}"
    );
    let mut args = vec![
        "verify",
        "--scheme",
        "mittr",
        "--secret",
        "k",
        "--body-file",
        "-",
        "--now",
        "1764072000",
    ];
    for l in &lines[..2] {
        args.extend(["--header", l]);
    }
    assert_eq!(run(&args, b"payload").code, 0);
}

#[tokio::test]
async fn send_delivers_and_reports_each_attempt() {
    use axum::routing::post;
    use hookwarden::tower::VerifyWebhookLayer;
    let verifier = hookwarden::Verifier::builder(Scheme::mitpo())
        .secret("whsec_send")
        .build()
        .unwrap();
    let app = axum::Router::new().route(
        "/hook",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier)),
    );
    let srv = common::server::serve(app).await;
    let url = srv.url("/hook");
    let r = tokio::task::spawn_blocking(move || {
        run(
            &[
                "send",
                &url,
                "--scheme",
                "mitpo",
                "--secret",
                "whsec_send",
                "--body-file",
                "-",
            ],
            b"{\"event\":\"dispatch.completed\"}",
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("attempt 1: HTTP 200") && r.stdout.contains("delivered"),
        "{}",
        r.stdout
    );
    let url = srv.url("/hook");
    let r = tokio::task::spawn_blocking(move || {
        run(
            &[
                "send",
                &url,
                "--scheme",
                "mitpo",
                "--secret",
                "whsec_wrong",
                "--body-file",
                "-",
            ],
            b"{}",
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("HTTP 401 (signature_mismatch)") && r.stdout.contains("not delivered"),
        "{}",
        r.stdout
    );
}

/// A running `hookwarden listen`, killed on drop.
struct Listener {
    child: std::process::Child,
    addr: String,
}

impl Listener {
    fn start(scheme: &str, secret: &str) -> Self {
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_hookwarden"))
            .args([
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--scheme",
                scheme,
                "--secret",
                secret,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("{first}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        Listener { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the listener and returns everything it printed after its first
    /// line (given a moment to print the last report: its printing thread
    /// writes it after the response is sent).
    fn output(mut self) -> Vec<u8> {
        use std::io::Read;
        std::thread::sleep(Duration::from_millis(300));
        self.child.kill().ok();
        let mut out = Vec::new();
        self.child.stdout.take().unwrap().read_to_end(&mut out).ok();
        out
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// GETs `url`: status, content type, body.
async fn get(url: &str) -> (u16, String, Vec<u8>) {
    use http_body_util::BodyExt;
    let request = http::Request::get(url)
        .body(http_body_util::Full::<bytes::Bytes>::default())
        .unwrap();
    let response = common::server::client().request(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, body.to_vec())
}

#[tokio::test]
async fn listen_answers_get_on_the_root_the_page_and_elsewhere() {
    let listener = Listener::start("mittr", "k");
    let (status, content_type, body) = get(&listener.url("/")).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(text.contains("POST") && text.contains("/verify"), "{text}");

    let page = get(&listener.url("/verify")).await;
    assert_eq!((page.0, page.1.as_str()), (200, "text/html; charset=utf-8"));
    assert_eq!(get(&listener.url("/verify/")).await, page);
    assert_eq!(get(&listener.url("/verify/app.js")).await.0, 200);

    for path in ["/nope", "/webhooks/mittr", "/verify/nope.js"] {
        let (status, content_type, body) = get(&listener.url(path)).await;
        let text = String::from_utf8(body).unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(
            content_type.starts_with("text/plain"),
            "{path}: {content_type}"
        );
        assert_eq!(text.lines().count(), 1, "{path}: {text:?}");
        assert!(text.contains("not found"), "{path}: {text}");
    }
    // POST on any path, the root and the page's included, is a delivery.
    let client = common::server::client();
    for path in ["/", "/verify", "/anything"] {
        let reply =
            common::server::post(&client, &listener.url(path), &http::HeaderMap::new(), "{}").await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (400, "missing_header"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn listen_prints_verdict_diagnosis_and_payload() {
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_hookwarden"))
        .args([
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--scheme",
            "mittr",
            "--secret",
            "k",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let client = common::server::client();
    let now = hookwarden::time::unix_seconds(SystemTime::now());
    let good = sign(Scheme::mittr(), b"k", now, b"{\"event\":\"hello\"}");
    let reply = common::server::post(
        &client,
        &format!("http://{addr}/any/path"),
        &good,
        &b"{\"event\":\"hello\"}"[..],
    )
    .await;
    assert_eq!(reply.status, 200);
    let bad = sign(Scheme::mittr(), b"k", now, b"{\"event\":\"hello\"}");
    let reply = common::server::post(
        &client,
        &format!("http://{addr}/x"),
        &bad,
        &b"{\"event\":\"hello\"}\n"[..],
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (401, "signature_mismatch")
    );
    let page = common::server::post(
        &client,
        &format!("http://{addr}/x"),
        &http::HeaderMap::new(),
        &b""[..],
    )
    .await;
    assert_eq!(page.status, 400);
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if seen.contains("\ntried: ") || std::time::Instant::now() > deadline {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    assert!(seen.contains("verified: mittr delivery"), "{seen}");
    // The fix is in `listen`'s terms: the sender's bytes, not `verify`'s flags.
    assert!(
        seen.contains("the sender must sign and send the same raw bytes")
            && !seen.contains("--body-file"),
        "{seen}"
    );
    assert!(
        seen.contains("payload (17 bytes): {\"event\":\"hello\"}"),
        "{seen}"
    );
    assert!(
        seen.contains("rejected: signature_mismatch")
            && seen.contains("likely cause: trailing_newline"),
        "{seen}"
    );
}

#[test]
fn request_file_with_header_is_a_usage_error() {
    let r = run(
        &[
            "verify",
            "--scheme",
            "mittr",
            "--secret",
            "k",
            "--request-file",
            "-",
            "--header",
            "X-Mittr-Timestamp: 1",
        ],
        b"POST / HTTP/1.1\r\n\r\n",
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("--request-file") && r.stderr.contains("--header"),
        "{}",
        r.stderr
    );
}

#[test]
fn extreme_now_tolerance_and_timestamps_never_panic() {
    let body = b"{}";
    let max = u64::MAX.to_string();
    let big = (i64::MAX as u64).to_string();
    for ts in [0, NOW, i64::MAX as u64, u64::MAX] {
        let h = sign(Scheme::mittr(), b"k", ts, body);
        for now in ["0", "1764072000", big.as_str(), max.as_str()] {
            for tolerance in ["0", "300", max.as_str()] {
                let mut args = vec![
                    "verify",
                    "--scheme",
                    "mittr",
                    "--secret",
                    "k",
                    "--body-file",
                    "-",
                    "--now",
                    now,
                    "--tolerance",
                    tolerance,
                ];
                let lines: Vec<String> = h
                    .iter()
                    .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
                    .collect();
                for l in &lines {
                    args.extend(["--header", l.as_str()]);
                }
                let r = run(&args, body);
                assert!(
                    [0, 1, 2].contains(&r.code),
                    "ts {ts}, --now {now}, --tolerance {tolerance}: exit {}\n{}{}",
                    r.code,
                    r.stdout,
                    r.stderr
                );
                if r.code == 2 {
                    assert!(
                        r.stderr.contains("--now") && r.stderr.contains(now),
                        "{}",
                        r.stderr
                    );
                }
            }
        }
    }
    let r = run(
        &[
            "verify",
            "--scheme",
            "mittr",
            "--secret",
            "k",
            "--body-file",
            "-",
            "--now",
            &max,
        ],
        body,
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("out of range"), "{}", r.stderr);
    // Signing at the largest timestamp works: it is only a number.
    let r = run(
        &[
            "sign",
            "--scheme",
            "mittr",
            "--secret",
            "k",
            "--body-file",
            "-",
            "--timestamp",
            &max,
        ],
        body,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The header lines `sign` prints before its blank line.
fn printed_headers(stdout: &str) -> Vec<&str> {
    stdout.lines().take_while(|l| !l.is_empty()).collect()
}

#[test]
fn sign_takes_the_mitpo_event_from_the_payload_as_send_does() {
    let body = br#"{"event":"dispatch.completed","id":"d_1"}"#;
    let args = [
        "sign",
        "--scheme",
        "mitpo",
        "--secret",
        "whsec_k",
        "--body-file",
        "-",
        "--timestamp",
        "1764072000",
    ];
    let r = run(&args, body);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        printed_headers(&r.stdout).contains(&"x-mitpo-event: dispatch.completed"),
        "{}",
        r.stdout
    );
    // An explicit --event wins over the payload's field.
    let r = run(&[&args[..], &["--event", "other.event"]].concat(), body);
    let headers = printed_headers(&r.stdout);
    assert!(
        headers.contains(&"x-mitpo-event: other.event"),
        "{}",
        r.stdout
    );
    assert_eq!(
        headers
            .iter()
            .filter(|l| l.starts_with("x-mitpo-event"))
            .count(),
        1
    );
    // No `event` field, no --event: no header. Mittr has no event header.
    let r = run(&args, b"{\"id\":1}");
    assert!(!r.stdout.contains("x-mitpo-event"), "{}", r.stdout);
    let mut mittr = args;
    mittr[2] = "mittr";
    let r = run(&mittr, body);
    assert!(!r.stdout.to_lowercase().contains("event:"), "{}", r.stdout);
}

#[test]
fn sign_with_several_secrets_puts_one_entry_per_secret_that_each_verifies() {
    let body = br#"{"event":"dispatch.completed"}"#;
    for (scheme, name, prefix) in [
        (Scheme::mittr(), "mittr", "v1="),
        (Scheme::mitpo(), "mitpo", "sha256="),
    ] {
        let r = run(
            &[
                "sign",
                "--scheme",
                name,
                "--secret",
                "old-secret",
                "--secret",
                "new-secret",
                "--body-file",
                "-",
                "--timestamp",
                "1764072000",
            ],
            body,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let headers = printed_headers(&r.stdout);
        let sig_header = format!("{}: ", scheme.signature_header());
        let value = headers
            .iter()
            .find_map(|l| l.strip_prefix(sig_header.as_str()))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        let expected: Vec<String> = ["old-secret", "new-secret"]
            .iter()
            .map(|s| {
                let digest = Signer::new(scheme.clone(), *s)
                    .unwrap()
                    .digest(1_764_072_000, body);
                format!("{prefix}{}", hex::encode(digest))
            })
            .collect();
        assert_eq!(value, expected.join(","), "{name}");
        // Either secret alone accepts the printed headers.
        for secret in ["old-secret", "new-secret"] {
            let mut args = vec![
                "verify",
                "--scheme",
                name,
                "--secret",
                secret,
                "--body-file",
                "-",
                "--now",
                "1764072000",
            ];
            for l in &headers {
                args.extend(["--header", l]);
            }
            let v = run(&args, body);
            assert_eq!(v.code, 0, "{name} {secret}: {}{}", v.stdout, v.stderr);
        }
        let v = run(
            &[
                "verify",
                "--scheme",
                name,
                "--secret",
                "third-secret",
                "--body-file",
                "-",
                "--now",
                "1764072000",
                "--header",
                headers[0],
                "--header",
                headers[1],
            ],
            body,
        );
        assert_eq!(v.code, 1, "{}", v.stdout);
    }
    // More secrets than a verifier reads entries: a usage error.
    let secrets: Vec<String> = (0..17).map(|i| format!("s{i}")).collect();
    let mut args = vec!["sign", "--scheme", "mittr", "--body-file", "-"];
    for s in &secrets {
        args.extend(["--secret", s.as_str()]);
    }
    let r = run(&args, body);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("17 secrets given, at most 16"),
        "{}",
        r.stderr
    );
}

/// What a test receiver got: path, `X-MITPO-Event`, body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A MITPO receiver on any path, behind the verifying layer, recording
/// what it accepted.
async fn recording_receiver(secret: &str) -> (common::server::TestServer, Received) {
    use hookwarden::tower::VerifyWebhookLayer;
    let received = Received::default();
    let log = received.clone();
    // The same signed body is sent more than once: no replay protection.
    let verifier = hookwarden::Verifier::builder(Scheme::mitpo())
        .secret(secret)
        .without_replay_protection()
        .build()
        .unwrap();
    let app = axum::Router::new()
        .fallback(
            move |uri: http::Uri, headers: http::HeaderMap, body: bytes::Bytes| {
                let log = log.clone();
                async move {
                    let event = headers
                        .get("x-mitpo-event")
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .unwrap_or_default();
                    log.lock()
                        .unwrap()
                        .push((uri.path().to_owned(), event, body.to_vec()));
                    "ok"
                }
            },
        )
        .layer(VerifyWebhookLayer::new(verifier));
    (common::server::serve(app).await, received)
}

/// Runs `command` with `sh -c`, returning its exit code and stdout bytes.
fn sh(command: &str) -> (i32, Vec<u8>) {
    let out = StdCommand::new("sh")
        .args(["-c", command])
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

fn curl_installed() -> bool {
    StdCommand::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn the_printed_curl_command_sends_the_exact_bytes_through_sh() {
    // Quotes, %, backslashes, a leading dash, NUL, controls, invalid UTF-8,
    // and digits right after bytes that are written as octal escapes.
    let body: &[u8] = b"-{\"a\":\"it's 100% \\\\ %s\"}\n\x00\x001\xff\x1b[2J\r\n\x089'\"\t\x7f";
    let (srv, received) = recording_receiver("whsec_curl").await;
    let dir = std::env::temp_dir().join(format!("hookwarden-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bo'dy $(x).bin");
    std::fs::write(&file, body).unwrap();
    let url = srv.url("/it's/$(hook)");
    for body_file in ["-", file.to_str().unwrap()] {
        let r = run(
            &[
                "sign",
                "--scheme",
                "mitpo",
                "--secret",
                "whsec_curl",
                "--event",
                "it's.done",
                "--body-file",
                body_file,
                "--url",
                &url,
            ],
            body,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let command = r.stdout.lines().find(|l| l.contains("curl -sS ")).unwrap();
        if let Some((printf, _)) = command.split_once(" | curl ") {
            assert_eq!(sh(printf), (0, body.to_vec()), "{printf}");
        } else {
            assert_ne!(
                body_file, "-",
                "stdin's bytes must be in the command: {command}"
            );
        }
        if !curl_installed() {
            continue;
        }
        let command = command.to_owned();
        let (code, out) = tokio::task::spawn_blocking(move || sh(&command))
            .await
            .unwrap();
        assert_eq!((code, out.as_slice()), (0, &b"ok"[..]), "{}", r.stdout);
        let (path, event, got) = received.lock().unwrap().pop().expect("a delivery");
        assert_eq!(got, body, "{body_file}");
        assert_eq!(event, "it's.done");
        assert_eq!(path, "/it's/$(hook)");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// `1.9 ms`, `250 ms`, `1.2 s`: a number and a unit a person reads.
fn is_human_duration(text: &str) -> bool {
    let (number, unit) = text.split_once(' ').unwrap_or_default();
    let number = number.strip_prefix("< ").unwrap_or(number);
    ["ms", "s"].contains(&unit)
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[tokio::test]
async fn send_prints_human_durations() {
    use axum::response::IntoResponse;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().fallback(move || {
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if n == 0 {
                (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "1")],
                    "{\"error\":\"busy\"}",
                )
                    .into_response()
            } else {
                "ok".into_response()
            }
        }
    });
    let srv = common::server::serve(app).await;
    let url = srv.url("/hook");
    let r = tokio::task::spawn_blocking(move || {
        run(
            &[
                "send",
                &url,
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
            ],
            b"{}",
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("attempt 1: HTTP 503 (busy), took "),
        "{}",
        r.stdout
    );
    assert!(
        lines[1].starts_with("attempt 2 after waiting 1.0 s: HTTP 200, took "),
        "{}",
        r.stdout
    );
    for line in &lines[..2] {
        let took = line.rsplit_once(", took ").unwrap().1;
        assert!(is_human_duration(took), "{line}");
    }
    assert!(!lines[0].contains("after waiting"), "{}", r.stdout);
}

/// The first 2,000 characters of `text`, for failure messages.
fn head(text: &str) -> &str {
    text.char_indices()
        .nth(2000)
        .map_or(text, |(i, _)| &text[..i])
}

#[tokio::test]
async fn listen_escapes_what_the_sender_controls_and_caps_the_payload() {
    let hostile: &[u8] = b"{\"event\":\"x\"}\x1b]0;pwned\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\r\
verified: mittr delivery, secret #0\n\t\x7f\xc2\x9b31m\xff\xfe\x9b\xe2\x80\xae";
    let listener = Listener::start("mittr", "k");
    let client = common::server::client();
    let now = hookwarden::time::unix_seconds(SystemTime::now());
    // Verified and rejected deliveries alike print the payload.
    for secret in [&b"k"[..], b"other"] {
        let headers = sign(Scheme::mittr(), secret, now, hostile);
        common::server::post(&client, &listener.url("/h"), &headers, hostile).await;
    }
    let big: Vec<u8> = (0..10_000u32).map(|i| b"\x1bab"[i as usize % 3]).collect();
    let headers = sign(Scheme::mittr(), b"k", now, &big);
    let reply = common::server::post(&client, &listener.url("/h"), &headers, big.clone()).await;
    assert_eq!(reply.status, 200);

    let out = listener.output();
    let text = String::from_utf8(out.clone())
        .unwrap_or_else(|e| panic!("invalid UTF-8 reached the terminal: {e}"));
    for (byte, name) in [(0x1b, "ESC"), (0x07, "BEL"), (b'\r', "CR"), (0x7f, "DEL")] {
        assert!(
            !out.contains(&byte),
            "{name} reached the terminal: {:?}",
            head(&text)
        );
    }
    assert!(
        !text
            .chars()
            .any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'),
        "a C1 or bidi control reached the terminal: {:?}",
        head(&text)
    );
    assert!(
        text.contains(r"\x1b]0;pwned\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\r"),
        "escapes are shown: {}",
        head(&text)
    );
    assert!(
        text.contains(r"\n\t\x7f\u{9b}31m\xff\xfe\x9b\u{202e}"),
        "{}",
        head(&text)
    );
    // The sender's "verified" line stays inside its payload line.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("verified:")).count(),
        2,
        "{}",
        head(&text)
    );
    let big_line = text
        .lines()
        .find(|l| l.starts_with("payload (10000 bytes"))
        .unwrap_or_else(|| panic!("{}", head(&text)));
    // At most 4 KiB of escaped text: 682 × `\x1bab` (6 characters for 3
    // bytes) and one more `\x1b`, 2,047 bytes of the payload.
    assert!(
        big_line.starts_with("payload (10000 bytes, first 2047 shown): ")
            && big_line.ends_with(r"\x1bab\x1b [7953 more bytes not shown]"),
        "{}",
        &big_line[..100]
    );
    assert!(big_line.len() <= 4096 + 100, "{}", big_line.len());
}

#[test]
fn usage_errors_say_exactly_what_is_wrong() {
    let dir = std::env::temp_dir().join(format!("hookwarden-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let headless = dir.join("headless.http");
    std::fs::write(&headless, b"POST / HTTP/1.1\r\nX-Mittr-Timestamp: 1\r\n").unwrap();
    let headless = headless.to_str().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let no_blank_line = format!("{headless}: no blank line after the headers");
    let cannot_listen = format!("cannot listen on {taken_addr}: ");
    let verify = ["verify", "--scheme", "mittr", "--body-file", "-"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&verify[..], &["--secret", "k", "--secret", ""]].concat(),
            "--secret #2 is empty",
        ),
        (
            [&verify[..], &["--secret-env", "HG_EMPTY"]].concat(),
            "environment variable HG_EMPTY is empty",
        ),
        (
            [
                &verify[..],
                &[
                    "--secret",
                    "k",
                    "--header",
                    "X-Mittr-Timestamp: 1",
                    "--header",
                    "no colon",
                ],
            ]
            .concat(),
            "--header \"no colon\" is not `Name: value`",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--request-file",
                headless,
            ],
            &no_blank_line,
        ),
        (
            vec![
                "send",
                "http://127.0.0.1:9/",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--attempts",
                "0",
            ],
            "invalid value '0' for '--attempts <N>'",
        ),
        (
            vec![
                "sign",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--event",
                "x",
            ],
            "--event: Mittr deliveries have no event header",
        ),
        (
            vec![
                "send",
                "http://127.0.0.1:9/",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--event",
                "x",
            ],
            "--event: Mittr deliveries have no event header",
        ),
        (
            vec![
                "sign",
                "--scheme",
                "mitpo",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--event",
                "a\u{7f}b",
            ],
            "--event: \"a\\u{7f}b\" is not visible ASCII",
        ),
        (
            vec![
                "send",
                "ftp://example.test/",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
            ],
            "cannot send to ftp://example.test/: invalid URL",
        ),
        (
            vec![
                "listen",
                "--addr",
                &taken_addr,
                "--scheme",
                "mittr",
                "--secret",
                "k",
            ],
            &cannot_listen,
        ),
    ];
    for (args, why) in cases {
        let out = hookwarden()
            .args(&args)
            .env("HG_EMPTY", "")
            .write_stdin(&b"{}"[..])
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(why),
            "{args:?}: expected {why:?} in {stderr}"
        );
    }
    // An event receivers would reject (they take visible ASCII only), here
    // with a C1 control, is refused before anything is printed or sent.
    for command in ["sign", "send"] {
        let mut args = vec![
            command,
            "--scheme",
            "mitpo",
            "--secret",
            "k",
            "--body-file",
            "-",
        ];
        if command == "send" {
            args.insert(1, "http://127.0.0.1:9/");
        }
        let r = run(&args, "{\"event\":\"x\u{9b}2J\"}".as_bytes());
        assert_eq!(r.code, 2, "{command}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty(), "{command}: {}", r.stdout);
        assert!(
            r.stderr
                .contains("the payload's `event` field (or pass --event): \"x\\u{9b}2J\" is not visible ASCII"),
            "{command}: {}",
            r.stderr
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let out = hookwarden()
            .args([&verify[..], &["--secret-env", "HG_BINARY"]].concat())
            .env("HG_BINARY", std::ffi::OsStr::from_bytes(b"\xff\xfe"))
            .write_stdin(&b"{}"[..])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("environment variable HG_BINARY is not valid UTF-8"),
            "{stderr}"
        );
    }
    drop(taken);
    std::fs::remove_dir_all(dir).ok();
}

/// Every catalogued mistake (`tests/common/mistakes.rs`) through the real
/// binary: `verify --json` names the cause, says it was confirmed or not,
/// lists what it tried, hints in the CLI's terms, shows no secret.
#[test]
fn every_catalogued_mistake_through_verify_json() {
    let mut failures = Vec::new();
    for m in mistakes::all() {
        let mut args = vec![
            "verify".to_owned(),
            "--scheme".into(),
            m.scheme.into(),
            "--json".into(),
            "--body-file".into(),
            "-".into(),
        ];
        for s in &m.secrets {
            args.extend(["--secret".to_owned(), s.clone()]);
        }
        for (name, value) in &m.headers {
            args.extend(["--header".to_owned(), format!("{name}: {value}")]);
        }
        if m.has_timestamp() {
            args.extend(["--now".into(), mistakes::NOW.to_string()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&refs, &m.body);
        if m.cause == "invalid_secret" {
            // A signing key given to verify is a usage error, with the fix.
            if r.code != 2 || !r.stderr.contains("whpk_") {
                failures.push(format!("{}: exit {} {}", m.name, r.code, r.stderr));
            }
            continue;
        }
        let Ok(json) = serde_json::from_str::<serde_json::Value>(r.stdout.trim()) else {
            failures.push(format!("{}: not JSON: {}{}", m.name, r.stdout, r.stderr));
            continue;
        };
        let got = if json["ok"] == true {
            "ok"
        } else {
            json["likely_cause"].as_str().unwrap_or("none")
        };
        let expected_exit = if m.cause == "ok" { 0 } else { 1 };
        if got != m.cause || r.code != expected_exit {
            failures.push(format!(
                "{} ({}): expected {}, got exit {} {json}",
                m.name, m.scheme, m.cause, r.code
            ));
            continue;
        }
        let text = json.to_string();
        for secret in &m.secrets {
            let secret = secret.trim_matches(|c: char| c.is_whitespace() || c == '"');
            assert!(
                !text.contains(secret),
                "{}: a secret leaked: {text}",
                m.name
            );
        }
        let tried: Vec<&str> = json["tried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        if m.cause == "ok" {
            assert!(tried.is_empty() && json["confirmed"].is_null(), "{text}");
            continue;
        }
        assert!(tried.contains(&m.cause), "{}: {text}", m.name);
        assert!(json["confirmed"].is_boolean(), "{text}");
        let hint = json["hint"].as_str().unwrap();
        assert!(
            !hint.contains("Scheme::") && !hint.contains("Secret field"),
            "{}: not in the CLI's terms: {hint}",
            m.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs `sign` and returns the printed header lines.
fn sign_lines(args: &[&str], body: &[u8]) -> Vec<String> {
    let r = run(args, body);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    printed_headers(&r.stdout)
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

#[test]
fn every_preset_signs_what_verify_accepts() {
    let body = br#"{"event":"invoice.paid","id":"evt_1"}"#;
    let v1a = "whsk_V0VCSE9PS0FTWU1NRVRSSUNURVNUUFJJVkFURUtFWTE=";
    let v1a_public = "whpk_4rQZjjkCnn4m/ciYBaRPSZTA+Y/UwqgD6hgxOllF28g=";
    let cases: Vec<(&str, &str, &str, bool)> = vec![
        ("mittr", "k", "k", true),
        ("mitpo", "whsec_k", "whsec_k", true),
        ("stripe", "whsec_stripe", "whsec_stripe", true),
        (
            "standard-webhooks",
            "whsec_c2VjcmV0LXNlY3JldA==",
            "whsec_c2VjcmV0LXNlY3JldA==",
            true,
        ),
        ("standard-webhooks", v1a, v1a_public, true),
        (
            "svix",
            "whsec_c2VjcmV0LXNlY3JldA==",
            "whsec_c2VjcmV0LXNlY3JldA==",
            true,
        ),
        ("github", "gh-secret", "gh-secret", false),
        (
            "slack",
            "8f742231b10e8888abcd99yyyzzz85a5",
            "8f742231b10e8888abcd99yyyzzz85a5",
            true,
        ),
        ("shopify", "shpss_k", "shpss_k", false),
    ];
    for (scheme, signing, verifying, timestamped) in cases {
        let mut args = vec![
            "sign",
            "--scheme",
            scheme,
            "--secret",
            signing,
            "--body-file",
            "-",
        ];
        if timestamped {
            args.extend(["--timestamp", "1764072000"]);
        }
        let has_id = ["standard-webhooks", "svix", "github", "shopify"].contains(&scheme);
        if has_id {
            args.extend(["--id", "msg_2mXyZ"]);
        }
        let lines = sign_lines(&args, body);
        let joined = lines.join("\n");
        match scheme {
            "stripe" => assert!(
                joined.starts_with("stripe-signature: t=1764072000,v1="),
                "{joined}"
            ),
            "standard-webhooks" => assert!(
                joined.contains("webhook-id: msg_2mXyZ")
                    && joined.contains("webhook-timestamp: 1764072000"),
                "{joined}"
            ),
            "svix" => assert!(joined.contains("svix-id: msg_2mXyZ"), "{joined}"),
            "github" => assert!(
                joined.contains("x-hub-signature-256: sha256=")
                    && joined.contains("x-github-delivery: msg_2mXyZ"),
                "{joined}"
            ),
            _ => {}
        }
        if signing == v1a {
            assert!(joined.contains("webhook-signature: v1a,"), "{joined}");
        }
        let mut verify = vec![
            "verify",
            "--scheme",
            scheme,
            "--secret",
            verifying,
            "--body-file",
            "-",
        ];
        if timestamped {
            verify.extend(["--now", "1764072000"]);
        }
        for l in &lines {
            verify.extend(["--header", l.as_str()]);
        }
        let r = run(&verify, body);
        assert_eq!(r.code, 0, "{scheme}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout
                .starts_with(&format!("verified: {scheme} delivery")),
            "{}",
            r.stdout
        );
        // The same headers over another body: rejected, with the cause and what was tried.
        let r = run(&verify, b"{}");
        assert_eq!(r.code, 1, "{scheme}: {}", r.stdout);
        assert!(
            r.stdout.contains("likely cause: ") && r.stdout.contains("\ntried: "),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn schemes_without_a_timestamp_take_no_clock_options() {
    let body = b"{}";
    let lines = sign_lines(
        &[
            "sign",
            "--scheme",
            "github",
            "--secret",
            "k",
            "--body-file",
            "-",
        ],
        body,
    );
    let header = lines[0].clone();
    let verify = [
        "verify",
        "--scheme",
        "github",
        "--secret",
        "k",
        "--body-file",
        "-",
        "--header",
        header.as_str(),
    ];
    assert_eq!(run(&verify, body).code, 0);
    for (extra, option) in [
        (["--now", "1764072000"], "--now"),
        (["--tolerance", "60"], "--tolerance"),
    ] {
        let r = run(&[&verify[..], &extra[..]].concat(), body);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "{option}: GitHub deliveries carry no timestamp; leave it out"
            )),
            "{}",
            r.stderr
        );
    }
    // Every preset, in the order of `Scheme::PRESETS`.
    let possible = format!("[possible values: {}]", Scheme::PRESETS.join(", "));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "sign",
                "--scheme",
                "shopify",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--timestamp",
                "1",
            ],
            "--timestamp: Shopify deliveries carry no timestamp",
        ),
        (
            vec![
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--scheme",
                "github",
                "--secret",
                "k",
                "--tolerance",
                "5",
            ],
            "--tolerance: GitHub deliveries carry no timestamp",
        ),
        (
            vec![
                "sign",
                "--scheme",
                "mittr",
                "--secret",
                "k",
                "--body-file",
                "-",
                "--id",
                "x",
            ],
            "--id: Mittr deliveries carry no delivery id",
        ),
        (
            vec![
                "sign",
                "--scheme",
                "github",
                "--secret",
                "a",
                "--secret",
                "b",
                "--body-file",
                "-",
            ],
            "2 secrets given: GitHub deliveries carry one signature",
        ),
        (
            vec![
                "sign",
                "--scheme",
                "standard-webhooks",
                "--secret",
                "whpk_4rQZjjkCnn4m/ciYBaRPSZTA+Y/UwqgD6hgxOllF28g=",
                "--body-file",
                "-",
            ],
            "sign with the `whsk_` key",
        ),
        (
            vec![
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--scheme",
                "standard-webhooks",
                "--secret",
                "whsk_V0VCSE9PS0FTWU1NRVRSSUNURVNUUFJJVkFURUtFWTE=",
            ],
            "verify with the `whpk_…` public key",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "acme",
                "--secret",
                "k",
                "--body-file",
                "-",
            ],
            &possible,
        ),
    ];
    for (args, why) in cases {
        let out = hookwarden()
            .args(&args)
            .write_stdin(&b"{}"[..])
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(why),
            "{args:?}: expected {why:?} in {stderr}"
        );
    }
}

#[tokio::test]
async fn listen_verifies_any_preset_and_names_another_presets_delivery() {
    let listener = Listener::start("stripe", "whsec_listen");
    let client = common::server::client();
    let now = hookwarden::time::unix_seconds(SystemTime::now());
    let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    let stripe = sign(Scheme::stripe(), b"whsec_listen", now, body);
    let reply = common::server::post(
        &client,
        &listener.url("/webhooks/stripe"),
        &stripe,
        &body[..],
    )
    .await;
    assert_eq!(reply.status, 200);
    let github = sign(Scheme::github(), b"whsec_listen", now, body);
    let reply = common::server::post(
        &client,
        &listener.url("/webhooks/stripe"),
        &github,
        &body[..],
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "missing_header")
    );
    let text = String::from_utf8(listener.output()).unwrap();
    assert!(text.contains("verified: stripe delivery"), "{text}");
    assert!(
        text.contains(
            "likely cause: wrong_scheme (confirmed: undoing it makes the signature match)"
        ) && text.contains("verify it with `--scheme github`"),
        "{text}"
    );
}
