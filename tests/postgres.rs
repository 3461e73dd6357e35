//! The PostgreSQL replay store and the inbox (a delivery recorded in the
//! handler's own transaction, fenced by its lease) against a real
//! PostgreSQL, a cluster of its own started by each test on a free loopback
//! port, through real servers on 127.0.0.1 and each adapter: the store's
//! contract, re-signed retries after a lost response, a copy while another
//! replica's transaction holds the delivery, a lease lost under a slow
//! handler, and the receiver process killed between its INSERT and its
//! COMMIT.
//!
//! A custom harness (libtest-mimic), as `tests/redis.rs`: without
//! PostgreSQL these tests show as **ignored**, with the install command;
//! `.ci/run` installs it and sets `HOOKWARDEN_REQUIRE_POSTGRES`.

mod common;

use common::mimic::trial;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::inbox::{self, Handler, Plan, Step};
use common::postgres::{self, Postgres};
use common::receivers::{self, payload, Adapter, ADAPTERS};
use common::server;
use hookwarden::replay::postgres::{record, RecordError};
use hookwarden::replay::{
    Claim, LeaseId, PostgresStore, ReplayKey, ReplayProtection, ReplayStore, StoreFuture,
};
use hookwarden::{Scheme, Signer, Verifier};
use libtest_mimic::Arguments;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn main() {
    if let Ok(url) = std::env::var(CHILD) {
        return child(&url);
    }
    let args = Arguments::from_args();
    let missing = postgres::missing_unless_required("the PostgreSQL tests");
    let trials = vec![
        trial("the_store_keeps_the_replay_contract", store_contract),
        trial(
            "the_store_behind_each_adapter_retries_failures_and_refuses_copies",
            store_behind_adapters,
        ),
        trial(
            "the_record_is_fenced_by_the_lease_and_aborts_the_transaction",
            record_is_fenced,
        ),
        trial(
            "a_re_signed_retry_after_a_lost_response_is_refused_once_committed",
            re_signed_retry,
        ),
        trial(
            "a_copy_meets_another_replicas_open_transaction_in_flight_within_the_timeout",
            copy_meets_open_transaction,
        ),
        trial(
            "a_lease_lost_under_a_slow_handler_lets_exactly_one_transaction_commit",
            lease_lost_under_slow_handler,
        ),
        trial(
            "a_receiver_killed_between_insert_and_commit_processes_the_retry_once",
            killed_between_insert_and_commit,
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
/// `webhook-id` is the event id: the key a re-signed retry shares).
fn standard(id: &str, at: u64) -> (http::HeaderMap, Vec<u8>) {
    let body = payload(id);
    let headers = Signer::new(Scheme::standard_webhooks(), SECRET)
        .unwrap()
        .sign_with_id(at, id, &body)
        .unwrap()
        .to_header_map();
    (headers, body)
}

fn handler(pool: &sqlx::PgPool, plan: &Plan, replica: &str) -> Handler {
    Handler {
        pool: pool.clone(),
        plan: plan.clone(),
        replica: replica.to_owned(),
    }
}

fn sw_verifier(store: PostgresStore, lease: Duration) -> Verifier {
    inbox::verifier(Scheme::standard_webhooks(), SECRET, store, lease)
}

async fn store_contract() {
    let pg = Postgres::start();
    let (_pool, store) = inbox::prepare(&pg.url()).await;
    let key = ReplayKey::new("contract", 7);
    let (a, b) = (LeaseId::new(), LeaseId::new());
    let ttl = Duration::from_secs(10);
    assert_eq!(store.claim(&key, a, ttl).await, Ok(Claim::Leased));
    assert_eq!(store.claim(&key, b, ttl).await, Ok(Claim::InFlight));
    assert_eq!(store.renew(&key, a, ttl).await, Ok(true));
    assert_eq!(store.renew(&key, b, ttl).await, Ok(false));
    // Only the holder releases; then the key is free.
    store.release(&key, b).await.unwrap();
    assert_eq!(store.claim(&key, b, ttl).await, Ok(Claim::InFlight));
    store.release(&key, a).await.unwrap();
    assert_eq!(store.claim(&key, b, ttl).await, Ok(Claim::Leased));
    store.commit(&key, b, ttl).await.unwrap();
    assert_eq!(store.claim(&key, a, ttl).await, Ok(Claim::Replayed));
    // A release never undoes a commit.
    store.release(&key, b).await.unwrap();
    assert_eq!(store.claim(&key, a, ttl).await, Ok(Claim::Replayed));
    // The lease that committed still counts as holding it; another does not.
    assert_eq!(store.renew(&key, b, ttl).await, Ok(true));
    assert_eq!(store.renew(&key, a, ttl).await, Ok(false));

    // An expired lease is free; an expired record too; the purge deletes them.
    let short = ReplayKey::new("contract", 8);
    assert_eq!(
        store.claim(&short, a, Duration::from_millis(50)).await,
        Ok(Claim::Leased)
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(
        store.claim(&short, b, Duration::from_millis(50)).await,
        Ok(Claim::Leased)
    );
    store
        .commit(&short, b, Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(store.purge_expired(100).await.unwrap(), 1);
    assert_eq!(store.claim(&short, a, ttl).await, Ok(Claim::Leased));

    // Unreachable: every call fails (503 / fail open), never hangs past the timeout.
    drop(pg);
    let replay = ReplayProtection::new(store).store_timeout(Duration::from_millis(500));
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(replay)
        .build()
        .unwrap();
    let body = payload("down");
    let headers = Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(&body)
        .to_header_map();
    let delivery = verifier.verify(&headers, &body).unwrap();
    let started = Instant::now();
    let refused = verifier.replay_protection().unwrap().claim(&delivery).await;
    assert!(
        matches!(
            refused,
            Err(hookwarden::Error::ReplayStoreUnavailable { .. })
        ),
        "{refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// The store alone (the handler records nothing itself: the layer's or the
/// ack's commit on success), shared by two replicas: a failed or panicking
/// handler's delivery is released and its retry processed; a copy of a
/// processed one is refused on the other replica.
async fn store_behind_adapters() {
    use common::receivers::{Script, Step as ScriptStep};
    let pg = Postgres::start();
    let (_pool, store) = inbox::prepare(&pg.url()).await;
    let script = Script::default();
    let mitpo = |store: &PostgresStore| {
        Verifier::builder(Scheme::mitpo())
            .secret(SECRET)
            .replay_protection(ReplayProtection::new(store.clone()))
            .build()
            .unwrap()
    };
    let client = server::client();
    for adapter in ADAPTERS {
        let a = receivers::start(adapter, mitpo(&store), script.clone()).await;
        let b = receivers::start(adapter, mitpo(&store), script.clone()).await;
        for (fault, step) in [("fail", ScriptStep::Fail), ("panic", ScriptStep::Panic)] {
            let id = format!("{fault}-{adapter:?}");
            script.plan(&id, &[step, ScriptStep::Act]);
            let body = payload(&id);
            let headers = Signer::new(Scheme::mitpo(), SECRET)
                .unwrap()
                .sign_now(&body)
                .to_header_map();
            let first = receivers::attempt(&client, &a.url(), &headers, &body).await;
            // A panic drops the connection behind axum (0), is a 500 behind actix-web.
            assert!(matches!(first.0, 0 | 500), "{id}: {first:?}");
            let retry = receivers::deliver(&client, &b.url(), &headers, &body, 20).await;
            assert!(retry.delivered, "{id}: {:?}", retry.attempts);
            let copy = receivers::attempt(&client, &a.url(), &headers, &body).await;
            assert_eq!(copy, (409, "replayed".to_owned()), "{id}");
            assert_eq!(script.processed(&id), 1, "{id}");
        }
    }
}

async fn record_is_fenced() {
    let pg = Postgres::start();
    let (pool, store) = inbox::prepare(&pg.url()).await;
    let verifier = sw_verifier(store.clone(), Duration::from_secs(10));
    let replay = verifier.replay_protection().unwrap().clone();
    let (headers, body) = standard("fenced", now());
    let delivery = verifier.verify(&headers, &body).unwrap();
    let lease = replay.claim(&delivery).await.unwrap().unwrap();
    let fence = lease.fence().clone();

    // Another lease takes the key over (as a replica would once ours expired).
    let thief = LeaseId::new();
    sqlx::query("UPDATE hookwarden_replay SET lease = $1 WHERE key = $2")
        .bind(&thief.as_u128().to_be_bytes()[..])
        .bind(fence.key().storage_name())
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO ledger (event_id, replica) VALUES ('fenced', 'late')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let lost = record(&mut tx, &fence).await;
    assert!(matches!(lost, Err(RecordError::LeaseLost)), "{lost:?}");
    assert!(fence.is_handed_over());
    // The transaction is aborted: even a commit does not keep the INSERT.
    let _ = tx.commit().await;
    assert_eq!(inbox::ledger(&pool).await.get("fenced"), None);

    // A handler that answers 2xx after its record was refused does not mark
    // the delivery processed over the replica that holds it: the lease's
    // commit became a release, which leaves the other lease's row alone.
    let (headers2, body2) = standard("refused-then-2xx", now());
    let delivery2 = verifier.verify(&headers2, &body2).unwrap();
    let lease2 = replay.claim(&delivery2).await.unwrap().unwrap();
    sqlx::query("UPDATE hookwarden_replay SET lease = $1 WHERE key = $2")
        .bind(&thief.as_u128().to_be_bytes()[..])
        .bind(lease2.fence().key().storage_name())
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let lost = record(&mut tx, lease2.fence()).await;
    assert!(matches!(lost, Err(RecordError::LeaseLost)), "{lost:?}");
    drop(tx);
    lease2.commit().await;
    let held = store
        .claim(
            &ReplayKey::new(verifier.name(), 0),
            LeaseId::new(),
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(held, Ok(Claim::Leased), "an unrelated key");
    let still = replay.claim(&delivery2).await.map(|lease| lease.is_some());
    assert!(
        matches!(still, Err(hookwarden::Error::InFlight)),
        "{still:?}"
    );

    // A fence from a verifier whose store is not this table: named as such.
    let in_memory = Verifier::builder(Scheme::standard_webhooks())
        .secret(SECRET)
        .build()
        .unwrap();
    let (headers3, body3) = standard("in-memory", now());
    let elsewhere = in_memory.verify(&headers3, &body3).unwrap();
    let memory_lease = in_memory
        .replay_protection()
        .unwrap()
        .claim(&elsewhere)
        .await;
    let memory_lease = memory_lease.unwrap().unwrap();
    let mut tx = pool.begin().await.unwrap();
    let wrong = record(&mut tx, memory_lease.fence()).await;
    assert!(matches!(wrong, Err(RecordError::NotInStore)), "{wrong:?}");
    drop(tx);

    // No fence: refused, nothing to record.
    let mut tx = pool.begin().await.unwrap();
    assert!(matches!(
        record(&mut tx, None).await,
        Err(RecordError::NoLease)
    ));
    drop(tx);

    // With the lease back, the record commits with the handler's writes, and
    // the lease's own settle (a commit) becomes a release that keeps it.
    sqlx::query("UPDATE hookwarden_replay SET lease = $1 WHERE key = $2")
        .bind(&fence.lease().as_u128().to_be_bytes()[..])
        .bind(fence.key().storage_name())
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    record(&mut tx, &fence).await.unwrap();
    assert!(fence.is_handed_over());
    // While the handler's transaction holds the record, its own renewal
    // still holds the lease, and a claim answers in flight: neither waits.
    let started = Instant::now();
    assert_eq!(
        store
            .renew(fence.key(), fence.lease(), Duration::from_secs(10))
            .await,
        Ok(true)
    );
    assert_eq!(
        store
            .claim(fence.key(), LeaseId::new(), Duration::from_secs(10))
            .await,
        Ok(Claim::InFlight)
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Rolled back, and the handler failed: its lease's release frees the
    // key for the provider's retry.
    drop(tx);
    lease.release().await;
    let copy = replay.claim(&delivery).await.unwrap().unwrap();
    let mut tx = pool.begin().await.unwrap();
    record(&mut tx, copy.fence()).await.unwrap();
    // Twice in one transaction is allowed.
    record(&mut tx, copy.fence()).await.unwrap();
    tx.commit().await.unwrap();
    // Once committed, the holder's renewal still counts the lease as held
    // (no false "lease lost"), and a later transaction cannot record again.
    assert_eq!(
        store
            .renew(
                copy.fence().key(),
                copy.fence().lease(),
                Duration::from_secs(10)
            )
            .await,
        Ok(true)
    );
    let mut tx = pool.begin().await.unwrap();
    let twice = record(&mut tx, copy.fence()).await;
    assert!(matches!(twice, Err(RecordError::LeaseLost)), "{twice:?}");
    drop(tx);
    copy.commit().await;
    let replayed = replay.claim(&delivery).await.map(|lease| lease.is_some());
    assert!(
        matches!(replayed, Err(hookwarden::Error::Replayed)),
        "{replayed:?}"
    );
}

/// The schemes whose retries are re-signed with a fresh timestamp, keyed on
/// the event's identity: Stripe (`/id`), Standard Webhooks (`webhook-id`),
/// Mittr with a key configured on `/id`.
fn re_signing_schemes() -> [Scheme; 3] {
    let mittr = Scheme::mittr()
        .into_builder()
        .replay_basis(hookwarden::scheme::ReplayBasis::json_pointer("/id"))
        .build()
        .unwrap();
    [Scheme::stripe(), Scheme::standard_webhooks(), mittr]
}

/// One attempt of event `id` signed at `at` under `scheme`.
fn attempt_of(scheme: &Scheme, id: &str, at: u64) -> (http::HeaderMap, Vec<u8>) {
    let body = payload(id);
    let signer = Signer::new(scheme.clone(), SECRET).unwrap();
    let headers = if scheme.signs_delivery_id() {
        signer.sign_with_id(at, id, &body).unwrap()
    } else {
        signer.sign(at, &body)
    };
    (headers.to_header_map(), body)
}

async fn re_signed_retry() {
    let pg = Postgres::start();
    let (pool, store) = inbox::prepare(&pg.url()).await;
    let plan = Plan::default();
    for scheme in re_signing_schemes() {
        for adapter in ADAPTERS {
            let verifier = inbox::verifier(
                scheme.clone(),
                SECRET,
                store.clone(),
                Duration::from_secs(10),
            );
            let receiver = inbox::start(adapter, verifier, handler(&pool, &plan, "a")).await;
            let id = format!("lost-{}-{adapter:?}", scheme.name());
            plan.plan(&id, &[Step::ActThenStall(Duration::from_secs(2))]);
            // The provider gives up before the answer (a proxy timeout)...
            // (cut once the handler's transaction has committed, however
            // long a loaded machine takes to get there, while it stalls
            // before answering)
            let (headers, body) = attempt_of(&scheme, &id, now() - 5);
            let (addr, h, b) = (receiver.addr, headers.clone(), body.clone());
            let first = tokio::spawn(async move {
                receivers::cut_after(addr, &h, &b, Duration::from_secs(30)).await;
            });
            let started = std::time::Instant::now();
            while !inbox::ledger(&pool).await.contains_key(&id) {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "{id}: never acted"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            first.abort();
            let _ = first.await;
            // ...and re-signs its retry: a new timestamp and signature, the same event.
            let (retry, body) = attempt_of(&scheme, &id, now());
            let sig = scheme.signature_header();
            assert_ne!(headers.get(sig), retry.get(sig), "{id}: re-signed");
            let answer =
                receivers::attempt(&server::client(), &receiver.url(), &retry, &body).await;
            assert_eq!(answer, (409, "replayed".to_owned()), "{id}");
            assert_eq!(inbox::ledger(&pool).await.get(&id), Some(&1), "{id}");
        }
    }
}

async fn copy_meets_open_transaction() {
    let pg = Postgres::start();
    let (pool, store) = inbox::prepare(&pg.url()).await;
    let plan = Plan::default();
    for adapter in ADAPTERS {
        let a = inbox::start(
            adapter,
            sw_verifier(store.clone(), Duration::from_secs(10)),
            handler(&pool, &plan, "a"),
        )
        .await;
        let b = inbox::start(
            adapter,
            sw_verifier(store.clone(), Duration::from_secs(10)),
            handler(&pool, &plan, "b"),
        )
        .await;
        let id = format!("open-{adapter:?}");
        plan.plan(&id, &[Step::RecordThenStall(Duration::from_secs(3))]);
        let (headers, body) = standard(&id, now());
        let first = receivers::spawn_attempt(a.url(), &headers, &body);
        tokio::time::sleep(Duration::from_millis(700)).await;
        // A's transaction holds the record's row: B's claim does not wait on it.
        let started = Instant::now();
        let copy = receivers::attempt(&server::client(), &b.url(), &headers, &body).await;
        let waited = started.elapsed();
        assert_eq!(copy, (409, "in_flight".to_owned()), "{adapter:?}");
        assert!(waited < Duration::from_secs(1), "{adapter:?}: {waited:?}");
        assert_eq!(first.await.unwrap().0, 200, "{adapter:?}");
        let copy = receivers::attempt(&server::client(), &b.url(), &headers, &body).await;
        assert_eq!(copy, (409, "replayed".to_owned()), "{adapter:?}");
        assert_eq!(inbox::ledger(&pool).await.get(&id), Some(&1), "{adapter:?}");
    }
}

/// A store whose renewals never reach the database (a replica paused or
/// cut off from it): its leases expire under a slow handler.
struct Unrenewed(PostgresStore);

impl ReplayStore for Unrenewed {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        self.0.claim(key, lease, ttl)
    }
    fn renew<'a>(&'a self, _: &'a ReplayKey, _: LeaseId, _: Duration) -> StoreFuture<'a, bool> {
        StoreFuture::ready(Ok(true))
    }
    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        self.0.commit(key, lease, ttl)
    }
    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        self.0.release(key, lease)
    }
}

async fn lease_lost_under_slow_handler() {
    let pg = Postgres::start();
    let (pool, store) = inbox::prepare(&pg.url()).await;
    let plan = Plan::default();
    for adapter in ADAPTERS {
        let paused = Verifier::builder(Scheme::standard_webhooks())
            .secret(SECRET)
            .replay_protection(
                ReplayProtection::new(Unrenewed(store.clone())).lease_ttl(Duration::from_secs(1)),
            )
            .build()
            .unwrap();
        let a = inbox::start(adapter, paused, handler(&pool, &plan, "a")).await;
        let b = inbox::start(
            adapter,
            sw_verifier(store.clone(), Duration::from_secs(10)),
            handler(&pool, &plan, "b"),
        )
        .await;
        let id = format!("slow-{adapter:?}");
        plan.plan(&id, &[Step::SlowAct(Duration::from_secs(3)), Step::Act]);
        let (headers, body) = standard(&id, now());
        let slow = receivers::spawn_attempt(a.url(), &headers, &body);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // A's lease expired: B takes the delivery and commits its effect.
        let taken = receivers::attempt(&server::client(), &b.url(), &headers, &body).await;
        assert_eq!(taken.0, 200, "{adapter:?}: {taken:?}");
        // A's record then fails on the fence and its transaction rolls back.
        let late = slow.await.unwrap();
        assert_eq!(late.0, 503, "{adapter:?}: {late:?}");
        assert_eq!(inbox::ledger(&pool).await.get(&id), Some(&1), "{adapter:?}");
        let replay = receivers::attempt(&server::client(), &a.url(), &headers, &body).await;
        assert_eq!(replay, (409, "replayed".to_owned()), "{adapter:?}");
    }
    assert_eq!(plan.fenced(), ADAPTERS.len());
}

/// The environment variable that makes this test binary a receiver
/// process: the database URL.
const CHILD: &str = "HOOKWARDEN_TEST_INBOX_CHILD";

/// A receiver process (the tower layer, a 1 s lease) whose handler inserts,
/// says so, and hangs with its transaction open; it prints its address.
fn child(url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (pool, store) = inbox::prepare(url).await;
        let plan = Plan::default();
        plan.by_default(Step::InsertThenHang);
        let receiver = inbox::start(
            Adapter::TowerLayer,
            sw_verifier(store, Duration::from_secs(1)),
            handler(&pool, &plan, "killed"),
        )
        .await;
        println!("listening {}", receiver.addr);
        std::future::pending::<()>().await;
    });
}

async fn killed_between_insert_and_commit() {
    use std::io::{BufRead, BufReader};
    let pg = Postgres::start();
    let (pool, store) = inbox::prepare(&pg.url()).await;
    let mut process = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, pg.url())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr: std::net::SocketAddr = line.strip_prefix("listening ").unwrap().parse().unwrap();

    let (headers, body) = standard("killed", now());
    let _sent = receivers::spawn_attempt(format!("http://{addr}/hook"), &headers, &body);
    assert_eq!(lines.next().unwrap().unwrap(), "inserted killed");
    // SIGKILL after the INSERT, before the COMMIT.
    process.kill().unwrap();
    process.wait().unwrap();

    // The provider's retry, re-signed, to another replica.
    let plan = Plan::default();
    let b = inbox::start(
        Adapter::TowerLayer,
        sw_verifier(store, Duration::from_secs(10)),
        handler(&pool, &plan, "b"),
    )
    .await;
    let (headers, body) = standard("killed", now() + 1);
    let delivered = receivers::deliver(&server::client(), &b.url(), &headers, &body, 100).await;
    assert!(delivered.delivered, "{:?}", delivered.attempts);
    let ledger: Vec<(String, String)> = sqlx::query_as("SELECT event_id, replica FROM ledger")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ledger, vec![("killed".to_owned(), "b".to_owned())]);
    let again = receivers::attempt(&server::client(), &b.url(), &headers, &body).await;
    assert_eq!(again, (409, "replayed".to_owned()));
}
