//! A webhook receiver on axum, protected by `VerifyWebhookLayer`.
//!
//! Contract (other tools rely on it):
//! - listens on `HOOKWARDEN_ADDR` (default `127.0.0.1:3000`);
//! - `POST /webhooks/mittr` verified with `MITTR_SECRET`, `POST /webhooks/mitpo`
//!   verified with `MITPO_SECRET` (defaults printed at start-up);
//! - prints `listening on http://<addr>` once it accepts connections;
//! - answers 2xx for a verified delivery and logs its event type and size;
//! - rejects replays (409) with Redis when `HOOKWARDEN_REDIS_URL` is set, else
//!   with the in-memory store;
//! - on Ctrl-C, stops accepting, lets requests in flight finish (10 s at
//!   most), and releases the replay leases still held.
//!
//! Run with `cargo run --example axum_receiver`.

mod shared;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Rejections are logged as `tracing` events (code, scheme, route).
    tracing_subscriber::fmt().with_target(false).init();
    let (addr, mittr, mitpo) = shared::receiver_config("127.0.0.1:3000")?;
    let app = shared::axum_receiver(mittr.clone(), mitpo.clone());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("replay protection: {}", shared::replay_store_name());
    println!("listening on http://{}", listener.local_addr()?);
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    shared::serve_axum(listener, app, ctrl_c, std::time::Duration::from_secs(10)).await;
    shared::release_in_flight(&[&mittr, &mitpo]).await;
    Ok(())
}
