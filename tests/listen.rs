//! `hookwarden listen` under attack: the real binary on 127.0.0.1, attacked
//! over TCP from several loopback addresses (127.0.0.1, 127.0.0.2, …) as a
//! distributed sender would.
//!
//! - 1,000 forged bodies declaring 1 MiB, sent to 1 MiB − 1 and stalled:
//!   its memory grows by at most its budget of unverified bytes plus 16 MiB,
//!   and every connection is answered or closed within the read deadline;
//! - a flood of 8 KiB gzip bodies (forged, each inflating to megabytes of
//!   JSON): `GET /verify` stays fast;
//! - deliveries beyond the diagnosis bound still get their verdict, and say
//!   the diagnosis was skipped;
//! - 890 forged 64 KiB bodies of escape-heavy bytes: what is printed per
//!   request stays within its cap.
//!
//! The attacks are heavy: they run one at a time.

use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hookwarden::{Scheme, Signer};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SECRET: &str = "listen-test-secret";
const MIB: usize = 1024 * 1024;
/// `listen`'s budget of unverified bytes (`hookwarden listen --help`).
const BUDGET_MIB: u64 = 64;
/// What `listen` may hold outside its budget under the stall attack: each
/// of up to 1,024 connections holds hyper's buffers (16 KiB from the start,
/// a read buffer of up to 64 KiB), and the allocator keeps the high-water
/// mark of the bodies admitted and refused partway.
const OUTSIDE_THE_BUDGET_MIB: u64 = 64;
/// `listen`'s read deadline (the library's default).
const READ_DEADLINE: Duration = Duration::from_secs(30);

/// A running `hookwarden listen --scheme mittr`, its standard output
/// collected as it comes (so that it never blocks on a full pipe); killed on
/// drop.
struct Listen {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Listen {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hookwarden"))
            .args([
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--scheme",
                "mittr",
                "--secret",
                SECRET,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("{first}"))
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Listen {
            child,
            addr,
            output,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// What it printed after its first line, so far.
    fn printed(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// Waits until what it printed stops growing (for 300 ms).
    async fn settled_output(&self) -> Vec<u8> {
        let mut last = usize::MAX;
        loop {
            let now = self.output.lock().unwrap().len();
            if now == last {
                return self.printed();
            }
            last = now;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A connection to `server` from the loopback address 127.0.0.`from`.
async fn connect_from(from: u8, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::from([127, 0, 0, from]), 0))?;
    socket.connect(server).await
}

/// Fresh Mittr headers for `body`: signed with the secret, or forged.
fn signed(body: &[u8], forged: bool) -> http::HeaderMap {
    let secret = if forged { "an-attackers-guess" } else { SECRET };
    Signer::new(Scheme::mittr(), secret)
        .unwrap()
        .sign_now(body)
        .to_header_map()
}

/// A request's head with `headers` and `Content-Length: declared`.
fn head(headers: &http::HeaderMap, declared: usize) -> Vec<u8> {
    let mut head = format!("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Reads until the response's head arrives, the server closes, or
/// `within` passes: the status (0 when closed without one), or `None`.
async fn status(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(n)) if n > 0 => response.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&response);
    Some(
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    )
}

/// A hyper client: one connection, kept alive.
type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

async fn post(client: &Client, url: &str, headers: &http::HeaderMap, body: Bytes) -> Reply {
    let mut request = http::Request::post(url).body(Full::new(body)).unwrap();
    request.headers_mut().extend(headers.clone());
    let response = client.request(request).await.expect("request sent");
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.expect("response body").to_bytes(),
    }
}

/// `GET /verify`, timed.
async fn page(client: &Client, url: &str) -> Duration {
    let started = Instant::now();
    let request = http::Request::get(url).body(Full::default()).unwrap();
    let response = client.request(request).await.expect("page requested");
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap();
    started.elapsed()
}

fn percentile(mut times: Vec<Duration>, p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// What one stall attack did.
struct Stall {
    /// `listen`'s resident memory before, at its peak, and once every
    /// connection ended, in KiB.
    before: u64,
    peak: u64,
    after: u64,
    /// How each connection ended (its status; 0: closed without one;
    /// `None`: still held at twice the read deadline) and when.
    ended: Vec<(Option<u16>, Duration)>,
}

impl Stall {
    fn count(&self, status: Option<u16>) -> usize {
        self.ended.iter().filter(|(s, _)| *s == status).count()
    }

    fn last(&self) -> Duration {
        self.ended.iter().map(|(_, t)| *t).max().unwrap_or_default()
    }

    fn report(&self, name: &str) {
        eprintln!(
            "{name}: RSS {:.1} MiB -> peak {:.1} MiB (+{:.1} MiB), {:.1} MiB once they ended; \
             503 overloaded {}, 408 {}, closed without an answer {}, still held {}; \
             the last ended after {:.1?}",
            mib(self.before),
            mib(self.peak),
            mib(self.peak.saturating_sub(self.before)),
            mib(self.after),
            self.count(Some(503)),
            self.count(Some(408)),
            self.count(Some(0)),
            self.count(None),
            self.last()
        );
    }
}

/// `attackers` forged bodies declaring 1 MiB, each sent to 1 MiB − 1 bytes
/// and stalled, from 127.0.0.1 to 127.0.0.`peers`, at once.
async fn stall_attack(listen: &Listen, attackers: usize, peers: usize) -> Stall {
    let before = listen.rss_kib();
    let peak = Arc::new(AtomicU64::new(before));
    let sampling = {
        let peak = peak.clone();
        let path = format!("/proc/{}/status", listen.child.id());
        tokio::spawn(async move {
            while let Ok(status) = std::fs::read_to_string(&path) {
                let rss = status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
                peak.fetch_max(rss.unwrap_or(0), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let forged = Arc::new(vec![b'x'; MIB - 1]);
    let started = Instant::now();
    let server = listen.addr;
    let attack: Vec<_> = (0..attackers)
        .map(|i| {
            let forged = forged.clone();
            tokio::spawn(async move {
                let from = 1 + (i % peers) as u8;
                let Ok(mut stream) = connect_from(from, server).await else {
                    return (Some(0), started.elapsed());
                };
                let head = head(&signed(b"anything", true), MIB);
                if stream.write_all(&head).await.is_err() {
                    return (Some(0), started.elapsed());
                }
                // Refused or closed partway: the server stops reading.
                let _ = stream.write_all(&forged).await;
                let answered = status(&mut stream, READ_DEADLINE * 2).await;
                (answered, started.elapsed())
            })
        })
        .collect();
    let mut ended = Vec::new();
    for task in attack {
        ended.push(task.await.unwrap());
    }
    sampling.abort();
    tokio::time::sleep(Duration::from_secs(1)).await;
    Stall {
        before,
        peak: peak.load(Ordering::Relaxed),
        after: listen.rss_kib(),
        ended,
    }
}

/// 1,000 forged bodies declaring 1 MiB, each sent to 1 MiB − 1 bytes and
/// stalled, from 16 loopback addresses (past the 64 connections and the
/// quarter of the budget one address may hold), twice: every connection is
/// answered (503 `overloaded` past the budget) or closed within the read
/// deadline (408: the stalled bodies hold 1 MiB − 1 bytes, far above the
/// minimum rate, so the deadline cuts them, not the rate); `listen` grows
/// by at most its budget plus [`OUTSIDE_THE_BUDGET_MIB`], and the second
/// attack reuses what the first left (at most 16 MiB more).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_from_many_peers_hold_at_most_the_budget() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let listen = Listen::start();
    let client = client();
    page(&client, &listen.url("/verify")).await;
    let body = Bytes::from_static(br#"{"event":"warm"}"#);
    let warm = post(&client, &listen.url("/hook"), &signed(&body, false), body).await;
    assert_eq!(warm.status, 200);
    drop(client);
    tokio::time::sleep(Duration::from_millis(200)).await;

    const ATTACKERS: usize = 1000;
    const PEERS: usize = 16;
    let first = stall_attack(&listen, ATTACKERS, PEERS).await;
    first.report("1,000 stalled 1 MiB bodies from 16 peers");
    let second = stall_attack(&listen, ATTACKERS, PEERS).await;
    second.report("the same again");

    for attack in [&first, &second] {
        assert_eq!(attack.count(None), 0, "connections still held");
        assert!(
            attack.last() <= READ_DEADLINE + Duration::from_secs(10),
            "the last connection ended after {:?}",
            attack.last()
        );
        assert!(
            attack.count(Some(408)) > 0 && attack.count(Some(503)) > 0,
            "both the budget and the deadline acted"
        );
    }
    let grown = first.peak.saturating_sub(first.before);
    assert!(
        grown <= (BUDGET_MIB + OUTSIDE_THE_BUDGET_MIB) * 1024,
        "grew by {:.1} MiB, beyond the budget ({BUDGET_MIB} MiB) + {OUTSIDE_THE_BUDGET_MIB} MiB",
        mib(grown)
    );
    // A leak would add about what the first attack took (100 MiB and
    // more); what the allocator keeps between two attacks varies with the
    // machine's load (17.1 MiB seen once under a full parallel test run).
    let again = second.peak.saturating_sub(first.peak);
    assert!(
        again <= 32 * 1024,
        "the second attack grew it by {:.1} MiB more",
        mib(again)
    );

    // And it still serves.
    let client = self::client();
    let body = Bytes::from_static(br#"{"event":"after"}"#);
    let after = post(&client, &listen.url("/hook"), &signed(&body, false), body).await;
    assert_eq!(after.status, 200);
}

/// A JSON object that inflates from about 8 KiB of gzip to about 8 MiB.
fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut json = br#"{"event":"flood","data":""#.to_vec();
    json.resize(8 * MIB - 2, b'a');
    json.extend_from_slice(b"\"}");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&json).unwrap();
    encoder.finish().unwrap()
}

/// Under a flood of forged 8 KiB gzip bodies at about 1 MiB/s, `GET
/// /verify` is answered about as fast as when idle: the diagnoses run off
/// the serving threads, one at a time and within half a core, and inflate
/// at most 1 MiB. The 2× goal on the p99 is measured in `benches/listen.rs`
/// (release build); this test runs the debug build on a shared machine,
/// so its bound is generous: p99 within 10× idle + 20 ms (before the
/// intake and the gate, seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_stays_fast_under_a_gzip_flood() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let listen = Listen::start();
    let page_url = listen.url("/verify");
    let client = client();
    for _ in 0..20 {
        page(&client, &page_url).await;
    }
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(page(&client, &page_url).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let idle_p99 = percentile(idle, 99);

    let bomb = Bytes::from(gzip_bomb());
    assert!((7_000..10_000).contains(&bomb.len()), "{}", bomb.len());
    const FLOOD: Duration = Duration::from_secs(4);
    const SENDERS: usize = 8;
    // 128 bodies a second of 8 KiB: 1 MiB/s, from 8 connections.
    let interval = Duration::from_secs(1) * SENDERS as u32 / 128;
    let started = Instant::now();
    let flood: Vec<_> = (0..SENDERS)
        .map(|_| {
            let bomb = bomb.clone();
            let url = listen.url("/hook");
            tokio::spawn(async move {
                let client = self::client();
                let mut headers = signed(&bomb, true);
                headers.insert("content-encoding", "gzip".parse().unwrap());
                let mut ticks = tokio::time::interval(interval);
                let mut sent = 0usize;
                while started.elapsed() < FLOOD {
                    ticks.tick().await;
                    let reply = post(&client, &url, &headers, bomb.clone()).await;
                    assert_eq!(reply.status, 401);
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut busy = Vec::new();
    while started.elapsed() < FLOOD - Duration::from_millis(200) {
        busy.push(page(&client, &page_url).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut sent = 0;
    for sender in flood {
        sent += sender.await.unwrap();
    }
    let took = started.elapsed();
    let busy_len = busy.len();
    let busy_p99 = percentile(busy, 99);
    let rate = sent as f64 * bomb.len() as f64 / took.as_secs_f64() / 1024.0;
    eprintln!(
        "GET /verify p99: idle {idle_p99:?}, under a flood of {sent} 8 KiB gzip bodies \
         ({rate:.0} KiB/s) {busy_p99:?} over {busy_len} requests: {:.2}x",
        busy_p99.as_secs_f64() / idle_p99.as_secs_f64()
    );
    assert!(rate > 700.0, "the flood reached only {rate:.0} KiB/s");
    assert!(
        busy_p99 <= idle_p99 * 10 + Duration::from_millis(20),
        "p99 {busy_p99:?} under the flood, {idle_p99:?} idle"
    );
}

/// While diagnoses of 1 MiB forged bodies keep the diagnosis slot busy, a
/// small forged delivery still gets its verdict (401), says the diagnosis
/// was skipped (the `hookwarden-diagnosis` header and the printed report),
/// and a valid one is verified (200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_beyond_the_diagnosis_bound_still_get_their_verdict() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let listen = Listen::start();
    let url = listen.url("/hook");
    let stop = Arc::new(AtomicBool::new(false));
    // A JSON body, so that every re-serialization is tried: the costliest.
    let mut big = br#"{"event":"big","items":["#.to_vec();
    while big.len() < MIB - 100 {
        big.extend_from_slice(br#"{"id":12345,"name":"Zo\u00eb"},"#);
    }
    big.extend_from_slice(br#"{}]}"#);
    let big = Bytes::from(big);
    let keep_busy: Vec<_> = (0..3)
        .map(|_| {
            let (big, url, stop) = (big.clone(), url.clone(), stop.clone());
            tokio::spawn(async move {
                let client = self::client();
                while !stop.load(Ordering::Relaxed) {
                    let reply = post(&client, &url, &signed(&big, true), big.clone()).await;
                    assert_eq!(reply.status, 401);
                }
            })
        })
        .collect();
    let client = client();
    let mut skipped = None;
    let started = Instant::now();
    let (mut valid, mut forged) = (0, 0);
    while skipped.is_none() && started.elapsed() < Duration::from_secs(30) {
        let body = Bytes::from(format!(r#"{{"event":"small","n":{forged}}}"#));
        let reply = post(&client, &url, &signed(&body, false), body).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        valid += 1;
        let body = Bytes::from(format!(r#"{{"event":"forged","n":{forged}}}"#));
        let reply = post(&client, &url, &signed(&body, true), body).await;
        forged += 1;
        assert_eq!(reply.status, 401);
        let code: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(code["error"], "signature_mismatch");
        let said = reply
            .headers
            .get("hookwarden-diagnosis")
            .map(|v| v.to_owned());
        if said
            .as_ref()
            .is_some_and(|v| v.as_bytes().starts_with(b"skipped"))
        {
            skipped = Some(forged - 1);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in keep_busy {
        task.await.unwrap();
    }
    let n = skipped.unwrap_or_else(|| {
        panic!("{forged} forged deliveries, none said its diagnosis was skipped")
    });
    eprintln!("{valid} valid and {forged} forged small deliveries during the diagnoses of 1 MiB bodies: forged #{n} skipped");
    let out = listen.settled_output().await;
    let text = String::from_utf8_lossy(&out);
    let at = text
        .find(&format!(r#"{{"event":"forged","n":{n}}}"#))
        .unwrap_or_else(|| panic!("forged #{n} not printed"));
    let before = &text[..at];
    let report = &before[before.rfind("rejected: ").unwrap()..];
    assert!(
        report.starts_with("rejected: signature_mismatch (401)")
            && report.contains("diagnosis skipped"),
        "{report}"
    );
}

/// 890 forged 64 KiB bodies of bytes that each print as a 4-character
/// escape: every one is reported, in at most 7 KiB each (2 KiB of report,
/// 4 KiB of payload, and what was cut).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_printed_per_request_is_bounded() {
    let _serial = ONE_AT_A_TIME.lock().await;
    const REQUESTS: usize = 890;
    const CAP_KIB: usize = 7;
    let listen = Listen::start();
    let url = listen.url("/hook");
    let body = Bytes::from(
        (0..64 * 1024)
            .map(|i| [0x1b, 0xff, 0x07, 0x9b][i % 4])
            .collect::<Vec<u8>>(),
    );
    let client = client();
    let headers = signed(&body, true);
    for _ in 0..REQUESTS {
        let reply = post(&client, &url, &headers, body.clone()).await;
        assert_eq!(reply.status, 401);
    }
    let out = listen.settled_output().await;
    let text = String::from_utf8(out.clone()).expect("UTF-8 only");
    let reports = text
        .lines()
        .filter(|l| l.starts_with("rejected: signature_mismatch"))
        .count();
    let per_request = out.len() / REQUESTS;
    eprintln!(
        "{REQUESTS} forged 64 KiB requests printed {} KiB: {per_request} bytes each",
        out.len() / 1024
    );
    assert_eq!(reports, REQUESTS, "every request reported");
    assert!(
        !text.contains("not printed"),
        "reports were dropped: the cap was not what bounded the output"
    );
    assert!(!out.contains(&0x1b), "escaped");
    assert!(
        per_request <= CAP_KIB * 1024,
        "{per_request} bytes printed per request"
    );
}
