//! The monotonic timer behind read deadlines, replay leases and the
//! dispatcher's waits, injectable so that tests need not wait in real time.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A timer's sleep: completes at its deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where deadlines come from: a monotonic clock and a way to wait for it.
pub trait Timer: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// A future that completes at `deadline`.
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// tokio's timer. The default; its sleeps must be polled within a tokio
/// runtime (as every tower, axum and actix-web server is).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// A timer that only moves when told to ([`advance`](Self::advance)): for
/// tests of deadlines and leases that should not wait in real time.
///
/// ```
/// use std::time::Duration;
/// use hookwarden::time::{ManualTimer, Timer};
///
/// let timer = ManualTimer::new();
/// let start = timer.now();
/// timer.advance(Duration::from_secs(30));
/// assert_eq!(timer.now() - start, Duration::from_secs(30));
/// ```
#[derive(Clone, Default)]
pub struct ManualTimer {
    state: Arc<Mutex<ManualState>>,
}

struct ManualState {
    start: Instant,
    elapsed: Duration,
    next_id: u64,
    sleepers: HashMap<u64, (Instant, Waker)>,
}

impl Default for ManualState {
    fn default() -> Self {
        ManualState {
            start: Instant::now(),
            elapsed: Duration::ZERO,
            next_id: 0,
            sleepers: HashMap::new(),
        }
    }
}

impl std::fmt::Debug for ManualTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualTimer")
            .field("elapsed", &self.lock().elapsed)
            .finish_non_exhaustive()
    }
}

impl ManualTimer {
    /// A timer standing still at the current instant.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`, waking every sleep now due.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut state = self.lock();
            state.elapsed += by;
            let now = state.start + state.elapsed;
            let ids: Vec<u64> = state
                .sleepers
                .iter()
                .filter(|(_, (at, _))| *at <= now)
                .map(|(id, _)| *id)
                .collect();
            ids.iter()
                .filter_map(|id| state.sleepers.remove(id))
                .map(|(_, waker)| waker)
                .collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// Sleeps not yet due.
    pub fn pending_sleeps(&self) -> usize {
        self.lock().sleepers.len()
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> Instant {
        let state = self.lock();
        state.start + state.elapsed
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let id = {
            let mut state = self.lock();
            state.next_id += 1;
            state.next_id
        };
        Box::pin(ManualSleep {
            timer: self.clone(),
            deadline,
            id,
        })
    }
}

struct ManualSleep {
    timer: ManualTimer,
    deadline: Instant,
    id: u64,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.timer.lock();
        if state.start + state.elapsed >= self.deadline {
            state.sleepers.remove(&self.id);
            return Poll::Ready(());
        }
        state
            .sleepers
            .insert(self.id, (self.deadline, cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        self.timer.lock().sleepers.remove(&self.id);
    }
}

/// `Some(output)` of `work` if it completes first, `None` if the sleep does.
/// The sleep is only made if `work` has to wait: work that completes at
/// once (an in-memory store) needs no timer, nor a runtime.
pub(crate) async fn first<F: Future + Unpin>(
    mut work: F,
    sleep: impl FnOnce() -> Sleep,
) -> Option<F::Output> {
    let mut sleep = Some(sleep);
    let mut armed: Option<Sleep> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut work).poll(cx) {
            return Poll::Ready(Some(output));
        }
        let timer = armed.get_or_insert_with(|| (sleep.take().expect("armed once"))());
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}
