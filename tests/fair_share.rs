//! No sender starves the others: attacks from one peer (127.0.0.1) against
//! the example receivers' serving path (`examples/shared`), while a valid
//! delivery comes from another peer (127.0.0.2, a second loopback address).
//!
//! - 1,100 connections that send fresh, well-formed headers with a forged
//!   signature and `Content-Length: 1000`, then no body byte;
//! - the budget attack: 64 forged bodies declaring 1 MiB, sent to 1 MiB − 1
//!   and stalled, plus one 64-byte stall;
//! - a body that stops: cut by the minimum data rate after its grace period
//!   (408 `body_too_slow`), not at the 30 s read deadline; a slow but steady
//!   one is not.
//!
//! The attacks share the process-wide budget and the loopback peers, so
//! they run one at a time.

#[path = "../examples/shared/mod.rs"]
mod shared;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hookwarden::{Scheme, Signer};
use shared::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const ATTACKER: [u8; 4] = [127, 0, 0, 1];
const PROVIDER: [u8; 4] = [127, 0, 0, 2];

fn verifiers() -> (hookwarden::Verifier, hookwarden::Verifier) {
    shared::verifiers(
        &[shared::DEFAULT_MITTR_SECRET.to_owned()],
        &[shared::DEFAULT_MITPO_SECRET.to_owned()],
    )
    .unwrap()
}

/// The axum receiver on 127.0.0.1:0 (every loopback address reaches it:
/// it listens on 0.0.0.0's loopback share), with the default limits.
async fn axum_receiver() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (mittr, mitpo) = verifiers();
    let app = shared::axum_receiver(mittr, mitpo);
    tokio::spawn(shared::serve_axum_with(
        listener,
        app,
        std::future::pending(),
        ServeLimits::default(),
    ));
    addr
}

/// The actix-web receiver, default limits, on its own thread until the
/// sender is dropped.
fn actix_receiver() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            shared::serve_actix(listener, verifiers(), shutdown, ServeLimits::default())
                .await
                .unwrap();
        })
    });
    (addr, stop)
}

/// A connection to `server` from the loopback address `from`.
async fn connect_from(from: [u8; 4], server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::from(from), 0))?;
    socket.connect(server).await
}

/// A Mittr request's head: fresh signed headers for `body` (or forged ones)
/// and `Content-Length: declared`.
fn head(body: &[u8], declared: usize, forged: bool) -> Vec<u8> {
    let mut headers = Signer::new(Scheme::mittr(), shared::DEFAULT_MITTR_SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map();
    if forged {
        headers.insert(
            "x-mittr-signature",
            format!("v1={}", "ab".repeat(32)).parse().unwrap(),
        );
    }
    let mut head =
        format!("POST /webhooks/mittr HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The status of the response on `stream` within `within`; 0 when it
/// closes without one, `None` when nothing comes.
async fn status(stream: &mut TcpStream, within: Duration) -> Option<u16> {
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

/// A valid delivery from the provider's address: its status and how long
/// it took.
async fn valid_delivery(server: SocketAddr, id: &str) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let body = format!(r#"{{"event":"order.created","id":"{id}"}}"#);
    let Ok(mut stream) = connect_from(PROVIDER, server).await else {
        return (Some(0), started.elapsed());
    };
    let mut request = head(body.as_bytes(), body.len(), false);
    request.extend_from_slice(body.as_bytes());
    if stream.write_all(&request).await.is_err() {
        return (Some(0), started.elapsed());
    }
    let answered = status(&mut stream, Duration::from_secs(40)).await;
    (answered, started.elapsed())
}

/// 1,100 connections from the attacker, each with well-formed headers, a
/// forged signature, `Content-Length: 1000` and no body byte.
async fn stalled_headers(server: SocketAddr, count: usize) -> Vec<TcpStream> {
    let head = head(&[0u8; 1000], 1000, true);
    let mut held = Vec::new();
    for _ in 0..count {
        // A connection the server closes at once is fine: the attacker
        // goes on with the next, as it would.
        if let Ok(mut stream) = connect_from(ATTACKER, server).await {
            if stream.write_all(&head).await.is_ok() {
                held.push(stream);
            }
        }
    }
    held
}

async fn stalled_headers_leave_room_for_another_peer(server: SocketAddr) {
    let held = stalled_headers(server, 1100).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (answered, took) = valid_delivery(server, "during-stalled-headers").await;
    assert_eq!(answered, Some(200), "{server}: took {took:?}");
    assert!(took < Duration::from_secs(2), "{server}: took {took:?}");
    eprintln!("stalled headers ({server}): a valid delivery from another peer in {took:?}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_from_one_peer_do_not_delay_another_axum() {
    let _serial = ONE_AT_A_TIME.lock().await;
    stalled_headers_leave_room_for_another_peer(axum_receiver().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_from_one_peer_do_not_delay_another_actix() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (server, _stop) = actix_receiver();
    stalled_headers_leave_room_for_another_peer(server).await;
}

/// The budget attack: 64 forged bodies declaring 1 MiB sent to 1 MiB − 1
/// and stalled, and a 64-byte stall.
async fn budget_attack(server: SocketAddr) -> Vec<TcpStream> {
    const MIB: usize = 1024 * 1024;
    let forged = vec![b'x'; MIB - 1];
    let attack = (0..64).map(|_| async {
        let mut stream = connect_from(ATTACKER, server).await.ok()?;
        stream.write_all(&head(&forged, MIB, true)).await.ok()?;
        // Refused partway (its peer's share): the server stops reading.
        let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(&forged)).await;
        Some(stream)
    });
    let mut held: Vec<TcpStream> = futures_util::future::join_all(attack)
        .await
        .into_iter()
        .flatten()
        .collect();
    if let Ok(mut small) = connect_from(ATTACKER, server).await {
        let _ = small.write_all(&head(&[0; 128], 128, true)).await;
        let _ = small.write_all(&[b'y'; 64]).await;
        held.push(small);
    }
    held
}

async fn the_budget_attack_leaves_room_for_another_peer(server: SocketAddr) {
    let held = budget_attack(server).await;
    let (answered, took) = valid_delivery(server, "during-budget-attack").await;
    assert_eq!(answered, Some(200), "{server}: took {took:?}");
    assert!(took < Duration::from_secs(2), "{server}: took {took:?}");
    eprintln!("budget attack ({server}): a valid delivery from another peer in {took:?}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_attack_from_one_peer_does_not_refuse_another_axum() {
    let _serial = ONE_AT_A_TIME.lock().await;
    the_budget_attack_leaves_room_for_another_peer(axum_receiver().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_attack_from_one_peer_does_not_refuse_another_actix() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (server, _stop) = actix_receiver();
    the_budget_attack_leaves_room_for_another_peer(server).await;
}

/// A body that stops after 10 bytes is cut once the default grace period
/// (5 s) is over, with 408 `body_too_slow`; one that sends 300 bytes a
/// second for 7 s (above the default 240) is verified.
async fn the_minimum_rate_cuts_a_stopped_body_only(server: SocketAddr) {
    let started = Instant::now();
    let mut stopped = connect_from(ATTACKER, server).await.unwrap();
    stopped
        .write_all(&head(&[0; 1000], 1000, true))
        .await
        .unwrap();
    stopped.write_all(&[b'x'; 10]).await.unwrap();

    let body = format!(
        r#"{{"event":"order.created","id":"slow","pad":"{}"}}"#,
        "p".repeat(2040)
    );
    let mut steady = connect_from(PROVIDER, server).await.unwrap();
    steady
        .write_all(&head(body.as_bytes(), body.len(), false))
        .await
        .unwrap();
    let writer = tokio::spawn(async move {
        for chunk in body.as_bytes().chunks(30) {
            steady.write_all(chunk).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        steady
    });

    let cut = status(&mut stopped, Duration::from_secs(20)).await;
    let cut_after = started.elapsed();
    assert_eq!(cut, Some(408), "{server}");
    assert!(
        (Duration::from_secs(5)..Duration::from_secs(7)).contains(&cut_after),
        "{server}: cut after {cut_after:?}"
    );
    let mut steady = writer.await.unwrap();
    assert_eq!(
        status(&mut steady, Duration::from_secs(5)).await,
        Some(200),
        "{server}"
    );
    eprintln!("minimum rate ({server}): a stopped body cut after {cut_after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_body_is_cut_after_the_grace_period_axum() {
    let _serial = ONE_AT_A_TIME.lock().await;
    the_minimum_rate_cuts_a_stopped_body_only(axum_receiver().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_body_is_cut_after_the_grace_period_actix() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (server, _stop) = actix_receiver();
    the_minimum_rate_cuts_a_stopped_body_only(server).await;
}
