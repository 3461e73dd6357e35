//! Quickstart: the framework-free core. `cargo run --example quickstart_core`
use std::time::Duration;

use hookwarden::{Scheme, Signer, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Once, at start-up.
    let verifier = Verifier::builder(Scheme::mittr())
        .secret("current-secret") // call again to add more: rotation
        .secret("previous-secret")
        .tolerance(Duration::from_secs(300)) // or past_tolerance / future_tolerance
        .build()?; // ConfigError: no secret, empty secret

    // A delivery as Mittr sends it; your server hands you its headers and raw body.
    let body = br#"{"eventType":"order.created","data":{"id":"ord_1"}}"#;
    let headers = Signer::new(Scheme::mittr(), "previous-secret")?
        .sign_now(body)
        .to_header_map();

    // Per request, the whole body at once...
    match verifier.verify(&headers, body) {
        Ok(delivery) => println!("verified with secret #{}", delivery.secret_index()),
        Err(err) => println!("rejected: {} {}: {err}", err.status(), err.code()),
    }

    // ...or streamed: the headers before a byte of the body, then chunk by chunk.
    let mut pending = verifier.check_headers(&headers)?; // missing / malformed / stale / future
    for chunk in body.chunks(16) {
        pending.update(chunk)?; // body_too_large past the limit
    }
    let delivery = pending.finish()?; // signature_mismatch
    println!("streamed: {} bytes verified", delivery.body_len());
    Ok(())
}
