//! [`ResponseFuture`]: reads and verifies the body, then calls the inner service.

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
use crate::{BodyCollector, Error, PendingVerification, SchemeKind};

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook).
    pub struct ResponseFuture<F, S, B, R> {
        #[pin]
        state: State<F, S, B>,
        on_rejection: R,
        scheme: SchemeKind,
        uri: Uri,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, S, B> {
        Rejected { error: Option<Error> },
        Reading {
            #[pin]
            body: B,
            collector: Option<BodyCollector>,
            parts: Option<Parts>,
            inner: Option<S>,
        },
        Calling { #[pin] future: F },
    }
}

impl<F, S, B, R> ResponseFuture<F, S, B, R> {
    pub(crate) fn rejected(error: Error, scheme: SchemeKind, uri: &Uri, on_rejection: R) -> Self {
        ResponseFuture {
            state: State::Rejected { error: Some(error) },
            on_rejection,
            scheme,
            uri: uri.clone(),
        }
    }

    pub(crate) fn reading(
        parts: Parts,
        body: B,
        pending: PendingVerification,
        inner: S,
        scheme: SchemeKind,
        on_rejection: R,
    ) -> Self {
        ResponseFuture {
            uri: parts.uri.clone(),
            state: State::Reading {
                body,
                collector: Some(BodyCollector::new(pending)),
                parts: Some(parts),
                inner: Some(inner),
            },
            on_rejection,
            scheme,
        }
    }
}

impl<F, S, B, R, ResBody, E> Future for ResponseFuture<F, S, B, R>
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
                StateProj::Calling { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(ResponseBody::service)));
                }
                StateProj::Rejected { error } => {
                    let error = error.take().expect("polled after completion");
                    return Poll::Ready(Ok(reject(
                        this.on_rejection,
                        error,
                        *this.scheme,
                        this.uri,
                    )));
                }
                StateProj::Reading {
                    body,
                    collector,
                    parts,
                    inner,
                } => {
                    let Some(active) = collector.as_mut() else {
                        panic!("polled after completion")
                    };
                    let outcome = match ready!(collect_body(body, active, cx)) {
                        Ok(()) => collector.take().map(BodyCollector::finish),
                        Err(error) => Some(Err(error)),
                    };
                    match outcome {
                        Some(Ok((bytes, verified))) => {
                            let (Some(mut parts), Some(mut service)) = (parts.take(), inner.take())
                            else {
                                panic!("polled after completion")
                            };
                            parts.extensions.insert(verified);
                            let request = Request::from_parts(parts, Full::new(bytes));
                            State::Calling {
                                future: service.call(request),
                            }
                        }
                        Some(Err(error)) => State::Rejected { error: Some(error) },
                        None => panic!("polled after completion"),
                    }
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
