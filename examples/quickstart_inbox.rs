//! Quickstart: Stripe events processed once, recorded in the handler's own transaction.
//! `DATABASE_URL=postgres://… STRIPE_SECRET=whsec_… cargo run --example quickstart_inbox`
use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};
use hookwarden::replay::{postgres, PostgresStore, ReplayProtection};
use hookwarden::{tower::VerifyWebhookLayer, Scheme, VerifiedDelivery, Verifier};
use sqlx::PgPool;

async fn handle(State(db): State<PgPool>, delivery: VerifiedDelivery, body: Bytes) -> StatusCode {
    let processed = async {
        let mut tx = db.begin().await?;
        sqlx::query("INSERT INTO stripe_events (payload) VALUES ($1)")
            .bind(&body[..])
            .execute(&mut *tx)
            .await?;
        // Fenced by the delivery's lease: commits with the INSERT, or not at all.
        postgres::record(&mut tx, delivery.fence()).await?;
        tx.commit().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match processed.await {
        Ok(()) => StatusCode::OK,
        // Rolled back: the provider's retry is processed (or refused if another replica did it).
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    let store = PostgresStore::new(db.clone());
    store.migrate().await?; // the table and functions hookwarden uses
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS stripe_events (payload bytea NOT NULL)")
        .execute(&db)
        .await?;
    // Stripe's preset keys replays on the event's `id`: a re-signed retry is refused too.
    let stripe = Verifier::builder(Scheme::stripe())
        .secret(std::env::var("STRIPE_SECRET")?)
        .replay_protection(ReplayProtection::new(store))
        .build()?;
    let app = Router::new()
        .route(
            "/webhooks/stripe",
            post(handle).layer(VerifyWebhookLayer::new(stripe)),
        )
        .with_state(db);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
