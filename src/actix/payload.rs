//! actix-web's payload as the intake reads it.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::stream::Stream;

use crate::intake::{BodyError, BodySource};

/// The request payload, chunk by chunk.
pub(super) struct ActixPayload(pub(super) Payload);

impl BodySource for ActixPayload {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        let item = ready!(Pin::new(&mut self.0).poll_next(cx));
        Poll::Ready(item.map(|chunk| chunk.map_err(payload_error)))
    }
}

fn payload_error(error: PayloadError) -> BodyError {
    match error {
        PayloadError::Overflow => BodyError::TooLarge,
        other => BodyError::Unreadable(Box::new(other)),
    }
}
