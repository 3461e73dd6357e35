//! [`VerifyWebhook`]: the middleware service.

use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::body::{HttpBody, ResponseBody, VerifiedBody};
use super::future::{CallInner, ResponseFuture};
use super::rejection::{JsonRejection, OnRejection};
use crate::intake::Incoming;
use crate::Verifier;

/// Verifies each request as a webhook delivery before calling the inner
/// service with the verified bytes. Created by
/// [`VerifyWebhookLayer`](super::VerifyWebhookLayer).
#[derive(Debug, Clone)]
pub struct VerifyWebhook<S, R = JsonRejection> {
    inner: S,
    verifier: Verifier,
    on_rejection: R,
}

impl<S, R> VerifyWebhook<S, R> {
    /// Wraps `inner`.
    pub fn new(inner: S, verifier: Verifier, on_rejection: R) -> Self {
        VerifyWebhook {
            inner,
            verifier,
            on_rejection,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming the middleware.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, R, B, ResBody> Service<Request<B>> for VerifyWebhook<S, R>
where
    S: Service<Request<VerifiedBody>, Response = Response<ResBody>> + Clone,
    B: Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    R: OnRejection,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Take the service that was driven to readiness; leave a clone behind.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let on_rejection = self.on_rejection.clone();
        let incoming = Incoming::new(request.headers(), request.uri()).peer(peer_of(&request));
        match self.verifier.admit_incoming(incoming) {
            Err(error) => ResponseFuture::rejected(error, on_rejection),
            Ok(admission) => {
                let (parts, body) = request.into_parts();
                let handle = admission.handle(HttpBody::new(body), CallInner { inner, parts });
                ResponseFuture::running(handle, on_rejection)
            }
        }
    }
}

/// The connection's remote address, when the server put it in the
/// request's extensions: axum's `ConnectInfo<SocketAddr>` (from
/// `into_make_service_with_connect_info::<SocketAddr>()`), or a plain
/// `SocketAddr`.
pub(crate) fn peer_of<B>(request: &Request<B>) -> Option<IpAddr> {
    let extensions = request.extensions();
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body::Frame;
    use http_body_util::{BodyExt, StreamBody};
    use tower::{service_fn, ServiceExt};
    use tower_layer::Layer;

    use super::*;
    use crate::tower::VerifyWebhookLayer;
    use crate::{Error, Scheme, Signer};

    fn verifier(limit: u64) -> Verifier {
        Verifier::builder(Scheme::mittr())
            .secret("k")
            .body_limit(limit)
            .build()
            .unwrap()
    }

    fn request<B>(body: B, signed_over: &[u8]) -> Request<B> {
        let mut request = Request::post("/hook").body(body).unwrap();
        Signer::new(Scheme::mittr(), "k")
            .unwrap()
            .sign_now(signed_over)
            .apply_to(request.headers_mut());
        request
    }

    /// An inner service that counts calls and echoes the body it got.
    fn echo(
        calls: Arc<AtomicUsize>,
    ) -> impl Service<
        Request<VerifiedBody>,
        Response = Response<VerifiedBody>,
        Error = Infallible,
        Future = impl std::future::Future<Output = Result<Response<VerifiedBody>, Infallible>> + Send,
    > + Clone {
        service_fn(move |req: Request<VerifiedBody>| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                assert!(req.extensions().get::<crate::VerifiedDelivery>().is_some());
                Ok::<_, Infallible>(Response::new(req.into_body()))
            }
        })
    }

    fn chunks(parts: Vec<&'static [u8]>) -> impl Body<Data = Bytes, Error = std::io::Error> {
        let frames = parts
            .into_iter()
            .map(|p| Ok(Frame::data(Bytes::from_static(p))));
        StreamBody::new(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn passes_the_verified_bytes_to_the_inner_service() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(1024)).layer(echo(calls.clone()));
        let res = svc
            .oneshot(request(chunks(vec![b"hel", b"", b"lo"]), b"hello"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "hello");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn rejects_truncated_signature_without_calling_the_inner_service() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(1024)).layer(echo(calls.clone()));
        let mut req = request(chunks(vec![b"hello"]), b"hello");
        let value = req.headers()["x-mittr-signature"].to_str().unwrap()[..40].to_owned();
        req.headers_mut()
            .insert("x-mittr-signature", value.parse().unwrap());
        let res = svc.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.extensions().get::<Error>().unwrap().code(),
            "malformed_header"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn limit_holds_when_the_body_outgrows_its_content_length() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(8)).layer(echo(calls.clone()));
        let mut req = request(chunks(vec![b"12345", b"67890"]), b"1234567890");
        req.headers_mut()
            .insert("content-length", "5".parse().unwrap());
        let res = svc.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(
            res.extensions().get::<Error>(),
            Some(&Error::BodyTooLarge { limit: Some(8) })
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_outer_length_limit_in_front_is_honoured() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(1024)).layer(echo(calls.clone()));
        let limited = http_body_util::Limited::new(chunks(vec![b"hel", b"lo"]), 4);
        let res = svc.oneshot(request(limited, b"hello")).await.unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(
            res.extensions().get::<Error>().unwrap().code(),
            "body_too_large"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn rejects_from_content_length_before_reading() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(8)).layer(echo(calls.clone()));
        // A body that fails if it is ever polled.
        let poisoned = StreamBody::new(futures_util::stream::iter(vec![Err::<Frame<Bytes>, _>(
            std::io::Error::other("the body was read"),
        )]));
        let mut req = request(poisoned, b"");
        req.headers_mut()
            .insert("content-length", "9".parse().unwrap());
        let res = svc.oneshot(req).await.unwrap();
        assert_eq!(
            res.extensions().get::<Error>().unwrap().code(),
            "body_too_large"
        );
    }

    #[tokio::test]
    async fn body_errors_are_body_unreadable() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = VerifyWebhookLayer::new(verifier(1024)).layer(echo(calls.clone()));
        let failing = StreamBody::new(futures_util::stream::iter(vec![
            Ok(Frame::data(Bytes::from_static(b"he"))),
            Err(std::io::Error::other("connection reset")),
        ]));
        let res = svc.oneshot(request(failing, b"hello")).await.unwrap();
        assert_eq!(res.status(), 400);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert!(
            body.starts_with(br#"{"error":"body_unreadable""#),
            "{body:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
