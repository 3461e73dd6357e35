//! [`ResponseFuture`]: reads and verifies the body, reserves the replay
//! record, calls the inner service, then commits or releases the record.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::request::Parts;
use http::{Request, Response, Uri};
use http_body::Body;
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::body::{collect_body, ResponseBody, VerifiedBody};
use super::rejection::OnRejection;
use crate::error::trace_rejection;
use crate::replay::Reservation;
use crate::{BodyCollector, Error, PendingVerification, SchemeKind, Verifier};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook).
    pub struct ResponseFuture<F, S, B, R, ResBody, E> {
        #[pin]
        state: State<F, S, B, ResBody, E>,
        on_rejection: R,
        verifier: Verifier,
        uri: Uri,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, S, B, ResBody, E> {
        Rejected { error: Option<Error> },
        Reading {
            #[pin]
            body: B,
            collector: Option<BodyCollector>,
            parts: Option<Parts>,
            inner: Option<S>,
        },
        Reserving {
            reserve: BoxFuture<Result<Option<Reservation>, Error>>,
            request: Option<Request<VerifiedBody>>,
            inner: Option<S>,
        },
        Calling {
            #[pin]
            future: F,
            reservation: Option<Reservation>,
        },
        Settling {
            settle: BoxFuture<()>,
            output: Option<Result<Response<ResBody>, E>>,
        },
    }
}

impl<F, S, B, R, ResBody, E> ResponseFuture<F, S, B, R, ResBody, E> {
    pub(crate) fn rejected(error: Error, verifier: &Verifier, uri: &Uri, on_rejection: R) -> Self {
        ResponseFuture {
            state: State::Rejected { error: Some(error) },
            on_rejection,
            verifier: verifier.clone(),
            uri: uri.clone(),
        }
    }

    pub(crate) fn reading(
        parts: Parts,
        body: B,
        pending: PendingVerification,
        inner: S,
        on_rejection: R,
    ) -> Self {
        ResponseFuture {
            uri: parts.uri.clone(),
            verifier: pending.verifier().clone(),
            state: State::Reading {
                body,
                collector: Some(BodyCollector::new(pending)),
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
    B: Body,
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
                    let scheme = this.verifier.scheme().kind();
                    return Poll::Ready(Ok(reject(this.on_rejection, error, scheme, this.uri)));
                }
                StateProj::Reading {
                    body,
                    collector,
                    parts,
                    inner,
                } => {
                    let active = collector.as_mut().expect(POLLED_AFTER_COMPLETION);
                    let outcome = match ready!(collect_body(body, active, cx)) {
                        Ok(()) => collector.take().expect(POLLED_AFTER_COMPLETION).finish(),
                        Err(error) => Err(error),
                    };
                    match outcome {
                        Err(error) => State::Rejected { error: Some(error) },
                        Ok((bytes, verified)) => {
                            let mut parts = parts.take().expect(POLLED_AFTER_COMPLETION);
                            let mut service = inner.take().expect(POLLED_AFTER_COMPLETION);
                            match this.verifier.replay_protection() {
                                Some(replay) => {
                                    let replay = replay.clone();
                                    let key_source = verified.clone();
                                    parts.extensions.insert(verified);
                                    State::Reserving {
                                        reserve: Box::pin(async move {
                                            replay.reserve(&key_source).await
                                        }),
                                        request: Some(Request::from_parts(parts, Full::new(bytes))),
                                        inner: Some(service),
                                    }
                                }
                                None => {
                                    parts.extensions.insert(verified);
                                    let request = Request::from_parts(parts, Full::new(bytes));
                                    State::Calling {
                                        future: service.call(request),
                                        reservation: None,
                                    }
                                }
                            }
                        }
                    }
                }
                StateProj::Reserving {
                    reserve,
                    request,
                    inner,
                } => match ready!(reserve.as_mut().poll(cx)) {
                    Err(error) => State::Rejected { error: Some(error) },
                    Ok(reservation) => {
                        let request = request.take().expect(POLLED_AFTER_COMPLETION);
                        let mut service = inner.take().expect(POLLED_AFTER_COMPLETION);
                        State::Calling {
                            future: service.call(request),
                            reservation,
                        }
                    }
                },
                StateProj::Calling {
                    future,
                    reservation,
                } => {
                    let output = ready!(future.poll(cx));
                    match reservation.take() {
                        None => return Poll::Ready(output.map(|r| r.map(ResponseBody::service))),
                        Some(reservation) => {
                            let success = matches!(&output, Ok(r) if r.status().is_success());
                            State::Settling {
                                settle: Box::pin(reservation.settle(success)),
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

/// Builds the rejection response, attaches the error, and records the event.
fn reject<R: OnRejection, ResBody>(
    on_rejection: &R,
    error: Error,
    scheme: SchemeKind,
    uri: &Uri,
) -> Response<ResponseBody<ResBody>> {
    trace_rejection(&error, scheme, uri.path());
    let mut response = on_rejection
        .on_rejection(&error)
        .map(ResponseBody::rejection);
    response.extensions_mut().insert(error);
    response
}
