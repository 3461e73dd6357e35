//! Metrics, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): install any recorder (Prometheus, OpenTelemetry, …) and these
//! appear. Without the feature every call here compiles to nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `hookguard_deliveries_total` | counter | `verifier`, `scheme`, `outcome` | deliveries by outcome: `accepted`, or the rejection's code (`signature_mismatch`, `replayed`, `in_flight`, `overloaded`, …) |
//! | `hookguard_verification_seconds` | histogram | `verifier`, `scheme` | from the headers' acceptance to the verdict (the body's arrival included) |
//! | `hookguard_unverified_bytes` | gauge | | body bytes held before their signature was checked (see [`Budget`](crate::intake::Budget)) |
//! | `hookguard_reservations_in_flight` | gauge | | replay leases held: deliveries being processed |

#![cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

use std::time::Duration;

/// `hookguard_deliveries_total`.
pub const DELIVERIES_TOTAL: &str = "hookguard_deliveries_total";
/// `hookguard_verification_seconds`.
pub const VERIFICATION_SECONDS: &str = "hookguard_verification_seconds";
/// `hookguard_unverified_bytes`.
pub const UNVERIFIED_BYTES: &str = "hookguard_unverified_bytes";
/// `hookguard_reservations_in_flight`.
pub const RESERVATIONS_IN_FLIGHT: &str = "hookguard_reservations_in_flight";

pub(crate) fn delivery(verifier: &str, scheme: &'static str, outcome: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(DELIVERIES_TOTAL, "verifier" => verifier.to_owned(), "scheme" => scheme, "outcome" => outcome)
        .increment(1);
}

pub(crate) fn verification_time(verifier: &str, scheme: &'static str, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    metrics::histogram!(VERIFICATION_SECONDS, "verifier" => verifier.to_owned(), "scheme" => scheme)
        .record(elapsed.as_secs_f64());
}

pub(crate) fn unverified_bytes(delta: f64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(UNVERIFIED_BYTES).increment(delta);
}

pub(crate) fn lease_taken() {
    #[cfg(feature = "metrics")]
    metrics::gauge!(RESERVATIONS_IN_FLIGHT).increment(1.0);
}

pub(crate) fn lease_settled() {
    #[cfg(feature = "metrics")]
    metrics::gauge!(RESERVATIONS_IN_FLIGHT).decrement(1.0);
}
