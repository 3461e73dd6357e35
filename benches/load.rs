//! Load benchmark on loopback: the same signed 1 KiB Mittr request against a
//! bare axum route that only reads the body, a route protected by
//! `VerifyWebhookLayer`, and (for reference) a handler that calls
//! `Verifier::verify` itself. The server runs on a single-threaded runtime so that
//! it, not the load client (`wrk`, on the other core), is the bottleneck.
//! Three alternating runs each; prints medians and ratios.
//!
//! Run with `cargo bench --bench load --features axum` (needs `wrk`:
//! `apt-get install -y wrk`). Settings: `LOAD_SECS` (default 5),
//! `LOAD_CONNECTIONS` (default 32).

use std::process::Command;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookguard::tower::VerifyWebhookLayer;
use hookguard::{Scheme, Signer, Verifier};

const SECRET: &str = "load-benchmark-secret";

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("skipping the load benchmark: wrk is not installed (apt-get install -y wrk)");
        return;
    }
    let secs: u64 = env_or("LOAD_SECS", 5);
    let connections: u64 = env_or("LOAD_CONNECTIONS", 32);

    let verifier = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .tolerance(Duration::from_secs(3600))
        .build()
        .unwrap();
    let in_handler = verifier.clone();
    let app = Router::new()
        .route(
            "/bare",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/handler",
            post(move |headers: http::HeaderMap, body: Bytes| async move {
                in_handler
                    .verify(&headers, &body)
                    .map(|_| body.len().to_string())
            }),
        )
        .route(
            "/protected",
            post(|body: Bytes| async move { body.len().to_string() })
                .layer(VerifyWebhookLayer::new(verifier)),
        );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });

    let body: String = (0..1024).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let signed = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(body.as_bytes());
    let mut script = format!("wrk.method = \"POST\"\nwrk.body = \"{body}\"\n");
    for (name, value) in signed.iter() {
        script.push_str(&format!(
            "wrk.headers[\"{name}\"] = \"{}\"\n",
            value.to_str().unwrap()
        ));
    }
    let script_path =
        std::env::temp_dir().join(format!("hookguard-load-{}.lua", std::process::id()));
    std::fs::write(&script_path, script).unwrap();

    let run = |path: &str| -> (f64, f64) {
        let out = Command::new("wrk")
            .args([
                "-t1",
                &format!("-c{connections}"),
                &format!("-d{secs}s"),
                "--latency",
                "-s",
            ])
            .arg(&script_path)
            .arg(format!("http://{addr}{path}"))
            .output()
            .expect("wrk runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("Non-2xx"), "{path} answered errors:\n{text}");
        let rps = text
            .lines()
            .find_map(|l| l.strip_prefix("Requests/sec:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no Requests/sec in:\n{text}"));
        let p99 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("99%"))
            .map(|v| micros(v.trim()))
            .unwrap_or_else(|| panic!("no 99% latency in:\n{text}"));
        (rps, p99)
    };

    if let Ok(path) = std::env::var("LOAD_ONLY") {
        // For profiling one route: `LOAD_ONLY=/protected perf record ...`.
        let (rps, p99) = run(&path);
        println!("{path}: {rps:.0} req/s, p99 {p99:.0} us");
        return;
    }
    run("/bare"); // warm-up
    let routes = ["/bare", "/protected", "/handler"];
    let mut results: Vec<Vec<(f64, f64)>> = vec![Vec::new(); routes.len()];
    for round in 1..=3 {
        let mut line = format!("round {round}:");
        for (i, route) in routes.iter().enumerate() {
            let (rps, p99) = run(route);
            line.push_str(&format!(" {route} {rps:.0} req/s p99 {p99:.0} us |"));
            results[i].push((rps, p99));
        }
        println!("{}", line.trim_end_matches(" |"));
    }
    let median = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
        let mut xs: Vec<f64> = v.iter().map(f).collect();
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let (b_rps, b_p99) = (median(&results[0], |x| x.0), median(&results[0], |x| x.1));
    for (route, runs) in routes.iter().zip(&results) {
        let (rps, p99) = (median(runs, |x| x.0), median(runs, |x| x.1));
        println!(
            "median {route:<11} {rps:>8.0} req/s ({:.3}x bare), p99 {p99:>5.0} us ({:.3}x bare)",
            rps / b_rps,
            p99 / b_p99
        );
    }
    println!("goal for /protected: >= 0.90x bare throughput, <= 1.2x bare p99");
    let _ = std::fs::remove_file(script_path);
}

fn env_or(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `wrk` latency text ("812.00us", "1.20ms", "2.00s") in microseconds.
fn micros(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => number,
        "ms" => number * 1e3,
        "s" => number * 1e6,
        _ => f64::NAN,
    }
}
