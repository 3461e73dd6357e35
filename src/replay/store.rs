//! The [`ReplayStore`] trait: where deliveries in flight and processed are
//! recorded.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use super::ReplayKey;
use crate::error::Cause;

/// The future a [`ReplayStore`] operation returns: an answer already known
/// ([`ready`](Self::ready), what an in-memory store gives, without an
/// allocation) or one to wait for ([`new`](Self::new)).
pub struct StoreFuture<'a, T>(Answer<'a, T>);

enum Answer<'a, T> {
    Ready(Option<Result<T, StoreError>>),
    Waiting(Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>),
}

impl<'a, T> StoreFuture<'a, T> {
    /// An answer known at once.
    pub fn ready(answer: Result<T, StoreError>) -> Self {
        StoreFuture(Answer::Ready(Some(answer)))
    }

    /// An answer to wait for.
    pub fn new(future: impl Future<Output = Result<T, StoreError>> + Send + 'a) -> Self {
        StoreFuture(Answer::Waiting(Box::pin(future)))
    }
}

impl<T> Future for StoreFuture<'_, T> {
    type Output = Result<T, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Answer::Ready(answer) => {
                Poll::Ready(answer.take().expect("StoreFuture polled after completion"))
            }
            Answer::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

// Nothing in it is pinned in place: the answer is moved out, the boxed
// future pinned on the heap.
impl<T> Unpin for StoreFuture<'_, T> {}

impl<T> fmt::Debug for StoreFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Answer::Ready(_) => "StoreFuture(ready)",
            Answer::Waiting(_) => "StoreFuture(waiting)",
        })
    }
}

/// Identifies one lease, so that only its holder renews or releases it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseId(u128);

impl LeaseId {
    /// A fresh id: unique in this process, and random across processes.
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let nonce = *NONCE.get_or_init(|| {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            hasher.write_u32(std::process::id());
            hasher.finish()
        });
        let count = NEXT.fetch_add(1, Ordering::Relaxed);
        LeaseId((u128::from(nonce) << 64) | u128::from(count))
    }

    /// The id as a number.
    pub fn as_u128(self) -> u128 {
        self.0
    }

    /// An id from its number (for stores that read one back).
    pub fn from_u128(value: u128) -> Self {
        LeaseId(value)
    }
}

impl Default for LeaseId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseId({:032x})", self.0)
    }
}

/// The outcome of [`ReplayStore::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: the caller now holds its lease.
    Leased,
    /// Another lease holds the key: a copy is being processed (409
    /// `in_flight`).
    InFlight,
    /// The key is recorded as processed: this delivery is a replay (409
    /// `replayed`).
    Replayed,
}

/// A store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is at capacity with unexpired records, or the key's tenant
    /// at its share of a [`MemoryStore`](super::MemoryStore) (and evicting
    /// was not chosen).
    #[error("the replay store is full")]
    Full,
    /// The store cannot be reached, or did not answer in time. The operation
    /// may or may not have taken effect. The reason, and the store's own
    /// error when there is one (its [`source`](std::error::Error::source)).
    #[error("the replay store is unavailable: {0}")]
    Unavailable(String, #[source] Option<Cause>),
}

impl StoreError {
    /// The store is unavailable because of `error`: its text is the
    /// reason, and it is kept as the source.
    pub fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Unavailable(error.to_string(), Some(Cause::new(error)))
    }
}

/// Where deliveries are recorded: a key is free, held by a lease (a
/// delivery in flight), or done (processed).
///
/// Each operation must be atomic for its key: of several concurrent claims
/// of one free key, exactly one sees [`Claim::Leased`].
pub trait ReplayStore: Send + Sync + 'static {
    /// Leases `key` to `lease` for `ttl`, unless it is leased or done.
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim>;

    /// Extends `lease` on `key` to `ttl` from now; `false` when the
    /// key is no longer held by `lease` (expired, taken over, or done).
    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool>;

    /// Records `key` as done for `ttl`: `lease` processed it. Recorded
    /// whoever holds the key now (the delivery's effects happened, so it
    /// is done even if its lease was lost meanwhile); `lease` says which
    /// delivery commits, for a store that fences or logs by it.
    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()>;

    /// Frees `key` if `lease` still holds it (a done key stays done).
    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()>;
}
