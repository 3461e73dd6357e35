//! The in-memory replay store: the embedded default, for a single replica.

mod partitions;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use super::hasher::MixState;
use super::{Claim, LeaseId, ReplayKey, ReplayStore, StoreError, StoreFuture};
use crate::time::{Clock, SystemClock};
use partitions::{Part, Partitions, PART_BITS};

/// Upper bound of the memory per record, in bytes: a hash map entry (a
/// 16-byte key, an 8-byte expiry, 8 bytes of holder and partition, a
/// control byte) and the expiry queues' slots (24 bytes each; a processed
/// record has two, its lease's and its own until the older one is skipped),
/// times the spare capacity both keep (the map grows by doubling at 7/8
/// load, the queues by doubling). About 93 measured at 20,000 records by
/// `tests/replay_memory.rs`, so 100,000 records ([`DEFAULT_CAPACITY`]) take
/// roughly 10 to 15 MB. Each tenant holding records adds its partition
/// (about 190 bytes, at most 250: see [`MemoryStore::tenant_share`]).
pub const MEMORY_BYTES_PER_ENTRY: usize = 150;

/// How often, at most, a full [`MemoryStore`] (or one whose claiming tenant
/// holds its share) sweeps the whole store for records that expired out of
/// order: once a second.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// How often, at most, a [`MemoryStore`] that forgets records to make room
/// ([`WhenFull::EvictOldest`]) logs it: once a second, the warning saying
/// how many it forgot since the last one.
pub const EVICTION_WARNING_INTERVAL: Duration = Duration::from_secs(1);

/// What a full [`MemoryStore`] does with a new delivery, and what a tenant
/// holding its [share](MemoryStore::tenant_share) of the store gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenFull {
    /// Answer 503 `replay_store_full`: never forget an unexpired record.
    /// A tenant holding its share gets that answer alone; the others keep
    /// the rest of the store. The default of a store you build.
    #[default]
    Reject,
    /// Forget the oldest record of a *processed* delivery to make room
    /// (never a held lease: a copy of a delivery being processed is always
    /// refused): a tenant holding its share forgets its own oldest; a full
    /// store, that of the partition holding the most records (the largest
    /// tenant's, or the keys' without a tenant if they hold more), so that
    /// no tenant below its share loses a record to one above it. Counted
    /// in `hookwarden_replay_records_evicted_total` (feature `metrics`),
    /// [`MemoryStore::evicted`], and a warning at most once per
    /// [`EVICTION_WARNING_INTERVAL`]. An exact copy of the forgotten
    /// delivery would then pass, if still fresh: best effort, the choice
    /// of the default store a verifier gets when none is set
    /// ([`crate::replay`](super#the-default)). When the records to choose
    /// from are all held leases, the answer is still 503
    /// `replay_store_full`.
    EvictOldest,
}

/// A bounded, concurrent in-memory [`ReplayStore`]. Expired records are
/// evicted as new ones arrive; a full store never silently forgets an
/// unexpired record unless [`WhenFull::EvictOldest`] is chosen (and then
/// says so). Commits of keys already held are always recorded, even at
/// capacity: a delivery is never forgotten for lack of room between its
/// claim and its commit.
///
/// **Tenants share it**: with a verifier whose secrets are per tenant
/// ([`VerifierBuilder::secret_source`](crate::VerifierBuilder::secret_source)),
/// each tenant's keys are in its own [partition](ReplayKey::partition), and
/// one tenant holds at most its [`tenant_share`](Self::tenant_share) of
/// unexpired records (a quarter of the capacity by default). A tenant at
/// its share gets the full store's answer alone ([`WhenFull`]): 503
/// `replay_store_full`, or its own oldest processed record forgotten;
/// every other tenant keeps its records and the room left. Keys without a
/// tenant are bounded by the capacity alone.
///
/// Leases and processed records are queued apart, each in the order they
/// were written, which is nearly their expiry order (a lease's TTL is the
/// same for every lease, a record's for every processed delivery of one
/// verifier); processed records in one queue per partition. Expired ones
/// are evicted in O(1) as claims arrive (the claimer's partition's, and
/// one other partition's in turn), and a partition's oldest processed
/// record, and the largest partition, are found in O(1). One that expires
/// behind a longer-lived one (stores shared by verifiers of different
/// TTLs) is found by a sweep of the whole store, which a full store (or a
/// tenant at its share) makes at most once per [`SWEEP_INTERVAL`]: in
/// between, it answers at once (503 `replay_store_full`, or evicts the
/// oldest processed record if so chosen), so a store kept full by its
/// traffic costs O(1) per claim, not a scan.
///
/// Size it for the traffic: capacity ≥ deliveries per second × record TTL
/// (the TTL is the verifier's tolerance window, 600 s by default, or the
/// [`ttl`](super::ReplayProtection::ttl) set), with a margin for bursts;
/// with tenants, also the share ≥ the busiest tenant's deliveries per
/// second × record TTL.
///
/// Replicas do not share it, and it is gone with the process: behind a load
/// balancer, or to survive restarts, use a shared store (Redis, with the
/// `redis` feature).
pub struct MemoryStore {
    state: Mutex<State>,
    capacity: usize,
    tenant_share: usize,
    when_full: WhenFull,
    clock: Arc<dyn Clock>,
}

/// What a claim that forgot a record to make room reports once the lock is
/// released: how many records were forgotten since the last warning, when
/// one is due, and whether this one was the claiming tenant's own, at its
/// share.
struct Evicted {
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    warn: Option<u64>,
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    at_share: bool,
}

/// A key's fingerprint as two words (a `u128` would be 16-byte aligned,
/// and pad every map entry and queue slot).
type Key = [u64; 2];

fn key_of(key: &ReplayKey) -> Key {
    let fingerprint = key.fingerprint();
    [fingerprint as u64, (fingerprint >> 64) as u64]
}

/// A key's record: when it expires (milliseconds since the epoch), and in
/// one word the lease holding it (40 bits of its in-process number, or 0
/// once done) and the partition it counts in (24 bits). Sixteen bytes: a
/// map entry (with its key) then fills half a cache line, never straddles
/// two (a 40-byte one would, and costs a third more per claim in a full
/// store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    expiry: u64,
    tag: u64,
}

impl Record {
    fn new(expiry: u64, holder: u64, part: Part) -> Self {
        Record {
            expiry,
            tag: (holder << PART_BITS) | u64::from(part),
        }
    }

    fn holder(self) -> u64 {
        self.tag >> PART_BITS
    }

    fn part(self) -> Part {
        (self.tag & ((1 << PART_BITS) - 1)) as Part
    }
}

const DONE: u64 = 0;

/// The lower 40 bits of a lease's in-process number, plus one: unique
/// among the leases of a process that a record could still meet (two
/// numbers alike are 2^40 claims apart, a year at 30,000 a second),
/// never 0.
fn holder(lease: LeaseId) -> u64 {
    const MASK: u64 = (1 << (64 - PART_BITS)) - 1;
    ((lease.as_u128() as u64).wrapping_add(1) & MASK).max(1)
}

#[derive(Default)]
struct State {
    records: HashMap<Key, Record, MixState>,
    /// (expiry, key) of leases, in insertion order: nearly expiry order,
    /// since leases' TTLs are mostly equal; stale slots (removed, refreshed
    /// or committed keys) are skipped.
    leases: VecDeque<(u64, Key)>,
    /// Records counted per partition, and each partition's queue of
    /// processed records.
    parts: Partitions,
    /// When a full store may next sweep the whole map (milliseconds since
    /// the epoch).
    next_sweep: u64,
    /// Records forgotten to make room, ever.
    evicted: u64,
    /// Of those, how many no warning has told yet.
    unwarned: u64,
    /// When the next eviction warning may be logged (milliseconds since the
    /// epoch).
    next_warning: u64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .field("tenant_share", &self.tenant_share)
            .field("len", &self.len())
            .field("when_full", &self.when_full)
            .finish_non_exhaustive()
    }
}

/// The default capacity: 100,000 records (10 to 15 MB when full, see
/// [`MEMORY_BYTES_PER_ENTRY`]), of [`MemoryStore::default`] and of the store
/// a verifier gets by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store holding at most `capacity` unexpired records (at least 1),
    /// a tenant at most a quarter of them (see
    /// [`tenant_share`](Self::tenant_share)); a full store rejects
    /// ([`WhenFull::Reject`]).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        MemoryStore {
            state: Mutex::default(),
            capacity,
            tenant_share: capacity.div_ceil(4),
            when_full: WhenFull::Reject,
            clock: Arc::new(SystemClock),
        }
    }

    /// Chooses what a full store does, and a tenant at its share. Defaults
    /// to [`WhenFull::Reject`].
    #[must_use]
    pub fn when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }

    /// Sets how many unexpired records one tenant's keys (one
    /// [partition](ReplayKey::partition), with a verifier whose secrets
    /// are per tenant) may hold, between 1 and the capacity. Defaults to a
    /// quarter of the capacity (rounded up): 25,000 records in the default
    /// store. The capacity turns the share off.
    ///
    /// A tenant at its share gets, alone, what a full store answers
    /// ([`WhenFull`]): 503 `replay_store_full`, or its own oldest processed
    /// record forgotten; no other tenant's record is touched, and the rest
    /// of the store stays free for them. Keys without a tenant (a verifier
    /// with secrets of its own) are not limited by it. A record committed
    /// for a key whose lease lapsed is recorded even past the share, as it
    /// is past the capacity.
    ///
    /// Why a quarter: one tenant sending as fast as it can (a customer
    /// account abused, or a loop in its sender) then leaves at least three
    /// quarters of the store to the others, and it takes four tenants doing
    /// so at once to fill it; while a tenant carrying up to a quarter of
    /// the traffic still fits a store sized for the traffic. With
    /// [`WhenFull::EvictOldest`], even a full store then forgets the
    /// records of the partition holding the most, never those of a tenant
    /// below its share while another is above. A platform whose traffic
    /// is mostly one tenant's raises it, or sizes the store so that a
    /// quarter of it holds that tenant's records.
    ///
    /// Each tenant holding records also costs its partition (a slot, an
    /// index entry and a queue: about 190 bytes, at most 250, beyond its
    /// records' [`MEMORY_BYTES_PER_ENTRY`]), freed when its last record
    /// goes.
    #[must_use]
    pub fn tenant_share(mut self, records: usize) -> Self {
        self.tenant_share = records.clamp(1, self.capacity);
        self
    }

    /// Sets the clock TTLs run on. Defaults to [`SystemClock`].
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Records held now, expired ones not yet evicted included.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        let since = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    }

    fn claim_sync(
        &self,
        key: &ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let now = self.now_ms();
        let (claim, evicted) = self.claim_locked(key_of(key), key.partition(), lease, ttl, now);
        if let Some(evicted) = evicted {
            report_eviction(key.namespace(), self.capacity, self.tenant_share, evicted);
        }
        claim
    }

    fn claim_locked(
        &self,
        key: Key,
        partition: Option<u64>,
        lease: LeaseId,
        ttl: Duration,
        now: u64,
    ) -> (Result<Claim, StoreError>, Option<Evicted>) {
        let mut state = self.lock();
        state.evict_expired(now, partition);
        if let Some(record) = state.live(key, now) {
            let claim = if record.holder() == DONE {
                Claim::Replayed
            } else {
                Claim::InFlight
            };
            return (Ok(claim), None);
        }
        let mut evicted = None;
        if !state.records.contains_key(&key) {
            let made = if partition.is_some() && state.parts.len_of(partition) >= self.tenant_share
            {
                self.make_room_in(&mut state, partition, now)
            } else if state.records.len() >= self.capacity {
                self.make_room(&mut state, partition, now)
            } else {
                Ok(None)
            };
            match made {
                Ok(made) => evicted = made,
                Err(full) => return (Err(full), None),
            }
        }
        let part = state.parts.get_or_make(partition);
        state.put(
            key,
            Record::new(now.saturating_add(ms(ttl)), holder(lease), part),
        );
        (Ok(Claim::Leased), evicted)
    }

    /// Room for one more record of a tenant holding its share: what a
    /// sweep (if one is due) frees, else the tenant's own oldest processed
    /// record forgotten (if so chosen, and there is one), or `Full`. A
    /// tenant's record never makes room for another's here, so the store
    /// holds no more records after this than before.
    fn make_room_in(
        &self,
        state: &mut State,
        partition: Option<u64>,
        now: u64,
    ) -> Result<Option<Evicted>, StoreError> {
        state.sweep_if_due(now);
        if state.parts.len_of(partition) < self.tenant_share {
            return self.make_room(state, partition, now);
        }
        match (self.when_full, state.parts.find(partition)) {
            (WhenFull::EvictOldest, Some(part)) if state.evict_oldest_done(part) => {
                Ok(Some(state.count_eviction(now, true)))
            }
            _ => Err(StoreError::Full),
        }
    }

    /// Room for one more record in a full store: what a sweep (if one is
    /// due) frees, else (if so chosen) the oldest processed record of the
    /// largest partition forgotten — or, if it holds only leases, of the
    /// other of the largest tenant's and the untenanted, or of the
    /// claimer's own —, or `Full`.
    fn make_room(
        &self,
        state: &mut State,
        partition: Option<u64>,
        now: u64,
    ) -> Result<Option<Evicted>, StoreError> {
        if state.records.len() < self.capacity {
            return Ok(None);
        }
        state.sweep_if_due(now);
        if state.records.len() < self.capacity {
            return Ok(None);
        }
        if self.when_full != WhenFull::EvictOldest {
            return Err(StoreError::Full);
        }
        let (largest, second) = state.parts.largest();
        let own = state.parts.find(partition);
        for part in [Some(largest), Some(second), own].into_iter().flatten() {
            if state.evict_oldest_done(part) {
                return Ok(Some(state.count_eviction(now, false)));
            }
        }
        Err(StoreError::Full)
    }

    /// Records forgotten to make room since the store was made
    /// ([`WhenFull::EvictOldest`]; always 0 with [`WhenFull::Reject`]).
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    fn renew_sync(&self, key: &ReplayKey, lease: LeaseId, ttl: Duration) -> bool {
        let now = self.now_ms();
        let key = key_of(key);
        let mut state = self.lock();
        match state.live(key, now) {
            Some(record) if record.holder() == holder(lease) => {
                state.put(
                    key,
                    Record {
                        expiry: now.saturating_add(ms(ttl)),
                        ..record
                    },
                );
                true
            }
            _ => false,
        }
    }

    fn commit_sync(&self, key: &ReplayKey, ttl: Duration) {
        let now = self.now_ms();
        let mut state = self.lock();
        let part = state.parts.get_or_make(key.partition());
        let record = Record::new(now.saturating_add(ms(ttl)), DONE, part);
        state.put(key_of(key), record);
    }

    fn release_sync(&self, key: &ReplayKey, lease: LeaseId) {
        let key = key_of(key);
        let mut state = self.lock();
        if state
            .records
            .get(&key)
            .is_some_and(|r| r.holder() == holder(lease))
        {
            state.remove(key);
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl State {
    /// The record of `key` if it has not expired.
    fn live(&self, key: Key, now: u64) -> Option<Record> {
        self.records.get(&key).copied().filter(|r| r.expiry > now)
    }

    fn put(&mut self, key: Key, record: Record) {
        match self.records.insert(key, record) {
            // Unchanged (a commit or a renewal within the same millisecond):
            // its slot is still current, a second would count twice.
            Some(old) if old == record => return,
            Some(old) if old.part() == record.part() => {}
            Some(old) => {
                self.parts.grow(record.part());
                self.parts.shrink(old.part());
            }
            None => self.parts.grow(record.part()),
        }
        let part = record.part();
        if record.holder() == DONE {
            self.parts[part].done.push_back((record.expiry, key));
        } else {
            self.leases.push_back((record.expiry, key));
        }
        // Keep the queues bounded by the live records (stale slots pile up
        // behind long-lived ones otherwise).
        let records = &self.records;
        if self.leases.len() > 2 * records.len() + 64 {
            self.leases
                .retain(|&(expiry, key)| current_lease(records.get(&key), expiry));
        }
        if self.parts[part].done.len() > self.parts.queue_bound(part) {
            self.parts[part]
                .done
                .retain(|&(expiry, key)| current_done(records.get(&key), expiry, part));
        }
    }

    fn remove(&mut self, key: Key) {
        if let Some(record) = self.records.remove(&key) {
            self.parts.shrink(record.part());
        }
    }

    /// Drops expired and stale slots from the front of the queue of
    /// leases, and the expired records they point to; then the expired
    /// slots from the front of the claimer's partition's queue
    /// (`partition`, `None` for keys without a tenant) and of one other
    /// partition's in turn, and the records they point to unless refreshed
    /// since.
    ///
    /// A lease's slot is stale as soon as its delivery is committed, most
    /// often by the next claim: the front is read in the map, the key
    /// likely still in cache, and dropped, so that the queue holds about
    /// the leases in flight. A processed record's slot is rarely stale
    /// (only a refreshed or forgotten record's): one not yet expired ends
    /// the look without reading the map (a stale one goes once expired, or
    /// with a compaction).
    fn evict_expired(&mut self, now: u64, partition: Option<u64>) {
        while let Some(&(expiry, key)) = self.leases.front() {
            if !current_lease(self.records.get(&key), expiry) {
                self.leases.pop_front(); // stale: removed, refreshed or done since
            } else if expiry <= now {
                self.leases.pop_front();
                self.remove(key);
            } else {
                break;
            }
        }
        let own = self.parts.find(partition);
        if let Some(part) = own {
            self.evict_expired_done(part, now);
        }
        let other = self.parts.next_in_turn();
        if Some(other) != own {
            self.evict_expired_done(other, now);
        }
    }

    /// The same for the queue of processed records of `part`.
    fn evict_expired_done(&mut self, part: Part, now: u64) {
        while let Some(&(expiry, key)) = self.parts[part].done.front() {
            if expiry > now {
                break;
            }
            self.parts[part].done.pop_front();
            // May free the partition, and empty its queue.
            self.remove_if(key, |r| current_done(Some(r), expiry, part));
        }
    }

    /// Removes `key`'s record if `current` says the slot read is its own
    /// (one look-up): whether it did.
    fn remove_if(&mut self, key: Key, current: impl FnOnce(&Record) -> bool) -> bool {
        match self.records.entry(key) {
            std::collections::hash_map::Entry::Occupied(entry) if current(entry.get()) => {
                let record = entry.remove();
                self.parts.shrink(record.part());
                true
            }
            _ => false,
        }
    }

    /// Drops every expired record, wherever it sits in the queues: at most
    /// once per [`SWEEP_INTERVAL`].
    fn sweep_if_due(&mut self, now: u64) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now.saturating_add(ms(SWEEP_INTERVAL));
        let records = &mut self.records;
        self.parts.recount(|parts| {
            records.retain(|_, r| {
                let keep = r.expiry > now;
                if !keep {
                    let len = &mut parts[r.part() as usize].len;
                    *len = len.saturating_sub(1);
                }
                keep
            });
        });
    }

    /// Forgets the oldest processed record of `part`, never a lease:
    /// `false` when there is none.
    fn evict_oldest_done(&mut self, part: Part) -> bool {
        while let Some((expiry, key)) = self.parts[part].done.pop_front() {
            if self.remove_if(key, |r| current_done(Some(r), expiry, part)) {
                return true;
            }
        }
        false
    }

    /// Counts an eviction; a warning is due at most once per
    /// [`EVICTION_WARNING_INTERVAL`].
    fn count_eviction(&mut self, now: u64, at_share: bool) -> Evicted {
        self.evicted += 1;
        self.unwarned += 1;
        if now < self.next_warning {
            return Evicted {
                warn: None,
                at_share,
            };
        }
        self.next_warning = now.saturating_add(ms(EVICTION_WARNING_INTERVAL));
        Evicted {
            warn: Some(std::mem::take(&mut self.unwarned)),
            at_share,
        }
    }
}

/// Whether a lease's queue slot (`expiry`) is its key's `record`.
fn current_lease(record: Option<&Record>, expiry: u64) -> bool {
    record.is_some_and(|r| r.expiry == expiry && r.holder() != DONE)
}

/// Whether a queue slot (`expiry`) of `part`'s processed records is its
/// key's `record`.
fn current_done(record: Option<&Record>, expiry: u64, part: Part) -> bool {
    record.is_some_and(|r| r.expiry == expiry && r.tag == Record::new(0, DONE, part).tag)
}

/// Counts a record forgotten to make room (metric
/// `hookwarden_replay_records_evicted_total`, by the claiming verifier's
/// name: never by tenant, whose ids are unbounded), and logs the warning
/// when one is due.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn report_eviction(verifier: &str, capacity: usize, tenant_share: usize, evicted: Evicted) {
    crate::metrics::replay_record_evicted(verifier);
    #[cfg(feature = "tracing")]
    if let Some(count) = evicted.warn {
        if evicted.at_share {
            tracing::warn!(
                verifier,
                capacity,
                tenant_share,
                evicted = count,
                "replay store full for one tenant: it holds its share of the store, so its \
                 oldest records of processed deliveries were forgotten to make room (an exact \
                 copy of those is no longer refused; other tenants' records are kept); raise \
                 `MemoryStore::tenant_share`, give the verifier a larger store, or a shared one"
            );
        } else {
            tracing::warn!(
                verifier,
                capacity,
                evicted = count,
                "replay store full: forgot the oldest records of processed deliveries to make \
                 room, so an exact copy of those is no longer refused; give the verifier a larger \
                 store (`.replay_protection(..)`), or a shared one"
            );
        }
    }
}

impl ReplayStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        StoreFuture::ready(self.claim_sync(key, lease, ttl))
    }

    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        StoreFuture::ready(Ok(self.renew_sync(key, lease, ttl)))
    }

    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        _lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        self.commit_sync(key, ttl);
        StoreFuture::ready(Ok(()))
    }

    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        self.release_sync(key, lease);
        StoreFuture::ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::partitions::UNTENANTED;
    use super::*;

    fn key(n: u8) -> ReplayKey {
        ReplayKey::new("test", u128::from(n))
    }

    fn fake_clock() -> (Arc<AtomicU64>, impl Clock) {
        let now = Arc::new(AtomicU64::new(1_000_000));
        let reader = now.clone();
        (now, move || {
            UNIX_EPOCH + Duration::from_millis(reader.load(Ordering::SeqCst))
        })
    }

    fn claim(store: &MemoryStore, k: u8, ttl_secs: u64) -> Result<Claim, StoreError> {
        store.claim_sync(&key(k), LeaseId::new(), Duration::from_secs(ttl_secs))
    }

    #[test]
    fn a_held_key_is_in_flight_and_a_committed_one_done_until_it_expires() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).clock(clock);
        let lease = LeaseId::new();
        let k = key(1);
        assert_eq!(
            store.claim_sync(&k, lease, Duration::from_secs(10)),
            Ok(Claim::Leased)
        );
        assert_eq!(claim(&store, 1, 10), Ok(Claim::InFlight));
        store.commit_sync(&k, Duration::from_secs(600));
        assert_eq!(claim(&store, 1, 10), Ok(Claim::Replayed));
        now.fetch_add(599_999, Ordering::SeqCst);
        assert_eq!(claim(&store, 1, 10), Ok(Claim::Replayed));
        now.fetch_add(1, Ordering::SeqCst);
        assert_eq!(claim(&store, 1, 10), Ok(Claim::Leased));
    }

    #[test]
    fn only_the_holder_renews_or_releases() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).clock(clock);
        let (mine, other) = (LeaseId::new(), LeaseId::new());
        let k = key(2);
        store.claim_sync(&k, mine, Duration::from_secs(10)).unwrap();
        assert!(!store.renew_sync(&k, other, Duration::from_secs(10)));
        store.release_sync(&k, other);
        assert_eq!(claim(&store, 2, 10), Ok(Claim::InFlight));
        now.fetch_add(9_000, Ordering::SeqCst);
        assert!(store.renew_sync(&k, mine, Duration::from_secs(10)));
        now.fetch_add(9_000, Ordering::SeqCst);
        assert_eq!(claim(&store, 2, 10), Ok(Claim::InFlight), "renewed");
        store.release_sync(&k, mine);
        assert_eq!(
            store.claim_sync(&k, other, Duration::from_secs(10)),
            Ok(Claim::Leased)
        );
        // A done key is not released by its former holder.
        store.commit_sync(&k, Duration::from_secs(60));
        store.release_sync(&k, other);
        assert_eq!(claim(&store, 2, 10), Ok(Claim::Replayed));
    }

    #[test]
    fn an_expired_hold_frees_the_key() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).clock(clock);
        claim(&store, 3, 10).unwrap();
        now.fetch_add(10_000, Ordering::SeqCst);
        assert_eq!(claim(&store, 3, 10), Ok(Claim::Leased));
    }

    #[test]
    fn expired_records_are_evicted() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(100).clock(clock);
        for k in 0..50 {
            claim(&store, k, 10).unwrap();
        }
        assert_eq!(store.len(), 50);
        now.fetch_add(10_001, Ordering::SeqCst);
        claim(&store, 200, 10).unwrap();
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_full_store_rejects_and_never_forgets_unexpired_records() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(3).clock(clock);
        for k in 0..3 {
            assert_eq!(claim(&store, k, 60), Ok(Claim::Leased));
            store.commit_sync(&key(k), Duration::from_secs(60));
        }
        assert_eq!(claim(&store, 9, 60), Err(StoreError::Full));
        for k in 0..3 {
            assert_eq!(
                claim(&store, k, 60),
                Ok(Claim::Replayed),
                "record {k} was forgotten"
            );
        }
        // Once they expire, there is room again.
        now.fetch_add(60_001, Ordering::SeqCst);
        assert_eq!(claim(&store, 9, 60), Ok(Claim::Leased));
    }

    #[test]
    fn a_full_store_sweeps_at_most_once_per_interval() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(3).clock(clock);
        // A long lease first, then two short ones behind it in the queue of
        // leases: once they expire, only a sweep finds them.
        claim(&store, 1, 60).unwrap();
        claim(&store, 2, 1).unwrap();
        claim(&store, 3, 1).unwrap();
        now.fetch_add(2_000, Ordering::SeqCst);
        assert_eq!(claim(&store, 4, 60), Ok(Claim::Leased), "swept");
        let lease = LeaseId::new();
        store
            .claim_sync(&key(5), lease, Duration::from_millis(500))
            .unwrap();
        // Full again; 5 expires behind 1 and 4 before the next sweep is due.
        now.fetch_add(600, Ordering::SeqCst);
        for _ in 0..1000 {
            assert_eq!(claim(&store, 6, 60), Err(StoreError::Full), "no sweep yet");
        }
        now.fetch_add(400, Ordering::SeqCst);
        assert_eq!(claim(&store, 6, 60), Ok(Claim::Leased), "the next sweep");
        assert_eq!(claim(&store, 1, 60), Ok(Claim::InFlight), "never forgotten");
        assert_eq!(store.evicted(), 0);
    }

    /// Claims `k` and commits it: a processed delivery's record.
    fn processed(store: &MemoryStore, k: u8) {
        assert_eq!(claim(store, k, 10), Ok(Claim::Leased));
        store.commit_sync(&key(k), Duration::from_secs(600));
    }

    #[test]
    fn evicting_forgets_the_oldest_processed_record_never_a_hold() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(4)
            .clock(clock)
            .when_full(WhenFull::EvictOldest);
        claim(&store, 1, 60).unwrap(); // held, the oldest record of all
        processed(&store, 2);
        now.fetch_add(1, Ordering::SeqCst);
        processed(&store, 3);
        claim(&store, 4, 60).unwrap(); // held
        assert_eq!(claim(&store, 5, 60), Ok(Claim::Leased));
        assert_eq!(store.len(), 4);
        assert_eq!(store.evicted(), 1);
        assert_eq!(claim(&store, 1, 60), Ok(Claim::InFlight), "a lease stays");
        assert_eq!(
            claim(&store, 3, 60),
            Ok(Claim::Replayed),
            "the newer record stays"
        );
        assert_eq!(claim(&store, 6, 60), Ok(Claim::Leased), "3 makes room");
        assert_eq!(store.evicted(), 2);
        // Only leases left: nothing may be forgotten.
        assert_eq!(claim(&store, 7, 60), Err(StoreError::Full));
        for k in [1, 4, 5, 6] {
            assert_eq!(claim(&store, k, 60), Ok(Claim::InFlight), "lease {k}");
        }
        assert_eq!(
            claim(&store, 2, 60),
            Err(StoreError::Full),
            "2 was forgotten"
        );
        assert_eq!(store.evicted(), 2);
    }

    #[test]
    fn a_rejecting_store_never_evicts() {
        let store = MemoryStore::new(1);
        processed(&store, 1);
        assert_eq!(claim(&store, 2, 60), Err(StoreError::Full));
        assert_eq!(claim(&store, 1, 60), Ok(Claim::Replayed));
        assert_eq!(store.evicted(), 0);
    }

    #[test]
    fn every_eviction_is_counted_and_warned_about_at_most_once_a_second() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(1)
            .clock(clock)
            .when_full(WhenFull::EvictOldest);
        for k in 0..30u8 {
            processed(&store, k);
            assert_eq!(store.evicted(), u64::from(k));
            now.fetch_add(100, Ordering::SeqCst);
        }
        // The cadence: a warning on the first eviction, then at most one
        // per interval, each counting those since the last.
        let mut state = State::default();
        let warnings: Vec<u64> = (0..30u64)
            .filter_map(|i| state.count_eviction(1_000_000 + i * 100, false).warn)
            .collect();
        assert_eq!(warnings, [1, 10, 10]);
        assert_eq!((state.evicted, state.unwarned), (30, 9));
    }

    #[test]
    fn concurrent_claims_of_one_key_succeed_exactly_once() {
        let store = Arc::new(MemoryStore::new(1000));
        let claimed = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (store, claimed) = (store.clone(), claimed.clone());
                std::thread::spawn(move || {
                    for k in 0..100u8 {
                        if claim(&store, k, 60) == Ok(Claim::Leased) {
                            claimed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(claimed.load(Ordering::SeqCst), 100);
    }

    #[test]
    fn keys_print_abbreviated_and_store_in_full() {
        let k = ReplayKey::new("orders", 0xabab_abab_u128 << 96);
        assert_eq!(k.to_string(), "orders:abababab…");
        assert_eq!(format!("{k:?}"), "ReplayKey(orders:abababab…)");
        assert_eq!(
            k.storage_name(),
            format!("orders:abababab{}", "0".repeat(24))
        );
        assert_ne!(
            k.fingerprint(),
            ReplayKey::new("other", k.digest()).fingerprint()
        );
    }

    #[test]
    fn the_queue_stays_bounded_under_churn() {
        let store = MemoryStore::new(10);
        for round in 0..10_000u32 {
            let k = key((round % 5) as u8);
            let lease = LeaseId::new();
            let _ = store.claim_sync(&k, lease, Duration::from_secs(60));
            store.renew_sync(&k, lease, Duration::from_secs(60));
            store.release_sync(&k, lease);
        }
        let state = store.lock();
        let done: usize = state.parts.queues().map(VecDeque::len).sum();
        assert!(state.leases.len() + done <= 2 * 10 + 64 + 1);
    }

    /// Tenant `tenant`'s key `n`, in its partition.
    fn tenant_key(tenant: u64, n: u32) -> ReplayKey {
        ReplayKey::new("test", (u128::from(tenant) << 32) | u128::from(n)).in_partition(tenant)
    }

    fn tenant_claim(store: &MemoryStore, tenant: u64, n: u32) -> Result<Claim, StoreError> {
        store.claim_sync(
            &tenant_key(tenant, n),
            LeaseId::new(),
            Duration::from_secs(60),
        )
    }

    /// Tenant `tenant`'s key `n` claimed and committed.
    fn tenant_processed(store: &MemoryStore, tenant: u64, n: u32) -> Result<(), StoreError> {
        tenant_claim(store, tenant, n)?;
        store.commit_sync(&tenant_key(tenant, n), Duration::from_secs(600));
        Ok(())
    }

    /// The counts agree with the records: each partition's, the total,
    /// the largest tenant's, and no partition is kept without records.
    fn assert_consistent(store: &MemoryStore) {
        let state = store.lock();
        let mut counted: HashMap<Part, usize> = HashMap::new();
        for record in state.records.values() {
            *counted.entry(record.part()).or_default() += 1;
        }
        for (&part, &n) in &counted {
            assert_eq!(state.parts[part].len, n, "partition {part}");
        }
        let tenants: Vec<_> = counted.keys().filter(|&&p| p != UNTENANTED).collect();
        assert_eq!(state.parts.tenants(), tenants.len(), "tenants in use");
        let largest_tenant = tenants.iter().map(|&&p| counted[&p]).max().unwrap_or(0);
        let (largest, _) = state.parts.largest();
        let untenanted = counted.get(&UNTENANTED).copied().unwrap_or(0);
        assert_eq!(
            state.parts[largest].len,
            largest_tenant.max(untenanted),
            "the largest partition"
        );
    }

    #[test]
    fn a_tenant_at_its_share_is_refused_alone() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).tenant_share(3).clock(clock);
        tenant_processed(&store, 2, 0).unwrap(); // the victim's, the oldest
        for n in 0..3 {
            tenant_processed(&store, 1, n).unwrap();
        }
        for n in 3..100 {
            assert_eq!(tenant_claim(&store, 1, n), Err(StoreError::Full), "{n}");
        }
        // The others are untouched and keep the rest of the store.
        assert_eq!(tenant_claim(&store, 2, 0), Ok(Claim::Replayed));
        for n in 1..4 {
            tenant_processed(&store, 3, n).unwrap();
        }
        assert_eq!(tenant_claim(&store, 2, 1), Ok(Claim::Leased));
        assert_eq!(claim(&store, 1, 60), Ok(Claim::Leased), "untenanted");
        assert_eq!(store.len(), 9);
        // Nothing was forgotten, the tenant's own records included.
        for n in 0..3 {
            assert_eq!(tenant_claim(&store, 1, n), Ok(Claim::Replayed));
        }
        assert_eq!(store.evicted(), 0);
        assert_consistent(&store);
        // Its records expired, the tenant has its share again.
        now.fetch_add(600_001, Ordering::SeqCst);
        for n in 3..6 {
            tenant_processed(&store, 1, n).unwrap();
        }
        assert_eq!(tenant_claim(&store, 1, 6), Err(StoreError::Full));
        assert_consistent(&store);
    }

    #[test]
    fn a_tenant_at_its_share_forgets_its_own_oldest_never_anothers() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10)
            .tenant_share(3)
            .when_full(WhenFull::EvictOldest)
            .clock(clock);
        tenant_processed(&store, 2, 0).unwrap(); // the victim's, the oldest
        claim(&store, 1, 60).unwrap(); // an untenanted lease
        for n in 0..1000 {
            tenant_processed(&store, 1, n).unwrap();
            now.fetch_add(1, Ordering::SeqCst);
        }
        assert_eq!(store.evicted(), 997);
        assert_eq!(store.len(), 5, "the flood kept to its share");
        assert_eq!(tenant_claim(&store, 2, 0), Ok(Claim::Replayed), "victim");
        assert_eq!(claim(&store, 1, 60), Ok(Claim::InFlight), "untenanted");
        for n in 997..1000 {
            assert_eq!(tenant_claim(&store, 1, n), Ok(Claim::Replayed), "{n}");
        }
        assert_consistent(&store);
        // Its own leases are never forgotten: a tenant holding its share
        // in leases alone is refused.
        let store = MemoryStore::new(10)
            .tenant_share(2)
            .when_full(WhenFull::EvictOldest);
        tenant_claim(&store, 1, 0).unwrap();
        tenant_claim(&store, 1, 1).unwrap();
        assert_eq!(tenant_claim(&store, 1, 2), Err(StoreError::Full));
        assert_eq!(tenant_claim(&store, 2, 0), Ok(Claim::Leased));
        assert_eq!(store.evicted(), 0);
    }

    #[test]
    fn untenanted_keys_use_the_whole_capacity() {
        for when_full in [WhenFull::Reject, WhenFull::EvictOldest] {
            let store = MemoryStore::new(8).tenant_share(2).when_full(when_full);
            for k in 0..8 {
                assert_eq!(claim(&store, k, 60), Ok(Claim::Leased), "{when_full:?} {k}");
            }
            assert_eq!(store.evicted(), 0);
            assert_eq!(claim(&store, 8, 60), Err(StoreError::Full), "held leases");
        }
        // The default share is a quarter, and never stops keys without a
        // tenant.
        let store = MemoryStore::new(8);
        for k in 0..8 {
            processed(&store, k);
        }
        assert_eq!(claim(&store, 8, 60), Err(StoreError::Full));
        let store = MemoryStore::new(8);
        for n in 0..2 {
            tenant_processed(&store, 1, n).unwrap();
        }
        assert_eq!(tenant_claim(&store, 1, 2), Err(StoreError::Full));
    }

    #[test]
    fn a_full_store_forgets_from_the_largest_partition() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(8)
            .tenant_share(3)
            .when_full(WhenFull::EvictOldest)
            .clock(clock);
        // The oldest records of all: tenant 2's (below its share).
        tenant_processed(&store, 2, 0).unwrap();
        tenant_processed(&store, 2, 1).unwrap();
        now.fetch_add(1, Ordering::SeqCst);
        // Tenant 1 above its share: commits of keys whose leases lapsed are
        // recorded past it.
        for n in 0..3 {
            tenant_processed(&store, 1, n).unwrap();
        }
        for n in 3..5 {
            store.commit_sync(&tenant_key(1, n), Duration::from_secs(600));
        }
        now.fetch_add(1, Ordering::SeqCst);
        tenant_processed(&store, 3, 0).unwrap();
        assert_eq!(store.len(), 8, "full");
        assert_consistent(&store);
        // A new tenant's delivery: room is made in the largest partition
        // (tenant 1's, 5 records), never tenant 2's older ones.
        tenant_processed(&store, 4, 0).unwrap();
        tenant_processed(&store, 4, 1).unwrap();
        assert_eq!(store.evicted(), 2);
        for n in 0..2 {
            assert_eq!(
                tenant_claim(&store, 2, n),
                Ok(Claim::Replayed),
                "victim {n}"
            );
        }
        for n in 2..5 {
            assert_eq!(tenant_claim(&store, 1, n), Ok(Claim::Replayed), "kept {n}");
        }
        assert_eq!(tenant_claim(&store, 1, 0), Ok(Claim::Leased), "forgotten");
        assert_consistent(&store);
        // Untenanted records holding the most are forgotten first.
        let store = MemoryStore::new(6)
            .tenant_share(2)
            .when_full(WhenFull::EvictOldest);
        tenant_processed(&store, 1, 0).unwrap();
        for k in 0..5 {
            processed(&store, k);
        }
        tenant_processed(&store, 2, 0).unwrap();
        assert_eq!(tenant_claim(&store, 1, 0), Ok(Claim::Replayed));
        assert_eq!(claim(&store, 0, 60), Ok(Claim::Leased), "forgotten");
        assert_consistent(&store);
    }

    #[test]
    fn a_tenant_at_its_share_sweeps_at_most_once_per_interval() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(100).tenant_share(3).clock(clock);
        // A long lease first, then two short ones behind it: once they
        // expire, only a sweep finds them.
        let short = |n| {
            store.claim_sync(
                &tenant_key(1, n),
                LeaseId::new(),
                Duration::from_millis(500),
            )
        };
        tenant_claim(&store, 1, 0).unwrap();
        short(1).unwrap();
        short(2).unwrap();
        now.fetch_add(600, Ordering::SeqCst);
        assert_eq!(tenant_claim(&store, 1, 3), Ok(Claim::Leased), "swept");
        short(4).unwrap();
        now.fetch_add(600, Ordering::SeqCst);
        for _ in 0..1000 {
            assert_eq!(
                tenant_claim(&store, 1, 5),
                Err(StoreError::Full),
                "no sweep yet"
            );
        }
        now.fetch_add(400, Ordering::SeqCst);
        assert_eq!(
            tenant_claim(&store, 1, 5),
            Ok(Claim::Leased),
            "the next sweep"
        );
        assert_consistent(&store);
    }

    #[test]
    fn tenants_gone_quiet_are_forgotten_and_their_slots_reused() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10_000).clock(clock);
        for round in 0..20u64 {
            for tenant in 0..100 {
                tenant_processed(&store, round * 1000 + tenant, 0).unwrap();
            }
            now.fetch_add(600_001, Ordering::SeqCst);
        }
        // Each claim also evicts one other partition's expired records in
        // turn: the quiet tenants' records go without a sweep (the store is
        // far from full), and their partitions with them.
        let slots = store.lock().parts.queues().count();
        for k in 0..slots {
            let key = ReplayKey::new("untenanted", k as u128);
            store
                .claim_sync(&key, LeaseId::new(), Duration::from_secs(60))
                .unwrap();
        }
        assert_consistent(&store);
        let state = store.lock();
        assert_eq!(state.parts.tenants(), 0);
        assert_eq!(state.records.len(), slots);
        // 100 tenants at a time, 2,000 in all: slots were reused.
        assert!(slots <= 301, "{slots} partition slots");
    }

    #[test]
    fn counts_stay_consistent_under_any_mix_of_operations() {
        for when_full in [WhenFull::Reject, WhenFull::EvictOldest] {
            let (now, clock) = fake_clock();
            let store = MemoryStore::new(64)
                .tenant_share(9)
                .when_full(when_full)
                .clock(clock);
            let mut seed = 0x2545_f491_4f6c_dd1d_u64;
            let mut next = |n: u64| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed % n
            };
            for i in 0..20_000 {
                let tenant = next(6); // 0: no tenant
                let n = next(40) as u32;
                let key = match tenant {
                    0 => ReplayKey::new("test", u128::from(n)),
                    t => tenant_key(t, n),
                };
                let lease = LeaseId::new();
                let ttl = Duration::from_millis(next(3000) + 1);
                match next(5) {
                    0 | 1 => {
                        let _ = store.claim_sync(&key, lease, ttl);
                    }
                    2 => store.commit_sync(&key, ttl),
                    3 => {
                        let _ = store.claim_sync(&key, lease, ttl);
                        store.release_sync(&key, lease);
                    }
                    _ => {
                        // A key moved to another partition (a store's
                        // caller may do anything).
                        store.commit_sync(&key.in_partition(next(6)), ttl);
                    }
                }
                now.fetch_add(next(50), Ordering::SeqCst);
                if i % 97 == 0 {
                    assert_consistent(&store);
                }
            }
            assert_consistent(&store);
        }
    }

    #[test]
    fn the_queues_stay_bounded_under_a_tenants_churn() {
        let store = MemoryStore::new(10).tenant_share(10);
        // A long-lived record first: stale slots pile up behind it.
        store.commit_sync(&tenant_key(7, 100), Duration::from_secs(3600));
        for round in 0..10_000u32 {
            // Processed records refreshed, and leases taken and released.
            store.commit_sync(&tenant_key(7, 5 + round % 3), Duration::from_secs(60));
            let k = tenant_key(7, round % 5);
            let lease = LeaseId::new();
            let _ = store.claim_sync(&k, lease, Duration::from_secs(60));
            store.renew_sync(&k, lease, Duration::from_secs(60));
            store.release_sync(&k, lease);
        }
        assert_consistent(&store);
        let state = store.lock();
        assert_eq!(state.records.len(), 4);
        let done: usize = state.parts.queues().map(VecDeque::len).sum();
        assert!(done <= 2 * 5 + 16 + 1, "{done}");
        assert!(state.leases.len() <= 2 * 5 + 64 + 1);
    }

    #[test]
    fn a_record_keeps_its_holder_and_partition_apart() {
        let top_holder = (1 << (64 - PART_BITS)) - 1;
        let top_part = (1 << PART_BITS) - 1;
        for (holder, part) in [
            (DONE, 0),
            (1, top_part),
            (top_holder, 0),
            (top_holder, top_part),
        ] {
            let record = Record::new(7, holder, part);
            assert_eq!((record.holder(), record.part()), (holder, part));
        }
        // Lease numbers map to holders that are never 0 (done).
        for n in [0, u64::MAX, top_holder, top_holder + 1, 1 << 63] {
            let h = holder(LeaseId::from_u128(u128::from(n)));
            assert!(h != DONE && h <= top_holder, "{n}: {h}");
        }
        assert_eq!(std::mem::size_of::<(Key, Record)>(), 32);
    }
}
