//! The diagnosis of a failed delivery, worst case: signed with a secret
//! that is not configured, so that every candidate is tried before
//! "different_secret" is named. JSON bodies (the JSON re-serializations
//! are tried) of 1 KiB and 1 MiB, for Mittr and Stripe; and a common
//! mistake found early (a trailing newline added) for comparison.
//!
//! Goals (issue 15): at most 1 ms at 1 KiB, at most 100 ms at 1 MiB.
//! Prints the median and the 90th percentile of each, and whether the
//! goal holds. Run with `cargo bench --bench diagnose`.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use hookwarden::diagnose::diagnose;
use hookwarden::{Scheme, Signer};

const NOW: u64 = 1_764_072_000;

/// A JSON array of events, about `size` bytes, with non-ASCII text.
fn json_body(size: usize) -> Vec<u8> {
    let mut out = b"[".to_vec();
    let mut i = 0;
    while out.len() + 140 < size {
        if i > 0 {
            out.extend_from_slice(b",");
        }
        out.extend_from_slice(
            format!(
                "{{\"id\":\"evt_{i:08}\",\"type\":\"invoice.paid\",\"data\":{{\"customer\":\"Zo\u{eb} M\u{fc}ller\",\"amount\":{}}}}}",
                i * 37
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.push(b']');
    while out.len() < size {
        out.insert(out.len() - 1, b' ');
    }
    out
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[runs * 9 / 10])
}

fn main() {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    println!("diagnosis of a failed delivery (median, p90)");
    for (size, goal, runs) in [
        (1024usize, Duration::from_millis(1), 400),
        (1 << 20, Duration::from_millis(100), 21),
    ] {
        let body = json_body(size);
        for (scheme, secret) in [
            (Scheme::mittr(), "configured"),
            (Scheme::stripe(), "whsec_configured"),
        ] {
            let headers = Signer::new(scheme.clone(), "someone-elses-secret")
                .unwrap()
                .sign(NOW, &body)
                .to_header_map();
            let d = diagnose(&scheme, &headers, &body, &[secret], now);
            let code = d.likely_cause().map(|c| c.code()).unwrap_or("ok");
            assert_eq!(code, "different_secret");
            let (median, p90) = measure(runs, || {
                black_box(diagnose(
                    &scheme,
                    &headers,
                    black_box(&body),
                    &[secret],
                    now,
                ));
            });
            println!(
                "{:>7} B {:<7} different_secret ({} codes tried): median {:>9.3?}, p90 {:>9.3?}  goal <= {:?}: {}",
                body.len(),
                scheme.name(),
                d.tried().len(),
                median,
                p90,
                goal,
                if median <= goal { "PASS" } else { "FAIL" }
            );
        }
        // The most work: `/` in the strings (PHP's `\/` style is tried too)
        // and a `Content-Encoding: gzip` header (the body compressed again).
        let slashed = String::from_utf8(body.clone())
            .unwrap()
            .replace("invoice.paid", "invoice/paid")
            .into_bytes();
        let mut headers = Signer::new(Scheme::github(), "someone-elses-secret")
            .unwrap()
            .sign(NOW, &slashed)
            .to_header_map();
        headers.insert("content-encoding", "gzip".parse().unwrap());
        let d = diagnose(&Scheme::github(), &headers, &slashed, &["configured"], now);
        assert_eq!(d.likely_cause().map(|c| c.code()), Some("different_secret"));
        let (median, p90) = measure(runs, || {
            black_box(diagnose(
                &Scheme::github(),
                &headers,
                black_box(&slashed),
                &["configured"],
                now,
            ));
        });
        println!(
            "{:>7} B github  different_secret, `/` and Content-Encoding ({} codes tried): median {median:>9.3?}, p90 {p90:>9.3?}  goal <= {goal:?}: {}",
            slashed.len(),
            d.tried().len(),
            if median <= goal { "PASS" } else { "FAIL" }
        );
        let headers = Signer::new(Scheme::mittr(), "configured")
            .unwrap()
            .sign(NOW, &body)
            .to_header_map();
        let received = [&body[..], b"\n"].concat();
        let (median, p90) = measure(runs, || {
            black_box(diagnose(
                &Scheme::mittr(),
                &headers,
                black_box(&received),
                &["configured"],
                now,
            ));
        });
        println!(
            "{:>7} B mittr   trailing_newline: median {median:>9.3?}, p90 {p90:>9.3?}",
            received.len()
        );
    }
}
