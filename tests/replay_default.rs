//! Secure by default for MITPO, whose timestamp and event header are not
//! signed: a verifier built plainly refuses a captured delivery re-sent
//! with a fresh timestamp (409 `replayed`) through each adapter on a real
//! server; one built `.without_replay_protection()` accepts it, and says
//! nothing about it; Mittr, which signs its timestamp, has none by default.
//! (Without the `runtime` feature there is no store: `tests/no_runtime.rs`.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::receivers::{self, payload, Script, ADAPTERS};
use common::server;
use hookwarden::replay::DEFAULT_MITPO_RECORD_TTL;
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_default_replay";

/// A MITPO delivery of `body` signed at `at`, as the provider sends it.
fn signed_at(body: &[u8], at: u64) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap()
        .sign(at, body)
        .to_header_map()
}

fn now() -> u64 {
    hookwarden::time::unix_seconds(SystemTime::now())
}

/// The captured delivery, and the attacker's copy a minute later: the same
/// signed body with a fresh (unsigned) timestamp.
fn captured_and_replayed(body: &[u8]) -> (http::HeaderMap, http::HeaderMap) {
    let sent = now() - 60;
    let captured = signed_at(body, sent);
    let mut replayed = captured.clone();
    replayed.insert("x-mitpo-timestamp", (sent + 60).into());
    (captured, replayed)
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with a `tracing` subscriber on this thread; what it logged.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (value, log)
}

#[tokio::test]
async fn a_plain_mitpo_verifier_refuses_a_replay_through_every_adapter() {
    for adapter in ADAPTERS {
        let (verifier, log) = logged(|| {
            Verifier::builder(Scheme::mitpo())
                .secret(SECRET)
                .build()
                .unwrap()
        });
        assert_eq!(log, "", "protected: nothing to warn about");
        let replay = verifier.replay_protection().expect("on by default");
        assert_eq!(replay.record_ttl(), DEFAULT_MITPO_RECORD_TTL);

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
async fn an_opted_out_mitpo_verifier_accepts_a_replay_and_logs_no_warning() {
    for adapter in ADAPTERS {
        let (verifier, log) = logged(|| {
            Verifier::builder(Scheme::mitpo())
                .secret(SECRET)
                .without_replay_protection()
                .build()
                .unwrap()
        });
        assert_eq!(log, "", "an explicit opt-out is not warned about");
        assert!(verifier.replay_protection().is_none());

        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        let body = payload("opted-out");
        let (captured, replayed) = captured_and_replayed(&body);
        let client = server::client();
        for headers in [&captured, &replayed] {
            let reply = server::post(&client, &receiver.url(), headers, body.clone()).await;
            assert_eq!(reply.status, 200, "{adapter:?}: {:?}", reply.body);
        }
        assert_eq!(script.processed("opted-out"), 2, "{adapter:?}");
    }
}

#[test]
fn a_store_of_ones_own_replaces_the_default() {
    let mine =
        hookwarden::replay::ReplayProtection::in_memory().ttl(Duration::from_secs(7 * 86400));
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(mine)
        .build()
        .unwrap();
    let replay = verifier.replay_protection().unwrap();
    assert_eq!(replay.record_ttl(), Duration::from_secs(7 * 86400));
}

#[test]
fn the_default_outlives_the_tolerance_and_needs_no_timestamp_check() {
    let long = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .tolerance(Duration::from_secs(86400))
        .build()
        .unwrap();
    let record = long.replay_protection().unwrap().record_ttl();
    assert_eq!(record, Duration::from_secs(2 * 86400), "past + future");

    // Without the timestamp check, an explicit store needs a TTL; the
    // default has one.
    let unchecked = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .disable_timestamp_check()
        .build()
        .unwrap();
    let record = unchecked.replay_protection().unwrap().record_ttl();
    assert_eq!(record, DEFAULT_MITPO_RECORD_TTL);
}

#[test]
fn mittr_signs_its_timestamp_and_has_no_replay_protection_by_default() {
    let (verifier, log) = logged(|| {
        Verifier::builder(Scheme::mittr())
            .secret("k")
            .build()
            .unwrap()
    });
    assert!(verifier.replay_protection().is_none());
    assert_eq!(log, "");
}
