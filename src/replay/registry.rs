//! The leases held in this process through one [`ReplayProtection`] and its
//! clones — every verifier it was given to, so possibly several namespaces:
//! for a shutdown that releases them, and the
//! `hookwarden_leases_held` gauge. A slab: a lease keeps its
//! slot's number, so taking and freeing a slot is O(1) under one short lock.
//!
//! [`ReplayProtection`]: super::ReplayProtection

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{LeaseId, ReplayKey};

#[derive(Default)]
pub(super) struct Registry {
    slab: Mutex<Slab>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Option<(LeaseId, ReplayKey)>>,
    free: Vec<usize>,
    held: usize,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Slab> {
        self.slab.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records lease `id` of `key`; its slot's number is what frees it.
    pub(super) fn insert(&self, id: LeaseId, key: ReplayKey) -> usize {
        let mut slab = self.lock();
        slab.held += 1;
        let slot = match slab.free.pop() {
            Some(slot) => slot,
            None => {
                slab.slots.push(None);
                slab.slots.len() - 1
            }
        };
        slab.slots[slot] = Some((id, key));
        drop(slab);
        crate::metrics::lease_taken();
        slot
    }

    /// Forgets lease `id` from `slot`, unless a shutdown released it already.
    pub(super) fn remove(&self, slot: usize, id: LeaseId) {
        let mut slab = self.lock();
        let entry = slab.slots.get_mut(slot);
        let Some(entry) = entry.filter(|e| e.as_ref().is_some_and(|(held, _)| *held == id)) else {
            return;
        };
        *entry = None;
        slab.free.push(slot);
        slab.held -= 1;
        drop(slab);
        crate::metrics::lease_settled();
    }

    pub(super) fn len(&self) -> usize {
        self.lock().held
    }

    /// Every lease still held, forgotten here.
    pub(super) fn drain(&self) -> Vec<(LeaseId, ReplayKey)> {
        let mut slab = self.lock();
        let drained: Vec<_> = slab.slots.iter_mut().filter_map(Option::take).collect();
        let count = slab.slots.len();
        slab.free = (0..count).collect();
        slab.held = 0;
        drop(slab);
        for _ in &drained {
            crate::metrics::lease_settled();
        }
        drained
    }
}
