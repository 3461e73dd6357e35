//! Tower middleware that verifies webhook deliveries before the inner
//! service sees them. Works in axum and in any hyper / tower stack.
//!
//! Per request, [`VerifyWebhook`]:
//!
//! 1. checks the headers (missing, malformed, stale, future) and rejects
//!    without reading a byte of the body;
//! 2. answers 413 straight from a `Content-Length` over the body limit,
//!    without reading the body; the limit also holds while streaming a
//!    chunked body or one whose `Content-Length` lies;
//! 3. reads the body once, feeding each chunk to the HMAC as it arrives and
//!    keeping it (no second pass, nothing pre-allocated from the declared
//!    length);
//! 4. on success calls the inner service with the very same bytes as its body
//!    and the [`Verified`](crate::Verified) metadata in the request
//!    extensions.
//!
//! A rejected request never reaches the inner service. The rejection is
//! built from the shared mapping ([`Error::to_response`](crate::Error::to_response):
//! status, `application/json`, `{"error":"<code>","message":"<text>"}`) unless
//! replaced with [`VerifyWebhookLayer::on_rejection`]; either way the
//! [`Error`](crate::Error) is attached to the response's extensions.
//!
//! The body limit is the verifier's ([`VerifierBuilder::body_limit`],
//! 1 MiB by default).
//!
//! A request rejected before its body was read leaves that body unread, and
//! hyper then closes the connection. A client still sending a large body at
//! that moment may see the connection reset instead of the response (HTTP/1.1
//! has no cure for this short of reading the body, which is what the early
//! rejection avoids); the providers retry on connection errors.
//!
//! [`VerifierBuilder::body_limit`]: crate::VerifierBuilder::body_limit
//!
//! # Example
//!
//! ```
//! use axum::{routing::post, Extension, Router};
//! use bytes::Bytes;
//! use hookguard::{tower::VerifyWebhookLayer, Scheme, Verified, Verifier};
//!
//! async fn handle(Extension(verified): Extension<Verified>, body: Bytes) -> &'static str {
//!     // `body` holds exactly the bytes that were signed.
//!     "ok"
//! }
//!
//! let mittr = Verifier::builder(Scheme::mittr()).secret("mittr-secret").build()?;
//! let mitpo = Verifier::builder(Scheme::mitpo()).secret("whsec_mitpo").build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks/mittr", post(handle).layer(VerifyWebhookLayer::new(mittr)))
//!     .route("/webhooks/mitpo", post(handle).layer(VerifyWebhookLayer::new(mitpo)));
//! # Ok::<(), hookguard::ConfigError>(())
//! ```

mod body;
mod future;
mod layer;
mod rejection;
mod service;

pub use body::{ResponseBody, VerifiedBody};
pub use future::ResponseFuture;
pub use layer::VerifyWebhookLayer;
pub use rejection::{JsonRejection, OnRejection};
pub use service::VerifyWebhook;

#[cfg(feature = "axum")]
pub(crate) use body::{collect_body, content_length};
