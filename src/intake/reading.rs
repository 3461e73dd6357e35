//! [`Reading`]: a delivery's body as it arrives — [`Metered`] (the limit,
//! the budget, the deadline, the minimum rate), hashed, kept.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::buffer::BodyBuffer;
use super::metered::Metered;
use super::{event, BodySource};
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
    pub(super) metered: Metered,
    buffer: BodyBuffer,
}

impl Reading {
    pub(super) fn new(
        verifier: Verifier,
        checked: Checked,
        metered: Metered,
        buffer: BodyBuffer,
    ) -> Self {
        Reading {
            verifier,
            checked,
            stream: None,
            metered,
            buffer,
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
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Err(self.metered.body_error(error)))
                }
                Poll::Pending => {
                    let settings = self.verifier.intake();
                    return self.metered.poll_pace(settings, cx).map(Err);
                }
            }
        }
    }

    /// The verdict on the whole body, and the body: its bytes are no longer
    /// unverified (the budget gets them back either way). A body in several
    /// segments is joined only once it verified: a forgery's segments are
    /// freed as they are, never copied.
    pub(super) fn finish(mut self) -> Result<(Bytes, VerifiedDelivery), Error> {
        let verdict = self.verdict();
        if let Some(started) = self.metered.started() {
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

    /// Holds the chunk to the limit and charges it to the budget
    /// ([`Metered`]), hashes it (from the second chunk on), keeps it.
    fn keep(&mut self, chunk: Bytes) -> Result<(), Error> {
        self.metered.take(chunk.len() as u64)?;
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
}
