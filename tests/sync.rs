//! What a handler holds is `Sync`, so that it can be passed by reference
//! across an `.await` in a handler whose future must be `Send` (axum's).
//! Compile-time checks: this file does not compile if one is not.

use axum::routing::post;
use axum::{Json, Router};
use hookwarden::extract::Ack;
use hookwarden::intake::Received;
use hookwarden::replay::Lease;
use hookwarden::Verifier;

fn assert_sync<T: Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn what_a_handler_holds_is_send_and_sync() {
    assert_sync::<Ack>();
    assert_sync::<Lease>();
    assert_sync::<Received>();
    assert_sync::<hookwarden::axum::Verified<Json<serde_json::Value>>>();
    assert_sync::<hookwarden::actix::Verified<actix_web::web::Json<serde_json::Value>>>();
    assert_send::<Ack>();
    assert_send::<Lease>();
}

async fn record(verified: &hookwarden::axum::Verified<Json<serde_json::Value>>) -> usize {
    tokio::task::yield_now().await;
    verified.body.0.as_object().map_or(0, |o| o.len())
}

/// The extractor passed by reference to an async helper.
async fn handle(verified: hookwarden::axum::Verified<Json<serde_json::Value>>) -> &'static str {
    record(&verified).await;
    verified.ack.commit().await;
    "ok"
}

#[test]
fn an_axum_handler_may_borrow_the_extractor_across_an_await() {
    let _app: Router<Verifier> = Router::new().route("/", post(handle));
}
