//! The actix-web extractor and middleware: `actix_web::test` for every error
//! code, and real TCP (an actix server on 127.0.0.1:0, a real HTTP client).

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{test, web, App, HttpRequest, HttpResponse, HttpServer};
use common::server::{self, chunked, post as send, raw_exchange, raw_exchange_measured, raw_head};
use hookwarden::actix::{Verified, VerifyWebhookLayer};
use hookwarden::{Scheme, Signer, Verifier};

const MITTR_SECRET: &str = "mittr-actix-secret";
const MITPO_SECRET: &str = "whsec_actix_secret";

fn mittr() -> Verifier {
    Verifier::builder(Scheme::mittr())
        .secret(MITTR_SECRET)
        .secret("mittr-old")
        .build()
        .unwrap()
}

/// Without replay protection (on by default): these tests send
/// one body to several routes; replays are `tests/replay*.rs`'s.
fn mitpo() -> Verifier {
    Verifier::builder(Scheme::mitpo())
        .secret(MITPO_SECRET)
        .without_replay_protection()
        .build()
        .unwrap()
}

fn now() -> u64 {
    hookwarden::time::unix_seconds(SystemTime::now())
}

fn signed(scheme: Scheme, secret: &str, ts: u64, body: &[u8]) -> http::HeaderMap {
    Signer::new(scheme, secret)
        .unwrap()
        .sign(ts, body)
        .to_header_map()
}

fn mittr_signed(body: &[u8]) -> http::HeaderMap {
    signed(Scheme::mittr(), MITTR_SECRET, now(), body)
}

#[derive(Clone, Default)]
struct Seen {
    hits: Arc<AtomicUsize>,
    bodies: Arc<Mutex<HashMap<Vec<u8>, usize>>>,
}

impl Seen {
    fn record(&self, body: &[u8]) {
        self.hits.fetch_add(1, Ordering::SeqCst);
        *self
            .bodies
            .lock()
            .unwrap()
            .entry(body.to_vec())
            .or_default() += 1;
    }
}

async fn extract_bytes(
    seen: web::Data<Seen>,
    Verified {
        body,
        delivery: info,
        ..
    }: Verified<web::Bytes>,
) -> HttpResponse {
    seen.record(&body);
    HttpResponse::Ok()
        .insert_header(("x-secret-index", info.secret_index().to_string()))
        .body(body)
}

async fn extract_string(
    seen: web::Data<Seen>,
    Verified { body: text, .. }: Verified<String>,
) -> String {
    seen.record(text.as_bytes());
    text
}

async fn extract_json(
    seen: web::Data<Seen>,
    Verified { body: json, .. }: Verified<web::Json<serde_json::Value>>,
) -> HttpResponse {
    seen.record(b"json");
    HttpResponse::Ok().json(json.into_inner())
}

/// Behind the middleware: plain actix extractors, unchanged.
async fn downstream_json(
    seen: web::Data<Seen>,
    info: hookwarden::VerifiedDelivery,
    json: web::Json<serde_json::Value>,
) -> HttpResponse {
    seen.record(b"downstream");
    HttpResponse::Ok()
        .insert_header((
            "x-event",
            info.unsigned_event_type().unwrap_or("-").to_owned(),
        ))
        .json(json.into_inner())
}

async fn downstream_bytes(seen: web::Data<Seen>, body: web::Bytes) -> HttpResponse {
    seen.record(&body);
    HttpResponse::Ok().body(body)
}

async fn behind_middleware_extractor(Verified { body, .. }: Verified<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

fn app(
    seen: Seen,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(seen))
        .app_data(web::Data::new(mittr()))
        .route("/extract/bytes", web::post().to(extract_bytes))
        .route("/extract/string", web::post().to(extract_string))
        .route("/extract/json", web::post().to(extract_json))
        .service(
            // The verifier's limit is the one read path's limit (actix's
            // `PayloadConfig` limit is not readable from outside).
            web::scope("/limited")
                .app_data(web::Data::new(
                    Verifier::builder(Scheme::mittr())
                        .secret(MITTR_SECRET)
                        .body_limit(1000)
                        .build()
                        .unwrap(),
                ))
                .route("", web::post().to(extract_bytes)),
        )
        .service(
            web::scope("/mw/mitpo")
                .wrap(VerifyWebhookLayer::new(mitpo()))
                .route("/json", web::post().to(downstream_json))
                .route("/bytes", web::post().to(downstream_bytes))
                .route("/extract", web::post().to(behind_middleware_extractor)),
        )
        .service(
            web::scope("/mw/mittr")
                .wrap(VerifyWebhookLayer::from_app_data())
                .route("/bytes", web::post().to(downstream_bytes)),
        )
}

/// Starts the app on 127.0.0.1:0 with a small receive buffer, so that what
/// the client could write bounds what the server read.
fn start(seen: Seen) -> SocketAddr {
    start_with(seen, None)
}

/// As [`start`], with actix's `client_disconnect_timeout` set: `ZERO` turns
/// off its lingering close (reading and discarding an unread body after an
/// early response, so that the client sees the response and not a reset).
fn start_with(seen: Seen, disconnect_timeout: Option<Duration>) -> SocketAddr {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(1024).unwrap();
    let listener: std::net::TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    let mut server = HttpServer::new(move || app(seen.clone())).workers(1);
    if let Some(timeout) = disconnect_timeout {
        server = server.client_disconnect_timeout(timeout);
    }
    actix_web::rt::spawn(server.listen(listener).unwrap().run());
    addr
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

fn test_request(path: &str, headers: &http::HeaderMap, body: &[u8]) -> test::TestRequest {
    let mut req = test::TestRequest::post()
        .uri(path)
        .set_payload(body.to_vec());
    for (name, value) in headers {
        req = req.append_header((name.as_str(), value.as_bytes()));
    }
    req
}

#[actix_web::test]
async fn every_error_code_and_status() {
    let seen = Seen::default();
    let service = test::init_service(app(seen.clone())).await;
    let body = br#"{"eventType":"order.created"}"#;
    let good = mittr_signed(body);
    let mut missing = good.clone();
    missing.remove("x-mittr-timestamp");
    let mut malformed = good.clone();
    malformed.insert("x-mittr-signature", "v1=xyz".parse().unwrap());
    let stale = signed(Scheme::mittr(), MITTR_SECRET, now() - 301, body);
    let future = signed(Scheme::mittr(), MITTR_SECRET, now() + 301, body);
    let forged = signed(Scheme::mittr(), "forged", now(), body);
    let cases: Vec<(&str, http::HeaderMap, Vec<u8>, u16, &str)> = vec![
        (
            "/extract/bytes",
            missing,
            body.to_vec(),
            400,
            "missing_header",
        ),
        (
            "/extract/bytes",
            malformed,
            body.to_vec(),
            400,
            "malformed_header",
        ),
        (
            "/extract/bytes",
            stale,
            body.to_vec(),
            401,
            "timestamp_too_old",
        ),
        (
            "/extract/bytes",
            future,
            body.to_vec(),
            401,
            "timestamp_in_future",
        ),
        (
            "/extract/bytes",
            forged.clone(),
            body.to_vec(),
            401,
            "signature_mismatch",
        ),
        (
            "/extract/bytes",
            good.clone(),
            b"tampered".to_vec(),
            401,
            "signature_mismatch",
        ),
        (
            "/limited",
            mittr_signed(&[b'x'; 1001]),
            vec![b'x'; 1001],
            413,
            "body_too_large",
        ),
        (
            "/mw/mittr/bytes",
            forged,
            body.to_vec(),
            401,
            "signature_mismatch",
        ),
        (
            "/mw/mitpo/bytes",
            good.clone(),
            body.to_vec(),
            400,
            "missing_header",
        ),
    ];
    for (path, headers, body, status, code) in cases {
        let res =
            test::call_service(&service, test_request(path, &headers, &body).to_request()).await;
        assert_eq!(res.status().as_u16(), status, "{path} {code}");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/json"
        );
        let json: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(json["error"], code, "{path}: {json}");
        assert!(!json["message"].as_str().unwrap().contains(MITTR_SECRET));
    }
    assert_eq!(seen.hits.load(Ordering::SeqCst), 0);

    let res = test::call_service(
        &service,
        test_request("/extract/bytes", &good, body).to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(test::read_body(res).await, &body[..]);
}

#[actix_web::test]
async fn missing_verifier_is_a_500_never_a_pass() {
    async fn handler(Verified { body, .. }: Verified<web::Bytes>) -> web::Bytes {
        body
    }
    let service = test::init_service(App::new().route("/hook", web::post().to(handler))).await;
    let res = test::call_service(
        &service,
        test_request("/hook", &mittr_signed(b"x"), b"x").to_request(),
    )
    .await;
    assert_eq!(res.status(), 500);
    let json: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(json["error"], "not_configured");

    async fn meta(info: hookwarden::VerifiedDelivery) -> String {
        info.secret_index().to_string()
    }
    let service = test::init_service(App::new().route("/meta", web::post().to(meta))).await;
    let res = test::call_service(
        &service,
        test::TestRequest::post().uri("/meta").to_request(),
    )
    .await;
    assert_eq!(res.status(), 500);
    let json: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(json["error"], "no_verified_delivery");
}

#[actix_web::test]
async fn extractors_hand_over_the_exact_bytes() {
    let seen = Seen::default();
    let addr = start(seen.clone());
    let client = server::client();
    let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let big: Vec<u8> = (0..70 * 1024).map(|i| (i * 13 % 256) as u8).collect();
    for body in [binary, Vec::new(), big] {
        for (path, headers) in [
            ("/extract/bytes", mittr_signed(&body)),
            ("/mw/mittr/bytes", mittr_signed(&body)),
            (
                "/mw/mitpo/bytes",
                signed(Scheme::mitpo(), MITPO_SECRET, now(), &body),
            ),
            (
                "/mw/mitpo/extract",
                signed(Scheme::mitpo(), MITPO_SECRET, now(), &body),
            ),
        ] {
            let reply = send(&client, &url(addr, path), &headers, body.clone()).await;
            assert_eq!(reply.status, 200, "{path} {} bytes: {reply:?}", body.len());
            assert!(reply.body == body, "{path}: bytes differ");
        }
    }
    let reply = send(
        &client,
        &url(addr, "/extract/string"),
        &mittr_signed(b"hello"),
        &b"hello"[..],
    )
    .await;
    assert_eq!(&reply.body[..], b"hello");
    let headers = signed(Scheme::mittr(), "mittr-old", now(), b"rotated");
    let reply = send(
        &client,
        &url(addr, "/extract/bytes"),
        &headers,
        &b"rotated"[..],
    )
    .await;
    assert_eq!(reply.headers["x-secret-index"], "1");
}

#[actix_web::test]
async fn middleware_feeds_downstream_json_and_inner_rejections_pass_through() {
    let seen = Seen::default();
    let addr = start(seen.clone());
    let client = server::client();
    let json = br#"{"event":"dispatch.completed","n":1}"#;
    let mut headers = Signer::new(Scheme::mitpo(), MITPO_SECRET)
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap()
        .sign_now(json)
        .to_header_map();
    headers.insert("content-type", "application/json".parse().unwrap());
    let reply = send(&client, &url(addr, "/mw/mitpo/json"), &headers, &json[..]).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["n"], 1);
    assert_eq!(reply.headers["x-event"], "dispatch.completed");

    // Signed, but not JSON: actix's own Json error, unchanged.
    let mut headers = signed(Scheme::mitpo(), MITPO_SECRET, now(), b"{oops");
    headers.insert("content-type", "application/json".parse().unwrap());
    let reply = send(
        &client,
        &url(addr, "/mw/mitpo/json"),
        &headers,
        &b"{oops"[..],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body)
        .map_or(true, |v| v.get("error").is_none()));

    // Standalone Json extractor too.
    let mut headers = mittr_signed(json);
    headers.insert("content-type", "application/json".parse().unwrap());
    let reply = send(&client, &url(addr, "/extract/json"), &headers, &json[..]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["event"], "dispatch.completed");
}

#[actix_web::test]
async fn without_payload_config_the_verifiers_limit_applies() {
    // actix's own default PayloadConfig is 256 KiB; the verifier's 1 MiB wins here.
    let seen = Seen::default();
    let addr = start(seen.clone());
    let client = server::client();
    let body: Vec<u8> = (0..300 * 1024).map(|i| (i % 256) as u8).collect();
    let reply = send(
        &client,
        &url(addr, "/extract/bytes"),
        &mittr_signed(&body),
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.body == body);
    let too_big = vec![b'x'; 1024 * 1024 + 1];
    let reply = send(
        &client,
        &url(addr, "/extract/bytes"),
        &mittr_signed(&too_big),
        too_big,
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (413, "body_too_large")
    );
}

#[actix_web::test]
async fn a_scopes_own_verifier_and_its_limit_apply() {
    let seen = Seen::default();
    let addr = start(seen.clone());
    let client = server::client();
    let ok = vec![b'a'; 1000];
    let reply = send(&client, &url(addr, "/limited"), &mittr_signed(&ok), ok).await;
    assert_eq!(reply.status, 200);
    let big = vec![b'a'; 1001];
    let reply = send(
        &client,
        &url(addr, "/limited"),
        &mittr_signed(&big),
        big.clone(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (413, "body_too_large")
    );
    // Chunked, no Content-Length: the limit holds while streaming.
    let head = raw_head(
        "/limited",
        &mittr_signed(&big),
        "Transfer-Encoding: chunked\r\n",
    );
    let (status, text) = raw_exchange(addr, head, chunked(&big, 100), false).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body_too_large"), "{text}");
}

#[actix_web::test]
async fn chunked_and_lying_bodies() {
    let seen = Seen::default();
    let addr = start(seen.clone());
    let body: Vec<u8> = (0..40_000).map(|i| (i % 253) as u8).collect();
    for path in ["/extract/bytes", "/mw/mittr/bytes"] {
        let head = raw_head(path, &mittr_signed(&body), "Transfer-Encoding: chunked\r\n");
        let (status, text) = raw_exchange(addr, head, chunked(&body, 999), false).await;
        assert_eq!(status, 200, "{path}: {text}");
    }
    let hits = seen.hits.load(Ordering::SeqCst);
    let small = b"0123456789abcdefghij".to_vec();
    // Shorter than announced, then half-closed: never completes.
    let head = raw_head(
        "/extract/bytes",
        &mittr_signed(&small),
        "Content-Length: 40\r\n",
    );
    let (status, text) = raw_exchange(addr, head, small.clone(), true).await;
    assert!(status == 400 || status == 0, "{text}");
    // Longer than announced: only the announced bytes count, and they were not signed.
    let head = raw_head(
        "/extract/bytes",
        &mittr_signed(&small),
        "Content-Length: 10\r\n",
    );
    let (status, text) = raw_exchange(addr, head, small, false).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("signature_mismatch"), "{text}");
    assert_eq!(seen.hits.load(Ordering::SeqCst), hits);
}

#[actix_web::test]
async fn ten_mib_bodies_are_rejected_after_reading_at_most_64_kib() {
    let seen = Seen::default();
    // Without actix's lingering close, what the client could write bounds
    // what the server read.
    let addr = start_with(seen.clone(), Some(Duration::ZERO));
    // With it (the default), actix reads and discards the rest for up to a
    // second so the client sees the response: measured, not bounded.
    let lingering = start(seen.clone());
    let body = vec![b'x'; 10 * 1024 * 1024];
    for path in ["/extract/bytes", "/mw/mittr/bytes"] {
        for (what, headers, code) in [
            (
                "stale",
                signed(Scheme::mittr(), MITTR_SECRET, now() - 3600, b""),
                "timestamp_too_old",
            ),
            ("over the limit", mittr_signed(b""), "body_too_large"),
        ] {
            let head = raw_head(
                path,
                &headers,
                &format!("Content-Length: {}\r\n", body.len()),
            );
            let (_, text, written) = raw_exchange_measured(addr, head.clone(), body.clone()).await;
            assert!(text.contains(code), "{path} {what}: {text}");
            println!("{path} {what}: the client could write {written} bytes, an upper bound of what the server read");
            assert!(
                written <= 64 * 1024,
                "{path} {what}: {written} bytes written"
            );

            let (_, text, drained) = raw_exchange_measured(lingering, head, body.clone()).await;
            assert!(text.contains(code), "{path} {what} (lingering): {text}");
            println!("{path} {what}: with actix's lingering close, {drained} bytes were written (read and discarded by actix-http, never by hookwarden)");
        }
    }
    assert_eq!(seen.hits.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn a_thousand_concurrent_mixed_requests() {
    let seen = Seen::default();
    let addr = start(seen.clone());
    let client = server::client();
    let mut tasks = Vec::new();
    for i in 0..1000u32 {
        let client = client.clone();
        let path = if i % 2 == 0 {
            "/extract/bytes"
        } else {
            "/mw/mittr/bytes"
        };
        let target = url(addr, path);
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
            let reply = send(&client, &target, &headers, body.clone()).await;
            assert_eq!(reply.status, expect, "delivery {i}");
            (body, expect == 200)
        }));
    }
    let mut good = 0;
    for task in tasks {
        let (body, ok) = task.await.unwrap();
        let count = seen.bodies.lock().unwrap().get(&body).copied();
        if ok {
            good += 1;
            assert_eq!(count, Some(1), "{}", String::from_utf8_lossy(&body));
        } else {
            assert_eq!(count, None, "{}", String::from_utf8_lossy(&body));
        }
    }
    assert_eq!(good, 500);
    assert_eq!(seen.hits.load(Ordering::SeqCst), 500);
}

#[actix_web::test]
async fn every_vector_through_extractor_and_middleware() {
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
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            let counter = counter.clone();
            let counter2 = counter.clone();
            App::new()
                .app_data(web::Data::new(verifier.clone()))
                .route(
                    "/extract",
                    web::post().to(move |Verified { body, .. }: Verified<web::Bytes>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        async move { body }
                    }),
                )
                .service(
                    web::scope("/mw")
                        .wrap(VerifyWebhookLayer::new(verifier.clone()))
                        .route(
                            "",
                            web::post().to(move |body: web::Bytes| {
                                counter2.fetch_add(1, Ordering::SeqCst);
                                async move { body }
                            }),
                        ),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let body = case.body();
        for path in ["/extract", "/mw"] {
            let reply = send(&client, &url(addr, path), &case.header_map(), body.clone()).await;
            if case.expect == "ok" {
                assert_eq!(reply.status, 200, "{} {path}: {reply:?}", case.name);
                assert!(reply.body == body, "{} {path}", case.name);
            } else {
                let status =
                    if matches!(case.expect.as_str(), "missing_header" | "malformed_header") {
                        400
                    } else {
                        401
                    };
                assert_eq!(reply.status, status, "{} {path}: {reply:?}", case.name);
                assert_eq!(reply.code(), case.expect, "{} {path}", case.name);
            }
        }
        let expected_hits = if case.expect == "ok" { 2 } else { 0 };
        assert_eq!(hits.load(Ordering::SeqCst), expected_hits, "{}", case.name);
        handle.stop(false).await;
    }
}

#[actix_web::test]
async fn rejection_response_carries_the_error() {
    let service = test::init_service(App::new().app_data(web::Data::new(mittr())).route(
        "/hook",
        web::post().to(|Verified { body: b, .. }: Verified<web::Bytes>| async move { b }),
    ))
    .await;
    let req = test::TestRequest::post().uri("/hook").to_request();
    let res = test::call_service(&service, req).await;
    let error = res
        .response()
        .extensions()
        .get::<hookwarden::Error>()
        .cloned();
    assert_eq!(error.map(|e| e.code()), Some("missing_header"));
    let _ = HttpRequest::clone(res.request());
}

/// actix-web's answer for an error is `Error::to_response`, carried over:
/// status, every header, body.
#[actix_web::test]
async fn the_actix_response_is_the_shared_mapping() {
    use actix_web::body::MessageBody;
    use actix_web::ResponseError;
    let errors = [
        hookwarden::Error::InFlight,
        hookwarden::Error::Replayed,
        hookwarden::Error::Overloaded { budget: 1 },
        hookwarden::Error::BodyTooLarge { limit: Some(10) },
        hookwarden::Error::ReplayStoreUnavailable {
            reason: "dial tcp 10.0.0.5:6379".into(),
            source: None,
        },
        hookwarden::Error::NotConfigured,
    ];
    for error in errors {
        let shared = error.to_response();
        let actix = error.error_response();
        assert_eq!(
            actix.status().as_u16(),
            shared.status().as_u16(),
            "{error:?}"
        );
        let actix_headers: HashMap<String, String> = actix
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let shared_headers: HashMap<String, String> = shared
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(actix_headers, shared_headers, "{error:?}");
        assert_eq!(actix.extensions().get::<hookwarden::Error>(), Some(&error));
        let body = actix.into_body().try_into_bytes().unwrap();
        assert_eq!(body, shared.into_body(), "{error:?}");
    }
}
