//! [`ReplayKey`]: what a delivery is recorded under.

use std::fmt;
use std::sync::Arc;

use crate::VerifiedDelivery;

/// The key a delivery is recorded under: the verifier's namespace and a
/// 128-bit digest of what the provider signed.
///
/// It depends on signed bytes alone, never on which secret or which
/// signature entry matched: a replay that carries any subset of the
/// original's entries, in any order or hex case, has the same key, and
/// replicas whose secret lists differ (mid-rotation) agree on it. What is
/// digested is what the scheme's [`ReplayBasis`](crate::scheme::ReplayBasis)
/// names, what a provider's retries of one event share: for Stripe the
/// event id in the body (`/id`) and for Slack `/event_id`, so a retry
/// re-signed with a fresh timestamp has the same key; for Standard Webhooks
/// and Svix the signed `webhook-id`; for GitHub, Shopify and MITPO the body
/// (MITPO's timestamp is unsigned, so a re-sent body is the same delivery
/// whatever timestamp it carries). For Mittr it is the signed message,
/// `<timestamp>.<body>`, by default: a retry the provider signs again with
/// a fresh timestamp is a different key (only exact copies are caught)
/// unless the scheme is re-keyed on the payload's id
/// (`Scheme::mittr().into_builder().replay_basis(ReplayBasis::json_pointer("/id")).build()?`).
/// See the [module documentation](super#what-counts-as-the-same-delivery).
///
/// The digest is XXH3-128, a fast non-cryptographic hash (SHA-256 would
/// cost as much as verifying the delivery again). An accidental collision
/// among 2^128 values is not a practical concern (about 10^-20 after 10^9
/// deliveries per namespace). A collision made on purpose is another
/// matter: XXH3 is not designed to resist one, and its default secret is
/// public. What bounds the risk is that a key is only ever computed for a
/// delivery whose signature verified, so an attacker cannot submit
/// colliding messages themselves: they would need the provider to sign
/// two messages that collide, within one record TTL — conceivable where a
/// payload carries fields a third party shapes (names, notes, free text).
/// The second message would then look processed: answered 409
/// `replayed`, which a sender counts as delivered, that event would be
/// lost. Where payloads carry attacker-shaped content and such a loss
/// matters, prefer a scheme keyed on a signed delivery id (Standard
/// Webhooks), or reconcile with the provider's event log.
///
/// A key of a verifier with secrets per tenant also names the tenant's
/// [partition](Self::partition), which an in-memory store counts against
/// the tenant's share of its capacity ([`MemoryStore::tenant_share`](super::MemoryStore::tenant_share)).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    namespace: Arc<str>,
    digest: u128,
    fingerprint: u128,
    partition: Option<u64>,
}

impl ReplayKey {
    /// The key of a verified delivery in `namespace`; `None` when the
    /// delivery was verified without replay protection (no digest kept).
    /// A delivery verified with a tenant's secret is in that tenant's
    /// [partition](Self::partition).
    pub fn of(namespace: &Namespace, delivery: &VerifiedDelivery) -> Option<Self> {
        let key = Self::in_namespace(namespace, delivery.replay_digest?);
        Some(match delivery.tenant.as_deref() {
            Some(tenant) => key.in_partition(partition_of(namespace, tenant)),
            None => key,
        })
    }

    /// The key of `digest` in `namespace`.
    pub fn in_namespace(namespace: &Namespace, digest: u128) -> Self {
        ReplayKey {
            namespace: Arc::clone(&namespace.name),
            digest,
            fingerprint: digest ^ namespace.mask,
            partition: None,
        }
    }

    /// A key from its parts (for stores and tests).
    pub fn new(namespace: impl Into<Arc<str>>, digest: u128) -> Self {
        let namespace = Namespace::new(namespace.into());
        ReplayKey {
            fingerprint: digest ^ namespace.mask,
            namespace: namespace.name,
            digest,
            partition: None,
        }
    }

    /// The same key in `partition`: what [`of`](Self::of) gives a tenant's
    /// delivery (for stores and tests).
    #[must_use]
    pub fn in_partition(mut self, partition: u64) -> Self {
        self.partition = Some(partition);
        self
    }

    /// The partition the key counts against in an in-memory store: the
    /// tenant's, for a verifier with secrets per tenant (one number per
    /// tenant and namespace, from a hash keyed at random per process, so
    /// not stable across processes, and no tenant id can be chosen to land
    /// in another's partition); `None` otherwise. A [`MemoryStore`](super::MemoryStore)
    /// holds at most its [`tenant_share`](super::MemoryStore::tenant_share)
    /// of unexpired records per partition; keys without one are bounded by
    /// the capacity alone. The shared stores (Redis, PostgreSQL) ignore it.
    pub fn partition(&self) -> Option<u64> {
        self.partition
    }

    /// The namespace: the verifier's name.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The digest of the signed message.
    pub fn digest(&self) -> u128 {
        self.digest
    }

    /// One number for the whole key, namespace included (the digest, a
    /// uniformly spread hash, masked with the namespace's hash): what an
    /// in-memory store indexes by.
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint
    }

    /// The key as stored: `<namespace>:<32 hex digits>`.
    pub fn storage_name(&self) -> String {
        format!("{}:{:032x}", self.namespace, self.digest)
    }
}

/// A verifier's namespace: its name, and the hash that keeps its keys apart
/// from other namespaces' in one in-memory store.
#[derive(Clone, Debug)]
pub struct Namespace {
    name: Arc<str>,
    mask: u128,
}

impl Namespace {
    /// The namespace `name`.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        let name = name.into();
        Namespace {
            mask: xxhash_rust::xxh3::xxh3_128(name.as_bytes()),
            name,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The partition of `tenant`'s keys in `namespace`: SipHash keyed at
/// random once per process (tenant ids are chosen by whoever names their
/// tenants, so the hash must resist chosen collisions: sharing a partition
/// with a victim would let a tenant push the victim's records out).
fn partition_of(namespace: &Namespace, tenant: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut hasher = KEY
        .get_or_init(std::collections::hash_map::RandomState::new)
        .build_hasher();
    hasher.write(namespace.name.as_bytes());
    hasher.write_u8(0xff); // never in UTF-8: the names cannot run together
    hasher.write(tenant.as_bytes());
    hasher.finish()
}

/// An abbreviation for logs: `<namespace>:<first 8 hex digits>…`.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = format!("{:032x}", self.digest);
        write!(f, "{}:{}…", self.namespace, &hex[..8])
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({self})")
    }
}
