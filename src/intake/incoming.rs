//! [`Incoming`]: a request as an adapter hands it to the intake.

use std::net::IpAddr;

use super::Route;

/// A request as an adapter hands it to the intake
/// ([`Verifier::admit_incoming`](crate::Verifier::admit_incoming)): its
/// headers and route, and what the adapter knows of its connection.
#[derive(Debug)]
pub struct Incoming<'a, H: ?Sized> {
    pub(super) headers: &'a H,
    pub(super) route: Route,
    pub(super) peer: Option<IpAddr>,
    pub(super) outer_limit: Option<u64>,
}

impl<'a, H: ?Sized> Incoming<'a, H> {
    /// A request with `headers` on `route`, from an unknown peer, without an
    /// outer body limit.
    pub fn new(headers: &'a H, route: impl Into<Route>) -> Self {
        Incoming {
            headers,
            route: route.into(),
            peer: None,
            outer_limit: None,
        }
    }

    /// The address of the connection's other end, as the socket sees it
    /// (the intake resolves the sender from it, see
    /// [`PeerFrom`](super::PeerFrom)). Without it, the delivery is held to
    /// the budget alone, not to a sender's share.
    pub fn peer(mut self, addr: Option<IpAddr>) -> Self {
        self.peer = addr;
        self
    }

    /// A framework's own body limit (such as axum's `DefaultBodyLimit`):
    /// the smaller of it and the verifier's wins.
    pub fn outer_limit(mut self, limit: Option<u64>) -> Self {
        self.outer_limit = limit;
        self
    }
}
