//! Store work that outlives its request: releases of leases dropped
//! unsettled, commits that failed, claims that were cancelled. Each runs on
//! the tokio runtime, retried with backoff; without a runtime, one attempt
//! is made if the store answers at once (the in-memory store does).

use std::future::Future;
use std::time::Duration;

use super::{LeaseId, ReplayKey, ReplayProtection, COMMIT_RETRY_WINDOW};

/// Backoff between background attempts: 50 ms, doubling, at most 2 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(2))
}

impl ReplayProtection {
    /// Frees `key` if lease `id` still holds it, retrying until the lease would
    /// have expired by itself.
    pub(super) fn spawn_release(&self, key: ReplayKey, id: LeaseId) {
        let window = self.config.lease_ttl;
        self.spawn_retrying(window, move |this| {
            let key = key.clone();
            async move { this.timed(this.store().release(&key, id)).await }
        });
    }

    /// Records `key` as done by lease `id`, retrying for [`COMMIT_RETRY_WINDOW`].
    pub(super) fn spawn_commit(&self, key: ReplayKey, id: LeaseId) {
        self.spawn_retrying(COMMIT_RETRY_WINDOW, move |this| {
            let key = key.clone();
            async move {
                let ttl = this.settings().record_ttl;
                this.timed(this.store().commit(&key, id, ttl)).await
            }
        });
    }

    fn spawn_retrying<F, Fut>(&self, window: Duration, attempt: F)
    where
        F: Fn(ReplayProtection) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), super::StoreError>> + Send + 'static,
    {
        let this = self.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime: one attempt, kept only if it completes at once.
            let mut once = std::pin::pin!(attempt(this));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let _ = once.as_mut().poll(&mut cx);
            return;
        };
        runtime.spawn(async move {
            let timer = this.timer().clone();
            // A window too long to be represented never gives up.
            let give_up = timer.now().checked_add(window);
            for n in 0.. {
                if attempt(this.clone()).await.is_ok() {
                    return;
                }
                let next = timer.now() + backoff(n);
                if give_up.is_some_and(|give_up| next >= give_up) {
                    #[cfg(feature = "tracing")]
                    tracing::warn!("replay store: background settle gave up after {window:?}");
                    return;
                }
                timer.sleep_until(next).await;
            }
        });
    }
}

/// Undoes a claim whose future was dropped before the store answered (it
/// may have landed).
pub(super) struct ClaimGuard<'a> {
    protection: &'a ReplayProtection,
    key: &'a ReplayKey,
    id: LeaseId,
    armed: bool,
}

impl<'a> ClaimGuard<'a> {
    pub(super) fn new(protection: &'a ReplayProtection, key: &'a ReplayKey, id: LeaseId) -> Self {
        ClaimGuard {
            protection,
            key,
            id,
            armed: true,
        }
    }

    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for ClaimGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.protection.spawn_release(self.key.clone(), self.id);
        }
    }
}
