//! [`ResponseFuture`]: the rejection, or the intake's [`Handle`] calling the
//! inner service; every decision (limits, verdict, replay, what "processed"
//! means, the lease's renewal) is the intake's.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::body::{HttpBody, ResponseBody, VerifiedBody};
use super::rejection::OnRejection;
use crate::intake::{Handle, Handler};
use crate::{Error, VerifiedDelivery};

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook).
    pub struct ResponseFuture<S, B, R>
    where
        S: Service<Request<VerifiedBody>>,
    {
        #[pin]
        state: State<S, B>,
        on_rejection: R,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<VerifiedBody>>,
    {
        Rejected { error: Option<Error> },
        Running { #[pin] handle: Handle<HttpBody<B>, CallInner<S>> },
    }
}

impl<S, B, R> ResponseFuture<S, B, R>
where
    S: Service<Request<VerifiedBody>>,
{
    pub(crate) fn rejected(error: Error, on_rejection: R) -> Self {
        ResponseFuture {
            state: State::Rejected { error: Some(error) },
            on_rejection,
        }
    }

    pub(crate) fn running(handle: Handle<HttpBody<B>, CallInner<S>>, on_rejection: R) -> Self {
        ResponseFuture {
            state: State::Running { handle },
            on_rejection,
        }
    }
}

impl<S, B, R, ResBody> Future for ResponseFuture<S, B, R>
where
    S: Service<Request<VerifiedBody>, Response = Response<ResBody>>,
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    R: OnRejection,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = match this.state.project() {
            StateProj::Rejected { error } => Err(error
                .take()
                .expect("ResponseFuture polled after completion")),
            StateProj::Running { handle } => ready!(handle.poll(cx)),
        };
        Poll::Ready(match outcome {
            Ok(answer) => answer.map(|response| response.map(ResponseBody::service)),
            Err(error) => Ok(rejection(this.on_rejection, error)),
        })
    }
}

/// The inner service as the intake's [`Handler`]: called with the verified
/// bytes as the request's body and the [`VerifiedDelivery`] in its
/// extensions.
pub struct CallInner<S> {
    pub(crate) inner: S,
    pub(crate) parts: Parts,
}

impl<S: Service<Request<VerifiedBody>>> Handler for CallInner<S> {
    type Future = S::Future;

    fn call(self, body: Bytes, delivery: VerifiedDelivery) -> S::Future {
        let CallInner {
            mut inner,
            mut parts,
        } = self;
        parts.extensions.insert(delivery);
        inner.call(Request::from_parts(parts, Full::new(body)))
    }
}

/// The rejection response: `on_rejection`'s, carrying the error in its
/// extensions (the intake has already reported it).
fn rejection<R: OnRejection, ResBody>(
    on_rejection: &R,
    error: Error,
) -> Response<ResponseBody<ResBody>> {
    crate::rejection::rejection(error, |error| on_rejection.on_rejection(error))
        .map(ResponseBody::rejection)
}
