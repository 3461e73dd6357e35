//! Quickstart: actix-web. `MITTR_SECRET=… MITPO_SECRET=… cargo run --example quickstart_actix`
use actix_web::{web, App, HttpServer};
use hookwarden::actix::{Verified, VerifyWebhookLayer};
use hookwarden::{Scheme, Verifier};

// The extractor verifies with the `Verifier` in app data.
async fn mittr(
    Verified {
        body,
        delivery,
        ack,
    }: Verified<web::Bytes>,
) -> String {
    let reply = format!("{} bytes, secret #{}", body.len(), delivery.secret_index());
    ack.commit().await; // processed (with replay protection: copies now get 409)
    reply
}

// Behind the middleware, plain extractors get the verified bytes.
async fn mitpo(body: web::Bytes) -> String {
    format!("{} bytes", body.len())
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mittr_verifier = Verifier::builder(Scheme::mittr())
        .secret(std::env::var("MITTR_SECRET")?)
        .build()?;
    let mitpo_verifier = Verifier::builder(Scheme::mitpo()) // replay protection: in memory by default
        .secret(std::env::var("MITPO_SECRET")?)
        .build()?;
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(mittr_verifier.clone()))
            .route("/webhooks/mittr", web::post().to(mittr))
            .service(
                web::scope("/webhooks/mitpo")
                    .wrap(VerifyWebhookLayer::new(mitpo_verifier.clone()))
                    // downstream `web::Bytes` reads the verified bytes: admit what the verifier does
                    .app_data(web::PayloadConfig::new(mitpo_verifier.body_limit() as usize))
                    .route("", web::post().to(mitpo)),
            )
    })
    .bind("127.0.0.1:3000")?
    .run()
    .await?;
    Ok(())
}
