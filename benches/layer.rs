//! The tower layer's own cost, without a network: the same signed 1 KiB
//! Mittr request through an axum router, in process, on a current-thread
//! runtime — a bare route that reads the body, the route behind
//! `VerifyWebhookLayer`, and a handler that calls `Verifier::verify`
//! itself (cloning the header map, as an extractor must); and the layer
//! again for a request whose peer address is known (`ConnectInfo`, as a
//! server passes it), which the intake counts in the sender's share of the
//! budget. Interleaved rounds (`benches/interleaved`), ratios to each
//! reference.
//!
//! Run with `cargo bench --bench layer`.

mod interleaved;
mod routes;

use axum::body::Body;
use bytes::Bytes;
use hookwarden::{Scheme, Signer};
use tower::ServiceExt;

const SECRET: &str = "layer-benchmark-secret";

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let app = routes::mittr(SECRET);
    let body = Bytes::from(vec![b'a'; 1024]);
    let signed = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(&body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let peer: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let call_from = |path: &'static str, peer: Option<std::net::SocketAddr>| {
        let (app, body, signed) = (app.clone(), body.clone(), signed.clone());
        let runtime = &runtime;
        move || {
            let mut request = http::Request::post(path)
                .body(Body::from(body.clone()))
                .unwrap();
            signed.apply_to(request.headers_mut());
            if let Some(peer) = peer {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
            }
            let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
            assert!(response.status().is_success());
        }
    };
    let call = |path: &'static str| call_from(path, None);
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
            interleaved::case(
                "/protected, peer known",
                call_from("/protected", Some(peer)),
            ),
        ],
    );
}
