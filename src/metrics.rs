//! Metrics, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): install any recorder (Prometheus, OpenTelemetry, …) and these
//! appear. Without the feature every call here compiles to nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `hookwarden_deliveries_total` | counter | `verifier`, `scheme`, `outcome` | deliveries by outcome: `accepted`, or the rejection's code (`signature_mismatch`, `replayed`, `in_flight`, `overloaded`, …) |
//! | `hookwarden_verification_seconds` | histogram | `verifier`, `scheme` | from the headers' acceptance to the verdict, whatever it is (the body's arrival included) |
//! | `hookwarden_unverified_bytes` | gauge | | body bytes held before their signature was checked (see [`Budget`](crate::intake::Budget)) |
//! | `hookwarden_leases_held` | gauge | | replay leases held: deliveries being processed |
//!
//! Handles are registered with the recorder installed when a verifier sees
//! its first delivery (and the gauges' when the process first uses them):
//! install the recorder before serving.

#![cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

use std::time::Duration;

/// `hookwarden_deliveries_total`.
pub const DELIVERIES_TOTAL: &str = "hookwarden_deliveries_total";
/// `hookwarden_verification_seconds`.
pub const VERIFICATION_SECONDS: &str = "hookwarden_verification_seconds";
/// `hookwarden_unverified_bytes`.
pub const UNVERIFIED_BYTES: &str = "hookwarden_unverified_bytes";
/// `hookwarden_leases_held`.
pub const LEASES_HELD: &str = "hookwarden_leases_held";

/// Every outcome a delivery can have: `accepted` and each error code.
#[cfg(feature = "metrics")]
const OUTCOMES: [&str; 19] = [
    "accepted",
    "missing_header",
    "malformed_header",
    "timestamp_too_old",
    "timestamp_in_future",
    "signature_mismatch",
    "body_too_large",
    "body_unreadable",
    "body_timeout",
    "overloaded",
    "unsupported_content_encoding",
    "replayed",
    "in_flight",
    "replay_store_full",
    "replay_store_unavailable",
    "secret_source_unavailable",
    "not_configured",
    "event_mismatch",
    "other",
];

/// Whether `code` has its own `outcome` label (else it counts as `other`).
#[cfg(test)]
pub(crate) fn has_outcome(code: &str) -> bool {
    OUTCOMES[..OUTCOMES.len() - 1].contains(&code)
}

/// One verifier's metric handles, registered once (on its first delivery)
/// so that a delivery costs an atomic add, not a registry lookup.
#[derive(Default)]
pub(crate) struct VerifierMetrics {
    #[cfg(feature = "metrics")]
    handles: std::sync::OnceLock<Handles>,
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
            let outcomes = OUTCOMES
                .iter()
                .map(|outcome| {
                    metrics::counter!(DELIVERIES_TOTAL, "verifier" => name.clone(), "scheme" => scheme.clone(), "outcome" => *outcome)
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

    /// Counts a delivery's outcome.
    pub(crate) fn delivery(&self, verifier: &str, scheme: &str, outcome: &str) {
        #[cfg(feature = "metrics")]
        {
            let index = OUTCOMES
                .iter()
                .position(|o| *o == outcome)
                .unwrap_or(OUTCOMES.len() - 1);
            self.handles(verifier, scheme).outcomes[index].increment(1);
        }
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
