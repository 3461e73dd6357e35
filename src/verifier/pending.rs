//! [`PendingVerification`]: a delivery whose headers passed, fed its body
//! chunk by chunk.

use std::fmt;

use hmac::Mac;

use super::delivery::VerifiedDelivery;
use super::digest::ReplayDigest;
use super::Verifier;
use crate::error::Error;
use crate::mac::{compare, HmacSha256};
use crate::signature::{Candidates, DIGEST_LEN};

/// A delivery whose headers passed; feed it the body, then
/// [`finish`](Self::finish).
///
/// The result does not depend on how the body is split into chunks.
///
/// ```
/// use hookguard::{Scheme, Signer, Verifier};
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
    pub(super) candidates: Candidates,
    pub(super) timestamp: u64,
    pub(super) event_type: Option<String>,
    pub(super) received: u64,
    pub(super) limit: u64,
    pub(super) digest: Option<Box<ReplayDigest>>,
}

impl fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification")
            .field("scheme", &self.verifier.scheme().kind())
            .field("timestamp", &self.timestamp)
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

    /// The delivery's timestamp (already checked for freshness).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The verifier this verification runs under.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Ends the body and gives the verdict.
    ///
    /// # Errors
    /// [`Error::SignatureMismatch`] when no secret signed these bytes.
    pub fn finish(self) -> Result<VerifiedDelivery, Error> {
        let candidates = self.candidates.as_slice();
        let found = self.macs.matching(candidates);
        let replay_digest = self.digest.map(|d| d.finish());
        let verdict = self.verifier.verdict(found, candidates.len())?;
        Ok(VerifiedDelivery {
            scheme: self.verifier.scheme().kind(),
            timestamp: self.timestamp,
            event_type: self.event_type,
            secret_index: verdict,
            body_len: self.received,
            replay_digest,
        })
    }
}

/// One keyed MAC state per secret; the first two live inline so that the
/// common cases (one secret, or two during a rotation) never allocate.
#[derive(Clone)]
pub(super) struct MacSet {
    inline: [Option<HmacSha256>; 2],
    spill: Vec<HmacSha256>,
}

impl MacSet {
    pub(super) fn new(keys: &[HmacSha256]) -> Self {
        let (head, tail) = keys.split_at(keys.len().min(2));
        MacSet {
            inline: [head.first().cloned(), head.get(1).cloned()],
            spill: tail.to_vec(),
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        for mac in self
            .inline
            .iter_mut()
            .flatten()
            .chain(self.spill.iter_mut())
        {
            mac.update(bytes);
        }
    }

    /// Finalizes each MAC and compares it in constant time with every
    /// candidate; returns the index of the first secret that matched.
    fn matching(self, candidates: &[[u8; DIGEST_LEN]]) -> Option<usize> {
        let MacSet { inline, spill } = self;
        let mut found = None;
        let macs = inline.into_iter().flatten().chain(spill);
        for (index, mac) in macs.enumerate() {
            compare(mac, index, candidates, &mut found);
        }
        found
    }
}
