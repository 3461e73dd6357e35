//! The intake: one pipeline that every adapter drives, so that limits, the
//! read deadline, the budget of unverified bytes, replay handling, the
//! `tracing` event and the metrics each exist once.
//!
//! ```text
//! headers ──► Verifier::admit: encoding, headers present, well-formed, fresh;
//!             Content-Length vs the body limit (413), the budget and the
//!             sender's share of it (503)
//!         ──► Admission::receive: each chunk charged to the budget, held to the
//!             limit, hashed, kept; the whole body within the read deadline and
//!             at the minimum data rate (408)
//!         ──► verdict (401) ──► replay claim: a Lease, or 409 replayed / in_flight
//!         ──► the handler, with the exact bytes verified ──► Lease::settle:
//!             commit on success, release otherwise (and when dropped unsettled)
//! ```
//!
//! The tower layer, the axum extractor, the actix-web extractor and the
//! actix-web middleware only move their framework's headers and body in
//! (a [`BodySource`]) and map the outcome to their framework's types. A
//! framework hookwarden does not ship an adapter for is served the same way:
//!
//! ```
//! use bytes::Bytes;
//! use hookwarden::intake::{BodyError, BodySource};
//! use hookwarden::{Scheme, Signer, Verifier};
//! use std::pin::Pin;
//! use std::task::{Context, Poll};
//!
//! /// A body already in memory, in one chunk.
//! struct InMemory(Option<Bytes>);
//!
//! impl BodySource for InMemory {
//!     fn poll_chunk(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
//!         Poll::Ready(self.get_mut().0.take().map(Ok))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder(Scheme::mittr()).secret("s3cret").build()?;
//! let body = Bytes::from_static(b"{}");
//! let headers = Signer::new(Scheme::mittr(), "s3cret")?.sign_now(&body).to_header_map();
//!
//! let admission = verifier.admit(&headers, "/webhooks/mittr")?; // 400, 401, 413, 415, 503
//! // Read, verify, claim (401, 408, 409, 413, 503), then call the handler
//! // under the delivery's lease, kept renewed, and settle the lease by its
//! // answer: a 2xx response commits it, anything else releases it.
//! let answer = admission
//!     .handle(InMemory(Some(body)), |body: Bytes, _delivery| async move {
//!         // ... process exactly the verified `body` ...
//!         http::Response::new(body.len())
//!     })
//!     .await?;
//! assert_eq!(answer.status(), 200);
//! # Ok(()) }
//! ```
//!
//! [`Admission::handle`] is what the tower layer and the actix-web middleware
//! run; [`Outcome`] says what "processed" means for an answer. A standalone
//! extractor cannot see its handler's answer: it stops at
//! [`Admission::receive`] and hands the lease to the handler, to commit
//! explicitly (the extractor's [`Ack`](crate::extract::Ack)).
//!
#![doc = include_str!("../../docs/intake.md")]

mod admit;
mod budget;
mod buffer;
mod event;
mod event_match;
mod handle;
mod incoming;
mod metered;
mod pace;
mod peer;
mod reading;
mod receive;
mod slots;
mod unverified;
mod warnings;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

pub use admit::Admission;
pub use budget::{Budget, PeerShare, DEFAULT_BUDGET, DEFAULT_PEER_SHARE};
#[cfg(all(feature = "tracing", feature = "actix"))]
pub(crate) use event::LOGGED_ROUTE_CHARS;
pub use handle::{Handle, Handler, Outcome};
pub use incoming::Incoming;
pub use pace::{MinDataRate, DEFAULT_MIN_DATA_RATE};
pub use peer::{IpRange, IpRangeError, Peer, PeerFrom};
pub use receive::Receive;
pub use slots::{PeerSlot, PeerSlots};
pub use unverified::ReadUnverified;
pub use warnings::WARNINGS_PER_SECOND;

use crate::replay::Lease;
use crate::time::{Timer, TokioTimer};
use crate::VerifiedDelivery;

/// The default read deadline: 30 seconds from the headers' acceptance to
/// the body's last byte.
pub const DEFAULT_READ_DEADLINE: Duration = Duration::from_secs(30);

/// A verifier's intake settings; see [`VerifierBuilder::read_deadline`],
/// [`VerifierBuilder::min_data_rate`], [`VerifierBuilder::unverified_budget`],
/// [`VerifierBuilder::peer_from`] and [`VerifierBuilder::timer`].
///
/// [`VerifierBuilder::read_deadline`]: crate::VerifierBuilder::read_deadline
/// [`VerifierBuilder::min_data_rate`]: crate::VerifierBuilder::min_data_rate
/// [`VerifierBuilder::peer_from`]: crate::VerifierBuilder::peer_from
/// [`VerifierBuilder::unverified_budget`]: crate::VerifierBuilder::unverified_budget
/// [`VerifierBuilder::timer`]: crate::VerifierBuilder::timer
#[derive(Clone)]
pub struct IntakeSettings {
    pub(crate) read_deadline: Duration,
    pub(crate) min_rate: Option<MinDataRate>,
    pub(crate) budget: Budget,
    pub(crate) peer_from: PeerFrom,
    pub(crate) timer: Arc<dyn Timer>,
    pub(crate) require_event_match: bool,
    /// This verifier's rejection warnings this second.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) warnings: Arc<warnings::Warnings>,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            read_deadline: DEFAULT_READ_DEADLINE,
            min_rate: Some(DEFAULT_MIN_DATA_RATE),
            budget: Budget::global().clone(),
            peer_from: PeerFrom::Socket,
            timer: Arc::new(TokioTimer),
            require_event_match: false,
            warnings: Arc::default(),
        }
    }
}

impl fmt::Debug for IntakeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntakeSettings")
            .field("read_deadline", &self.read_deadline)
            .field("min_rate", &self.min_rate)
            .field("budget", &self.budget)
            .field("peer_from", &self.peer_from)
            .field("require_event_match", &self.require_event_match)
            .finish_non_exhaustive()
    }
}

impl IntakeSettings {
    /// The read deadline.
    pub fn read_deadline(&self) -> Duration {
        self.read_deadline
    }

    /// The minimum data rate; `None` when bodies are held to the read
    /// deadline alone.
    pub fn min_data_rate(&self) -> Option<MinDataRate> {
        self.min_rate
    }

    /// The budget of unverified bytes.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Where a delivery's sender is read from.
    pub fn peer_from(&self) -> &PeerFrom {
        &self.peer_from
    }

    /// The timer.
    pub fn timer(&self) -> &Arc<dyn Timer> {
        &self.timer
    }

    /// Whether a delivery's unsigned event header must match its signed
    /// payload's `event` (see `VerifierBuilder::require_event_match`,
    /// feature `serde`).
    pub fn require_event_match(&self) -> bool {
        self.require_event_match
    }
}

/// The request's path, for the `tracing` event of a rejection: its first
/// 128 characters, printable ASCII only (the query string is never
/// logged).
#[derive(Debug, Clone)]
pub struct Route(RouteText);

#[derive(Debug, Clone)]
enum RouteText {
    Uri(http::Uri),
    Text(Box<str>),
}

impl Route {
    /// The path.
    pub fn path(&self) -> &str {
        match &self.0 {
            RouteText::Uri(uri) => uri.path(),
            RouteText::Text(text) => text,
        }
    }
}

impl From<&str> for Route {
    fn from(path: &str) -> Self {
        Route(RouteText::Text(path.into()))
    }
}

impl From<&http::Uri> for Route {
    fn from(uri: &http::Uri) -> Self {
        Route(RouteText::Uri(uri.clone()))
    }
}

/// Why a body stream failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// A framework's own length limit was crossed (answered 413).
    #[error("the body is larger than the framework's limit")]
    TooLarge,
    /// The stream broke: the client went away, the transport failed
    /// (answered 400 `body_unreadable`, with this error as its source).
    #[error("the body stream failed: {0}")]
    Unreadable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A request body as the intake reads it: chunks of bytes, in order.
/// Adapters implement it for their framework's body type.
pub trait BodySource {
    /// The next chunk; `None` at the end of the body.
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, BodyError>>>;
}

/// The intake's second stage, a delivery received: its body read and
/// verified, its replay key claimed (the first stage is the
/// [`Admission`] of its headers). Its exact bytes, what verified, and its
/// replay lease (with replay protection on; `None` when off, or when the
/// store was down and failing open).
#[derive(Debug)]
#[non_exhaustive]
pub struct Received {
    /// The body, exactly as received and verified.
    pub body: Bytes,
    /// What the verification proved.
    pub delivery: VerifiedDelivery,
    /// The delivery's lease on its replay key: settle it by the handler's
    /// outcome ([`Lease::settle`]); dropped, it is released.
    pub lease: Option<Lease>,
}
