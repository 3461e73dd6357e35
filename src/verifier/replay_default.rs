//! Secure by default, whatever the scheme: a verifier built without any
//! replay setting gets in-memory replay protection (feature `runtime`),
//! unless the user opted out, so that every adapter refuses an exact copy
//! of a delivery it processed. Its store makes room when full instead of
//! answering 503; what it protects and what it does not is said in one
//! place, [`crate::replay`]'s "The default". Where no store can be had (no
//! `runtime`), the verifier says so once, as a `tracing` warning at build
//! time.

use crate::scheme::Scheme;
#[cfg(feature = "runtime")]
use crate::time::Tolerance;
#[cfg(feature = "runtime")]
use std::time::Duration;

/// How long the default keeps a processed delivery's record. With the
/// signed message as the key and the timestamp signed: as long as a copy
/// could still pass the freshness check (past + future tolerance, and a
/// second). Otherwise — keys that a re-signed retry shares (the body, a
/// signed delivery id, a JSON field), or a timestamp unsigned (MITPO),
/// absent (GitHub, Shopify) or unchecked — the scheme's
/// [`replay_record_ttl`](Scheme::replay_record_ttl), the provider's retry
/// horizon (or the window and a second, if longer).
#[cfg(feature = "runtime")]
fn record_ttl(scheme: &Scheme, tolerance: Tolerance) -> Duration {
    let window = window_and_a_second(tolerance);
    match window {
        Some(window) if keyed_by_message(scheme) && scheme.signs_timestamp() => window,
        window => scheme.replay_record_ttl().max(window.unwrap_or_default()),
    }
}

/// Whether replay keys are the signed message.
#[cfg(feature = "runtime")]
fn keyed_by_message(scheme: &Scheme) -> bool {
    *scheme.replay_basis() == crate::scheme::ReplayBasis::Message
}

/// The default lifetime of a store set explicitly, when the scheme's keys
/// are not the signed message: the retry horizon
/// ([`ReplayProtection::resolve`](crate::replay::ReplayProtection) keeps
/// the window and a second for message keys).
#[cfg(feature = "runtime")]
pub(super) fn retry_horizon(scheme: &Scheme) -> Option<Duration> {
    (!keyed_by_message(scheme)).then(|| scheme.replay_record_ttl())
}

/// Past + future tolerance and a second: freshness compares whole
/// seconds, edges included, so a copy passes for up to that long after
/// the earliest moment it could arrive. `None` when either side is unchecked.
#[cfg(feature = "runtime")]
fn window_and_a_second(tolerance: Tolerance) -> Option<Duration> {
    match (tolerance.past, tolerance.future) {
        (Some(past), Some(future)) => Some(
            past.saturating_add(future)
                .saturating_add(Duration::from_secs(1)),
        ),
        _ => None,
    }
}

/// The replay protection a verifier gets when none was set and the user
/// did not opt out: a [`MemoryStore`](crate::replay::MemoryStore) of
/// [`DEFAULT_CAPACITY`](crate::replay::DEFAULT_CAPACITY) records that
/// forgets its oldest processed records when full
/// ([`WhenFull::EvictOldest`](crate::replay::WhenFull::EvictOldest)),
/// one tenant's keys at most its default share, a quarter
/// ([`MemoryStore::tenant_share`](crate::replay::MemoryStore::tenant_share)),
/// records kept [`record_ttl`].
#[cfg(feature = "runtime")]
pub(super) fn replay(
    scheme: &Scheme,
    tolerance: Tolerance,
    opted_out: bool,
    clock: &std::sync::Arc<dyn crate::time::Clock>,
) -> Option<crate::replay::ReplayProtection> {
    use crate::replay::{MemoryStore, ReplayProtection, WhenFull, DEFAULT_CAPACITY};
    if opted_out {
        return None;
    }
    // Records age on the clock the freshness check reads: with a fixed or
    // lagging clock (an archived delivery checked at its arrival time), a
    // copy stays fresh as long as that clock says so, and so does its record.
    let clock = clock.clone();
    // The default share (a quarter) applies: one tenant's flood forgets
    // its own records, never another's.
    let store = MemoryStore::new(DEFAULT_CAPACITY)
        .when_full(WhenFull::EvictOldest)
        .clock(move || clock.now());
    Some(ReplayProtection::new(store).record_ttl(record_ttl(scheme, tolerance)))
}

/// Without the `runtime` feature there is no replay store: says so, once
/// per verifier built, unless the user opted out.
#[cfg(not(feature = "runtime"))]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(super) fn warn_if_unprotected(scheme: &Scheme, name: &str, opted_out: bool) {
    #[cfg(feature = "tracing")]
    if !opted_out {
        let exposure = if scheme.signs_timestamp() {
            "a captured delivery can be re-sent as long as its timestamp is fresh"
        } else {
            "the scheme's signature covers no timestamp, so a captured delivery can be \
             re-sent at will"
        };
        tracing::warn!(
            verifier = name,
            scheme = scheme.name(),
            "this verifier has no replay protection (hookwarden's `runtime` feature is \
             off): {exposure}; turn on `runtime` for the default in-memory store, or call \
             `.without_replay_protection()` if the application refuses replays itself"
        );
    }
}
