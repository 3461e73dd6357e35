//! A soak of the inbox against a real PostgreSQL: two replicas on one
//! database — the actix-web middleware in this process, and a receiver
//! **process** (this test binary re-executed) that is SIGKILLed with a
//! handler inside its transaction and respawned — while a provider sends
//! 320 events, re-signing every attempt (a new timestamp, the same
//! `webhook-id`), with lost responses, clients that go away, panics,
//! failures, bursts of copies, and one immediate PostgreSQL restart. The
//! ledger (a row each handler writes in its own transaction, recorded
//! there fenced by its lease) must show every event's effect exactly once,
//! and every event delivered.
//!
//! What each event's handlers do is chosen by a seeded RNG from the event
//! id (`HOOKWARDEN_SOAK_SEED` replays a run; the seed is printed;
//! `HOOKWARDEN_SOAK_VERBOSE` prints every event's attempts).
//!
//! A custom harness (libtest-mimic), as `tests/postgres.rs`: without
//! PostgreSQL the soak shows as **ignored**, with the install command;
//! `HOOKWARDEN_REQUIRE_POSTGRES` turns that into a failure.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::inbox::{self, Handler, Plan, Step};
use common::postgres::{self, Postgres};
use common::receivers::{self, payload, Adapter};
use common::server;
use hookwarden::replay::PostgresStore;
use hookwarden::{Scheme, Signer, Verifier};
use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::PgPool;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const EVENTS: usize = 320;
/// Every replica's lease: short, so that a killed replica's lease frees its
/// delivery within seconds.
const LEASE: Duration = Duration::from_secs(2);
/// How many times the receiver process is killed mid-handler (its first
/// generations hang, transaction open, on the kill events).
const KILLS: usize = 2;
/// The receiver process's adapter, by generation.
const CHILD_ADAPTERS: [Adapter; 3] = [
    Adapter::TowerLayer,
    Adapter::AxumExtractor,
    Adapter::ActixExtractor,
];

/// The environment variables that make this binary a receiver process:
/// the database URL, its generation, the seed.
const CHILD: &str = "HOOKWARDEN_TEST_SOAK_CHILD";
const CHILD_GENERATION: &str = "HOOKWARDEN_TEST_SOAK_GENERATION";
const SEED: &str = "HOOKWARDEN_SOAK_SEED";
/// Set, every event's attempts are printed.
const VERBOSE: &str = "HOOKWARDEN_SOAK_VERBOSE";

fn main() {
    if let Ok(url) = std::env::var(CHILD) {
        return child(&url);
    }
    let args = Arguments::from_args();
    let missing = postgres::missing_unless_required("the PostgreSQL soak tests");
    let trials = vec![Trial::test(
        "soak_two_replicas_a_killed_process_and_a_restart_commit_each_effect_once",
        || {
            runtime()
                .map_err(|e| Failed::from(e.to_string()))?
                .block_on(soak());
            Ok(())
        },
    )
    .with_ignored_flag(missing.is_some())];
    libtest_mimic::run(&args, trials).exit();
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn seed() -> u64 {
    match std::env::var(SEED) {
        Ok(seed) => seed.parse().expect("HOOKWARDEN_SOAK_SEED is a number"),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

/// A Standard Webhooks delivery of event `id`, signed at `at`.
fn standard(id: &str, at: u64) -> (http::HeaderMap, Vec<u8>) {
    let body = payload(id);
    let headers = Signer::new(Scheme::standard_webhooks(), SECRET)
        .unwrap()
        .sign_with_id(at, id, &body)
        .unwrap()
        .to_header_map();
    (headers, body)
}

/// What an event goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    /// Processed at the first attempt.
    Plain,
    /// Each replica's handler panics on its first attempt (transaction open).
    Panic,
    /// Each replica's handler fails, then panics, then acts.
    FailThenPanic,
    /// The handler commits, then stalls its answer; the provider gives up
    /// at 300 ms (a lost response) and retries.
    Lost,
    /// The handler holds its transaction 300 ms; the provider goes away at
    /// 100 ms (axum drops the handler, actix-web runs it on).
    Cut,
    /// Four copies at once, to both replicas.
    Burst,
    /// Sent first to the receiver process, which hangs after its INSERT
    /// (its first generations): SIGKILLed there.
    Kill,
}

/// splitmix64.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The class of event `i` (id `e<i>`), from the seed and the id.
fn class(seed: u64, i: usize) -> Class {
    if i % 64 == 20 {
        return Class::Kill;
    }
    let id = format!("e{i}");
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    match mix(seed ^ hash) % 100 {
        0..=44 => Class::Plain,
        45..=56 => Class::Panic,
        57..=66 => Class::FailThenPanic,
        67..=78 => Class::Lost,
        79..=89 => Class::Cut,
        _ => Class::Burst,
    }
}

/// A replica's plan: the same for both, but the kill events hang only in
/// a receiver process of the first generations.
fn plan(seed: u64, hang: bool) -> Plan {
    let plan = Plan::default();
    for i in 0..EVENTS {
        let id = format!("e{i}");
        match class(seed, i) {
            Class::Plain => {}
            Class::Panic => plan.plan(&id, &[Step::Panic]),
            Class::FailThenPanic => plan.plan(&id, &[Step::Fail, Step::Panic]),
            Class::Lost => plan.plan(&id, &[Step::ActThenStall(Duration::from_millis(800))]),
            Class::Cut => plan.plan(&id, &[Step::SlowAct(Duration::from_millis(300))]),
            Class::Burst => plan.plan(&id, &[Step::SlowAct(Duration::from_millis(150))]),
            Class::Kill if hang => plan.plan(&id, &[Step::InsertThenHang]),
            Class::Kill => {}
        }
    }
    plan
}

fn verifier(store: PostgresStore) -> Verifier {
    inbox::verifier(Scheme::standard_webhooks(), SECRET, store, LEASE)
}

/// A pool of 16 on `url`, retried for up to 30 s (a receiver process may be
/// respawned while PostgreSQL restarts), with the schema applied.
async fn connect(url: &str) -> PgPool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(2))
            .connect(url)
            .await;
        let ready = match pool {
            Ok(pool) => {
                let store = PostgresStore::new(pool.clone());
                match store.migrate().await {
                    Ok(()) => sqlx::raw_sql(inbox::LEDGER)
                        .execute(&pool)
                        .await
                        .map(|_| pool),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        match ready {
            Ok(pool) => return pool,
            Err(e) if Instant::now() > deadline => panic!("PostgreSQL unreachable: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The receiver process: its generation's adapter and plan; prints its
/// address, then `inserted <id>` from a hanging handler; exits when its
/// stdin closes (the test process gone).
fn child(url: &str) {
    let generation: usize = std::env::var(CHILD_GENERATION).unwrap().parse().unwrap();
    let seed: u64 = std::env::var(SEED).unwrap().parse().unwrap();
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    runtime().unwrap().block_on(async {
        let pool = connect(url).await;
        let plan = plan(seed, generation < KILLS);
        let receiver = inbox::start(
            CHILD_ADAPTERS[generation % CHILD_ADAPTERS.len()],
            verifier(PostgresStore::new(pool.clone())),
            Handler {
                pool,
                plan,
                replica: format!("process-{generation}"),
            },
        )
        .await;
        println!("listening {}", receiver.addr);
        std::future::pending::<()>().await;
    });
}

/// A receiver process and its stdout's lines; SIGKILLed when dropped.
struct Process {
    process: std::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Process {
    /// Spawns generation `generation` and waits for its address.
    async fn spawn(url: &str, generation: usize, seed: u64) -> (Process, SocketAddr) {
        let mut process = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, url)
            .env(CHILD_GENERATION, generation.to_string())
            .env(SEED, seed.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let (send, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = Process { process, lines };
        let line = tokio::time::timeout(Duration::from_secs(40), process.lines.recv())
            .await
            .expect("the receiver process starts")
            .expect("the receiver process prints its address");
        let addr = line
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("{line:?}"))
            .parse()
            .unwrap();
        (process, addr)
    }

    fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The two replicas' addresses: this process's, and the receiver process's
/// current generation's.
type Addrs = Arc<RwLock<[SocketAddr; 2]>>;

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/hook")
}

/// What the provider saw for one event.
#[derive(Debug)]
struct Provided {
    id: String,
    class: Class,
    /// Every answer, copies and abandoned attempts included (status 0: none).
    attempts: Vec<(u16, String)>,
    delivered: bool,
    took: Duration,
}

/// The provider's side of event `i`: its class's opening (a lost response,
/// a client that goes away, a burst, or the receiver process first), then
/// attempts re-signed each time, alternating replicas, until delivered.
async fn provide(i: usize, class: Class, addrs: Addrs) -> Provided {
    let started = Instant::now();
    let id = format!("e{i}");
    let client = server::client();
    let mut attempts = Vec::new();
    let addr = |n: usize| addrs.read().unwrap()[n % 2];
    let mut first = i;
    match class {
        Class::Lost | Class::Cut => {
            let wait = if class == Class::Lost { 300 } else { 100 };
            let (headers, body) = standard(&id, now());
            receivers::cut_after(addr(i), &headers, &body, Duration::from_millis(wait)).await;
            attempts.push((0, "gave up".to_owned()));
            first += 1;
        }
        Class::Burst => {
            let copies: Vec<_> = (0..4)
                .map(|n| {
                    let (headers, body) = standard(&id, now() + n as u64);
                    receivers::spawn_attempt(url(addr(i + n)), &headers, &body)
                })
                .collect();
            for copy in copies {
                attempts.push(copy.await.unwrap());
            }
        }
        Class::Kill => first = 1,
        _ => {}
    }
    for n in 0..400 {
        let (headers, body) = standard(&id, now() + (n % 30) as u64);
        let (status, code) =
            receivers::attempt(&client, &url(addr(first + n)), &headers, &body).await;
        let delivered = (200..300).contains(&status) || (status == 409 && code == "replayed");
        let retry = status == 0 || status >= 500 || (status == 409 && code == "in_flight");
        attempts.push((status, code));
        if delivered || !retry {
            return Provided {
                id,
                class,
                attempts,
                delivered,
                took: started.elapsed(),
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Provided {
        id,
        class,
        attempts,
        delivered: false,
        took: started.elapsed(),
    }
}

async fn soak() {
    let started = Instant::now();
    let seed = seed();
    println!("soak seed {seed} ({SEED}={seed} replays it)");
    let pg = Postgres::start();
    let db = pg.url();
    let pg = Arc::new(Mutex::new(pg));
    let pool = connect(&db).await;

    // This process's replica: the actix-web middleware.
    let here = inbox::start(
        Adapter::ActixMiddleware,
        verifier(PostgresStore::new(pool.clone())),
        Handler {
            pool: pool.clone(),
            plan: plan(seed, false),
            replica: "in-process".to_owned(),
        },
    )
    .await;
    let (process, there) = Process::spawn(&db, 0, seed).await;
    let addrs: Addrs = Arc::new(RwLock::new([here.addr, there]));

    // The supervisor: a receiver process that says it hangs after its
    // INSERT is SIGKILLed there, and the next generation spawned.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let supervisor = {
        let (db, addrs) = (db.clone(), addrs.clone());
        tokio::spawn(async move {
            let mut process = process;
            let mut killed = Vec::new();
            loop {
                tokio::select! {
                    line = process.lines.recv() => {
                        let line = line.expect("the receiver process exited by itself");
                        let Some(id) = line.strip_prefix("inserted ") else { continue };
                        process.kill();
                        killed.push(id.to_owned());
                        let (next, addr) = Process::spawn(&db, killed.len(), seed).await;
                        process = next;
                        addrs.write().unwrap()[1] = addr;
                    }
                    _ = &mut stopped => return (process, killed),
                }
            }
        })
    };

    // PostgreSQL crashes and restarts (down 500 ms) once half the events
    // are delivered.
    let delivered = Arc::new(AtomicUsize::new(0));
    let restarter = {
        let (pg, delivered) = (pg.clone(), delivered.clone());
        tokio::spawn(async move {
            while delivered.load(Ordering::SeqCst) < EVENTS / 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let at = Instant::now();
            tokio::task::spawn_blocking(move || {
                pg.lock().unwrap().restart_after(Duration::from_millis(500))
            })
            .await
            .unwrap();
            at.elapsed()
        })
    };

    let limit = Arc::new(tokio::sync::Semaphore::new(24));
    let mut tasks = Vec::new();
    for i in 0..EVENTS {
        let (addrs, limit, delivered) = (addrs.clone(), limit.clone(), delivered.clone());
        let class = class(seed, i);
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let provided = provide(i, class, addrs).await;
            delivered.fetch_add(1, Ordering::SeqCst);
            provided
        }));
    }
    let mut attempts = 0;
    let mut slowest = (Duration::ZERO, String::new());
    let mut answers: HashMap<String, usize> = HashMap::new();
    let mut classes: HashMap<Class, usize> = HashMap::new();
    for task in tasks {
        let provided = task.await.unwrap();
        if std::env::var_os(VERBOSE).is_some() {
            println!(
                "{} {:?} in {:?}: {:?}",
                provided.id, provided.class, provided.took, provided.attempts
            );
        }
        assert!(provided.delivered, "{provided:?}");
        attempts += provided.attempts.len();
        *classes.entry(provided.class).or_default() += 1;
        for (status, code) in &provided.attempts {
            *answers.entry(format!("{status} {code}")).or_default() += 1;
        }
        if provided.took > slowest.0 {
            slowest = (provided.took, provided.id.clone());
        }
    }
    let down = restarter.await.unwrap();
    stop.send(()).unwrap();
    let (process, killed) = supervisor.await.unwrap();

    // Every effect committed exactly once, whoever processed it.
    let ledger = inbox::ledger(&pool).await;
    let wrong: Vec<_> = (0..EVENTS)
        .map(|i| format!("e{i}"))
        .filter(|id| ledger.get(id) != Some(&1))
        .map(|id| {
            let count = ledger.get(&id).copied();
            (id, count)
        })
        .collect();
    assert!(wrong.is_empty(), "not exactly once: {wrong:?}");
    assert_eq!(ledger.len(), EVENTS, "stray effects");
    // No replay accepted afterwards, by either replica.
    let client = server::client();
    let now_addrs = *addrs.read().unwrap();
    for i in 0..EVENTS {
        let id = format!("e{i}");
        for addr in now_addrs {
            let (headers, body) = standard(&id, now() + 40);
            let again = receivers::attempt(&client, &url(addr), &headers, &body).await;
            assert_eq!(again, (409, "replayed".to_owned()), "{id} at {addr}");
        }
    }
    let by_replica: Vec<(String, i64)> =
        sqlx::query_as("SELECT replica, count(*) FROM ledger GROUP BY replica ORDER BY replica")
            .fetch_all(&pool)
            .await
            .unwrap();
    drop(process);
    let elapsed = started.elapsed();

    let mut answers: Vec<_> = answers.into_iter().collect();
    answers.sort();
    let mut classes: Vec<_> = classes.into_iter().collect();
    classes.sort_by_key(|c| format!("{:?}", c.0));
    println!(
        "soak: {EVENTS} events, {attempts} attempts, {} kill(s) of the receiver process (mid-handler on {killed:?}), \
         1 PostgreSQL restart ({down:?} down and back), in {elapsed:?} (slowest event {} in {:?})",
        killed.len(),
        slowest.1,
        slowest.0,
    );
    println!("soak: classes {classes:?}");
    println!("soak: answers {answers:?}");
    println!("soak: effects by replica {by_replica:?}");
    assert!(!killed.is_empty(), "the receiver process was never killed");
    let unavailable = answers
        .iter()
        .filter(|(answer, _)| answer.ends_with("replay_store_unavailable"))
        .map(|(_, n)| n)
        .sum::<usize>();
    assert!(unavailable > 0, "the restart hit no delivery in flight");
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}
