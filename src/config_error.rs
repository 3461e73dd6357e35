//! Why a verifier, a signer or a scheme could not be built: the errors of
//! start-up, apart from [`Error`](crate::Error), the errors of a request.

use std::time::Duration;

/// A verifier or signer was configured wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret was given.
    #[error("no secret configured: call `.secret(..)` at least once")]
    NoSecret,
    /// The secret at this position (0-based, in the order given) is empty.
    #[error("secret #{index} is empty; an empty HMAC key proves nothing")]
    EmptySecret {
        /// Position of the empty secret.
        index: usize,
    },
    /// An event type that cannot be sent as a header value.
    #[error("the event type is not a valid header value (visible ASCII only)")]
    InvalidEventType,
    /// Replay protection needs a TTL when the timestamp check is off on
    /// either side: set [`ReplayProtection::ttl`](crate::replay::ReplayProtection::ttl).
    #[error("replay protection needs an explicit TTL when the timestamp check is off")]
    ReplayTtlRequired,
    /// The replay TTL is shorter than past + future tolerance: a replay
    /// could pass after its record expired.
    #[error("the replay TTL must be at least past + future tolerance ({} s)", .minimum.as_secs())]
    ReplayTtlTooShort {
        /// The shortest TTL that is safe.
        minimum: Duration,
    },
    /// A delivery id that cannot be sent as a header value (empty, or not
    /// visible ASCII).
    #[error("the delivery id is empty or not visible ASCII")]
    InvalidDeliveryId,
    /// A timestamp text the scheme would not read (see
    /// [`TimestampFormat`](crate::scheme::TimestampFormat)), or with spaces
    /// around it.
    #[error("the timestamp is not one the scheme reads (unix seconds, milliseconds or RFC 3339, as the scheme says)")]
    InvalidTimestamp,
    /// Both fixed secrets and a per-tenant secret source were given.
    #[error("both `.secret(..)` and `.secret_source(..)` were given: choose one")]
    SecretsAndSource,
    /// A scheme description is inconsistent (see [`SchemeBuilder::build`](crate::scheme::SchemeBuilder::build)).
    #[error("invalid scheme: {reason}")]
    InvalidScheme {
        /// The first inconsistency found.
        reason: &'static str,
    },
    /// The secret at this position cannot be a key of the scheme (not
    /// base64 where the scheme decodes it, a prefix no method takes, …).
    #[error("secret #{index} is not a key of this scheme: {reason}")]
    InvalidSecret {
        /// Position of the secret, in the order given.
        index: usize,
        /// Why, without the secret.
        reason: &'static str,
    },
    /// The secret at this position needs a crate feature that is off
    /// (a `whpk_` key needs `ed25519`).
    #[error("secret #{index} needs hookwarden's `{feature}` feature")]
    FeatureRequired {
        /// Position of the secret.
        index: usize,
        /// The feature to turn on.
        feature: &'static str,
    },
}
