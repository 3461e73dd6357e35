//! Body types of the middleware: the request body as the intake reads it,
//! the verified body the inner service gets, and the response body.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Full, LengthLimitError};
use pin_project_lite::pin_project;

use crate::intake::{BodyError, BodySource};

/// The request body the inner service receives: the verified bytes, exactly
/// as they were received.
pub type VerifiedBody = Full<Bytes>;

pin_project! {
    /// Response body of [`VerifyWebhook`](super::VerifyWebhook): the inner
    /// service's body, or the rejection's.
    pub struct ResponseBody<B> {
        #[pin]
        inner: Inner<B>,
    }
}

pin_project! {
    #[project = InnerProj]
    enum Inner<B> {
        Service { #[pin] body: B },
        Rejection { body: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn service(body: B) -> Self {
        ResponseBody {
            inner: Inner::Service { body },
        }
    }

    pub(crate) fn rejection(body: Bytes) -> Self {
        ResponseBody {
            inner: Inner::Rejection {
                body: (!body.is_empty()).then_some(body),
            },
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().inner.project() {
            InnerProj::Service { body } => body.poll_frame(cx),
            InnerProj::Rejection { body } => Poll::Ready(body.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Service { body } => body.is_end_stream(),
            Inner::Rejection { body } => body.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Service { body } => body.size_hint(),
            Inner::Rejection { body } => {
                SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}

pin_project! {
    /// Any [`http_body::Body`] as the intake reads it
    /// ([`BodySource`]): its data frames, in order (trailers are ignored).
    /// What the tower layer and the axum extractor read; for a server of
    /// your own that drives [`Verifier::admit_incoming`](crate::Verifier::admit_incoming)
    /// or [`Verifier::read_unverified`](crate::Verifier::read_unverified).
    #[derive(Debug)]
    pub struct HttpBody<B> {
        #[pin]
        body: B,
    }
}

impl<B> HttpBody<B> {
    /// Reads `body`.
    pub fn new(body: B) -> Self {
        HttpBody { body }
    }
}

impl<B> BodySource for HttpBody<B>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        let mut body = self.project().body;
        loop {
            match ready!(body.as_mut().poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => {
                    if let Ok(mut data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data.copy_to_bytes(data.remaining()))));
                    }
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(body_error(error.into())))),
            }
        }
    }
}

/// A body error caused by an outer length limit
/// (`http_body_util::LengthLimitError`, axum's `DefaultBodyLimit`) is
/// [`BodyError::TooLarge`]; any other is [`BodyError::Unreadable`].
fn body_error(error: Box<dyn std::error::Error + Send + Sync>) -> BodyError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&*error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            return BodyError::TooLarge;
        }
        source = e.source();
    }
    BodyError::Unreadable(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn length_limit_errors_map_to_too_large() {
        use http_body_util::BodyExt;
        let limited = http_body_util::Limited::new(Full::new(Bytes::from_static(b"abc")), 1);
        let err = limited.collect().await.unwrap_err();
        assert!(matches!(body_error(err), BodyError::TooLarge));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(body_error(Box::new(io)), BodyError::Unreadable(_)));
    }
}
