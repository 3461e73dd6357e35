//! The metrics (feature `metrics`) through a real recorder: deliveries by
//! outcome, the verification-time histogram, and the gauges of unverified
//! bytes and replay leases held. One test in this binary: the recorder
//! is process-wide.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::receivers::{self, payload, Adapter, Script, Step};
use common::server;
use hookwarden::error::Code;
use hookwarden::metrics::{DELIVERIES_TOTAL, LEASES_HELD, UNVERIFIED_BYTES, VERIFICATION_SECONDS};
use hookwarden::replay::ReplayProtection;
use hookwarden::{Scheme, Signer, Verifier};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;

const SECRET: &str = "whsec_metrics";

/// What the recorder saw so far. Its snapshots hand out what changed since
/// the last one (counters and gauges are reset to 0): this adds them up.
struct Observed {
    snapshotter: Snapshotter,
    totals: HashMap<(MetricKind, String, Vec<String>), f64>,
    samples: HashMap<(String, Vec<String>), usize>,
}

impl Observed {
    fn new(snapshotter: Snapshotter) -> Self {
        Observed {
            snapshotter,
            totals: HashMap::new(),
            samples: HashMap::new(),
        }
    }

    fn refresh(&mut self) {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let mut labels: Vec<String> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let name = key.key().name().to_owned();
            match value {
                DebugValue::Counter(n) => {
                    *self.totals.entry((key.kind(), name, labels)).or_default() += n as f64
                }
                DebugValue::Gauge(v) => {
                    *self.totals.entry((key.kind(), name, labels)).or_default() += v.into_inner()
                }
                DebugValue::Histogram(v) => {
                    *self.samples.entry((name, labels)).or_default() += v.len()
                }
            }
        }
    }

    fn total(&mut self, kind: MetricKind, name: &str, labels: &[&str]) -> f64 {
        self.refresh();
        let mut labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        labels.sort();
        self.totals
            .get(&(kind, name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    fn deliveries(&mut self, outcome: &str) -> f64 {
        let outcome = format!("outcome={outcome}");
        self.total(
            MetricKind::Counter,
            DELIVERIES_TOTAL,
            &["verifier=orders", "scheme=mitpo", &outcome],
        )
    }

    /// The `outcome` labels the `orders` verifier registered, sorted.
    fn outcomes(&mut self) -> Vec<String> {
        self.refresh();
        let mut outcomes: Vec<String> = self
            .totals
            .keys()
            .filter(|(kind, name, labels)| {
                *kind == MetricKind::Counter
                    && name == DELIVERIES_TOTAL
                    && labels.iter().any(|l| l == "verifier=orders")
            })
            .flat_map(|(_, _, labels)| labels.iter())
            .filter_map(|l| l.strip_prefix("outcome=").map(str::to_owned))
            .collect();
        outcomes.sort();
        outcomes
    }

    fn gauge(&mut self, name: &str) -> f64 {
        self.total(MetricKind::Gauge, name, &[])
    }

    fn histogram_samples(&mut self, name: &str, labels: &[&str]) -> usize {
        self.refresh();
        let mut labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        labels.sort();
        self.samples
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_verification_time_and_gauges_are_recorded() {
    let recorder = DebuggingRecorder::new();
    let mut seen = Observed::new(recorder.snapshotter());
    recorder.install().unwrap();

    let verifier = Verifier::builder(Scheme::mitpo())
        .name("orders")
        .secret(SECRET)
        .replay_protection(ReplayProtection::in_memory())
        .build()
        .unwrap();
    let script = Script::default();
    let receiver = receivers::start(Adapter::TowerLayer, verifier, script.clone()).await;
    let client = server::client();
    let sign = |body: &[u8]| {
        Signer::new(Scheme::mitpo(), SECRET)
            .unwrap()
            .sign_now(body)
            .to_header_map()
    };

    let body = payload("m1");
    script.plan("m1", &[Step::SlowAct(Duration::from_millis(300))]);
    let in_flight = receivers::spawn_attempt(receiver.url(), &sign(&body), &body);
    while script.calls() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(seen.gauge(LEASES_HELD), 1.0);
    assert_eq!(in_flight.await.unwrap().0, 200);
    assert_eq!(seen.gauge(LEASES_HELD), 0.0);

    assert_eq!(
        receivers::attempt(&client, &receiver.url(), &sign(&body), &body)
            .await
            .0,
        409
    );
    let forged = Signer::new(Scheme::mitpo(), "whsec_other")
        .unwrap()
        .sign_now(&body)
        .to_header_map();
    assert_eq!(
        receivers::attempt(&client, &receiver.url(), &forged, &body)
            .await
            .0,
        401
    );

    assert_eq!(seen.deliveries("accepted"), 1.0);
    assert_eq!(seen.deliveries("replayed"), 1.0);
    assert_eq!(seen.deliveries("signature_mismatch"), 1.0);
    // One `outcome` label per declared code, and `accepted`: a bounded set
    // that cannot miss a code.
    let mut expected: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    expected.push("accepted".to_owned());
    expected.sort();
    assert_eq!(seen.outcomes(), expected);
    let labels = ["verifier=orders", "scheme=mitpo"];
    assert_eq!(
        seen.histogram_samples(VERIFICATION_SECONDS, &labels),
        3,
        "every verdict"
    );

    // A stalled body shows in the unverified bytes until it is cut off.
    let head = server::raw_head("/hook", &sign(b"never sent"), "Content-Length: 5000\r\n");
    let mut stalled = tokio::net::TcpStream::connect(receiver.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stalled, &[head.as_bytes(), &[b'x'; 4000]].concat())
        .await
        .unwrap();
    let mut held = 0.0;
    for _ in 0..200 {
        held = seen.gauge(UNVERIFIED_BYTES);
        if held == 4000.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(held, 4000.0);
    drop(stalled);
    for _ in 0..200 {
        held = seen.gauge(UNVERIFIED_BYTES);
        if held == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(held, 0.0, "freed when the client went away");
    assert_eq!(seen.deliveries("body_unreadable"), 1.0);
}
