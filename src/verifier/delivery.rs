//! [`VerifiedDelivery`]: what a successful verification proved.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

/// The metadata of a delivery that verified: which scheme, which secret,
/// when it was signed. Produced by [`Verifier::verify`](crate::Verifier::verify)
/// and [`PendingVerification::finish`](crate::PendingVerification::finish);
/// the adapters put it in the request extensions (and it is an extractor
/// there). Not to be confused with the body extractors `axum::Verified<T>`
/// and `actix::Verified<T>`, which carry one of these.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedDelivery {
    pub(crate) scheme: Cow<'static, str>,
    pub(crate) timestamp: Option<u64>,
    pub(crate) event_type: Option<String>,
    pub(crate) delivery_id: Option<String>,
    pub(crate) delivery_id_signed: bool,
    pub(crate) tenant: Option<String>,
    pub(crate) secret_index: usize,
    pub(crate) body_len: u64,
    /// The 128-bit digest the replay key is made of (only computed with
    /// replay protection on).
    pub(crate) replay_digest: Option<u128>,
    /// The lease it is processed under, once claimed.
    #[cfg(feature = "runtime")]
    pub(crate) fence: Option<crate::replay::Fence>,
}

impl fmt::Debug for VerifiedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedDelivery")
            .field("scheme", &self.scheme)
            .field("timestamp", &self.timestamp)
            .field("unsigned_event_type", &self.event_type)
            .field("delivery_id", &self.delivery_id)
            .field("tenant", &self.tenant)
            .field("secret_index", &self.secret_index)
            .field("body_len", &self.body_len)
            .finish_non_exhaustive()
    }
}

impl VerifiedDelivery {
    /// The name of the scheme that verified (`mittr`, `stripe`, …).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The delivery's timestamp, unix seconds; `None` for schemes without
    /// one (GitHub, Shopify). Signed by most schemes; for MITPO it is **not**
    /// covered by the signature and only passed the freshness check.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The timestamp as a [`SystemTime`], or `None` without a timestamp or
    /// when it lies beyond what `SystemTime` can represent (possible with
    /// the timestamp check off).
    pub fn signed_at(&self) -> Option<SystemTime> {
        std::time::UNIX_EPOCH.checked_add(Duration::from_secs(self.timestamp?))
    }

    /// The delivery id from the scheme's id header, if it has one and it was
    /// sent: Standard Webhooks' `webhook-id` (signed), GitHub's
    /// `X-GitHub-Delivery` and Shopify's `X-Shopify-Webhook-Id` (**not**
    /// signed: see [`delivery_id_is_signed`](Self::delivery_id_is_signed)).
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// The tenant whose secret verified, with a per-tenant
    /// [`SecretSource`](crate::tenant::SecretSource).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// Whether the delivery id is covered by the signature. An unsigned id
    /// can be changed by anyone who replays a captured delivery: use it for
    /// logs, not to deduplicate.
    pub fn delivery_id_is_signed(&self) -> bool {
        self.delivery_id_signed
    }

    /// The event type from the scheme's event header (`X-MITPO-Event`,
    /// `X-GitHub-Event`, `X-Shopify-Topic`), if present.
    ///
    /// **Not verified**: no scheme signs this header, so anyone who
    /// replays a captured body can put any event type here. Route on the
    /// payload's own event field, which is covered by the signature; use
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

    /// The identity of the replay lease this delivery is processed under,
    /// for a handler that records it as processed in its own transaction
    /// (see [`Fence`](crate::replay::Fence)). Set behind every adapter
    /// once the delivery's key was claimed; `None` without replay
    /// protection, when failing open with the store down, and on a delivery
    /// from [`Verifier::verify`](crate::Verifier::verify), which never
    /// claims.
    #[cfg(feature = "runtime")]
    pub fn fence(&self) -> Option<&crate::replay::Fence> {
        self.fence.as_ref()
    }
}
