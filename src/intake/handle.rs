//! [`Handle`]: a delivery from its body to its handler's answer — receive,
//! call the handler with the verified bytes under the delivery's lease
//! (kept renewed), settle the lease by the answer ([`Outcome`]). The one
//! place that decides what "processed" means behind a layer or a
//! middleware; the adapters only translate their framework's types.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use pin_project_lite::pin_project;

use super::{BodySource, Receive, Received};
use crate::replay::KeepAlive;
use crate::{Error, VerifiedDelivery};

/// Whether a handler's answer means its delivery was processed: the lease
/// is then committed (copies get 409 `replayed`), released otherwise (so
/// that the provider's retry is processed).
///
/// A response is processed when its status is 2xx; an `Err` never is.
/// The actix-web adapter implements it for its `ServiceResponse`.
pub trait Outcome {
    /// Whether the delivery was processed.
    fn processed(&self) -> bool;
}

impl<B> Outcome for http::Response<B> {
    fn processed(&self) -> bool {
        self.status().is_success()
    }
}

impl<T: Outcome, E> Outcome for Result<T, E> {
    fn processed(&self) -> bool {
        matches!(self, Ok(answer) if answer.processed())
    }
}

/// The handler of a verified delivery: called once, with exactly the bytes
/// verified and what the verification proved. Implemented by any
/// `FnOnce(Bytes, VerifiedDelivery) -> impl Future`.
pub trait Handler {
    /// The handler's work.
    type Future: Future;

    /// Starts the handler.
    fn call(self, body: Bytes, delivery: VerifiedDelivery) -> Self::Future;
}

impl<H, F> Handler for H
where
    H: FnOnce(Bytes, VerifiedDelivery) -> F,
    F: Future,
{
    type Future = F;

    fn call(self, body: Bytes, delivery: VerifiedDelivery) -> F {
        self(body, delivery)
    }
}

type Answer<H> = <<H as Handler>::Future as Future>::Output;
type Settle = Pin<Box<dyn Future<Output = ()> + Send>>;

pin_project! {
    /// The future of [`Admission::handle`](super::Admission::handle): the
    /// handler's answer, or the [`Error`] that rejected the delivery before
    /// the handler was called (already reported). Nameable, so that an
    /// adapter can hold it without boxing it.
    #[must_use = "futures do nothing unless polled"]
    pub struct Handle<B, H: Handler> {
        #[pin]
        state: State<B, H>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<B, H: Handler> {
        Receiving {
            #[pin]
            receive: Receive<B>,
            handler: Option<H>,
        },
        Running {
            #[pin]
            running: KeepAlive<H::Future>,
        },
        Settling {
            settle: Settle,
            answer: Option<Answer<H>>,
        },
    }
}

impl<B, H: Handler> Handle<B, H> {
    pub(super) fn new(receive: Receive<B>, handler: H) -> Self {
        Handle {
            state: State::Receiving {
                receive,
                handler: Some(handler),
            },
        }
    }
}

impl<B, H: Handler> std::fmt::Debug for Handle<B, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Receiving { .. } => "receiving",
            State::Running { .. } => "running",
            State::Settling { .. } => "settling",
        };
        f.debug_struct("Handle")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

const POLLED_AFTER_COMPLETION: &str = "Handle polled after completion";

impl<B, H> Future for Handle<B, H>
where
    B: BodySource,
    H: Handler,
    Answer<H>: Outcome,
{
    type Output = Result<Answer<H>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Receiving { receive, handler } => {
                    let Received {
                        body,
                        delivery,
                        lease,
                    } = ready!(receive.poll(cx))?;
                    let handler = handler.take().expect(POLLED_AFTER_COMPLETION);
                    State::Running {
                        running: KeepAlive::new(handler.call(body, delivery), lease),
                    }
                }
                StateProj::Running { running } => match ready!(running.poll(cx)) {
                    (answer, None) => return Poll::Ready(Ok(answer)),
                    (answer, Some(lease)) => State::Settling {
                        settle: Box::pin(lease.settle(answer.processed())),
                        answer: Some(answer),
                    },
                },
                StateProj::Settling { settle, answer } => {
                    ready!(settle.as_mut().poll(cx));
                    return Poll::Ready(Ok(answer.take().expect(POLLED_AFTER_COMPLETION)));
                }
            };
            this.state.set(next);
        }
    }
}
