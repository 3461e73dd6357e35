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
//! **Your own state.** `Verified<T>` takes its verifier from the router's
//! state through [`FromRef`]: with an `AppState` of your own, add
//! `impl FromRef<AppState> for Verifier { fn from_ref(state: &AppState) -> Verifier { state.verifier.clone() } }`
//! (without it, axum's handler error is an E0277 naming
//! `Verifier: FromRef<AppState>`). `examples/axum_state/main.rs` in the
//! repository is a complete app that does so, run against a real server by
//! the tests.
//!
//! **Serving.** `axum::serve` sets no header-read timeout: a connection that
//! never finishes its headers holds its socket for ever, before a request
//! (and so hookwarden, which limits bodies) exists. Serve with hyper's
//! HTTP/1.1 server and both limits instead; this function is the one
//! `examples/axum_state` serves with (its test checks that a stalled
//! connection is closed and holds its slot until then). It is not a part of
//! the library: which server to run is the app's choice (a reverse proxy in
//! front may set both limits already), and exporting it would make the
//! `axum` feature pull hyper's server into every app.
//!
//! ```rust,no_run
#![doc = include_str!("../examples/axum_state/serve.rs")]
//! ```
//!
//! Call it as `serve(listener, app, Duration::from_secs(10), 1024).await`.
//!
//! [`Ack`]: crate::extract::Ack
//!
#![doc = include_str!("../docs/axum.md")]

use std::fmt;

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum_core::response::{IntoResponse, Response};
use axum_core::RequestExt;
use http::request::Parts;
use http_body::Body as _;

use crate::intake::{Incoming, Received};
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
            // Behind the layer: the body is the verified bytes, read through
            // `T` (and axum's `DefaultBodyLimit`).
            let body = T::from_request(request, state)
                .await
                .map_err(VerifiedRejection::Inner)?;
            return Ok(Verified::upstream(body, delivery));
        }
        let (parts, received) = receive(&Verifier::from_ref(state), request)
            .await
            .map_err(VerifiedRejection::Verification)?;
        Verified::standalone(received, |body| async move {
            T::from_request(Request::from_parts(parts, Body::from(body)), state)
                .await
                .map_err(VerifiedRejection::Inner)
        })
        .await
    }
}

/// Drives the intake with axum's request: its `DefaultBodyLimit` (the
/// `Limited` body's size hint) as an outer limit.
async fn receive(verifier: &Verifier, request: Request) -> Result<(Parts, Received), Error> {
    let peer = crate::tower::peer_of(&request);
    let (parts, body) = request.with_limited_body().into_parts();
    let outer_limit = body.size_hint().upper();
    let incoming = Incoming::new(&parts.headers, &parts.uri)
        .peer(peer)
        .outer_limit(outer_limit);
    let admission = verifier.admit_incoming(incoming)?;
    let received = admission.receive(HttpBody::new(body)).await?;
    Ok((parts, received))
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
        crate::rejection::rejection(self, Error::to_response).map(Body::from)
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
