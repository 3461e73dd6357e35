//! Tower middleware that verifies webhook deliveries before the inner
//! service sees them. Works in axum and in any hyper / tower stack.
//!
//! [`VerifyWebhook`] drives the [intake](crate::intake) for each request:
//!
//! 1. the headers are checked (encoding, missing, malformed, stale, future)
//!    and a `Content-Length` over the body limit answered 413, over what is
//!    left of the unverified-byte budget 503 — without reading a byte of
//!    the body;
//! 2. the body is read once, within the limit, the budget and the read
//!    deadline (408), each chunk hashed as it arrives and kept; an outer
//!    limit in front of the layer (an `http_body_util::Limited` body, as
//!    tower-http's `RequestBodyLimitLayer` makes) is honoured too: crossed,
//!    it answers 413 `body_too_large` (axum's `DefaultBodyLimit` limits
//!    extractors, not layers: the standalone `Verified<T>` honours it);
//! 3. on a valid signature, with replay protection, the delivery's key is
//!    claimed (409 `replayed` or `in_flight` otherwise);
//! 4. the inner service is called with the very same bytes as its body and
//!    the [`VerifiedDelivery`](crate::VerifiedDelivery) in the request
//!    extensions, while the replay lease is renewed;
//! 5. the lease is committed when the inner service answers 2xx, released
//!    otherwise — and released when the request is dropped (a panic, a
//!    client gone), so that the provider's retry is processed.
//!
//! Steps 1 to 5 are the intake's ([`Verifier::admit`](crate::Verifier::admit)
//! and [`Admission::handle`](crate::intake::Admission::handle), with
//! [`Outcome`](crate::intake::Outcome) deciding what "processed" means); the
//! layer only moves hyper's request in and the answer out.
//!
//! Compressed bodies: hookwarden verifies and hands over the bytes exactly as
//! sent and never decodes them. A request with a `Content-Encoding` other
//! than `identity` is refused with 415 `unsupported_content_encoding` before
//! its body is read, so the inner service always gets exactly the bytes that
//! were verified (put no request-decompression layer in front of this one).
//!
//! A rejected request never reaches the inner service. The rejection is
//! built from the shared mapping ([`Error::to_response`](crate::Error::to_response):
//! status, `application/json`, `{"error":"<code>","message":"<text>"}`,
//! `Retry-After` where retrying helps) unless replaced with
//! [`VerifyWebhookLayer::on_rejection`]; either way the
//! [`Error`](crate::Error) is attached to the response's extensions.
//!
//! A request rejected before its body was read leaves that body unread, and
//! hyper then closes the connection. A client still sending a large body at
//! that moment may see the connection reset instead of the response (HTTP/1.1
//! has no cure for this short of reading the body, which is what the early
//! rejection avoids); the providers retry on connection errors.
//!
//! # Example
//!
//! ```
//! use axum::{routing::post, Extension, Router};
//! use bytes::Bytes;
//! use hookwarden::{tower::VerifyWebhookLayer, Scheme, VerifiedDelivery, Verifier};
//!
//! async fn handle(Extension(delivery): Extension<VerifiedDelivery>, body: Bytes) -> &'static str {
//!     // `body` holds exactly the bytes that were signed.
//!     "ok"
//! }
//!
//! let mittr = Verifier::builder(Scheme::mittr()).secret("mittr-secret").build()?;
//! let mitpo = Verifier::builder(Scheme::mitpo()).secret("whsec_mitpo").build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks/mittr", post(handle).layer(VerifyWebhookLayer::new(mittr)))
//!     .route("/webhooks/mitpo", post(handle).layer(VerifyWebhookLayer::new(mitpo)));
//! # Ok::<(), hookwarden::ConfigError>(())
//! ```

mod body;
mod future;
mod layer;
mod rejection;
mod service;

pub use body::{HttpBody, ResponseBody, VerifiedBody};
pub use future::ResponseFuture;
pub use layer::VerifyWebhookLayer;
pub use rejection::{JsonRejection, OnRejection};
#[cfg(feature = "axum")]
pub(crate) use service::peer_of;
pub use service::VerifyWebhook;
