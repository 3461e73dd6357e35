//! Load benchmark on loopback: the same signed 1 KiB Mittr request against a
//! bare axum route that only reads the body, a route protected by
//! `VerifyWebhookLayer`, and (for reference) a handler that calls
//! `Verifier::verify` itself. The server runs on a single-threaded runtime so
//! that it, not the load client (`wrk`, on the other core), is the
//! bottleneck. Five alternating rounds; prints medians and the medians of
//! the per-round ratios.
//!
//! Run with `cargo bench --bench load` (needs `wrk`: `apt-get install -y wrk`).

mod routes;
mod wrk;

use hookwarden::{Scheme, Signer};

const SECRET: &str = "load-benchmark-secret";

fn main() {
    if !wrk::available() {
        return;
    }
    let app = routes::mittr(SECRET);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });

    let body = wrk::body_1k();
    let signed = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(body.as_bytes());
    wrk::compare(
        addr,
        &["/bare", "/protected", "/handler"],
        &["/bare", "/handler"],
        &body,
        &signed,
        "goal for /protected: >= 1.00x /handler and >= 0.85x /bare throughput, <= 1.2x /bare p99",
    );
}
