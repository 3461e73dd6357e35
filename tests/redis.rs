//! Replay protection shared through a real `redis-server`, started by these
//! tests on a free loopback port: replicas agreeing, copies in flight, an
//! outage (fail closed or open), a reply slower than the timeout, a restart
//! mid-flight, and a fault-injection soak.
//!
//! A custom harness (libtest-mimic), so that a machine without
//! `redis-server` shows these tests as **ignored** in the summary rather
//! than passed; `.ci/run` installs it and sets `HOOKWARDEN_REQUIRE_REDIS`, which
//! turns a missing server into a failure.

mod common;

use common::mimic::trial;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::proxy::DelayProxy;
use common::receivers::{self, deliver, payload, Adapter, Script, Step};
use common::redis_server::{self, RedisServer};
use common::server;
use hookwarden::replay::{RedisStore, ReplayProtection};
use hookwarden::{Scheme, Signer, Verifier};
use libtest_mimic::Arguments;

const SECRET: &str = "whsec_redis_secret";

fn main() {
    let args = Arguments::from_args();
    let available = redis_server::available();
    if !available && std::env::var_os("HOOKWARDEN_REQUIRE_REDIS").is_some() {
        eprintln!("redis-server is required here (HOOKWARDEN_REQUIRE_REDIS) but cannot be run");
        std::process::exit(1);
    }
    if !available {
        println!("redis-server is not installed: the Redis tests are ignored (apt-get install -y redis-server)");
    }
    let trials = vec![
        trial(
            "replicas_share_records_and_a_failed_delivery_is_retried",
            replicas_share_records,
        ),
        trial(
            "a_hundred_copies_across_replicas_are_processed_once",
            a_hundred_copies,
        ),
        trial(
            "an_outage_fails_closed_or_open_and_recovery_needs_no_restart",
            outage,
        ),
        trial(
            "a_reply_slower_than_the_timeout_does_not_block_the_retry",
            late_reply,
        ),
        trial("a_restart_mid_flight_loses_no_commit", restart_mid_flight),
        trial(
            "soak_two_replicas_faults_and_a_restart_process_each_delivery_once",
            soak,
        ),
        trial(
            "ttls_too_long_for_redis_are_clamped_not_refused",
            longest_ttls,
        ),
    ];
    let trials = trials
        .into_iter()
        .map(|t| t.with_ignored_flag(!available))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn verifier(url: &str, prefix: &str, fail_open: bool) -> Verifier {
    let store = RedisStore::new(url).unwrap().prefix(prefix);
    Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::new(store).fail_open(fail_open))
        .build()
        .unwrap()
}

fn signed(body: &[u8]) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

async fn replicas_share_records() {
    let redis = RedisServer::start();
    let script = Script::default();
    let a = receivers::start(
        Adapter::TowerLayer,
        verifier(&redis.url(), "t1:", false),
        script.clone(),
    )
    .await;
    let b = receivers::start(
        Adapter::ActixMiddleware,
        verifier(&redis.url(), "t1:", false),
        script.clone(),
    )
    .await;
    let client = server::client();

    // Processed on one replica: a replay to the other is refused.
    let body = payload("r1");
    assert_eq!(
        receivers::attempt(&client, &b.url(), &signed(&body), &body)
            .await
            .0,
        200
    );
    let replay = receivers::attempt(&client, &a.url(), &signed(&body), &body).await;
    assert_eq!(replay, (409, "replayed".to_owned()));

    // Failed on one replica: the retry on the other is processed.
    let body = payload("r2");
    script.plan("r2", &[Step::Fail]);
    assert_eq!(
        receivers::attempt(&client, &a.url(), &signed(&body), &body)
            .await
            .0,
        500
    );
    assert_eq!(
        receivers::attempt(&client, &b.url(), &signed(&body), &body)
            .await
            .0,
        200
    );
    assert_eq!(
        receivers::attempt(&client, &a.url(), &signed(&body), &body).await,
        (409, "replayed".to_owned())
    );
    assert_eq!((script.processed("r1"), script.processed("r2")), (1, 1));
}

/// `Duration::MAX` TTLs: Redis refuses an expiry beyond `i64` milliseconds,
/// so they are clamped (100 years) rather than failing every call.
async fn longest_ttls() {
    let redis = RedisServer::start();
    let store = RedisStore::new(&redis.url()).unwrap().prefix("t7:");
    let replay = ReplayProtection::new(store)
        .lease_ttl(Duration::MAX)
        .record_ttl(Duration::MAX);
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(replay)
        .build()
        .unwrap();
    let body = payload("forever");
    let delivery = verifier.verify(&signed(&body), &body).unwrap();
    let bound = verifier.replay_protection().unwrap();
    let lease = bound.claim(&delivery).await.unwrap().expect("claimed");
    lease.commit().await;
    let again = bound.claim(&delivery).await.map(|lease| lease.is_some());
    assert_eq!(again, Err(hookwarden::Error::Replayed));
}

async fn a_hundred_copies() {
    let redis = RedisServer::start();
    let script = Script::default();
    script.by_default(Step::SlowAct(Duration::from_millis(800)));
    let replicas = [
        receivers::start(
            Adapter::TowerLayer,
            verifier(&redis.url(), "t2:", false),
            script.clone(),
        )
        .await,
        receivers::start(
            Adapter::ActixMiddleware,
            verifier(&redis.url(), "t2:", false),
            script.clone(),
        )
        .await,
    ];
    let body = payload("burst");
    let headers = signed(&body);
    let urls = [replicas[0].url(), replicas[1].url()];
    let answers = receivers::burst(&urls, &headers, &body, 100).await;
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let in_flight = answers.iter().filter(|a| a.1 == "in_flight").count();
    assert_eq!((ok, in_flight), (1, 99), "{answers:?}");
    let again = receivers::attempt(&server::client(), &replicas[0].url(), &headers, &body).await;
    assert_eq!(again, (409, "replayed".to_owned()));
    assert_eq!(script.processed("burst"), 1);
}

async fn outage() {
    let mut redis = RedisServer::start();
    let script = Script::default();
    let closed = receivers::start(
        Adapter::TowerLayer,
        verifier(&redis.url(), "t3:", false),
        script.clone(),
    )
    .await;
    let open = receivers::start(
        Adapter::TowerLayer,
        verifier(&redis.url(), "t3:", true),
        script.clone(),
    )
    .await;
    let client = server::client();
    let before = payload("before");
    assert_eq!(
        receivers::attempt(&client, &closed.url(), &signed(&before), &before)
            .await
            .0,
        200
    );

    redis.kill();
    let during = payload("during");
    let reply = server::post(&client, &closed.url(), &signed(&during), during.clone()).await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (503, "replay_store_unavailable")
    );
    assert_eq!(reply.headers["retry-after"], "5");
    let open_body = payload("during-open");
    let reply = receivers::attempt(&client, &open.url(), &signed(&open_body), &open_body).await;
    assert_eq!(reply.0, 200, "fail-open processes unprotected");

    // Redis comes back on the same port: the same app recovers by itself.
    redis.restart();
    let started = Instant::now();
    let outcome = deliver(&client, &closed.url(), &signed(&during), &during, 100).await;
    assert!(outcome.delivered, "{outcome:?}");
    println!(
        "recovered after {:?} and {} attempt(s)",
        started.elapsed(),
        outcome.attempts.len()
    );
    let again = receivers::attempt(&client, &closed.url(), &signed(&during), &during).await;
    assert_eq!(
        again,
        (409, "replayed".to_owned()),
        "replay protection is back"
    );
}

async fn late_reply() {
    let redis = RedisServer::start();
    let proxy = DelayProxy::start(([127, 0, 0, 1], redis.port).into()).await;
    let script = Script::default();
    for adapter in [Adapter::TowerLayer, Adapter::ActixMiddleware] {
        let prefix = format!("t4-{adapter:?}:");
        let receiver = receivers::start(
            adapter,
            verifier(&proxy.url(), &prefix, false),
            script.clone(),
        )
        .await;
        let client = server::client();
        let id = format!("late-{adapter:?}");
        let body = payload(&id);
        // Warm the connection, then hold Redis's next answer back past the
        // store's 1 s response timeout: the claim lands, its answer does not.
        let warm = payload(&format!("warm-{adapter:?}"));
        assert_eq!(
            receivers::attempt(&client, &receiver.url(), &signed(&warm), &warm)
                .await
                .0,
            200
        );
        proxy.delay_next_answer(Duration::from_millis(1500));
        let first = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(
            first,
            (503, "replay_store_unavailable".to_owned()),
            "{adapter:?}"
        );
        // The claim was undone: the retry is processed within moments, not
        // after the 10 s lease would have expired.
        let started = Instant::now();
        let outcome = deliver(&client, &receiver.url(), &signed(&body), &body, 100).await;
        assert!(outcome.delivered, "{adapter:?} {outcome:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{adapter:?} {:?}",
            started.elapsed()
        );
        assert_eq!(script.processed(&id), 1);
    }
}

async fn restart_mid_flight() {
    let mut redis = RedisServer::start_persistent();
    let script = Script::default();
    script.plan("mid-flight", &[Step::SlowAct(Duration::from_millis(1500))]);
    let receiver = receivers::start(
        Adapter::TowerLayer,
        verifier(&redis.url(), "t5:", false),
        script.clone(),
    )
    .await;
    let body = payload("mid-flight");
    let headers = signed(&body);
    let first = receivers::spawn_attempt(receiver.url(), &headers, &body);
    // Redis crashes and comes back (with its append-only file) while the
    // handler runs: the hold survives, and the commit lands afterwards.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _redis = tokio::task::spawn_blocking(move || {
        redis.restart();
        redis
    })
    .await
    .unwrap();
    assert_eq!(first.await.unwrap().0, 200);
    let client = server::client();
    let outcome = deliver(&client, &receiver.url(), &headers, &body, 100).await;
    assert!(outcome.delivered, "{outcome:?}");
    assert_eq!(
        outcome.attempts.last().unwrap(),
        &(409, "replayed".to_owned())
    );
    assert_eq!(script.processed("mid-flight"), 1);
}

/// Two replicas (the tower layer and the actix-web middleware) share one
/// Redis with persistence on. A provider sends 320 deliveries and re-sends
/// each until it is delivered (a 2xx, or 409 `replayed`), while faults are
/// injected: handlers that panic before acting, clients that go away while
/// the handler runs, handlers that fail, duplicate bursts, and a Redis
/// crash and restart. The handlers keep a ledger: every delivery processed
/// exactly once, and no replay accepted afterwards.
async fn soak() {
    const DELIVERIES: usize = 320;
    let started = Instant::now();
    let redis = Arc::new(tokio::sync::Mutex::new(RedisServer::start_persistent()));
    let url = redis.lock().await.url();
    let script = Script::default();
    let replicas = Arc::new([
        receivers::start(
            Adapter::TowerLayer,
            verifier(&url, "soak:", false),
            script.clone(),
        )
        .await,
        receivers::start(
            Adapter::ActixMiddleware,
            verifier(&url, "soak:", false),
            script.clone(),
        )
        .await,
    ]);
    let slow = Step::SlowAct(Duration::from_millis(300));
    for i in 0..DELIVERIES {
        let id = format!("d{i}");
        match i % 8 {
            0 => script.plan(&id, &[Step::Panic]),
            1 => script.plan(&id, &[slow]), // its first client goes away
            2 => script.plan(&id, &[Step::Fail, Step::Panic]),
            3 => script.plan(&id, &[slow]), // a burst of copies
            _ => {}
        }
    }
    // Redis crashes and restarts once a third of the deliveries are processed.
    let restarter = {
        let (redis, script) = (redis.clone(), script.clone());
        tokio::spawn(async move {
            while script.ledger().len() < DELIVERIES / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut redis = redis.lock_owned().await;
            let down = Duration::from_millis(500);
            tokio::task::spawn_blocking(move || redis.restart_after(down))
                .await
                .unwrap();
        })
    };
    let limit = Arc::new(tokio::sync::Semaphore::new(24));
    let mut tasks = Vec::new();
    for i in 0..DELIVERIES {
        let (replicas, limit) = (replicas.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            provide(i, &replicas).await
        }));
    }
    let (mut unavailable, mut slowest) = (0, Duration::ZERO);
    for task in tasks {
        let (outcome, took) = task.await.unwrap();
        assert!(outcome.delivered, "{outcome:?}");
        unavailable += outcome.attempts.iter().filter(|a| a.0 == 503).count();
        slowest = slowest.max(took);
    }
    // Nothing waited for a lease to expire (10 s): holds were released.
    assert!(
        slowest < Duration::from_secs(8),
        "a delivery took {slowest:?}"
    );
    restarter.await.unwrap();
    assert!(unavailable > 0, "the restart hit no delivery in flight");

    let ledger = script.ledger();
    for i in 0..DELIVERIES {
        assert_eq!(ledger.get(&format!("d{i}")), Some(&1), "d{i} in {ledger:?}");
    }
    // No replay is accepted: every delivery again, to either replica.
    let client = server::client();
    for i in 0..DELIVERIES {
        let body = payload(&format!("d{i}"));
        let answer =
            receivers::attempt(&client, &replicas[i % 2].url(), &signed(&body), &body).await;
        assert_eq!(answer, (409, "replayed".to_owned()), "d{i}");
    }
    assert_eq!(script.ledger(), ledger);
    let elapsed = started.elapsed();
    println!(
        "soak: {DELIVERIES} deliveries in {elapsed:?} (slowest {slowest:?}), {unavailable} answers 503 during the restart"
    );
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}

/// The provider's side of one soak delivery, and how long it took.
async fn provide(
    i: usize,
    replicas: &[receivers::Receiver; 2],
) -> (receivers::Delivered, Duration) {
    let started = Instant::now();
    let body = payload(&format!("d{i}"));
    let headers = signed(&body);
    let client = server::client();
    let url = |n: usize| replicas[(i + n) % 2].url();
    match i % 8 {
        1 => {
            // Sends the whole request, then goes away while the handler runs.
            receivers::cut_after(
                replicas[i % 2].addr,
                &headers,
                &body,
                Duration::from_millis(80),
            )
            .await;
        }
        3 => {
            // A burst: copies to both replicas at once.
            let urls: Vec<String> = (0..4).map(url).collect();
            receivers::burst(&urls, &headers, &body, 4).await;
        }
        _ => {}
    }
    let outcome = deliver(&client, &url(1), &headers, &body, 400).await;
    (outcome, started.elapsed())
}
