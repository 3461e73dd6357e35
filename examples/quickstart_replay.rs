//! Quickstart: MITPO with replay protection and typed events.
//! `MITPO_SECRET=… [REDIS_URL=redis://127.0.0.1/] cargo run --example quickstart_replay`
use std::time::Duration;

use axum::{http::StatusCode, routing::post, Json, Router};
use hookwarden::axum::Verified;
use hookwarden::mitpo::{Data, Event};
use hookwarden::replay::{RedisStore, ReplayProtection};
use hookwarden::{Scheme, Verifier};

async fn handle(verified: Verified<Json<Event>>) -> StatusCode {
    let Json(event) = verified.body;
    match &event.data {
        Data::DispatchCompleted(dispatch) => println!("{} completed", dispatch.dispatch_id),
        other => println!("{} at {}", other.event_type(), event.timestamp),
    }
    // Return early on a failure: the ack, dropped, lets the provider's retry through.
    verified.ack.commit().await; // processed: a replay now gets 409 `replayed`
    StatusCode::OK
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One replica: a MITPO verifier refuses replays by default, in memory.
    // Several replicas behind a load balancer: share one Redis.
    let replay = match std::env::var("REDIS_URL") {
        Ok(url) => ReplayProtection::new(RedisStore::new(&url)?),
        Err(_) => ReplayProtection::in_memory(),
    };
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(std::env::var("MITPO_SECRET")?)
        // MITPO does not sign its timestamp: a record, kept this long, is what refuses a replay.
        .replay_protection(replay.record_ttl(Duration::from_secs(24 * 3600)))
        .build()?;
    let app = Router::new()
        .route("/webhooks/mitpo", post(handle))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
