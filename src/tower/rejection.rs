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

/// The default rejection: the shared mapping of [`Error::to_response`]
/// (400 / 401 / 409 / 413, `application/json`,
/// `{"error":"<code>","message":"<text>"}`).
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
