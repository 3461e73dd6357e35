//! How `listen` serves connections: as the example receivers do
//! (`examples/shared/serve.rs`), rather than `axum::serve`, whose read
//! buffer, connections and header reads are unbounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hookwarden::intake::PeerSlots;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How long a connection may take to send a request's headers (and,
/// between requests, to start the next one) before it is closed. A request
/// whose headers have not arrived is outside the intake's reach.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; further ones wait in the kernel's accept
/// backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;

/// Connections one peer (an IPv4 address, an IPv6 /64) may hold at once: a
/// connection past its peer's share is closed as soon as it is accepted.
pub const CONNECTIONS_PER_PEER: usize = 64;

/// hyper's read buffer per connection (`axum::serve` lets it grow to about
/// 400 KiB): outside the budget of unverified bytes, so kept small.
pub const READ_BUFFER: usize = 64 * 1024;

/// After a failed `accept` (out of file descriptors, …), the pause before
/// the next: retrying at once would spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until the process ends; each request carries
/// its peer's address (`ConnectInfo`).
pub async fn serve(listener: TcpListener, app: Router) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let peers = PeerSlots::new(CONNECTIONS_PER_PEER);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return; // never closed
        };
        let stream = accept(&listener).await;
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        // Past its peer's share: closed at once, its slot free again.
        let Some(peer_slot) = peers.try_acquire(peer.ip()) else {
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _ = connection(stream, peer, app).await;
            drop((slot, peer_slot));
        });
    }
}

/// The next connection; after an error, a pause before trying again (said
/// once per run of errors).
async fn accept(listener: &TcpListener) -> TcpStream {
    let mut failing = false;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(error) => {
                if !failing {
                    eprintln!("accept failed: {error}; retrying every {ACCEPT_ERROR_BACKOFF:?}");
                    failing = true;
                }
                tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
            }
        }
    }
}

/// One HTTP/1.1 connection serving `app`, its headers within the timeout.
async fn connection(stream: TcpStream, peer: SocketAddr, app: Router) -> hyper::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};

    let service =
        hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            // A `Router` is always ready: no `poll_ready` needed.
            tower_service::Service::call(&mut app.clone(), request)
        });
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(READ_BUFFER)
        .serve_connection(TokioIo::new(stream), service)
        .await
}
