//! The process-wide budget of unverified body bytes: what every delivery
//! being read holds before its signature is checked, charged as its bytes
//! arrive and refunded when it is verified, refused or dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::peer::Peer;
use crate::Error;

/// The default budget: 64 MiB of unverified body bytes.
pub const DEFAULT_BUDGET: u64 = 64 * 1024 * 1024;

/// The default share of one peer: a quarter of [`DEFAULT_BUDGET`] (16 MiB)
/// and 64 deliveries being read at once.
pub const DEFAULT_PEER_SHARE: PeerShare = PeerShare {
    bytes: DEFAULT_BUDGET / 4,
    deliveries: 64,
};

/// What one [`Peer`] may hold of a [`Budget`] at once: unverified bytes, and
/// deliveries admitted whose bodies are still being read (the slots of
/// senders that send headers, then stall). Past either, that peer's next
/// delivery gets 503 `overloaded` with `Retry-After` while other peers'
/// deliveries are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerShare {
    bytes: u64,
    deliveries: u32,
}

impl PeerShare {
    /// A share of `bytes` unverified bytes and `deliveries` deliveries.
    pub const fn new(bytes: u64, deliveries: u32) -> Self {
        PeerShare { bytes, deliveries }
    }

    /// The bytes one peer may hold.
    pub const fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The deliveries one peer may have being read.
    pub const fn deliveries(&self) -> u32 {
        self.deliveries
    }
}

/// A budget of unverified body bytes, shared by the verifiers that use it.
///
/// A delivery whose `Content-Length` exceeds what is left, or whose bytes
/// would cross the budget while arriving, gets 503 `overloaded` with
/// `Retry-After`, and its bytes are freed. So stalled or slow senders
/// (forged or not) can hold at most the budget, and a valid delivery that
/// arrives meanwhile gets a fast retryable answer instead of a hang; the
/// read deadline and the minimum data rate free the budget they hold.
///
/// No single sender takes it all: each [`Peer`] (the address the adapter
/// reports; see [`PeerFrom`](super::PeerFrom)) holds at most its
/// [`PeerShare`], by default [`DEFAULT_PEER_SHARE`] (a quarter of the
/// budget and 64 deliveries being read), so a delivery from another peer is
/// read while one peer is at its share. A delivery whose adapter reports
/// no peer is held to the budget alone.
///
/// Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

struct Inner {
    limit: AtomicU64,
    used: AtomicU64,
    /// The share's bytes and deliveries; `u32::MAX` deliveries: no share.
    share_bytes: AtomicU64,
    share_deliveries: AtomicU32,
    peers: Mutex<HashMap<Peer, Held>>,
}

/// What one peer holds.
#[derive(Default)]
struct Held {
    bytes: u64,
    deliveries: u32,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .field("peer_share", &self.peer_share())
            .finish()
    }
}

impl Budget {
    /// A budget of `limit` bytes, separate from the process-wide one, with a
    /// peer share of a quarter of `limit` and
    /// [`DEFAULT_PEER_SHARE`]'s 64 deliveries.
    pub fn new(limit: u64) -> Self {
        let share = PeerShare::new(limit / 4, DEFAULT_PEER_SHARE.deliveries);
        Budget {
            inner: Arc::new(Inner {
                limit: AtomicU64::new(limit),
                used: AtomicU64::new(0),
                share_bytes: AtomicU64::new(share.bytes),
                share_deliveries: AtomicU32::new(share.deliveries),
                peers: Mutex::default(),
            }),
        }
    }

    /// The process-wide budget, [`DEFAULT_BUDGET`] and
    /// [`DEFAULT_PEER_SHARE`] unless changed with
    /// [`set_limit`](Self::set_limit) and
    /// [`set_peer_share`](Self::set_peer_share): every verifier uses it
    /// unless given another with
    /// [`VerifierBuilder::unverified_budget`](crate::VerifierBuilder::unverified_budget).
    pub fn global() -> &'static Budget {
        static GLOBAL: OnceLock<Budget> = OnceLock::new();
        GLOBAL.get_or_init(|| Budget::new(DEFAULT_BUDGET))
    }

    /// Changes the limit; bytes already held stay charged. The peer share
    /// is not changed.
    pub fn set_limit(&self, limit: u64) {
        self.inner.limit.store(limit, Ordering::Relaxed);
    }

    /// Changes what one peer may hold; `None`: no share, each peer is held
    /// to the budget alone. What peers hold already stays charged.
    pub fn set_peer_share(&self, share: Option<PeerShare>) {
        let share = share.unwrap_or(PeerShare::new(u64::MAX, u32::MAX));
        self.inner.share_bytes.store(share.bytes, Ordering::Relaxed);
        self.inner
            .share_deliveries
            .store(share.deliveries, Ordering::Relaxed);
    }

    /// What one peer may hold; `None` when peers are held to the budget
    /// alone.
    pub fn peer_share(&self) -> Option<PeerShare> {
        let deliveries = self.inner.share_deliveries.load(Ordering::Relaxed);
        let bytes = self.inner.share_bytes.load(Ordering::Relaxed);
        (deliveries != u32::MAX || bytes != u64::MAX).then_some(PeerShare { bytes, deliveries })
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

    /// The peers holding a part of the budget right now.
    pub fn peers(&self) -> usize {
        self.lock_peers().len()
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

    fn lock_peers(&self) -> std::sync::MutexGuard<'_, HashMap<Peer, Held>> {
        self.inner.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn overloaded(&self) -> Error {
        Error::Overloaded {
            budget: self.limit(),
        }
    }

    fn peer_overloaded(share: PeerShare) -> Error {
        Error::PeerOverloaded {
            bytes: share.bytes,
            deliveries: share.deliveries,
        }
    }
}

/// What one delivery holds of a budget (and of its peer's share); given
/// back on drop.
pub(crate) struct Charge {
    budget: Budget,
    held: u64,
    /// The peer whose share this delivery counts in.
    peer: Option<Peer>,
}

impl Charge {
    /// Admits a delivery of `peer` declaring `declared` bytes: refused when
    /// the budget cannot take them, or the peer holds its share.
    pub(crate) fn admit(
        budget: &Budget,
        peer: Option<Peer>,
        declared: Option<u64>,
    ) -> Result<Self, Error> {
        let declared = declared.unwrap_or(0);
        if declared > budget.available() {
            return Err(budget.overloaded());
        }
        let peer = peer.filter(|_| budget.peer_share().is_some());
        if let (Some(peer), Some(share)) = (peer, budget.peer_share()) {
            let mut peers = budget.lock_peers();
            let held = peers.entry(peer).or_default();
            if held.deliveries >= share.deliveries
                || declared > share.bytes.saturating_sub(held.bytes)
            {
                if held.deliveries == 0 {
                    peers.remove(&peer);
                }
                return Err(Budget::peer_overloaded(share));
            }
            held.deliveries += 1;
        }
        Ok(Charge {
            budget: budget.clone(),
            held: 0,
            peer,
        })
    }

    /// Charges `bytes` more; refused (nothing charged) when that would
    /// cross the budget or the peer's share.
    pub(crate) fn add(&mut self, bytes: u64) -> Result<(), Error> {
        if bytes == 0 {
            return Ok(());
        }
        if !self.budget.try_take(bytes) {
            return Err(self.budget.overloaded());
        }
        if let Some(peer) = self.peer {
            let share = self.budget.peer_share();
            let mut peers = self.budget.lock_peers();
            let held = peers.entry(peer).or_default();
            if let Some(share) = share.filter(|s| held.bytes.saturating_add(bytes) > s.bytes) {
                drop(peers);
                self.budget.give_back(bytes);
                return Err(Budget::peer_overloaded(share));
            }
            held.bytes += bytes;
        }
        self.held += bytes;
        crate::metrics::unverified_bytes(bytes as f64);
        Ok(())
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if let Some(peer) = self.peer {
            let mut peers = self.budget.lock_peers();
            if let Some(held) = peers.get_mut(&peer) {
                held.bytes = held.bytes.saturating_sub(self.held);
                held.deliveries = held.deliveries.saturating_sub(1);
                if held.deliveries == 0 && held.bytes == 0 {
                    peers.remove(&peer);
                }
            }
        }
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
        let mut a = Charge::admit(&budget, None, None).unwrap();
        assert!(a.add(60).is_ok());
        let mut b = Charge::admit(&budget, None, None).unwrap();
        assert!(b.add(41).is_err(), "would cross the budget");
        assert_eq!(budget.used(), 60);
        assert!(b.add(40).is_ok());
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
                        let mut c = Charge::admit(&budget, None, None).unwrap();
                        if c.add(7).is_ok() {
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

    fn peer(last: u8) -> Option<Peer> {
        Some(Peer::new(std::net::IpAddr::from([127, 0, 0, last])))
    }

    #[test]
    fn one_peer_holds_at_most_its_share_and_others_go_on() {
        let budget = Budget::new(1000);
        budget.set_peer_share(Some(PeerShare::new(300, 2)));
        let mut a = Charge::admit(&budget, peer(1), Some(200)).unwrap();
        assert!(a.add(200).is_ok());
        // Declared beyond what the peer has left: refused at admission.
        let refused = Charge::admit(&budget, peer(1), Some(101)).err().unwrap();
        assert_eq!(refused.code(), "overloaded");
        assert!(refused.to_string().contains("share"), "{refused}");
        // Within it, admitted, but bytes beyond the share are refused as they arrive.
        let mut b = Charge::admit(&budget, peer(1), None).unwrap();
        assert!(b.add(100).is_ok());
        assert!(b.add(1).is_err());
        assert_eq!(budget.used(), 300, "the refused byte was given back");
        // Two deliveries being read: the third is refused, whatever its size.
        assert!(Charge::admit(&budget, peer(1), Some(0)).is_err());
        // Another peer is served meanwhile.
        let mut c = Charge::admit(&budget, peer(2), Some(300)).unwrap();
        assert!(c.add(300).is_ok());
        drop((a, b, c));
        assert_eq!((budget.used(), budget.peers()), (0, 0));
        // Without a share, one peer may take the whole budget.
        budget.set_peer_share(None);
        let mut d = Charge::admit(&budget, peer(1), Some(1000)).unwrap();
        assert!(d.add(1000).is_ok());
        drop(d);
        assert_eq!((budget.used(), budget.peers()), (0, 0));
    }
}
