//! The reference dispatcher against real local servers that fail on purpose.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::dispatcher::{Dispatcher, Outcome, RetryPolicy};
use hookwarden::time::{Sleep, Timer};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Verifier};

const SECRET: &str = "whsec_dispatch_secret";

/// A fake clock that only moves when the dispatcher "sleeps".
#[derive(Clone)]
struct FakeTime {
    start: Instant,
    now: Arc<AtomicU64>,
    slept: Arc<Mutex<Vec<Duration>>>,
}

impl FakeTime {
    fn new() -> Self {
        let now = hookwarden::time::unix_seconds(SystemTime::now());
        FakeTime {
            start: Instant::now(),
            now: Arc::new(AtomicU64::new(now)),
            slept: Arc::default(),
        }
    }
    fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

impl Timer for FakeTime {
    fn now(&self) -> Instant {
        self.start + self.slept().iter().sum::<Duration>()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let delay = deadline.saturating_duration_since(Timer::now(self));
        self.slept.lock().unwrap().push(delay);
        // Advance by at least one second so each attempt gets a new timestamp.
        self.now.fetch_add(delay.as_secs().max(1), Ordering::SeqCst);
        Box::pin(async {})
    }
}

fn dispatcher(time: &FakeTime, jitter: bool) -> Dispatcher {
    let clock = time.now.clone();
    Dispatcher::builder()
        .retry(RetryPolicy {
            jitter,
            ..RetryPolicy::default()
        })
        .attempt_timeout(Duration::from_millis(500))
        .timer(time.clone())
        .clock(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::SeqCst)))
        .build()
}

/// What the endpoint saw, and how it should answer.
#[derive(Clone, Default)]
struct Endpoint {
    /// Answer this status (with `retry_after`) to the first `fail` requests.
    fail: usize,
    status: u16,
    retry_after: Option<&'static str>,
    /// The failing answers' JSON body, if any.
    body: Option<&'static str>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    calls: Arc<AtomicUsize>,
}

async fn flaky(
    State(ep): State<Endpoint>,
    headers: HeaderMap,
    _body: Bytes,
) -> axum::response::Response {
    let n = ep.calls.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    ep.seen
        .lock()
        .unwrap()
        .push((header("x-mitpo-timestamp"), header("x-mitpo-signature")));
    if n < ep.fail {
        let status = StatusCode::from_u16(ep.status).unwrap();
        let mut response = match ep.body {
            Some(body) => (status, [("content-type", "application/json")], body).into_response(),
            None => status.into_response(),
        };
        if let Some(value) = ep.retry_after {
            response
                .headers_mut()
                .insert("retry-after", value.parse().unwrap());
        }
        return response;
    }
    "delivered".into_response()
}

/// Serves `endpoint` behind the verifying layer, so every attempt that
/// reaches it carries a valid signature.
async fn serve(endpoint: Endpoint) -> common::server::TestServer {
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .disable_timestamp_check()
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/hook",
            post(flaky).layer(VerifyWebhookLayer::new(verifier)),
        )
        .with_state(endpoint);
    common::server::serve(app).await
}

const PAYLOAD: &str = r#"{"event":"dispatch.completed","id":"d_1"}"#;

#[tokio::test]
async fn retries_with_growing_delays_and_fresh_signatures_until_success() {
    let endpoint = Endpoint {
        fail: 3,
        status: 503,
        ..Endpoint::default()
    };
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let report = dispatcher(&time, false)
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(report.delivered(), "{report:?}");
    let outcomes: Vec<_> = report
        .attempts()
        .iter()
        .map(|a| a.outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Status(503),
            Outcome::Status(503),
            Outcome::Status(503),
            Outcome::Status(200)
        ]
    );
    assert_eq!(
        time.slept(),
        [
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(2)
        ]
    );
    let seen = endpoint.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    for pair in seen.windows(2) {
        assert!(
            pair[1].0.parse::<u64>().unwrap() > pair[0].0.parse::<u64>().unwrap(),
            "{seen:?}"
        );
    }
    let stamps: Vec<u64> = report.attempts().iter().map(|a| a.timestamp).collect();
    assert_eq!(
        stamps,
        seen.iter()
            .map(|s| s.0.parse::<u64>().unwrap())
            .collect::<Vec<_>>()
    );
    assert!(dispatcher(&time, false).dead_letters().is_empty());
}

#[tokio::test]
async fn does_not_retry_client_errors() {
    for status in [400, 401, 404] {
        let endpoint = Endpoint {
            fail: 10,
            status,
            ..Endpoint::default()
        };
        let srv = serve(endpoint.clone()).await;
        let time = FakeTime::new();
        let d = dispatcher(&time, false);
        let report = d
            .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
            .await
            .unwrap();
        assert_eq!(report.attempts().len(), 1, "{status}");
        assert!(!report.delivered());
        assert!(time.slept().is_empty());
        assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
        assert_eq!(d.dead_letters().len(), 1);
    }
}

#[tokio::test]
async fn a_forged_delivery_is_rejected_once_with_its_code() {
    let endpoint = Endpoint::default();
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let report = dispatcher(&time, false)
        .send(&srv.url("/hook"), Scheme::mitpo(), "whsec_wrong", PAYLOAD)
        .await
        .unwrap();
    let last = report.last().unwrap();
    assert_eq!(last.outcome, Outcome::Status(401));
    assert_eq!(last.error_code.as_deref(), Some("signature_mismatch"));
    assert_eq!(report.attempts().len(), 1);
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn honours_retry_after_on_429_and_retries_408() {
    let endpoint = Endpoint {
        fail: 1,
        status: 429,
        retry_after: Some("7"),
        ..Endpoint::default()
    };
    let srv = serve(endpoint).await;
    let time = FakeTime::new();
    let report = dispatcher(&time, false)
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(report.delivered());
    assert_eq!(time.slept(), [Duration::from_secs(7)]);

    let endpoint = Endpoint {
        fail: 1,
        status: 408,
        ..Endpoint::default()
    };
    let srv = serve(endpoint).await;
    let time = FakeTime::new();
    let report = dispatcher(&time, false)
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(report.delivered());
    assert_eq!(report.attempts().len(), 2);
}

#[tokio::test]
async fn dead_letters_after_the_last_attempt_and_replays_them() {
    let endpoint = Endpoint {
        fail: 5,
        status: 500,
        ..Endpoint::default()
    };
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let d = dispatcher(&time, true);
    let report = d
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(!report.delivered());
    assert_eq!(report.attempts().len(), 5);
    let policy = RetryPolicy::default();
    for (i, delay) in time.slept().iter().enumerate() {
        assert!(
            *delay <= policy.cap(i as u32 + 1),
            "jittered delay {delay:?} over cap"
        );
    }
    let letters = d.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].delivery.payload(), PAYLOAD.as_bytes());

    // The endpoint has recovered (its 5 failures are spent): replay delivers.
    let replayed = d.replay_dead_letters().await;
    assert_eq!(replayed.len(), 1);
    assert!(replayed[0].delivered());
    assert!(d.dead_letters().is_empty());
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn connection_errors_and_timeouts_are_retried() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let time = FakeTime::new();
    let report = dispatcher(&time, false)
        .send(
            &format!("http://127.0.0.1:{port}/hook"),
            Scheme::mitpo(),
            SECRET,
            PAYLOAD,
        )
        .await
        .unwrap();
    assert_eq!(report.attempts().len(), 5);
    assert!(report
        .attempts()
        .iter()
        .all(|a| matches!(a.outcome, Outcome::ConnectionError(_))));

    let slow = Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let srv = common::server::serve(slow).await;
    let time = FakeTime::new();
    let d = Dispatcher::builder()
        .retry(RetryPolicy {
            max_attempts: 2,
            jitter: false,
            ..RetryPolicy::default()
        })
        .attempt_timeout(Duration::from_millis(100))
        .timer(time.clone())
        .build();
    let report = d
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert_eq!(report.attempts().len(), 2);
    assert!(report
        .attempts()
        .iter()
        .all(|a| a.outcome == Outcome::Timeout));
}

#[tokio::test]
async fn fans_out_to_several_endpoints() {
    let ok = serve(Endpoint::default()).await;
    let failing = serve(Endpoint {
        fail: 100,
        status: 400,
        ..Endpoint::default()
    })
    .await;
    let time = FakeTime::new();
    let reports = dispatcher(&time, false)
        .fan_out(
            &[&ok.url("/hook"), &failing.url("/hook"), &ok.url("/hook")],
            Scheme::mitpo(),
            SECRET,
            PAYLOAD,
        )
        .await
        .unwrap();
    let delivered: Vec<bool> = reports.iter().map(|r| r.delivered()).collect();
    assert_eq!(delivered, [true, false, true]);
    assert_eq!(reports[1].url().to_string(), failing.url("/hook"));
}

/// An endpoint answering `status` with a 100 MiB body (a JSON rejection
/// padded with spaces), counting the bytes it manages to hand to the socket.
async fn huge_response(status: u16, written: Arc<AtomicU64>) -> common::server::TestServer {
    use futures_util::StreamExt;
    const TOTAL: usize = 100 * 1024 * 1024;
    let handler = move || {
        let written = written.clone();
        async move {
            let head = Bytes::from_static(br#"{"error":"busy","message":"padded"}"#);
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            let chunks =
                std::iter::once(head).chain(std::iter::repeat_n(chunk, TOTAL / (64 * 1024)));
            let stream = futures_util::stream::iter(chunks).map(move |c| {
                written.fetch_add(c.len() as u64, Ordering::SeqCst);
                Ok::<_, std::convert::Infallible>(c)
            });
            (
                StatusCode::from_u16(status).unwrap(),
                axum::body::Body::from_stream(stream),
            )
        }
    };
    common::server::serve(Router::new().route("/hook", post(handler))).await
}

#[tokio::test]
async fn reads_only_a_bounded_prefix_of_a_huge_response_body() {
    for status in [200, 503] {
        let written = Arc::new(AtomicU64::new(0));
        let srv = huge_response(status, written.clone()).await;
        let time = FakeTime::new();
        let d = Dispatcher::builder()
            .retry(RetryPolicy {
                max_attempts: 2,
                jitter: false,
                ..RetryPolicy::default()
            })
            .attempt_timeout(Duration::from_secs(5))
            .timer(time.clone())
            .build();
        let report = d
            .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
            .await
            .unwrap();
        let expected_attempts = if status == 200 { 1 } else { 2 };
        assert_eq!(report.attempts().len(), expected_attempts, "{report:?}");
        for attempt in report.attempts() {
            assert_eq!(attempt.outcome, Outcome::Status(status), "{report:?}");
            assert_eq!(attempt.error_code.as_deref(), Some("busy"));
            assert!(attempt.elapsed < Duration::from_secs(2), "{report:?}");
        }
        assert_eq!(report.delivered(), status == 200);
        // The server stops when the connection goes: what it wrote is what
        // the socket buffers took, not the 100 MiB (per attempt).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let written = written.load(Ordering::SeqCst);
        assert!(
            written < 24 * 1024 * 1024 * expected_attempts as u64,
            "{status}: the server wrote {written} bytes"
        );
    }
    const { assert!(hookwarden::dispatcher::RESPONSE_BODY_LIMIT <= 64 * 1024) };
}

#[tokio::test]
async fn a_409_replayed_means_the_receiver_already_has_it() {
    let endpoint = Endpoint {
        fail: 10,
        status: 409,
        body: Some(r#"{"error":"replayed","message":"this delivery was already accepted"}"#),
        ..Endpoint::default()
    };
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let d = dispatcher(&time, false);
    let report = d
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(report.delivered(), "{report:?}");
    assert_eq!(report.attempts().len(), 1);
    let last = report.last().unwrap();
    assert_eq!(last.outcome, Outcome::Status(409));
    assert_eq!(last.error_code.as_deref(), Some("replayed"));
    assert!(time.slept().is_empty());
    assert!(d.dead_letters().is_empty());
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_409_in_flight_is_retried_after_retry_after() {
    let endpoint = Endpoint {
        fail: 2,
        status: 409,
        retry_after: Some("3"),
        body: Some(r#"{"error":"in_flight","message":"a copy is being processed"}"#),
        ..Endpoint::default()
    };
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let d = dispatcher(&time, false);
    let report = d
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(report.delivered(), "{report:?}");
    let codes: Vec<_> = report
        .attempts()
        .iter()
        .map(|a| (a.outcome.clone(), a.error_code.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            (Outcome::Status(409), Some("in_flight".to_owned())),
            (Outcome::Status(409), Some("in_flight".to_owned())),
            (Outcome::Status(200), None),
        ]
    );
    assert_eq!(
        time.slept(),
        [Duration::from_secs(3), Duration::from_secs(3)]
    );
    assert!(d.dead_letters().is_empty());

    // Still in flight after every attempt: not delivered, a dead letter.
    let endpoint = Endpoint {
        fail: 100,
        ..endpoint
    };
    endpoint.calls.store(0, Ordering::SeqCst);
    let srv = serve(endpoint.clone()).await;
    let time = FakeTime::new();
    let d = dispatcher(&time, false);
    let report = d
        .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
        .await
        .unwrap();
    assert!(!report.delivered());
    assert_eq!(report.attempts().len(), 5);
    assert_eq!(time.slept(), [Duration::from_secs(3); 4]);
    assert_eq!(d.dead_letters().len(), 1);
}

#[tokio::test]
async fn other_409s_stay_final_failures() {
    for body in [None, Some(r#"{"error":"conflict"}"#)] {
        let endpoint = Endpoint {
            fail: 10,
            status: 409,
            body,
            ..Endpoint::default()
        };
        let srv = serve(endpoint.clone()).await;
        let time = FakeTime::new();
        let d = dispatcher(&time, false);
        let report = d
            .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, PAYLOAD)
            .await
            .unwrap();
        assert!(!report.delivered(), "{body:?}");
        assert_eq!(report.attempts().len(), 1);
        assert_eq!(d.dead_letters().len(), 1);
    }
}

/// Every preset: the dispatcher signs each attempt as the provider would,
/// and a receiver verifying that preset accepts the retry; Standard
/// Webhooks keeps its `webhook-id` across attempts (a retry is the same
/// delivery), while the signature changes with the timestamp.
#[tokio::test]
async fn signs_every_preset_and_keeps_the_delivery_id_across_retries() {
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let (signing, secret) =
            common::keys::keys_for(&scheme, SECRET, "whsec_ZGlzcGF0Y2gtc2VjcmV0LWJ5dGVz");
        let verifier = Verifier::builder(scheme.clone())
            .secret(secret)
            .disable_timestamp_check()
            .build()
            .unwrap();
        let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
        let record = seen.clone();
        let handler = move |headers: HeaderMap| {
            let record = record.clone();
            async move {
                let mut seen = record.lock().unwrap();
                seen.push(headers);
                match seen.len() {
                    1 => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::OK,
                }
            }
        };
        let app = Router::new().route(
            "/hook",
            post(handler).layer(VerifyWebhookLayer::new(verifier)),
        );
        let server = common::server::serve(app).await;
        let report = dispatcher(&FakeTime::new(), false)
            .deliver(
                hookwarden::dispatcher::Delivery::new(
                    &server.url("/hook"),
                    scheme.clone(),
                    signing,
                    PAYLOAD,
                )
                .unwrap(),
            )
            .await;
        assert!(report.delivered(), "{name}: {report:?}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "{name}: both attempts verified");
        let signature = |h: &HeaderMap| h.get(scheme.signature_header()).cloned();
        if scheme.signs_timestamp() {
            assert_ne!(
                signature(&seen[0]),
                signature(&seen[1]),
                "{name}: re-signed"
            );
        }
        if let Some(id) = scheme
            .delivery_id_headers()
            .first()
            .filter(|_| scheme.signs_delivery_id())
        {
            assert_eq!(
                seen[0].get(id),
                seen[1].get(id),
                "{name}: one id for every attempt"
            );
            assert!(seen[0].get(id).is_some());
        }
    }
}

/// A receiver's error code as long as a 64 KiB response allows: 65,000
/// characters opening with a terminal escape (an OSC that retitles the
/// window, ended by BEL).
fn huge_code() -> String {
    let escape = "\u{1b}]0;pwned\u{7}";
    format!("{escape}{}", "a".repeat(65_000 - escape.chars().count()))
}

/// Serves a receiver answering every request 500 with
/// `{"error":"<huge_code>"}`, on its own runtime and thread, so that none
/// of its allocations is counted on the test's thread.
fn huge_code_receiver() -> (tokio::runtime::Runtime, common::server::TestServer) {
    let body = serde_json::json!({ "error": huge_code() }).to_string();
    assert!(
        body.len() < hookwarden::dispatcher::RESPONSE_BODY_LIMIT,
        "read whole"
    );
    let app = Router::new().route(
        "/hook",
        post(move || {
            let body = body.clone();
            async move {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [("content-type", "application/json")],
                    body,
                )
            }
        }),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(common::server::serve(app));
    (runtime, server)
}

/// Retries within milliseconds (real sleeps, no jitter).
fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        factor: 2.0,
        max_attempts,
        max_delay: Duration::from_millis(4),
        jitter: false,
    }
}

/// A receiver answering 500 with a 65,000-character JSON error code used
/// to cost ~65 KB per attempt in each dead letter kept (~19.5 MB for 100
/// failed deliveries of 3 attempts). The code is now kept to
/// `ERROR_CODE_LIMIT` characters, escaped, and 100 failed deliveries grow
/// the dispatcher's heap by at most 1 MiB.
///
/// Measured: the net bytes allocated and not freed on the test's thread
/// while the 100 deliveries run (counting global allocator). The
/// dispatcher, its hyper client and connection pool, and the current-thread
/// runtime they run on are all on that thread; the receiver runs on
/// another runtime and thread and is not counted. The reports are dropped;
/// what stays is the dead-letter list, the pooled connection and the
/// runtime's own state.
#[test]
fn a_receivers_huge_error_codes_cost_bounded_memory_and_are_cut_and_escaped() {
    use hookwarden::dispatcher::ERROR_CODE_LIMIT;
    const DELIVERIES: usize = 100;
    const ATTEMPTS: u32 = 3;

    let (_receiver_runtime, receiver) = huge_code_receiver();
    let url = receiver.url("/hook");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let d = runtime.block_on(async {
        Dispatcher::builder()
            .retry(fast_retries(ATTEMPTS))
            .attempt_timeout(Duration::from_secs(5))
            .build()
    });
    let info = allocation_counter::measure(|| {
        runtime.block_on(async {
            for _ in 0..DELIVERIES {
                let report = d
                    .send(&url, Scheme::mitpo(), SECRET, PAYLOAD)
                    .await
                    .unwrap();
                assert!(!report.delivered(), "{report:?}");
            }
        })
    });
    let retained = info.bytes_current;
    eprintln!(
        "{DELIVERIES} failed deliveries: {retained} bytes retained, {} allocated in all",
        info.bytes_total
    );
    assert!(
        retained <= 1 << 20,
        "{DELIVERIES} failed deliveries retain {retained} bytes"
    );

    let letters = d.dead_letters();
    assert_eq!(letters.len(), DELIVERIES);
    assert_eq!(d.dead_letters_dropped(), 0, "the default capacity is 1,000");
    let expected = format!(
        "?]0;pwned?{}…",
        "a".repeat(ERROR_CODE_LIMIT - "?]0;pwned?".len())
    );
    let mut codes = 0;
    for letter in &letters {
        assert_eq!(letter.report.attempts().len(), ATTEMPTS as usize);
        for attempt in letter.report.attempts() {
            assert_eq!(attempt.outcome, Outcome::Status(500));
            assert_eq!(attempt.error_code.as_deref(), Some(expected.as_str()));
            codes += attempt.error_code.as_ref().map_or(0, String::len);
        }
    }
    assert_eq!(codes, DELIVERIES * ATTEMPTS as usize * expected.len());
    drop(letters);
    // The letters still replay (the receiver still fails them all).
    let replayed = runtime.block_on(d.replay_dead_letters());
    assert_eq!(replayed.len(), DELIVERIES);
    assert_eq!(d.dead_letters().len(), DELIVERIES);
}

/// With a capacity of 3, the oldest dead letters give way to the newest and
/// are counted; replaying keeps the order, and a capacity of 0 keeps none.
#[tokio::test]
async fn a_full_dead_letter_list_drops_and_counts_the_oldest() {
    let endpoint = Endpoint {
        fail: usize::MAX,
        status: 503,
        ..Endpoint::default()
    };
    let srv = serve(endpoint.clone()).await;
    let d = Dispatcher::builder()
        .retry(fast_retries(2))
        .dead_letter_capacity(3)
        .build();
    let payload = |i: usize| format!(r#"{{"event":"dispatch.completed","id":"d_{i}"}}"#);
    let ids = |d: &Dispatcher| -> Vec<String> {
        d.dead_letters()
            .iter()
            .map(|l| String::from_utf8(l.delivery.payload().to_vec()).unwrap())
            .collect()
    };
    for i in 0..5 {
        let report = d
            .send(&srv.url("/hook"), Scheme::mitpo(), SECRET, payload(i))
            .await
            .unwrap();
        assert!(!report.delivered());
    }
    assert_eq!(ids(&d), [payload(2), payload(3), payload(4)]);
    assert_eq!(d.dead_letters_dropped(), 2);

    let replayed = d.replay_dead_letters().await;
    assert_eq!(replayed.len(), 3);
    assert!(replayed.iter().all(|r| !r.delivered()));
    assert_eq!(ids(&d), [payload(2), payload(3), payload(4)], "in order");
    assert_eq!(
        d.dead_letters_dropped(),
        2,
        "replayed letters are not drops"
    );

    d.send(&srv.url("/hook"), Scheme::mitpo(), SECRET, payload(5))
        .await
        .unwrap();
    assert_eq!(ids(&d), [payload(3), payload(4), payload(5)]);
    assert_eq!(d.dead_letters_dropped(), 3);
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), (5 + 3 + 1) * 2);

    let none = Dispatcher::builder()
        .retry(fast_retries(1))
        .dead_letter_capacity(0)
        .build();
    none.send(&srv.url("/hook"), Scheme::mitpo(), SECRET, payload(6))
        .await
        .unwrap();
    assert!(none.dead_letters().is_empty());
    assert_eq!(none.dead_letters_dropped(), 1);
}
