//! axum extractors: [`Verified<T>`] wraps any body extractor
//! (`Verified<Bytes>`, `Verified<Json<T>>`, `Verified<String>`, …) and runs
//! it only on a verified delivery.
//!
//! Two modes:
//!
//! - **behind [`VerifyWebhookLayer`](crate::tower::VerifyWebhookLayer)**: the
//!   layer already verified the request (its [`crate::Verified`] is in the
//!   request extensions), so the extractor does not verify again;
//! - **standalone**: the extractor verifies, with the [`Verifier`] taken from
//!   the router state through [`FromRef`]. It checks the headers before
//!   reading the body, honours axum's `DefaultBodyLimit` as well as the
//!   verifier's own limit (the smaller wins; 413 straight from
//!   `Content-Length`), and hashes the body as it streams in. With replay
//!   protection it records the delivery at extraction, as it cannot see the
//!   handler's answer: use the layer to have a failed handler's delivery
//!   accepted again on retry.
//!
//! The inner extractor runs only after verification, on the exact bytes
//! received; its own rejection (a JSON syntax error, say) passes through
//! unchanged. The verification metadata is the second field of
//! [`Verified<T>`], and [`crate::Verified`] is itself an extractor for
//! handlers behind the layer.
//!
//! ```
//! use axum::{routing::post, Json, Router};
//! use hookguard::{axum::Verified, Scheme, Verifier};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Event { event: String }
//!
//! async fn handle(Verified(Json(event), info): Verified<Json<Event>>) -> String {
//!     format!("{} verified with secret #{}", event.event, info.secret_index())
//! }
//!
//! let verifier = Verifier::builder(Scheme::mitpo()).secret("whsec_example").build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks/mitpo", post(handle))
//!     .with_state(verifier); // `Verifier: FromRef<Verifier>`; use your own state with `FromRef`
//! # Ok::<(), hookguard::ConfigError>(())
//! ```

use std::fmt;
use std::pin::Pin;

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum_core::response::{IntoResponse, Response};
use axum_core::RequestExt;
use http::request::Parts;
use http_body::Body as _;

use crate::error::trace_rejection;
use crate::tower::{collect_body, content_length};
use crate::{BodyCollector, Error, Verifier};

pub use crate::extract::Verified;

impl<S, T> FromRequest<S> for Verified<T>
where
    T: FromRequest<S> + 'static,
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = VerifiedRejection<T::Rejection>;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(verified) = request.extensions().get::<crate::Verified>().cloned() {
            // Behind the layer: verified already, and the body is the verified bytes.
            let inner = T::from_request(request, state)
                .await
                .map_err(VerifiedRejection::Inner)?;
            return Ok(Verified(inner, verified));
        }
        let verifier = Verifier::from_ref(state);
        let (parts, body, verified) = verify_request(&verifier, request)
            .await
            .map_err(VerifiedRejection::Verification)?;
        if let Some(inner) = crate::extract::bytes_as::<T>(&body) {
            return Ok(Verified(inner, verified));
        }
        let request = Request::from_parts(parts, Body::from(body));
        let inner = T::from_request(request, state)
            .await
            .map_err(VerifiedRejection::Inner)?;
        Ok(Verified(inner, verified))
    }
}

/// Verifies `request` in full: headers first, then the body as it streams in,
/// within the verifier's limit and axum's `DefaultBodyLimit`.
async fn verify_request(
    verifier: &Verifier,
    request: Request,
) -> Result<(Parts, bytes::Bytes, crate::Verified), Error> {
    let scheme = verifier.scheme().kind();
    let route = request.uri().path().to_owned();
    let result = async {
        let pending = verifier.check_headers(request.headers())?;
        let mut collector = BodyCollector::new(pending);
        let (parts, mut body) = request.with_limited_body().into_parts();
        // With a `DefaultBodyLimit` in force the body is `Limited`, whose size
        // hint is capped at that limit: the smaller of the two limits wins.
        if let Some(upper) = body.size_hint().upper() {
            collector.limit_body(upper);
        }
        let limit = collector.pending().body_limit();
        if content_length(&parts.headers).is_some_and(|len| len > limit) {
            return Err(Error::BodyTooLarge { limit: Some(limit) });
        }
        std::future::poll_fn(|cx| collect_body(Pin::new(&mut body), &mut collector, cx)).await?;
        let (bytes, verified) = collector.finish()?;
        // An extractor cannot see the handler's answer: it records the
        // delivery now (the layer reserves, then commits on success).
        verifier.accept(&verified).await?;
        Ok((parts, bytes, verified))
    }
    .await;
    if let Err(error) = &result {
        trace_rejection(error, scheme, &route);
    }
    result
}

/// Rejection of [`Verified<T>`]: the delivery failed verification, or the
/// inner extractor rejected the verified body.
#[non_exhaustive]
pub enum VerifiedRejection<R> {
    /// Verification failed; answered with the shared error mapping.
    Verification(Error),
    /// The inner extractor's own rejection, passed through unchanged.
    Inner(R),
}

impl<R: fmt::Debug> fmt::Debug for VerifiedRejection<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifiedRejection::Verification(e) => f.debug_tuple("Verification").field(e).finish(),
            VerifiedRejection::Inner(r) => f.debug_tuple("Inner").field(r).finish(),
        }
    }
}

impl<R: IntoResponse> IntoResponse for VerifiedRejection<R> {
    fn into_response(self) -> Response {
        match self {
            VerifiedRejection::Verification(error) => error.into_response(),
            VerifiedRejection::Inner(rejection) => rejection.into_response(),
        }
    }
}

/// Answers with the shared mapping ([`Error::to_response`]) and attaches the
/// error to the response's extensions, so handlers can use `?` on it.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = self.to_response().map(Body::from);
        response.extensions_mut().insert(self);
        response
    }
}

/// The metadata of a request verified by
/// [`VerifyWebhookLayer`](crate::tower::VerifyWebhookLayer), for handlers
/// behind the layer. On a route the layer does not protect, rejects with
/// [`Error::NotConfigured`] (500): a configuration mistake, never a pass.
impl<S: Send + Sync> FromRequestParts<S> for crate::Verified {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<crate::Verified>()
            .cloned()
            .ok_or(Error::NotConfigured)
    }
}
