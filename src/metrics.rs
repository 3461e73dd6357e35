//! Metrics, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): install any recorder (Prometheus, OpenTelemetry, …) and these
//! appear. Without the feature every call here compiles to nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `hookwarden_deliveries_total` | counter | `verifier`, `scheme`, `outcome` | deliveries by outcome: `accepted`, or the rejection's code (one label per code of [`error::Code`](crate::error::Code), each registered with the verifier's first delivery) |
//! | `hookwarden_verification_seconds` | histogram | `verifier`, `scheme` | from the headers' acceptance to the verdict, whatever it is (the body's arrival included) |
//! | `hookwarden_unverified_bytes` | gauge | | body bytes held before their signature was checked (see [`Budget`](crate::intake::Budget)) |
//! | `hookwarden_leases_held` | gauge | | replay leases held: deliveries being processed |
//! | `hookwarden_replay_lease_max_hold_total` | counter | `verifier` | replay leases that reached their maximum hold ([`ReplayProtection::max_hold`](crate::replay::ReplayProtection::max_hold)) and lapsed while their handler still ran, by verifier name |
//! | `hookwarden_replay_key_fallbacks_total` | counter | `verifier` | deliveries of a verifier keyed on a JSON field ([`ReplayBasis::JsonPointer`](crate::scheme::ReplayBasis::JsonPointer)) that were keyed by their signed message instead: the body was not JSON, or the field was missing or not a string or a number (registered with the first such delivery) |
//! | `hookwarden_replay_records_evicted_total` | counter | `verifier` | records of processed deliveries an in-memory store forgot to make room ([`WhenFull::EvictOldest`](crate::replay::WhenFull::EvictOldest), the default store's choice), by the name of the verifier whose claim needed the room |
//!
//! Handles are registered with the recorder installed when a verifier sees
//! its first delivery (and the gauges' when the process first uses them):
//! install the recorder before serving.

#![cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

use std::time::Duration;

use crate::error::Code;

/// `hookwarden_deliveries_total`.
pub const DELIVERIES_TOTAL: &str = "hookwarden_deliveries_total";
/// `hookwarden_verification_seconds`.
pub const VERIFICATION_SECONDS: &str = "hookwarden_verification_seconds";
/// `hookwarden_unverified_bytes`.
pub const UNVERIFIED_BYTES: &str = "hookwarden_unverified_bytes";
/// `hookwarden_leases_held`.
pub const LEASES_HELD: &str = "hookwarden_leases_held";

/// `hookwarden_replay_lease_max_hold_total`.
pub const REPLAY_LEASE_MAX_HOLD_TOTAL: &str = "hookwarden_replay_lease_max_hold_total";

/// `hookwarden_replay_key_fallbacks_total`.
pub const REPLAY_KEY_FALLBACKS_TOTAL: &str = "hookwarden_replay_key_fallbacks_total";

/// `hookwarden_replay_records_evicted_total`.
pub const REPLAY_RECORDS_EVICTED_TOTAL: &str = "hookwarden_replay_records_evicted_total";

/// The `outcome` label of a delivery: `accepted`, or its error's code.
#[cfg(feature = "metrics")]
fn outcome_label(outcome: Option<Code>) -> &'static str {
    outcome.map_or(ACCEPTED, Code::as_str)
}

/// The `outcome` label of a delivery that verified.
#[cfg(feature = "metrics")]
const ACCEPTED: &str = "accepted";

/// Where an outcome's counter is among a verifier's handles: `accepted`
/// first, then each code in the order of [`Code::ALL`].
#[cfg(feature = "metrics")]
fn outcome_index(outcome: Option<Code>) -> usize {
    // `Code::ALL` lists the codes in the order they are declared.
    outcome.map_or(0, |code| 1 + code as usize)
}

/// One verifier's metric handles, registered once (on its first delivery)
/// so that a delivery costs an atomic add, not a registry lookup.
#[derive(Default)]
pub(crate) struct VerifierMetrics {
    #[cfg(feature = "metrics")]
    handles: std::sync::OnceLock<Handles>,
    /// Registered with the verifier's first fallback only: most verifiers
    /// never key on a JSON field.
    #[cfg(feature = "metrics")]
    fallbacks: std::sync::OnceLock<metrics::Counter>,
}

#[cfg(feature = "metrics")]
struct Handles {
    outcomes: Vec<metrics::Counter>,
    verification: metrics::Histogram,
}

impl VerifierMetrics {
    #[cfg(feature = "metrics")]
    fn handles(&self, verifier: &str, scheme: &str) -> &Handles {
        self.handles.get_or_init(|| {
            let name: std::sync::Arc<str> = verifier.into();
            let scheme: std::sync::Arc<str> = scheme.into();
            let outcomes = std::iter::once(None)
                .chain(Code::ALL.iter().copied().map(Some))
                .map(|outcome| {
                    let outcome = outcome_label(outcome);
                    metrics::counter!(DELIVERIES_TOTAL, "verifier" => name.clone(), "scheme" => scheme.clone(), "outcome" => outcome)
                })
                .collect();
            let verification =
                metrics::histogram!(VERIFICATION_SECONDS, "verifier" => name, "scheme" => scheme);
            Handles {
                outcomes,
                verification,
            }
        })
    }

    /// Counts a delivery's outcome: accepted (`None`), or rejected with
    /// this code.
    pub(crate) fn delivery(&self, verifier: &str, scheme: &str, outcome: Option<Code>) {
        #[cfg(feature = "metrics")]
        self.handles(verifier, scheme).outcomes[outcome_index(outcome)].increment(1);
    }

    /// Counts a delivery keyed by its signed message for want of its JSON field.
    pub(crate) fn replay_key_fallback(&self, verifier: &str) {
        #[cfg(feature = "metrics")]
        self.fallbacks
            .get_or_init(
                || metrics::counter!(REPLAY_KEY_FALLBACKS_TOTAL, "verifier" => verifier.to_owned()),
            )
            .increment(1);
    }

    /// Records how long a verdict took.
    pub(crate) fn verification_time(&self, verifier: &str, scheme: &str, elapsed: Duration) {
        #[cfg(feature = "metrics")]
        self.handles(verifier, scheme)
            .verification
            .record(elapsed.as_secs_f64());
    }
}

impl std::fmt::Debug for VerifierMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifierMetrics")
    }
}

#[cfg(feature = "metrics")]
fn unverified_gauge() -> &'static metrics::Gauge {
    static GAUGE: std::sync::OnceLock<metrics::Gauge> = std::sync::OnceLock::new();
    GAUGE.get_or_init(|| metrics::gauge!(UNVERIFIED_BYTES))
}

#[cfg(feature = "metrics")]
fn leases_gauge() -> &'static metrics::Gauge {
    static GAUGE: std::sync::OnceLock<metrics::Gauge> = std::sync::OnceLock::new();
    GAUGE.get_or_init(|| metrics::gauge!(LEASES_HELD))
}

pub(crate) fn unverified_bytes(delta: f64) {
    #[cfg(feature = "metrics")]
    unverified_gauge().increment(delta);
}

pub(crate) fn lease_taken() {
    #[cfg(feature = "metrics")]
    leases_gauge().increment(1.0);
}

pub(crate) fn lease_settled() {
    #[cfg(feature = "metrics")]
    leases_gauge().decrement(1.0);
}

/// Counts a record an in-memory replay store forgot to make room: only a
/// full store does, so the handle is looked up each time.
pub(crate) fn replay_record_evicted(verifier: &str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(REPLAY_RECORDS_EVICTED_TOTAL, "verifier" => verifier.to_owned()).increment(1);
}

/// Counts a replay lease that lapsed at its maximum hold while its handler
/// still ran: rare, so the handle is looked up each time.
pub(crate) fn replay_lease_max_hold(verifier: &str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(REPLAY_LEASE_MAX_HOLD_TOTAL, "verifier" => verifier.to_owned()).increment(1);
}
