//! The inbox under load: deliveries per second through the axum layer when
//! the handler records its delivery in its own transaction
//! (`replay::postgres::record`), against the same handler's transaction
//! without the inbox, on one local PostgreSQL with its default durability
//! (`fsync` on, `synchronous_commit` on), started here by
//! `tests/common/postgres.rs` in a fresh cluster.
//!
//! Every variant is the same route (`POST /hook`), the same
//! `VerifyWebhookLayer` and the same scheme (Standard Webhooks, a unique
//! ~256 B event per request, all signed before the run so that signing is
//! not timed):
//!
//! - `baseline`: `without_replay_protection()`; the handler runs BEGIN;
//!   INSERT; COMMIT on its pool.
//! - `inbox`: `ReplayProtection::new(PostgresStore::new(pool))` on the
//!   handler's own pool; the handler runs BEGIN; INSERT; `record`; COMMIT.
//!   Per delivery: the claim (an INSERT in its own transaction: a commit,
//!   hence a WAL flush), the handler's transaction (a second flush), the
//!   release after it (a DELETE matching no row: no WAL, no flush).
//! - `inbox-lease-async`: as `inbox`, with the store on a pool of its own
//!   whose connections set `synchronous_commit=off` (the handler's pool
//!   keeps it on): the claim's commit no longer waits for its flush. A
//!   lease lost in a crash is harmless (leases expire; the record is
//!   written in the handler's durable transaction).
//! - `inbox-pool-2n`: as `inbox`, the shared pool twice as large (2N
//!   connections for N clients): a claim or a release no longer waits for a
//!   connection a handler's transaction holds.
//!
//! N clients (`INBOX_CLIENTS`, default 32), each over one keep-alive
//! connection on 127.0.0.1, send for `INBOX_SECS` (default 4) per run;
//! `INBOX_ROUNDS` (default 4) rounds, each running every variant in turn
//! (`INBOX_VARIANTS=baseline,inbox` picks some). The server is an axum app on
//! a 2-worker tokio runtime; the client a current-thread runtime; the pools
//! (N connections each unless said) are made fresh for each run and warmed
//! before it. Prints each run, then per variant the medians of throughput,
//! p50 and p99, and the medians of the per-round ratios to `baseline`.
//!
//! Run with `cargo bench --bench inbox --features axum,postgres` (needs
//! PostgreSQL: `apt-get install -y postgresql`; skipped otherwise).

#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::replay::{postgres as inbox, PostgresStore, ReplayProtection};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, VerifiedDelivery, Verifier};
use http_body_util::{BodyExt, Full};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_events (
    id bigserial PRIMARY KEY,
    payload bytea NOT NULL
)";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Baseline,
    Inbox,
    InboxLeaseAsync,
    InboxPool2n,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Baseline,
        Variant::Inbox,
        Variant::InboxLeaseAsync,
        Variant::InboxPool2n,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Inbox => "inbox",
            Variant::InboxLeaseAsync => "inbox-lease-async",
            Variant::InboxPool2n => "inbox-pool-2n",
        }
    }
}

fn env_or(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One run's figures.
#[derive(Clone, Copy)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
}

#[derive(Clone)]
struct App {
    pool: PgPool,
    record: bool,
}

/// The handler: BEGIN; INSERT; (record;) COMMIT.
async fn handle(State(app): State<App>, delivery: VerifiedDelivery, body: Bytes) -> StatusCode {
    let work = async {
        let mut tx = app.pool.begin().await?;
        sqlx::query("INSERT INTO bench_events (payload) VALUES ($1)")
            .bind(&body[..])
            .execute(&mut *tx)
            .await?;
        if app.record {
            inbox::record(&mut tx, delivery.fence()).await?;
        }
        tx.commit().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match work.await {
        Ok(()) => StatusCode::OK,
        Err(error) => {
            eprintln!("handler failed: {error}");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

async fn pool(url: &str, max: u32, synchronous_commit: bool) -> PgPool {
    let mut options: PgConnectOptions = url.parse().unwrap();
    if !synchronous_commit {
        options = options.options([("synchronous_commit", "off")]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(max)
        .min_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .unwrap();
    // Every connection opened (and its statements prepared once) before the run.
    let mut held = Vec::new();
    for _ in 0..max {
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
        held.push(conn);
    }
    drop(held);
    pool
}

/// The app of `variant`, and the pools to close after the run.
async fn app(variant: Variant, url: &str, clients: u32) -> (Router, Vec<PgPool>) {
    let (handler_pool, store_pool) = match variant {
        Variant::Baseline => (pool(url, clients, true).await, None),
        Variant::Inbox => {
            let p = pool(url, clients, true).await;
            (p.clone(), Some(p))
        }
        Variant::InboxLeaseAsync => (
            pool(url, clients, true).await,
            Some(pool(url, clients, false).await),
        ),
        Variant::InboxPool2n => {
            let p = pool(url, 2 * clients, true).await;
            (p.clone(), Some(p))
        }
    };
    let builder = Verifier::builder(Scheme::standard_webhooks()).secret(SECRET);
    let verifier = match &store_pool {
        Some(store_pool) => builder.replay_protection(ReplayProtection::new(PostgresStore::new(
            store_pool.clone(),
        ))),
        None => builder.without_replay_protection(),
    }
    .build()
    .unwrap();
    let state = App {
        pool: handler_pool.clone(),
        record: store_pool.is_some(),
    };
    let router = Router::new()
        .route(
            "/hook",
            post(handle).layer(VerifyWebhookLayer::new(verifier)),
        )
        .with_state(state);
    let mut pools = vec![handler_pool];
    pools.extend(store_pool);
    (router, pools)
}

/// Serves `variant` on a fresh port until the returned sender fires.
fn serve(
    variant: Variant,
    url: &str,
    clients: u32,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let url = url.to_owned();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (router, pools) = app(variant, &url, clients).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            for pool in pools {
                pool.close().await;
            }
        });
    });
    (addr_rx.recv().unwrap(), stop_tx, thread)
}

type Delivery = (http::HeaderMap, Bytes);

/// `count` unique events, each signed now.
fn sign(count: usize, seq: &mut u64) -> Vec<Delivery> {
    let signer = Signer::new(Scheme::standard_webhooks(), SECRET).unwrap();
    (0..count)
        .map(|_| {
            *seq += 1;
            let mut body = format!(
                "{{\"type\":\"invoice.paid\",\"id\":\"evt_{:016}\",\"pad\":\"",
                *seq
            )
            .into_bytes();
            body.resize(254, b'x');
            body.extend_from_slice(b"\"}");
            (signer.sign_now(&body).to_header_map(), Bytes::from(body))
        })
        .collect()
}

/// N clients over keep-alive connections, each sending the next signed
/// delivery as soon as the previous one is answered, for `secs`.
async fn drive(
    addr: std::net::SocketAddr,
    clients: u32,
    secs: f64,
    deliveries: Arc<Vec<Delivery>>,
) -> (Run, usize, bool) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, deliveries) = (next.clone(), deliveries.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .unwrap();
            let conn = tokio::spawn(conn);
            let mut latencies = Vec::new();
            let mut failed = 0;
            let mut exhausted = false;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((headers, body)) = deliveries.get(i) else {
                    exhausted = true;
                    break;
                };
                let mut request = http::Request::post("/hook")
                    .header(http::header::HOST, "127.0.0.1")
                    .body(Full::new(body.clone()))
                    .unwrap();
                request.headers_mut().extend(headers.clone());
                let sent = Instant::now();
                sender.ready().await.unwrap();
                let response = sender.send_request(request).await.unwrap();
                let ok = response.status() == StatusCode::OK;
                response.into_body().collect().await.unwrap();
                latencies.push(sent.elapsed().as_micros() as u32);
                if !ok {
                    failed += 1;
                }
            }
            drop(sender);
            let _ = conn.await;
            (latencies, failed, exhausted, Instant::now())
        }));
    }
    let mut latencies = Vec::new();
    let (mut failed, mut exhausted) = (0, false);
    let mut ended = started;
    for task in tasks {
        let (l, f, e, end) = task.await.unwrap();
        latencies.extend(l);
        failed += f;
        exhausted |= e;
        ended = ended.max(end);
    }
    latencies.sort_unstable();
    let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize] as f64;
    let run = Run {
        rps: latencies.len() as f64 / (ended - started).as_secs_f64(),
        p50_us: quantile(0.50),
        p99_us: quantile(0.99),
    };
    (run, failed, exhausted)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    if let Some(why) = postgres::missing() {
        println!(
            "skipping the inbox benchmark: {why} (install: {})",
            postgres::INSTALL
        );
        return;
    }
    let clients = env_or("INBOX_CLIENTS", 32) as u32;
    let secs = env_or("INBOX_SECS", 4) as f64;
    let rounds = env_or("INBOX_ROUNDS", 4) as usize;
    let variants: Vec<Variant> = match std::env::var("INBOX_VARIANTS") {
        Ok(list) => list
            .split(',')
            .map(|name| {
                *Variant::ALL
                    .iter()
                    .find(|v| v.name() == name.trim())
                    .unwrap_or_else(|| panic!("unknown variant {name:?}"))
            })
            .collect(),
        Err(_) => Variant::ALL.to_vec(),
    };

    let pg = postgres::Postgres::start();
    let url = pg.url();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client.block_on(async {
        let setup = PgPool::connect(&url).await.unwrap();
        PostgresStore::new(setup.clone()).migrate().await.unwrap();
        sqlx::raw_sql(TABLE).execute(&setup).await.unwrap();
        let mut settings = Vec::new();
        for name in [
            "server_version",
            "fsync",
            "synchronous_commit",
            "wal_sync_method",
            "shared_buffers",
            "max_connections",
        ] {
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&setup)
                .await
                .unwrap();
            settings.push(format!("{name}={value}"));
        }
        println!("PostgreSQL: {}", settings.join(", "));
        let async_pool = pool(&url, 1, false).await;
        let store_sc: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&async_pool)
            .await
            .unwrap();
        async_pool.close().await;
        setup.close().await;
        println!(
            "{clients} clients over keep-alive connections on 127.0.0.1, {secs} s per run, \
             {rounds} rounds of {}; pools of {clients} connections ({} for inbox-pool-2n); \
             the inbox-lease-async store pool: synchronous_commit={store_sc}",
            variants
                .iter()
                .map(|v| v.name())
                .collect::<Vec<_>>()
                .join(", "),
            2 * clients,
        );
    });

    let mut seq = 0u64;
    // Sized from the fastest run so far, with room to spare.
    let mut expected_rps = 5_000.0f64;
    let one = |variant: Variant, secs: f64, seq: &mut u64, expected: &mut f64| -> Run {
        let count = (*expected * secs * 2.0) as usize + 2_000;
        let deliveries = Arc::new(sign(count, seq));
        let (addr, stop, thread) = serve(variant, &url, clients);
        let (run, failed, exhausted) =
            client.block_on(drive(addr, clients, secs, deliveries.clone()));
        let _ = stop.send(());
        thread.join().unwrap();
        assert_eq!(failed, 0, "{}: {failed} requests failed", variant.name());
        if exhausted {
            println!(
                "  ({}: ran out of the {count} signed deliveries before the end)",
                variant.name()
            );
        }
        *expected = expected.max(run.rps);
        run
    };
    // Warm-up: each variant once, briefly.
    for &variant in &variants {
        one(variant, 1.0, &mut seq, &mut expected_rps);
    }
    let mut results: Vec<Vec<Run>> = vec![Vec::new(); variants.len()];
    for round in 1..=rounds {
        let mut line = format!("round {round}:");
        for (i, &variant) in variants.iter().enumerate() {
            let run = one(variant, secs, &mut seq, &mut expected_rps);
            line.push_str(&format!(
                " {} {:.0}/s p50 {:.0} us p99 {:.0} us |",
                variant.name(),
                run.rps,
                run.p50_us,
                run.p99_us
            ));
            results[i].push(run);
        }
        println!("{}", line.trim_end_matches(" |"));
    }
    let base = variants.iter().position(|v| *v == Variant::Baseline);
    for (variant, runs) in variants.iter().zip(&results) {
        let rps = median(runs.iter().map(|r| r.rps).collect());
        let p50 = median(runs.iter().map(|r| r.p50_us).collect());
        let p99 = median(runs.iter().map(|r| r.p99_us).collect());
        let mut line = format!(
            "median {:<18} {rps:>7.0} deliveries/s, p50 {p50:>6.0} us, p99 {p99:>6.0} us",
            variant.name()
        );
        if let Some(base) = base.filter(|b| variants[*b] != *variant) {
            let base_runs = &results[base];
            let ratio = |f: fn(&Run) -> f64| {
                median(
                    runs.iter()
                        .zip(base_runs)
                        .map(|(r, b)| f(r) / f(b))
                        .collect(),
                )
            };
            line.push_str(&format!(
                " | vs baseline: {:.3}x deliveries/s, {:.2}x p50, {:.2}x p99",
                ratio(|r| r.rps),
                ratio(|r| r.p50_us),
                ratio(|r| r.p99_us)
            ));
        }
        println!("{line}");
    }
    println!("goal for inbox: >= 0.6x baseline deliveries/s");
}
