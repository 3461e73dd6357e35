//! Secrets per tenant: a [`SecretSource`] consulted per delivery for the
//! tenant named by the path or a header (Stripe Connect platforms, GitHub
//! Apps, a SaaS receiving its customers' webhooks), with the derived keys
//! cached so that a secret is keyed once, not per request.
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

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use http::HeaderName;

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

/// How many tenants' keys are cached by default: 10 000.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// A tenant's derived keys.
pub(crate) struct TenantKeys {
    pub(crate) tenant: Box<str>,
    pub(crate) keys: Vec<Key>,
}

struct Cached {
    keys: Arc<TenantKeys>,
    loaded: Instant,
}

/// How long a tenant the source did not know is remembered as unknown:
/// 5 s (or the cache TTL, if shorter), so that repeated deliveries for it do
/// not each reach the source.
pub const UNKNOWN_TENANT_TTL: Duration = Duration::from_secs(5);

/// How many unknown tenants are remembered (the memory is cleared when full).
const UNKNOWN_CAPACITY: usize = 1024;

/// The source, where the tenant is read, and the cache of derived keys.
pub(crate) struct Tenants {
    source: Box<dyn SecretSource>,
    from: TenantFrom,
    ttl: Duration,
    capacity: usize,
    cache: RwLock<HashMap<Box<str>, Cached>>,
    unknown: Mutex<HashMap<Box<str>, Instant>>,
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
            cache: RwLock::default(),
            unknown: Mutex::default(),
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
    pub(crate) fn keys(
        &self,
        scheme: &Scheme,
        tenant: &[u8],
        now: Instant,
    ) -> Result<Option<Arc<TenantKeys>>, Error> {
        let Some(tenant) = valid_tenant(tenant) else {
            return Ok(None);
        };
        if let Some(keys) = self.cached(tenant, now) {
            return Ok(Some(keys));
        }
        if self.known_unknown(tenant, now) {
            return Ok(None);
        }
        let secrets = self
            .source
            .secrets(tenant)
            .map_err(|e| Error::SecretSourceUnavailable {
                reason: e.to_string(),
            })?;
        let Some(secrets) = secrets.filter(|s| !s.is_empty()) else {
            self.remember_unknown(tenant, now);
            return Ok(None);
        };
        let keys =
            verifying_keys(scheme, &secrets).map_err(|e| Error::SecretSourceUnavailable {
                reason: format!("tenant's secrets are not keys of the scheme: {e}"),
            })?;
        let keys = Arc::new(TenantKeys {
            tenant: tenant.into(),
            keys,
        });
        self.store(tenant, keys.clone(), now);
        Ok(Some(keys))
    }

    fn cached(&self, tenant: &str, now: Instant) -> Option<Arc<TenantKeys>> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let entry = cache.get(tenant)?;
        (now.saturating_duration_since(entry.loaded) < self.ttl).then(|| entry.keys.clone())
    }

    fn store(&self, tenant: &str, keys: Arc<TenantKeys>, now: Instant) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= self.capacity && !cache.contains_key(tenant) {
            let ttl = self.ttl;
            cache.retain(|_, c| now.saturating_duration_since(c.loaded) < ttl);
            if cache.len() >= self.capacity {
                let oldest = cache
                    .iter()
                    .min_by_key(|(_, c)| c.loaded)
                    .map(|(k, _)| k.clone());
                oldest.map(|k| cache.remove(&k));
            }
        }
        cache.insert(tenant.into(), Cached { keys, loaded: now });
    }

    /// Whether `tenant` was found unknown less than [`UNKNOWN_TENANT_TTL`] ago.
    fn known_unknown(&self, tenant: &str, now: Instant) -> bool {
        let unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = UNKNOWN_TENANT_TTL.min(self.ttl);
        unknown
            .get(tenant)
            .is_some_and(|&at| now.saturating_duration_since(at) < ttl)
    }

    fn remember_unknown(&self, tenant: &str, now: Instant) {
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        if unknown.len() >= UNKNOWN_CAPACITY {
            unknown.clear();
        }
        unknown.insert(tenant.into(), now);
    }

    #[cfg(test)]
    fn cached_len(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
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
    use std::sync::atomic::{AtomicUsize, Ordering};

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
