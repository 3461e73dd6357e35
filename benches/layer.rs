//! The tower layer's own cost, without a network: the same signed 1 KiB
//! Mittr request through an axum router, in process, on a current-thread
//! runtime — a bare route that reads the body, the route behind
//! `VerifyWebhookLayer`, and a handler that calls `Verifier::verify`
//! itself (cloning the header map, as an extractor must). Interleaved
//! rounds (`benches/interleaved`), ratios to each reference.
//!
//! Run with `cargo bench --bench layer`.

mod interleaved;

use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookguard::tower::VerifyWebhookLayer;
use hookguard::{Scheme, Signer, Verifier};
use tower::ServiceExt;

const SECRET: &str = "layer-benchmark-secret";

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .tolerance(Duration::from_secs(3600))
        .build()
        .unwrap();
    let in_handler = verifier.clone();
    let app = Router::new()
        .route(
            "/bare",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/protected",
            post(|body: Bytes| async move { body.len().to_string() })
                .layer(VerifyWebhookLayer::new(verifier)),
        )
        .route(
            "/handler",
            post(move |headers: http::HeaderMap, body: Bytes| async move {
                in_handler
                    .verify(&headers, &body)
                    .map(|_| body.len().to_string())
            }),
        );
    let body = Bytes::from(vec![b'a'; 1024]);
    let signed = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(&body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = |path: &'static str| {
        let (app, body, signed) = (app.clone(), body.clone(), signed.clone());
        let runtime = &runtime;
        move || {
            let mut request = http::Request::post(path)
                .body(Body::from(body.clone()))
                .unwrap();
            signed.apply_to(request.headers_mut());
            let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
            assert!(response.status().is_success());
        }
    };
    if let Ok(path) = std::env::var("LAYER_ONLY") {
        let path: &'static str = Box::leak(path.into_boxed_str());
        let run = call(path);
        let iters: usize = std::env::var("LAYER_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2_000_000);
        for _ in 0..iters {
            run();
        }
        return;
    }
    interleaved::compare(
        "axum, in process, 1 KiB Mittr",
        15,
        20_000,
        &mut [
            interleaved::case("/bare", call("/bare")),
            interleaved::case("/protected", call("/protected")),
            interleaved::case("/handler", call("/handler")),
        ],
    );
}
