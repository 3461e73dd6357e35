//! Body types of the middleware, and the read-once-while-hashing loop that
//! the layer and the axum extractor share.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Full, LengthLimitError};
use pin_project_lite::pin_project;

use crate::{BodyCollector, Error};

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

/// The declared `Content-Length`, if present and a number. A header that is
/// not a number is left to the HTTP server to reject.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads frames until the body ends, hashing and keeping each data chunk.
/// Trailers are ignored. A body error caused by an outer length limit
/// (`http_body_util::LengthLimitError`) is reported as
/// [`Error::BodyTooLarge`]; any other as [`Error::BodyUnreadable`].
pub(crate) fn collect_body<B>(
    mut body: Pin<&mut B>,
    collector: &mut BodyCollector,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        match ready!(body.as_mut().poll_frame(cx)) {
            None => return Poll::Ready(Ok(())),
            Some(Ok(frame)) => {
                if let Ok(mut data) = frame.into_data() {
                    let chunk = data.copy_to_bytes(data.remaining());
                    collector.push(chunk)?;
                }
            }
            Some(Err(error)) => {
                let error = error.into();
                let limit = collector.pending().body_limit();
                return Poll::Ready(Err(body_error(&*error, limit)));
            }
        }
    }
}

fn body_error(error: &(dyn std::error::Error + 'static), limit: u64) -> Error {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            return Error::BodyTooLarge { limit: Some(limit) };
        }
        source = e.source();
    }
    Error::BodyUnreadable {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_parses_numbers_only() {
        let mut h = HeaderMap::new();
        assert_eq!(content_length(&h), None);
        h.insert("content-length", "42".parse().unwrap());
        assert_eq!(content_length(&h), Some(42));
        h.insert("content-length", "-1".parse().unwrap());
        assert_eq!(content_length(&h), None);
        h.insert("content-length", "99999999999999999999999".parse().unwrap());
        assert_eq!(content_length(&h), None);
    }

    #[tokio::test]
    async fn length_limit_errors_map_to_body_too_large() {
        use http_body_util::BodyExt;
        let limited = http_body_util::Limited::new(Full::new(Bytes::from_static(b"abc")), 1);
        let err = limited.collect().await.unwrap_err();
        assert_eq!(body_error(&*err, 7), Error::BodyTooLarge { limit: Some(7) });
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(body_error(&io, 7).code(), "body_unreadable");
    }
}
