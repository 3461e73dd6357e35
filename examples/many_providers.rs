//! One axum app receiving four providers on four routes, each behind its
//! own `VerifyWebhookLayer`: Mittr, MITPO, Stripe and GitHub.
//!
//! - `POST /webhooks/mittr`  — `MITTR_SECRET`
//! - `POST /webhooks/mitpo`  — `MITPO_SECRET` (`whsec_…`)
//! - `POST /webhooks/stripe` — `STRIPE_SECRET` (`whsec_…`)
//! - `POST /webhooks/github` — `GITHUB_SECRET`
//!
//! Each route has its own in-memory replay protection; GitHub signs no
//! timestamp, so its replay records need an explicit TTL (72 h here: GitHub
//! lets a delivery be redelivered by hand for three days).
//!
//! `cargo run --example many_providers` serves on `HOOKWARDEN_ADDR` (default
//! `127.0.0.1:3000`) with the example receivers' connection limits (header
//! timeout, connection cap) and, on Ctrl-C, releases the replay leases still
//! held; with `-- --check` it serves on a free port, sends each route a
//! signed delivery, a replay of it and a forged copy, prints what it got and
//! exits non-zero if anything differs from what is expected.

mod shared;

use std::time::{Duration, SystemTime};

use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::replay::ReplayProtection;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, VerifiedDelivery, Verifier};

/// A route: its path, the preset, the secret's variable and its default.
type Route = (&'static str, fn() -> Scheme, &'static str, &'static str);

/// The four routes.
const ROUTES: [Route; 4] = [
    (
        "/webhooks/mittr",
        Scheme::mittr,
        "MITTR_SECRET",
        "mittr-example-secret",
    ),
    (
        "/webhooks/mitpo",
        Scheme::mitpo,
        "MITPO_SECRET",
        "whsec_mitpo_example",
    ),
    (
        "/webhooks/stripe",
        Scheme::stripe,
        "STRIPE_SECRET",
        "whsec_stripe_example",
    ),
    (
        "/webhooks/github",
        Scheme::github,
        "GITHUB_SECRET",
        "github-example-secret",
    ),
];

fn secret(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        println!("{variable} not set: using {default:?}");
        default.to_owned()
    })
}

fn verifier(scheme: Scheme, secret: &str) -> Result<Verifier, hookwarden::ConfigError> {
    let mut replay = ReplayProtection::in_memory();
    if scheme.timestamp_source().is_none() {
        replay = replay.record_ttl(Duration::from_secs(72 * 3600));
    }
    Verifier::builder(scheme)
        .secret(secret)
        .replay_protection(replay)
        .build()
}

/// Runs only for verified deliveries: the bytes are the ones verified.
async fn receive(delivery: VerifiedDelivery, body: Bytes) -> &'static str {
    println!(
        "{}: {} bytes verified, event {:?} (unsigned), delivery id {:?}",
        delivery.scheme(),
        body.len(),
        delivery.unsigned_event_type(),
        delivery.delivery_id(),
    );
    "ok"
}

fn app(verifiers: &[(&'static str, Verifier)]) -> Router {
    verifiers
        .iter()
        .fold(Router::new(), |app, (path, verifier)| {
            app.route(
                path,
                post(receive).layer(VerifyWebhookLayer::new(verifier.clone())),
            )
        })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let mut verifiers = Vec::new();
    let mut signers = Vec::new();
    for (path, scheme, variable, default) in ROUTES {
        let secret = secret(variable, default);
        verifiers.push((path, verifier(scheme(), &secret)?));
        signers.push((path, Signer::new(scheme(), secret)?));
    }
    let addr = match check {
        true => "127.0.0.1:0".to_owned(),
        false => std::env::var("HOOKWARDEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    let app = app(&verifiers);
    if !check {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        shared::serve_axum(listener, app, ctrl_c, Duration::from_secs(10)).await;
        let held: Vec<&Verifier> = verifiers.iter().map(|(_, v)| v).collect();
        shared::release_in_flight(&held).await;
        return Ok(());
    }
    let forever = std::future::pending::<()>();
    tokio::spawn(shared::serve_axum(listener, app, forever, Duration::ZERO));
    let failures = self_check(local, &signers).await;
    println!("{failures} failed");
    std::process::exit(i32::from(failures > 0));
}

/// Sends each route a signed delivery (200), the same again (409
/// `replayed`) and a forged copy (401 `signature_mismatch`).
async fn self_check(addr: std::net::SocketAddr, signers: &[(&str, Signer)]) -> usize {
    let now = hookwarden::time::unix_seconds(SystemTime::now());
    let mut failures = 0;
    for (path, signer) in signers {
        let body = format!(r#"{{"event":"example.sent","id":"{path}"}}"#).into_bytes();
        let headers = signer.sign(now, &body).to_header_map();
        let mut forged = body.clone();
        forged.push(b' ');
        let url = format!("http://{addr}{path}");
        for (what, sent, expected) in [
            ("signed", &body, 200),
            ("replayed", &body, 409),
            ("forged", &forged, 401),
        ] {
            let status = send(&url, &headers, sent).await;
            let verdict = if status == expected { "ok" } else { "FAILED" };
            failures += usize::from(status != expected);
            println!("{path:<18} {what:<9} {status} (expected {expected}) {verdict}");
        }
    }
    failures
}

async fn send(url: &str, headers: &http::HeaderMap, body: &[u8]) -> u16 {
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = http::Request::post(url)
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("a valid request");
    request.headers_mut().extend(headers.clone());
    match client.request(request).await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}
