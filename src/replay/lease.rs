//! [`Lease`]: a delivery's lease on its replay key while its handler runs.
//! Renewed while held, settled by the handler's outcome, released when
//! dropped unsettled (a panic, a client gone, a shutdown).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use sync_wrapper::SyncWrapper;

use super::renewal::Renewal;
use super::{Fence, LeaseId, ReplayKey, ReplayProtection};

/// A delivery's lease on its replay key, held while its handler runs:
/// copies that arrive meanwhile get 409 `in_flight`. Obtained by a
/// [claim](ReplayProtection::claim); the adapters hold one while the handler
/// runs (a standalone extractor through its [`Ack`](crate::extract::Ack)).
///
/// - [`commit`](Self::commit) when the delivery was processed: the key is
///   recorded as done for the record TTL (copies get 409 `replayed`). A
///   failed commit is retried in the background for up to
///   [`COMMIT_RETRY_WINDOW`].
/// - [`release`](Self::release) when it was not: the key is freed so that the
///   provider's retry is processed.
/// - Dropped unsettled (the handler panicked, the client went away, the
///   server shut down), it is released in the background.
///
/// While held, the lease lasts [`ReplayProtection::lease_ttl`] (10 s by
/// default) and is renewed every third of it by its [`KeepAlive`] (see
/// [`keep_alive`](Self::keep_alive)); a lease whose holder vanished without
/// reaching the store expires by itself within that time.
#[must_use = "commit or release the lease; dropping it releases the delivery"]
pub struct Lease {
    protection: ReplayProtection,
    /// The key and the lease's id, as the handler sees them, and whether
    /// the handler recorded the delivery in its own transaction.
    fence: Fence,
    /// Its slot in the registry of held leases.
    slot: usize,
    phase: Phase,
    /// Only ever used through `&mut self`: wrapped so that a `Lease` (and
    /// so an `Ack`, a `Verified<T>`) is `Sync` although the futures inside
    /// are only `Send`.
    renewal: SyncWrapper<Renewal>,
    /// A renewal task, for a lease nobody polls (an extractor's).
    background: Option<tokio::task::AbortHandle>,
}

/// How long a failed commit is retried in the background: 60 s.
pub const COMMIT_RETRY_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Held,
    Committing,
    Releasing,
    Settled,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("key", self.fence.key())
            .field("id", &self.fence.lease())
            .finish_non_exhaustive()
    }
}

impl Lease {
    pub(super) fn new(protection: ReplayProtection, key: ReplayKey, id: LeaseId) -> Self {
        let slot = protection.leases().insert(id, key.clone());
        let fence = Fence::new(key, id, protection.settings().record_ttl);
        Lease {
            protection,
            fence,
            slot,
            phase: Phase::Held,
            renewal: SyncWrapper::default(),
            background: None,
        }
    }

    /// Renews the lease from a background task until the lease is settled
    /// or dropped, for a lease nobody polls (an extractor's [`Ack`](crate::extract::Ack)).
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn renew_in_background(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let keeper = Lease {
            protection: self.protection.clone(),
            fence: self.fence.clone(),
            slot: usize::MAX,
            phase: Phase::Settled, // the keeper settles nothing
            renewal: SyncWrapper::default(),
            background: None,
        };
        // The same driver as a layer's or a middleware's: a `KeepAlive`,
        // here around work that never ends (aborted when the lease settles).
        let task = runtime.spawn(keeper.keep_alive(std::future::pending::<()>()));
        self.background = Some(task.abort_handle());
    }

    /// The key held.
    pub fn key(&self) -> &ReplayKey {
        self.fence.key()
    }

    /// The lease's identity, for a handler that records the delivery in its
    /// own transaction (see [`Fence`]); the adapters hand it over in
    /// [`VerifiedDelivery::fence`](crate::VerifiedDelivery::fence).
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// Runs `future` while keeping the lease alive; yields its output and the
    /// lease back (always `Some`), to be settled by that output.
    pub fn keep_alive<F: Future>(self, future: F) -> KeepAlive<F> {
        KeepAlive::new(future, Some(self))
    }

    /// Renews the lease when due (every third of the lease's duration, each
    /// renewal bounded by the store timeout, one that hangs abandoned for
    /// the next). Never completes; poll it beside the work the lease
    /// protects (what [`keep_alive`](Self::keep_alive) does).
    pub fn poll_renew(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let renewal = self.renewal.get_mut();
        renewal.poll(cx, &self.protection, self.fence.key(), self.fence.lease())
    }

    /// Settles by the handler's outcome: [`commit`](Self::commit) when
    /// `processed`, [`release`](Self::release) otherwise.
    pub async fn settle(self, processed: bool) {
        if processed {
            self.commit().await;
        } else {
            self.release().await;
        }
    }

    /// The delivery was processed: records its key as done. One attempt
    /// inline, bounded by the store timeout; a failure or a timeout is
    /// logged and retried in the background (for up to
    /// [`COMMIT_RETRY_WINDOW`]). If this future is dropped before the store
    /// answered, the commit still goes ahead in the background.
    ///
    /// When the handler recorded (or tried to record) the delivery in its
    /// own transaction ([`Fence::is_handed_over`]), that transaction's
    /// commit is what counts, and this settles without a store call: a
    /// committed record stands, and a transaction rolled back behind a
    /// success leaves a lease that expires by itself (the provider, told
    /// the delivery succeeded, sends no retry to wait for it).
    pub async fn commit(mut self) {
        self.leave_registry();
        if self.fence.is_handed_over() {
            self.phase = Phase::Settled;
            return;
        }
        self.phase = Phase::Committing;
        let ttl = self.protection.settings().record_ttl;
        let commit = self
            .protection
            .store()
            .commit(self.fence.key(), self.fence.lease(), ttl);
        let outcome = self.protection.timed(commit).await;
        self.phase = Phase::Settled;
        if let Err(error) = outcome {
            self.protection
                .log_settle_error("commit", self.fence.key(), &error);
            self.protection
                .spawn_commit(self.fence.key().clone(), self.fence.lease());
        }
    }

    /// The delivery was not processed: frees its key so that a retry is.
    /// One attempt inline, bounded by the store timeout; a failure or a
    /// timeout is retried in the background until the lease would have
    /// expired anyway.
    pub async fn release(mut self) {
        self.leave_registry();
        self.phase = Phase::Releasing;
        let release = self
            .protection
            .store()
            .release(self.fence.key(), self.fence.lease());
        let outcome = self.protection.timed(release).await;
        self.phase = Phase::Settled;
        if let Err(error) = outcome {
            self.protection
                .log_settle_error("release", self.fence.key(), &error);
            self.protection
                .spawn_release(self.fence.key().clone(), self.fence.lease());
        }
    }

    fn leave_registry(&mut self) {
        if self.phase == Phase::Held {
            self.protection
                .leases()
                .remove(self.slot, self.fence.lease());
        }
        if let Some(task) = self.background.take() {
            task.abort();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        match self.phase {
            Phase::Held | Phase::Releasing => {
                self.leave_registry();
                self.protection
                    .spawn_release(self.fence.key().clone(), self.fence.lease());
            }
            Phase::Committing => self
                .protection
                .spawn_commit(self.fence.key().clone(), self.fence.lease()),
            Phase::Settled => {}
        }
    }
}

pin_project! {
    /// A future run under a [`Lease`], renewing it: see [`Lease::keep_alive`].
    /// The one driver of a lease's renewals, whoever holds the lease: the
    /// intake's [`Handle`](crate::intake::Handle) (behind the tower layer and
    /// the actix-web middleware) and an extractor's
    /// [`Ack`](crate::extract::Ack) (from a background task).
    pub struct KeepAlive<F> {
        #[pin]
        future: F,
        lease: Option<Lease>,
        done: bool,
    }
}

impl<F> KeepAlive<F> {
    /// `future` under `lease` (none: `future` alone).
    pub(crate) fn new(future: F, lease: Option<Lease>) -> Self {
        KeepAlive {
            future,
            lease,
            done: false,
        }
    }
}

impl<F: Future> Future for KeepAlive<F> {
    type Output = (F::Output, Option<Lease>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(!*this.done, "KeepAlive polled after completion");
        if let Poll::Ready(output) = this.future.poll(cx) {
            *this.done = true;
            return Poll::Ready((output, this.lease.take()));
        }
        if let Some(lease) = this.lease.as_mut() {
            let _ = lease.poll_renew(cx);
        }
        Poll::Pending
    }
}
