//! A full default store keeps answering: through each adapter on a real
//! server, a default verifier whose store holds its 100,000 records (one a
//! delivery in flight, the oldest of all; the rest processed) still
//! accepts new deliveries, making room by forgetting the oldest processed
//! records — never the held lease — and still refuses an exact copy of a
//! recent one. Each record forgotten is counted (the metric, with feature
//! `metrics`) and logged, at most once a second. One test in this binary:
//! the log subscriber and the metrics recorder are process-wide.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use common::logs::Captured;
use common::receivers::{self, payload, Adapter, Script, Step, ADAPTERS};
use common::server;
use hookwarden::replay::DEFAULT_CAPACITY;
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "default-store-secret";

/// New deliveries sent once the store is full.
const NEW: usize = 20;

fn now() -> u64 {
    hookwarden::time::unix_seconds(SystemTime::now())
}

fn signer() -> Signer {
    Signer::new(Scheme::mittr(), SECRET).unwrap()
}

/// Everything logged by any thread, from the start of the test.
fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        tracing::subscriber::set_global_default(log.subscriber()).unwrap();
        log
    })
}

/// The eviction warnings logged for `verifier`: how many records each says
/// were forgotten.
fn eviction_warnings(verifier: &str) -> Vec<u64> {
    let log = log().text();
    let tag = format!("verifier=\"{verifier}\"");
    log.lines()
        .filter(|line| line.contains("replay store full") && line.contains(&tag))
        .map(|line| {
            assert!(line.contains("WARN"), "{line}");
            let count = line.split("evicted=").nth(1).expect("the count");
            count.split_whitespace().next().unwrap().parse().unwrap()
        })
        .collect()
}

/// Claims and commits `n` deliveries signed at `at` by hand, as processed
/// ones, oldest first.
async fn fill_with_processed(verifier: &Verifier, n: usize, at: u64) {
    let (signer, replay) = (signer(), verifier.replay_protection().unwrap());
    for i in 0..n {
        let body = payload(&format!("filler-{i}"));
        let headers = signer.sign(at, &body).to_header_map();
        let delivery = verifier.verify(&headers, &body).unwrap();
        let lease = replay.claim(&delivery).await.unwrap().expect("room left");
        lease.commit().await;
        if i % 256 == 0 {
            // The store answers at once: let the server's tasks (the held
            // lease's renewals) run on this worker too.
            tokio::task::yield_now().await;
        }
    }
}

/// Fills `adapter`'s default store, then sends what the test describes;
/// returns how many records were forgotten meanwhile.
async fn a_full_default_store_keeps_answering(adapter: Adapter) -> u64 {
    let name = format!("full-{adapter:?}");
    let verifier = Verifier::builder(Scheme::mittr())
        .name(name.as_str())
        .secret(SECRET)
        .build()
        .unwrap();
    let script = Script::default();
    script.plan("held", &[Step::SlowAct(Duration::from_secs(120))]);
    let receiver = receivers::start(adapter, verifier.clone(), script.clone()).await;
    let (client, url) = (server::client(), receiver.url());

    // The oldest record of all: a delivery being processed, its lease held.
    let held = payload("held");
    let held_headers = signer().sign(now(), &held).to_header_map();
    // Its client stays (a raw connection, with no client-side timeout).
    let (addr, headers, body) = (receiver.addr, held_headers.clone(), held.clone());
    let held_attempt = tokio::spawn(async move {
        receivers::cut_after(addr, &headers, &body, Duration::from_secs(120)).await
    });
    let replay = verifier.replay_protection().unwrap();
    let started = Instant::now();
    while replay.in_flight() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "never held");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let filled_at = now();
    fill_with_processed(&verifier, DEFAULT_CAPACITY - 1, filled_at).await;

    // Full: new deliveries are still accepted, each making room.
    let started = Instant::now();
    let mut recent = Vec::new();
    for i in 0..NEW {
        let body = payload(&format!("new-{i}"));
        let headers = signer().sign(now(), &body).to_header_map();
        let answer = receivers::attempt(&client, &url, &headers, &body).await;
        assert_eq!(
            answer,
            (200, String::new()),
            "{adapter:?}: new delivery {i}"
        );
        recent.push((headers, body));
    }
    let elapsed = started.elapsed();
    // An exact copy of a recent one is refused; so is a copy of the held
    // one, the oldest record, whatever room was needed.
    for (headers, body) in recent.iter().rev().take(3) {
        let answer = receivers::attempt(&client, &url, headers, body).await;
        assert_eq!(
            answer,
            (409, "replayed".into()),
            "{adapter:?}: a recent copy"
        );
    }
    let answer = receivers::attempt(&client, &url, &held_headers, &held).await;
    assert_eq!(
        answer,
        (409, "in_flight".into()),
        "{adapter:?}: the held lease"
    );
    assert_eq!(replay.in_flight(), 1, "{adapter:?}");

    // Best effort: the oldest processed delivery was forgotten, so its
    // exact copy passes while fresh (and makes room in turn).
    let oldest = payload("filler-0");
    let copy = signer().sign(filled_at, &oldest).to_header_map();
    let answer = receivers::attempt(&client, &url, &copy, &oldest).await;
    assert_eq!(answer, (200, String::new()), "{adapter:?}: forgotten");
    assert_eq!(script.processed("filler-0"), 1, "{adapter:?}");
    assert_eq!(script.processed("held"), 0, "{adapter:?}: still running");
    held_attempt.abort();

    let evicted = NEW as u64 + 1;
    let warnings = eviction_warnings(&name);
    assert!(!warnings.is_empty(), "{adapter:?}: no warning logged");
    let allowed = 1 + elapsed.as_secs() + 1;
    assert!(
        warnings.len() as u64 <= allowed,
        "{adapter:?}: {} warnings for {evicted} evictions in {elapsed:?}",
        warnings.len()
    );
    assert!(warnings.iter().sum::<u64>() <= evicted, "{warnings:?}");
    evicted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_default_store_keeps_answering_through_every_adapter() {
    log();
    #[cfg(feature = "metrics")]
    let snapshotter = {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().unwrap();
        snapshotter
    };
    for adapter in ADAPTERS {
        let evicted = a_full_default_store_keeps_answering(adapter).await;
        #[cfg(feature = "metrics")]
        assert_eq!(
            evictions_counted(&snapshotter, &format!("full-{adapter:?}")),
            evicted,
            "{adapter:?}"
        );
        #[cfg(not(feature = "metrics"))]
        let _ = evicted;
    }
}

/// `hookwarden_replay_records_evicted_total{verifier}` since the last look.
#[cfg(feature = "metrics")]
fn evictions_counted(snapshotter: &metrics_util::debugging::Snapshotter, verifier: &str) -> u64 {
    use metrics_util::debugging::DebugValue;
    let mut total = 0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let labels: Vec<_> = key.labels().map(|l| (l.key(), l.value())).collect();
        if key.name() == hookwarden::metrics::REPLAY_RECORDS_EVICTED_TOTAL
            && labels == [("verifier", verifier)]
        {
            if let DebugValue::Counter(n) = value {
                total += n;
            }
        }
    }
    total
}
