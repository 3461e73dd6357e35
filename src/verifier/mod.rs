//! The [`Verifier`]: header check, incremental HMAC over the raw body, verdict.
//!
#![doc = include_str!("../../docs/settings.md")]

mod builder;
mod check;
mod delivery;
mod digest;
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
mod json_field;
mod pending;
mod prefix;
mod replay_default;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

pub use builder::VerifierBuilder;
pub(crate) use check::Checked;
pub use delivery::VerifiedDelivery;
pub use pending::PendingVerification;

use crate::error::Error;
use crate::headers::Headers;
use crate::key::Key;
use crate::scheme::Scheme;
use crate::time::{Clock, Tolerance};
use pending::MacSet;

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;

/// Verifies deliveries of one [`Scheme`] against one or more secrets.
///
/// Built once with [`Verifier::builder`] and shared: cloning is cheap (an
/// `Arc`), and the HMAC keys are derived once, at build time.
///
/// ```
/// use std::time::Duration;
/// use hookwarden::{Scheme, Signer, Verifier};
///
/// let verifier = Verifier::builder(Scheme::mittr())
///     .secret("current-secret")
///     .secret("previous-secret") // rotation: either one verifies
///     .tolerance(Duration::from_secs(300))
///     .build()?;
///
/// let body = br#"{"eventType":"order.created"}"#;
/// let headers = Signer::new(Scheme::mittr(), "previous-secret")?.sign_now(body).to_header_map();
/// let delivery = verifier.verify(&headers, body)?;
/// assert_eq!(delivery.secret_index(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    name: String,
    keys: Vec<Key>,
    tenants: Option<crate::tenant::Tenants>,
    fingerprints: Vec<String>,
    tolerance: Tolerance,
    body_limit: u64,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "runtime")]
    replay: Option<crate::replay::ReplayProtection>,
    #[cfg(feature = "runtime")]
    intake: crate::intake::IntakeSettings,
    #[cfg(feature = "runtime")]
    metrics: crate::metrics::VerifierMetrics,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Verifier");
        out.field("name", &self.inner.name)
            .field("scheme", &self.inner.scheme)
            .field("secret_fingerprints", &self.inner.fingerprints)
            .field("tolerance", &self.inner.tolerance)
            .field("body_limit", &self.inner.body_limit);
        #[cfg(feature = "runtime")]
        out.field("replay", &self.inner.replay)
            .field("intake", &self.inner.intake);
        out.finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts configuring a verifier for `scheme`.
    pub fn builder(scheme: Scheme) -> VerifierBuilder {
        VerifierBuilder::new(scheme)
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.inner.scheme
    }

    /// The verifier's name: in logs and metrics, and the namespace of its
    /// replay keys. Defaults to the scheme's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The freshness window in force.
    pub fn tolerance(&self) -> Tolerance {
        self.inner.tolerance
    }

    /// The largest body accepted, in bytes.
    pub fn body_limit(&self) -> u64 {
        self.inner.body_limit
    }

    /// Short fingerprints of the configured secrets, in order (see
    /// [`Secret::fingerprint`](crate::Secret::fingerprint)).
    pub fn secret_fingerprints(&self) -> &[String] {
        &self.inner.fingerprints
    }

    /// The verifier's clock reading.
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// The replay protection in force, if any (with its TTL and namespace
    /// resolved).
    #[cfg(feature = "runtime")]
    #[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
    pub fn replay_protection(&self) -> Option<&crate::replay::ReplayProtection> {
        self.inner.replay.as_ref()
    }

    /// The intake settings: read deadline, unverified-byte budget, timer.
    #[cfg(feature = "runtime")]
    #[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
    pub fn intake(&self) -> &crate::intake::IntakeSettings {
        &self.inner.intake
    }

    #[cfg(feature = "runtime")]
    pub(crate) fn metrics(&self) -> &crate::metrics::VerifierMetrics {
        &self.inner.metrics
    }

    /// Verifies a whole delivery against the verifier's clock.
    ///
    /// `body` must be the raw bytes as received: not decoded, not
    /// re-serialized. This checks the signature and freshness only; replay
    /// protection is the intake's ([`crate::intake`]) or yours
    /// ([`ReplayProtection::claim`](crate::replay::ReplayProtection::claim)).
    ///
    /// # Errors
    /// The first failed check, in the order headers present → well-formed →
    /// fresh → signature; see [`Error`].
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedDelivery, Error> {
        self.verify_at(headers, body, self.inner.clock.now())
    }

    /// Verifies a whole delivery as if the time were `now`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedDelivery, Error> {
        self.verify_whole(headers, body, now, None)
    }

    fn verify_whole<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
        path: Option<&str>,
    ) -> Result<VerifiedDelivery, Error> {
        let mut checked = Checked::new();
        self.check_into(headers, now, path, &mut checked)?;
        if body.len() as u64 > self.inner.body_limit {
            return Err(Error::BodyTooLarge {
                limit: Some(self.inner.body_limit),
            });
        }
        self.verdict_whole(&mut checked, body)
    }

    /// The verdict on a whole body: each keyed state cloned, fed and
    /// finalized in place, as in a bare HMAC (no set of running states).
    pub(crate) fn verdict_whole(
        &self,
        checked: &mut Checked,
        body: &[u8],
    ) -> Result<VerifiedDelivery, Error> {
        let prefix = checked.prefix.as_bytes();
        let candidates = checked.candidates.as_slice();
        let keys = self.keys(checked);
        let mut found = None;
        for (index, key) in keys.iter().enumerate() {
            if key.matches(&[prefix, body], candidates) && found.is_none() {
                found = Some(index);
            }
        }
        let found = self.known(checked, found);
        let secret_index = self.verdict(found, checked.candidates.labeled, keys.len())?;
        let replay_digest = self.whole_digest(checked, body);
        Ok(self.delivery(checked, secret_index, body.len() as u64, replay_digest))
    }

    /// The metadata of a delivery that verified.
    fn delivery(
        &self,
        checked: &mut Checked,
        secret_index: usize,
        body_len: u64,
        replay_digest: Option<u128>,
    ) -> VerifiedDelivery {
        let tenant = checked.tenant.take().map(|t| t.tenant.to_string());
        let replay_digest = match &tenant {
            Some(tenant) => replay_digest.map(|d| digest::for_tenant(d, tenant)),
            None => replay_digest,
        };
        VerifiedDelivery {
            tenant,
            scheme: self.inner.scheme.name_cow(),
            timestamp: checked.timestamp,
            event_type: checked.event.take(),
            delivery_id: checked.delivery_id.take(),
            delivery_id_signed: checked.delivery_id.is_some()
                && self.inner.scheme.signs_delivery_id(),
            secret_index,
            body_len,
            replay_digest,
            #[cfg(feature = "runtime")]
            fence: None,
        }
    }

    /// First step of a streamed verification: checks the headers (presence,
    /// format, freshness) against the verifier's clock, before any byte of
    /// the body is read. Feed the body to the returned
    /// [`PendingVerification`], then call [`finish`](PendingVerification::finish).
    ///
    /// # Errors
    /// Missing, malformed, stale or future headers.
    pub fn check_headers<H: Headers + ?Sized>(
        &self,
        headers: &H,
    ) -> Result<PendingVerification, Error> {
        self.check_headers_at(headers, self.inner.clock.now())
    }

    /// As [`check_headers`](Self::check_headers), as if the time were `now`.
    ///
    /// # Errors
    /// Missing, malformed, stale or future headers.
    pub fn check_headers_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        now: SystemTime,
    ) -> Result<PendingVerification, Error> {
        Ok(self.start_stream(self.check(headers, now, None)?))
    }

    /// Starts a streamed verification: the keyed states cloned and fed what
    /// precedes the body.
    pub(crate) fn start_stream(&self, checked: Checked) -> PendingVerification {
        let mut macs = MacSet::new(self.keys(&checked), checked.candidates.as_slice());
        macs.update(checked.prefix.as_bytes());
        PendingVerification {
            verifier: self.clone(),
            macs,
            digest: self.start_digest(&checked),
            checked,
            received: 0,
            limit: self.inner.body_limit,
        }
    }

    /// The keys a delivery is checked against: the verifier's, or its
    /// tenant's (none for an unknown tenant).
    /// An unknown tenant's delivery is checked against a decoy key nobody
    /// knows (so that it takes as long as a known tenant's), and never
    /// verifies: see [`known`](Self::known).
    fn keys<'a>(&'a self, checked: &'a Checked) -> &'a [Key] {
        match (&self.inner.tenants, &checked.tenant) {
            (None, _) => &self.inner.keys,
            (Some(_), Some(tenant)) => &tenant.keys,
            (Some(tenants), None) => &tenants.decoy,
        }
    }

    /// The matching key's index, unless the keys were the decoy's.
    fn known(&self, checked: &Checked, found: Option<usize>) -> Option<usize> {
        match (&self.inner.tenants, &checked.tenant) {
            (Some(_), None) => None,
            _ => found,
        }
    }

    /// 4. Signature: the index of the secret that matched, or the mismatch.
    fn verdict(
        &self,
        found: Option<usize>,
        candidates: usize,
        secrets: usize,
    ) -> Result<usize, Error> {
        found.ok_or_else(|| Error::SignatureMismatch {
            header: self.inner.scheme.signature_header().clone(),
            candidates,
            secrets,
        })
    }

    /// Verifies a whole delivery whose tenant (with a per-tenant
    /// [`SecretSource`](crate::tenant::SecretSource) reading
    /// [`TenantFrom::PathSegment`](crate::tenant::TenantFrom)) is named in
    /// `path`, against the verifier's clock.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); an unknown tenant is a signature
    /// mismatch, a failing source `secret_source_unavailable`.
    pub fn verify_for_path<H: Headers + ?Sized>(
        &self,
        path: &str,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedDelivery, Error> {
        self.verify_whole(headers, body, self.inner.clock.now(), Some(path))
    }
}
