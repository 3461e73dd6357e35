//! [`PendingVerification`]: a delivery whose headers passed, fed its body
//! chunk by chunk.

use std::fmt;

use super::check::Checked;
use super::delivery::VerifiedDelivery;
use super::digest::ReplayDigest;
use super::Verifier;
use crate::error::Error;
use crate::key::{Key, Running};
use crate::signature::Candidate;

/// A delivery whose headers passed; feed it the body, then
/// [`finish`](Self::finish).
///
/// The result does not depend on how the body is split into chunks.
///
/// ```
/// use hookwarden::{Scheme, Signer, Verifier};
///
/// let verifier = Verifier::builder(Scheme::mitpo()).secret("whsec_abc").build()?;
/// let headers = Signer::new(Scheme::mitpo(), "whsec_abc")?.sign_now(b"hello world").to_header_map();
///
/// let mut pending = verifier.check_headers(&headers)?; // before reading the body
/// pending.update(b"hello ")?;
/// pending.update(b"world")?;
/// let delivery = pending.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PendingVerification {
    pub(super) verifier: Verifier,
    pub(super) macs: MacSet,
    pub(super) checked: Checked,
    pub(super) received: u64,
    pub(super) limit: u64,
    pub(super) digest: Option<Box<ReplayDigest>>,
}

impl fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification")
            .field("scheme", &self.verifier.scheme().name())
            .field("timestamp", &self.checked.timestamp)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl PendingVerification {
    /// Feeds the next chunk of the raw body.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`] once more than the body limit has been fed;
    /// the chunk that crosses it is not hashed.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let limit = self.limit;
        let received = self.received.saturating_add(chunk.len() as u64);
        if received > limit {
            return Err(Error::BodyTooLarge { limit: Some(limit) });
        }
        self.received = received;
        self.macs.update(chunk);
        if let Some(digest) = &mut self.digest {
            digest.update(chunk);
        }
        Ok(())
    }

    /// Bytes of body fed so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The body limit in force, in bytes.
    pub fn body_limit(&self) -> u64 {
        self.limit
    }

    /// Lowers the body limit for this delivery (never raises it), for an
    /// outer limit such as a framework's own.
    pub fn limit_body(&mut self, limit: u64) {
        self.limit = self.limit.min(limit);
    }

    /// The delivery's timestamp (already checked for freshness), for
    /// schemes that have one.
    pub fn timestamp(&self) -> Option<u64> {
        self.checked.timestamp
    }

    /// The verifier this verification runs under.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Ends the body and gives the verdict.
    ///
    /// With a JSON field as the replay basis
    /// ([`ReplayBasis::JsonPointer`](crate::scheme::ReplayBasis::JsonPointer)),
    /// the body is not at hand here: the delivery is keyed by its signed
    /// message (counted as a fallback). The intake, and every adapter,
    /// hold the body and key it by its field.
    ///
    /// # Errors
    /// [`Error::SignatureMismatch`] when no secret signed these bytes.
    pub fn finish(self) -> Result<VerifiedDelivery, Error> {
        self.finish_keyed(None::<fn() -> &'static [u8]>)
    }

    /// As [`finish`](Self::finish), with the whole body (read only once the
    /// signature verified, and only for a JSON field's key).
    #[cfg(feature = "runtime")]
    pub(crate) fn finish_with_body<'b>(
        self,
        body: impl FnOnce() -> &'b [u8],
    ) -> Result<VerifiedDelivery, Error> {
        self.finish_keyed(Some(body))
    }

    fn finish_keyed<'b>(
        self,
        body: Option<impl FnOnce() -> &'b [u8]>,
    ) -> Result<VerifiedDelivery, Error> {
        let found = self.macs.matching(self.checked.candidates.as_slice());
        let found = self.verifier.known(&self.checked, found);
        let secrets = self.verifier.keys(&self.checked).len();
        let secret_index =
            self.verifier
                .verdict(found, self.checked.candidates.labeled, secrets)?;
        let replay_digest = self.digest.map(|d| d.finish());
        #[cfg(feature = "runtime")]
        let replay_digest = match (self.verifier.scheme().replay_basis(), replay_digest) {
            (crate::scheme::ReplayBasis::JsonPointer(pointer), Some(message)) => Some(match body {
                Some(body) => self
                    .verifier
                    .field_digest(pointer, body())
                    .unwrap_or(message),
                None => {
                    self.verifier
                        .key_fallback("the body was streamed, not held");
                    message
                }
            }),
            (_, digest) => digest,
        };
        #[cfg(not(feature = "runtime"))]
        let _ = body.map(|_| ());
        let (verifier, mut checked) = (self.verifier, self.checked);
        Ok(verifier.delivery(&mut checked, secret_index, self.received, replay_digest))
    }
}

/// One running state per key; the first two live inline so that the
/// common cases (one secret, or two during a rotation) never allocate.
pub(super) struct MacSet {
    inline: [Option<Running>; 2],
    spill: Vec<Running>,
}

impl MacSet {
    pub(super) fn new(keys: &[Key], candidates: &[Candidate]) -> Self {
        let mut states = keys.iter().map(|k| k.start(candidates));
        let inline = [states.next(), states.next()];
        MacSet {
            inline,
            spill: states.collect(),
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        for state in self
            .inline
            .iter_mut()
            .flatten()
            .chain(self.spill.iter_mut())
        {
            state.update(bytes);
        }
    }

    /// Finalizes each state and compares it in constant time with every
    /// candidate; returns the index of the first key that matched.
    fn matching(self, candidates: &[Candidate]) -> Option<usize> {
        let MacSet { inline, spill } = self;
        let mut found = None;
        let states = inline.into_iter().flatten().chain(spill);
        for (index, state) in states.enumerate() {
            if state.matches(candidates) && found.is_none() {
                found = Some(index);
            }
        }
        found
    }
}
