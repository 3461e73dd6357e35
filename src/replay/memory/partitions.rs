//! The partitions of a [`MemoryStore`](super::MemoryStore)'s records: one
//! per tenant holding records (by [`ReplayKey::partition`](crate::replay::ReplayKey::partition)),
//! and one for the keys without a tenant. Each counts its records and
//! queues its processed ones oldest first; the tenants' are also listed by
//! how many records they hold, so that the largest is found in O(1).

use std::collections::{HashMap, VecDeque};

use super::super::hasher::MixState;
use super::Key;

/// A partition's index in [`Partitions`].
pub(super) type Part = u32;

/// The partition of keys without a tenant: always there, never limited by
/// the tenant share, never listed by size.
pub(super) const UNTENANTED: Part = 0;

/// No partition (the end of a list).
const NIL: Part = Part::MAX;

/// Bits of a partition's index in a record: 16,777,216 partitions at most.
pub(super) const PART_BITS: u32 = 24;

pub(super) struct Partition {
    /// The partition number ([`ReplayKey::partition`](crate::replay::ReplayKey::partition)).
    id: u64,
    /// Whether a tenant's partition is in use (its slot is not free).
    in_use: bool,
    /// Records held in it, leases included.
    pub(super) len: usize,
    /// (expiry, key) of its processed records, in insertion order: nearly
    /// expiry order, its front the oldest; stale slots (removed, refreshed
    /// or moved keys) are skipped.
    pub(super) done: VecDeque<(u64, Key)>,
    /// Its neighbours among the tenants' partitions holding `len` records.
    prev: Part,
    next: Part,
}

impl Partition {
    fn new(id: u64) -> Self {
        Partition {
            id,
            in_use: true,
            len: 0,
            done: VecDeque::new(),
            prev: NIL,
            next: NIL,
        }
    }
}

pub(super) struct Partitions {
    parts: Vec<Partition>,
    /// Partition number → index, for the tenants' partitions in use.
    index: HashMap<u64, Part, MixState>,
    /// Indexes of free slots, to reuse.
    free: Vec<Part>,
    /// `by_len[n]`: the first of the tenants' partitions holding `n`
    /// records (n ≥ 1), each linked to the next by `next`.
    by_len: Vec<Part>,
    /// How many records the largest tenant's partition holds (0: none).
    largest: usize,
    /// The partition whose expired records the next claim also evicts, in
    /// turn: records of a tenant gone quiet do not wait for a sweep.
    cursor: Part,
}

impl Default for Partitions {
    fn default() -> Self {
        Partitions {
            parts: vec![Partition::new(0)],
            index: HashMap::default(),
            free: Vec::new(),
            by_len: Vec::new(),
            largest: 0,
            cursor: UNTENANTED,
        }
    }
}

impl std::ops::Index<Part> for Partitions {
    type Output = Partition;

    fn index(&self, part: Part) -> &Partition {
        &self.parts[part as usize]
    }
}

impl std::ops::IndexMut<Part> for Partitions {
    fn index_mut(&mut self, part: Part) -> &mut Partition {
        &mut self.parts[part as usize]
    }
}

impl Partitions {
    /// The partition of keys numbered `id` (`None`: without a tenant), if
    /// it holds records.
    pub(super) fn find(&self, id: Option<u64>) -> Option<Part> {
        match id {
            None => Some(UNTENANTED),
            Some(id) => self.index.get(&id).copied(),
        }
    }

    /// The partition of keys numbered `id`, made if need be.
    pub(super) fn get_or_make(&mut self, id: Option<u64>) -> Part {
        let Some(id) = id else {
            return UNTENANTED;
        };
        if let Some(&part) = self.index.get(&id) {
            return part;
        }
        let part = match self.free.pop() {
            Some(part) => {
                self[part] = Partition::new(id);
                part
            }
            None => match Part::try_from(self.parts.len()) {
                Ok(part) if part < 1 << PART_BITS => {
                    self.parts.push(Partition::new(id));
                    part
                }
                // Sixteen million tenants holding records at once: the
                // rest count as keys without a tenant.
                _ => return UNTENANTED,
            },
        };
        self.index.insert(id, part);
        part
    }

    /// How many records the partition of keys numbered `id` holds.
    pub(super) fn len_of(&self, id: Option<u64>) -> usize {
        self.find(id).map_or(0, |part| self[part].len)
    }

    /// One more record in `part`.
    pub(super) fn grow(&mut self, part: Part) {
        let len = self[part].len.saturating_add(1);
        self.set_len(part, len);
    }

    /// One record fewer in `part`; a tenant's partition left empty is
    /// freed.
    pub(super) fn shrink(&mut self, part: Part) {
        let len = self[part].len.saturating_sub(1);
        self.set_len(part, len);
        if len == 0 && part != UNTENANTED {
            self.release(part);
        }
    }

    /// The partition holding the most records (ties: a tenant's), and
    /// whichever of the largest tenant's and the untenanted comes second.
    pub(super) fn largest(&self) -> (Part, Part) {
        let tenant = self.by_len.get(self.largest).copied().unwrap_or(NIL);
        if tenant == NIL {
            (UNTENANTED, UNTENANTED)
        } else if self.largest >= self[UNTENANTED].len {
            (tenant, UNTENANTED)
        } else {
            (UNTENANTED, tenant)
        }
    }

    /// The next partition in turn (see `cursor`).
    pub(super) fn next_in_turn(&mut self) -> Part {
        let next = self.cursor as usize + 1;
        self.cursor = if next < self.parts.len() {
            next as Part
        } else {
            UNTENANTED
        };
        self.cursor
    }

    /// Every partition's count set afresh (after a sweep, which counts
    /// without keeping the lists): the lists rebuilt, empty tenants' freed.
    pub(super) fn recount(&mut self, lens: impl FnOnce(&mut [Partition])) {
        lens(&mut self.parts);
        self.by_len.clear();
        self.largest = 0;
        for part in 1..self.parts.len() {
            let part = part as Part;
            if !self[part].in_use {
                continue;
            }
            let len = self[part].len;
            if len == 0 {
                self.release(part);
            } else {
                self.link(part, len);
                self.largest = self.largest.max(len);
            }
        }
    }

    /// The total of the stale slots allowed in `part`'s queue before it is
    /// compacted: twice its records, and a few.
    pub(super) fn queue_bound(&self, part: Part) -> usize {
        2 * self[part].len + 16
    }

    /// Every partition's queue of processed records (for tests).
    #[cfg(test)]
    pub(super) fn queues(&self) -> impl Iterator<Item = &VecDeque<(u64, Key)>> {
        self.parts.iter().map(|p| &p.done)
    }

    /// The tenants' partitions in use (for tests).
    #[cfg(test)]
    pub(super) fn tenants(&self) -> usize {
        self.index.len()
    }

    fn set_len(&mut self, part: Part, len: usize) {
        let old = std::mem::replace(&mut self[part].len, len);
        if part == UNTENANTED || old == len {
            return;
        }
        self.unlink(part, old);
        self.link(part, len);
        if len > self.largest {
            self.largest = len;
        } else {
            // Counts move by one: at most one step down.
            while self.largest > 0 && self.by_len[self.largest] == NIL {
                self.largest -= 1;
            }
        }
    }

    fn link(&mut self, part: Part, len: usize) {
        if len == 0 {
            return;
        }
        if self.by_len.len() <= len {
            self.by_len.resize(len + 1, NIL);
        }
        let head = self.by_len[len];
        self[part].prev = NIL;
        self[part].next = head;
        if head != NIL {
            self[head].prev = part;
        }
        self.by_len[len] = part;
    }

    fn unlink(&mut self, part: Part, len: usize) {
        if len == 0 {
            return;
        }
        let (prev, next) = (self[part].prev, self[part].next);
        if prev == NIL {
            self.by_len[len] = next;
        } else {
            self[prev].next = next;
        }
        if next != NIL {
            self[next].prev = prev;
        }
        self[part].prev = NIL;
        self[part].next = NIL;
    }

    /// Frees an empty tenant's partition (its queue holds stale slots only).
    fn release(&mut self, part: Part) {
        let id = self[part].id;
        self.index.remove(&id);
        self[part].in_use = false;
        self[part].done = VecDeque::new();
        self.free.push(part);
    }
}
