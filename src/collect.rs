//! Collecting a streamed body while it is verified: each chunk is hashed as
//! it arrives and kept, so the body is read once and handed on unchanged.
//! The bytes kept never exceed the body limit: a chunk that would cross it
//! is rejected before it is kept.

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::verifier::{PendingVerification, Verified};

/// Feeds body chunks to a [`PendingVerification`] and keeps them, so that
/// the verified bytes can be handed to the application afterwards.
///
/// Nothing is pre-allocated from a declared `Content-Length`: memory grows
/// with the bytes actually received, up to the body limit.
#[derive(Debug)]
pub struct BodyCollector {
    pending: PendingVerification,
    kept: Kept,
}

/// The bytes kept so far: a body that arrives in one chunk is kept as is,
/// without a copy or an allocation.
#[derive(Debug, Default)]
enum Kept {
    #[default]
    Nothing,
    One(Bytes),
    Joined(BytesMut),
}

impl BodyCollector {
    /// Starts collecting for a delivery whose headers passed.
    pub fn new(pending: PendingVerification) -> Self {
        BodyCollector {
            pending,
            kept: Kept::Nothing,
        }
    }

    /// Hashes and keeps the next chunk.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`] once the body limit is crossed.
    pub fn push(&mut self, chunk: Bytes) -> Result<(), Error> {
        self.pending.update(&chunk)?;
        if chunk.is_empty() {
            return Ok(());
        }
        self.kept = match std::mem::take(&mut self.kept) {
            Kept::Nothing => Kept::One(chunk),
            Kept::One(first) => {
                // Grows with what actually arrives, never with a declared length.
                let mut joined = BytesMut::with_capacity(2 * (first.len() + chunk.len()));
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&chunk);
                Kept::Joined(joined)
            }
            Kept::Joined(mut joined) => {
                joined.extend_from_slice(&chunk);
                Kept::Joined(joined)
            }
        };
        Ok(())
    }

    /// The verification in progress (body limit, bytes received).
    pub fn pending(&self) -> &PendingVerification {
        &self.pending
    }

    /// Lowers the body limit, for an outer limit such as axum's `DefaultBodyLimit`.
    pub fn limit_body(&mut self, limit: u64) {
        self.pending.limit_body(limit);
    }

    /// Ends the body: the verdict and, when verified, the exact bytes
    /// received (joined without a copy when they came in one chunk).
    ///
    /// # Errors
    /// [`Error::SignatureMismatch`] when no secret signed the bytes.
    pub fn finish(self) -> Result<(Bytes, Verified), Error> {
        let verified = self.pending.finish()?;
        let body = match self.kept {
            Kept::Nothing => Bytes::new(),
            Kept::One(bytes) => bytes,
            Kept::Joined(joined) => joined.freeze(),
        };
        Ok((body, verified))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scheme, Signer, Verifier};

    #[test]
    fn hands_back_the_exact_bytes_in_any_chunking() {
        let body: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let verifier = Verifier::builder(Scheme::mittr())
            .secret("k")
            .build()
            .unwrap();
        let headers = Signer::new(Scheme::mittr(), "k")
            .unwrap()
            .sign_now(&body)
            .to_header_map();
        for size in [1, 100, 4999, 5000, 6000] {
            let mut c = BodyCollector::new(verifier.check_headers(&headers).unwrap());
            for chunk in body.chunks(size) {
                c.push(Bytes::copy_from_slice(chunk)).unwrap();
            }
            c.push(Bytes::new()).unwrap();
            let (bytes, verified) = c.finish().unwrap();
            assert_eq!(bytes, body);
            assert_eq!(verified.body_len(), 5000);
        }
    }

    #[test]
    fn lowered_limit_applies() {
        let verifier = Verifier::builder(Scheme::mitpo())
            .secret("k")
            .build()
            .unwrap();
        let headers = Signer::new(Scheme::mitpo(), "k")
            .unwrap()
            .sign_now(b"abc")
            .to_header_map();
        let mut c = BodyCollector::new(verifier.check_headers(&headers).unwrap());
        c.limit_body(2);
        assert_eq!(
            c.push(Bytes::from_static(b"abc")).unwrap_err(),
            Error::BodyTooLarge { limit: Some(2) }
        );
    }
}
