//! [`ReadUnverified`]: the future of
//! [`Verifier::read_unverified`](crate::Verifier::read_unverified) — a body
//! read under the intake's limits, not verified.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use pin_project_lite::pin_project;

use super::buffer::BodyBuffer;
use super::metered::Metered;
use super::BodySource;
use crate::{Error, Verifier};

pin_project! {
    /// The future of [`Verifier::read_unverified`](crate::Verifier::read_unverified):
    /// the body's bytes, or why the intake stopped reading them.
    #[must_use = "futures do nothing unless polled"]
    pub struct ReadUnverified<B> {
        #[pin]
        body: B,
        verifier: Verifier,
        metered: Option<Result<Metered, Error>>,
        buffer: BodyBuffer,
    }
}

impl<B> ReadUnverified<B> {
    pub(super) fn new(
        verifier: Verifier,
        metered: Result<Metered, Error>,
        buffer: BodyBuffer,
        body: B,
    ) -> Self {
        ReadUnverified {
            body,
            verifier,
            metered: Some(metered),
            buffer,
        }
    }
}

impl<B> std::fmt::Debug for ReadUnverified<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadUnverified").finish_non_exhaustive()
    }
}

impl<B: BodySource> Future for ReadUnverified<B> {
    type Output = Result<Bytes, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let metered = match this.metered {
            Some(Ok(metered)) => metered,
            Some(Err(_)) => match this.metered.take() {
                Some(Err(error)) => return Poll::Ready(Err(error)),
                _ => unreachable!("matched just above"),
            },
            None => panic!("ReadUnverified polled after completion"),
        };
        let outcome = loop {
            match this.body.as_mut().poll_chunk(cx) {
                Poll::Ready(None) => break Ok(std::mem::take(this.buffer).into_bytes()),
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Err(error) = metered.take(chunk.len() as u64) {
                        break Err(error);
                    }
                    if !chunk.is_empty() {
                        this.buffer.push(chunk);
                    }
                }
                Poll::Ready(Some(Err(error))) => break Err(metered.body_error(error)),
                Poll::Pending => match metered.poll_pace(this.verifier.intake(), cx) {
                    Poll::Ready(error) => break Err(error),
                    Poll::Pending => return Poll::Pending,
                },
            }
        };
        *this.metered = None; // gives the bytes back to the budget
        Poll::Ready(outcome)
    }
}
