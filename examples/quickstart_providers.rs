//! Quickstart: Stripe, GitHub and a provider hookwarden does not ship.
//! `STRIPE_SECRET=… GITHUB_SECRET=… ACME_SECRET=… cargo run --example quickstart_providers`
use axum::{body::Bytes, routing::post, Router};
use hookwarden::scheme::{Algorithm, KeyFormat, Method, Part, Scheme, SignatureFormat};
use hookwarden::{tower::VerifyWebhookLayer, VerifiedDelivery, Verifier};

async fn handle(delivery: VerifiedDelivery, body: Bytes) -> &'static str {
    println!(
        "{}: {} bytes, delivery id {:?}",
        delivery.scheme(),
        body.len(),
        delivery.delivery_id()
    );
    "ok"
}

/// `X-Acme-Signature: t=<unix>;s=<hex>` over `<unix>:<body>`, HMAC-SHA512.
fn acme() -> Result<Scheme, hookwarden::ConfigError> {
    Scheme::builder("acme")
        .signature_header(http::HeaderName::from_static("x-acme-signature"))
        .signature_format(SignatureFormat::labeled(b'=', ";"))
        .method(Method::new("s", Algorithm::HmacSha512, KeyFormat::Raw))
        .timestamp_entry("t")
        .message([Part::Timestamp, Part::literal(&b":"[..]), Part::Body])
        .build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stripe = Verifier::builder(Scheme::stripe())
        .secret(std::env::var("STRIPE_SECRET")?) // the whole `whsec_…` string
        .build()?;
    // GitHub signs no timestamp: replay protection is in memory by default.
    let github = Verifier::builder(Scheme::github())
        .secret(std::env::var("GITHUB_SECRET")?)
        .build()?;
    let acme = Verifier::builder(acme()?)
        .secret(std::env::var("ACME_SECRET")?)
        .build()?;
    let route = |verifier| post(handle).layer(VerifyWebhookLayer::new(verifier));
    let app = Router::new()
        .route("/webhooks/stripe", route(stripe))
        .route("/webhooks/github", route(github))
        .route("/webhooks/acme", route(acme));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
