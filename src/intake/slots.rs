//! [`PeerSlots`]: connections per peer, for a server's accept loop.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::peer::Peer;

/// How many connections each [`Peer`] may hold open at once: what a
/// server's accept loop consults before serving a connection, so that a
/// sender holding stalled connections (in their headers, where no request
/// exists yet for the intake to cut) takes its share of the server's
/// connections, not all of them. The example receivers
/// (`examples/shared/serve.rs`) and the CLI's `listen` close a connection
/// past its peer's share as soon as it is accepted.
///
/// Cheap to clone (an `Arc`); a [`PeerSlot`] gives its slot back on drop.
#[derive(Clone)]
pub struct PeerSlots {
    inner: Arc<Inner>,
}

struct Inner {
    per_peer: usize,
    open: Mutex<HashMap<Peer, usize>>,
}

impl fmt::Debug for PeerSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerSlots")
            .field("per_peer", &self.inner.per_peer)
            .field("peers", &self.peers())
            .finish()
    }
}

impl PeerSlots {
    /// At most `per_peer` connections (at least 1) per peer.
    pub fn new(per_peer: usize) -> Self {
        PeerSlots {
            inner: Arc::new(Inner {
                per_peer: per_peer.max(1),
                open: Mutex::default(),
            }),
        }
    }

    /// A slot for a connection of `peer`; `None` when it holds its share.
    pub fn try_acquire(&self, peer: impl Into<Peer>) -> Option<PeerSlot> {
        let peer = peer.into();
        let mut open = self.lock();
        let count = open.entry(peer).or_default();
        if *count >= self.inner.per_peer {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            slots: self.clone(),
            peer,
        })
    }

    /// The connections `peer` holds.
    pub fn held(&self, peer: impl Into<Peer>) -> usize {
        self.lock().get(&peer.into()).copied().unwrap_or(0)
    }

    /// The peers holding a connection.
    pub fn peers(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Peer, usize>> {
        self.inner.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One connection's slot; given back on drop.
#[derive(Debug)]
pub struct PeerSlot {
    slots: PeerSlots,
    peer: Peer,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if let Some(count) = open.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn a_peer_holds_its_share_and_others_go_on() {
        let slots = PeerSlots::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let one = slots.try_acquire(a).unwrap();
        let two = slots.try_acquire(a).unwrap();
        assert!(slots.try_acquire(a).is_none());
        let other = slots.try_acquire(b).unwrap();
        assert_eq!((slots.held(a), slots.peers()), (2, 2));
        drop(one);
        let three = slots.try_acquire(a).unwrap();
        drop((two, three, other));
        assert_eq!(slots.peers(), 0);
    }
}
