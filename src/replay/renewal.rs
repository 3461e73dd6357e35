//! The renewal schedule of a held [`Lease`](super::Lease): a renewal every
//! third of the lease's duration, on a fixed cadence. Each renewal is
//! bounded by the store timeout, and one still unanswered when the next is
//! due is abandoned for it: a renewal that hangs never holds up the next.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{LeaseId, ReplayKey, ReplayProtection, StoreError};
use crate::time::Sleep;

type Renewing = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send>>;

/// Where a lease's renewals stand: the next one's due time, and the one
/// waiting for the store's answer, if any.
#[derive(Default)]
pub(super) struct Renewal {
    tick: Option<Sleep>,
    renewing: Option<Renewing>,
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
        loop {
            self.poll_answer(cx, protection, key);
            if self.tick.is_none() {
                let timer = protection.timer();
                let period = protection.settings().lease_ttl / 3;
                let Some(due) = timer.now().checked_add(period) else {
                    return Poll::Pending; // a lease too long to ever need renewing
                };
                self.tick = Some(timer.sleep_until(due));
            }
            if let Some(tick) = self.tick.as_mut() {
                ready!(tick.as_mut().poll(cx));
            }
            self.tick = None;
            if self.renewing.is_some() {
                let late =
                    StoreError::Unavailable("no answer before the next renewal".into(), None);
                protection.log_renewal(key, Err(late));
            }
            self.renewing = Some(renew(protection, key, id));
        }
    }

    /// Takes the store's answer to the renewal in progress, if it came.
    fn poll_answer(
        &mut self,
        cx: &mut Context<'_>,
        protection: &ReplayProtection,
        key: &ReplayKey,
    ) {
        let Some(renewing) = self.renewing.as_mut() else {
            return;
        };
        if let Poll::Ready(outcome) = renewing.as_mut().poll(cx) {
            protection.log_renewal(key, outcome);
            self.renewing = None;
        }
    }
}

/// One renewal, bounded by the store timeout.
fn renew(protection: &ReplayProtection, key: &ReplayKey, id: LeaseId) -> Renewing {
    let (protection, key) = (protection.clone(), key.clone());
    let ttl = protection.settings().lease_ttl;
    Box::pin(async move {
        protection
            .timed(protection.store().renew(&key, id, ttl))
            .await
    })
}
