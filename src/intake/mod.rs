//! The intake: one pipeline that every adapter drives, so that limits, the
//! read deadline, the budget of unverified bytes, replay handling, the
//! `tracing` event and the metrics each exist once.
//!
//! ```text
//! headers ──► Verifier::admit: encoding, headers present, well-formed, fresh;
//!             Content-Length vs the body limit (413) and the budget (503)
//!         ──► Admitted::receive: each chunk charged to the budget, held to the
//!             limit, hashed, kept; the whole body within the read deadline (408)
//!         ──► verdict (401) ──► replay claim: a Lease, or 409 replayed / in_flight
//!         ──► the handler, with the exact bytes verified ──► Lease::settle:
//!             commit on success, release otherwise (and when dropped unsettled)
//! ```
//!
//! The tower layer, the axum extractor, the actix-web extractor and the
//! actix-web middleware only move their framework's headers and body in
//! (a [`BodySource`]) and map the outcome to their framework's types. A
//! framework hookguard does not ship an adapter for is served the same way:
//!
//! ```
//! use bytes::Bytes;
//! use hookguard::intake::{BodyError, BodySource};
//! use hookguard::{Scheme, Signer, Verifier};
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
//! let admitted = verifier.admit(&headers, "/webhooks/mittr")?; // 400, 401, 413, 415, 503
//! let accepted = admitted.receive(InMemory(Some(body))).await?; // 401, 408, 409, 413, 503
//! let processed = true; // ... the handler runs with `accepted.body` ...
//! if let Some(lease) = accepted.lease {
//!     lease.settle(processed).await; // commit, or release for the retry
//! }
//! # Ok(()) }
//! ```

mod budget;
mod buffer;
mod event;
mod timer;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};

pub use budget::{Budget, DEFAULT_BUDGET};
pub(crate) use timer::first;
pub use timer::{ManualTimer, Sleep, Timer, TokioTimer};

use crate::error::shown;
use crate::replay::Lease;
use crate::{Error, Headers, PendingVerification, VerifiedDelivery, Verifier};
use budget::Charge;
use buffer::BodyBuffer;

/// The default read deadline: 30 seconds from the headers' acceptance to
/// the body's last byte.
pub const DEFAULT_READ_DEADLINE: Duration = Duration::from_secs(30);

/// A verifier's intake settings; see [`VerifierBuilder::read_deadline`],
/// [`VerifierBuilder::unverified_budget`] and [`VerifierBuilder::timer`].
///
/// [`VerifierBuilder::read_deadline`]: crate::VerifierBuilder::read_deadline
/// [`VerifierBuilder::unverified_budget`]: crate::VerifierBuilder::unverified_budget
/// [`VerifierBuilder::timer`]: crate::VerifierBuilder::timer
#[derive(Clone)]
pub struct IntakeSettings {
    pub(crate) read_deadline: Duration,
    pub(crate) budget: Budget,
    pub(crate) timer: Arc<dyn Timer>,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            read_deadline: DEFAULT_READ_DEADLINE,
            budget: Budget::global().clone(),
            timer: Arc::new(TokioTimer),
        }
    }
}

impl fmt::Debug for IntakeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntakeSettings")
            .field("read_deadline", &self.read_deadline)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl IntakeSettings {
    /// The read deadline.
    pub fn read_deadline(&self) -> Duration {
        self.read_deadline
    }

    /// The budget of unverified bytes.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The timer.
    pub fn timer(&self) -> &Arc<dyn Timer> {
        &self.timer
    }
}

/// The request's path, for the `tracing` event of a rejection (the query
/// string is never logged).
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
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyError {
    /// A framework's own length limit was crossed (answered 413).
    TooLarge,
    /// The stream broke: the client went away, the transport failed
    /// (answered 400 `body_unreadable`).
    Unreadable(Box<dyn std::error::Error + Send + Sync>),
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

/// A delivery through the intake: its exact bytes, what verified, and its
/// replay lease (with replay protection on; `None` when off, or when the
/// store was down and failing open).
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted {
    /// The body, exactly as received and verified.
    pub body: Bytes,
    /// What the verification proved.
    pub delivery: VerifiedDelivery,
    /// The delivery's hold on its replay key: settle it by the handler's
    /// outcome ([`Lease::settle`]); dropped, it is released.
    pub lease: Option<Lease>,
}

/// A delivery whose headers were admitted; [`receive`](Self::receive) its body.
pub struct Admitted {
    verifier: Verifier,
    route: Route,
    reading: Reading,
}

impl fmt::Debug for Admitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admitted")
            .field("route", &self.route.path())
            .field("pending", &self.reading.pending)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Admits a delivery from its headers, before a byte of its body is
    /// read: no `Content-Encoding` (415), the scheme's headers present,
    /// well-formed and fresh (400, 401), a `Content-Length` within the body
    /// limit (413) and within what is left of the budget of unverified
    /// bytes (503 `overloaded`). A rejection is reported (a `tracing`
    /// event, the metrics) before it is returned.
    ///
    /// # Errors
    /// The first check that failed.
    pub fn admit<H: Headers + ?Sized>(
        &self,
        headers: &H,
        route: impl Into<Route>,
    ) -> Result<Admitted, Error> {
        self.admit_within(headers, route, None)
    }

    /// As [`admit`](Self::admit), with an outer body limit (a framework's
    /// own, such as axum's `DefaultBodyLimit`): the smaller limit wins.
    ///
    /// # Errors
    /// As [`admit`](Self::admit).
    pub fn admit_within<H: Headers + ?Sized>(
        &self,
        headers: &H,
        route: impl Into<Route>,
        outer_limit: Option<u64>,
    ) -> Result<Admitted, Error> {
        let route = route.into();
        match self.admission(headers, outer_limit) {
            Ok(reading) => Ok(Admitted {
                verifier: self.clone(),
                route,
                reading,
            }),
            Err(error) => Err(event::rejected(self, &route, error)),
        }
    }

    fn admission<H: Headers + ?Sized>(
        &self,
        headers: &H,
        outer_limit: Option<u64>,
    ) -> Result<Reading, Error> {
        let mut pending = self.check_headers(headers)?;
        refuse_encoded(headers)?;
        if let Some(limit) = outer_limit {
            pending.limit_body(limit);
        }
        let declared = crate::headers::decimal(headers, &CONTENT_LENGTH);
        let limit = pending.body_limit();
        if declared.is_some_and(|length| length > limit) {
            return Err(Error::BodyTooLarge { limit: Some(limit) });
        }
        let settings = self.intake();
        let budget = settings.budget();
        if declared.is_some_and(|length| length > budget.available()) {
            return Err(Error::Overloaded {
                budget: budget.limit(),
            });
        }
        let now = settings.timer.now();
        Ok(Reading {
            pending,
            buffer: BodyBuffer::new(declared),
            charge: Charge::new(budget),
            started: now,
            deadline: now + settings.read_deadline,
            sleep: None,
        })
    }
}

/// An encoded body is refused before it is read: what is verified and
/// handed over is always the bytes as sent, never decoded.
fn refuse_encoded<H: Headers + ?Sized>(headers: &H) -> Result<(), Error> {
    for value in headers.values(&CONTENT_ENCODING) {
        let encoded = value
            .split(|&b| b == b',')
            .map(crate::timestamp::trim)
            .any(|token| !token.is_empty() && !token.eq_ignore_ascii_case(b"identity"));
        if encoded {
            return Err(Error::UnsupportedEncoding {
                encoding: shown(value),
            });
        }
    }
    Ok(())
}

impl Admitted {
    /// The verifier this delivery is admitted under.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Reads the body within the limit, the budget and the read deadline,
    /// hashing and keeping each chunk; gives the verdict; with replay
    /// protection, claims the delivery's key. A rejection is reported
    /// before it is returned; its bytes are freed.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`], [`Error::Overloaded`], [`Error::BodyTimeout`],
    /// [`Error::BodyUnreadable`], [`Error::SignatureMismatch`], then the
    /// replay errors of [`ReplayProtection::claim`](crate::replay::ReplayProtection::claim).
    pub async fn receive<B: BodySource>(self, body: B) -> Result<Accepted, Error> {
        let Admitted {
            verifier,
            route,
            reading,
        } = self;
        match reading.run(&verifier, body).await {
            Ok(accepted) => Ok(accepted),
            Err(error) => Err(event::rejected(&verifier, &route, error)),
        }
    }
}

/// The body being read.
struct Reading {
    pending: PendingVerification,
    buffer: BodyBuffer,
    charge: Charge,
    started: Instant,
    deadline: Instant,
    sleep: Option<Sleep>,
}

impl Reading {
    async fn run<B: BodySource>(mut self, verifier: &Verifier, body: B) -> Result<Accepted, Error> {
        let mut body = std::pin::pin!(body);
        std::future::poll_fn(|cx| self.poll_read(body.as_mut(), cx)).await?;
        let Reading {
            pending,
            buffer,
            charge,
            started,
            ..
        } = self;
        let delivery = pending.finish()?;
        drop(charge); // verified: no longer unverified bytes
        let verified_after = verifier
            .intake()
            .timer
            .now()
            .saturating_duration_since(started);
        let lease = match verifier.replay_protection() {
            Some(replay) => replay.claim(&delivery).await?,
            None => None,
        };
        event::accepted(verifier, verified_after);
        Ok(Accepted {
            body: buffer.into_bytes(),
            delivery,
            lease,
        })
    }

    fn poll_read<B: BodySource>(
        &mut self,
        mut body: Pin<&mut B>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        loop {
            match body.as_mut().poll_chunk(cx) {
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Ok(chunk))) => self.keep(chunk)?,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(self.body_error(error))),
                Poll::Pending => return self.poll_deadline(cx),
            }
        }
    }

    /// Hashes the chunk within the limit, charges it to the budget, keeps it.
    fn keep(&mut self, chunk: Bytes) -> Result<(), Error> {
        self.pending.update(&chunk)?;
        if !self.charge.add(chunk.len() as u64) {
            return Err(Error::Overloaded {
                budget: self.charge.budget().limit(),
            });
        }
        self.buffer.push(chunk);
        Ok(())
    }

    /// Pending while the deadline is ahead; the timeout once it passed. The
    /// timer is only armed when the body first makes us wait.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let timer = self.pending.verifier().intake().timer.clone();
        let deadline = self.deadline;
        let sleep = self
            .sleep
            .get_or_insert_with(|| timer.sleep_until(deadline));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::BodyTimeout {
                deadline: deadline.saturating_duration_since(self.started),
            })),
            Poll::Pending => Poll::Pending,
        }
    }

    fn body_error(&self, error: BodyError) -> Error {
        match error {
            BodyError::TooLarge => Error::BodyTooLarge {
                limit: Some(self.pending.body_limit()),
            },
            BodyError::Unreadable(source) => Error::BodyUnreadable {
                reason: source.to_string(),
            },
        }
    }
}
