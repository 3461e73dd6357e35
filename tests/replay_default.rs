//! Secure by default, whatever the scheme: a verifier built without any
//! replay setting refuses an exact replay of a delivery it processed (409
//! `replayed`) through each adapter on a real server, for every preset; a
//! MITPO body re-sent with a fresh (unsigned) timestamp is such a replay.
//! One built `.without_replay_protection()` accepts it, and says nothing
//! about it. Records live as long as a copy could pass the freshness
//! check. (A full default store: `tests/replay_default_full.rs`; without
//! the `runtime` feature there is no store: `tests/no_runtime.rs`.)

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::logs::Captured;
use common::receivers::{self, payload, Adapter, Script, ADAPTERS};
use common::server;
use hookwarden::replay::DEFAULT_MITPO_RECORD_TTL;
use hookwarden::scheme::ReplayBasis;
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_default_replay";

fn now() -> u64 {
    hookwarden::time::unix_seconds(SystemTime::now())
}

/// The keys a preset is signed and verified with: one secret (raw for
/// most, base64 for Standard Webhooks), or Discord's key pair.
fn keys(scheme: &Scheme) -> (&'static str, &'static str) {
    common::keys::keys_for(scheme, SECRET, "whsec_ZGVmYXVsdC1yZXBsYXktc2VjcmV0")
}

/// A MITPO delivery of `body` signed at `at`, as the provider sends it.
fn mitpo_signed_at(body: &[u8], at: u64) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap()
        .sign(at, body)
        .to_header_map()
}

/// The captured MITPO delivery, and the attacker's copy a minute later: the
/// same signed body with a fresh (unsigned) timestamp.
fn captured_and_replayed(body: &[u8]) -> (http::HeaderMap, http::HeaderMap) {
    let sent = now() - 60;
    let captured = mitpo_signed_at(body, sent);
    let mut replayed = captured.clone();
    replayed.insert("x-mitpo-timestamp", (sent + 60).into());
    (captured, replayed)
}

/// Runs `f` with a `tracing` subscriber on this thread; what it logged.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    let captured = Captured::default();
    let subscriber = captured.subscriber();
    let value = tracing::subscriber::with_default(subscriber, f);
    let log = captured.text();
    (value, log)
}

/// Through `adapter`, for every preset: a verifier built plainly accepts a
/// delivery once and answers its exact copy 409 `replayed`; the handler
/// acted once.
async fn every_preset_refuses_an_exact_replay(adapter: Adapter) {
    let client = server::client();
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let (signing, secret) = keys(&scheme);
        let (verifier, log) = logged(|| {
            Verifier::builder(scheme.clone())
                .secret(secret)
                .build()
                .unwrap()
        });
        assert_eq!(log, "", "{name}: protected, nothing to warn about");
        assert!(
            verifier.replay_protection().is_some(),
            "{name}: on by default"
        );

        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        let id = format!("{name}-{adapter:?}");
        let body = payload(&id);
        let headers = Signer::new(scheme, signing)
            .unwrap()
            .sign(now(), &body)
            .to_header_map();
        let first = server::post(&client, &receiver.url(), &headers, body.clone()).await;
        assert_eq!(first.status, 200, "{id}: {:?}", first.body);
        let again = server::post(&client, &receiver.url(), &headers, body.clone()).await;
        assert_eq!(
            (again.status, again.code().as_str()),
            (409, "replayed"),
            "{id}"
        );
        assert_eq!(script.processed(&id), 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tower_layer_refuses_an_exact_replay_of_every_preset_by_default() {
    every_preset_refuses_an_exact_replay(Adapter::TowerLayer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_extractor_refuses_an_exact_replay_of_every_preset_by_default() {
    every_preset_refuses_an_exact_replay(Adapter::AxumExtractor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_middleware_refuses_an_exact_replay_of_every_preset_by_default() {
    every_preset_refuses_an_exact_replay(Adapter::ActixMiddleware).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_extractor_refuses_an_exact_replay_of_every_preset_by_default() {
    every_preset_refuses_an_exact_replay(Adapter::ActixExtractor).await;
}

#[tokio::test]
async fn a_plain_mitpo_verifier_refuses_a_body_resent_with_a_fresh_timestamp() {
    for adapter in ADAPTERS {
        let verifier = Verifier::builder(Scheme::mitpo())
            .secret(SECRET)
            .build()
            .unwrap();
        let replay = verifier.replay_protection().expect("on by default");
        assert_eq!(replay.settings().record_ttl, DEFAULT_MITPO_RECORD_TTL);

        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        let body = payload("captured");
        let (captured, replayed) = captured_and_replayed(&body);
        let client = server::client();
        let first = server::post(&client, &receiver.url(), &captured, body.clone()).await;
        assert_eq!(first.status, 200, "{adapter:?}: {:?}", first.body);
        let again = server::post(&client, &receiver.url(), &replayed, body.clone()).await;
        assert_eq!(
            (again.status, again.code().as_str()),
            (409, "replayed"),
            "{adapter:?}"
        );
        assert_eq!(script.processed("captured"), 1, "{adapter:?}");
    }
}

#[tokio::test]
async fn an_opted_out_verifier_accepts_a_replay_and_logs_no_warning() {
    for adapter in ADAPTERS {
        for scheme in [Scheme::mitpo(), Scheme::mittr()] {
            let (verifier, log) = logged(|| {
                Verifier::builder(scheme.clone())
                    .secret(SECRET)
                    .without_replay_protection()
                    .build()
                    .unwrap()
            });
            assert_eq!(log, "", "an explicit opt-out is not warned about");
            assert!(verifier.replay_protection().is_none());

            let script = Script::default();
            let receiver = receivers::start(adapter, verifier, script.clone()).await;
            let id = format!("opted-out-{}", scheme.name());
            let body = payload(&id);
            let headers = Signer::new(scheme, SECRET)
                .unwrap()
                .sign(now(), &body)
                .to_header_map();
            let client = server::client();
            for _ in 0..2 {
                let reply = server::post(&client, &receiver.url(), &headers, body.clone()).await;
                assert_eq!(reply.status, 200, "{adapter:?} {id}: {:?}", reply.body);
            }
            assert_eq!(script.processed(&id), 2, "{adapter:?} {id}");
        }
    }
}

#[test]
fn a_store_of_ones_own_replaces_the_default() {
    let mine = hookwarden::replay::ReplayProtection::in_memory()
        .record_ttl(Duration::from_secs(7 * 86400));
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(mine)
        .build()
        .unwrap();
    let replay = verifier.replay_protection().unwrap();
    assert_eq!(replay.settings().record_ttl, Duration::from_secs(7 * 86400));
}

/// Past + future tolerance where the signature covers the timestamp (a
/// copy is refused by the freshness check after that); a day where the
/// freshness check bounds nothing.
#[test]
fn records_live_as_long_as_a_copy_could_pass_the_freshness_check() {
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let (_, secret) = keys(&scheme);
        let verifier = Verifier::builder(scheme.clone())
            .secret(secret)
            .build()
            .unwrap();
        let record = verifier.replay_protection().unwrap().settings().record_ttl;
        let keyed_by_message = *scheme.replay_basis() == ReplayBasis::Message;
        let expected = if scheme.signs_timestamp() && keyed_by_message {
            let window = verifier.tolerance();
            // Whole seconds, edges included: up to past + future + 1 s.
            window.past.unwrap() + window.future.unwrap() + Duration::from_secs(1)
        } else {
            // The provider's retry horizon.
            scheme.replay_record_ttl()
        };
        assert_eq!(record, expected, "{name}");
    }
    let mittr = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .build()
        .unwrap();
    let record = mittr.replay_protection().unwrap().settings().record_ttl;
    assert_eq!(record, Duration::from_secs(601), "300 s each way, and 1 s");
    let day = Duration::from_secs(86400);
    for (name, expected) in [
        ("stripe", 3 * day),
        ("standard-webhooks", 2 * day),
        ("svix", 2 * day),
        ("slack", day),
        ("github", 3 * day),
        ("shopify", day),
        ("mitpo", day),
    ] {
        assert_eq!(
            Scheme::preset(name).unwrap().replay_record_ttl(),
            expected,
            "{name}"
        );
    }

    // Without the timestamp check a signed timestamp bounds nothing either.
    let unchecked = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .disable_timestamp_check()
        .build()
        .unwrap();
    let record = unchecked.replay_protection().unwrap().settings().record_ttl;
    assert_eq!(record, DEFAULT_MITPO_RECORD_TTL);
}

#[test]
fn the_default_outlives_the_tolerance_and_needs_no_timestamp_check() {
    let long = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .tolerance(Duration::from_secs(86400))
        .build()
        .unwrap();
    let record = long.replay_protection().unwrap().settings().record_ttl;
    assert_eq!(
        record,
        Duration::from_secs(2 * 86400 + 1),
        "past + future + 1 s"
    );

    // Without the timestamp check, an explicit store needs a TTL; the
    // default has one.
    let unchecked = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .disable_timestamp_check()
        .build()
        .unwrap();
    let record = unchecked.replay_protection().unwrap().settings().record_ttl;
    assert_eq!(record, DEFAULT_MITPO_RECORD_TTL);
}

/// A copy sent at the last moment the freshness check still takes it (the
/// sender's clock 300 s fast, the copy 300.5 s after the original on the
/// verifier's own clock) is refused: the record outlives the window by the
/// second that whole-second freshness allows, and ages on the verifier's
/// clock, not the system's (a fixed or lagging clock keeps both in step).
#[tokio::test]
async fn a_copy_at_the_edge_of_the_window_on_the_verifiers_clock_is_refused() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::UNIX_EPOCH;
    let millis = Arc::new(AtomicU64::new(0));
    let clock = {
        let millis = millis.clone();
        move || UNIX_EPOCH + Duration::from_millis(millis.load(Ordering::SeqCst))
    };
    // An archived day, far from the system clock.
    let ts: u64 = 1_600_000_000;
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .clock(clock)
        .build()
        .unwrap();
    let body = br#"{"id":"evt_edge"}"#;
    let headers = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign(ts, body)
        .to_header_map();
    let replay = verifier.replay_protection().unwrap();

    // The original arrives at the earliest moment it is fresh: ts - 300 s.
    millis.store((ts - 300) * 1000, Ordering::SeqCst);
    let delivery = verifier.verify(&headers, body).unwrap();
    let lease = replay.claim(&delivery).await.unwrap().unwrap();
    lease.commit().await;

    // The copy at ts + 300.5 s: still fresh (whole seconds, edge included).
    millis.store((ts + 300) * 1000 + 500, Ordering::SeqCst);
    let copy = verifier.verify(&headers, body).unwrap();
    let answer = replay.claim(&copy).await.map(|_| ());
    assert_eq!(answer.unwrap_err().code(), "replayed");

    // A second later freshness refuses it, before any record is read.
    millis.store((ts + 301) * 1000, Ordering::SeqCst);
    assert_eq!(
        verifier.verify(&headers, body).unwrap_err().code(),
        "timestamp_too_old"
    );

    // Records age on the verifier's clock: on the system clock (years
    // after `ts`) this record would outlive nothing, or never expire for a
    // clock that lags; here it expires exactly when the verifier's clock
    // passes its TTL, as seen without a freshness check.
    let unchecked = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .disable_timestamp_check()
        .clock({
            let millis = millis.clone();
            move || UNIX_EPOCH + Duration::from_millis(millis.load(Ordering::SeqCst))
        })
        .build()
        .unwrap();
    let replay = unchecked.replay_protection().unwrap();
    let delivery = unchecked.verify(&headers, body).unwrap();
    replay
        .claim(&delivery)
        .await
        .unwrap()
        .unwrap()
        .commit()
        .await;
    let ttl = replay.settings().record_ttl;
    millis.fetch_add(ttl.as_millis() as u64 - 1, Ordering::SeqCst);
    let answer = replay.claim(&delivery).await.map(|_| ());
    assert_eq!(answer.unwrap_err().code(), "replayed", "live until its TTL");
    millis.fetch_add(2, Ordering::SeqCst);
    let again = replay.claim(&delivery).await.unwrap();
    assert!(again.is_some(), "expired on the verifier's clock");
}
