//! The in-memory replay store: the embedded default, for a single replica.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use super::{Inserted, ReplayKey, ReplayStore, StoreError, StoreFuture};
use crate::signature::DIGEST_LEN;
use crate::timestamp::{Clock, SystemClock};

type Key = [u8; 1 + DIGEST_LEN];

/// Upper bound of the memory per recorded delivery, in bytes: a hash map
/// entry (33-byte key, 8-byte expiry, padding, a control byte) and an
/// expiry-queue slot (48 bytes each), times the spare capacity both keep
/// (the map grows by doubling at 7/8 load, the queue by doubling). Between
/// about 100 and 240 bytes depending on where the capacities stand; 159
/// measured at 20,000 records (`tests/replay_memory.rs`), so 100,000 records
/// take roughly 10 to 24 MB.
pub const MEMORY_BYTES_PER_ENTRY: usize = 240;

/// What a full [`MemoryStore`] does with a new delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenFull {
    /// Answer 503 `replay_store_full`: never forget an unexpired record. The default.
    #[default]
    Reject,
    /// Forget the record closest to expiry to make room. A replay of the
    /// forgotten delivery would then pass: choose this knowingly.
    EvictOldest,
}

/// A bounded, concurrent in-memory [`ReplayStore`]. Expired records are
/// evicted as new ones arrive; a full store never silently forgets an
/// unexpired record unless [`WhenFull::EvictOldest`] is chosen.
///
/// Replicas do not share it: behind a load balancer use a shared store
/// (Redis, with the `redis` feature).
pub struct MemoryStore {
    state: Mutex<State>,
    capacity: usize,
    when_full: WhenFull,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct State {
    /// Key → expiry, milliseconds since the epoch.
    records: HashMap<Key, u64>,
    /// (expiry, key) in insertion order: nearly expiry order, since TTLs are
    /// mostly equal; stale slots (removed or refreshed keys) are skipped.
    queue: VecDeque<(u64, Key)>,
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

/// The default capacity: 100,000 records.
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

    fn insert_sync(&self, key: &ReplayKey, ttl: Duration) -> Result<Inserted, StoreError> {
        let now = self.now_ms();
        let key = key.to_bytes();
        let mut state = self.lock();
        state.evict_expired(now);
        if state.records.get(&key).is_some_and(|&expiry| expiry > now) {
            return Ok(Inserted::Seen);
        }
        if state.records.len() >= self.capacity && !state.records.contains_key(&key) {
            state.records.retain(|_, expiry| *expiry > now);
            if state.records.len() >= self.capacity {
                match self.when_full {
                    WhenFull::Reject => return Err(StoreError::Full),
                    WhenFull::EvictOldest => state.evict_oldest(),
                }
            }
        }
        state.put(key, now.saturating_add(ms(ttl)));
        Ok(Inserted::Fresh)
    }

    fn refresh_sync(&self, key: &ReplayKey, ttl: Duration) {
        let now = self.now_ms();
        self.lock().put(key.to_bytes(), now.saturating_add(ms(ttl)));
    }

    fn remove_sync(&self, key: &ReplayKey) {
        self.lock().records.remove(&key.to_bytes());
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl State {
    fn put(&mut self, key: Key, expiry: u64) {
        self.records.insert(key, expiry);
        self.queue.push_back((expiry, key));
        // Keep the queue bounded by the live records (stale slots pile up
        // behind long-lived ones otherwise).
        if self.queue.len() > 2 * self.records.len() + 64 {
            let records = &self.records;
            self.queue
                .retain(|(expiry, key)| records.get(key) == Some(expiry));
        }
    }

    /// Drops expired and stale slots from the front of the queue, and the
    /// expired records they point to.
    fn evict_expired(&mut self, now: u64) {
        while let Some(&(expiry, key)) = self.queue.front() {
            let current = self.records.get(&key).copied();
            if current != Some(expiry) {
                self.queue.pop_front(); // stale: removed or refreshed since
            } else if expiry <= now {
                self.queue.pop_front();
                self.records.remove(&key);
            } else {
                break;
            }
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((expiry, key)) = self.queue.pop_front() {
            if self.records.get(&key) == Some(&expiry) {
                self.records.remove(&key);
                return;
            }
        }
        // The queue lost track (it cannot, but never loop forever): drop any.
        if let Some(key) = self.records.keys().next().copied() {
            self.records.remove(&key);
        }
    }
}

impl ReplayStore for MemoryStore {
    fn insert_if_absent<'a>(
        &'a self,
        key: &'a ReplayKey,
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted> {
        let result = self.insert_sync(key, ttl);
        Box::pin(std::future::ready(result))
    }

    fn refresh<'a>(&'a self, key: &'a ReplayKey, ttl: Duration) -> StoreFuture<'a, ()> {
        self.refresh_sync(key, ttl);
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove<'a>(&'a self, key: &'a ReplayKey) -> StoreFuture<'a, ()> {
        self.remove_sync(key);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::SystemTime;

    use super::*;
    use crate::SchemeKind;

    fn key(n: u8) -> ReplayKey {
        ReplayKey {
            scheme: SchemeKind::Mittr,
            digest: [n; DIGEST_LEN],
        }
    }

    fn fake_clock() -> (Arc<AtomicU64>, impl Clock) {
        let now = Arc::new(AtomicU64::new(1_000_000));
        let reader = now.clone();
        (now, move || {
            UNIX_EPOCH + Duration::from_millis(reader.load(Ordering::SeqCst))
        })
    }

    fn insert(store: &MemoryStore, k: u8, ttl_secs: u64) -> Result<Inserted, StoreError> {
        store.insert_sync(&key(k), Duration::from_secs(ttl_secs))
    }

    #[test]
    fn second_insert_is_seen_until_the_ttl_expires() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).clock(clock);
        assert_eq!(insert(&store, 1, 600), Ok(Inserted::Fresh));
        assert_eq!(insert(&store, 1, 600), Ok(Inserted::Seen));
        now.fetch_add(599_999, Ordering::SeqCst);
        assert_eq!(insert(&store, 1, 600), Ok(Inserted::Seen));
        now.fetch_add(1, Ordering::SeqCst);
        assert_eq!(insert(&store, 1, 600), Ok(Inserted::Fresh));
    }

    #[test]
    fn expired_records_are_evicted() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(100).clock(clock);
        for k in 0..50 {
            insert(&store, k, 10).unwrap();
        }
        assert_eq!(store.len(), 50);
        now.fetch_add(10_001, Ordering::SeqCst);
        insert(&store, 200, 10).unwrap();
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_full_store_rejects_and_never_forgets_unexpired_records() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(3).clock(clock);
        for k in 0..3 {
            assert_eq!(insert(&store, k, 60), Ok(Inserted::Fresh));
        }
        assert_eq!(insert(&store, 9, 60), Err(StoreError::Full));
        for k in 0..3 {
            assert_eq!(
                insert(&store, k, 60),
                Ok(Inserted::Seen),
                "record {k} was forgotten"
            );
        }
        // Once they expire, there is room again.
        now.fetch_add(60_001, Ordering::SeqCst);
        assert_eq!(insert(&store, 9, 60), Ok(Inserted::Fresh));
    }

    #[test]
    fn evict_oldest_is_an_explicit_choice() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(2)
            .clock(clock)
            .when_full(WhenFull::EvictOldest);
        insert(&store, 1, 60).unwrap();
        now.fetch_add(1, Ordering::SeqCst);
        insert(&store, 2, 60).unwrap();
        assert_eq!(insert(&store, 3, 60), Ok(Inserted::Fresh));
        assert_eq!(store.len(), 2);
        assert_eq!(insert(&store, 2, 60), Ok(Inserted::Seen));
        assert_eq!(insert(&store, 3, 60), Ok(Inserted::Seen));
    }

    #[test]
    fn released_keys_can_be_inserted_again_and_refresh_extends() {
        let (now, clock) = fake_clock();
        let store = MemoryStore::new(10).clock(clock);
        insert(&store, 1, 5).unwrap();
        store.remove_sync(&key(1));
        assert_eq!(insert(&store, 1, 5), Ok(Inserted::Fresh));
        store.refresh_sync(&key(1), Duration::from_secs(600));
        now.fetch_add(10_000, Ordering::SeqCst);
        assert_eq!(insert(&store, 1, 5), Ok(Inserted::Seen));
    }

    #[test]
    fn concurrent_inserts_of_one_key_are_fresh_exactly_once() {
        let store = Arc::new(MemoryStore::new(1000));
        let fresh = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (store, fresh) = (store.clone(), fresh.clone());
                std::thread::spawn(move || {
                    for k in 0..100u8 {
                        if insert(&store, k, 60) == Ok(Inserted::Fresh) {
                            fresh.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(fresh.load(Ordering::SeqCst), 100);
    }

    #[test]
    fn keys_print_abbreviated_and_store_in_full() {
        let k = key(0xab);
        assert_eq!(k.to_string(), "mittr:abababab…");
        assert_eq!(format!("{k:?}"), "ReplayKey(mittr:abababab…)");
        assert_eq!(k.storage_name(), format!("mittr:{}", "ab".repeat(32)));
    }

    #[test]
    fn the_queue_stays_bounded_under_churn() {
        let store = MemoryStore::new(10);
        for round in 0..10_000u32 {
            let k = (round % 5) as u8;
            insert(&store, k, 60).ok();
            store.refresh_sync(&key(k), Duration::from_secs(60));
            store.remove_sync(&key(k));
        }
        assert!(store.lock().queue.len() <= 2 * 10 + 64 + 1);
        let _ = SystemTime::now();
    }
}
