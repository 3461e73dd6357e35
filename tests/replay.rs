//! Replay protection with the in-memory store, through the core, the tower
//! layer, the axum extractor and the actix middleware and extractor.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpResponse, HttpServer};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use common::server::{self, post as send};
use hookguard::replay::{MemoryStore, ReplayProtection, WhenFull};
use hookguard::tower::VerifyWebhookLayer;
use hookguard::{ConfigError, Scheme, Signer, Verifier};

const SECRET: &str = "whsec_replay_secret";

fn verifier() -> Verifier {
    Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::in_memory())
        .build()
        .unwrap()
}

fn signed(body: &[u8]) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

#[tokio::test]
async fn verify_async_rejects_the_second_copy() {
    let v = verifier();
    let headers = signed(b"{\"id\":1}");
    assert!(v.verify_async(&headers, b"{\"id\":1}").await.is_ok());
    let err = v.verify_async(&headers, b"{\"id\":1}").await.unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("replayed", 409));
    // A forgery is rejected before the store is touched.
    let forged = Signer::new(Scheme::mitpo(), "whsec_other")
        .unwrap()
        .sign_now(b"x")
        .to_header_map();
    assert_eq!(
        v.verify_async(&forged, b"x").await.unwrap_err().code(),
        "signature_mismatch"
    );
    // MITPO's timestamp is unsigned: a fresh timestamp does not make a new delivery.
    let mut later = headers.clone();
    later.insert(
        "x-mitpo-timestamp",
        (hookguard::timestamp::unix_seconds(SystemTime::now()) + 5).into(),
    );
    assert_eq!(
        v.verify_async(&later, b"{\"id\":1}")
            .await
            .unwrap_err()
            .code(),
        "replayed"
    );
}

#[test]
fn ttl_is_checked_at_build_time() {
    let r = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .disable_timestamp_check()
        .replay_protection(ReplayProtection::in_memory())
        .build();
    assert_eq!(r.unwrap_err(), ConfigError::ReplayTtlRequired);
    let r = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::in_memory().ttl(Duration::from_secs(599)))
        .build();
    assert_eq!(
        r.unwrap_err(),
        ConfigError::ReplayTtlTooShort {
            minimum: Duration::from_secs(600)
        }
    );
    let v = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::in_memory().ttl(Duration::from_secs(86_400)))
        .build()
        .unwrap();
    assert!(format!("{v:?}").contains("86400s"));
}

#[tokio::test]
async fn a_full_store_answers_503_and_keeps_its_records() {
    let v = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::new(MemoryStore::new(2)))
        .build()
        .unwrap();
    for i in 0..2 {
        let body = format!("{i}");
        v.verify_async(&signed(body.as_bytes()), body.as_bytes())
            .await
            .unwrap();
    }
    let err = v.verify_async(&signed(b"2"), b"2").await.unwrap_err();
    assert_eq!(
        (err.code(), err.status().as_u16()),
        ("replay_store_full", 503)
    );
    assert_eq!(
        v.verify_async(&signed(b"0"), b"0")
            .await
            .unwrap_err()
            .code(),
        "replayed"
    );

    let evicting = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::new(
            MemoryStore::new(2).when_full(WhenFull::EvictOldest),
        ))
        .build()
        .unwrap();
    for i in 0..5 {
        let body = format!("{i}");
        evicting
            .verify_async(&signed(body.as_bytes()), body.as_bytes())
            .await
            .unwrap();
    }
}

/// A handler whose answer the test chooses per call: 500 the first
/// `failures` times, then 200.
fn flaky_app(verifier: Verifier, failures: usize, calls: Arc<AtomicUsize>) -> Router {
    Router::new().route(
        "/hook",
        post(move |_body: Bytes| {
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        })
        .layer(VerifyWebhookLayer::new(verifier)),
    )
}

#[tokio::test]
async fn layer_rejects_replays_but_lets_a_failed_delivery_be_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let srv = server::serve(flaky_app(verifier(), 1, calls.clone())).await;
    let client = server::client();
    let body = br#"{"event":"dispatch.completed","id":"d_1"}"#;
    let headers = signed(body);
    let url = srv.url("/hook");
    // The handler fails: the record is released, so the provider's retry is processed.
    assert_eq!(send(&client, &url, &headers, &body[..]).await.status, 500);
    assert_eq!(send(&client, &url, &headers, &body[..]).await.status, 200);
    // Now it is committed: a replay is rejected and never reaches the handler.
    let reply = send(&client, &url, &headers, &body[..]).await;
    assert_eq!((reply.status, reply.code().as_str()), (409, "replayed"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_copy_arriving_while_the_first_is_in_flight_is_rejected() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let entered = Arc::new(tokio::sync::Notify::new());
    let (g, e) = (gate.clone(), entered.clone());
    let app = Router::new().route(
        "/hook",
        post(move |_body: Bytes| {
            let (g, e) = (g.clone(), e.clone());
            async move {
                e.notify_one();
                g.notified().await;
                "done"
            }
        })
        .layer(VerifyWebhookLayer::new(verifier())),
    );
    let srv = server::serve(app).await;
    let client = server::client();
    let body = b"{\"id\":\"in-flight\"}";
    let headers = signed(body);
    let url = srv.url("/hook");
    let first = {
        let (client, url, headers) = (client.clone(), url.clone(), headers.clone());
        tokio::spawn(async move { send(&client, &url, &headers, &body[..]).await })
    };
    entered.notified().await;
    let copy = send(&client, &url, &headers, &body[..]).await;
    assert_eq!((copy.status, copy.code().as_str()), (409, "replayed"));
    gate.notify_one();
    assert_eq!(first.await.unwrap().status, 200);
}

#[tokio::test]
async fn axum_extractor_records_at_extraction() {
    use hookguard::axum::Verified;
    let app = Router::new()
        .route(
            "/hook",
            post(|Verified(body, _): Verified<Bytes>| async move { body }),
        )
        .with_state(verifier());
    let srv = server::serve(app).await;
    let client = server::client();
    let headers = signed(b"once");
    assert_eq!(
        send(&client, &srv.url("/hook"), &headers, &b"once"[..])
            .await
            .status,
        200
    );
    let reply = send(&client, &srv.url("/hook"), &headers, &b"once"[..]).await;
    assert_eq!((reply.status, reply.code().as_str()), (409, "replayed"));
}

#[actix_web::test]
async fn actix_middleware_and_extractor_reject_replays() {
    use hookguard::actix::{Verified, VerifyWebhook};
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mw_verifier = verifier();
    let ex_verifier = verifier();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let counter = counter.clone();
        App::new()
            .app_data(web::Data::new(ex_verifier.clone()))
            .route(
                "/extract",
                web::post().to(|Verified(body, _): Verified<web::Bytes>| async move { body }),
            )
            .service(
                web::scope("/mw")
                    .wrap(VerifyWebhook::new(mw_verifier.clone()))
                    .route(
                        "",
                        web::post().to(move |_body: web::Bytes| {
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            async move {
                                if n == 0 {
                                    HttpResponse::InternalServerError().finish()
                                } else {
                                    HttpResponse::Ok().finish()
                                }
                            }
                        }),
                    ),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let client = server::client();
    let headers = signed(b"actix");
    let mw = format!("http://{addr}/mw");
    assert_eq!(
        send(&client, &mw, &headers, &b"actix"[..]).await.status,
        500
    );
    assert_eq!(
        send(&client, &mw, &headers, &b"actix"[..]).await.status,
        200
    );
    let reply = send(&client, &mw, &headers, &b"actix"[..]).await;
    assert_eq!((reply.status, reply.code().as_str()), (409, "replayed"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let ex = format!("http://{addr}/extract");
    assert_eq!(
        send(&client, &ex, &headers, &b"actix"[..]).await.status,
        200
    );
    assert_eq!(
        send(&client, &ex, &headers, &b"actix"[..]).await.status,
        409
    );
}
