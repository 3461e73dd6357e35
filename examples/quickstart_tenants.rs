//! Quickstart: secrets per tenant (a platform receiving Stripe webhooks for
//! its customers' accounts). `cargo run --example quickstart_tenants`
use std::collections::HashMap;

use axum::{body::Bytes, routing::post, Router};
use hookwarden::tenant::TenantFrom;
use hookwarden::{tower::VerifyWebhookLayer, Scheme, Secret, VerifiedDelivery, Verifier};

async fn handle(delivery: VerifiedDelivery, body: Bytes) -> &'static str {
    println!("tenant {:?}: {} bytes", delivery.tenant(), body.len());
    "ok"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Any `Fn(&str) -> Result<Option<Vec<Secret>>, SourceError>` works too:
    // an in-memory map that the application refreshes from its database.
    let mut secrets: HashMap<String, Vec<Secret>> = HashMap::new();
    secrets.insert("acme".into(), vec![Secret::from("whsec_acme")]);
    secrets.insert("globex".into(), vec![Secret::from("whsec_globex")]);
    let verifier = Verifier::builder(Scheme::stripe())
        .secret_source(secrets, TenantFrom::path_segment(2)) // /webhooks/stripe/<tenant>
        .build()?;
    let app = Router::new().route(
        "/webhooks/stripe/{tenant}",
        post(handle).layer(VerifyWebhookLayer::new(verifier)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
