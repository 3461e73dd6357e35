//! `hookwarden listen` under a flood of forged gzip bodies: how fast `GET
//! /verify` is answered while 8 KiB gzip bodies (each inflating to 8 MiB of
//! JSON) arrive at about 1 MiB/s, against the same page idle, in
//! alternating rounds; and what one diagnosis of such a body costs with
//! `listen`'s decompression cap (1 MiB, the body limit) against the
//! library's default (8 MiB).
//!
//! Goal (issue 20): the page's p99 under the flood within 2× its p99 idle.
//! The release binary runs in a child process, the clients in this one, on
//! the same cores. Run with `cargo bench --bench listen`. Linux only (reads
//! `/proc/<pid>/stat` for the CPU `listen` used).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::Bytes;
use hookwarden::diagnose::{diagnose_with, Limits, Options};
use hookwarden::{Scheme, Signer};
use http_body_util::{BodyExt, Full};

const SECRET: &str = "listen-bench-secret";
const MIB: usize = 1024 * 1024;
const ROUNDS: usize = 5;
const PHASE: Duration = Duration::from_secs(3);

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

fn client() -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// A JSON object of 8 MiB, gzip-compressed to about 8 KiB.
fn gzip_bomb() -> (Vec<u8>, Vec<u8>) {
    let mut json = br#"{"event":"flood","data":""#.to_vec();
    json.resize(8 * MIB - 2, b'a');
    json.extend_from_slice(b"\"}");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&json).unwrap();
    (encoder.finish().unwrap(), json)
}

fn forged_headers(body: &[u8]) -> http::HeaderMap {
    let mut headers = Signer::new(Scheme::mittr(), "an-attackers-guess")
        .unwrap()
        .sign_now(body)
        .to_header_map();
    headers.insert("content-encoding", "gzip".parse().unwrap());
    headers
}

/// CPU time (user + system) the process has used.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10) // USER_HZ = 100 on Linux
}

async fn page(client: &Client, url: &str) -> Duration {
    let started = Instant::now();
    let request = http::Request::get(url).body(Full::default()).unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap();
    started.elapsed()
}

/// The page's latencies over one phase, while `flood` runs (or not), and
/// the bodies the flood sent.
async fn phase(url: &str, page_url: &str, bomb: &Bytes, flood: bool) -> (Vec<Duration>, usize) {
    const SENDERS: usize = 8;
    let started = Instant::now();
    let interval = Duration::from_secs(1) * SENDERS as u32 / 128; // 128 × 8 KiB/s
    let senders: Vec<_> = (0..if flood { SENDERS } else { 0 })
        .map(|_| {
            let (bomb, url) = (bomb.clone(), url.to_owned());
            tokio::spawn(async move {
                let client = client();
                let headers = forged_headers(&bomb);
                let mut ticks = tokio::time::interval(interval);
                let mut sent = 0;
                while started.elapsed() < PHASE {
                    ticks.tick().await;
                    let mut request = http::Request::post(&url)
                        .body(Full::new(bomb.clone()))
                        .unwrap();
                    request.headers_mut().extend(headers.clone());
                    let response = client.request(request).await.unwrap();
                    assert_eq!(response.status(), 401);
                    response.into_body().collect().await.unwrap();
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let client = client();
    page(&client, page_url).await;
    let mut times = Vec::new();
    while started.elapsed() < PHASE {
        times.push(page(&client, page_url).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.unwrap();
    }
    (times, sent)
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

fn median<T: PartialOrd + Copy>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn flood(bomb: &Bytes) {
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
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // Its reports, read and dropped as a terminal would show them.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let (url, page_url) = (
        format!("http://{addr}/hook"),
        format!("http://{addr}/verify"),
    );
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut p99_idle, mut p99_flood, mut p50_idle, mut p50_flood) =
        (vec![], vec![], vec![], vec![]);
    let (mut ratios, mut cores, mut rates) = (vec![], vec![], vec![]);
    runtime.block_on(async {
        phase(&url, &page_url, bomb, false).await; // warm-up
        for round in 0..ROUNDS {
            let (mut idle, _) = phase(&url, &page_url, bomb, false).await;
            let used = cpu(pid);
            let started = Instant::now();
            let (mut busy, sent) = phase(&url, &page_url, bomb, true).await;
            let took = started.elapsed();
            let core = (cpu(pid) - used).as_secs_f64() / took.as_secs_f64();
            let rate = (sent * bomb.len()) as f64 / took.as_secs_f64() / 1024.0;
            let (i99, b99) = (percentile(&mut idle, 99), percentile(&mut busy, 99));
            let (i50, b50) = (percentile(&mut idle, 50), percentile(&mut busy, 50));
            println!(
                "round {round}: idle p50 {i50:.2?} p99 {i99:.2?}; flood ({rate:.0} KiB/s, \
                 listen at {core:.2} cores) p50 {b50:.2?} p99 {b99:.2?}: p99 {:.2}x",
                b99.as_secs_f64() / i99.as_secs_f64()
            );
            ratios.push(b99.as_secs_f64() / i99.as_secs_f64());
            p99_idle.push(i99);
            p99_flood.push(b99);
            p50_idle.push(i50);
            p50_flood.push(b50);
            cores.push(core);
            rates.push(rate);
        }
    });
    child.kill().ok();
    child.wait().ok();
    let ratio = median(ratios);
    println!(
        "GET /verify, medians of {ROUNDS} rounds: idle p50 {:.2?} p99 {:.2?}; under the flood \
         ({:.0} KiB/s of 8 KiB gzip bodies; listen used {:.2} cores) p50 {:.2?} p99 {:.2?}; \
         p99 ratio {ratio:.2}x (goal: at most 2x: {})",
        median(p50_idle),
        median(p99_idle),
        median(rates),
        median(cores),
        median(p50_flood),
        median(p99_flood),
        if ratio <= 2.0 { "met" } else { "missed" }
    );
}

/// One diagnosis of the forged gzip body, decompressing up to `cap`.
fn diagnosis_costs(bomb: &[u8]) {
    let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
    let headers = {
        let mut h = Signer::new(Scheme::mittr(), "an-attackers-guess")
            .unwrap()
            .sign(1_764_072_000, bomb)
            .to_header_map();
        h.insert("content-encoding", "gzip".parse().unwrap());
        h
    };
    let options = |cap: usize| {
        let mut limits = Limits::default();
        limits.max_decompressed = cap;
        Options::new().limits(limits)
    };
    let (listen, library) = (options(MIB), options(8 * MIB));
    let time = |options: &Options| {
        let started = Instant::now();
        let d = diagnose_with(
            &Scheme::mittr(),
            &headers,
            bomb,
            &["configured"],
            now,
            options,
        );
        std::hint::black_box(d);
        started.elapsed()
    };
    time(&listen);
    time(&library);
    let (mut capped, mut default, mut ratios) = (vec![], vec![], vec![]);
    for _ in 0..21 {
        let a = time(&listen);
        let b = time(&library);
        capped.push(a);
        default.push(b);
        ratios.push(a.as_secs_f64() / b.as_secs_f64());
    }
    println!(
        "one diagnosis of the 8 KiB gzip body (8 MiB inflated), medians of 21 alternating runs: \
         listen's cap (1 MiB) {:.2?}, the library's (8 MiB) {:.2?}: {:.3}x",
        median(capped),
        median(default),
        median(ratios)
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let (bomb, _) = gzip_bomb();
    println!("the forged body: {} bytes of gzip", bomb.len());
    diagnosis_costs(&bomb);
    if std::fs::read_to_string("/proc/self/stat").is_err() {
        println!("skipping the flood: /proc is not readable here");
        return;
    }
    flood(&Bytes::from(bomb));
}
