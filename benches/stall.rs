//! Memory under a stall attack: 100 connections each send well-formed,
//! fresh headers with a forged signature and `Content-Length: 1 MiB`, then
//! 1 MiB − 1 bytes of body, and stall. The receiver — an axum app behind
//! `VerifyWebhookLayer` with default settings — runs in a child process (this
//! binary again), so that its resident memory is measured alone; it is
//! served twice: as `axum::serve` does (hyper's read buffer grows to about
//! 400 KiB per connection, outside hookwarden's budget), and with hyper's
//! `max_buf_size` at 64 KiB, as `examples/axum_receiver.rs` does
//! (`examples/shared/serve.rs`, `serve_axum`). Reports the
//! growth, how many connections were refused at once, and how fast a valid
//! delivery sent meanwhile is answered.
//!
//! Run with `cargo bench --bench stall`. Linux only (reads `/proc/<pid>/status`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "stall-benchmark-secret";
const ATTACKERS: usize = 100;
const MIB: usize = 1024 * 1024;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    if let Ok(max_buf) = std::env::var("STALL_SERVER") {
        return serve(max_buf.parse().ok());
    }
    if rss_kib(std::process::id()).is_none() {
        println!("skipping: /proc is not readable here");
        return;
    }
    for (name, max_buf) in [
        ("axum::serve defaults", None),
        ("hyper max_buf_size 64 KiB", Some(64 * 1024)),
    ] {
        attack(name, max_buf);
    }
    println!("goal: at most 80 MiB (the budget of unverified bytes is 64 MiB by default)");
}

/// The receiver: prints its address, then serves until killed.
fn serve(max_buf: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let verifier = Verifier::builder(Scheme::mittr())
            .secret(SECRET)
            .build()
            .unwrap();
        let app = Router::new().route(
            "/hook",
            post(|body: Bytes| async move { body.len().to_string() })
                .layer(VerifyWebhookLayer::new(verifier)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let Some(max_buf) = max_buf else {
            return axum::serve(listener, app).await.unwrap();
        };
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .max_buf_size(max_buf)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn head(headers: &http::HeaderMap, length: usize) -> String {
    let mut head =
        format!("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head + "\r\n"
}

/// A status code, if one arrives within `within`.
async fn status(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(within, stream.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&buf[..n])
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn attack(name: &str, max_buf: Option<usize>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(
            "STALL_SERVER",
            max_buf.map_or(String::new(), |m| m.to_string()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: std::net::SocketAddr = line.trim().parse().unwrap();
    let before = rss_kib(child.id()).unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = child.id();
    let (refused, answer, answered_in, during) = runtime.block_on(stall(addr, pid));
    println!("{ATTACKERS} stalled unverified 1 MiB bodies, {name}:");
    println!(
        "  receiver grew by {:.1} MiB",
        during.saturating_sub(before) as f64 / 1024.0
    );
    println!("  refused at once (503 overloaded): {refused}");
    println!("  a valid 1 KiB delivery meanwhile: {answer:?} in {answered_in:?}");
    let _ = child.kill();
    let _ = child.wait();
}

/// The attack, then a valid delivery: (refused at once, its status, how fast).
async fn stall(addr: std::net::SocketAddr, pid: u32) -> (usize, Option<u16>, Duration, u64) {
    let signer = Signer::new(Scheme::mittr(), SECRET).unwrap();
    let forged = signer.sign_now(b"not what is sent").to_header_map();
    let filler: std::sync::Arc<[u8]> = vec![b'x'; MIB - 1].into();
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let (head, filler) = (head(&forged, MIB), filler.clone());
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let _ = stream.write_all(head.as_bytes()).await;
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), stream.write_all(&filler)).await;
                let refused = status(&mut stream, Duration::from_millis(200)).await;
                (stream, refused.is_some())
            })
        })
        .collect();
    let mut held = Vec::new();
    for attacker in attackers {
        held.push(attacker.await.unwrap());
    }
    let refused = held.iter().filter(|(_, refused)| *refused).count();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let body = vec![b'v'; 1024];
    let valid = signer.sign_now(&body).to_header_map();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(head(&valid, body.len()).as_bytes())
        .await
        .unwrap();
    stream.write_all(&body).await.unwrap();
    let answer = status(&mut stream, Duration::from_secs(10)).await;
    let answered_in = started.elapsed();
    (refused, answer, answered_in, rss_kib(pid).unwrap_or(0))
}
