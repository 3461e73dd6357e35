//! Secure by default where the signature covers no timestamp (MITPO, whose
//! timestamp and event header are unsigned; GitHub and Shopify, which send
//! none): without a record of processed deliveries a captured one can be
//! re-sent at will. Such a verifier built without replay protection gets
//! the in-memory kind (feature `runtime`), unless the user opted out; where
//! none can be had (no `runtime`), it says so once, as a `tracing` warning
//! at build time.

use crate::scheme::Scheme;

/// Whether a verifier of `scheme` gets replay protection when none is set:
/// when its signature covers no timestamp.
fn protected_by_default(scheme: &Scheme) -> bool {
    !scheme.signs_timestamp()
}

/// The replay protection a verifier gets when none was set and the user
/// did not opt out: in memory, records kept
/// [`DEFAULT_MITPO_RECORD_TTL`](crate::replay::DEFAULT_MITPO_RECORD_TTL)
/// (or past + future tolerance, if longer).
#[cfg(feature = "runtime")]
pub(super) fn replay(
    scheme: &Scheme,
    tolerance: crate::time::Tolerance,
    opted_out: bool,
) -> Option<crate::replay::ReplayProtection> {
    if opted_out || !protected_by_default(scheme) {
        return None;
    }
    let window = match (tolerance.past, tolerance.future) {
        (Some(past), Some(future)) => past.saturating_add(future),
        _ => std::time::Duration::ZERO,
    };
    let ttl = crate::replay::DEFAULT_MITPO_RECORD_TTL.max(window);
    Some(crate::replay::ReplayProtection::in_memory().ttl(ttl))
}

/// Without the `runtime` feature there is no replay store: says so, once
/// per verifier built, unless the user opted out.
#[cfg(not(feature = "runtime"))]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(super) fn warn_if_unprotected(scheme: &Scheme, name: &str, opted_out: bool) {
    let unprotected = !opted_out && protected_by_default(scheme);
    #[cfg(feature = "tracing")]
    if unprotected {
        tracing::warn!(
            verifier = name,
            scheme = scheme.name(),
            "this verifier has no replay protection (hookwarden's `runtime` feature is \
             off): the scheme's signature covers no timestamp, so a captured delivery can \
             be re-sent at will; turn on `runtime` for the default in-memory store, or \
             call `.without_replay_protection()` if the application refuses replays itself"
        );
    }
}
