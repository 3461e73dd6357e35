//! Serving the example receivers: connection limits, and a shutdown that
//! releases the replay leases still held.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hookwarden::intake::PeerSlots;
use hookwarden::Verifier;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How the example servers treat connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// How long a connection may take to send a request's headers (and,
    /// between requests, to start the next one) before it is closed: 10 s.
    /// A connection that stalls in its headers is outside hookwarden's
    /// reach (no request exists yet), so the server must cut it off.
    pub header_read_timeout: Duration,
    /// Connections served at once: 1,024. Each holds a file descriptor and
    /// up to 64 KiB of read buffer (64 MiB at the cap, the order of the
    /// budget of unverified bytes); further connections wait in the
    /// kernel's accept backlog until one closes, rather than exhausting
    /// the process's descriptors. This bounds resources, not fairness: a
    /// sender holding every slot with stalled headers delays others by up
    /// to the header timeout; per-client limits belong in a reverse proxy.
    pub max_connections: usize,
    /// Connections one peer (an IPv4 address, an IPv6 /64) may hold at once
    /// in the axum server: 64. A connection past its peer's share is closed
    /// as soon as it is accepted, so that one sender's stalled connections
    /// take its share of [`max_connections`](Self::max_connections), not
    /// all of them (`hookwarden::intake::PeerSlots`). actix-web owns its
    /// accept loop: there, the intake's per-peer share of deliveries being
    /// read (`hookwarden::intake::PeerShare`) answers the excess at once.
    pub max_connections_per_peer: usize,
    /// How long requests in flight may finish after shutdown: 10 s.
    pub grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_peer: 64,
            grace: Duration::from_secs(10),
        }
    }
}

/// After a failed `accept` (out of file descriptors, …), wait this long
/// before the next: retrying at once would spin at 100% CPU.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` until `shutdown` resolves, then lets the requests in flight
/// finish (at most `grace`), with the default [`ServeLimits`].
pub async fn serve_axum(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let limits = ServeLimits {
        grace,
        ..ServeLimits::default()
    };
    serve_axum_with(listener, app, shutdown, limits).await;
}

/// Serves `app` within `limits` until `shutdown` resolves. hyper's read
/// buffer is capped at 64 KiB per connection (`axum::serve` lets it grow
/// to about 400 KiB): it is outside hookwarden's budget of unverified bytes,
/// so a small one keeps a stall attack's memory close to that budget.
pub async fn serve_axum_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
    limits: ServeLimits,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = PeerSlots::new(limits.max_connections_per_peer);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let next = async {
            let slot = slots.clone().acquire_owned().await.expect("never closed");
            (accept(&listener).await, slot)
        };
        let (stream, slot) = tokio::select! {
            next = next => next,
            () = &mut shutdown => break,
        };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        // Past its peer's share: closed at once, its slot free again.
        let Some(peer_slot) = peers.try_acquire(peer.ip()) else {
            continue;
        };
        let connection = graceful.watch(connection(stream, peer, app.clone(), &limits));
        tokio::spawn(async move {
            let _ = connection.await;
            drop((slot, peer_slot));
        });
    }
    let _ = tokio::time::timeout(limits.grace, graceful.shutdown()).await;
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

/// One HTTP/1.1 connection serving `app`, headers within the timeout; each
/// request carries the peer's address (`ConnectInfo`, which the intake
/// reads for the sender's share of the budget).
fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: &ServeLimits,
) -> impl hyper_util::server::graceful::GracefulConnection {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let app = app.map_request(
        move |mut request: axum::extract::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        },
    );
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
}

/// Serves the actix-web receiver ([`super::actix_receiver`]) on `listener`
/// within `limits` until `shutdown` resolves, then lets the requests in
/// flight finish (at most `limits.grace`) and releases the replay leases
/// still held. actix-web itself answers 408 and closes a connection whose
/// headers do not arrive within `client_request_timeout`, pauses its accept
/// loop after an error, and caps connections per worker
/// (`max_connections`).
pub async fn serve_actix(
    listener: std::net::TcpListener,
    (mittr, mitpo): (Verifier, Verifier),
    shutdown: impl std::future::Future<Output = ()> + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    const WORKERS: usize = 2;
    let (m, p) = (mittr.clone(), mitpo.clone());
    let server = actix_web::HttpServer::new(move || super::actix_receiver(m.clone(), p.clone()))
        .workers(WORKERS)
        .client_request_timeout(limits.header_read_timeout)
        .max_connections(limits.max_connections.div_ceil(WORKERS))
        .shutdown_timeout(limits.grace.as_secs())
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        shutdown.await;
        handle.stop(true).await;
    });
    server.await?;
    super::release_in_flight(&[&mittr, &mitpo]).await;
    Ok(())
}
