//! The process-wide budget of unverified body bytes: what every delivery
//! being read holds before its signature is checked, charged as its bytes
//! arrive and refunded when it is verified, refused or dropped.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The default budget: 64 MiB of unverified body bytes.
pub const DEFAULT_BUDGET: u64 = 64 * 1024 * 1024;

/// A budget of unverified body bytes, shared by the verifiers that use it.
///
/// A delivery whose `Content-Length` exceeds what is left, or whose bytes
/// would cross the budget while arriving, gets 503 `overloaded` with
/// `Retry-After`, and its bytes are freed. So stalled or slow senders
/// (forged or not) can hold at most the budget, and a valid delivery that
/// arrives meanwhile gets a fast retryable answer instead of a hang; the
/// read deadline frees the budget they hold.
///
/// Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

struct Inner {
    limit: AtomicU64,
    used: AtomicU64,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .finish()
    }
}

impl Budget {
    /// A budget of `limit` bytes, separate from the process-wide one.
    pub fn new(limit: u64) -> Self {
        Budget {
            inner: Arc::new(Inner {
                limit: AtomicU64::new(limit),
                used: AtomicU64::new(0),
            }),
        }
    }

    /// The process-wide budget, [`DEFAULT_BUDGET`] unless changed with
    /// [`set_limit`](Self::set_limit): every verifier uses it unless given
    /// another with [`VerifierBuilder::unverified_budget`](crate::VerifierBuilder::unverified_budget).
    pub fn global() -> &'static Budget {
        static GLOBAL: OnceLock<Budget> = OnceLock::new();
        GLOBAL.get_or_init(|| Budget::new(DEFAULT_BUDGET))
    }

    /// Changes the limit; bytes already held stay charged.
    pub fn set_limit(&self, limit: u64) {
        self.inner.limit.store(limit, Ordering::Relaxed);
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> u64 {
        self.inner.limit.load(Ordering::Relaxed)
    }

    /// Unverified bytes held right now.
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Relaxed)
    }

    /// Bytes that can still be charged.
    pub fn available(&self) -> u64 {
        self.limit().saturating_sub(self.used())
    }

    /// Takes `bytes` from the budget, or nothing if that would cross it.
    fn try_take(&self, bytes: u64) -> bool {
        let limit = self.limit();
        self.inner
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: u64) {
        self.inner.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// What one delivery holds of a budget; refunded on drop.
pub(crate) struct Charge {
    budget: Budget,
    held: u64,
}

impl Charge {
    pub(crate) fn new(budget: &Budget) -> Self {
        Charge {
            budget: budget.clone(),
            held: 0,
        }
    }

    /// Charges `bytes` more; `false` (nothing charged) when that would
    /// cross the budget.
    pub(crate) fn add(&mut self, bytes: u64) -> bool {
        if bytes == 0 {
            return true;
        }
        if !self.budget.try_take(bytes) {
            return false;
        }
        self.held += bytes;
        crate::metrics::unverified_bytes(bytes as f64);
        true
    }

    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if self.held > 0 {
            self.budget.give_back(self.held);
            crate::metrics::unverified_bytes(-(self.held as f64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit_and_refunds_on_drop() {
        let budget = Budget::new(100);
        let mut a = Charge::new(&budget);
        assert!(a.add(60));
        let mut b = Charge::new(&budget);
        assert!(!b.add(41), "would cross the budget");
        assert_eq!(budget.used(), 60);
        assert!(b.add(40));
        assert_eq!(budget.available(), 0);
        drop(a);
        assert_eq!(budget.used(), 40);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn concurrent_charges_never_cross_the_budget() {
        let budget = Budget::new(1000);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    for _ in 0..1000 {
                        let mut c = Charge::new(&budget);
                        if c.add(7) {
                            assert!(budget.used() <= 1000);
                            held.push(c);
                        }
                        if held.len() > 20 {
                            held.clear();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(budget.used(), 0);
    }
}
