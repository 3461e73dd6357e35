//! Secrets per tenant: a [`SecretSource`] consulted per delivery for the
//! tenant named by the path or a header (Stripe Connect platforms, GitHub
//! Apps, a SaaS receiving its customers' webhooks), with the derived keys
//! cached so that a secret is keyed once, not per request.
//!
//! The cache (60 s, 10 000 tenants by default:
//! [`VerifierBuilder::tenant_cache`](crate::VerifierBuilder::tenant_cache))
//! evicts one tenant per new one in constant time, keeping the tenants read
//! again since they were loaded over those seen once; deliveries that miss
//! together for one tenant make one source call. Unknown tenants are
//! remembered 5 s in a memory of the same kind.
//!
//! ```
//! use std::collections::HashMap;
//! use hookwarden::tenant::TenantFrom;
//! use hookwarden::{Scheme, Secret, Signer, Verifier};
//!
//! let mut secrets: HashMap<String, Vec<Secret>> = HashMap::new();
//! secrets.insert("acme".into(), vec![Secret::from("whsec_acme")]);
//! let verifier = Verifier::builder(Scheme::stripe())
//!     .secret_source(secrets, TenantFrom::path_segment(1)) // /stripe/<tenant>
//!     .build()?;
//!
//! let headers = Signer::new(Scheme::stripe(), "whsec_acme")?.sign_now(b"{}").to_header_map();
//! let delivery = verifier.verify_for_path("/stripe/acme", &headers, b"{}")?;
//! assert_eq!(delivery.tenant(), Some("acme"));
//! assert!(verifier.verify_for_path("/stripe/globex", &headers, b"{}").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
#![doc = include_str!("../docs/tenants.md")]

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderName;
use quick_cache::sync::{EntryAction, EntryResult};
use quick_cache::{OptionsBuilder, UnitWeighter};

use crate::config_error::ConfigError;
use crate::error::{Error, Malformed};
use crate::headers::Headers;
use crate::key::{verifying_keys, Key};
use crate::scheme::Scheme;
use crate::secret::Secret;

/// Where secrets come from, per tenant.
///
/// Called on the request path when a tenant's keys are not cached (or
/// their cache entry expired), after the headers were found well-formed
/// and fresh but **before** the signature is checked: it must be fast and
/// must not block (an in-memory map the application refreshes; load a
/// database into one). Implemented for `HashMap<String, Vec<Secret>>` and
/// for closures `Fn(&str) -> Result<Option<Vec<Secret>>, SourceError>`.
pub trait SecretSource: Send + Sync + 'static {
    /// The secrets of `tenant`, newest first; `Ok(None)` for a tenant that
    /// does not exist (the delivery is then refused as a signature
    /// mismatch, so that an unauthenticated caller cannot tell).
    ///
    /// # Errors
    /// The source cannot answer now: the delivery gets 503
    /// `secret_source_unavailable` and the provider retries.
    fn secrets(&self, tenant: &str) -> Result<Option<Vec<Secret>>, SourceError>;
}

impl SecretSource for HashMap<String, Vec<Secret>> {
    fn secrets(&self, tenant: &str) -> Result<Option<Vec<Secret>>, SourceError> {
        Ok(self.get(tenant).cloned())
    }
}

impl<F> SecretSource for F
where
    F: Fn(&str) -> Result<Option<Vec<Secret>>, SourceError> + Send + Sync + 'static,
{
    fn secrets(&self, tenant: &str) -> Result<Option<Vec<Secret>>, SourceError> {
        self(tenant)
    }
}

/// A [`SecretSource`] that could not answer.
#[derive(Debug, Clone)]
pub struct SourceError {
    message: String,
}

impl SourceError {
    /// An error with this message (never put a secret in it).
    pub fn new(message: impl Into<String>) -> Self {
        SourceError {
            message: message.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SourceError {}

/// Where a delivery's tenant id is read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantFrom {
    /// A request header (one value, visible ASCII).
    Header(HeaderName),
    /// The path segment at this index, counting non-empty segments from 0
    /// (`/webhooks/stripe/acme`: 2 is `acme`).
    PathSegment(usize),
}

impl TenantFrom {
    /// The tenant is in header `name`.
    pub fn header(name: HeaderName) -> Self {
        TenantFrom::Header(name)
    }

    /// The tenant is the path segment at `index` (0-based, empty segments skipped).
    pub fn path_segment(index: usize) -> Self {
        TenantFrom::PathSegment(index)
    }
}

/// Longest tenant id accepted, in bytes.
pub const MAX_TENANT_LEN: usize = 128;

/// How long a tenant's keys are cached by default: 60 s (a rotation made in
/// the source applies within that time).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

/// How many tenants' keys are cached by default: 10 000 (when full, one
/// tenant is evicted per new one: see
/// [`VerifierBuilder::tenant_cache`](crate::VerifierBuilder::tenant_cache)).
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// A tenant's derived keys.
pub(crate) struct TenantKeys {
    pub(crate) tenant: Box<str>,
    pub(crate) keys: Vec<Key>,
}

/// A key cache entry: a tenant's keys and when they were loaded, or the
/// failure of the last load, kept for the requests that waited on it.
#[derive(Clone)]
enum Slot {
    Keys {
        keys: Arc<TenantKeys>,
        loaded: Instant,
    },
    /// The source failed (or gave secrets that are not keys) at `at`:
    /// requests that were waiting for that load, begun before `at`, share
    /// its answer; a request begun later asks the source again.
    Failed { reason: Arc<str>, at: Instant },
}

/// A bounded map from tenant ids (quick_cache's): split in shards, each
/// under its own lock, each evicting one entry per insert when full, in
/// O(1) amortized (CLOCK-Pro style: an entry read again since it came in
/// stays, one seen once goes first, so that a stream of new ids cannot push
/// out the tenants that keep sending). Ids are hashed with SipHash under
/// per-process random keys, as they come from unauthenticated senders.
type Bounded<V> = quick_cache::sync::Cache<String, V, UnitWeighter, RandomState>;

/// A [`Bounded`] map of `capacity` entries, in shards of 256 entries at
/// least (so that an uneven spread of ids over the shards costs little of
/// the capacity) and at most four per CPU.
fn bounded<V: Clone>(capacity: usize) -> Bounded<V> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shards = (capacity / 256).clamp(1, cpus.saturating_mul(4));
    let options = OptionsBuilder::new()
        .shards(1 << shards.ilog2())
        .estimated_items_capacity(capacity)
        .weight_capacity(capacity as u64)
        .build();
    match options {
        Ok(options) => Bounded::with_options(
            options,
            UnitWeighter,
            RandomState::new(),
            Default::default(),
        ),
        // Not reached: both capacities are set.
        Err(_) => Bounded::with(
            capacity,
            capacity as u64,
            UnitWeighter,
            RandomState::new(),
            Default::default(),
        ),
    }
}

/// How long a tenant the source did not know is remembered as unknown:
/// 5 s (or the cache TTL, if shorter), so that repeated deliveries for it do
/// not each reach the source.
pub const UNKNOWN_TENANT_TTL: Duration = Duration::from_secs(5);

/// How many unknown tenants are remembered at least; as many as the key
/// cache holds if that is more (one entry evicted per new one when full).
const MIN_UNKNOWN_CAPACITY: usize = 1024;

/// The source, where the tenant is read, and the cache of derived keys.
pub(crate) struct Tenants {
    source: Box<dyn SecretSource>,
    from: TenantFrom,
    ttl: Duration,
    capacity: usize,
    cache: Bounded<Slot>,
    unknown: Bounded<Instant>,
    /// A key nobody knows, checked for unknown tenants so that they take
    /// as long as known ones (their verdict is a mismatch whatever it says).
    pub(crate) decoy: Vec<Key>,
}

impl fmt::Debug for Tenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenants")
            .field("from", &self.from)
            .field("cache_ttl", &self.ttl)
            .field("cache_capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Tenants {
    pub(crate) fn new(source: Box<dyn SecretSource>, from: TenantFrom) -> Self {
        Tenants {
            source,
            from,
            ttl: DEFAULT_CACHE_TTL,
            capacity: DEFAULT_CACHE_CAPACITY,
            cache: bounded(DEFAULT_CACHE_CAPACITY),
            unknown: bounded(DEFAULT_CACHE_CAPACITY.max(MIN_UNKNOWN_CAPACITY)),
            decoy: Vec::new(),
        }
    }

    /// Derives the decoy key for `scheme` (an HMAC of its first method,
    /// keyed with bytes nobody knows), once, at build time.
    pub(crate) fn with_decoy(mut self, scheme: &Scheme) -> Self {
        let secret = Secret::from(unguessable_bytes().to_vec());
        if let Ok(keys) = verifying_keys(scheme, std::slice::from_ref(&secret)) {
            self.decoy = keys;
        }
        self
    }

    pub(crate) fn set_cache(&mut self, ttl: Duration, capacity: usize) {
        self.ttl = ttl;
        self.capacity = capacity.max(1);
        self.cache = bounded(self.capacity);
        self.unknown = bounded(self.capacity.max(MIN_UNKNOWN_CAPACITY));
    }

    /// The tenant id of a request: from its header, or from `path`.
    pub(crate) fn tenant_of<'a, H: Headers + ?Sized>(
        &self,
        headers: &'a H,
        path: Option<&'a str>,
    ) -> Result<&'a [u8], Error> {
        match &self.from {
            TenantFrom::Header(name) => header_tenant(headers, name),
            TenantFrom::PathSegment(index) => {
                let path = path.ok_or(Error::TenantPathMissing)?;
                let segment = path.split('/').filter(|s| !s.is_empty()).nth(*index);
                Ok(segment.unwrap_or_default().as_bytes())
            }
        }
    }

    /// The keys of `tenant`, from the cache or the source; `Ok(None)` for a
    /// tenant the source does not know (or an id that cannot be one).
    ///
    /// A cached tenant costs one read-locked lookup in its shard. On a miss
    /// the caller takes the tenant's placeholder in the cache and asks the
    /// source; concurrent misses for the same tenant wait for that one call
    /// and share its answer (keys, unknown, or the failure).
    pub(crate) fn keys(
        &self,
        scheme: &Scheme,
        tenant: &[u8],
        now: Instant,
    ) -> Result<Option<Arc<TenantKeys>>, Error> {
        let Some(tenant) = valid_tenant(tenant) else {
            return Ok(None);
        };
        let ttl = self.ttl;
        let fresh = |loaded: Instant| now.saturating_duration_since(loaded) < ttl;
        if let Some(Slot::Keys { keys, loaded }) = self.cache.get(tenant) {
            if fresh(loaded) {
                return Ok(Some(keys));
            }
        }
        if self.known_unknown(tenant, now) {
            return Ok(None);
        }
        let entry = self.cache.entry(tenant, None, |_, slot| match slot {
            Slot::Keys { keys, loaded } if fresh(*loaded) => EntryAction::Retain(Ok(keys.clone())),
            Slot::Failed { reason, at } if *at > now => EntryAction::Retain(Err(reason.clone())),
            _ => EntryAction::ReplaceWithGuard,
        });
        let guard = match entry {
            EntryResult::Retained(Ok(keys)) => return Ok(Some(keys)),
            EntryResult::Retained(Err(reason)) => return Err(unavailable(&reason)),
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => Some(guard),
            // Neither happens (the callback never removes, the wait has no
            // timeout); the source is then asked without the cache.
            EntryResult::Removed(..) | EntryResult::Timeout => None,
        };
        // The load this request waited for may have found the tenant
        // unknown: the placeholder then came to this request empty.
        if self.known_unknown(tenant, now) {
            return Ok(None);
        }
        match self.load(scheme, tenant) {
            Ok(Some(keys)) => {
                if let Some(guard) = guard {
                    let _ = guard.insert(Slot::Keys {
                        keys: keys.clone(),
                        loaded: now,
                    });
                }
                Ok(Some(keys))
            }
            Ok(None) => {
                // Remembered before the placeholder is released (at return),
                // so that the waiters find it.
                self.remember_unknown(tenant, now);
                Ok(None)
            }
            Err(reason) => {
                if let Some(guard) = guard {
                    let _ = guard.insert(Slot::Failed {
                        reason: reason.clone(),
                        at: Instant::now(),
                    });
                }
                Err(unavailable(&reason))
            }
        }
    }

    /// Asks the source for `tenant`'s secrets and derives their keys.
    fn load(&self, scheme: &Scheme, tenant: &str) -> Result<Option<Arc<TenantKeys>>, Arc<str>> {
        let secrets = self
            .source
            .secrets(tenant)
            .map_err(|e| Arc::from(e.to_string()))?;
        let Some(secrets) = secrets.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let keys = verifying_keys(scheme, &secrets)
            .map_err(|e| Arc::from(format!("tenant's secrets are not keys of the scheme: {e}")))?;
        Ok(Some(Arc::new(TenantKeys {
            tenant: tenant.into(),
            keys,
        })))
    }

    /// Whether `tenant` was found unknown less than [`UNKNOWN_TENANT_TTL`] ago.
    fn known_unknown(&self, tenant: &str, now: Instant) -> bool {
        let ttl = UNKNOWN_TENANT_TTL.min(self.ttl);
        self.unknown
            .get(tenant)
            .is_some_and(|at| now.saturating_duration_since(at) < ttl)
    }

    fn remember_unknown(&self, tenant: &str, now: Instant) {
        self.unknown.insert(tenant.to_owned(), now);
    }

    #[cfg(test)]
    fn cached_len(&self) -> usize {
        self.cache.len()
    }

    #[cfg(test)]
    fn unknown_len(&self) -> usize {
        self.unknown.len()
    }
}

fn unavailable(reason: &str) -> Error {
    Error::SecretSourceUnavailable {
        reason: reason.to_owned(),
    }
}

fn header_tenant<'a, H: Headers + ?Sized>(
    headers: &'a H,
    name: &HeaderName,
) -> Result<&'a [u8], Error> {
    let mut values = headers.values(name);
    let value = values.next().ok_or_else(|| Error::MissingHeader {
        header: name.clone(),
    })?;
    if values.next().is_some() {
        return Err(Error::MalformedHeader {
            header: name.clone(),
            reason: Malformed::Duplicated,
        });
    }
    Ok(crate::timestamp::trim(value))
}

/// 32 bytes nobody can predict: SipHash outputs under the process's random
/// `RandomState` keys (no extra dependency; they only key the decoy).
fn unguessable_bytes() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(i);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// A tenant id: 1 to [`MAX_TENANT_LEN`] bytes of visible ASCII.
fn valid_tenant(tenant: &[u8]) -> Option<&str> {
    let ok = !tenant.is_empty()
        && tenant.len() <= MAX_TENANT_LEN
        && tenant.iter().all(u8::is_ascii_graphic);
    ok.then(|| std::str::from_utf8(tenant).ok()).flatten()
}

/// The keys a builder was given: fixed secrets, or a per-tenant source.
pub(crate) fn check_exclusive(secrets: usize, source: bool) -> Result<(), ConfigError> {
    match (secrets, source) {
        (0, false) => Err(ConfigError::NoSecret),
        (n, true) if n > 0 => Err(ConfigError::SecretsAndSource),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    fn counting() -> (Arc<AtomicUsize>, Tenants) {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let source = move |tenant: &str| {
            seen.fetch_add(1, Ordering::SeqCst);
            match tenant {
                "down" => Err(SourceError::new("database unreachable")),
                "ghost" => Ok(None),
                t => Ok(Some(vec![Secret::from(format!("secret-{t}"))])),
            }
        };
        (
            calls,
            Tenants::new(Box::new(source), TenantFrom::path_segment(1)),
        )
    }

    #[test]
    fn keys_are_derived_once_per_ttl_and_unknown_tenants_are_none() {
        let (calls, mut tenants) = counting();
        tenants.set_cache(Duration::from_secs(60), 2);
        let scheme = Scheme::mittr();
        let t0 = Instant::now();
        let a = tenants.keys(&scheme, b"a", t0).unwrap().unwrap();
        let again = tenants
            .keys(&scheme, b"a", t0 + Duration::from_secs(59))
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tenants
            .keys(&scheme, b"a", t0 + Duration::from_secs(61))
            .unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "expired entries are reloaded"
        );
        assert!(tenants.keys(&scheme, b"ghost", t0).unwrap().is_none());
        let before = calls.load(Ordering::SeqCst);
        for _ in 0..100 {
            assert!(tenants
                .keys(&scheme, b"ghost", t0 + Duration::from_secs(1))
                .unwrap()
                .is_none());
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before,
            "an unknown tenant is remembered"
        );
        tenants
            .keys(&scheme, b"ghost", t0 + Duration::from_secs(6))
            .unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before + 1,
            "for a few seconds only"
        );
        assert!(tenants.keys(&scheme, b"", t0).unwrap().is_none());
        assert!(tenants.keys(&scheme, &[b'x'; 129], t0).unwrap().is_none());
        assert!(tenants.keys(&scheme, b"bad\x1b", t0).unwrap().is_none());
        let err = tenants.keys(&scheme, b"down", t0).err().unwrap();
        assert_eq!(err.code(), "secret_source_unavailable");
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let (_, mut tenants) = counting();
        tenants.set_cache(Duration::from_secs(60), 3);
        let t0 = Instant::now();
        for i in 0..50u64 {
            let name = format!("t{i}");
            tenants
                .keys(
                    &Scheme::mittr(),
                    name.as_bytes(),
                    t0 + Duration::from_millis(i),
                )
                .unwrap();
            assert!(tenants.cached_len() <= 3);
        }
    }

    /// Tenants from `source`, counting its calls.
    fn counted(
        source: impl Fn(&str) -> Result<Option<Vec<Secret>>, SourceError> + Send + Sync + 'static,
    ) -> (Arc<AtomicUsize>, Tenants) {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let source = move |tenant: &str| {
            seen.fetch_add(1, Ordering::SeqCst);
            source(tenant)
        };
        (
            calls,
            Tenants::new(Box::new(source), TenantFrom::path_segment(1)),
        )
    }

    /// Tenants whose id starts with `k` exist; the source knows no other.
    fn known_k(tenant: &str) -> Result<Option<Vec<Secret>>, SourceError> {
        Ok(tenant
            .starts_with('k')
            .then(|| vec![Secret::from(format!("secret-{tenant}"))]))
    }

    #[test]
    fn a_full_unknown_memo_evicts_one_id_not_all() {
        // The memo holds 1 024 ids (its least). The old one was cleared
        // whole when full: the 1 025th id made it forget the 1 024 before.
        let (calls, mut tenants) = counted(known_k);
        tenants.set_cache(Duration::from_secs(60), 1);
        let scheme = Scheme::mittr();
        let t0 = Instant::now();
        for i in 0..1_100 {
            let id = format!("u{i}");
            assert!(tenants.keys(&scheme, id.as_bytes(), t0).unwrap().is_none());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1_100);
        let held = tenants.unknown_len();
        assert!(
            (1_000..=1_024).contains(&held),
            "the memo stays nearly full: {held}"
        );
        for i in 0..500 {
            let id = format!("u{i}");
            assert!(tenants.keys(&scheme, id.as_bytes(), t0).unwrap().is_none());
        }
        let again = calls.load(Ordering::SeqCst) - 1_100;
        assert!(
            again < 25,
            "the first ids are still remembered: {again} of 500 asked again"
        );
    }

    #[test]
    fn unknown_ids_cycling_within_the_memo_reach_the_source_about_once_each() {
        // 2 000 unknown ids in turn, 10 000 requests, a memo of 2 000: the
        // old memo (1 024, cleared whole) sent every request to the source.
        let (calls, mut tenants) = counted(known_k);
        tenants.set_cache(Duration::from_secs(60), 2_000);
        let scheme = Scheme::mittr();
        let t0 = Instant::now();
        for i in 0..10_000u64 {
            let id = format!("u{}", i % 2_000);
            let now = t0 + Duration::from_micros(i * 100); // 1 s in all
            assert!(tenants.keys(&scheme, id.as_bytes(), now).unwrap().is_none());
        }
        let calls = calls.load(Ordering::SeqCst);
        assert!(
            (2_000..=2_500).contains(&calls),
            "{calls} source calls for 2 000 unknown ids"
        );
    }

    #[test]
    fn a_tenant_that_keeps_sending_stays_cached_while_new_ones_churn() {
        // Between each of its deliveries, a tenant never seen before: the
        // old cache evicted the oldest loaded entry, so the steady tenant
        // went out (and back to the source) every 1 000 new tenants.
        let steady = Arc::new(AtomicUsize::new(0));
        let counter = steady.clone();
        let (_, mut tenants) = counted(move |tenant| {
            if tenant == "ksteady" {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            known_k(tenant)
        });
        tenants.set_cache(Duration::from_secs(60), 1_000);
        let scheme = Scheme::mittr();
        let t0 = Instant::now();
        for i in 0..5_000u64 {
            let now = t0 + Duration::from_micros(i * 100);
            assert!(tenants.keys(&scheme, b"ksteady", now).unwrap().is_some());
            let id = format!("k{i}");
            assert!(tenants.keys(&scheme, id.as_bytes(), now).unwrap().is_some());
            assert!(tenants.cached_len() <= 1_000);
        }
        assert!(tenants.cached_len() >= 900, "the cache stays nearly full");
        assert_eq!(steady.load(Ordering::SeqCst), 1);
    }

    /// `threads` threads ask for `tenant` at once (now: when each starts).
    fn at_once(
        tenants: &Tenants,
        tenant: &'static [u8],
        threads: usize,
    ) -> Vec<Result<Option<Arc<TenantKeys>>, Error>> {
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        tenants.keys(&Scheme::mittr(), tenant, Instant::now())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn slow(tenant: &str) -> Result<Option<Vec<Secret>>, SourceError> {
        std::thread::sleep(Duration::from_millis(200));
        match tenant {
            "down" => Err(SourceError::new("database unreachable")),
            t => known_k(t),
        }
    }

    #[test]
    fn concurrent_misses_for_one_tenant_make_one_source_call() {
        // The old cache let every request that missed ask the source.
        let (calls, tenants) = counted(slow);
        let got = at_once(&tenants, b"kacme", 16);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a known tenant");
        let first = got[0].as_ref().unwrap().as_ref().unwrap();
        for keys in &got {
            assert!(Arc::ptr_eq(first, keys.as_ref().unwrap().as_ref().unwrap()));
        }

        calls.store(0, Ordering::SeqCst);
        let got = at_once(&tenants, b"ghost", 16);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "an unknown tenant");
        assert!(got.iter().all(|r| matches!(r, Ok(None))));

        calls.store(0, Ordering::SeqCst);
        let got = at_once(&tenants, b"down", 16);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a failing source");
        for result in got {
            assert_eq!(result.err().unwrap().code(), "secret_source_unavailable");
        }
        // A failure answers the requests that waited for it, not later ones.
        let later = tenants.keys(&Scheme::mittr(), b"down", Instant::now());
        assert_eq!(later.err().unwrap().code(), "secret_source_unavailable");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_expired_entry_is_reloaded_once_with_the_rotated_secrets() {
        // A rotation in the source applies after the TTL; the requests that
        // find the entry expired at once make one call (the old cache: one
        // each).
        let rotated = Arc::new(AtomicBool::new(false));
        let flag = rotated.clone();
        let (calls, mut tenants) = counted(move |tenant| {
            std::thread::sleep(Duration::from_millis(100));
            let mut secrets = vec![Secret::from(format!("new-{tenant}"))];
            if !flag.load(Ordering::SeqCst) {
                secrets.truncate(1);
            } else {
                secrets.push(Secret::from(format!("old-{tenant}")));
            }
            Ok(Some(secrets))
        });
        tenants.set_cache(Duration::from_secs(1), 10);
        let scheme = Scheme::mittr();
        let before = tenants
            .keys(&scheme, b"kacme", Instant::now())
            .unwrap()
            .unwrap();
        assert_eq!(before.keys.len(), 1);
        rotated.store(true, Ordering::SeqCst);
        let cached = tenants
            .keys(&scheme, b"kacme", Instant::now())
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&before, &cached), "within the TTL: cached");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        std::thread::sleep(Duration::from_secs(1));
        let got = at_once(&tenants, b"kacme", 16);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one reload");
        for keys in got {
            assert_eq!(keys.unwrap().unwrap().keys.len(), 2, "the rotated secrets");
        }
    }

    #[test]
    fn the_tenant_is_read_from_the_path_or_a_header() {
        let (_, tenants) = counting();
        let headers = http::HeaderMap::new();
        assert_eq!(
            tenants.tenant_of(&headers, Some("/stripe/acme/x")).unwrap(),
            b"acme"
        );
        assert_eq!(
            tenants.tenant_of(&headers, Some("//stripe//acme")).unwrap(),
            b"acme"
        );
        assert_eq!(tenants.tenant_of(&headers, Some("/stripe")).unwrap(), b"");
        assert_eq!(
            tenants.tenant_of(&headers, None).err(),
            Some(Error::TenantPathMissing)
        );
        let name = HeaderName::from_static("x-tenant");
        let by_header = Tenants::new(Box::new(HashMap::new()), TenantFrom::header(name.clone()));
        let mut headers = http::HeaderMap::new();
        assert_eq!(
            by_header.tenant_of(&headers, None).unwrap_err().code(),
            "missing_header"
        );
        headers.insert(name, http::HeaderValue::from_static(" acme "));
        assert_eq!(by_header.tenant_of(&headers, None).unwrap(), b"acme");
    }
}
