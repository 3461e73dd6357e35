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
/// | 400 | `missing_header`, `malformed_header`, `body_unreadable`, `event_mismatch` |
/// | 401 | `timestamp_too_old`, `timestamp_in_future`, `signature_mismatch` |
/// | 408 | `body_timeout`, `body_too_slow` |
/// | 409 | `replayed` (final), `in_flight` (`Retry-After`) |
/// | 413 | `body_too_large` |
/// | 415 | `unsupported_content_encoding` |
/// | 500 | `not_configured`, `no_verified_delivery`, `replay_not_bound`, `no_replay_key`, `tenant_path_missing`, `invalid_config` |
/// | 503 | `overloaded`, `replay_store_full`, `replay_store_unavailable`, `secret_source_unavailable` (all with `Retry-After`) |
///
/// [`Code`](crate::error::Code) declares each code's status and
/// `Retry-After`; a test checks this table against it.
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
