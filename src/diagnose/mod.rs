//! Diagnosis of failed verifications: the verdict and, on failure, the
//! most likely cause with a stable code and a fix, found by undoing the
//! usual mistakes one by one until the signature matches.
//!
//! What is tried, for every scheme (the table in the guide below says what each code means):
//!
//! - **the signature as written**: hex for base64 or
//!   the reverse, letters whose case changed, another algorithm (SHA-1,
//!   SHA-512) recognized by its length, another label or version, several
//!   values where one is expected;
//! - **the secret as stored**: surrounding whitespace or newlines, quotes
//!   kept from an env file, the provider's prefix added or removed, hex or
//!   base64 encoded or decoded where the scheme uses the raw string, the
//!   text used where the scheme decodes it (Standard Webhooks);
//! - **the signed content**: every preset's message layout with the values
//!   the request carries, and the scheme's own with other separators;
//! - **the body**: a byte-order mark, trailing newlines and whitespace, line
//!   endings, Latin-1 and UTF-8 mixed up, JSON `\u` escapes either way,
//!   re-serialization (compact, pretty, Python's and PHP's styles, keys
//!   sorted), compression either side of `Content-Encoding` (gzip and
//!   deflate decompressed within [`Limits::max_decompressed`]);
//! - **evidence**: an empty body, one shorter than its `Content-Length` or
//!   cut in the middle of its JSON, replacement characters;
//! - **timestamps**: milliseconds for seconds, clock skew either way (by how
//!   much, and whether the signature is otherwise valid);
//! - **headers**: another preset's headers or entry labels ("wrong scheme").
//!
//! When nothing explains a mismatch: "signed with a different secret".
//! Each candidate is one signature computed over a message of at most a
//! few times the body's size, and at most [`Limits::max_candidates`] are
//! tried; [`Diagnosis::tried`] lists the codes tried. Verification itself
//! never runs any of this.
//!
//! Secrets are never printed (a [`Secret::fingerprint`] at most), nor
//! anything of the expected signature.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use hookwarden::diagnose::{diagnose, Audience};
//! use hookwarden::{Scheme, Signer};
//!
//! // The sender stripped the `whsec_` prefix from the secret.
//! let headers = Signer::new(Scheme::mitpo(), "Mfk9r8GKYq")?.sign(1_764_072_000, b"{}").to_header_map();
//! let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
//! let diagnosis = diagnose(&Scheme::mitpo(), &headers, b"{}", &["whsec_Mfk9r8GKYq"], now);
//! assert_eq!(diagnosis.error().unwrap().code(), "signature_mismatch");
//! let cause = diagnosis.likely_cause().unwrap();
//! assert_eq!(cause.code(), "secret_prefix");
//! assert!(cause.is_confirmed());
//! assert!(diagnosis.tried().contains(&"secret_prefix"));
//! println!("{}", cause.hint_for(Audience::Cli));
//! # Ok::<(), hookwarden::ConfigError>(())
//! ```
//!
#![doc = include_str!("../../docs/diagnose.md")]

mod body;
mod cause;
mod compress;
mod engine;
mod hint;
mod input;
mod json;
mod key;
mod limits;
mod request;
mod secret;
mod signature;

#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime};

pub use cause::{LikelyCause, CODES};
pub use hint::{provider_name, Audience};
pub use input::{parse_pasted_headers, parse_raw_request, InputError};
pub use limits::Limits;

use crate::{Error, Headers, Scheme, Secret, VerifiedDelivery, Verifier};

/// The verdict on a delivery and, when it failed, what most likely went
/// wrong and what was tried to find out.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    outcome: Result<VerifiedDelivery, Error>,
    cause: Option<LikelyCause>,
    tried: Vec<&'static str>,
}

impl Diagnosis {
    /// Whether the delivery verified.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The verification result, exactly as the [`Verifier`] gives it
    /// ([`Error::InvalidConfig`] when no verifier can be built from the
    /// secrets, one not being a key of the scheme, say).
    pub fn outcome(&self) -> &Result<VerifiedDelivery, Error> {
        &self.outcome
    }

    /// The error, when the delivery did not verify.
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().err()
    }

    /// The most likely cause of the failure.
    pub fn likely_cause(&self) -> Option<&LikelyCause> {
        self.cause.as_ref()
    }

    /// The codes of the causes tried, in the order tried (the one named
    /// among them); empty for a delivery that verified. The checks of the
    /// signature's form run together and are listed together.
    pub fn tried(&self) -> &[&'static str] {
        &self.tried
    }
}

/// How to diagnose: the freshness window and the limits on the work.
#[derive(Debug, Clone, Default)]
pub struct Options {
    tolerance: Option<Duration>,
    limits: Limits,
}

impl Options {
    /// The scheme's own tolerance, the default limits.
    pub fn new() -> Self {
        Options::default()
    }

    /// Checks timestamps with this tolerance, both ways, instead of the
    /// scheme's.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Sets the limits on the work.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Verifies a delivery as a [`Verifier`] with `secrets` and the scheme's
/// tolerance would at `now`, and explains a failure.
pub fn diagnose<H: Headers + ?Sized, S: AsRef<[u8]>>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[S],
    now: SystemTime,
) -> Diagnosis {
    diagnose_with(scheme, headers, body, secrets, now, &Options::new())
}

/// As [`diagnose`], with the tolerance (both ways) given.
pub fn diagnose_with_tolerance<H: Headers + ?Sized, S: AsRef<[u8]>>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[S],
    now: SystemTime,
    tolerance: Duration,
) -> Diagnosis {
    let options = Options::new().tolerance(tolerance);
    diagnose_with(scheme, headers, body, secrets, now, &options)
}

/// As [`diagnose`], with [`Options`].
pub fn diagnose_with<H: Headers + ?Sized, S: AsRef<[u8]>>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[S],
    now: SystemTime,
    options: &Options,
) -> Diagnosis {
    let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::from(s.as_ref())).collect();
    let mut builder = Verifier::builder(scheme.clone())
        .secrets(secrets.iter().map(Secret::expose))
        .body_limit(u64::MAX);
    if let Some(tolerance) = options.tolerance {
        builder = builder.tolerance(tolerance);
    }
    let mut engine = engine::Engine::new(scheme, headers, body, &secrets, now, options.limits);
    let (outcome, cause) = match builder.build() {
        Ok(verifier) => {
            let outcome = verifier.verify_at(headers, body, now);
            let cause = match &outcome {
                Ok(_) => None,
                Err(error) => engine.explain(error),
            };
            (outcome, cause)
        }
        Err(error) => (
            Err(Error::InvalidConfig {
                error: error.clone(),
            }),
            Some(engine.explain_config(error)),
        ),
    };
    Diagnosis {
        outcome,
        cause,
        tried: engine.tried,
    }
}
