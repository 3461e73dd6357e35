//! The three axum routes the layer and load benchmarks compare, on one
//! Mittr verifier: `/bare` reads the body, `/protected` does the same behind
//! `VerifyWebhookLayer`, `/handler` calls `Verifier::verify` itself
//! (cloning the header map, as an extractor must). The benchmarks send one
//! signed request again and again, so the verifier opts out of replay
//! protection explicitly (on by default, it would answer every copy after
//! the first 409 `replayed`).

use std::time::Duration;

use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Verifier};

/// The three routes, verifying Mittr deliveries signed with `secret`
/// (an hour of tolerance, so that a long run's signatures stay fresh).
pub fn mittr(secret: &str) -> Router {
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(secret)
        .tolerance(Duration::from_secs(3600))
        .without_replay_protection() // one request, repeated
        .build()
        .unwrap();
    let in_handler = verifier.clone();
    Router::new()
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
        )
}
