//! One policy for compressed bodies, in every adapter, with actix-web's
//! compression features on (as in an app with its default features):
//! hookwarden verifies and hands over the bytes exactly as sent and never
//! decodes them; a body with a `Content-Encoding` other than `identity` is
//! refused with 415 `unsupported_content_encoding` before it is read.
//!
//! Real servers on 127.0.0.1 (the tower layer and the axum extractor on
//! hyper, the actix-web middleware and extractor on actix-web) and a real
//! client; the bodies are really gzip-compressed.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use common::server::{self, Reply};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "encoding-secret";
const EVENT: &[u8] = br#"{"event":"dispatch.completed","data":{"dispatch_id":"dsp_1"}}"#;

/// Without replay protection: these tests send one signed delivery to
/// every route (and several times to one), on purpose.
fn verifier() -> Verifier {
    Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .without_replay_protection()
        .build()
        .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Headers signed over `signed`, with `Content-Encoding: encoding`.
fn headers(signed: &[u8], encoding: &str) -> http::HeaderMap {
    let mut headers = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(signed)
        .to_header_map();
    headers.insert("content-encoding", encoding.parse().unwrap());
    headers.insert("content-type", "application/json".parse().unwrap());
    headers
}

/// Every handler behind hookwarden, by route; each counts its calls and
/// echoes what it was handed (the bytes, or the JSON it parsed).
const BYTE_ROUTES: [&str; 6] = [
    "/axum/layer",
    "/axum/extractor",
    "/actix/middleware",
    "/actix/extractor",
    "/actix/extractor-with-payload-config",
    "/actix/extractor-string",
];
const JSON_ROUTES: [&str; 5] = [
    "/axum/layer-json",
    "/axum/extractor-json",
    "/actix/middleware-json",
    "/actix/extractor-json",
    "/actix/extractor-json-with-payload-config",
];

struct Receivers {
    axum: SocketAddr,
    actix: SocketAddr,
    calls: Arc<AtomicUsize>,
    _stop: actix_web::dev::ServerHandle,
}

impl Receivers {
    fn url(&self, route: &str) -> String {
        let addr = if route.starts_with("/axum") {
            self.axum
        } else {
            self.actix
        };
        format!("http://{addr}{route}")
    }
}

async fn start() -> Receivers {
    let calls = Arc::new(AtomicUsize::new(0));
    let axum = server::serve(axum_app(calls.clone())).await.addr;
    let (actix, stop) = start_actix(calls.clone());
    Receivers {
        axum,
        actix,
        calls,
        _stop: stop,
    }
}

fn axum_app(calls: Arc<AtomicUsize>) -> Router {
    use hookwarden::axum::Verified;
    let count = move || {
        calls.fetch_add(1, Ordering::SeqCst);
    };
    let (c1, c2, c3, c4) = (count.clone(), count.clone(), count.clone(), count);
    let layer = || VerifyWebhookLayer::new(verifier());
    Router::new()
        .route(
            "/axum/layer",
            post(move |body: Bytes| async move {
                c1();
                body
            })
            .layer(layer()),
        )
        .route(
            "/axum/layer-json",
            post(move |Json(value): Json<serde_json::Value>| async move {
                c2();
                Json(value)
            })
            .layer(layer()),
        )
        .route(
            "/axum/extractor",
            post(
                move |Verified { body, ack, .. }: Verified<Bytes>| async move {
                    c3();
                    ack.commit().await;
                    body
                },
            ),
        )
        .route(
            "/axum/extractor-json",
            post(
                move |Verified { body, ack, .. }: Verified<Json<serde_json::Value>>| async move {
                    c4();
                    ack.commit().await;
                    body
                },
            ),
        )
        .with_state(verifier())
}

fn start_actix(calls: Arc<AtomicUsize>) -> (SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::{web, App, HttpServer};
    use hookwarden::actix::{Verified, VerifyWebhookLayer};

    type Calls = web::Data<AtomicUsize>;
    async fn bytes(calls: Calls, body: web::Bytes) -> web::Bytes {
        calls.fetch_add(1, Ordering::SeqCst);
        body
    }
    async fn json(
        calls: Calls,
        body: web::Json<serde_json::Value>,
    ) -> web::Json<serde_json::Value> {
        calls.fetch_add(1, Ordering::SeqCst);
        body
    }
    async fn verified_bytes(calls: Calls, verified: Verified<web::Bytes>) -> web::Bytes {
        calls.fetch_add(1, Ordering::SeqCst);
        verified.ack.commit().await;
        verified.body
    }
    async fn verified_string(calls: Calls, verified: Verified<String>) -> web::Bytes {
        calls.fetch_add(1, Ordering::SeqCst);
        verified.ack.commit().await;
        web::Bytes::from(verified.body.into_bytes())
    }
    async fn verified_json(
        calls: Calls,
        verified: Verified<web::Json<serde_json::Value>>,
    ) -> web::Json<serde_json::Value> {
        calls.fetch_add(1, Ordering::SeqCst);
        verified.ack.commit().await;
        verified.body
    }

    let calls = web::Data::from(calls);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let config = || web::PayloadConfig::new(1 << 20);
                App::new()
                    .app_data(calls.clone())
                    .app_data(web::Data::new(verifier()))
                    .service(
                        web::scope("/actix/middleware")
                            .app_data(config())
                            .wrap(VerifyWebhookLayer::new(verifier()))
                            .route("", web::post().to(bytes)),
                    )
                    .service(
                        web::scope("/actix/middleware-json")
                            .wrap(VerifyWebhookLayer::new(verifier()))
                            .route("", web::post().to(json)),
                    )
                    .route("/actix/extractor", web::post().to(verified_bytes))
                    .service(
                        web::scope("/actix/extractor-with-payload-config")
                            .app_data(config())
                            .route("", web::post().to(verified_bytes)),
                    )
                    .service(
                        web::scope("/actix/extractor-string")
                            .app_data(config())
                            .route("", web::post().to(verified_string)),
                    )
                    .route("/actix/extractor-json", web::post().to(verified_json))
                    .service(
                        web::scope("/actix/extractor-json-with-payload-config")
                            .app_data(config())
                            .route("", web::post().to(verified_json)),
                    )
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        });
    });
    (addr, rx.recv().unwrap())
}

fn assert_refused(reply: &Reply, route: &str) {
    assert_eq!(reply.status, 415, "{route}: {reply:?}");
    assert_eq!(reply.headers["content-type"], "application/json", "{route}");
    assert_eq!(reply.code(), "unsupported_content_encoding", "{route}");
}

#[tokio::test]
async fn gzip_encoded_deliveries_are_refused_with_415_by_every_adapter() {
    let receivers = start().await;
    let client = server::client();
    let compressed = gzip(EVENT);
    for route in BYTE_ROUTES.iter().chain(&JSON_ROUTES) {
        // Signed over the bytes on the wire, as a provider compressing its
        // deliveries would sign them, and signed before compression.
        for signed in [&compressed[..], EVENT] {
            let url = receivers.url(route);
            let reply =
                server::post(&client, &url, &headers(signed, "gzip"), compressed.clone()).await;
            assert_refused(&reply, route);
        }
    }
    assert_eq!(receivers.calls.load(Ordering::SeqCst), 0, "no handler ran");
}

#[tokio::test]
async fn every_handler_gets_exactly_the_verified_bytes_never_decoded() {
    let receivers = start().await;
    let client = server::client();
    // Bytes that are a gzip stream, sent and signed as they are: whatever
    // they look like, what is verified is what the handler gets.
    let looks_compressed = gzip(b"not to be decoded");
    let text = EVENT.to_vec();
    for route in BYTE_ROUTES {
        let body = if route.ends_with("string") {
            &text
        } else {
            &looks_compressed
        };
        for encoding in ["identity", "Identity"] {
            let reply = server::post(
                &client,
                &receivers.url(route),
                &headers(body, encoding),
                body.clone(),
            )
            .await;
            assert_eq!(reply.status, 200, "{route}: {reply:?}");
            assert!(
                reply.body == body[..],
                "{route}: the handler got other bytes"
            );
        }
        let mut unencoded = headers(body, "identity");
        unencoded.remove("content-encoding");
        let reply = server::post(&client, &receivers.url(route), &unencoded, body.clone()).await;
        assert!(
            reply.body == body[..],
            "{route}: the handler got other bytes"
        );
    }
    assert_eq!(
        receivers.calls.load(Ordering::SeqCst),
        3 * BYTE_ROUTES.len()
    );
}

#[tokio::test]
async fn json_extractors_parse_the_verified_bytes() {
    let receivers = start().await;
    let client = server::client();
    for route in JSON_ROUTES {
        let reply = server::post(
            &client,
            &receivers.url(route),
            &headers(EVENT, "identity"),
            EVENT,
        )
        .await;
        assert_eq!(reply.status, 200, "{route}: {reply:?}");
        assert_eq!(reply.json()["data"]["dispatch_id"], "dsp_1", "{route}");
    }
    assert_eq!(receivers.calls.load(Ordering::SeqCst), JSON_ROUTES.len());
}
