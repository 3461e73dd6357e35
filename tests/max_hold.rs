//! The maximum hold of a replay lease (`ReplayProtection::max_hold`), on
//! real servers on 127.0.0.1: a handler that never finishes — its client
//! gone (actix-web runs it on) or still waiting — stops blocking its
//! delivery's copies once the hold is over, so that the provider's retry
//! is processed instead of answered 409 `in_flight` until the process
//! restarts. A short hold (2 s, leases of 1 s) keeps the test to seconds.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::logs::Captured;
use common::receivers::{self, payload, Adapter, Receiver, Script, Step, ADAPTERS};
use common::server;
use hookwarden::replay::{ReplayProtection, DEFAULT_MAX_HOLD};
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_max_hold_secret";
const LEASE_TTL: Duration = Duration::from_secs(1);
const MAX_HOLD: Duration = Duration::from_secs(2);
/// How long the first attempt's handler would run: far past the test.
const FOREVER: Duration = Duration::from_secs(3600);

/// Every log line of this test binary (actix-web's workers run on their
/// own threads: a global subscriber).
fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        tracing::subscriber::set_global_default(log.subscriber()).unwrap();
        log
    })
}

fn verifier(name: &str, max_hold: Option<Duration>) -> Verifier {
    let mut replay = ReplayProtection::in_memory().lease_ttl(LEASE_TTL);
    if let Some(max_hold) = max_hold {
        replay = replay.max_hold(max_hold);
    }
    Verifier::builder(Scheme::mitpo())
        .name(name)
        .secret(SECRET)
        .replay_protection(replay)
        .build()
        .unwrap()
}

fn signed(body: &[u8]) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

/// Sleeps until `at` after `start`.
async fn at(start: Instant, at: Duration) {
    tokio::time::sleep_until((start + at).into()).await;
}

/// How the first attempt's client behaves while its handler runs forever.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// Closes the connection after 100 ms.
    Leaves,
    /// Waits for the answer (which never comes within the test).
    Waits,
}

/// One delivery whose first attempt runs forever; the copies' answers at
/// 1.3 s (under the hold) and at 3.2 s (past max hold + lease TTL), and
/// how many times the handler acted.
async fn scenario(
    adapter: Adapter,
    client: Client,
    max_hold: Option<Duration>,
) -> ((u16, String), (u16, String), usize) {
    let name = format!("{adapter:?}-{client:?}-{}", max_hold.is_some()).to_lowercase();
    let script = Script::default();
    let receiver: Receiver =
        receivers::start(adapter, verifier(&name, max_hold), script.clone()).await;
    let body = payload(&name);
    let headers = signed(&body);
    script.plan(&name, &[Step::SlowAct(FOREVER)]);

    let start = Instant::now();
    let first = match client {
        Client::Leaves => {
            let (addr, headers, body) = (receiver.addr, headers.clone(), body.clone());
            tokio::spawn(async move {
                receivers::cut_after(addr, &headers, &body, Duration::from_millis(100)).await;
                (0, String::new())
            })
        }
        Client::Waits => receivers::spawn_attempt(receiver.url(), &headers, &body),
    };
    let http = server::client();
    // Past one lease TTL, under the hold: the renewed lease refuses the copy.
    at(start, Duration::from_millis(1300)).await;
    let held = receivers::attempt(&http, &receiver.url(), &headers, &body).await;
    // Past max hold + lease TTL: the lease has lapsed, whatever the handler does.
    at(start, MAX_HOLD + LEASE_TTL + Duration::from_millis(200)).await;
    let after = receivers::attempt(&http, &receiver.url(), &headers, &body).await;
    if let Client::Waits = client {
        assert!(
            !first.is_finished(),
            "{name}: the first attempt's handler still runs"
        );
    }
    first.abort();
    (held, after, script.processed(&name))
}

fn in_flight() -> (u16, String) {
    (409, "in_flight".to_owned())
}

fn processed() -> (u16, String) {
    (200, String::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_handler_that_never_returns_stops_blocking_its_copies_after_the_max_hold() {
    let log = log();
    let mut cases = Vec::new();
    // The client goes away: actix-web runs the handler on (the report: an
    // hour, its lease renewed all along); axum drops it with the connection.
    for adapter in [Adapter::ActixMiddleware, Adapter::ActixExtractor] {
        cases.push((adapter, Client::Leaves, Some(MAX_HOLD)));
    }
    // The client waits: every adapter.
    for adapter in ADAPTERS {
        cases.push((adapter, Client::Waits, Some(MAX_HOLD)));
    }
    let runs: Vec<_> = cases
        .iter()
        .map(|&(adapter, client, max_hold)| {
            tokio::spawn(async move { scenario(adapter, client, max_hold).await })
        })
        .collect();
    for (case, run) in cases.iter().zip(runs) {
        let (held, after, acted) = run.await.unwrap();
        assert_eq!(held, in_flight(), "{case:?}: a copy under the hold");
        assert_eq!(after, processed(), "{case:?}: a copy after the hold");
        assert_eq!(acted, 1, "{case:?}: the copy acted, the first never did");
    }
    // Each lapse under a running handler logged once, with its key, no secret.
    let text = log.text();
    let lapses: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("reached its maximum hold"))
        .collect();
    assert_eq!(lapses.len(), cases.len(), "{text}");
    for line in lapses {
        assert!(
            line.contains("WARN") && line.contains("max_hold_ms=2000"),
            "{line}"
        );
        assert!(!line.contains(SECRET), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_short_max_hold_the_copy_is_still_refused() {
    // The default (5 min) at the same moments: the lease is still renewed,
    // as it was for the hour of the report.
    assert!(DEFAULT_MAX_HOLD > Duration::from_secs(60));
    let (held, after, acted) = scenario(Adapter::ActixMiddleware, Client::Leaves, None).await;
    assert_eq!(held, in_flight());
    assert_eq!(after, in_flight(), "renewed past max hold + lease TTL");
    assert_eq!(acted, 0);
}
