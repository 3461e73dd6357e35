//! Ratios that survive a noisy machine: the cases run in turn, round after
//! round, so that whatever slows the machine down slows them alike; each
//! round's time per call is compared with the first case's in the same
//! round, and the median of those per-round ratios is reported. Shared by
//! the benchmarks (not a benchmark itself).
//!
//! Single-threaded cases can also be timed on the thread's CPU clock
//! ([`Clock::ThreadCpu`]), which does not run while the thread waits for a
//! core: on a machine shared with builds, a round is then not charged for
//! the time slices other processes took (what remains of their effect,
//! such as evicted caches, the interleaving evens out).
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One case: a name and one call to time.
pub struct Case<'a> {
    pub name: &'a str,
    pub call: Box<dyn FnMut() + 'a>,
    /// Calls per round for this case, when not the run's (a case far
    /// slower than the others, such as a public-key signature check).
    pub iters: Option<u32>,
}

pub fn case<'a>(name: &'a str, call: impl FnMut() + 'a) -> Case<'a> {
    Case {
        name,
        call: Box::new(call),
        iters: None,
    }
}

impl Case<'_> {
    /// Times `iters` calls per round for this case instead of the run's.
    pub fn iters(mut self, iters: u32) -> Self {
        self.iters = Some(iters);
        self
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn quantile(mut xs: Vec<f64>, q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() - 1) as f64 * q).round() as usize]
}

/// Each case's time per call (seconds), one entry per round.
pub struct Rounds {
    pub names: Vec<String>,
    pub times: Vec<Vec<f64>>,
    pub rounds: usize,
    pub iters: u32,
}

impl Rounds {
    /// Case `i`'s median time per call.
    pub fn time(&self, i: usize) -> Duration {
        Duration::from_secs_f64(median(self.times[i].clone()))
    }

    fn per_round(&self, i: usize, base: usize) -> Vec<f64> {
        self.times[i]
            .iter()
            .zip(&self.times[base])
            .map(|(t, b)| t / b)
            .collect()
    }

    /// The median of case `i`'s per-round ratios to case `base`.
    pub fn ratio(&self, i: usize, base: usize) -> f64 {
        median(self.per_round(i, base))
    }

    /// The 25th and 75th percentiles of those per-round ratios: how noisy
    /// the run was.
    pub fn spread(&self, i: usize, base: usize) -> (f64, f64) {
        let r = self.per_round(i, base);
        (quantile(r.clone(), 0.25), quantile(r, 0.75))
    }
}

/// What a round is timed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed (monotonic) time: right for cases that wait or use other threads.
    Wall,
    /// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): for
    /// single-threaded, CPU-bound cases.
    ThreadCpu,
}

impl Clock {
    /// Runs `f` and returns how long it took on this clock.
    fn time(self, f: impl FnOnce()) -> Duration {
        match self {
            Clock::Wall => {
                let started = Instant::now();
                f();
                started.elapsed()
            }
            Clock::ThreadCpu => {
                let cpu = || {
                    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
                    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
                };
                let started = cpu();
                f();
                cpu().saturating_sub(started)
            }
        }
    }
}

/// Times `iters` calls of each case per round (or the case's own count),
/// for `rounds` rounds, the cases in turn within each round, on the wall clock.
pub fn run(rounds: usize, iters: u32, cases: &mut [Case<'_>]) -> Rounds {
    run_on(Clock::Wall, rounds, iters, cases)
}

/// As [`run`], timed on `clock`.
pub fn run_on(clock: Clock, rounds: usize, iters: u32, cases: &mut [Case<'_>]) -> Rounds {
    for case in cases.iter_mut() {
        for _ in 0..case.iters.unwrap_or(iters).min(1000) {
            (case.call)(); // warm up
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            let n = case.iters.unwrap_or(iters);
            let took = clock.time(|| {
                for _ in 0..n {
                    (case.call)();
                }
            });
            times[i].push((took / n).as_secs_f64());
        }
    }
    Rounds {
        names: cases.iter().map(|c| c.name.to_owned()).collect(),
        times,
        rounds,
        iters,
    }
}

/// Times `iters` calls of each case per round, for `rounds` rounds, and
/// prints each case's median time per call and its median per-round ratio
/// to the first case. Returns the ratios, in case order.
pub fn compare(title: &str, rounds: usize, iters: u32, cases: &mut [Case<'_>]) -> Vec<f64> {
    let measured = run(rounds, iters, cases);
    println!("{title} (median of {rounds} alternating rounds of {iters} calls)");
    let mut ratios = Vec::new();
    for (i, name) in measured.names.iter().enumerate() {
        let ratio = measured.ratio(i, 0);
        println!(
            "  {:<44} {:>10.3?}  {ratio:.3}x {}",
            name,
            measured.time(i),
            measured.names[0]
        );
        ratios.push(ratio);
    }
    ratios
}
