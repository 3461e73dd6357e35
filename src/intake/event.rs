//! What the intake reports, once per delivery: a `tracing` event for every
//! rejection, and the metrics (feature `metrics`).

use std::time::Duration;

#[cfg(feature = "tracing")]
use super::warnings::Level;
use super::Route;
#[cfg(feature = "tracing")]
use crate::error::shown_at_most;
use crate::error::Code;
use crate::{Error, Verifier};

/// Reports a rejected delivery and hands the error back: a `tracing`
/// event, at WARN for the first [`WARNINGS_PER_SECOND`] of a second and at
/// DEBUG after that (the next warning carries `demoted`, how many were
/// logged at DEBUG meanwhile), and the metrics, always.
///
/// [`WARNINGS_PER_SECOND`]: super::WARNINGS_PER_SECOND
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn rejected(verifier: &Verifier, route: &Route, error: Error) -> Error {
    #[cfg(feature = "tracing")]
    log_rejection(verifier, route, &error);
    let scheme = verifier.scheme().name();
    verifier
        .metrics()
        .delivery(verifier.name(), scheme, Some(Code::of(&error)));
    error
}

/// How much of the request path a rejection's `tracing` event carries:
/// its first 128 characters (then `…`), printable ASCII only, anything
/// else replaced by `?`, as the error messages show a sender's header
/// values. The path is the sender's choice, up to 64 KiB, before any
/// authentication.
#[cfg(feature = "tracing")]
pub(crate) const LOGGED_ROUTE_CHARS: usize = 128;

/// The event's fields and message are each bounded: the code, status,
/// scheme and verifier name are the server's; the route is cut and escaped
/// ([`LOGGED_ROUTE_CHARS`]); and every [`Error`] message shows what a
/// sender chose (a content encoding, an event type) cut and escaped the
/// same way, so a rejection's line stays well under 1 KiB whatever the
/// path and the headers.
#[cfg(feature = "tracing")]
fn log_rejection(verifier: &Verifier, route: &Route, error: &Error) {
    macro_rules! event {
        ($level:ident, $demoted:expr) => {
            tracing::$level!(
                code = error.code(),
                status = error.status().as_u16(),
                scheme = verifier.scheme().name(),
                verifier = verifier.name(),
                route = shown_at_most(route.path().as_bytes(), LOGGED_ROUTE_CHARS).as_str(),
                secrets = secrets_configured(error),
                demoted = $demoted,
                "webhook rejected: {error}"
            )
        };
    }
    let intake = verifier.intake();
    match intake.warnings.level(intake.timer.now()) {
        Level::Warn { demoted } => event!(warn, (demoted > 0).then_some(demoted)),
        Level::Debug => event!(debug, None::<u64>),
    }
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

/// Records how long a verdict took since the headers were accepted (the
/// body's arrival included), whatever the verdict.
pub(crate) fn verified(verifier: &Verifier, elapsed: Duration) {
    let scheme = verifier.scheme().name();
    verifier
        .metrics()
        .verification_time(verifier.name(), scheme, elapsed);
}

/// Reports a delivery that verified (and, with replay protection, was
/// claimed): it goes to the handler.
pub(crate) fn accepted(verifier: &Verifier) {
    let scheme = verifier.scheme().name();
    verifier.metrics().delivery(verifier.name(), scheme, None);
}
