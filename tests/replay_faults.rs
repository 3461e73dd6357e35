//! Replay protection against a store that misbehaves in the ways a remote
//! store does — errors that carry connection details, calls that never
//! answer — through all four adapters on real servers, and the
//! `ReplayProtection` handle used by hand.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::receivers::{self, payload, Script, Step, ADAPTERS};
use common::server;
use hookwarden::replay::{
    Claim, LeaseId, MemoryStore, ReplayKey, ReplayProtection, ReplayStore, StoreError, StoreFuture,
};
use hookwarden::time::{ManualTimer, Timer};
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_fault_secret";

/// What an unreachable store reports: not for an unauthenticated caller.
const DETAIL: &str = "dial tcp 10.0.0.5:6379: connection refused";

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

/// A store over a `MemoryStore` that fails or hangs on the calls it is told to.
#[derive(Default)]
struct Faulty {
    inner: MemoryStore,
    refuse_claims: AtomicBool,
    hang_commits: AtomicBool,
    hang_releases: AtomicBool,
    /// How many of the next renewals hang.
    hang_renewals: AtomicUsize,
    renewals: AtomicUsize,
    releases: AtomicUsize,
    /// Every call made, by name.
    calls: Mutex<Vec<&'static str>>,
}

impl Faulty {
    fn shared() -> Arc<Self> {
        Self::over(MemoryStore::new(10_000))
    }

    fn over(inner: MemoryStore) -> Arc<Self> {
        Arc::new(Faulty {
            inner,
            ..Faulty::default()
        })
    }

    fn called(&self, what: &'static str) {
        self.calls.lock().unwrap().push(what);
    }
}

fn hang<'a, T: Send + 'a>() -> StoreFuture<'a, T> {
    StoreFuture::new(std::future::pending())
}

impl ReplayStore for Faulty {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        self.called("claim");
        if self.refuse_claims.load(Ordering::SeqCst) {
            return StoreFuture::ready(Err(StoreError::Unavailable(DETAIL.into(), None)));
        }
        self.inner.claim(key, lease, ttl)
    }

    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        self.called("renew");
        self.renewals.fetch_add(1, Ordering::SeqCst);
        let hangs = self
            .hang_renewals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if hangs {
            return hang();
        }
        self.inner.renew(key, lease, ttl)
    }

    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        self.called("commit");
        if self.hang_commits.load(Ordering::SeqCst) {
            return hang();
        }
        self.inner.commit(key, lease, ttl)
    }

    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        self.called("release");
        self.releases.fetch_add(1, Ordering::SeqCst);
        if self.hang_releases.load(Ordering::SeqCst) {
            return hang();
        }
        self.inner.release(key, lease)
    }
}

#[tokio::test]
async fn a_store_error_is_logged_but_not_told_to_the_caller() {
    for adapter in ADAPTERS {
        let store = Faulty::shared();
        store.refuse_claims.store(true, Ordering::SeqCst);
        let receiver = receivers::start(
            adapter,
            mitpo(ReplayProtection::from_arc(store)),
            Script::default(),
        )
        .await;
        let body = payload("store-down");
        let reply = server::post(&server::client(), &receiver.url(), &signed(&body), body).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (503, "replay_store_unavailable"),
            "{adapter:?}"
        );
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        assert!(!text.contains("10.0.0.5"), "{adapter:?}: {text}");
    }
}

#[tokio::test]
async fn the_handle_given_to_the_builder_refuses_to_claim_and_shares_the_leases() {
    let store = Arc::new(MemoryStore::new(1000));
    // The manual flow: the user keeps the `ReplayProtection` they built.
    let replay = ReplayProtection::from_arc(store.clone());
    let verifier = mitpo(replay.clone());
    let body = payload("by-hand");
    let delivery = verifier.verify(&signed(&body), &body).unwrap();
    // Not bound to the verifier: no namespace, no TTL. Refused, never a
    // claim recorded for no time at all.
    for _ in 0..2 {
        let refused = replay.claim(&delivery).await.map(|lease| lease.is_some());
        assert_eq!(refused, Err(hookwarden::Error::ReplayNotBound));
    }
    assert!(store.is_empty());
    // The verifier's copy claims; the user's handle sees the lease, and
    // releases it on shutdown.
    let bound = verifier.replay_protection().unwrap();
    let lease = bound.claim(&delivery).await.unwrap().unwrap();
    assert_eq!(lease.key().namespace(), "mitpo");
    assert_eq!((replay.in_flight(), bound.in_flight()), (1, 1));
    std::mem::forget(lease); // the server stopped with the handler running
    replay.release_in_flight().await;
    assert_eq!(bound.in_flight(), 0);
    let retry = bound.claim(&delivery).await.unwrap().unwrap();
    retry.commit().await;
    let replayed = bound.claim(&delivery).await.map(|lease| lease.is_some());
    assert_eq!(replayed, Err(hookwarden::Error::Replayed));
}

#[tokio::test]
async fn a_delivery_verified_without_replay_protection_cannot_be_claimed() {
    let protected = mitpo(ReplayProtection::in_memory());
    let bound = protected.replay_protection().unwrap();
    let unprotected = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .without_replay_protection()
        .build()
        .unwrap();
    let body = payload("unkeyed");
    let delivery = unprotected.verify(&signed(&body), &body).unwrap();
    let refused = bound.claim(&delivery).await.map(|lease| lease.is_some());
    assert_eq!(refused, Err(hookwarden::Error::NoReplayKey));
    assert_eq!(bound.in_flight(), 0);
}

#[tokio::test]
async fn a_commit_or_release_that_never_answers_does_not_hold_up_the_answer() {
    for adapter in ADAPTERS {
        let store = Faulty::shared();
        store.hang_commits.store(true, Ordering::SeqCst);
        store.hang_releases.store(true, Ordering::SeqCst);
        let replay =
            ReplayProtection::from_arc(store.clone()).store_timeout(Duration::from_millis(200));
        let script = Script::default();
        let receiver = receivers::start(adapter, mitpo(replay), script.clone()).await;
        let client = server::client();
        // Processed: the commit hangs; the answer comes after the store timeout.
        let body = payload("commit-hangs");
        let started = std::time::Instant::now();
        let answer = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(answer.0, 200, "{adapter:?}: {answer:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{adapter:?}");
        // Not processed: the release hangs; the 500 comes all the same.
        let body = payload("release-hangs");
        script.plan("release-hangs", &[Step::Fail]);
        let answer = receivers::attempt(&client, &receiver.url(), &signed(&body), &body).await;
        assert_eq!(answer.0, 500, "{adapter:?}: {answer:?}");
        // Both were handed to the background retries.
        until("a retried commit and release", || {
            let calls = store.calls.lock().unwrap();
            let count = |what| calls.iter().filter(|c| **c == what).count();
            count("commit") >= 2 && count("release") >= 2
        })
        .await;
    }
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_renewal_that_hangs_does_not_stop_the_next() {
    let timer = ManualTimer::new();
    // The store's clock is the test's: its holds expire as the timer moves.
    let (start, wall) = (timer.now(), std::time::SystemTime::now());
    let clock = {
        let timer = timer.clone();
        move || wall + (timer.now() - start)
    };
    let store = Faulty::over(MemoryStore::new(100).clock(clock));
    store.hang_renewals.store(1, Ordering::SeqCst);
    // A store timeout longer than the renewal period: only the cadence helps.
    let replay = ReplayProtection::from_arc(store.clone())
        .lease_ttl(Duration::from_secs(3))
        .store_timeout(Duration::from_secs(10));
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .timer(timer.clone())
        .replay_protection(replay)
        .build()
        .unwrap();
    let body = payload("slow-handler");
    let delivery = verifier.verify(&signed(&body), &body).unwrap();
    let bound = verifier.replay_protection().unwrap().clone();
    let lease = bound.claim(&delivery).await.unwrap().unwrap();
    // The handler runs for a long time, its lease renewed meanwhile.
    let handler = tokio::spawn(lease.keep_alive(std::future::pending::<()>()));
    for renewals in 1..=2 {
        until("the tick to be armed", || timer.pending_sleeps() > 0).await;
        timer.advance(Duration::from_secs(1));
        until("a renewal", || {
            store.renewals.load(Ordering::SeqCst) == renewals
        })
        .await;
    }
    // Past the first hold's expiry (3 s): the second renewal kept it.
    timer.advance(Duration::from_millis(1500));
    let copy = bound.claim(&delivery).await.map(|lease| lease.is_some());
    assert_eq!(copy, Err(hookwarden::Error::InFlight));
    handler.abort();
}

#[tokio::test]
async fn shutdown_releases_every_lease_at_once_under_one_deadline() {
    let timer = ManualTimer::new();
    let store = Faulty::shared();
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .timer(timer.clone())
        .replay_protection(ReplayProtection::from_arc(store.clone()))
        .build()
        .unwrap();
    let bound = verifier.replay_protection().unwrap().clone();
    for n in 0..50 {
        let body = payload(&format!("held-{n}"));
        let delivery = verifier.verify(&signed(&body), &body).unwrap();
        // The server stopped with these handlers still running.
        std::mem::forget(bound.claim(&delivery).await.unwrap().unwrap());
    }
    // The store is unreachable now: releases never answer.
    store.hang_releases.store(true, Ordering::SeqCst);
    let shutdown = tokio::spawn(async move { bound.release_in_flight().await });
    until("every release to be sent", || {
        store.releases.load(Ordering::SeqCst) == 50
    })
    .await;
    until("the deadline to be armed", || timer.pending_sleeps() > 0).await;
    // One store timeout (2 s) for all of them, not 2 s each.
    timer.advance(hookwarden::replay::DEFAULT_STORE_TIMEOUT);
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("the shutdown finished after one store timeout")
        .unwrap();
}
