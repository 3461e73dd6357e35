//! Admission: what is decided from a request's headers, before a byte of
//! its body is read.

use std::fmt;

use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};

use super::budget::Charge;
use super::buffer::BodyBuffer;
use super::handle::{Handle, Handler};
use super::incoming::Incoming;
use super::metered::Metered;
use super::reading::Reading;
use super::receive::Receive;
use super::unverified::ReadUnverified;
use super::{event, BodySource, Route};
use crate::error::shown;
use crate::{Error, Headers, Verifier};

/// The intake's first stage, a delivery whose headers were admitted (the
/// second is the [`Received`](super::Received) delivery):
/// [`receive`](Self::receive) its body, or [`handle`](Self::handle) it.
pub struct Admission {
    route: Route,
    reading: Reading,
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("route", &self.route.path())
            .field("limit", &self.reading.metered.limit)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
impl Verifier {
    /// Admits a delivery from its headers, before a byte of its body is
    /// read: the scheme's headers present, well-formed and fresh (400, 401),
    /// no `Content-Encoding` (415), a `Content-Length` within the body limit
    /// (413) and within what is left of the budget of unverified bytes (503
    /// `overloaded`). A rejection is reported (a `tracing` event, the
    /// metrics) before it is returned.
    ///
    /// # Errors
    /// The first check that failed.
    pub fn admit<H: Headers + ?Sized>(
        &self,
        headers: &H,
        route: impl Into<Route>,
    ) -> Result<Admission, Error> {
        self.admit_incoming(Incoming::new(headers, route))
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
    ) -> Result<Admission, Error> {
        self.admit_incoming(Incoming::new(headers, route).outer_limit(outer_limit))
    }

    /// As [`admit`](Self::admit), for a request described whole: its
    /// headers, route, the peer address the adapter sees (for the
    /// sender's share of the budget, [`PeerShare`](super::PeerShare)) and
    /// an outer body limit. What every adapter calls.
    ///
    /// # Errors
    /// As [`admit`](Self::admit); 503 `overloaded` too when the sender
    /// holds its share.
    pub fn admit_incoming<H: Headers + ?Sized>(
        &self,
        incoming: Incoming<'_, H>,
    ) -> Result<Admission, Error> {
        let route = incoming.route.clone();
        match self.admission(&incoming) {
            Ok(reading) => Ok(Admission { route, reading }),
            Err(error) => Err(event::rejected(self, &route, error)),
        }
    }

    fn admission<H: Headers + ?Sized>(&self, incoming: &Incoming<'_, H>) -> Result<Reading, Error> {
        let headers = incoming.headers;
        let checked = self.check(headers, self.now(), Some(incoming.route.path()))?;
        refuse_encoded(headers)?;
        let metered = self.metered(incoming)?;
        let declared = crate::headers::decimal(headers, &CONTENT_LENGTH);
        Ok(Reading::new(
            self.clone(),
            checked,
            metered,
            BodyBuffer::new(declared),
        ))
    }

    /// What a body is held to: the smaller of the limits against
    /// `Content-Length` (413), then the budget and the sender's share (503).
    fn metered<H: Headers + ?Sized>(&self, incoming: &Incoming<'_, H>) -> Result<Metered, Error> {
        let limit = incoming
            .outer_limit
            .map_or(self.body_limit(), |outer| outer.min(self.body_limit()));
        let declared = crate::headers::decimal(incoming.headers, &CONTENT_LENGTH);
        if declared.is_some_and(|length| length > limit) {
            return Err(Error::BodyTooLarge { limit: Some(limit) });
        }
        let settings = self.intake();
        let peer = settings.peer_from.resolve(incoming.peer, incoming.headers);
        let charge = Charge::admit(settings.budget(), peer, declared)?;
        let started = cfg!(feature = "metrics").then(|| settings.timer.now());
        Ok(Metered::new(limit, charge, started))
    }

    /// Reads a request's body under this verifier's intake — the body
    /// limit, the budget of unverified bytes and the sender's share, the
    /// read deadline and the minimum data rate — without checking its
    /// headers or its signature: for tools that look at what failed (the
    /// CLI's `listen` diagnoses it). The bytes are given back to the budget
    /// when the future resolves: from then on they are the caller's to
    /// bound. A rejection is not reported (no `tracing` event, no metric).
    pub fn read_unverified<H: Headers + ?Sized, B: BodySource>(
        &self,
        incoming: Incoming<'_, H>,
        body: B,
    ) -> ReadUnverified<B> {
        let declared = crate::headers::decimal(incoming.headers, &CONTENT_LENGTH);
        let metered = self.metered(&incoming);
        ReadUnverified::new(self.clone(), metered, BodyBuffer::new(declared), body)
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

impl Admission {
    /// The verifier this delivery is admitted under.
    pub fn verifier(&self) -> &Verifier {
        &self.reading.verifier
    }

    /// Reads the body within the limit, the budget and the read deadline,
    /// hashing and keeping each chunk; gives the verdict; with replay
    /// protection, claims the delivery's key. A rejection is reported
    /// before it is returned; its bytes are freed.
    ///
    /// The future resolves to the [`Received`](super::Received) delivery, or
    /// to [`Error::BodyTooLarge`], [`Error::Overloaded`],
    /// [`Error::BodyTimeout`], [`Error::BodyUnreadable`],
    /// [`Error::SignatureMismatch`], then the replay errors of
    /// [`ReplayProtection::claim`](crate::replay::ReplayProtection::claim).
    pub fn receive<B: BodySource>(self, body: B) -> Receive<B> {
        Receive::new(body, self.reading, self.route)
    }

    /// [`receive`](Self::receive)s the body, then calls `handler` with the
    /// verified bytes under the delivery's lease, kept renewed while it
    /// runs, and settles the lease by its answer: committed when the answer
    /// is [processed](super::Outcome) (a 2xx response), released otherwise —
    /// and released when the future is dropped. What the tower layer and the
    /// actix-web middleware run for each request.
    ///
    /// The future resolves to the handler's answer, or to the error of
    /// [`receive`](Self::receive) (the handler is then never called).
    pub fn handle<B: BodySource, H: Handler>(self, body: B, handler: H) -> Handle<B, H> {
        Handle::new(self.receive(body), handler)
    }
}
