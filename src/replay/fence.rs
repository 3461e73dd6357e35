//! [`Fence`]: a held lease's identity, handed to the handler so that it can
//! record its delivery as processed inside its own database transaction.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{LeaseId, ReplayKey};

/// The identity of the lease a delivery is processed under: its key, its
/// lease id and the record TTL. Found in [`VerifiedDelivery::fence`](crate::VerifiedDelivery::fence)
/// behind every adapter (the tower layer and the actix-web middleware put
/// the delivery in the request extensions; both `Verified<T>` extractors
/// carry it), whenever a lease is held.
///
/// A store that lives in the application's own database records the
/// delivery as processed *in the handler's transaction*, fenced by this
/// lease: with feature `postgres`,
/// [`postgres::record`](crate::replay::postgres::record). The record then
/// commits or rolls back with the handler's writes, and fails (aborting the
/// transaction) when the lease was lost meanwhile, taken by another
/// replica. Once a handler has tried to record, "processed" means that its
/// transaction committed: the layer, the middleware and
/// [`Ack::commit`](crate::extract::Ack::commit) no longer commit the key
/// themselves. On a success they leave it to that transaction (no store
/// call); on a failure they release it, which frees the key if the
/// transaction rolled back and never undoes one that committed.
#[derive(Clone)]
pub struct Fence(Arc<Inner>);

struct Inner {
    key: ReplayKey,
    lease: LeaseId,
    record_ttl: Duration,
    handed_over: AtomicBool,
}

impl Fence {
    pub(super) fn new(key: ReplayKey, lease: LeaseId, record_ttl: Duration) -> Self {
        Fence(Arc::new(Inner {
            key,
            lease,
            record_ttl,
            handed_over: AtomicBool::new(false),
        }))
    }

    /// The key the delivery is recorded under.
    pub fn key(&self) -> &ReplayKey {
        &self.0.key
    }

    /// The lease the delivery is held by.
    pub fn lease(&self) -> LeaseId {
        self.0.lease
    }

    /// How long the record of the processed delivery lives.
    pub fn record_ttl(&self) -> Duration {
        self.0.record_ttl
    }

    /// Hands the delivery's record over to the handler's transaction: from
    /// now on its lease settles by a release, never by a commit of its own,
    /// so that only that transaction's commit marks the delivery processed.
    /// Called by a store's in-transaction record *before* it tries to
    /// record (a record that failed on the fence must not be overridden by
    /// a commit when the handler answers 2xx anyway); a store of your own
    /// that records in a transaction calls it too. Calling it without
    /// recording means a 2xx no longer marks the delivery processed: the
    /// provider's retry is processed again.
    pub fn hand_over(&self) {
        self.0.handed_over.store(true, Ordering::Release);
    }

    /// Whether the delivery's record was handed over to the handler's
    /// transaction ([`hand_over`](Self::hand_over)).
    pub fn is_handed_over(&self) -> bool {
        self.0.handed_over.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fence")
            .field("key", self.key())
            .field("lease", &self.lease())
            .field("handed_over", &self.is_handed_over())
            .finish_non_exhaustive()
    }
}

/// Two fences are equal when they fence the same lease on the same key.
impl PartialEq for Fence {
    fn eq(&self, other: &Self) -> bool {
        self.lease() == other.lease() && self.key() == other.key()
    }
}

impl Eq for Fence {}
