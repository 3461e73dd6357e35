//! A webhook receiver on axum, protected by `VerifyWebhookLayer`.
//!
//! Contract (other tools rely on it):
//! - listens on `HOOKGUARD_ADDR` (default `127.0.0.1:3000`);
//! - `POST /webhooks/mittr` verified with `MITTR_SECRET`, `POST /webhooks/mitpo`
//!   verified with `MITPO_SECRET` (defaults printed at start-up);
//! - prints `listening on http://<addr>` once it accepts connections;
//! - answers 2xx for a verified delivery and logs its event type and size.
//!
//! Run with `cargo run --example axum_receiver --features axum`.

use std::net::SocketAddr;

use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use hookguard::tower::VerifyWebhookLayer;
use hookguard::{Scheme, Verified, Verifier};

const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const DEFAULT_MITTR_SECRET: &str = "mittr-demo-secret";
const DEFAULT_MITPO_SECRET: &str = "whsec_demo_secret_k3y";

fn secret(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        println!("{var} not set; using the demo secret {default:?}");
        default.to_owned()
    })
}

/// The payload's own event field, which the signature covers.
fn signed_event_type(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["event", "eventType", "type"]
        .iter()
        .find_map(|k| value.get(k)?.as_str().map(str::to_owned))
}

async fn receive(verified: Verified, body: Bytes) -> Json<serde_json::Value> {
    let event = signed_event_type(&body);
    println!(
        "verified {} delivery: event {} ({} bytes, secret #{}, unsigned header event {:?})",
        verified.scheme(),
        event.as_deref().unwrap_or("-"),
        body.len(),
        verified.secret_index(),
        verified.unsigned_event_type(),
    );
    Json(serde_json::json!({ "ok": true, "event": event, "bytes": body.len() }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("HOOKGUARD_ADDR")
        .unwrap_or_else(|_| DEFAULT_ADDR.to_owned())
        .parse()?;
    let mittr = Verifier::builder(Scheme::mittr())
        .secret(secret("MITTR_SECRET", DEFAULT_MITTR_SECRET))
        .build()?;
    let mitpo = Verifier::builder(Scheme::mitpo())
        .secret(secret("MITPO_SECRET", DEFAULT_MITPO_SECRET))
        .build()?;

    let app = Router::new()
        .route(
            "/webhooks/mittr",
            post(receive).layer(VerifyWebhookLayer::new(mittr)),
        )
        .route(
            "/webhooks/mitpo",
            post(receive).layer(VerifyWebhookLayer::new(mitpo)),
        );

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
