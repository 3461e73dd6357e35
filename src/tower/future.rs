//! [`ResponseFuture`]: drives the intake, calls the inner service under the
//! delivery's replay lease, then settles the lease by the response's status.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::request::Parts;
use http::{Request, Response};
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::body::{HttpBody, ResponseBody, VerifiedBody};
use super::rejection::OnRejection;
use crate::intake::{Accepted, Receive};
use crate::replay::Lease;
use crate::Error;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook).
    pub struct ResponseFuture<F, S, B, R, ResBody, E> {
        #[pin]
        state: State<F, S, B, ResBody, E>,
        on_rejection: R,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, S, B, ResBody, E> {
        Rejected { error: Option<Error> },
        Receiving {
            #[pin]
            receiving: Receive<HttpBody<B>>,
            parts: Option<Parts>,
            inner: Option<S>,
        },
        Calling {
            #[pin]
            future: F,
            lease: Option<Lease>,
        },
        Settling {
            settle: BoxFuture<()>,
            output: Option<Result<Response<ResBody>, E>>,
        },
    }
}

impl<F, S, B, R, ResBody, E> ResponseFuture<F, S, B, R, ResBody, E> {
    pub(crate) fn rejected(error: Error, on_rejection: R) -> Self {
        ResponseFuture {
            state: State::Rejected { error: Some(error) },
            on_rejection,
        }
    }

    pub(crate) fn receiving(
        receiving: Receive<HttpBody<B>>,
        parts: Parts,
        inner: S,
        on_rejection: R,
    ) -> Self {
        ResponseFuture {
            state: State::Receiving {
                receiving,
                parts: Some(parts),
                inner: Some(inner),
            },
            on_rejection,
        }
    }
}

const POLLED_AFTER_COMPLETION: &str = "ResponseFuture polled after completion";

impl<F, S, B, R, ResBody, E> Future for ResponseFuture<F, S, B, R, ResBody, E>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    S: Service<Request<VerifiedBody>, Future = F>,
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    R: OnRejection,
{
    type Output = Result<Response<ResponseBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Rejected { error } => {
                    let error = error.take().expect(POLLED_AFTER_COMPLETION);
                    return Poll::Ready(Ok(reject(this.on_rejection, error)));
                }
                StateProj::Receiving {
                    receiving,
                    parts,
                    inner,
                } => match ready!(receiving.poll(cx)) {
                    Err(error) => State::Rejected { error: Some(error) },
                    Ok(accepted) => {
                        let parts = parts.take().expect(POLLED_AFTER_COMPLETION);
                        let mut inner = inner.take().expect(POLLED_AFTER_COMPLETION);
                        let (request, lease) = verified_request(parts, accepted);
                        State::Calling {
                            future: inner.call(request),
                            lease,
                        }
                    }
                },
                StateProj::Calling { future, lease } => {
                    let output = match future.poll(cx) {
                        Poll::Ready(output) => output,
                        Poll::Pending => {
                            if let Some(lease) = lease.as_mut() {
                                let _ = lease.poll_renew(cx);
                            }
                            return Poll::Pending;
                        }
                    };
                    match lease.take() {
                        None => return Poll::Ready(output.map(|r| r.map(ResponseBody::service))),
                        Some(lease) => {
                            let processed = matches!(&output, Ok(r) if r.status().is_success());
                            State::Settling {
                                settle: Box::pin(lease.settle(processed)),
                                output: Some(output),
                            }
                        }
                    }
                }
                StateProj::Settling { settle, output } => {
                    ready!(settle.as_mut().poll(cx));
                    let output = output.take().expect(POLLED_AFTER_COMPLETION);
                    return Poll::Ready(output.map(|r| r.map(ResponseBody::service)));
                }
            };
            this.state.set(next);
        }
    }
}

/// The request the inner service gets: the verified bytes as its body, the
/// [`VerifiedDelivery`](crate::VerifiedDelivery) in its extensions.
fn verified_request(
    mut parts: Parts,
    accepted: Accepted,
) -> (Request<VerifiedBody>, Option<Lease>) {
    let Accepted {
        body,
        delivery,
        lease,
        ..
    } = accepted;
    parts.extensions.insert(delivery);
    (Request::from_parts(parts, Full::new(body)), lease)
}

/// Builds the rejection response and attaches the error (the intake has
/// already reported it).
fn reject<R: OnRejection, ResBody>(
    on_rejection: &R,
    error: Error,
) -> Response<ResponseBody<ResBody>> {
    let mut response = on_rejection
        .on_rejection(&error)
        .map(ResponseBody::rejection);
    response.extensions_mut().insert(error);
    response
}
