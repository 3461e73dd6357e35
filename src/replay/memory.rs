//! The in-memory replay store: the embedded default, for a single replica.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use super::hasher::MixState;
use super::{Claim, LeaseId, ReplayKey, ReplayStore, StoreError, StoreFuture};
use crate::time::{Clock, SystemClock};

/// Upper bound of the memory per record, in bytes: a hash map entry (a
/// 16-byte key, an 8-byte expiry and an 8-byte holder, a control byte) and
/// the expiry queues' slots (24 bytes each; a processed record has two, its
/// lease's and its own until the older one is skipped), times the spare
/// capacity both keep (the map grows by doubling at 7/8 load, the queues by
/// doubling). About 133 measured at 20,000 records by `tests/replay_memory.rs`, so
/// 100,000 records ([`DEFAULT_CAPACITY`]) take roughly 10 to 15 MB.
pub const MEMORY_BYTES_PER_ENTRY: usize = 150;

/// How often, at most, a full [`MemoryStore`] sweeps the whole store for
/// records that expired out of order: once a second.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// How often, at most, a [`MemoryStore`] that forgets records to make room
/// ([`WhenFull::EvictOldest`]) logs it: once a second, the warning saying
/// how many it forgot since the last one.
pub const EVICTION_WARNING_INTERVAL: Duration = Duration::from_secs(1);

/// What a full [`MemoryStore`] does with a new delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenFull {
    /// Answer 503 `replay_store_full`: never forget an unexpired record.
    /// The default of a store you build.
    #[default]
    Reject,
    /// Forget the oldest record of a *processed* delivery to make room
    /// (never a held lease: a copy of a delivery being processed is always
    /// refused), counted in `hookwarden_replay_records_evicted_total`
    /// (feature `metrics`), [`MemoryStore::evicted`], and a warning at most
    /// once per [`EVICTION_WARNING_INTERVAL`]. An exact copy of the forgotten
    /// delivery would then pass, if still fresh: best effort, the choice of
    /// the default store a verifier gets when none is set
    /// ([`crate::replay`](super#the-default)). A store full of held leases
    /// only still answers 503 `replay_store_full`.
    EvictOldest,
}

/// A bounded, concurrent in-memory [`ReplayStore`]. Expired records are
/// evicted as new ones arrive; a full store never silently forgets an
/// unexpired record unless [`WhenFull::EvictOldest`] is chosen (and then
/// says so). Commits of keys already held are always recorded, even at
/// capacity: a delivery is never forgotten for lack of room between its
/// claim and its commit.
///
/// Leases and processed records are queued apart, each in the order they
/// were written, which is nearly their expiry order (a lease's TTL is the
/// same for every lease, a record's for every processed delivery of one
/// verifier): expired ones are evicted in O(1) as claims arrive, and the
/// oldest processed record is found in O(1). One that expires behind a
/// longer-lived one (stores shared by verifiers of different TTLs) is found
/// by a sweep of the whole store, which a full store makes at most once per
/// [`SWEEP_INTERVAL`]: in between, a full store answers at once (503
/// `replay_store_full`, or evicts the oldest processed record if so
/// chosen), so a store kept full by its traffic costs O(1) per claim, not
/// a scan.
///
/// Size it for the traffic: capacity ≥ deliveries per second × record TTL
/// (the TTL is the verifier's tolerance window, 600 s by default, or the
/// [`ttl`](super::ReplayProtection::ttl) set), with a margin for bursts.
///
/// Replicas do not share it, and it is gone with the process: behind a load
/// balancer, or to survive restarts, use a shared store (Redis, with the
/// `redis` feature).
pub struct MemoryStore {
    state: Mutex<State>,
    capacity: usize,
    when_full: WhenFull,
    clock: Arc<dyn Clock>,
}

/// What a claim that forgot a record to make room reports once the lock is
/// released: how many records were forgotten since the last warning, when
/// one is due.
struct Evicted {
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    warn: Option<u64>,
}

/// A key's fingerprint as two words (a `u128` would be 16-byte aligned,
/// and pad every map entry and queue slot).
type Key = [u64; 2];

fn key_of(key: &ReplayKey) -> Key {
    let fingerprint = key.fingerprint();
    [fingerprint as u64, (fingerprint >> 64) as u64]
}

/// A key's record: when it expires (milliseconds since the epoch), and the
/// lease holding it (its in-process number), or 0 once done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    expiry: u64,
    holder: u64,
}

const DONE: u64 = 0;

/// The in-process part of a lease id: unique within this process, never 0.
fn holder(lease: LeaseId) -> u64 {
    (lease.as_u128() as u64).wrapping_add(1).max(1)
}

#[derive(Default)]
struct State {
    records: HashMap<Key, Record, MixState>,
    /// (expiry, key) of leases, in insertion order: nearly expiry order,
    /// since leases' TTLs are mostly equal; stale slots (removed, refreshed
    /// or committed keys) are skipped.
    leases: VecDeque<(u64, Key)>,
    /// The same for processed records: its front is the oldest.
    done: VecDeque<(u64, Key)>,
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
    /// A store holding at most `capacity` unexpired records; a full store
    /// rejects ([`WhenFull::Reject`]).
    pub fn new(capacity: usize) -> Self {
        MemoryStore {
            state: Mutex::default(),
            capacity: capacity.max(1),
            when_full: WhenFull::Reject,
            clock: Arc::new(SystemClock),
        }
    }

    /// Chooses what a full store does. Defaults to [`WhenFull::Reject`].
    #[must_use]
    pub fn when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
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
        let (claim, evicted) = self.claim_locked(key_of(key), lease, ttl, now);
        if let Some(evicted) = evicted {
            report_eviction(key.namespace(), self.capacity, evicted);
        }
        claim
    }

    fn claim_locked(
        &self,
        key: Key,
        lease: LeaseId,
        ttl: Duration,
        now: u64,
    ) -> (Result<Claim, StoreError>, Option<Evicted>) {
        let mut state = self.lock();
        state.evict_expired(now);
        if let Some(record) = state.live(key, now) {
            let claim = if record.holder == DONE {
                Claim::Replayed
            } else {
                Claim::InFlight
            };
            return (Ok(claim), None);
        }
        let mut evicted = None;
        if state.records.len() >= self.capacity && !state.records.contains_key(&key) {
            match self.make_room(&mut state, now) {
                Ok(made) => evicted = made,
                Err(full) => return (Err(full), None),
            }
        }
        state.put(
            key,
            Record {
                expiry: now.saturating_add(ms(ttl)),
                holder: holder(lease),
            },
        );
        (Ok(Claim::Leased), evicted)
    }

    /// Room for one more record in a full store: what a sweep (if one is
    /// due) frees, else the oldest processed record forgotten (if so
    /// chosen, and there is one), or `Full`.
    fn make_room(&self, state: &mut State, now: u64) -> Result<Option<Evicted>, StoreError> {
        state.sweep_if_due(now);
        if state.records.len() < self.capacity {
            return Ok(None);
        }
        match self.when_full {
            WhenFull::EvictOldest if state.evict_oldest_done() => {
                Ok(Some(state.count_eviction(now)))
            }
            _ => Err(StoreError::Full),
        }
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
            Some(record) if record.holder == holder(lease) => {
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
        let record = Record {
            expiry: now.saturating_add(ms(ttl)),
            holder: DONE,
        };
        self.lock().put(key_of(key), record);
    }

    fn release_sync(&self, key: &ReplayKey, lease: LeaseId) {
        let key = key_of(key);
        let mut state = self.lock();
        if state
            .records
            .get(&key)
            .is_some_and(|r| r.holder == holder(lease))
        {
            state.records.remove(&key);
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
        self.records.insert(key, record);
        let queue = if record.holder == DONE {
            &mut self.done
        } else {
            &mut self.leases
        };
        queue.push_back((record.expiry, key));
        // Keep the queues bounded by the live records (stale slots pile up
        // behind long-lived ones otherwise).
        if self.leases.len() + self.done.len() > 2 * self.records.len() + 64 {
            let records = &self.records;
            let current =
                |(expiry, key): &(u64, Key)| records.get(key).map(|r| r.expiry) == Some(*expiry);
            self.leases.retain(current);
            self.done.retain(current);
        }
    }

    /// Drops expired and stale slots from the front of both queues, and the
    /// expired records they point to.
    fn evict_expired(&mut self, now: u64) {
        evict_expired(&mut self.records, &mut self.leases, now);
        evict_expired(&mut self.records, &mut self.done, now);
    }

    /// Drops every expired record, wherever it sits in the queues: at most
    /// once per [`SWEEP_INTERVAL`].
    fn sweep_if_due(&mut self, now: u64) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now.saturating_add(ms(SWEEP_INTERVAL));
        self.records.retain(|_, r| r.expiry > now);
    }

    /// Forgets the oldest processed record, never a lease: `false` when
    /// there is none.
    fn evict_oldest_done(&mut self) -> bool {
        while let Some((expiry, key)) = self.done.pop_front() {
            let current = self.records.get(&key);
            if current.is_some_and(|r| r.expiry == expiry && r.holder == DONE) {
                self.records.remove(&key);
                return true;
            }
        }
        false
    }

    /// Counts an eviction; a warning is due at most once per
    /// [`EVICTION_WARNING_INTERVAL`].
    fn count_eviction(&mut self, now: u64) -> Evicted {
        self.evicted += 1;
        self.unwarned += 1;
        if now < self.next_warning {
            return Evicted { warn: None };
        }
        self.next_warning = now.saturating_add(ms(EVICTION_WARNING_INTERVAL));
        Evicted {
            warn: Some(std::mem::take(&mut self.unwarned)),
        }
    }
}

/// Drops expired and stale slots from the front of `queue`, and the
/// expired records they point to.
fn evict_expired(
    records: &mut HashMap<Key, Record, MixState>,
    queue: &mut VecDeque<(u64, Key)>,
    now: u64,
) {
    while let Some(&(expiry, key)) = queue.front() {
        let current = records.get(&key).map(|r| r.expiry);
        if current != Some(expiry) {
            queue.pop_front(); // stale: removed or refreshed since
        } else if expiry <= now {
            queue.pop_front();
            records.remove(&key);
        } else {
            break;
        }
    }
}

/// Counts a record forgotten to make room (metric
/// `hookwarden_replay_records_evicted_total`, by the claiming verifier's
/// name), and logs the warning when one is due.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn report_eviction(verifier: &str, capacity: usize, evicted: Evicted) {
    crate::metrics::replay_record_evicted(verifier);
    #[cfg(feature = "tracing")]
    if let Some(evicted) = evicted.warn {
        tracing::warn!(
            verifier,
            capacity,
            evicted,
            "replay store full: forgot the oldest records of processed deliveries to make \
             room, so an exact copy of those is no longer refused; give the verifier a larger \
             store (`.replay_protection(..)`), or a shared one"
        );
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
            .filter_map(|i| state.count_eviction(1_000_000 + i * 100).warn)
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
        assert!(state.leases.len() + state.done.len() <= 2 * 10 + 64 + 1);
    }
}
