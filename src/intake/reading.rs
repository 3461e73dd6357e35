//! [`Reading`]: a delivery's body as it arrives — held to the limit, charged
//! to the budget, hashed, kept — within the read deadline.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;

use super::budget::Charge;
use super::buffer::BodyBuffer;
use super::{event, BodyError, BodySource};
use crate::time::Sleep;
use crate::verifier::Checked;
use crate::{Error, PendingVerification, VerifiedDelivery, Verifier};

/// The body being read.
pub(super) struct Reading {
    pub(super) verifier: Verifier,
    /// The headers' findings, until the body is hashed: a body that comes
    /// in one chunk is hashed in one pass at its end (as `verify` does); a
    /// second chunk starts the running MACs (and takes them).
    checked: Checked,
    /// Boxed: most bodies come in one chunk and never need it.
    stream: Option<Box<PendingVerification>>,
    pub(super) limit: u64,
    received: u64,
    buffer: BodyBuffer,
    charge: Charge,
    /// When the headers were accepted, as far as it was read: for the
    /// verification-time histogram, or once the body makes us wait.
    started: Option<Instant>,
    sleep: Option<Sleep>,
}

impl Reading {
    pub(super) fn new(
        verifier: Verifier,
        checked: Checked,
        limit: u64,
        buffer: BodyBuffer,
        charge: Charge,
    ) -> Self {
        let started = cfg!(feature = "metrics").then(|| verifier.intake().timer.now());
        Reading {
            verifier,
            checked,
            stream: None,
            limit,
            received: 0,
            buffer,
            charge,
            started,
            sleep: None,
        }
    }

    /// Reads until the body ends (or fails, or its deadline passes).
    pub(super) fn poll_read<B: BodySource>(
        &mut self,
        mut body: Pin<&mut B>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        loop {
            match body.as_mut().poll_chunk(cx) {
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Ok(chunk))) => self.keep(chunk)?,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(self.body_error(error))),
                Poll::Pending => return self.poll_deadline(cx),
            }
        }
    }

    /// The verdict on the whole body, and the body: its bytes are no longer
    /// unverified (the budget gets them back either way). A body in several
    /// segments is joined only once it verified: a forgery's segments are
    /// freed as they are, never copied.
    pub(super) fn finish(mut self) -> Result<(Bytes, VerifiedDelivery), Error> {
        let verdict = self.verdict();
        if let Some(started) = self.started {
            let now = self.verifier.intake().timer.now();
            event::verified(&self.verifier, now.saturating_duration_since(started));
        }
        let delivery = verdict?;
        Ok((self.buffer.into_bytes(), delivery))
    }

    fn verdict(&mut self) -> Result<VerifiedDelivery, Error> {
        if let Some(stream) = self.stream.take() {
            // The segments are joined only if the signature verified, and
            // only for a key read from the body (they are joined for the
            // handler anyway).
            let buffer = &mut self.buffer;
            return stream.finish_with_body(move || buffer.join());
        }
        let whole = self.buffer.single().map_or(&[][..], |b| b.as_ref());
        self.verifier.verdict_whole(&mut self.checked, whole)
    }

    /// Holds the chunk to the limit, charges it to the budget, hashes it
    /// (from the second chunk on), keeps it.
    fn keep(&mut self, chunk: Bytes) -> Result<(), Error> {
        let received = self.received.saturating_add(chunk.len() as u64);
        if received > self.limit {
            return Err(Error::BodyTooLarge {
                limit: Some(self.limit),
            });
        }
        if !self.charge.add(chunk.len() as u64) {
            return Err(Error::Overloaded {
                budget: self.charge.budget().limit(),
            });
        }
        self.received = received;
        if chunk.is_empty() {
            return Ok(());
        }
        self.hash(&chunk)?;
        self.buffer.push(chunk);
        Ok(())
    }

    /// Feeds the running MACs, starting them (with the first chunk) at the
    /// second chunk.
    fn hash(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.stream.is_none() {
            let Some(first) = self.buffer.single() else {
                return Ok(()); // the first chunk: hashed at the end if it stays alone
            };
            let checked = std::mem::replace(&mut self.checked, Checked::new());
            let mut stream = Box::new(self.verifier.start_stream(checked));
            stream.update(first)?;
            self.stream = Some(stream);
        }
        match &mut self.stream {
            Some(stream) => stream.update(chunk),
            None => Ok(()),
        }
    }

    /// Pending while the deadline is ahead; the timeout once it passed. The
    /// timer is only armed when the body first makes us wait; a deadline
    /// too far to be represented (`Duration::MAX`) is no deadline.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let settings = self.verifier.intake();
        let started = *self.started.get_or_insert_with(|| settings.timer.now());
        let deadline = settings.read_deadline;
        let Some(at) = started.checked_add(deadline) else {
            return Poll::Pending; // the body's own waker wakes us
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| settings.timer.sleep_until(at));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::BodyTimeout { deadline })),
            Poll::Pending => Poll::Pending,
        }
    }

    fn body_error(&self, error: BodyError) -> Error {
        match error {
            BodyError::TooLarge => Error::BodyTooLarge {
                limit: Some(self.limit),
            },
            BodyError::Unreadable(source) => Error::BodyUnreadable {
                reason: source.to_string(),
                source: Some(crate::error::Cause::from_boxed(source)),
            },
        }
    }
}
