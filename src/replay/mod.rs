//! Replay protection: a delivery that was already accepted is rejected with
//! 409 `replayed`, also across several replicas sharing one store.
//!
//! A captured delivery can be sent again inside the tolerance window; a MITPO
//! delivery even at any time, with a fresh timestamp, since MITPO does not
//! sign its timestamp. [`ReplayProtection`] records each accepted delivery in
//! a [`ReplayStore`] under its key (the scheme and the matched signature,
//! [`ReplayKey`]), for a TTL of past tolerance + future tolerance by default:
//! a record never expires while its timestamp could still pass.
//!
//! - Records are written only after the signature verified, so forgeries
//!   cannot fill the store.
//! - Nothing is lost: the layer and the actix middleware, which see the
//!   handler's response, *reserve* the key when the signature verifies,
//!   *commit* it when the handler answers 2xx and *release* it when it
//!   answers otherwise or fails, so the provider's retry is processed. A copy
//!   that arrives while the first is in flight gets 409 too. A reservation
//!   lives [`ReplayProtection::pending_ttl`] (60 s by default) unless
//!   committed, so a crash mid-handler does not block the retry forever.
//! - The extractors cannot see the response: they commit at extraction. Use
//!   the layer / middleware for the full guarantee.
//!
//! **MITPO caveat**: its timestamp is unsigned, so once a record expires the
//! same body can be replayed with a fresh timestamp. Set a longer TTL with
//! [`ReplayProtection::ttl`] (hours or days, as the store allows) and make
//! handlers idempotent on the payload's own id.
//!
//! ```
//! use hookguard::replay::{MemoryStore, ReplayProtection};
//! use hookguard::{Scheme, Verifier};
//!
//! let verifier = Verifier::builder(Scheme::mitpo())
//!     .secret("whsec_k")
//!     .replay_protection(ReplayProtection::new(MemoryStore::new(100_000)))
//!     .build()?;
//! # Ok::<(), hookguard::ConfigError>(())
//! ```

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use memory::{MemoryStore, WhenFull, MEMORY_BYTES_PER_ENTRY};

use crate::signature::DIGEST_LEN;
use crate::{Error, SchemeKind, Verified};

/// The future a [`ReplayStore`] operation returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where accepted deliveries are recorded.
///
/// Implementations must make [`insert_if_absent`](Self::insert_if_absent)
/// atomic: of several concurrent calls with one key, exactly one sees
/// [`Inserted::Fresh`].
pub trait ReplayStore: Send + Sync + 'static {
    /// Inserts `key` for `ttl` unless it is present and unexpired.
    fn insert_if_absent<'a>(
        &'a self,
        key: &'a ReplayKey,
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted>;

    /// Sets `key` for `ttl`, present or not (commits a reservation).
    fn refresh<'a>(&'a self, key: &'a ReplayKey, ttl: Duration) -> StoreFuture<'a, ()>;

    /// Removes `key` (releases a reservation).
    fn remove<'a>(&'a self, key: &'a ReplayKey) -> StoreFuture<'a, ()>;
}

/// The outcome of [`ReplayStore::insert_if_absent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The key was absent and is now recorded.
    Fresh,
    /// The key was already recorded: a replay.
    Seen,
}

/// A store could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is at capacity with unexpired records (and evicting was not chosen).
    Full,
    /// The store cannot be reached (connection refused, timeout, …).
    Unavailable(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Full => f.write_str("the replay store is full"),
            StoreError::Unavailable(why) => write!(f, "the replay store is unavailable: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The key a delivery is recorded under: its scheme and the signature that
/// matched (unique per secret and signed message).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    scheme: SchemeKind,
    digest: [u8; DIGEST_LEN],
}

impl ReplayKey {
    /// The key of a verified delivery.
    pub fn of(verified: &Verified) -> Self {
        ReplayKey {
            scheme: verified.scheme(),
            digest: *verified.signature(),
        }
    }

    /// A compact binary form: one byte of scheme, then the 32-byte digest.
    pub fn to_bytes(&self) -> [u8; 1 + DIGEST_LEN] {
        let mut out = [0u8; 1 + DIGEST_LEN];
        out[0] = match self.scheme {
            SchemeKind::Mittr => 1,
            SchemeKind::Mitpo => 2,
        };
        out[1..].copy_from_slice(&self.digest);
        out
    }
}

impl ReplayKey {
    /// The full key as stored: `<scheme>:<64 hex digits>`. It holds the
    /// signature of an accepted delivery: a store's business, not a log's.
    pub fn storage_name(&self) -> String {
        format!("{}:{}", self.scheme, hex::encode(self.digest))
    }
}

/// An abbreviation for logs: `<scheme>:<first 8 hex digits>…`. The full
/// signature is never printed.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}…", self.scheme, hex::encode(&self.digest[..4]))
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({self})")
    }
}

/// Replay protection settings: a store and how long records live. Add it to
/// a verifier with [`VerifierBuilder::replay_protection`](crate::VerifierBuilder::replay_protection).
#[derive(Clone)]
pub struct ReplayProtection {
    store: Arc<dyn ReplayStore>,
    ttl: Option<Duration>,
    pending_ttl: Duration,
    fail_open: bool,
}

impl fmt::Debug for ReplayProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayProtection")
            .field("ttl", &self.ttl)
            .field("pending_ttl", &self.pending_ttl)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

/// How long a reservation lives before it is committed: 60 seconds.
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(60);

impl ReplayProtection {
    /// Records accepted deliveries in `store`.
    pub fn new(store: impl ReplayStore) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// Records accepted deliveries in a shared `store`.
    pub fn from_arc(store: Arc<dyn ReplayStore>) -> Self {
        ReplayProtection {
            store,
            ttl: None,
            pending_ttl: DEFAULT_PENDING_TTL,
            fail_open: false,
        }
    }

    /// An in-memory store with the default capacity ([`MemoryStore::default`]).
    pub fn in_memory() -> Self {
        Self::new(MemoryStore::default())
    }

    /// How long a record lives. Defaults to the verifier's past + future
    /// tolerance (600 s with the defaults); it may not be shorter, and must be
    /// set when the timestamp check is off. Longer is safer for MITPO, whose
    /// timestamp is unsigned.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// How long a reservation lives before the handler's answer commits or
    /// releases it. Defaults to 60 s ([`DEFAULT_PENDING_TTL`]); a handler
    /// slower than this lets a concurrent copy through.
    #[must_use]
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.pending_ttl = ttl;
        self
    }

    /// When the store is unavailable, accept deliveries (verified, but not
    /// checked for replay) instead of answering 503
    /// `replay_store_unavailable`. Off by default: fail closed.
    #[must_use]
    pub fn fail_open(mut self, fail_open: bool) -> Self {
        self.fail_open = fail_open;
        self
    }

    pub(crate) fn configured_ttl(&self) -> Option<Duration> {
        self.ttl
    }

    pub(crate) fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    fn record_ttl(&self) -> Duration {
        self.ttl.unwrap_or(Duration::ZERO)
    }

    fn store_error(&self, error: StoreError) -> Result<(), Error> {
        match error {
            StoreError::Full => Err(Error::ReplayStoreFull),
            StoreError::Unavailable(_) if self.fail_open => {
                #[cfg(feature = "tracing")]
                tracing::warn!(%error, "replay store unavailable; failing open");
                Ok(())
            }
            StoreError::Unavailable(reason) => Err(Error::ReplayStoreUnavailable { reason }),
        }
    }

    /// Records a verified delivery for the full TTL at once (what the
    /// extractors do, as they cannot see the handler's answer).
    ///
    /// # Errors
    /// [`Error::Replayed`] for a delivery already recorded,
    /// [`Error::ReplayStoreFull`], or [`Error::ReplayStoreUnavailable`]
    /// (unless failing open).
    pub async fn accept(&self, verified: &Verified) -> Result<(), Error> {
        let key = ReplayKey::of(verified);
        match self.store.insert_if_absent(&key, self.record_ttl()).await {
            Ok(Inserted::Fresh) => Ok(()),
            Ok(Inserted::Seen) => Err(Error::Replayed),
            Err(e) => self.store_error(e),
        }
    }

    /// Reserves a verified delivery's key until the handler answers; then
    /// [`Reservation::commit`] or [`Reservation::release`] it. `None` when
    /// the store was unavailable and failing open.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub async fn reserve(&self, verified: &Verified) -> Result<Option<Reservation>, Error> {
        let key = ReplayKey::of(verified);
        let pending = self.pending_ttl.min(self.record_ttl());
        match self.store.insert_if_absent(&key, pending).await {
            Ok(Inserted::Fresh) => Ok(Some(Reservation {
                protection: self.clone(),
                key,
            })),
            Ok(Inserted::Seen) => Err(Error::Replayed),
            Err(e) => self.store_error(e).map(|()| None),
        }
    }
}

/// A reserved key, waiting for the handler's answer.
#[derive(Debug)]
#[must_use = "commit or release the reservation"]
pub struct Reservation {
    protection: ReplayProtection,
    key: ReplayKey,
}

impl Reservation {
    /// The handler succeeded: keep the record for the full TTL.
    ///
    /// # Errors
    /// The store's error; the delivery was processed regardless.
    pub async fn commit(self) -> Result<(), StoreError> {
        let ttl = self.protection.record_ttl();
        self.protection.store.refresh(&self.key, ttl).await
    }

    /// The handler failed: forget the record so that a retry is processed.
    ///
    /// # Errors
    /// The store's error; the record then expires after the pending TTL.
    pub async fn release(self) -> Result<(), StoreError> {
        self.protection.store.remove(&self.key).await
    }

    /// Commits when `success`, releases otherwise, and logs a store error
    /// (the response is already decided).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub async fn settle(self, success: bool) {
        let key = self.key;
        let outcome = if success {
            self.commit().await
        } else {
            self.release().await
        };
        if let Err(error) = outcome {
            #[cfg(feature = "tracing")]
            tracing::warn!(key = %key, %error, "could not settle a replay reservation");
        }
    }

    /// The reserved key.
    pub fn key(&self) -> &ReplayKey {
        &self.key
    }
}
