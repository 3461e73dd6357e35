//! The inbox (a delivery recorded in the handler's own transaction, fenced
//! by its lease) under PostgreSQL faults, against a real PostgreSQL (a
//! cluster of its own per test, on a free loopback port) and real servers
//! on 127.0.0.1, behind each adapter: the server crashing and restarting
//! (an immediate shutdown) while deliveries are in flight, the pool's
//! connections terminated by the server, a burst of copies meeting another
//! replica's open transaction, and a handler holding its transaction far
//! past the lease's maximum hold. Every event must end delivered, its
//! effect (a row the handler writes in its transaction) committed exactly
//! once.
//!
//! A custom harness (libtest-mimic), as `tests/postgres.rs`: without
//! PostgreSQL these tests show as **ignored**, with the install command;
//! `HOOKWARDEN_REQUIRE_POSTGRES` turns that into a failure.

mod common;

use common::mimic::trial;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::inbox::{self, Handler, Plan, Step};
use common::postgres::{self, Postgres};
use common::receivers::{self, payload, Adapter, Receiver, ADAPTERS};
use common::server::{self, HttpClient};
use hookwarden::replay::{PostgresStore, ReplayProtection};
use hookwarden::{Scheme, Signer, Verifier};
use libtest_mimic::Arguments;
use sqlx::PgPool;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The store timeout of every verifier here (the inbox's verifiers use it).
const STORE_TIMEOUT: Duration = Duration::from_secs(2);
/// What an answer bounded by the store timeout may take beyond it (the
/// request's own work, on a loaded 2-core machine).
const SLACK: Duration = Duration::from_secs(1);

fn main() {
    let args = Arguments::from_args();
    let missing = postgres::missing_unless_required("the PostgreSQL fault tests");
    let trials = vec![
        trial(
            "an_immediate_restart_mid_stream_fails_closed_and_loses_nothing_twice",
            || stream_under(Fault::Restart),
        ),
        trial(
            "connections_terminated_mid_stream_lose_nothing_twice",
            || stream_under(Fault::Terminate),
        ),
        trial(
            "a_burst_of_copies_meets_an_open_transaction_in_flight_fast",
            burst_meets_open_transaction,
        ),
        trial(
            "a_handler_held_past_the_max_hold_is_fenced_and_never_commits",
            held_past_max_hold,
        ),
    ];
    let trials = trials
        .into_iter()
        .map(|t| t.with_ignored_flag(missing.is_some()))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Standard Webhooks delivery of event `id`, signed at `at` (its
/// `webhook-id` is the event id: the key every re-signed retry shares).
fn standard(id: &str, at: u64) -> (http::HeaderMap, Vec<u8>) {
    let body = payload(id);
    let headers = Signer::new(Scheme::standard_webhooks(), SECRET)
        .unwrap()
        .sign_with_id(at, id, &body)
        .unwrap()
        .to_header_map();
    (headers, body)
}

/// A pool of its own, as a replica would have.
async fn pool(url: &str, size: u32) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(STORE_TIMEOUT)
        .connect(url)
        .await
        .unwrap()
}

fn handler(pool: &PgPool, plan: &Plan, replica: &str) -> Handler {
    Handler {
        pool: pool.clone(),
        plan: plan.clone(),
        replica: replica.to_owned(),
    }
}

/// One replica per adapter, each with a pool and a store of its own, on
/// one database and one plan; leases of `lease`.
async fn replicas(url: &str, plan: &Plan, lease: Duration) -> Vec<Receiver> {
    let mut replicas = Vec::new();
    for adapter in ADAPTERS {
        let pool = pool(url, 10).await;
        let verifier = inbox::verifier(
            Scheme::standard_webhooks(),
            SECRET,
            PostgresStore::new(pool.clone()),
            lease,
        );
        let name = format!("{adapter:?}");
        replicas.push(inbox::start(adapter, verifier, handler(&pool, plan, &name)).await);
    }
    replicas
}

/// One attempt, and how long it took.
async fn timed(
    client: &HttpClient,
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> (u16, String, Duration) {
    let started = Instant::now();
    let (status, code) = receivers::attempt(client, url, headers, body).await;
    (status, code, started.elapsed())
}

/// What a provider saw for one event.
#[derive(Debug)]
struct Provided {
    id: String,
    /// Each attempt: status (0: no answer), error code, time taken.
    attempts: Vec<(u16, String, Duration)>,
    delivered: bool,
}

/// A provider: sends event `id`, **re-signed** at each attempt (a new
/// timestamp, the same `webhook-id`), to the replicas in turn from
/// `first`, until it is delivered (a 2xx, or 409 `replayed`); retries
/// no answer, 5xx and 409 `in_flight` after a short pause.
async fn provide(id: String, urls: Arc<Vec<String>>, first: usize, max: usize) -> Provided {
    let client = server::client();
    let mut attempts = Vec::new();
    for n in 0..max {
        let (headers, body) = standard(&id, now() + (n % 30) as u64);
        let url = &urls[(first + n) % urls.len()];
        let (status, code, took) = timed(&client, url, &headers, &body).await;
        let delivered = (200..300).contains(&status) || (status == 409 && code == "replayed");
        let retry = status == 0 || status >= 500 || (status == 409 && code == "in_flight");
        attempts.push((status, code, took));
        if delivered {
            return Provided {
                id,
                attempts,
                delivered: true,
            };
        }
        if !retry {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Provided {
        id,
        attempts,
        delivered: false,
    }
}

/// Every id in `ids` committed exactly once, and nothing else.
async fn assert_exactly_once(pool: &PgPool, ids: &[String]) {
    let ledger = inbox::ledger(pool).await;
    let wrong: Vec<_> = ids
        .iter()
        .filter(|id| ledger.get(*id) != Some(&1))
        .map(|id| (id, ledger.get(id)))
        .collect();
    assert!(
        wrong.is_empty(),
        "effects not committed exactly once: {wrong:?}"
    );
    assert_eq!(ledger.len(), ids.len(), "stray effects: {ledger:?}");
}

/// No replay accepted afterwards: every event again, re-signed, to one
/// replica or another.
async fn assert_all_replayed(urls: &[String], ids: &[String]) {
    let client = server::client();
    for (i, id) in ids.iter().enumerate() {
        let (headers, body) = standard(id, now() + 40);
        let again = receivers::attempt(&client, &urls[i % urls.len()], &headers, &body).await;
        assert_eq!(again, (409, "replayed".to_owned()), "{id}");
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// `pg_ctl stop -m immediate` with transactions open, fresh deliveries
    /// while it is down, then a start on the same data.
    Restart,
    /// `pg_terminate_backend` on every client connection, twice.
    Terminate,
}

/// Waits until the plan saw `calls` handler runs and some handler's
/// transaction is open (`idle in transaction`), so that the fault cuts
/// into one; gives up waiting for the latter after 5 s. Returns how many
/// transactions were open.
async fn mid_transaction(pg: &Arc<std::sync::Mutex<Postgres>>, plan: &Plan, calls: usize) -> usize {
    while plan.calls() < calls {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pg = pg.clone();
        let open: usize = tokio::task::spawn_blocking(move || {
            pg.lock()
                .unwrap()
                .psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")
                .parse()
                .unwrap()
        })
        .await
        .unwrap();
        if open > 0 || Instant::now() > deadline {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// 160 events through the four adapters while `fault` strikes a third of
/// the way in; a quarter of the handlers hold their transaction 400 ms, a
/// quarter record and then hold it 300 ms, an eighth panic on their first
/// attempt. Every event ends delivered, its effect in the ledger once.
async fn stream_under(fault: Fault) {
    const EVENTS: usize = 160;
    let started = Instant::now();
    let pg = Postgres::start();
    let url = pg.url();
    let pg = Arc::new(std::sync::Mutex::new(pg));
    let (ledger_pool, _) = inbox::prepare(&url).await;
    let plan = Plan::default();
    let replicas = replicas(&url, &plan, Duration::from_secs(2)).await;
    let urls: Arc<Vec<String>> = Arc::new(replicas.iter().map(Receiver::url).collect());
    let prefix = format!("{fault:?}").to_lowercase();
    let mut ids: Vec<String> = (0..EVENTS).map(|i| format!("{prefix}-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        match i % 8 {
            0 | 4 => plan.plan(id, &[Step::SlowAct(Duration::from_millis(400))]),
            1 | 5 => plan.plan(id, &[Step::RecordThenStall(Duration::from_millis(300))]),
            2 => plan.plan(id, &[Step::Panic]),
            _ => {}
        }
    }

    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (urls, limit, id) = (urls.clone(), limit.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            provide(id, urls, i, 400).await
        }));
    }

    // The fault, with handlers inside their transactions.
    let mut probes = Vec::new();
    let mut open = Vec::new();
    match fault {
        Fault::Restart => {
            open.push(mid_transaction(&pg, &plan, EVENTS / 3).await);
            let down = pg.clone();
            tokio::task::spawn_blocking(move || down.lock().unwrap().stop())
                .await
                .unwrap();
            // Down: fresh deliveries to every adapter fail closed, within
            // the store timeout.
            let client = server::client();
            for (n, url) in urls.iter().enumerate() {
                let id = format!("down-{n}");
                let (headers, body) = standard(&id, now());
                let answer = timed(&client, url, &headers, &body).await;
                probes.push((replicas[n].adapter, answer));
                ids.push(id);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let up = pg.clone();
            tokio::task::spawn_blocking(move || up.lock().unwrap().start_again())
                .await
                .unwrap();
        }
        Fault::Terminate => {
            let mut terminated = 0;
            for share in [EVENTS / 3, 2 * EVENTS / 3] {
                open.push(mid_transaction(&pg, &plan, share).await);
                let pg = pg.clone();
                terminated +=
                    tokio::task::spawn_blocking(move || pg.lock().unwrap().terminate_connections())
                        .await
                        .unwrap();
            }
            assert!(terminated > 0, "no connection was terminated");
            println!("terminated {terminated} connections");
        }
    }
    for (adapter, (status, code, took)) in &probes {
        assert_eq!(
            (*status, code.as_str()),
            (503, "replay_store_unavailable"),
            "{adapter:?}: a delivery while PostgreSQL is down"
        );
        assert!(
            *took < STORE_TIMEOUT + SLACK,
            "{adapter:?}: answered after {took:?} while PostgreSQL is down"
        );
    }
    // The probes' events, delivered now that it is back.
    for (n, id) in ids[EVENTS..].iter().enumerate() {
        tasks.push(tokio::spawn(provide(id.clone(), urls.clone(), n, 400)));
    }

    let mut attempts = 0;
    let mut answers: HashMap<String, usize> = HashMap::new();
    let mut slowest = Duration::ZERO;
    for task in tasks {
        let provided = task.await.unwrap();
        assert!(provided.delivered, "{provided:?}");
        attempts += provided.attempts.len();
        for (status, code, took) in &provided.attempts {
            *answers.entry(format!("{status} {code}")).or_default() += 1;
            slowest = slowest.max(*took);
            if code == "replay_store_unavailable" {
                assert!(
                    *took < STORE_TIMEOUT + SLACK,
                    "{}: a 503 after {took:?}",
                    provided.id
                );
            }
        }
    }
    assert_exactly_once(&ledger_pool, &ids).await;
    assert_all_replayed(&urls, &ids).await;
    let mut answers: Vec<_> = answers.into_iter().collect();
    answers.sort();
    println!(
        "{fault:?}: {} events, {attempts} attempts in {:?} (slowest attempt {slowest:?}), \
         {} handler runs, {} fenced, open transactions at the fault {open:?}, answers {answers:?}",
        ids.len(),
        started.elapsed(),
        plan.calls(),
        plan.fenced(),
    );
    // Nothing hangs: the slowest attempt is a claim and a begin each bounded
    // by the store timeout, and a handler's own wait.
    assert!(slowest < Duration::from_secs(8), "{slowest:?}");
}

/// For each adapter as the holder: a delivery whose handler records and
/// then holds its transaction open (the record's row locked) for 2.5 s;
/// meanwhile a burst of 40 copies across the four replicas. Every copy is
/// answered 409 `in_flight` well within the store timeout (the claim waits
/// on the locked row for the store's lock timeout, 100 ms, not for the
/// transaction); the one effect commits; copies afterwards are `replayed`.
async fn burst_meets_open_transaction() {
    const COPIES: usize = 40;
    let pg = Postgres::start();
    let (ledger_pool, _) = inbox::prepare(&pg.url()).await;
    let plan = Plan::default();
    let replicas = replicas(&pg.url(), &plan, Duration::from_secs(10)).await;
    let urls: Vec<String> = replicas.iter().map(Receiver::url).collect();
    let mut ids = Vec::new();
    for holder in &replicas {
        let id = format!("held-{:?}", holder.adapter);
        plan.plan(&id, &[Step::RecordThenStall(Duration::from_millis(2500))]);
        let (headers, body) = standard(&id, now());
        let first = receivers::spawn_attempt(holder.url(), &headers, &body);
        tokio::time::sleep(Duration::from_millis(600)).await;

        let started = Instant::now();
        let copies: Vec<_> = (0..COPIES)
            .map(|n| {
                // Copies re-signed, as retries would be.
                let (headers, body) = standard(&id, now() + 1 + (n % 5) as u64);
                let url = urls[n % urls.len()].clone();
                tokio::spawn(async move { timed(&server::client(), &url, &headers, &body).await })
            })
            .collect();
        let mut slowest = Duration::ZERO;
        for copy in copies {
            let (status, code, took) = copy.await.unwrap();
            assert_eq!(
                (status, code.as_str()),
                (409, "in_flight"),
                "{:?} holding",
                holder.adapter
            );
            slowest = slowest.max(took);
        }
        let burst = started.elapsed();
        println!(
            "{:?} holding: {COPIES} copies in_flight in {burst:?} (slowest {slowest:?})",
            holder.adapter
        );
        assert!(
            slowest < Duration::from_millis(1500),
            "{:?} holding: a copy took {slowest:?}",
            holder.adapter
        );
        assert_eq!(first.await.unwrap().0, 200, "{:?}", holder.adapter);
        ids.push(id.clone());
        assert_exactly_once(&ledger_pool, &ids).await;
        let (headers, body) = standard(&id, now() + 10);
        let answers = receivers::burst(&urls, &headers, &body, 8).await;
        assert!(
            answers.iter().all(|a| a == &(409, "replayed".to_owned())),
            "{:?} holding: {answers:?}",
            holder.adapter
        );
    }
    assert_eq!(
        plan.calls(),
        replicas.len(),
        "only the holders' handlers ran"
    );
}

const MAX_HOLD: Duration = Duration::from_secs(2);
const SHORT_LEASE: Duration = Duration::from_secs(1);
/// How long the held handler waits, transaction open, before recording:
/// far past max hold + lease TTL (3 s).
const HELD: Duration = Duration::from_secs(6);

/// How the held attempt's client behaves.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// Goes away after 100 ms: actix-web runs the handler on.
    Leaves,
    /// Waits for the answer.
    Waits,
}

/// A handler holds its transaction open for 6 s (its INSERT done) behind
/// `adapter`, on a replica with 1 s leases and a 2 s maximum hold. A copy
/// at 1.3 s meets its lease (`in_flight`); a copy at 3.3 s, past max hold +
/// lease TTL, is processed by another replica; when the held handler
/// finally records, the fence refuses it (`LeaseLost`) and its INSERT rolls
/// back. Returns the copies' answers, the held attempt's if it waited, and
/// the held replica (kept running until the test is over).
async fn held_case(
    pool: PgPool,
    plan: Plan,
    adapter: Adapter,
    client: Client,
    other: String,
) -> (
    (u16, String),
    (u16, String),
    Option<(u16, String)>,
    Receiver,
) {
    let store = PostgresStore::new(pool.clone());
    let verifier = Verifier::builder(Scheme::standard_webhooks())
        .secret(SECRET)
        .replay_protection(
            ReplayProtection::new(store)
                .lease_ttl(SHORT_LEASE)
                .max_hold(MAX_HOLD)
                .store_timeout(STORE_TIMEOUT),
        )
        .build()
        .unwrap();
    let held = inbox::start(adapter, verifier, handler(&pool, &plan, "held")).await;
    let id = format!("held-{adapter:?}-{client:?}");
    plan.plan(&id, &[Step::SlowAct(HELD)]);
    let start = Instant::now();
    let (headers, body) = standard(&id, now());
    let first = match client {
        Client::Leaves => {
            receivers::cut_after(held.addr, &headers, &body, Duration::from_millis(100)).await;
            None
        }
        Client::Waits => Some(receivers::spawn_attempt(held.url(), &headers, &body)),
    };
    let copy = |at: Duration| {
        let (other, id) = (other.clone(), id.clone());
        async move {
            tokio::time::sleep_until((start + at).into()).await;
            let (headers, body) = standard(&id, now() + 1);
            receivers::attempt(&server::client(), &other, &headers, &body).await
        }
    };
    let under = copy(Duration::from_millis(1300)).await;
    let after = copy(Duration::from_millis(3300)).await;
    let late = match first {
        Some(first) => Some(first.await.unwrap()),
        None => None,
    };
    // The held replica stays up: its handler may still run (client gone).
    (under, after, late, held)
}

async fn held_past_max_hold() {
    let pg = Postgres::start();
    let (_, _) = inbox::prepare(&pg.url()).await;
    let pool = pool(&pg.url(), 24).await;
    let plan = Plan::default();
    let other = inbox::start(
        Adapter::TowerLayer,
        inbox::verifier(
            Scheme::standard_webhooks(),
            SECRET,
            PostgresStore::new(pool.clone()),
            Duration::from_secs(10),
        ),
        handler(&pool, &plan, "other"),
    )
    .await;
    // The client leaves: actix-web runs the handler on (axum drops it, and
    // its transaction with it). The client waits: every adapter.
    let mut cases = vec![
        (Adapter::ActixMiddleware, Client::Leaves),
        (Adapter::ActixExtractor, Client::Leaves),
    ];
    cases.extend(ADAPTERS.iter().map(|&adapter| (adapter, Client::Waits)));
    let runs: Vec<_> = cases
        .iter()
        .map(|&(adapter, client)| {
            tokio::spawn(held_case(
                pool.clone(),
                plan.clone(),
                adapter,
                client,
                other.url(),
            ))
        })
        .collect();
    let mut held = Vec::new();
    for (case, run) in cases.iter().zip(runs) {
        let (under, after, late, receiver) = run.await.unwrap();
        held.push(receiver);
        assert_eq!(
            under,
            (409, "in_flight".to_owned()),
            "{case:?}: under the hold"
        );
        assert_eq!(after.0, 200, "{case:?}: past the hold: {after:?}");
        if let Some(late) = late {
            // The handler's record failed on the fence: not a success.
            assert_eq!(late.0, 503, "{case:?}: the held attempt's answer");
        }
    }
    // The held handlers that ran on after their client left record at ~6 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while plan.fenced() < cases.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(plan.fenced(), cases.len(), "every held record was fenced");
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT event_id, replica FROM ledger")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut expected: Vec<(String, String)> = cases
        .iter()
        .map(|(adapter, client)| (format!("held-{adapter:?}-{client:?}"), "other".to_owned()))
        .collect();
    let mut rows = rows;
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected, "only the other replica's effects committed");
    // And the delivery stays processed: a copy to the other replica is a replay.
    for (adapter, client) in &cases {
        let (headers, body) = standard(&format!("held-{adapter:?}-{client:?}"), now() + 2);
        let again = receivers::attempt(&server::client(), &other.url(), &headers, &body).await;
        assert_eq!(
            again,
            (409, "replayed".to_owned()),
            "{adapter:?} {client:?}"
        );
    }
}
