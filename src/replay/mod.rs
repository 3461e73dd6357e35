//! Replay protection: a delivery already processed is refused with 409
//! `replayed`, a copy of one in flight with 409 `in_flight` and
//! `Retry-After`, also across several replicas sharing one store.
//!
//! A captured delivery can be sent again inside the tolerance window; a MITPO
//! delivery even at any time, with a fresh timestamp, since MITPO does not
//! sign its timestamp. [`ReplayProtection`] records each delivery in a
//! [`ReplayStore`] under its [`ReplayKey`]: the verifier's name and a digest
//! of what the scheme's [`ReplayBasis`](crate::scheme::ReplayBasis) names in
//! the signed delivery (an event id in the body, a signed delivery id, the
//! body, or the signed message), the same whichever secret or signature
//! entry matched.
//!
//! # The default
//!
//! A verifier built without any replay setting has replay protection,
//! whatever its scheme: every adapter (the tower layer, the axum and actix
//! extractors, the actix middleware) and the [intake](crate::intake) refuse
//! a copy of a delivery already processed (409 `replayed`) or being
//! processed (409 `in_flight`), a copy being whatever has the same key (see
//! [below](#what-counts-as-the-same-delivery)). [`VerifierBuilder::without_replay_protection`](crate::VerifierBuilder::without_replay_protection)
//! opts out; [`VerifierBuilder::replay_protection`](crate::VerifierBuilder::replay_protection)
//! sets a store of one's own. The default is a [`MemoryStore`] of
//! [`DEFAULT_CAPACITY`] (100,000) records. Each lives as long as a copy
//! could still arrive: where the key is the signed message and the
//! timestamp is signed (Mittr), as long as a copy could still pass the
//! freshness check (past + future tolerance and a second, 601 s with the
//! defaults); where the key is what a provider's retries share, the
//! scheme's retry horizon ([`Scheme::replay_record_ttl`](crate::Scheme::replay_record_ttl),
//! never shorter than the window): 3 days for Stripe (`/id`) and GitHub
//! (the body), 2 days for Standard Webhooks and Svix (`webhook-id`), a day
//! for Slack (`/event_id`), Shopify and MITPO (the body). No TTL needs
//! setting for any preset.
//!
//! What it protects:
//!
//! - **copies** of a delivery this process verified: a captured request
//!   re-sent, the same bytes sent twice, and — where the key is what the
//!   provider's retries share — a retry the provider signed again with a
//!   fresh timestamp: the same Stripe `/id` or Slack `/event_id`, the same
//!   signed `webhook-id` (Standard Webhooks, Svix), the same body (GitHub,
//!   Shopify, MITPO, whatever timestamp it carries). For Mittr, keyed on its
//!   signed message by default, exact copies only (see below);
//! - **in one process**, for as long as it runs;
//! - **best effort when full**: it never answers 503 for lack of room.
//!   Past 100,000 records (above about 166 deliveries a second for 601 s
//!   records, 1.2 a second for a day's, 0.6 for 2 days', 0.4 for 3 days')
//!   it forgets the oldest records of *processed* deliveries to make room — never a held lease, so a copy of
//!   a delivery being processed is always refused — and counts each
//!   ([`MemoryStore::evicted`], the metric
//!   `hookwarden_replay_records_evicted_total` with feature `metrics`) and
//!   logs a warning at most once a second ([`EVICTION_WARNING_INTERVAL`]).
//!   A copy of a forgotten delivery is accepted again if still fresh: at
//!   such rates the default store cannot guarantee a multi-day window (a
//!   retry late in Stripe's or GitHub's 3-day schedule may be processed
//!   again); a shared store (Redis, PostgreSQL) sized for the traffic is
//!   what guarantees it. Only a store full of held leases (100,000
//!   deliveries in flight at once) answers 503 `replay_store_full`.
//! - **shared fairly between tenants**: with secrets per tenant
//!   ([`VerifierBuilder::secret_source`](crate::VerifierBuilder::secret_source)),
//!   one tenant holds at most its share of the store, a quarter of it
//!   (25,000 records, [`MemoryStore::tenant_share`]). A tenant at its share
//!   forgets its own oldest processed records to make room, never another
//!   tenant's, counted and logged as above (the metric by verifier, never
//!   by tenant); a full store forgets from the partition holding the most
//!   records. So one tenant sending any number of distinct valid
//!   deliveries (a customer's account abused, a loop in its sender) leaves
//!   the other tenants' records where they were, and three quarters of the
//!   store to them: their new deliveries pass, their copies are refused. A
//!   tenant holding its share in held leases alone (25,000 of its
//!   deliveries in flight) gets 503 `replay_store_full`, alone. The price:
//!   a tenant whose own traffic needs more than a quarter of the store
//!   forgets its records sooner than the whole store would; a store set
//!   explicitly changes the share
//!   (`MemoryStore::new(n).when_full(WhenFull::EvictOldest).tenant_share(records)`).
//!
//! What it does not protect: another replica, or this process after a
//! restart (share a `RedisStore` or a `PostgresStore` between replicas,
//! features `redis`, `postgres`); for Mittr keyed on its signed message, a
//! retry the provider signs again with a fresh timestamp (a different
//! message, see below); a delivery once its record expired; and [`Verifier::verify`](crate::Verifier::verify) called by
//! hand, which checks the signature and freshness only and never claims
//! (claim with the verifier's
//! [`replay_protection`](crate::Verifier::replay_protection)). Memory: at
//! most about [`MEMORY_BYTES_PER_ENTRY`] (150) bytes a record, so 10 to 15
//! MB for a full default store, per verifier, taken only as deliveries
//! arrive.
//!
//! A store set explicitly keeps the stricter guarantee: a [`MemoryStore`]
//! you build ([`MemoryStore::new`], [`ReplayProtection::in_memory`])
//! rejects by default ([`WhenFull::Reject`]): it never forgets an unexpired
//! record, and a full one answers 503 `replay_store_full` (fail closed).
//! With tenants, a tenant holding its share (a quarter of the capacity by
//! default) gets that answer alone; the others keep the rest of the store.
//!
//! # What counts as the same delivery
//!
//! The key is made of signed bytes only, chosen per scheme by its
//! [`ReplayBasis`](crate::scheme::ReplayBasis): what a provider's retries of
//! one event share, where the provider signs something they share.
//!
//! - **Stripe** keys on the event id in the signed body (`/id`, records of
//!   3 days), **Slack** on the envelope's `/event_id` (a day): a retry
//!   re-signed with a fresh timestamp is the same event, refused 409
//!   `replayed` (or `in_flight` while the first attempt runs).
//! - **Standard Webhooks** (and Svix) key on the signed `webhook-id`, as the
//!   spec asks (2 days): a re-signed retry has the same id, and is caught.
//! - **GitHub** (3 days), **Shopify** and **MITPO** (a day) key on the body,
//!   which is what they sign: a retry, or a MITPO body re-sent with a fresh
//!   (unsigned) timestamp, has the same key, and is caught.
//! - **Mittr** keeps the signed message, `<timestamp>.<body>`, by default. A
//!   retry that the provider signs again with a fresh timestamp — as
//!   hookwarden's own dispatcher (`hookwarden::dispatcher`) does on every
//!   attempt — is a different message with a different key: `in_flight` and
//!   `replayed` catch only exact copies there, and both attempts of one
//!   event can be processed, even at the same time. Key it on the payload's
//!   id in one line:
//!   `Scheme::mittr().into_builder().replay_basis(ReplayBasis::json_pointer("/id")).build()?`.
//!
//! A body without the field a pointer names (not JSON, the field missing,
//! or neither a string nor a number) is keyed by its signed message, never
//! refused, and counted (`hookwarden_replay_key_fallbacks_total`).
//!
//! Either way, handlers must be idempotent on the payload's own id (an
//! event id inside the signed body): replay protection refuses copies, it
//! does not deduplicate events.
//!
//! # At least once, and never twice on purpose
//!
//! A key is *leased* while its delivery is processed and *processed* once it
//! was:
//!
//! 1. When the signature verifies, the intake [claims](ReplayProtection::claim)
//!    the key: a [`Lease`] of [`lease_ttl`](ReplayProtection::lease_ttl)
//!    (10 s), renewed every third of that while the handler runs, for at
//!    most the [`max_hold`](ReplayProtection::max_hold) ([`DEFAULT_MAX_HOLD`],
//!    5 minutes): a handler that never finishes (hung, or left running by
//!    its framework after its client went away) stops being renewed, and
//!    its lease lapses about `max_hold` after the claim. A copy arriving
//!    while the lease holds gets 409 `in_flight` with `Retry-After`.
//! 2. When the handler succeeds (a 2xx answer from the layer's or the
//!    middleware's inner service, or the extractor's `Ack` committed), the
//!    key is recorded as done for the record TTL (past +
//!    future tolerance by default): copies get 409 `replayed`, final.
//! 3. Otherwise — a non-2xx answer, a panic, a client that went away, a
//!    shutdown — the lease is released, so the provider's retry is processed.
//!    A release that cannot reach the store is retried; a lease nobody
//!    releases expires with its lease (10 s).
//!
//! A store error while claiming is ambiguous (the claim may have landed):
//! the claim is undone in the background and the delivery answered 503
//! `replay_store_unavailable` (or, with [`fail_open`](ReplayProtection::fail_open),
//! processed unprotected). A failed commit is retried in the background for
//! up to [`COMMIT_RETRY_WINDOW`]. Every store call is bounded by
//! [`store_timeout`](ReplayProtection::store_timeout).
//!
//! What remains possible, and why handlers must be idempotent on the
//! payload's own id: a handler that acted and then panicked (or whose client
//! went away after it acted, or whose server died before the commit landed)
//! runs again on the provider's retry; a handler slower than a lease whose
//! renewals cannot reach the store, or running past its maximum hold, may
//! overlap with a copy; and once a
//! record expires (or, in the default store past its capacity, is
//! forgotten), the same delivery is accepted again.
//!
//! Records are written only after the signature verified: forgeries cannot
//! fill the store. Two endpoints of one scheme sharing a store need distinct
//! [verifier names](crate::VerifierBuilder::name).
//!
//! ```
//! use hookwarden::replay::{MemoryStore, ReplayProtection};
//! use hookwarden::{Scheme, Verifier};
//!
//! let verifier = Verifier::builder(Scheme::mitpo())
//!     .secret("whsec_k")
//!     .replay_protection(ReplayProtection::new(MemoryStore::new(100_000)))
//!     .build()?;
//! # Ok::<(), hookwarden::ConfigError>(())
//! ```
//!
//! # Rolling upgrade from 0.1
//!
//! 0.1 keyed records by the matched signature, under
//! `hookwarden:replay:<scheme>:<hex>` in Redis; 0.2 keys them by the signed
//! message under `hookwarden:replay:<name>:<hex>`. While old and new replicas
//! share one Redis they do not see each other's records: a delivery accepted
//! by an old replica can be accepted again by a new one within the record
//! TTL. Drain the old replicas before routing replays' likely window
//! (the tolerance, 10 minutes by default) to the new ones, or accept that
//! handlers (idempotent on the payload's id) may see such a delivery twice.
//!
#![doc = include_str!("../../docs/replay.md")]

mod background;
mod fence;
mod hasher;
mod key;
mod lease;
mod memory;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod registry;
mod renewal;
mod shutdown;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use self::postgres::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use fence::Fence;
pub use key::{Namespace, ReplayKey};
pub use lease::{KeepAlive, Lease, COMMIT_RETRY_WINDOW};
pub use memory::{
    MemoryStore, WhenFull, DEFAULT_CAPACITY, EVICTION_WARNING_INTERVAL, MEMORY_BYTES_PER_ENTRY,
    SWEEP_INTERVAL,
};
pub use store::{Claim, LeaseId, ReplayStore, StoreError, StoreFuture};

use crate::config_error::ConfigError;
use crate::time::{Timer, TokioTimer, Tolerance};
use crate::{Error, VerifiedDelivery};
use registry::Registry;

/// How long a lease holds a key before it must be renewed: 10 seconds.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// How long a lease may be held in all, renewals included, before renewals
/// stop and it lapses: 5 minutes. See [`ReplayProtection::max_hold`].
///
/// Providers give up on a delivery after seconds — GitHub after 10 s,
/// Shopify after 5 s, Slack after 3 s, Svix after 15 s — and retry later:
/// a handler still running minutes after its delivery arrived was long
/// since counted as failed by its sender, and a lease it keeps holding
/// only refuses (409 `in_flight`) the retries that could succeed. Five
/// minutes is twenty times the longest of those timeouts, room enough for
/// a slow handler whose sender waits longer (a dispatcher of one's own),
/// and short enough that a hung handler blocks its delivery's retries for
/// minutes, not until the process restarts.
pub const DEFAULT_MAX_HOLD: Duration = Duration::from_secs(5 * 60);

/// How long a store call may take before it counts as failed: 2 seconds.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the default replay protection keeps the record of a processed
/// delivery when the freshness check bounds nothing — the scheme's
/// signature covers no timestamp (MITPO, GitHub, Shopify) or the check is
/// off: a day (or past + future tolerance, if longer). There the record,
/// not the freshness check, is what refuses a replay, for as long as it
/// lives. See [the default](self#the-default).
pub const DEFAULT_MITPO_RECORD_TTL: Duration = Duration::from_secs(24 * 3600);

/// Replay protection settings: a store, how long records and leases live,
/// and what to do when the store is down. Add it to a verifier with
/// [`VerifierBuilder::replay_protection`](crate::VerifierBuilder::replay_protection).
/// Cheap to clone (one `Arc`).
///
/// The verifier binds the settings to itself (its name as the namespace,
/// its tolerance as the default record TTL, its timer): use the bound copy,
/// [`Verifier::replay_protection`](crate::Verifier::replay_protection), to
/// [`claim`](Self::claim) by hand. The handle built here only describes
/// the settings: its `claim` is refused with [`Error::ReplayNotBound`], never
/// a claim without a namespace or a TTL. Leases are shared, though: this
/// handle, its clones and every verifier it was given to see the same
/// [`in_flight`](Self::in_flight) leases, and
/// [`release_in_flight`](Self::release_in_flight) on any of them releases
/// them all.
///
/// ```
/// use hookwarden::replay::ReplayProtection;
/// use hookwarden::{Error, Scheme, Signer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let replay = ReplayProtection::in_memory();
/// let verifier = Verifier::builder(Scheme::mitpo())
///     .secret("whsec_k")
///     .replay_protection(replay.clone())
///     .build()?;
/// let headers = Signer::new(Scheme::mitpo(), "whsec_k")?.sign_now(b"{}").to_header_map();
/// let delivery = verifier.verify(&headers, b"{}")?;
///
/// let bound = verifier.replay_protection().expect("configured above");
/// if let Some(lease) = bound.claim(&delivery).await? {
///     // ... process the delivery ...
///     lease.commit().await;
/// }
/// assert!(matches!(replay.claim(&delivery).await, Err(Error::ReplayNotBound)));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ReplayProtection {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    store: Arc<dyn ReplayStore>,
    ttl: Option<Duration>,
    lease_ttl: Duration,
    max_hold: Duration,
    store_timeout: Duration,
    fail_open: bool,
    namespace: Namespace,
    timer: Arc<dyn Timer>,
    leases: Arc<Registry>,
    /// Bound to a verifier (its namespace, TTL and timer): only then does
    /// `claim` go to the store.
    bound: bool,
}

impl fmt::Debug for ReplayProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("ReplayProtection")
            .field("namespace", &c.namespace.name())
            .field("record_ttl", &c.ttl)
            .field("lease_ttl", &c.lease_ttl)
            .field("max_hold", &c.max_hold)
            .field("store_timeout", &c.store_timeout)
            .field("fail_open", &c.fail_open)
            .field("bound", &c.bound)
            .finish_non_exhaustive()
    }
}

/// The settings of a [`ReplayProtection`] in force
/// ([`ReplayProtection::settings`]): each field has the name of the setter
/// that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplaySettings {
    /// How long a record of a processed delivery lives (zero until bound
    /// to a verifier, unless set with
    /// [`record_ttl`](ReplayProtection::record_ttl)).
    pub record_ttl: Duration,
    /// How long a lease holds a key without renewal
    /// ([`lease_ttl`](ReplayProtection::lease_ttl)).
    pub lease_ttl: Duration,
    /// How long a lease may be held in all, renewals included
    /// ([`max_hold`](ReplayProtection::max_hold)).
    pub max_hold: Duration,
    /// The bound on each store call
    /// ([`store_timeout`](ReplayProtection::store_timeout)).
    pub store_timeout: Duration,
    /// Whether deliveries are processed unprotected while the store is
    /// unavailable ([`fail_open`](ReplayProtection::fail_open)).
    pub fail_open: bool,
}

impl ReplayProtection {
    /// Records deliveries in `store`.
    pub fn new(store: impl ReplayStore) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// Records deliveries in a shared `store`.
    pub fn from_arc(store: Arc<dyn ReplayStore>) -> Self {
        ReplayProtection {
            config: Arc::new(Config {
                store,
                ttl: None,
                lease_ttl: DEFAULT_LEASE_TTL,
                max_hold: DEFAULT_MAX_HOLD,
                store_timeout: DEFAULT_STORE_TIMEOUT,
                fail_open: false,
                namespace: Namespace::new(""),
                timer: Arc::new(TokioTimer),
                leases: Arc::default(),
                bound: false,
            }),
        }
    }

    /// An in-memory store with the default capacity ([`MemoryStore::default`]),
    /// set explicitly: full, it answers 503 `replay_store_full` and never
    /// forgets an unexpired record ([`WhenFull::Reject`]), unlike the store
    /// a verifier gets by default ([the default](self#the-default)).
    pub fn in_memory() -> Self {
        Self::new(MemoryStore::default())
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// How long a record of a processed delivery lives. Defaults to the
    /// verifier's past + future tolerance and one second (601 s with the
    /// defaults: freshness compares whole seconds, edges included); it may
    /// not be shorter than past + future, and must be set when the timestamp check is off.
    /// Longer is safer for MITPO, whose timestamp is unsigned. Read back
    /// with [`settings`](Self::settings)`().record_ttl`.
    #[must_use]
    pub fn record_ttl(self, ttl: Duration) -> Self {
        self.edit(|c| c.ttl = Some(ttl))
    }

    /// The former name of [`record_ttl`](Self::record_ttl).
    #[deprecated(since = "0.3.0", note = "renamed `record_ttl`")]
    #[must_use]
    pub fn ttl(self, ttl: Duration) -> Self {
        self.record_ttl(ttl)
    }

    /// How long a lease holds a key without renewal. Defaults to 10 s
    /// ([`DEFAULT_LEASE_TTL`]); the holder renews it every third of that,
    /// and a lease whose holder vanished expires after it.
    #[must_use]
    pub fn lease_ttl(self, ttl: Duration) -> Self {
        self.edit(|c| c.lease_ttl = ttl.max(Duration::from_millis(30)))
    }

    /// How long a lease may be held in all, from its claim, renewals
    /// included. Defaults to 5 minutes ([`DEFAULT_MAX_HOLD`], where the
    /// choice is explained). A handler that runs longer — hung, or left
    /// running by its framework after its client went away — stops being
    /// renewed: its lease lapses about `max_hold` after the claim, so that a
    /// copy of its delivery (the provider's retry) can be processed, here or
    /// on another replica, instead of getting 409 `in_flight` for as long
    /// as the handler runs. The last renewal extends the lease only up to
    /// the claim + `max_hold` (renewing for the time remaining, not a full
    /// [`lease_ttl`](Self::lease_ttl)), so it lapses no later than that,
    /// give or take the store's rounding to milliseconds. A lease that
    /// lapses while its handler still runs is logged once (a `tracing`
    /// warning, with the key) and counted
    /// (`hookwarden_replay_lease_max_hold_total`, feature `metrics`). The
    /// handler itself runs on, and settles as usual: its commit still
    /// records the delivery as processed; its release frees nothing held
    /// by another.
    ///
    /// Shorter than the lease TTL (zero included) means no renewal at
    /// all: the claim's own lease, [`lease_ttl`](Self::lease_ttl), is the
    /// hold. A duration too long to be represented from now
    /// (`Duration::MAX`) means no limit: renewed for as long as the
    /// handler runs. Read back with [`settings`](Self::settings)`().max_hold`.
    #[must_use]
    pub fn max_hold(self, max_hold: Duration) -> Self {
        self.edit(|c| c.max_hold = max_hold)
    }

    /// How long a store call may take before it counts as failed (and, for
    /// a claim, is undone). Defaults to 2 s ([`DEFAULT_STORE_TIMEOUT`]); a
    /// duration too long to be represented from now (`Duration::MAX`) means
    /// no timeout.
    #[must_use]
    pub fn store_timeout(self, timeout: Duration) -> Self {
        self.edit(|c| c.store_timeout = timeout)
    }

    /// When the store is unavailable, process deliveries (verified, but not
    /// checked for replay) instead of answering 503
    /// `replay_store_unavailable`. Off by default: fail closed.
    #[must_use]
    pub fn fail_open(self, fail_open: bool) -> Self {
        self.edit(|c| c.fail_open = fail_open)
    }

    /// Binds the settings to a verifier: its name, tolerance and timer.
    /// `horizon` is the scheme's retry horizon when its keys are not the
    /// signed message ([`Scheme::replay_record_ttl`](crate::Scheme::replay_record_ttl)):
    /// the default record TTL then (never shorter than the window and a
    /// second). The copy is the verifier's own; the registry of leases
    /// stays shared.
    pub(crate) fn resolve(
        self,
        name: &str,
        tolerance: Tolerance,
        horizon: Option<Duration>,
        timer: Arc<dyn Timer>,
    ) -> Result<Self, ConfigError> {
        let window = match (tolerance.past, tolerance.future) {
            (Some(past), Some(future)) => Some(past.saturating_add(future)),
            _ => None,
        };
        // Whole seconds, edges included: a copy passes freshness for up to
        // the window + 1 s.
        let fresh = window.map(|w| w.saturating_add(Duration::from_secs(1)));
        let ttl = match (self.config.ttl, window) {
            (None, _) if horizon.is_some() => {
                horizon.unwrap_or_default().max(fresh.unwrap_or_default())
            }
            (None, None) => return Err(ConfigError::ReplayTtlRequired),
            (None, Some(_)) => fresh.unwrap_or_default(),
            (Some(ttl), Some(window)) if ttl < window => {
                return Err(ConfigError::ReplayTtlTooShort { minimum: window })
            }
            (Some(ttl), _) => ttl,
        };
        Ok(self.edit(|c| {
            c.ttl = Some(ttl);
            c.namespace = Namespace::new(name);
            c.timer = timer;
            c.bound = true;
        }))
    }

    /// The namespace keys are recorded under: the verifier's name (empty
    /// until bound to a verifier).
    pub fn namespace(&self) -> &str {
        self.config.namespace.name()
    }

    /// The settings in force, each under the name of its setter.
    pub fn settings(&self) -> ReplaySettings {
        let c = &self.config;
        ReplaySettings {
            record_ttl: c.ttl.unwrap_or(Duration::ZERO),
            lease_ttl: c.lease_ttl,
            max_hold: c.max_hold,
            store_timeout: c.store_timeout,
            fail_open: c.fail_open,
        }
    }

    /// Leases held right now (deliveries in flight in this process) through
    /// this replay protection: by every verifier it was given to.
    pub fn in_flight(&self) -> usize {
        self.config.leases.len()
    }

    /// Claims a verified delivery's key for as long as its handler runs:
    /// `Ok(Some(lease))` to go ahead, then settle the [`Lease`];
    /// `Ok(None)` when the store was unavailable and failing open. Call it
    /// on the verifier's copy,
    /// [`Verifier::replay_protection`](crate::Verifier::replay_protection).
    ///
    /// # Errors
    /// [`Error::Replayed`] (already processed), [`Error::InFlight`] (a copy
    /// is being processed), [`Error::ReplayStoreFull`],
    /// [`Error::ReplayStoreUnavailable`] (unless failing open), and
    /// [`Error::ReplayNotBound`] on a handle not bound to a verifier (the one
    /// given to the builder: it has no namespace or record TTL yet), and
    /// [`Error::NoReplayKey`] for a delivery verified without replay
    /// protection (it carries no digest to key it by).
    pub async fn claim(&self, delivery: &VerifiedDelivery) -> Result<Option<Lease>, Error> {
        if !self.config.bound {
            return Err(Error::ReplayNotBound);
        }
        let key = ReplayKey::of(&self.config.namespace, delivery).ok_or(Error::NoReplayKey)?;
        let id = LeaseId::new();
        // Until the store answers, a cancelled claim is undone in the background.
        let guard = background::ClaimGuard::new(self, &key, id);
        let outcome = self
            .timed(self.store().claim(&key, id, self.config.lease_ttl))
            .await;
        guard.disarm();
        match outcome {
            Ok(Claim::Leased) => Ok(Some(Lease::new(self.clone(), key, id))),
            Ok(Claim::InFlight) => Err(Error::InFlight),
            Ok(Claim::Replayed) => Err(Error::Replayed),
            Err(StoreError::Full) => Err(Error::ReplayStoreFull),
            Err(StoreError::Unavailable(reason, source)) => {
                // Ambiguous: the lease may have landed. Only ours is freed.
                self.spawn_release(key, id);
                self.unavailable(reason, source)
            }
        }
    }

    fn unavailable(
        &self,
        reason: String,
        source: Option<crate::error::Cause>,
    ) -> Result<Option<Lease>, Error> {
        if !self.config.fail_open {
            return Err(Error::ReplayStoreUnavailable { reason, source });
        }
        #[cfg(feature = "tracing")]
        tracing::warn!(
            reason,
            "replay store unavailable; processing unprotected (fail open)"
        );
        Ok(None)
    }

    pub(crate) fn store(&self) -> &Arc<dyn ReplayStore> {
        &self.config.store
    }

    fn timer(&self) -> &Arc<dyn Timer> {
        &self.config.timer
    }

    fn leases(&self) -> &Registry {
        &self.config.leases
    }

    /// A store call bounded by the store timeout (unbounded when the
    /// timeout is too long to be represented, such as `Duration::MAX`).
    async fn timed<T>(&self, call: StoreFuture<'_, T>) -> Result<T, StoreError> {
        let timer = &self.config.timer;
        let sleep = || match timer.now().checked_add(self.config.store_timeout) {
            Some(deadline) => timer.sleep_until(deadline),
            None => Box::pin(std::future::pending()),
        };
        match crate::time::first(call, sleep).await {
            Some(result) => result,
            None => Err(StoreError::Unavailable(
                format!(
                    "no answer within {} ms",
                    self.config.store_timeout.as_millis()
                ),
                None,
            )),
        }
    }

    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn log_settle_error(&self, what: &str, key: &ReplayKey, error: &StoreError) {
        #[cfg(feature = "tracing")]
        tracing::warn!(key = %key, %error, "replay lease: {what} failed; retrying in the background");
    }

    /// A lease lapsed at its maximum hold while its handler still runs.
    fn log_max_hold(&self, key: &ReplayKey) {
        crate::metrics::replay_lease_max_hold(key.namespace());
        #[cfg(feature = "tracing")]
        tracing::warn!(
            key = %key,
            max_hold_ms = u64::try_from(self.config.max_hold.as_millis()).unwrap_or(u64::MAX),
            "replay lease reached its maximum hold and lapsed while its handler still runs: a copy may now be processed"
        );
    }

    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn log_renewal(&self, key: &ReplayKey, outcome: Result<bool, StoreError>) {
        #[cfg(feature = "tracing")]
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = %key, "replay lease lost before its handler finished: a copy may be processed meanwhile")
            }
            Err(error) => tracing::warn!(key = %key, %error, "replay lease could not be renewed"),
        }
    }
}
