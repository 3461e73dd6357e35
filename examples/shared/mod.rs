//! Code shared by the examples (not an example itself).
#![allow(dead_code)]

mod serve;

#[allow(unused_imports)] // each example uses some
pub use serve::{serve_actix, serve_axum, serve_axum_with, ServeLimits, ACCEPT_ERROR_BACKOFF};

use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use hookwarden::replay::ReplayProtection;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, VerifiedDelivery, Verifier};

pub const DEFAULT_MITTR_SECRET: &str = "mittr-demo-secret";
pub const DEFAULT_MITPO_SECRET: &str = "whsec_demo_secret_k3y";

/// The payload's own event field, which the signature covers.
pub fn signed_event_type(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["event", "eventType", "type"]
        .iter()
        .find_map(|k| value.get(k)?.as_str().map(str::to_owned))
}

async fn receive(verified: VerifiedDelivery, body: Bytes) -> Json<serde_json::Value> {
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

/// The axum receiver: `POST /webhooks/mittr` and `POST /webhooks/mitpo`,
/// each behind `VerifyWebhookLayer` with its own verifier.
pub fn axum_receiver(mittr: Verifier, mitpo: Verifier) -> Router {
    Router::new()
        .route(
            "/webhooks/mittr",
            post(receive).layer(VerifyWebhookLayer::new(mittr)),
        )
        .route(
            "/webhooks/mitpo",
            post(receive).layer(VerifyWebhookLayer::new(mitpo)),
        )
}

/// Releases the replay leases still held (deliveries whose handlers did not
/// finish before the shutdown), so that the providers' retries are
/// processed by the replicas that remain.
pub async fn release_in_flight(verifiers: &[&Verifier]) {
    for verifier in verifiers {
        if let Some(replay) = verifier.replay_protection() {
            replay.release_in_flight().await;
        }
    }
}

/// A secret from the environment, or the demo default (said on start-up).
fn secret_from_env(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        println!("{var} not set; using the demo secret {default:?}");
        default.to_owned()
    })
}

/// The receivers' contract: the address from `HOOKWARDEN_ADDR` (else
/// `default_addr`), the verifiers from `MITTR_SECRET` and `MITPO_SECRET`
/// (else the demo secrets).
pub fn receiver_config(
    default_addr: &str,
) -> Result<(std::net::SocketAddr, Verifier, Verifier), Box<dyn std::error::Error>> {
    let addr = std::env::var("HOOKWARDEN_ADDR")
        .unwrap_or_else(|_| default_addr.to_owned())
        .parse()?;
    let (mittr, mitpo) = verifiers(
        &[secret_from_env("MITTR_SECRET", DEFAULT_MITTR_SECRET)],
        &[secret_from_env("MITPO_SECRET", DEFAULT_MITPO_SECRET)],
    )?;
    Ok((addr, mittr, mitpo))
}

/// Replay protection: Redis when `HOOKWARDEN_REDIS_URL` is set (shared by
/// every replica), else an in-memory store of `capacity` records.
pub fn replay_protection(capacity: usize) -> ReplayProtection {
    match std::env::var("HOOKWARDEN_REDIS_URL") {
        Ok(url) => match hookwarden::replay::RedisStore::new(&url) {
            Ok(store) => ReplayProtection::new(store),
            Err(e) => panic!("HOOKWARDEN_REDIS_URL is not a Redis URL: {e}"),
        },
        Err(_) => ReplayProtection::new(hookwarden::replay::MemoryStore::new(capacity)),
    }
}

/// The in-memory stores' sizes. A record lives for the record TTL, so a
/// store fills at `capacity / TTL` deliveries per second sustained, and
/// then answers 503 `replay_store_full` until records expire: size it as
/// capacity ≥ peak sustained rate × TTL. Each record takes at most
/// `MEMORY_BYTES_PER_ENTRY` (150) bytes, and only once written.
///
/// Mittr: records live for the tolerance window (600 s): 100,000 records
/// take 166 deliveries/s (15 MB when full).
pub const MITTR_CAPACITY: usize = 100_000;
/// MITPO: records live a day (below): 1,000,000 records take 11
/// deliveries/s sustained, a million a day (150 MB when full). More than
/// that, or several replicas: Redis (`HOOKWARDEN_REDIS_URL`).
pub const MITPO_CAPACITY: usize = 1_000_000;
/// How long MITPO records live: its timestamp is unsigned, so a record
/// shorter than the provider's retention would let an old body be replayed
/// with a fresh timestamp.
pub const MITPO_RECORD_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Which replay store [`replay_protection`] picks, for the start-up banner.
pub fn replay_store_name() -> &'static str {
    if std::env::var_os("HOOKWARDEN_REDIS_URL").is_some() {
        "Redis (HOOKWARDEN_REDIS_URL)"
    } else {
        "in memory"
    }
}

/// Verifiers for the receivers from secrets (rotation: several per scheme),
/// each with its own replay protection, sized as explained at
/// [`MITTR_CAPACITY`] and [`MITPO_CAPACITY`].
pub fn verifiers(
    mittr: &[String],
    mitpo: &[String],
) -> Result<(Verifier, Verifier), hookwarden::ConfigError> {
    Ok((
        Verifier::builder(Scheme::mittr())
            .secrets(mittr.iter())
            .replay_protection(replay_protection(MITTR_CAPACITY))
            .build()?,
        Verifier::builder(Scheme::mitpo())
            .secrets(mitpo.iter())
            .replay_protection(replay_protection(MITPO_CAPACITY).record_ttl(MITPO_RECORD_TTL))
            .build()?,
    ))
}

/// The actix-web receiver: `POST /webhooks/mittr` and `POST /webhooks/mitpo`,
/// each scope wrapped in the `VerifyWebhookLayer` middleware with its own verifier.
pub fn actix_receiver(
    mittr: Verifier,
    mitpo: Verifier,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use actix_web::{web, App, HttpResponse};
    use hookwarden::actix::VerifyWebhookLayer;

    async fn receive(verified: VerifiedDelivery, body: web::Bytes) -> HttpResponse {
        let event = signed_event_type(&body);
        println!(
            "verified {} delivery (actix): event {} ({} bytes, secret #{})",
            verified.scheme(),
            event.as_deref().unwrap_or("-"),
            body.len(),
            verified.secret_index(),
        );
        HttpResponse::Ok()
            .json(serde_json::json!({ "ok": true, "event": event, "bytes": body.len() }))
    }

    // The handler reads the verified bytes with actix's own `web::Bytes`,
    // whose `PayloadConfig` (256 KiB by default) must admit every body the
    // verifier admits.
    let limit = |v: &Verifier| web::PayloadConfig::new(v.body_limit() as usize);
    App::new()
        .service(
            web::scope("/webhooks/mittr")
                .app_data(limit(&mittr))
                .wrap(VerifyWebhookLayer::new(mittr))
                .route("", web::post().to(receive)),
        )
        .service(
            web::scope("/webhooks/mitpo")
                .app_data(limit(&mitpo))
                .wrap(VerifyWebhookLayer::new(mitpo))
                .route("", web::post().to(receive)),
        )
}
