//! The leases held in this process: for a shutdown that releases them, and
//! the `hookguard_reservations_in_flight` gauge.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{LeaseId, ReplayKey};

#[derive(Default)]
pub(super) struct Registry {
    held: Mutex<HashMap<LeaseId, ReplayKey>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<LeaseId, ReplayKey>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn insert(&self, id: LeaseId, key: ReplayKey) {
        self.lock().insert(id, key);
        crate::metrics::lease_taken();
    }

    pub(super) fn remove(&self, id: LeaseId) {
        if self.lock().remove(&id).is_some() {
            crate::metrics::lease_settled();
        }
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(super) fn drain(&self) -> Vec<(LeaseId, ReplayKey)> {
        let drained: Vec<_> = self.lock().drain().collect();
        for _ in &drained {
            crate::metrics::lease_settled();
        }
        drained
    }
}
