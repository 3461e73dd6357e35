//! A webhook receiver on axum, protected by `VerifyWebhookLayer`.
//!
//! Contract (other tools rely on it):
//! - listens on `HOOKGUARD_ADDR` (default `127.0.0.1:3000`);
//! - `POST /webhooks/mittr` verified with `MITTR_SECRET`, `POST /webhooks/mitpo`
//!   verified with `MITPO_SECRET` (defaults printed at start-up);
//! - prints `listening on http://<addr>` once it accepts connections;
//! - answers 2xx for a verified delivery and logs its event type and size;
//! - rejects replays (409) with Redis when `HOOKGUARD_REDIS_URL` is set, else
//!   with the in-memory store.
//!
//! Run with `cargo run --example axum_receiver`.

mod shared;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Rejections are logged as `tracing` events (code, scheme, route).
    tracing_subscriber::fmt().with_target(false).init();
    let (addr, mittr, mitpo) = shared::receiver_config("127.0.0.1:3000")?;
    let app = shared::axum_receiver(mittr, mitpo);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("replay protection: {}", shared::replay_store_name());
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
