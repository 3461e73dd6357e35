//! Drives `wrk` against routes of a local server and reports medians and
//! ratios. Shared by the load benchmarks (not a benchmark itself).

use std::net::SocketAddr;
use std::process::Command;

use hookguard::SignedHeaders;

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

/// Posts `body` with `signed` headers to each route in turn, three rounds
/// alternating, and prints each round, the medians and the ratios to the
/// first route. `LOAD_SECS` (default 5) and `LOAD_CONNECTIONS` (default 32)
/// tune the runs; `LOAD_ONLY=/route` runs one route once (for profiling).
pub fn compare(addr: SocketAddr, routes: &[&str], body: &str, signed: &SignedHeaders, goal: &str) {
    let secs = env_or("LOAD_SECS", 5);
    let connections = env_or("LOAD_CONNECTIONS", 32);
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
        let (rps, p99) = run(&path);
        println!("{path}: {rps:.0} req/s, p99 {p99:.0} us");
        return;
    }
    run(routes[0]); // warm-up
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
            "median {route:<11} {rps:>8.0} req/s ({:.3}x {}), p99 {p99:>5.0} us ({:.3}x)",
            rps / b_rps,
            routes[0],
            p99 / b_p99
        );
    }
    println!("{goal}");
    let _ = std::fs::remove_file(script_path);
}

/// A 1 KiB ASCII body, safe to embed in the wrk script.
pub fn body_1k() -> String {
    (0..1024).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}
