//! Per-tenant secrets under churn (issue 20): a source that knows 50 000
//! tenants, the default key cache (60 s, 10 000 tenants), and a sender that
//! forges deliveries for real tenant ids drawn evenly from the 50 000, so
//! that most (four in five at best) miss the cache, ask the source, derive
//! keys and are refused.
//!
//! - **A cached tenant's latency, idle and under churn**: one genuine 1 KiB
//!   Mittr delivery of tenant `t0`, `Verifier::verify_at` timed call by
//!   call (p50, p99, max of each round), in rounds that alternate between
//!   idle, with one other thread forging deliveries for the 50 000 ids,
//!   and with four (as an HTTP server's workers would, for many forging
//!   connections). Reported: the medians over the rounds, and their ratios
//!   to idle (goal: the p99 under churn within 2x the idle p99).
//! - **The cost of a miss**: a forged delivery for one of the 50 000 ids
//!   (most miss: the cache holds 10 000; the source's calls are counted and
//!   the share of misses printed) against the same forged delivery for a
//!   cached tenant, interleaved on the thread's CPU clock
//!   (`benches/interleaved`); the difference divided by the share of
//!   misses is the cost of one miss.
//!
//! Only the public API is used, so the same file measures an older version
//! of the crate. Run with `cargo bench --bench tenants`
//! (`TENANTS_ROUNDS` rounds, 20 by default; `TENANTS_CALLS` timed calls per
//! round, 20 000 by default; `TENANTS_FORGERS` the numbers of forging
//! threads, `1,4` by default).

mod interleaved;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use hookwarden::tenant::{SourceError, TenantFrom};
use hookwarden::{Scheme, Secret, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};

const TENANTS: usize = 50_000;
const TS: u64 = 1_764_071_982;
const TENANT: HeaderName = HeaderName::from_static("x-tenant");

fn secret_of(i: usize) -> String {
    format!("whsec_tenant_{i}_benchmark")
}

/// SplitMix64: a well-spread 64-bit value from a counter.
fn splitmix64(k: u64) -> u64 {
    let mut z = k.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The call-by-call times of one round, sorted.
struct Round(Vec<Duration>);

impl Round {
    fn quantile(&self, q: f64) -> Duration {
        self.0[((self.0.len() - 1) as f64 * q).round() as usize]
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rounds = env("TENANTS_ROUNDS", 20).max(1);
    let calls = env("TENANTS_CALLS", 20_000).max(100);
    let forgers: Vec<usize> = std::env::var("TENANTS_FORGERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 4]);

    let secrets: HashMap<String, Vec<Secret>> = (0..TENANTS)
        .map(|i| (format!("t{i}"), vec![Secret::from(secret_of(i))]))
        .collect();
    // The map, counting its calls (to show that the churn misses).
    let source_calls = Arc::new(AtomicU64::new(0));
    let counter = source_calls.clone();
    let source = move |tenant: &str| -> Result<Option<Vec<Secret>>, SourceError> {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(secrets.get(tenant).cloned())
    };
    let verifier = Verifier::builder(Scheme::mittr())
        .secret_source(source, TenantFrom::header(TENANT))
        .build()
        .unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(TS + 10);
    let body = vec![b'a'; 1024];

    let mut genuine = Signer::new(Scheme::mittr(), secret_of(0).as_str())
        .unwrap()
        .sign(TS, &body)
        .to_header_map();
    genuine.insert(TENANT, HeaderValue::from_static("t0"));
    verifier.verify_at(&genuine, &body, now).unwrap();

    // Forged: signed with a secret no tenant has; the tenant header is set
    // per call from these values.
    let forged = Signer::new(Scheme::mittr(), "whsec_forger")
        .unwrap()
        .sign(TS, &body)
        .to_header_map();
    let ids: Vec<HeaderValue> = (0..TENANTS)
        .map(|i| HeaderValue::from_str(&format!("t{i}")).unwrap())
        .collect();
    // The forger's k-th id: drawn evenly from the 50 000 (SplitMix64 of k),
    // so that whichever part of the ids a cache keeps, its hits are spread
    // evenly over the run.
    let next = AtomicU64::new(0);
    let forge = |headers: &mut HeaderMap| {
        let k = next.fetch_add(1, Ordering::Relaxed);
        headers.insert(
            TENANT,
            ids[(splitmix64(k) % TENANTS as u64) as usize].clone(),
        );
        let refused = verifier.verify_at(headers, &body, now).is_err();
        assert!(refused);
    };

    // Warm the cache with the churn as it will be: 10 000 tenants held.
    let mut headers = forged.clone();
    for _ in 0..TENANTS {
        forge(&mut headers);
    }

    let cached_round = || {
        let mut times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let verified = verifier.verify_at(black_box(&genuine), black_box(&body), now);
            times.push(started.elapsed());
            assert!(verified.is_ok());
        }
        times.sort();
        Round(times)
    };

    // One round with `forgers` threads forging: the cached tenant's times,
    // the deliveries forged, the forgers' time, the source calls.
    let churn_round = |forgers: usize| {
        let stop = AtomicBool::new(false);
        let calls_before = source_calls.load(Ordering::Relaxed);
        let (round, forged_calls, forged_time) = std::thread::scope(|s| {
            let drivers: Vec<_> = (0..forgers)
                .map(|_| {
                    s.spawn(|| {
                        let mut headers = forged.clone();
                        let started = Instant::now();
                        let mut n = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            forge(&mut headers);
                            n += 1;
                        }
                        (n, started.elapsed())
                    })
                })
                .collect();
            // Let the forgers start before timing.
            let start = next.load(Ordering::Relaxed);
            while next.load(Ordering::Relaxed) < start + forgers as u64 {
                std::hint::spin_loop();
            }
            let round = cached_round();
            stop.store(true, Ordering::Relaxed);
            let (mut n, mut took) = (0, Duration::ZERO);
            for driver in drivers {
                let (calls, time) = driver.join().unwrap();
                n += calls;
                took += time;
            }
            (round, n, took)
        });
        let source = source_calls.load(Ordering::Relaxed) - calls_before;
        (round, forged_calls, forged_time, source)
    };

    struct Churn {
        forgers: usize,
        rounds: Vec<Round>,
        per_delivery: Vec<Duration>,
        forged: u64,
        source_calls: u64,
    }
    let mut idle = Vec::new();
    let mut churns: Vec<Churn> = forgers
        .iter()
        .map(|&forgers| Churn {
            forgers,
            rounds: Vec::new(),
            per_delivery: Vec::new(),
            forged: 0,
            source_calls: 0,
        })
        .collect();
    for _ in 0..rounds {
        idle.push(cached_round());
        for churn in &mut churns {
            let (round, forged, took, source) = churn_round(churn.forgers);
            churn.rounds.push(round);
            churn.forged += forged;
            churn.source_calls += source;
            if forged > 0 {
                churn.per_delivery.push(took / forged as u32);
            }
        }
    }

    let stat = |rounds: &[Round], q: f64| median(rounds.iter().map(|r| r.quantile(q)).collect());
    println!(
        "tenant t0 cached, genuine 1 KiB Mittr verify_at: median over {rounds} alternating rounds of {calls} calls"
    );
    println!(
        "  {:<38} {:>10} {:>10} {:>10} {:>16}",
        "", "p50", "p99", "max", "p50, p99 / idle"
    );
    let row = |name: &str, rounds: &[Round]| {
        println!(
            "  {:<38} {:>10.2?} {:>10.2?} {:>10.2?} {:>7.2}x {:>7.2}x",
            name,
            stat(rounds, 0.5),
            stat(rounds, 0.99),
            stat(rounds, 1.0),
            stat(rounds, 0.5).as_secs_f64() / stat(&idle, 0.5).as_secs_f64(),
            stat(rounds, 0.99).as_secs_f64() / stat(&idle, 0.99).as_secs_f64(),
        );
    };
    row("idle", &idle);
    for churn in &churns {
        row(
            &format!("{} thread(s) forging, 50 000 ids", churn.forgers),
            &churn.rounds,
        );
    }
    println!("  (goal: the p99 under churn at most 2x the idle p99)");
    for churn in &churns {
        if churn.per_delivery.is_empty() {
            continue;
        }
        println!(
            "  {} forging thread(s): {} deliveries, {:.3} source calls each, {:.2?} of a \
             thread's wall time each (median over rounds)",
            churn.forgers,
            churn.forged,
            churn.source_calls as f64 / churn.forged.max(1) as f64,
            median(churn.per_delivery.clone()),
        );
    }
    println!();

    // The cost of a miss, single-threaded: the same forged delivery for
    // the cached tenant t0, and for the next of the 50 000 ids.
    let mut cached_forged = forged.clone();
    cached_forged.insert(TENANT, HeaderValue::from_static("t0"));
    let mut any = forged.clone();
    let mut i = 0u64;
    let calls_before = source_calls.load(Ordering::Relaxed);
    let measured = interleaved::run_on(
        interleaved::Clock::ThreadCpu,
        rounds.max(5),
        2_000,
        &mut [
            interleaved::case("forged, cached tenant", || {
                let refused = verifier.verify_at(black_box(&cached_forged), &body, now);
                assert!(refused.is_err());
            }),
            interleaved::case("forged, any of 50 000 tenants", || {
                i += 1;
                forge(&mut any);
            }),
        ],
    );
    println!(
        "a forged delivery (median of {} alternating rounds of 2000 calls, thread CPU time)",
        measured.rounds
    );
    let misses = source_calls.load(Ordering::Relaxed) - calls_before;
    let miss_rate = misses as f64 / i.max(1) as f64;
    for (k, name) in measured.names.iter().enumerate() {
        println!(
            "  {:<44} {:>10.2?}  {:.1}x {}",
            name,
            measured.time(k),
            measured.ratio(k, 0),
            measured.names[0]
        );
    }
    let extra = measured.time(1).saturating_sub(measured.time(0));
    println!(
        "  the 50 000 tenants: {misses} source calls in {i} deliveries ({:.1}% misses); \
         a miss costs about {:.2?} more than a hit",
        miss_rate * 100.0,
        extra.div_f64(miss_rate.max(1e-9))
    );
}
