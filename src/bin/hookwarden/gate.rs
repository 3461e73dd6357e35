//! The bound on `listen`'s diagnoses. A diagnosis tries up to 256
//! candidates, each a signature over a body of up to 1 MiB: tens of
//! milliseconds of CPU for a large body, so a flood of rejected deliveries
//! could otherwise take every core. Diagnoses run one at a time, off the
//! serving threads, and within a share of one core; a rejected delivery
//! past that bound gets its verdict alone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Diagnoses running at once.
pub const AT_ONCE: usize = 1;

/// The share of one core diagnoses may take on average: a half. They may
/// take up to [`BURST`] at once after a quiet spell, then as much time as
/// they left idle.
pub const CPU_SHARE: f64 = 0.5;

/// The most diagnosis time that may run back to back.
pub const BURST: Duration = Duration::from_secs(1);

/// Why a diagnosis was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// [`AT_ONCE`] diagnoses are running.
    Busy,
    /// The diagnoses have used their [`CPU_SHARE`] lately.
    OverShare,
}

impl Skipped {
    /// The reason, for the report and the `hookwarden-diagnosis` header.
    pub fn reason(self) -> &'static str {
        match self {
            Skipped::Busy => "skipped (busy: another diagnosis is running)",
            Skipped::OverShare => "skipped (diagnoses have used their half of a core lately)",
        }
    }
}

/// The gate diagnoses go through; cheap to clone.
#[derive(Clone)]
pub struct Gate {
    state: Arc<Mutex<State>>,
}

struct State {
    running: usize,
    /// Seconds of diagnosis time that may still run; negative while the
    /// diagnoses are over their share.
    credit: f64,
    refilled: Instant,
}

impl Gate {
    pub fn new() -> Self {
        Gate {
            state: Arc::new(Mutex::new(State {
                running: 0,
                credit: BURST.as_secs_f64(),
                refilled: Instant::now(),
            })),
        }
    }

    /// A ticket to diagnose, or why not. The time until the ticket is
    /// dropped is charged to the share.
    pub fn try_start(&self) -> Result<Ticket, Skipped> {
        let mut state = self.lock();
        let now = Instant::now();
        let idle = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.credit = (state.credit + idle * CPU_SHARE).min(BURST.as_secs_f64());
        state.refilled = now;
        if state.running >= AT_ONCE {
            return Err(Skipped::Busy);
        }
        if state.credit <= 0.0 {
            return Err(Skipped::OverShare);
        }
        state.running += 1;
        Ok(Ticket {
            gate: self.clone(),
            started: now,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One diagnosis under way; its time is charged when it is dropped.
pub struct Ticket {
    gate: Gate,
    started: Instant,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let took = self.started.elapsed().as_secs_f64();
        let mut state = self.gate.lock();
        state.running -= 1;
        state.credit -= took;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_a_time_within_the_share() {
        let gate = Gate::new();
        let ticket = gate.try_start().unwrap();
        assert_eq!(gate.try_start().err(), Some(Skipped::Busy));
        drop(ticket);
        let ticket = gate.try_start().unwrap();
        // A diagnosis that ran past the burst leaves the share overdrawn.
        gate.lock().credit -= 2.0 * BURST.as_secs_f64();
        drop(ticket);
        assert_eq!(gate.try_start().err(), Some(Skipped::OverShare));
        // Idle time pays it back at the share's rate.
        let long_ago = Instant::now().checked_sub(Duration::from_secs(10)).unwrap();
        gate.lock().refilled = long_ago;
        let ticket = gate.try_start().unwrap();
        assert!(
            gate.lock().credit <= BURST.as_secs_f64(),
            "never past the burst"
        );
        drop(ticket);
    }
}
