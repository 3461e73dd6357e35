//! Drives `wrk` against routes of a local server and reports medians and
//! ratios. Shared by the load benchmarks (not a benchmark itself).

use std::net::SocketAddr;
use std::process::Command;

use hookwarden::SignedHeaders;

/// Whether `wrk` is installed; prints why the benchmark is skipped if not.
pub fn available() -> bool {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("skipping the load benchmark: wrk is not installed (apt-get install -y wrk)");
        return false;
    }
    true
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

/// Posts `body` with `signed` headers to each route in turn, five rounds
/// alternating, and prints each round, then per route the median
/// throughput and p99, and the medians of the per-round ratios to each
/// route in `against` (a ratio within a round compares runs made under the
/// same conditions). `LOAD_SECS` (default 5), `LOAD_CONNECTIONS` (default
/// 32) and `LOAD_ROUNDS` (default 5) tune the runs; `LOAD_ONLY=/route` runs
/// one route once (for profiling).
pub fn compare(
    addr: SocketAddr,
    routes: &[&str],
    against: &[&str],
    body: &str,
    signed: &SignedHeaders,
    goal: &str,
) {
    let secs = env_or("LOAD_SECS", 5);
    let connections = env_or("LOAD_CONNECTIONS", 32);
    let rounds = env_or("LOAD_ROUNDS", 5) as usize;
    let script_path = write_script(body, signed);
    let run = |path: &str| run_wrk(addr, path, secs, connections, &script_path);

    if let Ok(path) = std::env::var("LOAD_ONLY") {
        let (rps, p99) = run(&path);
        println!("{path}: {rps:.0} req/s, p99 {p99:.0} us");
        return;
    }
    run(routes[0]); // warm-up
    let mut results: Vec<Vec<(f64, f64)>> = vec![Vec::new(); routes.len()];
    for round in 1..=rounds {
        let mut line = format!("round {round}:");
        for (i, route) in routes.iter().enumerate() {
            let (rps, p99) = run(route);
            line.push_str(&format!(" {route} {rps:.0} req/s p99 {p99:.0} us |"));
            results[i].push((rps, p99));
        }
        println!("{}", line.trim_end_matches(" |"));
    }
    let index = |route: &str| {
        routes
            .iter()
            .position(|r| *r == route)
            .expect("a compared route")
    };
    for (route, runs) in routes.iter().zip(&results) {
        let rps = median(runs.iter().map(|r| r.0).collect());
        let p99 = median(runs.iter().map(|r| r.1).collect());
        let mut line = format!("median {route:<11} {rps:>8.0} req/s, p99 {p99:>5.0} us");
        for base in against.iter().filter(|b| *b != route) {
            let base_runs = &results[index(base)];
            let throughput = median(runs.iter().zip(base_runs).map(|(r, b)| r.0 / b.0).collect());
            let latency = median(runs.iter().zip(base_runs).map(|(r, b)| r.1 / b.1).collect());
            line.push_str(&format!(
                " | vs {base}: {throughput:.3}x req/s, {latency:.3}x p99"
            ));
        }
        println!("{line}");
    }
    println!("{goal}");
    let _ = std::fs::remove_file(script_path);
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn write_script(body: &str, signed: &SignedHeaders) -> std::path::PathBuf {
    let mut script = format!("wrk.method = \"POST\"\nwrk.body = \"{body}\"\n");
    for (name, value) in signed.iter() {
        script.push_str(&format!(
            "wrk.headers[\"{name}\"] = \"{}\"\n",
            value.to_str().unwrap()
        ));
    }
    let path = std::env::temp_dir().join(format!("hookwarden-load-{}.lua", std::process::id()));
    std::fs::write(&path, script).unwrap();
    path
}

/// One wrk run: requests per second and p99 latency in microseconds.
fn run_wrk(
    addr: SocketAddr,
    path: &str,
    secs: u64,
    connections: u64,
    script: &std::path::Path,
) -> (f64, f64) {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
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
}

/// A 1 KiB ASCII body, safe to embed in the wrk script.
pub fn body_1k() -> String {
    (0..1024).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}
