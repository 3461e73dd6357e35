//! The example receivers' servers (`examples/shared`) against connections
//! that never finish their headers: cut off by the header timeout, and no
//! more of them served at once than the cap.

#[path = "../examples/shared/mod.rs"]
mod shared;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookwarden::{Scheme, Signer};
use shared::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Half a request: the request line and one header, then nothing.
const HALF_HEADERS: &[u8] = b"POST /webhooks/mittr HTTP/1.1\r\nHost: x\r\n";

fn limits(header_read_timeout: Duration, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_read_timeout,
        max_connections,
        // These tests hold the cap from one address: no share below it.
        max_connections_per_peer: max_connections,
        grace: Duration::from_secs(1),
    }
}

fn verifiers() -> (hookwarden::Verifier, hookwarden::Verifier) {
    shared::verifiers(
        &[shared::DEFAULT_MITTR_SECRET.to_owned()],
        &[shared::DEFAULT_MITPO_SECRET.to_owned()],
    )
    .unwrap()
}

/// The axum receiver on 127.0.0.1:0, served by `serve_axum_with`.
async fn axum_receiver(limits: ServeLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (mittr, mitpo) = verifiers();
    let app = shared::axum_receiver(mittr, mitpo);
    tokio::spawn(shared::serve_axum_with(
        listener,
        app,
        std::future::pending(),
        limits,
    ));
    addr
}

/// The actix-web receiver on 127.0.0.1:0, served by `serve_actix` (on its
/// own thread, as actix wants) until the returned sender is dropped.
fn actix_receiver(limits: ServeLimits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            shared::serve_actix(listener, verifiers(), shutdown, limits)
                .await
                .unwrap();
        })
    });
    (addr, stop)
}

async fn half_sent(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(HALF_HEADERS).await.unwrap();
    stream
}

/// What the server does with `stream` within `within`: `Some(status)` when
/// it answers or closes (0), `None` when it keeps it open.
async fn outcome(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) if response.is_empty() => return None,
            Ok(Ok(n)) if n > 0 => response.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&response);
    Some(
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    )
}

#[tokio::test]
async fn a_connection_that_stalls_in_its_headers_is_cut_off() {
    let timeout = Duration::from_millis(300);
    let (actix, _stop) = actix_receiver(limits(timeout, 64));
    for addr in [axum_receiver(limits(timeout, 64)).await, actix] {
        let started = Instant::now();
        let mut stream = half_sent(addr).await;
        let closed = outcome(&mut stream, Duration::from_secs(5)).await;
        assert!(matches!(closed, Some(408 | 0)), "{addr}: {closed:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{addr}");
    }
}

#[test]
fn the_default_header_timeout_is_ten_seconds() {
    assert_eq!(
        ServeLimits::default().header_read_timeout,
        Duration::from_secs(10)
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let addr = axum_receiver(limits(Duration::from_secs(30), 2)).await;
    let mut stalled = vec![half_sent(addr).await, half_sent(addr).await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A valid delivery on a third connection: accepted by the kernel, not
    // served while both slots are held.
    let body = br#"{"event":"order.created","id":"capped"}"#;
    let headers = Signer::new(Scheme::mittr(), shared::DEFAULT_MITTR_SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map();
    let mut request = format!(
        "POST /webhooks/mittr HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    request.push_str("\r\n");
    let mut valid = TcpStream::connect(addr).await.unwrap();
    valid.write_all(request.as_bytes()).await.unwrap();
    valid.write_all(body).await.unwrap();
    let waiting = outcome(&mut valid, Duration::from_millis(500)).await;
    assert_eq!(waiting, None, "served beyond the cap");
    // One stalled connection goes away: its slot serves the delivery.
    drop(stalled.pop());
    let served = outcome(&mut valid, Duration::from_secs(5)).await;
    assert_eq!(served, Some(200));
}
