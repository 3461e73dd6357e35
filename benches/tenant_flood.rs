//! One tenant's flood against the default replay store, in release, on a
//! real axum server: a GitHub route with secrets per tenant and the default
//! protection; tenant "evil" sends 100,000 distinct valid deliveries (16 at
//! a time), then tenant "victim" sends new ones, and a copy of its delivery
//! from before the flood. Reports how long the flood took, what evil and
//! victim were answered, and victim's answer time after the flood against
//! a fresh server's (the baseline), rounds alternating, medians and ratio.
//! Then once with a store that rejects (`MemoryStore::new(DEFAULT_CAPACITY)`):
//! how many of evil's were refused, and victim's answer.
//!
//! Last, in process, what a claim and its commit cost in a `MemoryStore`
//! of 100,000 records kept in its steady state (fresh keys, 8,000 a second
//! on the store's own clock), alternating rounds, each case's median
//! ratio to keys without a tenant in a store with room: with room (keys of
//! 1,000 tenants), full and forgetting its oldest (no tenant), one tenant
//! at its share forgetting its own, one tenant at its share refused.
//!
//! Run with `cargo bench --bench tenant_flood` (`TENANT_FLOOD=<n>` for
//! another flood, `TENANT_FLOOD_ROUNDS=<n>` for more rounds than 3;
//! `-- store` runs the in-process part alone).

mod interleaved;
#[path = "../tests/common/server.rs"]
mod server;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use futures_util::StreamExt;
use hookwarden::replay::{MemoryStore, ReplayProtection, DEFAULT_CAPACITY};
use hookwarden::tenant::TenantFrom;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Secret, Signer, Verifier};
use server::{HttpClient, TestServer};

const CONCURRENCY: usize = 16;
/// Victim's deliveries timed per round.
const VICTIM: usize = 300;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn secret(tenant: &str) -> String {
    format!("whsec_{tenant}_github")
}

fn body(tenant: &str, i: usize) -> Vec<u8> {
    format!(r#"{{"action":"opened","tenant":"{tenant}","n":{i}}}"#).into_bytes()
}

async fn serve(replay: Option<ReplayProtection>) -> TestServer {
    let mut secrets: HashMap<String, Vec<Secret>> = HashMap::new();
    for tenant in ["evil", "victim"] {
        secrets.insert(tenant.into(), vec![Secret::from(secret(tenant))]);
    }
    let builder = Verifier::builder(Scheme::github())
        .name("github-tenants")
        .secret_source(secrets, TenantFrom::path_segment(2));
    let verifier = match replay {
        Some(replay) => builder.replay_protection(replay),
        None => builder,
    }
    .build()
    .unwrap();
    let app = Router::new().route(
        "/hooks/github/{tenant}",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier)),
    );
    server::serve(app).await
}

async fn send(client: &HttpClient, server: &TestServer, tenant: &str, body: &[u8]) -> u16 {
    let headers = Signer::new(Scheme::github(), secret(tenant))
        .unwrap()
        .sign_now(body)
        .to_header_map();
    let url = server.url(&format!("/hooks/github/{tenant}"));
    server::post(client, &url, &headers, body.to_vec())
        .await
        .status
}

/// Evil's `n` deliveries: the time they took, and how many were answered
/// 200 and 503.
async fn flood(client: &HttpClient, server: &TestServer, n: usize) -> (Duration, usize, usize) {
    let started = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(0..n)
        .map(|i| async move { send(client, server, "evil", &body("evil", i)).await })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let count = |status| statuses.iter().filter(|&&s| s == status).count();
    (started.elapsed(), count(200), count(503))
}

/// Victim's new deliveries `from..from + VICTIM`, one at a time: the
/// median answer time; every one must be 200.
async fn victim(client: &HttpClient, server: &TestServer, from: usize) -> Duration {
    let mut times = Vec::with_capacity(VICTIM);
    for i in from..from + VICTIM {
        let started = Instant::now();
        let status = send(client, server, "victim", &body("victim", i)).await;
        times.push(started.elapsed());
        assert_eq!(status, 200, "victim's delivery {i}");
    }
    median(&mut times)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if !std::env::args().any(|a| a == "store") {
        runtime.block_on(run());
    }
    claim_costs();
}

/// Claims per millisecond of the stores' clocks: 8,000 a second, about the
/// flood's rate over HTTP (a full store sweeps once a second).
const CLAIMS_PER_TICK: u64 = 8;

/// A store whose clock ticks every `CLAIMS_PER_TICK` claims.
struct Steady {
    store: MemoryStore,
    ticks: std::sync::Arc<std::sync::atomic::AtomicU64>,
    namespace: hookwarden::replay::Namespace,
    next: u64,
    /// Records live this many ticks.
    ttl: Duration,
    /// Keys go round this many tenants (0: no tenant).
    tenants: u64,
}

impl Steady {
    fn new(store: MemoryStore, ttl_ticks: u64, tenants: u64) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        let ticks = std::sync::Arc::new(AtomicU64::new(1));
        let clock = ticks.clone();
        let store = store.clock(move || {
            std::time::UNIX_EPOCH + Duration::from_millis(clock.load(Ordering::Relaxed))
        });
        let mut steady = Steady {
            store,
            ticks,
            namespace: hookwarden::replay::Namespace::new("bench"),
            next: 0,
            ttl: Duration::from_millis(ttl_ticks),
            tenants,
        };
        for _ in 0..200_000 {
            steady.claim_and_commit(); // into its steady state
        }
        steady
    }

    /// Claims a fresh key and commits it if leased.
    fn claim_and_commit(&mut self) {
        use futures_util::FutureExt;
        use hookwarden::replay::{Claim, LeaseId, ReplayKey, ReplayStore};
        self.next += 1;
        if self.next.is_multiple_of(CLAIMS_PER_TICK) {
            self.ticks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let key = ReplayKey::in_namespace(&self.namespace, u128::from(self.next));
        let key = match self.tenants {
            0 => key,
            n => key.in_partition(self.next % n),
        };
        let lease = LeaseId::new();
        let claim = self.store.claim(&key, lease, self.ttl).now_or_never();
        if let Some(Ok(Claim::Leased)) = claim {
            let _ = self.store.commit(&key, lease, self.ttl).now_or_never();
        }
    }
}

fn claim_costs() {
    use hookwarden::replay::WhenFull;
    const CAPACITY: usize = DEFAULT_CAPACITY;
    let long = 1 << 40; // never expires within the run
    let mut cases = [
        // Room: records expire as fast as new ones come, 50,000 held.
        Steady::new(MemoryStore::new(CAPACITY), 50_000 / CLAIMS_PER_TICK, 0),
        Steady::new(MemoryStore::new(CAPACITY), 50_000 / CLAIMS_PER_TICK, 1_000),
        Steady::new(
            MemoryStore::new(CAPACITY).when_full(WhenFull::EvictOldest),
            long,
            0,
        ),
        Steady::new(
            MemoryStore::new(CAPACITY).when_full(WhenFull::EvictOldest),
            long,
            1,
        ),
        Steady::new(MemoryStore::new(CAPACITY), long, 1),
    ];
    let [a, b, c, d, e] = &mut cases;
    interleaved::compare(
        "claim + commit in a MemoryStore of 100,000 records",
        15,
        50_000,
        &mut [
            interleaved::case("no tenant, room", || a.claim_and_commit()),
            interleaved::case("1,000 tenants, room", || b.claim_and_commit()),
            interleaved::case("no tenant, full, forgetting the oldest", || {
                c.claim_and_commit()
            }),
            interleaved::case("one tenant at its share, forgetting its own", || {
                d.claim_and_commit()
            }),
            interleaved::case("one tenant at its share, refused", || e.claim_and_commit()),
        ],
    );
}

async fn run() {
    let n = env("TENANT_FLOOD", 100_000);
    let rounds = env("TENANT_FLOOD_ROUNDS", 3);
    let client = server::client();
    let (mut fresh, mut flooded, mut floods) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // The baseline: a fresh server, victim alone.
        let baseline = serve(None).await;
        fresh.push(victim(&client, &baseline, 1).await);

        // The flood, then victim.
        let server = serve(None).await;
        let before = body("victim", 0);
        assert_eq!(send(&client, &server, "victim", &before).await, 200);
        let (took, accepted, refused) = flood(&client, &server, n).await;
        assert_eq!(
            (accepted, refused),
            (n, 0),
            "the default store never refuses"
        );
        flooded.push(victim(&client, &server, 1).await);
        let replayed = send(&client, &server, "victim", &before).await;
        assert_eq!(
            replayed, 409,
            "victim's record from before the flood was forgotten"
        );
        println!(
            "round {round}: evil's {n} deliveries in {took:.2?} ({:.0}/s), all 200; victim's \
             {VICTIM} new ones all 200 (median {:.0?}, fresh server {:.0?}), its copy from \
             before the flood 409",
            n as f64 / took.as_secs_f64(),
            flooded[round],
            fresh[round]
        );
        floods.push(took);
    }
    let (fresh, flooded, took) = (
        median(&mut fresh),
        median(&mut flooded),
        median(&mut floods),
    );
    println!(
        "default store, {rounds} rounds: evil's flood of {n} median {took:.2?}; victim's answer \
         median {flooded:.0?} after it vs {fresh:.0?} on a fresh server (ratio {:.2})",
        flooded.as_secs_f64() / fresh.as_secs_f64()
    );

    // A store that rejects: evil alone is refused past its share.
    let server = serve(Some(ReplayProtection::new(MemoryStore::new(
        DEFAULT_CAPACITY,
    ))))
    .await;
    let (took, accepted, refused) = flood(&client, &server, n).await;
    let status = send(&client, &server, "victim", &body("victim", 0)).await;
    println!(
        "rejecting store of {DEFAULT_CAPACITY}: evil's {n} deliveries in {took:.2?}: {accepted} \
         answered 200, {refused} 503 replay_store_full; victim's next: {status}"
    );
    assert_eq!(status, 200);
    println!(
        "goal: another tenant's delivery is still 2xx after one tenant sent {n} distinct valid \
         deliveries: met"
    );
}
