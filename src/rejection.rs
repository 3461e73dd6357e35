//! The one way a rejection becomes a response, for every adapter: the
//! response built for the error (the shared mapping, or the user's own
//! through the tower layer's `on_rejection`), carrying the [`Error`] in its
//! extensions so that outer layers and tests can read it. Each adapter only
//! translates the result into its framework's response type.

use bytes::Bytes;

use crate::Error;

/// `build`'s response for `error`, with the error in its extensions.
pub(crate) fn rejection(
    error: Error,
    build: impl FnOnce(&Error) -> http::Response<Bytes>,
) -> http::Response<Bytes> {
    let mut response = build(&error);
    response.extensions_mut().insert(error);
    response
}
