//! The event's identity as the replay key, over real TCP servers: a retry
//! the provider re-signs (a new timestamp, a new signature, the same event)
//! of a processed delivery is refused 409 `replayed`, for Stripe (the
//! body's `/id`), Standard Webhooks (the signed `webhook-id`) and Mittr
//! keyed on a JSON pointer; with the default in-memory store and with a
//! `RedisStore` shared by two replicas. A body without the field is keyed
//! by its signed message: processed, and counted.
//!
//! A custom harness (libtest-mimic), as `tests/redis.rs`: the Redis trials
//! are ignored where `redis-server` is missing (a failure with
//! `HOOKWARDEN_REQUIRE_REDIS`), and the metrics recorder, process-wide, is
//! installed once.

mod common;

use common::mimic::trial;

use common::receivers::{self, payload, Adapter, Script, ADAPTERS};
use common::redis_server::{self, RedisServer};
use common::server;
use hookwarden::replay::{RedisStore, ReplayProtection};
use hookwarden::scheme::{ReplayBasis, Scheme};
use hookwarden::{Signer, Verifier};
use libtest_mimic::Arguments;

const SECRET: &str = "whsec_replay_keys";
const SW_SECRET: &str = "whsec_cmVwbGF5LWtleXMtc2VjcmV0";

fn main() {
    let args = Arguments::from_args();
    #[cfg(feature = "metrics")]
    let snapshotter = {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("the only recorder");
        snapshotter
    };
    let available = redis_server::available();
    if !available && std::env::var_os("HOOKWARDEN_REQUIRE_REDIS").is_some() {
        eprintln!("redis-server is required here (HOOKWARDEN_REQUIRE_REDIS) but cannot be run");
        std::process::exit(1);
    }
    let mut trials = vec![
        trial(
            "a_resigned_retry_is_refused_with_the_default_store",
            resigned_retry_default_store,
        ),
        trial(
            "a_resigned_retry_of_a_chunked_delivery_is_refused",
            resigned_retry_chunked,
        ),
        trial(
            "a_resigned_retry_is_refused_across_replicas_sharing_redis",
            resigned_retry_redis,
        )
        .with_ignored_flag(!available),
    ];
    #[cfg(feature = "metrics")]
    trials.push(trial(
        "a_body_without_the_field_is_keyed_by_its_message_and_counted",
        move || fallback(snapshotter),
    ));
    #[cfg(not(feature = "metrics"))]
    trials.push(trial(
        "a_body_without_the_field_is_keyed_by_its_message_and_counted",
        || fallback(),
    ));
    libtest_mimic::run(&args, trials).exit();
}

fn now() -> u64 {
    hookwarden::time::unix_seconds(std::time::SystemTime::now())
}

/// A scheme under test, with its secret, and how it signs one attempt of
/// the event `id`.
struct Case {
    scheme: Scheme,
    secret: &'static str,
}

impl Case {
    fn all() -> [Case; 3] {
        let mittr = Scheme::mittr()
            .into_builder()
            .replay_basis(ReplayBasis::json_pointer("/id"))
            .build()
            .unwrap();
        [
            Case {
                scheme: Scheme::stripe(),
                secret: SECRET,
            },
            Case {
                scheme: Scheme::standard_webhooks(),
                secret: SW_SECRET,
            },
            Case {
                scheme: mittr,
                secret: SECRET,
            },
        ]
    }

    /// The attempt signed at `at`: Standard Webhooks keeps its `webhook-id`
    /// (the event's id) on a retry, the others re-sign the body.
    fn attempt(&self, id: &str, at: u64, body: &[u8]) -> http::HeaderMap {
        let signer = Signer::new(self.scheme.clone(), self.secret).unwrap();
        if self.scheme.signs_delivery_id() {
            signer
                .sign_with_id(at, &format!("msg_{id}"), body)
                .unwrap()
                .to_header_map()
        } else {
            signer.sign(at, body).to_header_map()
        }
    }

    fn verifier(&self, replay: Option<ReplayProtection>) -> Verifier {
        let builder = Verifier::builder(self.scheme.clone()).secret(self.secret);
        match replay {
            Some(replay) => builder.replay_protection(replay),
            None => builder,
        }
        .build()
        .unwrap()
    }
}

/// The original attempt to `first`, processed; the re-signed retry to
/// `second` (its signature differs), refused; the handler acted once.
async fn original_then_retry(case: &Case, first: &str, second: &str, script: &Script, id: &str) {
    let client = server::client();
    let body = payload(id);
    let sent = now() - 30;
    let original = case.attempt(id, sent, &body);
    let retry = case.attempt(id, sent + 20, &body);
    let sig = case.scheme.signature_header();
    assert_ne!(original.get(sig), retry.get(sig), "{id}: re-signed");
    let answer = receivers::attempt(&client, first, &original, &body).await;
    assert_eq!(answer.0, 200, "{id}: {answer:?}");
    let answer = receivers::attempt(&client, second, &retry, &body).await;
    assert_eq!(answer, (409, "replayed".to_owned()), "{id}");
    assert_eq!(script.processed(id), 1, "{id}");
}

async fn resigned_retry_default_store() {
    for adapter in ADAPTERS {
        for case in Case::all() {
            let script = Script::default();
            let receiver = receivers::start(adapter, case.verifier(None), script.clone()).await;
            let id = format!("evt_{}_{adapter:?}", case.scheme.name());
            original_then_retry(&case, &receiver.url(), &receiver.url(), &script, &id).await;
        }
    }
}

/// The original in 16-byte chunks (the streamed path: the field is read
/// from the joined body), the retry whole.
async fn resigned_retry_chunked() {
    for case in Case::all() {
        let script = Script::default();
        let receiver =
            receivers::start(Adapter::TowerLayer, case.verifier(None), script.clone()).await;
        let id = format!("evt_{}_chunked", case.scheme.name());
        let body = payload(&id);
        let sent = now() - 30;
        let head = server::raw_head(
            "/hook",
            &case.attempt(&id, sent, &body),
            "Transfer-Encoding: chunked\r\nConnection: close\r\n",
        );
        let (status, text) =
            server::raw_exchange(receiver.addr, head, server::chunked(&body, 16), false).await;
        assert_eq!(status, 200, "{id}: {text}");
        let retry = case.attempt(&id, sent + 20, &body);
        let answer = receivers::attempt(&server::client(), &receiver.url(), &retry, &body).await;
        assert_eq!(answer, (409, "replayed".to_owned()), "{id}");
        assert_eq!(script.processed(&id), 1, "{id}");
    }
}

async fn resigned_retry_redis() {
    let redis = RedisServer::start();
    for case in Case::all() {
        let replay = || {
            let store = RedisStore::new(&redis.url()).unwrap().prefix("keys:");
            Some(ReplayProtection::new(store))
        };
        let script = Script::default();
        let a =
            receivers::start(Adapter::TowerLayer, case.verifier(replay()), script.clone()).await;
        let b = receivers::start(
            Adapter::ActixMiddleware,
            case.verifier(replay()),
            script.clone(),
        )
        .await;
        let id = format!("evt_{}_redis", case.scheme.name());
        original_then_retry(&case, &a.url(), &b.url(), &script, &id).await;
    }
}

/// Mittr keyed on `/event_id`, which these bodies lack: each attempt is
/// keyed by its signed message, so the re-signed retry is processed too
/// (as without the pointer), and both are counted as fallbacks.
async fn fallback(#[cfg(feature = "metrics")] snapshotter: metrics_util::debugging::Snapshotter) {
    let scheme = Scheme::mittr()
        .into_builder()
        .replay_basis(ReplayBasis::json_pointer("/event_id"))
        .build()
        .unwrap();
    let case = Case {
        scheme,
        secret: SECRET,
    };
    let verifier = Verifier::builder(case.scheme.clone())
        .name("no-event-id")
        .secret(SECRET)
        .build()
        .unwrap();
    let script = Script::default();
    let receiver = receivers::start(Adapter::AxumExtractor, verifier, script.clone()).await;
    let client = server::client();
    let body = payload("evt_without_event_id");
    let sent = now() - 30;
    for at in [sent, sent + 20] {
        let answer = receivers::attempt(
            &client,
            &receiver.url(),
            &case.attempt("x", at, &body),
            &body,
        )
        .await;
        assert_eq!(answer.0, 200, "{answer:?}");
    }
    // The exact copy is still refused: the message is the key.
    let copy = case.attempt("x", sent, &body);
    let answer = receivers::attempt(&client, &receiver.url(), &copy, &body).await;
    assert_eq!(answer, (409, "replayed".to_owned()));
    assert_eq!(script.processed("evt_without_event_id"), 2);

    #[cfg(feature = "metrics")]
    {
        let counted: u64 = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| key.key().name() == hookwarden::metrics::REPLAY_KEY_FALLBACKS_TOTAL)
            .filter(|(key, ..)| {
                key.key()
                    .labels()
                    .any(|l| l.key() == "verifier" && l.value() == "no-event-id")
            })
            .map(|(.., value)| match value {
                metrics_util::debugging::DebugValue::Counter(n) => n,
                _ => 0,
            })
            .sum();
        assert_eq!(counted, 3, "every attempt, the copy included");
    }
}
