//! Quickstart: axum. `MITTR_SECRET=… MITPO_SECRET=… cargo run --example quickstart_axum`
use axum::{body::Bytes, routing::post, Router};
use hookwarden::{tower::VerifyWebhookLayer, Scheme, VerifiedDelivery, Verifier};

async fn handle(delivery: VerifiedDelivery, body: Bytes) -> &'static str {
    // `body` is exactly the bytes that were signed; `delivery` says how.
    println!("{} bytes, secret #{}", body.len(), delivery.secret_index());
    "ok"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mittr = Verifier::builder(Scheme::mittr())
        .secret(std::env::var("MITTR_SECRET")?)
        .build()?;
    let mitpo = Verifier::builder(Scheme::mitpo()) // replay protection: in memory by default
        .secret(std::env::var("MITPO_SECRET")?)
        .build()?;
    let app = Router::new()
        .route(
            "/webhooks/mittr",
            post(handle).layer(VerifyWebhookLayer::new(mittr)),
        )
        .route(
            "/webhooks/mitpo",
            post(handle).layer(VerifyWebhookLayer::new(mitpo)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
