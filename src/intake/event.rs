//! What the intake reports, once per delivery: a `tracing` event for every
//! rejection, and the metrics (feature `metrics`).

use std::time::Duration;

use super::Route;
use crate::{Error, Verifier};

/// Reports a rejected delivery and hands the error back.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn rejected(verifier: &Verifier, route: &Route, error: Error) -> Error {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        code = error.code(),
        status = error.status().as_u16(),
        scheme = verifier.scheme().kind().as_str(),
        verifier = verifier.name(),
        route = route.path(),
        secrets = secrets_configured(&error),
        "webhook rejected: {error}"
    );
    crate::metrics::delivery(
        verifier.name(),
        verifier.scheme().kind().as_str(),
        error.code(),
    );
    error
}

/// How many secrets were tried, for a signature mismatch: the log may say
/// it (a rotation in progress), the response does not.
#[cfg(feature = "tracing")]
fn secrets_configured(error: &Error) -> Option<usize> {
    match error {
        Error::SignatureMismatch { secrets, .. } => Some(*secrets),
        _ => None,
    }
}

/// Reports a delivery that verified (and, with replay protection, was
/// claimed), and how long its verification took since its headers were
/// accepted.
pub(crate) fn accepted(verifier: &Verifier, verification: Duration) {
    let scheme = verifier.scheme().kind().as_str();
    crate::metrics::delivery(verifier.name(), scheme, "accepted");
    crate::metrics::verification_time(verifier.name(), scheme, verification);
}
