//! Your own axum state with `Verified<T>`, served with a header-read timeout
//! and a connection cap.
//!
//! `Verified<T>` takes its [`Verifier`] from the router's state through
//! `FromRef`: with a state of your own, say how to get the verifier out of
//! it (`impl FromRef<AppState> for Verifier`); without that impl, axum
//! answers with E0277 ("the trait bound `Verifier: FromRef<AppState>` is not
//! satisfied").
//!
//! `axum::serve` has no header-read timeout: a connection that never
//! finishes its headers holds a socket for ever, before any request (and so
//! hookwarden) exists. `serve` (in `serve.rs`) is the same hyper server with a deadline for
//! the headers and a cap on connections served at once.
//!
//! `MITPO_SECRET=whsec_… cargo run --example axum_state` serves on
//! 127.0.0.1:3000; `--check` serves on a free port, sends a delivery, its
//! replay, a forgery and a connection that never finishes its headers, says
//! what each got, and fails on a surprise.

mod serve;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use hookwarden::axum::Verified;
use hookwarden::{Scheme, Signer, Verifier};
use serve::serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The app's own state: the verifier, and whatever else the app needs.
#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    processed: Arc<AtomicUsize>,
}

/// What `Verified<T>` needs from the state.
impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

/// `State` first: `Verified<T>` reads the body, so it comes last.
async fn handle(
    State(state): State<AppState>,
    Verified { body, ack, .. }: Verified<Bytes>,
) -> StatusCode {
    // ... process exactly the verified `body` ...
    let _ = body;
    state.processed.fetch_add(1, Ordering::SeqCst);
    ack.commit().await; // processed: its copies now get 409 `replayed`
    StatusCode::OK
}

fn app(verifier: Verifier) -> (Router, Arc<AtomicUsize>) {
    let processed = Arc::new(AtomicUsize::new(0));
    let state = AppState {
        verifier,
        processed: processed.clone(),
    };
    let app = Router::new()
        .route("/webhooks/mitpo", post(handle))
        .with_state(state);
    (app, processed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|arg| arg == "--check") {
        return check().await;
    }
    let verifier = Verifier::builder(Scheme::mitpo()) // replay protection: in memory by default
        .secret(std::env::var("MITPO_SECRET")?)
        .build()?;
    let listener = TcpListener::bind("127.0.0.1:3000").await?;
    serve(listener, app(verifier).0, Duration::from_secs(10), 1024).await;
    Ok(())
}

const CHECK_SECRET: &str = "whsec_axum_state_check";
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves on a free port, one connection at a time, and checks what each
/// request gets.
async fn check() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(CHECK_SECRET)
        .build()?;
    let (app, processed) = app(verifier);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, app, HEADER_READ_TIMEOUT, 1));

    let signer = Signer::new(Scheme::mitpo(), CHECK_SECRET)?;
    let forger = Signer::new(Scheme::mitpo(), "whsec_a_guess")?;
    let mut failed = 0;
    let mut expect = |what: &str, got: u16, want: u16| {
        println!("{what}: {got} (expected {want})");
        failed += usize::from(got != want);
    };
    let delivery = signer.sign_now(br#"{"id":1}"#).to_header_map();
    expect(
        "delivery",
        send(addr, &delivery, br#"{"id":1}"#).await?,
        200,
    );
    expect("replay", send(addr, &delivery, br#"{"id":1}"#).await?, 409);
    let forged = forger.sign_now(br#"{"id":2}"#).to_header_map();
    expect("forgery", send(addr, &forged, br#"{"id":2}"#).await?, 401);

    // A connection that stalls in its headers holds the only slot until the
    // header-read timeout closes it; the next delivery waits for that.
    let mut stalled = TcpStream::connect(addr).await?;
    stalled
        .write_all(b"POST /webhooks/mitpo HTTP/1.1\r\nhost: x\r\n")
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let next = signer.sign_now(br#"{"id":3}"#).to_header_map();
    expect(
        "delivery behind a stalled connection",
        send(addr, &next, br#"{"id":3}"#).await?,
        200,
    );
    let waited = started.elapsed();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        let mut rest = Vec::new();
        stalled.read_to_end(&mut rest).await.is_ok()
    })
    .await
    .unwrap_or(false);
    println!(
        "stalled connection closed by the header-read timeout: {closed}; the next delivery \
         waited {} ms for its slot",
        waited.as_millis()
    );
    failed += usize::from(!closed || waited < HEADER_READ_TIMEOUT / 2);
    let processed = processed.load(Ordering::SeqCst);
    println!("processed by the handler: {processed} (expected 2)");
    failed += usize::from(processed != 2);
    println!("{failed} failed");
    if failed > 0 {
        return Err(format!("{failed} check(s) failed").into());
    }
    Ok(())
}

/// Sends one request on a new connection; its status.
async fn send(
    addr: SocketAddr,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> std::io::Result<u16> {
    let mut request = String::from("POST /webhooks/mitpo HTTP/1.1\r\nhost: x\r\n");
    for (name, value) in headers {
        let value = value.to_str().expect("a signed header is ASCII");
        request += &format!("{name}: {value}\r\n");
    }
    request += &format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let status = answer
        .get(9..12)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok());
    status.ok_or_else(|| std::io::Error::other("no HTTP status in the answer"))
}
