//! [`Receive`]: the future of [`Admission::receive`](super::Admission::receive)
//! — read, verdict, replay claim — reporting a rejection once.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use pin_project_lite::pin_project;

use super::reading::Reading;
use super::{event, event_match, BodySource, Received, Route};
use crate::replay::Lease;
use crate::{Error, VerifiedDelivery, Verifier};

type Claiming =
    Pin<Box<dyn Future<Output = (VerifiedDelivery, Result<Option<Lease>, Error>)> + Send>>;

pin_project! {
    /// The future of [`Admission::receive`](super::Admission::receive): reads
    /// and verifies the body, then claims its replay key. Nameable, so that
    /// an adapter can hold it without boxing it.
    #[must_use = "futures do nothing unless polled"]
    pub struct Receive<B> {
        #[pin]
        body: B,
        state: State,
    }
}

// The reading state is by far the largest, and is where every request
// starts: kept inline, as boxing it would cost every request an allocation.
#[allow(clippy::large_enum_variant)]
enum State {
    Reading {
        reading: Reading,
        route: Route,
    },
    Claiming {
        claim: Claiming,
        body: Bytes,
        verifier: Verifier,
        route: Route,
    },
    Done,
}

impl<B> Receive<B> {
    pub(super) fn new(body: B, reading: Reading, route: Route) -> Self {
        Receive {
            body,
            state: State::Reading { reading, route },
        }
    }
}

impl<B> std::fmt::Debug for Receive<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Reading { .. } => "reading",
            State::Claiming { .. } => "claiming",
            State::Done => "done",
        };
        f.debug_struct("Receive")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

const POLLED_AFTER_COMPLETION: &str = "Receive polled after completion";

impl<B: BodySource> Future for Receive<B> {
    type Output = Result<Received, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state {
                State::Reading { reading, .. } => {
                    let read = ready!(reading.poll_read(this.body.as_mut(), cx));
                    let State::Reading { reading, route } =
                        std::mem::replace(this.state, State::Done)
                    else {
                        unreachable!("{POLLED_AFTER_COMPLETION}");
                    };
                    match verdict(read, reading, route) {
                        Next::Ready(outcome) => return Poll::Ready(outcome),
                        Next::Claim(claim, body, verifier, route) => {
                            *this.state = State::Claiming {
                                claim,
                                body,
                                verifier,
                                route,
                            }
                        }
                    }
                }
                State::Claiming { claim, .. } => {
                    let (delivery, claimed) = ready!(claim.as_mut().poll(cx));
                    let State::Claiming {
                        body,
                        verifier,
                        route,
                        ..
                    } = std::mem::replace(this.state, State::Done)
                    else {
                        unreachable!("{POLLED_AFTER_COMPLETION}");
                    };
                    return Poll::Ready(accept(&verifier, &route, body, delivery, claimed));
                }
                State::Done => panic!("{POLLED_AFTER_COMPLETION}"),
            }
        }
    }
}

enum Next {
    Ready(Result<Received, Error>),
    Claim(Claiming, Bytes, Verifier, Route),
}

/// The body is read (or failed): the verdict (and, if required, the event
/// header's match with the payload), then accepted, or a claim of its
/// replay key to make.
fn verdict(read: Result<(), Error>, reading: Reading, route: Route) -> Next {
    let verifier = reading.verifier.clone();
    let verified = read
        .and_then(|()| reading.finish())
        .and_then(|(body, delivery)| {
            event_match::check(&verifier, &delivery, &body)?;
            Ok((body, delivery))
        });
    let (body, delivery) = match verified {
        Ok(verified) => verified,
        Err(error) => return Next::Ready(Err(event::rejected(&verifier, &route, error))),
    };
    let Some(replay) = verifier.replay_protection().cloned() else {
        return Next::Ready(accept(&verifier, &route, body, delivery, Ok(None)));
    };
    let claim = Box::pin(async move {
        let claimed = replay.claim(&delivery).await;
        (delivery, claimed)
    });
    Next::Claim(claim, body, verifier, route)
}

fn accept(
    verifier: &Verifier,
    route: &Route,
    body: Bytes,
    delivery: VerifiedDelivery,
    claimed: Result<Option<Lease>, Error>,
) -> Result<Received, Error> {
    match claimed {
        Ok(lease) => {
            event::accepted(verifier);
            let mut delivery = delivery;
            delivery.fence = lease.as_ref().map(|lease| lease.fence().clone());
            Ok(Received {
                body,
                delivery,
                lease,
            })
        }
        Err(error) => Err(event::rejected(verifier, route, error)),
    }
}
