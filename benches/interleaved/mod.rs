//! Ratios that survive a noisy machine: the cases run in turn, round after
//! round, so that whatever slows the machine down slows them alike; each
//! round's time per call is compared with the first case's in the same
//! round, and the median of those per-round ratios is reported. Shared by
//! the benchmarks (not a benchmark itself).
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One case: a name and one call to time.
pub struct Case<'a> {
    pub name: &'a str,
    pub call: Box<dyn FnMut() + 'a>,
}

pub fn case<'a>(name: &'a str, call: impl FnMut() + 'a) -> Case<'a> {
    Case {
        name,
        call: Box::new(call),
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Times `iters` calls of each case per round, for `rounds` rounds, and
/// prints each case's median time per call and its median per-round ratio
/// to the first case. Returns the ratios, in case order.
pub fn compare(title: &str, rounds: usize, iters: u32, cases: &mut [Case<'_>]) -> Vec<f64> {
    for case in cases.iter_mut() {
        for _ in 0..iters.min(1000) {
            (case.call)(); // warm up
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..iters {
                (case.call)();
            }
            times[i].push((started.elapsed() / iters).as_secs_f64());
        }
    }
    println!("{title} (median of {rounds} alternating rounds of {iters} calls)");
    let mut ratios = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let per_round: Vec<f64> = times[i].iter().zip(&times[0]).map(|(t, b)| t / b).collect();
        let ratio = median(per_round);
        let time = Duration::from_secs_f64(median(times[i].clone()));
        println!(
            "  {:<44} {:>10.3?}  {ratio:.3}x {}",
            case.name, time, cases[0].name
        );
        ratios.push(ratio);
    }
    ratios
}
