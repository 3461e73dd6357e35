//! [`VerifiedDelivery`]: what a successful verification proved.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::SchemeKind;

/// The metadata of a delivery that verified: which scheme, which secret,
/// when it was signed. Produced by [`Verifier::verify`](crate::Verifier::verify)
/// and [`PendingVerification::finish`](crate::PendingVerification::finish);
/// the adapters put it in the request extensions (and it is an extractor
/// there). Not to be confused with the body extractors `axum::Verified<T>`
/// and `actix::Verified<T>`, which carry one of these.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedDelivery {
    pub(crate) scheme: SchemeKind,
    pub(crate) timestamp: u64,
    pub(crate) event_type: Option<String>,
    pub(crate) secret_index: usize,
    pub(crate) body_len: u64,
    /// The 128-bit digest the replay key is made of (only computed with
    /// replay protection on).
    pub(crate) replay_digest: Option<u128>,
}

impl fmt::Debug for VerifiedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedDelivery")
            .field("scheme", &self.scheme)
            .field("timestamp", &self.timestamp)
            .field("unsigned_event_type", &self.event_type)
            .field("secret_index", &self.secret_index)
            .field("body_len", &self.body_len)
            .finish_non_exhaustive()
    }
}

impl VerifiedDelivery {
    /// The scheme that verified.
    pub fn scheme(&self) -> SchemeKind {
        self.scheme
    }

    /// The delivery's timestamp, unix seconds. Signed for Mittr; for MITPO it
    /// is **not** covered by the signature and only passed the freshness check.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The timestamp as a [`SystemTime`], or `None` when it lies beyond what
    /// `SystemTime` can represent (possible with the timestamp check off).
    pub fn signed_at(&self) -> Option<SystemTime> {
        std::time::UNIX_EPOCH.checked_add(Duration::from_secs(self.timestamp))
    }

    /// The event type from the scheme's event header (`X-MITPO-Event`), if
    /// present.
    ///
    /// **Not verified**: MITPO does not sign this header, so anyone who
    /// replays a captured body can put any event type here. Route on the
    /// payload's own `event` field, which is covered by the signature; use
    /// this only for logging or as a hint.
    pub fn unsigned_event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// Which secret matched: its position in the order the secrets were
    /// added to the builder (0 for the first).
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// How many body bytes were verified.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }
}
