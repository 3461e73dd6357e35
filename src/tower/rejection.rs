//! The response sent for a rejected delivery, replaceable by the user.

use bytes::Bytes;
use http::Response;

use crate::Error;

/// Builds the response for a rejected delivery.
///
/// Implemented by [`JsonRejection`] (the default) and by any
/// `Fn(&Error) -> http::Response<Bytes> + Clone`. The [`Error`] is attached to
/// the response's extensions afterwards, whatever this returns.
pub trait OnRejection: Clone {
    /// The response for `error`.
    fn on_rejection(&self, error: &Error) -> Response<Bytes>;
}

/// The default rejection: the shared mapping of [`Error::to_response`],
/// `application/json`, `{"error":"<code>","message":"<text>"}`, with
/// `Retry-After` on the retryable answers:
///
/// | status | codes |
/// |---|---|
/// | 400 | `missing_header`, `malformed_header`, `body_unreadable` |
/// | 401 | `timestamp_too_old`, `timestamp_in_future`, `signature_mismatch` |
/// | 408 | `body_timeout` |
/// | 409 | `replayed` (final), `in_flight` (`Retry-After`) |
/// | 413 | `body_too_large` |
/// | 415 | `unsupported_content_encoding` |
/// | 500 | `not_configured` |
/// | 503 | `overloaded`, `replay_store_full`, `replay_store_unavailable`, `secret_source_unavailable` (`Retry-After`) |
///
/// [`Error::status`] is the authority: a future error code keeps its status
/// there.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonRejection;

impl OnRejection for JsonRejection {
    fn on_rejection(&self, error: &Error) -> Response<Bytes> {
        error.to_response()
    }
}

impl<F> OnRejection for F
where
    F: Fn(&Error) -> Response<Bytes> + Clone,
{
    fn on_rejection(&self, error: &Error) -> Response<Bytes> {
        self(error)
    }
}
