//! Replay protection shared through a real `redis-server`, started by these
//! tests on a free loopback port (skipped, saying so, only when the binary is
//! absent; `.ci/run` installs it).

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use common::server::{self, post as send, TestServer};
use hookguard::replay::{RedisStore, ReplayProtection};
use hookguard::tower::VerifyWebhookLayer;
use hookguard::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_redis_secret";

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` on `port` (a free one when `None`).
    fn start(port: Option<u16>) -> Option<RedisServer> {
        let port = port.unwrap_or_else(|| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        });
        let child = match Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                // CI installs redis-server and sets HOOKGUARD_REQUIRE_REDIS: never skip there.
                assert!(
                    std::env::var_os("HOOKGUARD_REQUIRE_REDIS").is_none(),
                    "redis-server is required here but could not be started: {e}"
                );
                println!("SKIP: redis-server could not be started ({e}); install it (apt-get install -y redis-server)");
                return None;
            }
        };
        let server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn verifier(url: &str, prefix: &str, fail_open: bool) -> Verifier {
    let store = RedisStore::new(url).unwrap().prefix(prefix);
    Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .replay_protection(ReplayProtection::new(store).fail_open(fail_open))
        .build()
        .unwrap()
}

/// A receiver instance: answers 500 to its first `failures` calls.
async fn instance(verifier: Verifier, failures: usize) -> (TestServer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = Router::new().route(
        "/hook",
        post(move |_body: Bytes| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        })
        .layer(VerifyWebhookLayer::new(verifier)),
    );
    (server::serve(app).await, calls)
}

fn signed(body: &[u8]) -> http::HeaderMap {
    Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_replay_records() {
    let Some(redis) = RedisServer::start(None) else {
        return;
    };
    let (a, a_calls) = instance(verifier(&redis.url(), "t1:", false), 1).await;
    let (b, b_calls) = instance(verifier(&redis.url(), "t1:", false), 0).await;
    let client = server::client();

    // A replay sent to the other instance is rejected.
    let body = br#"{"event":"dispatch.completed","id":"r1"}"#;
    let h = signed(body);
    assert_eq!(
        send(&client, &b.url("/hook"), &h, &body[..]).await.status,
        200
    );
    let reply = send(&client, &a.url("/hook"), &h, &body[..]).await;
    assert_eq!((reply.status, reply.code().as_str()), (409, "replayed"));

    // A delivery whose handler answered 500 is accepted when retried, on either instance.
    let body = br#"{"event":"dispatch.completed","id":"r2"}"#;
    let h = signed(body);
    assert_eq!(
        send(&client, &a.url("/hook"), &h, &body[..]).await.status,
        500
    );
    assert_eq!(
        send(&client, &b.url("/hook"), &h, &body[..]).await.status,
        200
    );
    assert_eq!(
        send(&client, &a.url("/hook"), &h, &body[..]).await.status,
        409
    );
    assert_eq!(a_calls.load(Ordering::SeqCst), 1);
    assert_eq!(b_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_copies_across_instances_are_accepted_once() {
    let Some(redis) = RedisServer::start(None) else {
        return;
    };
    let (a, a_calls) = instance(verifier(&redis.url(), "t2:", false), 0).await;
    let (b, b_calls) = instance(verifier(&redis.url(), "t2:", false), 0).await;
    let client = server::client();
    let body = br#"{"event":"dispatch.completed","id":"burst"}"#;
    let h = signed(body);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let url = if i % 2 == 0 {
            a.url("/hook")
        } else {
            b.url("/hook")
        };
        let (client, h) = (client.clone(), h.clone());
        tasks.push(tokio::spawn(async move {
            send(&client, &url, &h, &body[..]).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        99,
        "{statuses:?}"
    );
    assert_eq!(
        a_calls.load(Ordering::SeqCst) + b_calls.load(Ordering::SeqCst),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_or_open_and_recovery_needs_no_restart() {
    let Some(mut redis) = RedisServer::start(None) else {
        return;
    };
    let port = redis.port;
    let (closed, _) = instance(verifier(&redis.url(), "t3:", false), 0).await;
    let (open, _) = instance(verifier(&redis.url(), "t3:", true), 0).await;
    let client = server::client();
    assert_eq!(
        send(
            &client,
            &closed.url("/hook"),
            &signed(b"before"),
            &b"before"[..]
        )
        .await
        .status,
        200
    );

    redis.stop();
    let reply = send(
        &client,
        &closed.url("/hook"),
        &signed(b"during"),
        &b"during"[..],
    )
    .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (503, "replay_store_unavailable"),
        "{reply:?}"
    );
    let reply = send(
        &client,
        &open.url("/hook"),
        &signed(b"during-open"),
        &b"during-open"[..],
    )
    .await;
    assert_eq!(reply.status, 200, "fail-open accepts: {reply:?}");

    // Redis comes back on the same port: the same app recovers by itself.
    let _redis = RedisServer::start(Some(port)).expect("redis-server restarts");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let body = format!("after-{attempt}");
        let reply = send(
            &client,
            &closed.url("/hook"),
            &signed(body.as_bytes()),
            body.clone(),
        )
        .await;
        if reply.status == 200 {
            let again = send(
                &client,
                &closed.url("/hook"),
                &signed(body.as_bytes()),
                body,
            )
            .await;
            assert_eq!(again.status, 409, "replay protection is back");
            break;
        }
        assert_eq!(reply.code(), "replay_store_unavailable");
        assert!(
            Instant::now() < deadline,
            "the app did not recover after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("recovered after {attempt} attempt(s)");
}
