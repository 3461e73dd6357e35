//! A webhook receiver on actix-web, protected by the `VerifyWebhookLayer` middleware.
//!
//! Contract (other tools rely on it):
//! - listens on `HOOKWARDEN_ADDR` (default `127.0.0.1:3001`);
//! - `POST /webhooks/mittr` verified with `MITTR_SECRET`, `POST /webhooks/mitpo`
//!   verified with `MITPO_SECRET` (defaults printed at start-up);
//! - prints `listening on http://<addr>` once it accepts connections;
//! - answers 2xx for a verified delivery and logs its event type and size;
//! - rejects replays (409) with Redis when `HOOKWARDEN_REDIS_URL` is set, else
//!   with the in-memory store;
//! - on Ctrl-C, stops accepting, lets requests in flight finish
//!   (10 s at most), and releases the replay leases still held.
//!
//! Run with `cargo run --example actix_receiver`.

mod shared;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Rejections are logged as `tracing` events (code, scheme, route).
    tracing_subscriber::fmt().with_target(false).init();
    let (addr, mittr, mitpo) = shared::receiver_config("127.0.0.1:3001")?;
    let listener = std::net::TcpListener::bind(addr)?;
    println!("replay protection: {}", shared::replay_store_name());
    println!("listening on http://{}", listener.local_addr()?);
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    shared::serve_actix(
        listener,
        (mittr, mitpo),
        ctrl_c,
        shared::ServeLimits::default(),
    )
    .await?;
    Ok(())
}
