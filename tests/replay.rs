//! Replay protection under faults, through all four adapters (the tower
//! layer, the axum extractor, the actix-web middleware and the actix-web
//! extractor) on real servers: every delivery processed at least once
//! whatever the handler or the client does, a processed one never twice,
//! copies in flight told to come back.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use common::receivers::{self, deliver, payload, Adapter, Script, Step, ADAPTERS};
use common::server;
use hookwarden::replay::{
    Claim, LeaseId, MemoryStore, ReplayKey, ReplayProtection, ReplayStore, StoreError, StoreFuture,
};
use hookwarden::{ConfigError, Scheme, Signer, Verifier};

const SECRET: &str = "whsec_replay_secret";

fn mitpo(replay: ReplayProtection) -> Verifier {
    Verifier::builder(Scheme::mitpo())
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

#[tokio::test]
async fn a_panicking_handlers_delivery_is_processed_on_retry() {
    for adapter in ADAPTERS {
        let script = Script::default();
        let receiver = receivers::start(
            adapter,
            mitpo(ReplayProtection::in_memory()),
            script.clone(),
        )
        .await;
        let client = server::client();
        let body = payload("panics-once");
        script.plan("panics-once", &[Step::Panic, Step::Panic]);
        let outcome = deliver(&client, &receiver.url(), &signed(&body), &body, 20).await;
        assert!(outcome.delivered, "{adapter:?}: {outcome:?}");
        assert_eq!(
            script.processed("panics-once"),
            1,
            "{adapter:?}: {outcome:?}"
        );
        assert_eq!(script.calls(), 3, "{adapter:?}: {outcome:?}");
        // Processed: a replay is refused and never reaches the handler.
        let replay = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(replay, (409, "replayed".to_owned()), "{adapter:?}");
        assert_eq!(script.calls(), 3, "{adapter:?}");
    }
}

#[tokio::test]
async fn a_failed_handlers_delivery_is_processed_on_retry() {
    for adapter in ADAPTERS {
        let script = Script::default();
        let receiver = receivers::start(
            adapter,
            mitpo(ReplayProtection::in_memory()),
            script.clone(),
        )
        .await;
        let client = server::client();
        let body = payload("fails-twice");
        script.plan("fails-twice", &[Step::Fail, Step::Fail]);
        let outcome = deliver(&client, &receiver.url(), &signed(&body), &body, 20).await;
        let statuses: Vec<u16> = outcome.attempts.iter().map(|a| a.0).collect();
        assert_eq!(statuses, [500, 500, 200], "{adapter:?}");
        assert_eq!(script.processed("fails-twice"), 1);
    }
}

#[tokio::test]
async fn a_client_gone_while_the_handler_runs_then_retrying_is_processed_once() {
    for adapter in ADAPTERS {
        let script = Script::default();
        let receiver = receivers::start(
            adapter,
            mitpo(ReplayProtection::in_memory()),
            script.clone(),
        )
        .await;
        let body = payload("client-gone");
        let headers = signed(&body);
        script.plan("client-gone", &[Step::SlowAct(Duration::from_millis(400))]);
        // The client sends the whole request, then goes away mid-handler.
        receivers::cut_after(receiver.addr, &headers, &body, Duration::from_millis(100)).await;
        // The provider retries the same signed request until it is delivered.
        let client = server::client();
        let outcome = deliver(&client, &receiver.url(), &headers, &body, 40).await;
        assert!(outcome.delivered, "{adapter:?}: {outcome:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            script.processed("client-gone"),
            1,
            "{adapter:?}: processed once, whether the framework cancelled the first handler or let it finish: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn six_copies_across_two_replicas_are_processed_once_the_others_told_in_flight() {
    for adapter in ADAPTERS {
        let store = Arc::new(MemoryStore::new(1000));
        let script = Script::default();
        script.by_default(Step::SlowAct(Duration::from_millis(600)));
        let replicas = [
            receivers::start(
                adapter,
                mitpo(ReplayProtection::from_arc(store.clone())),
                script.clone(),
            )
            .await,
            receivers::start(
                adapter,
                mitpo(ReplayProtection::from_arc(store.clone())),
                script.clone(),
            )
            .await,
        ];
        let body = payload("burst");
        let headers = signed(&body);
        let urls = [replicas[0].url(), replicas[1].url()];
        let mut answers = receivers::burst(&urls, &headers, &body, 6).await;
        answers.sort();
        let ok = answers.iter().filter(|a| a.0 == 200).count();
        let in_flight = answers
            .iter()
            .filter(|a| **a == (409, "in_flight".to_owned()))
            .count();
        assert_eq!((ok, in_flight), (1, 5), "{adapter:?}: {answers:?}");
        assert_eq!(script.processed("burst"), 1);
        let again =
            receivers::attempt(&server::client(), &replicas[1].url(), &headers, &body).await;
        assert_eq!(again, (409, "replayed".to_owned()), "{adapter:?}");
    }
}

#[tokio::test]
async fn in_flight_answers_say_when_to_retry() {
    let script = Script::default();
    script.by_default(Step::SlowAct(Duration::from_millis(500)));
    let receiver = receivers::start(
        Adapter::TowerLayer,
        mitpo(ReplayProtection::in_memory()),
        script,
    )
    .await;
    let body = payload("retry-after");
    let headers = signed(&body);
    let first = receivers::spawn_attempt(receiver.url(), &headers, &body);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let copy = server::post(&server::client(), &receiver.url(), &headers, body.clone()).await;
    assert_eq!((copy.status, copy.code().as_str()), (409, "in_flight"));
    assert_eq!(copy.headers["retry-after"], "2");
    assert_eq!(first.await.unwrap().0, 200);
    let replay = server::post(&server::client(), &receiver.url(), &headers, body).await;
    assert_eq!((replay.status, replay.code().as_str()), (409, "replayed"));
    assert!(
        replay.headers.get("retry-after").is_none(),
        "replayed is final"
    );
}

/// Mittr with a rotation in progress: the provider signs with both secrets.
fn rotation_headers(body: &[u8], ts: u64, entries: &[&str]) -> http::HeaderMap {
    let mut headers = Signer::new(Scheme::mittr(), "new-secret")
        .unwrap()
        .sign(ts, body)
        .to_header_map();
    let hex = |secret: &str| {
        hex::encode(
            Signer::new(Scheme::mittr(), secret)
                .unwrap()
                .digest(ts, body),
        )
    };
    let value: Vec<String> = entries
        .iter()
        .map(|e| match *e {
            "new" => format!("v1={}", hex("new-secret")),
            "old" => format!("v1={}", hex("old-secret")),
            "OLD" => format!("v1={}", hex("old-secret").to_uppercase()),
            other => other.to_owned(),
        })
        .collect();
    headers.insert("x-mittr-signature", value.join(",").parse().unwrap());
    headers
}

#[tokio::test]
async fn a_replay_carrying_a_subset_of_the_rotation_entries_is_refused() {
    for adapter in ADAPTERS {
        let store = Arc::new(MemoryStore::new(1000));
        let verifier = |secrets: &[&str]| {
            Verifier::builder(Scheme::mittr())
                .secrets(secrets.iter().copied())
                .replay_protection(ReplayProtection::from_arc(store.clone()))
                .build()
                .unwrap()
        };
        // Replicas mid-rotation: in either order, and one that only knows the old secret.
        let script = Script::default();
        let replicas = [
            receivers::start(
                adapter,
                verifier(&["new-secret", "old-secret"]),
                script.clone(),
            )
            .await,
            receivers::start(
                adapter,
                verifier(&["old-secret", "new-secret"]),
                script.clone(),
            )
            .await,
            receivers::start(adapter, verifier(&["old-secret"]), script.clone()).await,
        ];
        let body = payload("rotated");
        let ts = hookwarden::time::unix_seconds(std::time::SystemTime::now());
        let client = server::client();
        let original = rotation_headers(&body, ts, &["new", "old"]);
        let first = receivers::attempt(&client, &replicas[0].url(), &original, &body).await;
        assert_eq!(first.0, 200, "{adapter:?}");
        for entries in [
            &["old"][..],
            &["new"],
            &["OLD"],
            &["old", "new"],
            &["v2=zz", "old"],
        ] {
            for (i, replica) in replicas.iter().enumerate() {
                let replay = rotation_headers(&body, ts, entries);
                let answer = receivers::attempt(&client, &replica.url(), &replay, &body).await;
                let knows_an_entry = i < 2 || entries.iter().any(|e| e.eq_ignore_ascii_case("old"));
                let expected = if knows_an_entry {
                    (409, "replayed".to_owned())
                } else {
                    (401, "signature_mismatch".to_owned()) // the old-only replica cannot check `new`
                };
                assert_eq!(answer, expected, "{adapter:?} replica {i} {entries:?}");
            }
        }
        assert_eq!(script.processed("rotated"), 1);
    }
}

#[tokio::test]
async fn endpoints_sharing_a_store_are_kept_apart_by_their_names() {
    let store = Arc::new(MemoryStore::new(1000));
    let named = |name: &str| {
        Verifier::builder(Scheme::mitpo())
            .name(name)
            .secret(SECRET)
            .replay_protection(ReplayProtection::from_arc(store.clone()))
            .build()
            .unwrap()
    };
    let script = Script::default();
    let orders = receivers::start(Adapter::TowerLayer, named("orders"), script.clone()).await;
    let refunds = receivers::start(Adapter::TowerLayer, named("refunds"), script.clone()).await;
    // A provider fans one event out to both endpoints: identical signed messages.
    let body = payload("fan-out");
    let headers = signed(&body);
    let client = server::client();
    assert_eq!(
        receivers::attempt(&client, &orders.url(), &headers, &body)
            .await
            .0,
        200
    );
    assert_eq!(
        receivers::attempt(&client, &refunds.url(), &headers, &body)
            .await
            .0,
        200
    );
    assert_eq!(script.processed("fan-out"), 2);
}

/// A store that does what it is told and then answers late, or fails some
/// of its commits: the faults a shared store shows.
struct FaultyStore {
    inner: MemoryStore,
    late_claims: std::sync::atomic::AtomicUsize,
    failed_commits: std::sync::atomic::AtomicUsize,
    delay: Duration,
}

impl FaultyStore {
    fn new(late_claims: usize, failed_commits: usize, delay: Duration) -> Self {
        FaultyStore {
            inner: MemoryStore::new(1000),
            late_claims: late_claims.into(),
            failed_commits: failed_commits.into(),
            delay,
        }
    }

    fn take(counter: &std::sync::atomic::AtomicUsize) -> bool {
        use std::sync::atomic::Ordering;
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl ReplayStore for FaultyStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        StoreFuture::new(async move {
            // The claim lands at once; only the answer is late.
            let claimed = self.inner.claim(key, lease, ttl).await;
            if Self::take(&self.late_claims) {
                tokio::time::sleep(self.delay).await;
            }
            claimed
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        self.inner.renew(key, lease, ttl)
    }

    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        if Self::take(&self.failed_commits) {
            return StoreFuture::ready(Err(StoreError::Unavailable(
                "injected commit failure".into(),
                None,
            )));
        }
        self.inner.commit(key, lease, ttl)
    }

    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        self.inner.release(key, lease)
    }
}

#[tokio::test]
async fn a_store_answer_slower_than_the_timeout_does_not_block_the_retry() {
    for adapter in ADAPTERS {
        let store = FaultyStore::new(1, 0, Duration::from_millis(600));
        let replay = ReplayProtection::new(store).store_timeout(Duration::from_millis(200));
        let script = Script::default();
        let receiver = receivers::start(adapter, mitpo(replay), script.clone()).await;
        let body = payload("late-store");
        let client = server::client();
        let first = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(
            first,
            (503, "replay_store_unavailable".to_owned()),
            "{adapter:?}"
        );
        // The claim landed although the answer came too late: it was undone,
        // so the retry is processed (not told `in_flight` for a lease's life).
        let outcome = deliver(&client, &receiver.url(), &signed(&body), &body, 5).await;
        assert!(outcome.delivered, "{adapter:?}: {outcome:?}");
        assert!(outcome.attempts.len() <= 2, "{adapter:?}: {outcome:?}");
        assert_eq!(script.processed("late-store"), 1);
    }
}

#[tokio::test]
async fn a_commit_that_fails_is_retried_so_the_delivery_is_not_replayable() {
    for adapter in ADAPTERS {
        let store = FaultyStore::new(0, 2, Duration::ZERO);
        let script = Script::default();
        let receiver =
            receivers::start(adapter, mitpo(ReplayProtection::new(store)), script.clone()).await;
        let body = payload("commit-fails");
        let client = server::client();
        let first = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(first.0, 200, "{adapter:?}");
        // Until the background retry lands the key is held (in flight), never free.
        let mut answers = Vec::new();
        for _ in 0..20 {
            let answer = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
            answers.push(answer.1.clone());
            if answer.1 == "replayed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            answers.last().map(String::as_str),
            Some("replayed"),
            "{adapter:?}: {answers:?}"
        );
        assert!(
            answers.iter().all(|a| a == "in_flight" || a == "replayed"),
            "{answers:?}"
        );
        assert_eq!(script.processed("commit-fails"), 1);
    }
}

#[tokio::test]
async fn mitpo_replays_with_a_fresh_timestamp_are_the_same_delivery() {
    let script = Script::default();
    let receiver = receivers::start(
        Adapter::TowerLayer,
        mitpo(ReplayProtection::in_memory()),
        script.clone(),
    )
    .await;
    let body = payload("mitpo-fresh");
    let client = server::client();
    let signer = Signer::new(Scheme::mitpo(), SECRET).unwrap();
    let now = hookwarden::time::unix_seconds(std::time::SystemTime::now());
    let first = signer.sign(now - 100, &body).to_header_map();
    assert_eq!(
        receivers::attempt(&client, &receiver.url(), &first, &body)
            .await
            .0,
        200
    );
    let later = signer.sign(now, &body).to_header_map();
    let answer = receivers::attempt(&client, &receiver.url(), &later, &body).await;
    assert_eq!(answer, (409, "replayed".to_owned()));
}

/// What the docs say: Mittr signs its timestamp, so a retry signed again
/// with a fresh one is a different message, processed again (handlers must
/// be idempotent on the payload's id); only the exact copy is refused.
#[tokio::test]
async fn mittr_retries_signed_again_are_different_messages_exact_copies_are_refused() {
    let secret = "mittr-replay-secret";
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(secret)
        .replay_protection(ReplayProtection::in_memory())
        .build()
        .unwrap();
    let script = Script::default();
    let receiver = receivers::start(Adapter::TowerLayer, verifier, script.clone()).await;
    let body = payload("mittr-resigned");
    let client = server::client();
    let signer = Signer::new(Scheme::mittr(), secret).unwrap();
    let now = hookwarden::time::unix_seconds(std::time::SystemTime::now());
    let first = signer.sign(now - 1, &body).to_header_map();
    let resigned = signer.sign(now, &body).to_header_map();
    for (headers, expected) in [
        (&first, (200, "")),
        (&first, (409, "replayed")),
        (&resigned, (200, "")),
    ] {
        let answer = receivers::attempt(&client, &receiver.url(), headers, &body).await;
        assert_eq!((answer.0, answer.1.as_str()), expected);
    }
    assert_eq!(script.processed("mittr-resigned"), 2);
}

#[test]
fn ttl_is_checked_at_build_time() {
    let scheme = Scheme::mittr();
    let build = |replay: ReplayProtection, disable: bool| {
        let builder = Verifier::builder(scheme.clone()).secret(SECRET);
        let builder = if disable {
            builder.disable_timestamp_check()
        } else {
            builder
        };
        builder.replay_protection(replay).build()
    };
    assert_eq!(
        build(
            ReplayProtection::in_memory().record_ttl(Duration::from_secs(10)),
            false
        )
        .unwrap_err(),
        ConfigError::ReplayTtlTooShort {
            minimum: Duration::from_secs(600)
        }
    );
    assert_eq!(
        build(ReplayProtection::in_memory(), true).unwrap_err(),
        ConfigError::ReplayTtlRequired
    );
    let v = build(ReplayProtection::in_memory(), false).unwrap();
    assert_eq!(
        v.replay_protection().unwrap().settings().record_ttl,
        Duration::from_secs(601),
        "past + future + 1 s (freshness compares whole seconds, edges included)"
    );
    assert_eq!(v.replay_protection().unwrap().namespace(), "mittr");

    // Keys a re-signed retry shares (MITPO's body): the scheme's retry
    // horizon, a day, with or without the timestamp check.
    for disable in [false, true] {
        let builder = Verifier::builder(Scheme::mitpo()).secret(SECRET);
        let builder = if disable {
            builder.disable_timestamp_check()
        } else {
            builder
        };
        let v = builder
            .replay_protection(ReplayProtection::in_memory())
            .build()
            .unwrap();
        assert_eq!(
            v.replay_protection().unwrap().settings().record_ttl,
            Duration::from_secs(86400)
        );
    }
}

#[tokio::test]
async fn a_full_store_answers_503_and_keeps_its_records() {
    let store = Arc::new(MemoryStore::new(2));
    let script = Script::default();
    let receiver = receivers::start(
        Adapter::TowerLayer,
        mitpo(ReplayProtection::from_arc(store.clone())),
        script.clone(),
    )
    .await;
    let client = server::client();
    for id in ["a", "b"] {
        let body = payload(id);
        assert_eq!(
            receivers::attempt(&client, &receiver.url(), &signed(&body), &body)
                .await
                .0,
            200
        );
    }
    let body = payload("c");
    let full = server::post(&client, &receiver.url(), &signed(&body), body.clone()).await;
    assert_eq!(
        (full.status, full.code().as_str()),
        (503, "replay_store_full")
    );
    assert_eq!(full.headers["retry-after"], "5");
    for id in ["a", "b"] {
        let body = payload(id);
        let again = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(again, (409, "replayed".to_owned()), "{id} was forgotten");
    }
    assert_eq!(script.calls(), 2);
}

#[tokio::test]
async fn a_forgery_never_touches_the_store() {
    let store = Arc::new(MemoryStore::new(10));
    let receiver = receivers::start(
        Adapter::TowerLayer,
        mitpo(ReplayProtection::from_arc(store.clone())),
        Script::default(),
    )
    .await;
    let body = payload("forged");
    let forged = Signer::new(Scheme::mitpo(), "whsec_someone_else")
        .unwrap()
        .sign_now(&body)
        .to_header_map();
    let answer = receivers::attempt(&server::client(), &receiver.url(), &forged, &body).await;
    assert_eq!(answer, (401, "signature_mismatch".to_owned()));
    assert!(store.is_empty());
}

#[tokio::test]
async fn shutdown_releases_the_leases_still_held() {
    let replay = ReplayProtection::in_memory();
    let verifier = mitpo(replay);
    let resolved = verifier.replay_protection().unwrap().clone();
    let headers = signed(&payload("shutdown"));
    let delivery = verifier.verify(&headers, &payload("shutdown")).unwrap();
    let lease = resolved.claim(&delivery).await.unwrap().unwrap();
    assert_eq!(resolved.in_flight(), 1);
    // The server stops with this delivery's handler still running.
    std::mem::forget(lease);
    resolved.release_in_flight().await;
    assert_eq!(resolved.in_flight(), 0);
    assert!(
        resolved.claim(&delivery).await.unwrap().is_some(),
        "released for the retry"
    );
    let _ = UNIX_EPOCH;
}
