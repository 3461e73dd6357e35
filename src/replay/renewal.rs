//! The renewal schedule of a held [`Lease`](super::Lease): a renewal every
//! third of the lease's duration, on a fixed cadence, for at most the
//! maximum hold ([`ReplayProtection::max_hold`]). Each renewal is bounded by
//! the store timeout, and one still unanswered when the next is due is
//! abandoned for it: a renewal that hangs never holds up the next.
//!
//! The hold is counted from the schedule's first poll, right after the
//! claim. No renewal extends the lease past that start + the maximum hold:
//! the last one renews for the time remaining, not a full lease TTL, and
//! then renewals stop. Once the lease has lapsed, if the work it protects
//! still runs (this is still polled), that is logged once and counted.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use super::{LeaseId, ReplayKey, ReplayProtection, StoreError};
use crate::time::Sleep;

type Renewing = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send>>;

/// Where a lease's renewals stand: the hold and the next tick, and the
/// renewal waiting for the store's answer, if any.
#[derive(Default)]
pub(super) struct Renewal {
    /// Set on the first poll; boxed, so that a `Lease` (inside every
    /// adapter's future) grows by no more than a pointer.
    state: Option<Box<State>>,
    renewing: Option<Renewing>,
}

struct State {
    hold: Hold,
    tick: Option<Sleep>,
}

/// One lease's hold.
struct Hold {
    /// No renewal reaches past this (`None`: a maximum hold too long to
    /// be represented, no limit).
    deadline: Option<Instant>,
    /// When the lease expires if the last renewal sent lands.
    expiry: Option<Instant>,
    /// Renewals stopped: the next tick is the lease's lapse.
    ended: bool,
    /// The lapse was reported; nothing more to do.
    reported: bool,
}

impl Renewal {
    /// Renews `key` for lease `id` when due. Never completes.
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        protection: &ReplayProtection,
        key: &ReplayKey,
        id: LeaseId,
    ) -> Poll<()> {
        let timer = protection.timer();
        let settings = protection.settings();
        let State { hold, tick } = &mut **self.state.get_or_insert_with(|| {
            let start = timer.now();
            Box::new(State {
                hold: Hold {
                    deadline: start.checked_add(settings.max_hold),
                    expiry: start.checked_add(settings.lease_ttl),
                    ended: false,
                    reported: false,
                },
                tick: None,
            })
        });
        loop {
            Self::poll_answer(&mut self.renewing, cx, protection, key);
            if hold.reported {
                return Poll::Pending;
            }
            if tick.is_none() {
                let due = if hold.ended {
                    hold.expiry
                } else {
                    timer.now().checked_add(settings.lease_ttl / 3)
                };
                let Some(due) = due else {
                    return Poll::Pending; // a lease too long to ever need renewing
                };
                *tick = Some(timer.sleep_until(due));
            }
            if let Some(sleep) = tick.as_mut() {
                ready!(sleep.as_mut().poll(cx));
            }
            *tick = None;
            if hold.ended {
                // The lease has lapsed and its work still runs.
                hold.reported = true;
                protection.log_max_hold(key);
                continue;
            }
            let now = timer.now();
            let Some(ttl) = hold.next_ttl(now, settings.lease_ttl) else {
                hold.ended = true;
                continue;
            };
            if self.renewing.is_some() {
                let late =
                    StoreError::Unavailable("no answer before the next renewal".into(), None);
                protection.log_renewal(key, Err(late));
            }
            hold.expiry = now.checked_add(ttl);
            self.renewing = Some(renew(protection, key, id, ttl));
        }
    }

    /// Takes the store's answer to the renewal in progress, if it came.
    fn poll_answer(
        renewing: &mut Option<Renewing>,
        cx: &mut Context<'_>,
        protection: &ReplayProtection,
        key: &ReplayKey,
    ) {
        let Some(call) = renewing.as_mut() else {
            return;
        };
        if let Poll::Ready(outcome) = call.as_mut().poll(cx) {
            protection.log_renewal(key, outcome);
            *renewing = None;
        }
    }
}

impl Hold {
    /// The TTL to renew with at `now`: a full lease TTL, or only what
    /// remains up to the deadline; `None` when a renewal would not extend
    /// the lease within the deadline (the hold is over).
    fn next_ttl(&self, now: Instant, lease_ttl: Duration) -> Option<Duration> {
        let Some(deadline) = self.deadline else {
            return Some(lease_ttl);
        };
        if self.expiry.is_some_and(|expiry| expiry >= deadline) {
            return None;
        }
        let remaining = deadline.checked_duration_since(now)?;
        // Whole milliseconds (what stores keep), at least one.
        let remaining = Duration::from_millis(u64::try_from(remaining.as_millis()).ok()?);
        (!remaining.is_zero()).then(|| remaining.min(lease_ttl))
    }
}

/// One renewal for `ttl`, bounded by the store timeout.
fn renew(protection: &ReplayProtection, key: &ReplayKey, id: LeaseId, ttl: Duration) -> Renewing {
    let (protection, key) = (protection.clone(), key.clone());
    Box::pin(async move {
        protection
            .timed(protection.store().renew(&key, id, ttl))
            .await
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::replay::{Claim, ReplayStore, StoreFuture, DEFAULT_MAX_HOLD};
    use crate::time::{ManualTimer, Timer, Tolerance};

    /// A store that answers every renewal and records its TTL and when it
    /// was asked (on the test's timer).
    struct Recording {
        timer: ManualTimer,
        start: Instant,
        renewals: Mutex<Vec<(Duration, Duration)>>,
    }

    impl ReplayStore for Recording {
        fn claim<'a>(
            &'a self,
            _: &'a ReplayKey,
            _: LeaseId,
            _: Duration,
        ) -> StoreFuture<'a, Claim> {
            StoreFuture::ready(Ok(Claim::Leased))
        }
        fn renew<'a>(
            &'a self,
            _: &'a ReplayKey,
            _: LeaseId,
            ttl: Duration,
        ) -> StoreFuture<'a, bool> {
            let at = self.timer.now() - self.start;
            self.renewals.lock().unwrap().push((at, ttl));
            StoreFuture::ready(Ok(true))
        }
        fn commit<'a>(&'a self, _: &'a ReplayKey, _: LeaseId, _: Duration) -> StoreFuture<'a, ()> {
            StoreFuture::ready(Ok(()))
        }
        fn release<'a>(&'a self, _: &'a ReplayKey, _: LeaseId) -> StoreFuture<'a, ()> {
            StoreFuture::ready(Ok(()))
        }
    }

    /// A lease's renewal schedule driven by a manual timer.
    struct Schedule {
        timer: ManualTimer,
        store: Arc<Recording>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Schedule {
        fn start(lease_ttl: Duration, max_hold: Duration) -> Schedule {
            let timer = ManualTimer::new();
            let store = Arc::new(Recording {
                timer: timer.clone(),
                start: timer.now(),
                renewals: Mutex::default(),
            });
            let window = Some(Duration::from_secs(300));
            let protection = ReplayProtection::from_arc(store.clone())
                .lease_ttl(lease_ttl)
                .max_hold(max_hold)
                .resolve(
                    "t",
                    Tolerance {
                        past: window,
                        future: window,
                    },
                    None,
                    Arc::new(timer.clone()),
                )
                .unwrap();
            let key = ReplayKey::new("t", 7);
            let task = tokio::spawn(async move {
                let mut renewal = Renewal::default();
                std::future::poll_fn(|cx| renewal.poll(cx, &protection, &key, LeaseId::new())).await
            });
            Schedule { timer, store, task }
        }

        /// Lets the task run until its next sleep is armed (or it has none).
        async fn settle(&self) {
            for _ in 0..100 {
                tokio::task::yield_now().await;
            }
        }

        async fn advance(&self, by: Duration) {
            self.settle().await;
            self.timer.advance(by);
            self.settle().await;
        }

        fn renewals(&self) -> Vec<(Duration, Duration)> {
            self.store.renewals.lock().unwrap().clone()
        }
    }

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_last_renewal_reaches_the_max_hold_and_no_further() {
        let s = Schedule::start(ms(3000), ms(4500));
        for _ in 0..10 {
            s.advance(ms(500)).await;
        }
        // Every second (a third of 3 s): a full TTL at 1 s (expiry 4 s),
        // then only the 2.5 s left at 2 s (expiry 4.5 s), then none.
        assert_eq!(s.renewals(), [(ms(1000), ms(3000)), (ms(2000), ms(2500))]);
        // Past the lapse (4.5 s), reported once: nothing more is scheduled.
        assert_eq!(s.timer.pending_sleeps(), 0);
        s.advance(Duration::from_secs(3600)).await;
        assert_eq!(s.renewals().len(), 2);
        assert!(!s.task.is_finished(), "the schedule never completes");
        s.task.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_lapse_is_awaited_while_the_lease_still_holds() {
        let s = Schedule::start(ms(3000), ms(4500));
        for _ in 0..4 {
            s.advance(ms(1000)).await;
        }
        // Renewals over, the lapse (4.5 s) still ahead.
        assert_eq!(s.renewals().len(), 2);
        assert_eq!(s.timer.pending_sleeps(), 1);
        s.advance(ms(500)).await;
        assert_eq!(s.timer.pending_sleeps(), 0);
        s.task.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_max_hold_of_zero_or_under_the_lease_ttl_renews_never() {
        for max_hold in [Duration::ZERO, ms(2000), ms(3000)] {
            let s = Schedule::start(ms(3000), max_hold);
            for _ in 0..20 {
                s.advance(ms(500)).await;
            }
            assert_eq!(s.renewals(), [], "max hold {max_hold:?}");
            assert_eq!(s.timer.pending_sleeps(), 0);
            s.task.abort();
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unrepresentable_max_hold_renews_for_as_long_as_the_work_runs() {
        let s = Schedule::start(ms(3000), Duration::MAX);
        for _ in 0..600 {
            s.advance(ms(1000)).await;
        }
        let renewals = s.renewals();
        assert_eq!(renewals.len(), 600);
        assert!(renewals.iter().all(|(_, ttl)| *ttl == ms(3000)));
        s.task.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_default_holds_five_minutes() {
        let s = Schedule::start(crate::replay::DEFAULT_LEASE_TTL, DEFAULT_MAX_HOLD);
        for _ in 0..400 {
            s.advance(ms(1000)).await;
        }
        let renewals = s.renewals();
        let (at, ttl) = *renewals.last().unwrap();
        // The last renewal ends exactly at 5 minutes.
        assert_eq!(at + ttl, DEFAULT_MAX_HOLD);
        assert!(renewals
            .iter()
            .all(|(at, ttl)| *at + *ttl <= DEFAULT_MAX_HOLD));
        s.task.abort();
    }
}
