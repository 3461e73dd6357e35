//! The intake's bounds under attack, through all four adapters on real
//! servers: a body that stalls or drips is cut off by the read deadline,
//! one that stops by the minimum data rate once its grace period is over
//! (and a slow but steady one is not), the budget of unverified bytes
//! refuses what would cross it (fast, with `Retry-After`) and recovers once
//! the deadline frees it, an encoded body is refused before it is read.
//! Time is a `ManualTimer`: nothing waits 30 s. The tests of the deadline
//! and of the budget turn the minimum rate and the per-sender share off, to
//! see the bound they test alone (`tests/fair_share.rs` attacks those two).

mod common;

use std::time::{Duration, Instant};

use common::receivers::{self, payload, Adapter, Script, ADAPTERS};
use common::server;
use hookwarden::intake::Budget;
use hookwarden::time::ManualTimer;
use hookwarden::{Scheme, Signer, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "intake-secret";

/// A verifier on `timer` and `budget`, without the minimum rate and with
/// the budget's per-sender share off: the deadline and the budget alone.
fn verifier(timer: &ManualTimer, budget: &Budget) -> Verifier {
    budget.set_peer_share(None);
    Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .timer(timer.clone())
        .unverified_budget(budget.clone())
        .min_data_rate(None)
        .build()
        .unwrap()
}

/// A verifier with the default minimum data rate (240 B/s after 5 s).
fn paced_verifier(timer: &ManualTimer, budget: &Budget) -> Verifier {
    Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .timer(timer.clone())
        .unverified_budget(budget.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_stopped_body_is_cut_by_the_minimum_rate_after_its_grace_period() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
        let receiver =
            receivers::start(adapter, paced_verifier(&timer, &budget), Script::default()).await;
        let mut stream = stall(receiver.addr, 1000, 10).await;
        until("the pace to be armed", || timer.pending_sleeps() > 0).await;
        until("the bytes to be held", || budget.used() == 10).await;
        timer.advance(Duration::from_millis(4900));
        assert_eq!(
            answer(&mut stream, Duration::from_millis(200)).await,
            0,
            "{adapter:?}: not within the grace period"
        );
        timer.advance(Duration::from_millis(200));
        let status = answer(&mut stream, Duration::from_secs(5)).await;
        assert!(status == 408 || status == 0, "{adapter:?}: {status}");
        until("the budget to be freed", || budget.used() == 0).await;
    }
}

#[tokio::test]
async fn a_slow_but_steady_body_is_not_cut_by_the_minimum_rate() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
        let script = Script::default();
        let receiver =
            receivers::start(adapter, paced_verifier(&timer, &budget), script.clone()).await;
        // 3,000 bytes at 300 a second (the minimum is 240), for 10 s.
        let body = [payload("steady"), vec![b' '; 3000]].concat()[..3000].to_vec();
        let head = server::raw_head(
            "/hook",
            &signed(&body),
            &format!("Content-Length: {}\r\n", body.len()),
        );
        let mut stream = TcpStream::connect(receiver.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        for (second, chunk) in body.chunks(300).enumerate() {
            stream.write_all(chunk).await.unwrap();
            if second < 9 {
                let held = 300 * (second + 1);
                until("the chunk to be read", || budget.used() == held as u64).await;
                timer.advance(Duration::from_secs(1));
            }
        }
        assert_eq!(
            answer(&mut stream, Duration::from_secs(5)).await,
            200,
            "{adapter:?}"
        );
        assert_eq!(script.processed("steady"), 1, "{adapter:?}");
    }
}

fn signed(body: &[u8]) -> http::HeaderMap {
    Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

/// Opens a connection and sends the head and the first `sent` bytes of a
/// body of `declared` bytes (a forgery: the bytes are not what was signed).
async fn stall(addr: std::net::SocketAddr, declared: usize, sent: usize) -> TcpStream {
    let headers = signed(b"what the attacker never sends");
    let head = server::raw_head(
        "/hook",
        &headers,
        &format!("Content-Length: {declared}\r\n"),
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; sent]).await.unwrap();
    stream
}

/// The status the server answers on `stream` (0 if it closes without one),
/// within `within`.
async fn answer(stream: &mut TcpStream, within: Duration) -> u16 {
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_stalled_body_is_cut_off_by_the_read_deadline() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
        let receiver =
            receivers::start(adapter, verifier(&timer, &budget), Script::default()).await;
        let mut stream = stall(receiver.addr, 1000, 999).await;
        until("the deadline to be armed", || timer.pending_sleeps() > 0).await;
        assert_eq!(budget.used(), 999, "{adapter:?}");
        timer.advance(Duration::from_secs(29));
        assert_eq!(
            answer(&mut stream, Duration::from_millis(200)).await,
            0,
            "{adapter:?}: not yet"
        );
        timer.advance(Duration::from_secs(1));
        let status = answer(&mut stream, Duration::from_secs(5)).await;
        assert!(status == 408 || status == 0, "{adapter:?}: {status}");
        until("the budget to be freed", || budget.used() == 0).await;
    }
}

#[tokio::test]
async fn a_dripping_body_is_cut_off_by_the_total_deadline() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
        let receiver =
            receivers::start(adapter, verifier(&timer, &budget), Script::default()).await;
        let mut stream = stall(receiver.addr, 1000, 1).await;
        until("the deadline to be armed", || timer.pending_sleeps() > 0).await;
        // A byte every 10 s keeps arriving, but the total deadline is 30 s.
        for sent in 2..=4 {
            timer.advance(Duration::from_secs(10));
            let _ = stream.write_all(b"x").await;
            if sent < 4 {
                until("the byte to be read", || budget.used() == sent).await;
            }
        }
        let status = answer(&mut stream, Duration::from_secs(5)).await;
        assert!(status == 408 || status == 0, "{adapter:?}: {status}");
        until("the budget to be freed", || budget.used() == 0).await;
    }
}

#[tokio::test]
async fn the_budget_refuses_fast_and_recovers_once_the_deadline_frees_it() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(64 * 1024));
        let script = Script::default();
        let receiver = receivers::start(adapter, verifier(&timer, &budget), script.clone()).await;
        let client = server::client();

        // An attacker holds 40 KiB of the 64 KiB budget and stalls.
        let mut attacker = stall(receiver.addr, 40 * 1024, 40 * 1024 - 1).await;
        until("the attacker's bytes to be held", || {
            budget.used() == 40 * 1024 - 1
        })
        .await;

        // A second one declares more than is left: refused before a byte is read.
        let mut second = stall(receiver.addr, 40 * 1024, 0).await;
        assert_eq!(
            answer(&mut second, Duration::from_secs(5)).await,
            503,
            "{adapter:?}"
        );

        // A valid delivery gets a fast, retryable answer, never a hang.
        let body = [payload("during-attack"), vec![b' '; 30 * 1024]].concat();
        let started = Instant::now();
        let refused = server::post(&client, &receiver.url(), &signed(&body), body.clone()).await;
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (503, "overloaded"),
            "{adapter:?}"
        );
        assert_eq!(refused.headers["retry-after"], "5");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );

        // Without a Content-Length, it is refused when its bytes would cross the budget.
        let head = server::raw_head("/hook", &signed(&body), "Transfer-Encoding: chunked\r\n");
        let (status, _) =
            server::raw_exchange(receiver.addr, head, server::chunked(&body, 4096), false).await;
        assert_eq!(status, 503, "{adapter:?}");
        assert_eq!(budget.used(), 40 * 1024 - 1, "the refused bytes were freed");

        // The attacker's deadline passes: the budget is free, the delivery served.
        timer.advance(Duration::from_secs(31));
        let _ = answer(&mut attacker, Duration::from_secs(5)).await;
        until("the budget to be freed", || budget.used() == 0).await;
        let served = server::post(&client, &receiver.url(), &signed(&body), body.clone()).await;
        assert_eq!(served.status, 200, "{adapter:?}: {:?}", served.body);
        assert_eq!(script.processed("during-attack"), 1);
    }
}

#[tokio::test]
async fn verified_bytes_leave_the_budget_before_the_handler_runs() {
    let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
    let script = Script::default();
    script.by_default(common::receivers::Step::SlowAct(Duration::from_millis(300)));
    let receiver = receivers::start(
        Adapter::TowerLayer,
        verifier(&timer, &budget),
        script.clone(),
    )
    .await;
    let body = [payload("slow-handler"), vec![b' '; 100_000]].concat();
    let headers = signed(&body);
    let (url, sent) = (receiver.url(), body.clone());
    let request =
        tokio::spawn(async move { server::post(&server::client(), &url, &headers, sent).await });
    until("the handler to run", || script.calls() == 1).await;
    assert_eq!(budget.used(), 0, "a verified body is not unverified bytes");
    assert_eq!(request.await.unwrap().status, 200);
}

#[tokio::test]
async fn an_encoded_body_is_refused_before_it_is_read() {
    for adapter in ADAPTERS {
        let (timer, budget) = (ManualTimer::new(), Budget::new(1 << 20));
        let script = Script::default();
        let receiver = receivers::start(adapter, verifier(&timer, &budget), script.clone()).await;
        let body = payload("gzipped");
        for encoding in [
            "gzip",
            "br",
            "deflate",
            "identity, gzip",
            "x-\u{9b}2J-\u{e9}vil",
        ] {
            let mut headers = signed(&body);
            headers.insert(
                "content-encoding",
                http::HeaderValue::from_bytes(encoding.as_bytes()).unwrap(),
            );
            let reply =
                server::post(&server::client(), &receiver.url(), &headers, body.clone()).await;
            assert_eq!(
                (reply.status, reply.code().as_str()),
                (415, "unsupported_content_encoding"),
                "{adapter:?} {encoding}"
            );
            let message = reply.json()["message"].as_str().unwrap().to_owned();
            assert!(
                !message.contains('\u{9b}') && !message.contains('\u{e9}'),
                "{message}"
            );
        }
        let mut headers = signed(&body);
        headers.insert(
            "content-encoding",
            http::HeaderValue::from_static("identity"),
        );
        let reply = server::post(&server::client(), &receiver.url(), &headers, body.clone()).await;
        assert_eq!(reply.status, 200, "{adapter:?}: identity is no encoding");
        assert_eq!(script.calls(), 1);
    }
}

/// A store that makes every claim and commit wait once (as a remote store
/// does), so that the store timeout is armed.
struct Remote(hookwarden::replay::MemoryStore);

impl hookwarden::replay::ReplayStore for Remote {
    fn claim<'a>(
        &'a self,
        key: &'a hookwarden::replay::ReplayKey,
        lease: hookwarden::replay::LeaseId,
        ttl: Duration,
    ) -> hookwarden::replay::StoreFuture<'a, hookwarden::replay::Claim> {
        hookwarden::replay::StoreFuture::new(async move {
            tokio::task::yield_now().await;
            self.0.claim(key, lease, ttl).await
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a hookwarden::replay::ReplayKey,
        lease: hookwarden::replay::LeaseId,
        ttl: Duration,
    ) -> hookwarden::replay::StoreFuture<'a, bool> {
        self.0.renew(key, lease, ttl)
    }

    fn commit<'a>(
        &'a self,
        key: &'a hookwarden::replay::ReplayKey,
        lease: hookwarden::replay::LeaseId,
        ttl: Duration,
    ) -> hookwarden::replay::StoreFuture<'a, ()> {
        hookwarden::replay::StoreFuture::new(async move {
            tokio::task::yield_now().await;
            self.0.commit(key, lease, ttl).await
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a hookwarden::replay::ReplayKey,
        lease: hookwarden::replay::LeaseId,
    ) -> hookwarden::replay::StoreFuture<'a, ()> {
        self.0.release(key, lease)
    }
}

#[tokio::test]
async fn durations_too_long_to_represent_mean_no_deadline() {
    use hookwarden::replay::{MemoryStore, ReplayProtection};
    for adapter in ADAPTERS {
        let replay = ReplayProtection::new(Remote(MemoryStore::new(100)))
            .store_timeout(Duration::MAX)
            .lease_ttl(Duration::MAX)
            .record_ttl(Duration::MAX);
        let verifier = Verifier::builder(Scheme::mittr())
            .secret(SECRET)
            .read_deadline(Duration::MAX)
            .unverified_budget(Budget::new(1 << 20))
            .replay_protection(replay)
            .build()
            .unwrap();
        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        // The body comes in two parts, so that the read deadline is armed.
        let body = payload("forever");
        let head = server::raw_head(
            "/hook",
            &signed(&body),
            &format!("Content-Length: {}\r\n", body.len()),
        );
        let mut stream = TcpStream::connect(receiver.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body[..5]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.write_all(&body[5..]).await.unwrap();
        let status = answer(&mut stream, Duration::from_secs(5)).await;
        assert_eq!(status, 200, "{adapter:?}");
        assert_eq!(script.processed("forever"), 1, "{adapter:?}");
    }
}
