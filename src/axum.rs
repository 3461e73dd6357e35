//! axum extractors: [`Verified<T>`] wraps any body extractor
//! (`Verified<Bytes>`, `Verified<Json<T>>`, `Verified<String>`, …) and runs
//! it only on a verified delivery.
//!
//! Two modes:
//!
//! - **behind [`VerifyWebhookLayer`](crate::tower::VerifyWebhookLayer)**: the
//!   layer already verified the request (its [`VerifiedDelivery`] is in the
//!   request extensions) and settles its replay lease by the response's
//!   status, so the extractor neither verifies again nor has anything to
//!   acknowledge;
//! - **standalone**: the extractor drives the [intake](crate::intake) itself,
//!   with the [`Verifier`] taken from the router state through [`FromRef`]:
//!   headers before the body, axum's `DefaultBodyLimit` as well as the
//!   verifier's own limit (the smaller wins; 413 straight from
//!   `Content-Length`), the read deadline and the unverified-byte budget,
//!   the body hashed as it streams in. With replay protection it holds the
//!   delivery's lease until the handler settles the [`Ack`]: commit it once
//!   the delivery is processed; dropped unsettled (an error, a panic), the
//!   delivery is released so that the provider's retry is processed.
//!
//! The inner extractor runs only after verification, on the exact bytes
//! received; its own rejection (a JSON syntax error, say) passes through
//! unchanged (and releases the delivery). Nothing is ever decoded: a
//! delivery with a `Content-Encoding` other than `identity` is refused with
//! 415 `unsupported_content_encoding` before its body is read, in both modes,
//! so `Verified<Json<T>>` parses exactly the bytes that were verified. [`VerifiedDelivery`] is itself an
//! extractor for handlers behind the layer.
//!
//! ```
//! use axum::{http::StatusCode, routing::post, Json, Router};
//! use hookwarden::replay::ReplayProtection;
//! use hookwarden::{axum::Verified, Scheme, Verifier};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Event { event: String }
//!
//! async fn handle(Verified { body: Json(event), delivery, ack }: Verified<Json<Event>>) -> StatusCode {
//!     println!("{} verified with secret #{}", event.event, delivery.secret_index());
//!     ack.commit().await; // processed: copies now get 409 `replayed`
//!     StatusCode::OK
//! }
//!
//! let verifier = Verifier::builder(Scheme::mitpo())
//!     .secret("whsec_example")
//!     .replay_protection(ReplayProtection::in_memory())
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks/mitpo", post(handle))
//!     .with_state(verifier); // `Verifier: FromRef<Verifier>`; use your own state with `FromRef`
//! # Ok::<(), hookwarden::ConfigError>(())
//! ```
//!
//! [`Ack`]: crate::extract::Ack

use std::fmt;

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum_core::response::{IntoResponse, Response};
use axum_core::RequestExt;
use http::request::Parts;
use http_body::Body as _;

use crate::extract::{bytes_as, Ack};
use crate::intake::Accepted;
use crate::tower::HttpBody;
use crate::{Error, VerifiedDelivery, Verifier};

pub use crate::extract::Verified;

#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S, T> FromRequest<S> for Verified<T>
where
    T: FromRequest<S> + 'static,
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = VerifiedRejection<T::Rejection>;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(delivery) = request.extensions().get::<VerifiedDelivery>().cloned() {
            // Behind the layer: verified already, the body is the verified
            // bytes (read through `T`, and axum's `DefaultBodyLimit`), and
            // the layer settles the lease by the response.
            let body = T::from_request(request, state)
                .await
                .map_err(VerifiedRejection::Inner)?;
            return Ok(Verified::new(body, delivery, Ack::none()));
        }
        let (parts, accepted) = receive(&Verifier::from_ref(state), request)
            .await
            .map_err(VerifiedRejection::Verification)?;
        let Accepted {
            body,
            delivery,
            lease,
            ..
        } = accepted;
        // Settled by the handler; released if the inner extractor fails.
        let ack = Ack::new(lease);
        if let Some(value) = bytes_as::<T>(&body) {
            return Ok(Verified::new(value, delivery, ack));
        }
        let value = T::from_request(Request::from_parts(parts, Body::from(body)), state)
            .await
            .map_err(VerifiedRejection::Inner)?;
        Ok(Verified::new(value, delivery, ack))
    }
}

/// Drives the intake with axum's request: its `DefaultBodyLimit` (the
/// `Limited` body's size hint) as an outer limit.
async fn receive(verifier: &Verifier, request: Request) -> Result<(Parts, Accepted), Error> {
    let (parts, body) = request.with_limited_body().into_parts();
    let outer_limit = body.size_hint().upper();
    let admitted = verifier.admit_within(&parts.headers, &parts.uri, outer_limit)?;
    let accepted = admitted.receive(HttpBody::new(body)).await?;
    Ok((parts, accepted))
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
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
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
/// [`Error::NoVerifiedDelivery`] (500): a configuration mistake, never a pass.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> FromRequestParts<S> for VerifiedDelivery {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedDelivery>()
            .cloned()
            .ok_or(Error::NoVerifiedDelivery)
    }
}
