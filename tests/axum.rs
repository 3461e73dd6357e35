//! The tower layer and the axum extractors over real TCP: an axum app on
//! 127.0.0.1:0, a real HTTP client, requests signed with the crate's Signer.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use common::server::{self, chunked, post as send, raw_exchange, raw_head};
use hookwarden::axum::Verified;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Error, Scheme, Signer, Verifier};

const MITTR_SECRET: &str = "mittr-test-secret";
const MITPO_SECRET: &str = "whsec_mitpo_test_secret";

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    hits: Arc<AtomicUsize>,
    seen: Arc<Mutex<HashMap<Vec<u8>, usize>>>,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

fn mittr() -> Verifier {
    Verifier::builder(Scheme::mittr())
        .secret(MITTR_SECRET)
        .secret("mittr-previous")
        .build()
        .unwrap()
}

fn mitpo() -> Verifier {
    Verifier::builder(Scheme::mitpo())
        .secret(MITPO_SECRET)
        .build()
        .unwrap()
}

fn state() -> AppState {
    AppState {
        verifier: mittr(),
        hits: Arc::default(),
        seen: Arc::default(),
    }
}

/// Echoes the verified bytes, with the metadata in response headers.
async fn echo(
    State(state): State<AppState>,
    verified: hookwarden::VerifiedDelivery,
    body: Bytes,
) -> ([(&'static str, String); 2], Bytes) {
    state.hits.fetch_add(1, Ordering::SeqCst);
    *state.seen.lock().unwrap().entry(body.to_vec()).or_default() += 1;
    (
        [
            ("x-secret-index", verified.secret_index().to_string()),
            (
                "x-event",
                verified.unsigned_event_type().unwrap_or("-").to_owned(),
            ),
        ],
        body,
    )
}

async fn extract_bytes(
    State(state): State<AppState>,
    Verified {
        body,
        delivery: info,
        ..
    }: Verified<Bytes>,
) -> ([(&'static str, String); 1], Bytes) {
    state.hits.fetch_add(1, Ordering::SeqCst);
    ([("x-secret-index", info.secret_index().to_string())], body)
}

async fn extract_json(
    State(state): State<AppState>,
    Verified {
        body: Json(value), ..
    }: Verified<Json<serde_json::Value>>,
) -> Json<serde_json::Value> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    Json(value)
}

async fn extract_string(
    State(state): State<AppState>,
    Verified { body: text, .. }: Verified<String>,
) -> String {
    state.hits.fetch_add(1, Ordering::SeqCst);
    text
}

fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/layer/mittr",
            post(echo).layer(VerifyWebhookLayer::new(mittr())),
        )
        .route(
            "/layer/mitpo",
            post(echo).layer(VerifyWebhookLayer::new(mitpo())),
        )
        .route(
            "/layer/small",
            post(echo).layer(VerifyWebhookLayer::new(
                Verifier::builder(Scheme::mittr())
                    .secret(MITTR_SECRET)
                    .body_limit(1000)
                    .build()
                    .unwrap(),
            )),
        )
        .route(
            "/layer/extract",
            post(extract_bytes).layer(VerifyWebhookLayer::new(mitpo())),
        )
        .route("/extract/bytes", post(extract_bytes))
        .route("/extract/json", post(extract_json))
        .route("/extract/string", post(extract_string))
        .route(
            "/extract/limited",
            post(extract_bytes).layer(DefaultBodyLimit::max(1000)),
        )
        .with_state(state)
}

fn now() -> u64 {
    hookwarden::time::unix_seconds(SystemTime::now())
}

fn signed(scheme: Scheme, secret: &str, ts: u64, body: &[u8]) -> http::HeaderMap {
    Signer::new(scheme, secret)
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap()
        .sign(ts, body)
        .to_header_map()
}

fn mittr_signed(body: &[u8]) -> http::HeaderMap {
    signed(Scheme::mittr(), MITTR_SECRET, now(), body)
}

#[tokio::test]
async fn every_error_code_and_status_through_the_layer() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let client = server::client();
    let url = srv.url("/layer/mittr");
    let body = br#"{"eventType":"order.created"}"#;
    let good = mittr_signed(body);

    let mut missing = good.clone();
    missing.remove("x-mittr-signature");
    let mut malformed = good.clone();
    malformed.insert("x-mittr-timestamp", "12.5".parse().unwrap());
    let stale = signed(Scheme::mittr(), MITTR_SECRET, now() - 301, body);
    let future = signed(Scheme::mittr(), MITTR_SECRET, now() + 301, body);
    let forged = signed(Scheme::mittr(), "wrong-secret", now(), body);

    let cases: [(&http::HeaderMap, &[u8], u16, &str); 6] = [
        (&missing, body, 400, "missing_header"),
        (&malformed, body, 400, "malformed_header"),
        (&stale, body, 401, "timestamp_too_old"),
        (&future, body, 401, "timestamp_in_future"),
        (&forged, body, 401, "signature_mismatch"),
        (
            &good,
            b"{\"eventType\":\"order.CREATED\"}",
            401,
            "signature_mismatch",
        ),
    ];
    for (headers, body, status, code) in cases {
        let reply = send(&client, &url, headers, body.to_vec()).await;
        assert_eq!(reply.status, status, "{code}: {reply:?}");
        assert_eq!(reply.headers["content-type"], "application/json");
        assert_eq!(reply.code(), code);
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(!message.contains(MITTR_SECRET), "{message}");
    }
    assert_eq!(
        state.hits.load(Ordering::SeqCst),
        0,
        "no rejected request reaches the handler"
    );

    // 413 from Content-Length.
    let big = vec![b'x'; 1001];
    let reply = send(&client, &srv.url("/layer/small"), &mittr_signed(&big), big).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (413, "body_too_large")
    );

    let reply = send(&client, &url, &good, body.to_vec()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, &body[..]);
    assert_eq!(state.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handler_sees_the_exact_bytes() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let client = server::client();
    let binary: Vec<u8> = (0..=255u8).rev().cycle().take(4099).collect();
    let big: Vec<u8> = (0..70 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    for body in [binary, Vec::new(), big, b"{\"a\": 1}\r\n".to_vec()] {
        for (path, headers) in [
            ("/layer/mittr", mittr_signed(&body)),
            (
                "/layer/mitpo",
                signed(Scheme::mitpo(), MITPO_SECRET, now(), &body),
            ),
            (
                "/layer/extract",
                signed(Scheme::mitpo(), MITPO_SECRET, now(), &body),
            ),
            ("/extract/bytes", mittr_signed(&body)),
        ] {
            let reply = send(&client, &srv.url(path), &headers, body.clone()).await;
            assert_eq!(reply.status, 200, "{path} {} bytes: {reply:?}", body.len());
            assert!(
                reply.body == body,
                "{path}: bytes differ ({} bytes)",
                body.len()
            );
        }
    }
}

#[tokio::test]
async fn layer_exposes_the_verified_metadata() {
    let srv = server::serve(app(state())).await;
    let client = server::client();
    let headers = signed(Scheme::mittr(), "mittr-previous", now(), b"rotated");
    let reply = send(&client, &srv.url("/layer/mittr"), &headers, &b"rotated"[..]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["x-secret-index"], "1");
    let headers = signed(Scheme::mitpo(), MITPO_SECRET, now(), b"{}");
    let reply = send(&client, &srv.url("/layer/mitpo"), &headers, &b"{}"[..]).await;
    assert_eq!(reply.headers["x-event"], "dispatch.completed");
}

#[tokio::test]
async fn routes_with_different_schemes_do_not_accept_each_other() {
    let srv = server::serve(app(state())).await;
    let client = server::client();
    let body = b"{}";
    let mitpo_headers = signed(Scheme::mitpo(), MITPO_SECRET, now(), body);
    let reply = send(&client, &srv.url("/layer/mittr"), &mitpo_headers, &body[..]).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "missing_header")
    );
    let reply = send(&client, &srv.url("/layer/mitpo"), &mitpo_headers, &body[..]).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn standalone_extractors_verify_and_pass_inner_rejections_through() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let client = server::client();

    let json = br#"{"event":"x","n":[1,2]}"#;
    let mut headers = mittr_signed(json);
    headers.insert("content-type", "application/json".parse().unwrap());
    let reply = send(&client, &srv.url("/extract/json"), &headers, &json[..]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), serde_json::json!({"event":"x","n":[1,2]}));

    let reply = send(
        &client,
        &srv.url("/extract/string"),
        &mittr_signed(b"hello"),
        &b"hello"[..],
    )
    .await;
    assert_eq!((reply.status, &reply.body[..]), (200, &b"hello"[..]));

    // Signed but not JSON: axum's own Json rejection, unchanged.
    let mut headers = mittr_signed(b"not json");
    headers.insert("content-type", "application/json".parse().unwrap());
    let reply = send(
        &client,
        &srv.url("/extract/json"),
        &headers,
        &b"not json"[..],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        String::from_utf8_lossy(&reply.body).contains("Failed to parse"),
        "{reply:?}"
    );

    // Invalid UTF-8 with a valid signature: the String extractor's rejection.
    let bad = [0xffu8, 0xfe];
    let reply = send(
        &client,
        &srv.url("/extract/string"),
        &mittr_signed(&bad),
        bad.to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());

    // Forged: our rejection, and the inner extractor never runs.
    let hits = state.hits.load(Ordering::SeqCst);
    let mut forged = signed(Scheme::mittr(), "nope", now(), json);
    forged.insert("content-type", "application/json".parse().unwrap());
    let reply = send(&client, &srv.url("/extract/json"), &forged, &json[..]).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (401, "signature_mismatch")
    );
    let reply = send(
        &client,
        &srv.url("/extract/bytes"),
        &http::HeaderMap::new(),
        &json[..],
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "missing_header")
    );
    assert_eq!(state.hits.load(Ordering::SeqCst), hits);
}

#[tokio::test]
async fn standalone_extractor_honours_default_body_limit() {
    let srv = server::serve(app(state())).await;
    let client = server::client();
    let small = vec![b'a'; 1000];
    let reply = send(
        &client,
        &srv.url("/extract/limited"),
        &mittr_signed(&small),
        small,
    )
    .await;
    assert_eq!(reply.status, 200);
    let big = vec![b'a'; 1001];
    let reply = send(
        &client,
        &srv.url("/extract/limited"),
        &mittr_signed(&big),
        big.clone(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (413, "body_too_large")
    );
    assert!(reply.json()["message"]
        .as_str()
        .unwrap()
        .contains("1000 bytes"));

    // Chunked, without Content-Length: the limit holds while streaming.
    let head = raw_head(
        "/extract/limited",
        &mittr_signed(&big),
        "Transfer-Encoding: chunked\r\n",
    );
    let (status, text) = raw_exchange(srv.addr, head, chunked(&big, 300), false).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body_too_large"), "{text}");
}

#[tokio::test]
async fn chunked_body_without_content_length_verifies() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let body: Vec<u8> = (0..50_000).map(|i| (i % 251) as u8).collect();
    for path in ["/layer/mittr", "/extract/bytes"] {
        let head = raw_head(path, &mittr_signed(&body), "Transfer-Encoding: chunked\r\n");
        let (status, text) = raw_exchange(srv.addr, head, chunked(&body, 777), false).await;
        assert_eq!(status, 200, "{path}: {text}");
    }
    // Over the limit while streaming: 413 although no Content-Length announced it.
    let big = vec![b'z'; 5000];
    let head = raw_head(
        "/layer/small",
        &mittr_signed(&big),
        "Transfer-Encoding: chunked\r\n",
    );
    let (status, text) = raw_exchange(srv.addr, head, chunked(&big, 512), false).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(state.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn lying_content_length_is_rejected() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let body = b"0123456789abcdefghij".to_vec();
    let headers = mittr_signed(&body);
    // Announces more than it sends, then half-closes: the body never completes.
    let head = raw_head("/layer/mittr", &headers, "Content-Length: 40\r\n");
    let (status, text) = raw_exchange(srv.addr, head, body.clone(), true).await;
    assert!(status == 400 || status == 0, "{text}");
    if status == 400 {
        assert!(text.contains("body_unreadable"), "{text}");
    }
    // Announces less than it sends: only the announced bytes are the body,
    // and they are not what was signed.
    let head = raw_head("/layer/mittr", &headers, "Content-Length: 10\r\n");
    let (status, text) = raw_exchange(srv.addr, head, body, false).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("signature_mismatch"), "{text}");
    assert_eq!(state.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn ten_mib_bodies_are_rejected_after_reading_at_most_64_kib() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let body = vec![b'x'; 10 * 1024 * 1024];
    let cases = [
        (
            "stale",
            signed(Scheme::mittr(), MITTR_SECRET, now() - 3600, b""),
            "timestamp_too_old",
        ),
        ("over the limit", mittr_signed(b""), "body_too_large"),
    ];
    for (what, headers, code) in cases {
        let before = srv.bytes_read();
        let head = raw_head(
            "/layer/mittr",
            &headers,
            &format!("Content-Length: {}\r\n", body.len()),
        );
        let (status, text) = raw_exchange(srv.addr, head, body.clone(), false).await;
        assert!(text.contains(code), "{what}: {status} {text}");
        // Give the server a moment to read whatever it was going to read.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let read = srv.bytes_read() - before;
        println!("{what}: server read {read} bytes of a 10 MiB request");
        assert!(read <= 64 * 1024, "{what}: server read {read} bytes");
    }
    assert_eq!(state.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_thousand_concurrent_mixed_requests() {
    let state = state();
    let srv = server::serve(app(state.clone())).await;
    let client = server::client();
    let url = srv.url("/layer/mittr");
    let mut tasks = Vec::new();
    for i in 0..1000u32 {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!("{{\"delivery\":{i}}}").into_bytes();
            let (headers, expect) = match i % 4 {
                0 | 1 => (mittr_signed(&body), 200),
                2 => (signed(Scheme::mittr(), "forger", now(), &body), 401),
                _ => (
                    signed(Scheme::mittr(), MITTR_SECRET, now() - 1000, &body),
                    401,
                ),
            };
            let reply = send(&client, &url, &headers, body.clone()).await;
            assert_eq!(reply.status, expect, "delivery {i}");
            (body, expect == 200)
        }));
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for task in tasks {
        let (body, ok) = task.await.unwrap();
        if ok {
            good.push(body)
        } else {
            bad.push(body)
        }
    }
    let seen = state.seen.lock().unwrap();
    for body in &good {
        assert_eq!(
            seen.get(body),
            Some(&1),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    for body in &bad {
        assert_eq!(seen.get(body), None, "{}", String::from_utf8_lossy(body));
    }
    assert_eq!(state.hits.load(Ordering::SeqCst), good.len());
    assert_eq!(good.len(), 500);
}

#[tokio::test]
async fn every_vector_through_the_layer() {
    let client = server::client();
    for case in common::vectors::load() {
        let now = case.now;
        let verifier = Verifier::builder(case.scheme())
            .secrets(case.secrets.iter())
            .tolerance(Duration::from_secs(case.tolerance_secs))
            .clock(move || UNIX_EPOCH + Duration::from_secs(now))
            .build()
            .unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = Router::new().route(
            "/hook",
            post(move |body: Bytes| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                body
            })
            .layer(VerifyWebhookLayer::new(verifier)),
        );
        let srv = server::serve(app).await;
        let body = case.body();
        let reply = send(&client, &srv.url("/hook"), &case.header_map(), body.clone()).await;
        if case.expect == "ok" {
            assert_eq!(reply.status, 200, "{}: {reply:?}", case.name);
            assert!(reply.body == body, "{}", case.name);
            assert_eq!(hits.load(Ordering::SeqCst), 1, "{}", case.name);
        } else {
            let status = match case.expect.as_str() {
                "missing_header" | "malformed_header" => 400,
                _ => 401,
            };
            assert_eq!(reply.status, status, "{}: {reply:?}", case.name);
            assert_eq!(reply.code(), case.expect, "{}", case.name);
            assert_eq!(hits.load(Ordering::SeqCst), 0, "{}", case.name);
        }
    }
}

#[tokio::test]
async fn rejection_response_can_be_replaced_and_carries_the_error() {
    let layer = VerifyWebhookLayer::new(mittr()).on_rejection(|err: &Error| {
        http::Response::builder()
            .status(http::StatusCode::IM_A_TEAPOT)
            .body(Bytes::from(format!("nope: {}", err.code())))
            .unwrap()
    });
    // The error is in the response extensions: a middleware outside can read it.
    let app = Router::new()
        .route("/hook", post(|| async { "ok" }).layer(layer))
        .layer(axum::middleware::map_response(
            |response: axum::response::Response| async move {
                let code = response
                    .extensions()
                    .get::<Error>()
                    .map(Error::code)
                    .unwrap_or("none");
                let mut response = response;
                response
                    .headers_mut()
                    .insert("x-error-code", code.parse().unwrap());
                response
            },
        ));
    let srv = server::serve(app).await;
    let reply = send(
        &server::client(),
        &srv.url("/hook"),
        &http::HeaderMap::new(),
        &b"{}"[..],
    )
    .await;
    assert_eq!(reply.status, 418);
    assert_eq!(&reply.body[..], b"nope: missing_header");
    assert_eq!(reply.headers["x-error-code"], "missing_header");
}

#[tokio::test]
async fn metadata_extractor_outside_the_layer_is_a_500() {
    let app = Router::new().route(
        "/hook",
        post(|v: hookwarden::VerifiedDelivery| async move { v.secret_index().to_string() }),
    );
    let srv = server::serve(app).await;
    let reply = send(
        &server::client(),
        &srv.url("/hook"),
        &http::HeaderMap::new(),
        &b""[..],
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (500, "no_verified_delivery")
    );
}
