//! [`SchemeBuilder`]: describing a provider, checked once at build time.

use std::borrow::Cow;
use std::time::Duration;

use http::HeaderName;

use super::{Method, Part, ReplayBasis, Scheme, SignatureFormat, TimestampFormat, TimestampSource};
use crate::config_error::ConfigError;
use crate::time::Tolerance;

/// Describes a signature scheme. Created by [`Scheme::builder`].
///
/// Every setting has a default but the signature header, at least one
/// [`Method`] and the signed message:
///
/// | setting | default |
/// | --- | --- |
/// | [`signature_format`](Self::signature_format) | `v1=<hex>` entries separated by commas or whitespace, malformed when not hex or of the wrong length |
/// | [`timestamp_header`](Self::timestamp_header) / [`timestamp_entry`](Self::timestamp_entry) | none: no freshness check, and replay protection needs an explicit TTL |
/// | [`timestamp_format`](Self::timestamp_format) | unix seconds in ASCII digits |
/// | [`tolerance`](Self::tolerance) | 300 s each way |
/// | [`replay_basis`](Self::replay_basis) | the signed message |
/// | [`replay_record_ttl`](Self::replay_record_ttl) | a day |
/// | [`empty_is_missing`](Self::empty_is_missing) | `true` |
///
/// A provider that sends `X-Acme-Signature: t=<unix>;s=<hex>` over
/// `<unix>:<body>` with HMAC-SHA512:
///
/// ```
/// use hookwarden::scheme::{Algorithm, KeyFormat, Method, Part, Scheme, SignatureFormat};
/// use http::HeaderName;
///
/// let acme = Scheme::builder("acme")
///     .signature_header(HeaderName::from_static("x-acme-signature"))
///     .signature_format(SignatureFormat::labeled(b'=', ";"))
///     .method(Method::new("s", Algorithm::HmacSha512, KeyFormat::Raw))
///     .timestamp_entry("t")
///     .message([Part::Timestamp, Part::literal(&b":"[..]), Part::Body])
///     .build()?;
/// assert!(acme.signs_timestamp());
/// # Ok::<(), hookwarden::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SchemeBuilder {
    scheme: Scheme,
}

impl SchemeBuilder {
    pub(super) fn new(name: Cow<'static, str>) -> Self {
        SchemeBuilder {
            scheme: Scheme {
                name,
                signature: Vec::new(),
                format: SignatureFormat::labeled(b'=', ", \t"),
                methods: Vec::new(),
                timestamp: None,
                timestamp_format: TimestampFormat::UnixSeconds,
                delivery_id: Vec::new(),
                event: None,
                message: Vec::new(),
                tolerance: Tolerance::default(),
                replay_basis: ReplayBasis::Message,
                replay_record_ttl: super::DEFAULT_REPLAY_RECORD_TTL,
                empty_is_missing: true,
            },
        }
    }

    pub(super) fn from_scheme(scheme: Scheme) -> Self {
        SchemeBuilder { scheme }
    }

    /// Adds a header the signature is read from; call again for fallbacks,
    /// read in order (the first present wins).
    pub fn signature_header(mut self, name: HeaderName) -> Self {
        self.scheme.signature.push(name);
        self
    }

    /// Sets how entries are written.
    pub fn signature_format(mut self, format: SignatureFormat) -> Self {
        self.scheme.format = format;
        self
    }

    /// Adds a signing method; entries are matched to methods by label.
    pub fn method(mut self, method: Method) -> Self {
        self.scheme.methods.push(method);
        self
    }

    /// Adds a header the timestamp (unix seconds) is read from; call again
    /// for fallbacks.
    pub fn timestamp_header(mut self, name: HeaderName) -> Self {
        match &mut self.scheme.timestamp {
            Some(TimestampSource::Header(names)) => names.push(name),
            other => *other = Some(TimestampSource::Header(vec![name])),
        }
        self
    }

    /// Reads the timestamp from the signature entry labeled `label` (Stripe's `t`).
    pub fn timestamp_entry(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.scheme.timestamp = Some(TimestampSource::Entry(label.into()));
        self
    }

    /// Sets how the timestamp is written (default unix seconds): unix
    /// milliseconds, or an RFC 3339 date-time. Freshness is checked to the
    /// second either way; a signed timestamp is signed as received.
    pub fn timestamp_format(mut self, format: TimestampFormat) -> Self {
        self.scheme.timestamp_format = format;
        self
    }

    /// Adds a header the delivery id is read from; call again for fallbacks.
    /// Required when signed or used as the replay basis, informational otherwise.
    pub fn delivery_id_header(mut self, name: HeaderName) -> Self {
        self.scheme.delivery_id.push(name);
        self
    }

    /// Sets the header of the unsigned event type.
    pub fn event_header(mut self, name: HeaderName) -> Self {
        self.scheme.event = Some(name);
        self
    }

    /// Sets the signed message; it must end with [`Part::Body`].
    pub fn message(mut self, parts: impl IntoIterator<Item = Part>) -> Self {
        self.scheme.message = parts.into_iter().collect();
        self
    }

    /// Sets the default freshness window.
    pub fn tolerance(mut self, tolerance: Tolerance) -> Self {
        self.scheme.tolerance = tolerance;
        self
    }

    /// Sets what replay keys are made of (see [`ReplayBasis`]).
    pub fn replay_basis(mut self, basis: ReplayBasis) -> Self {
        self.scheme.replay_basis = basis;
        self
    }

    /// Sets how long the record of a processed delivery lives by default
    /// when keys are not the signed message, or the signature covers no
    /// timestamp: the provider's retry horizon (see
    /// [`Scheme::replay_record_ttl`]). A day by default.
    pub fn replay_record_ttl(mut self, ttl: Duration) -> Self {
        self.scheme.replay_record_ttl = ttl;
        self
    }

    /// Sets whether an empty signature header counts as missing.
    pub fn empty_is_missing(mut self, yes: bool) -> Self {
        self.scheme.empty_is_missing = yes;
        self
    }

    /// Checks the description and builds the scheme.
    ///
    /// # Errors
    /// [`ConfigError::InvalidScheme`] naming the first inconsistency.
    pub fn build(self) -> Result<Scheme, ConfigError> {
        let invalid = |reason| Err(ConfigError::InvalidScheme { reason });
        let s = &self.scheme;
        if s.signature.is_empty() {
            return invalid("no signature header");
        }
        if let Some(reason) = methods_problem(s) {
            return invalid(reason);
        }
        if let Some(reason) = message_problem(s) {
            return invalid(reason);
        }
        if let Some(reason) = replay_problem(s) {
            return invalid(reason);
        }
        Ok(self.scheme)
    }
}

/// An unsigned header never feeds a key; a pointer must be one.
fn replay_problem(s: &Scheme) -> Option<&'static str> {
    match &s.replay_basis {
        ReplayBasis::DeliveryId if !s.signs_delivery_id() => {
            Some("the replay basis is the delivery id, which the message does not sign")
        }
        ReplayBasis::JsonPointer(pointer) => pointer.problem(),
        _ => None,
    }
}

/// Most methods a scheme may have.
const MAX_METHODS: usize = 8;

fn methods_problem(s: &Scheme) -> Option<&'static str> {
    let labels = || s.methods.iter().map(|m| m.label.as_ref());
    if s.methods.is_empty() {
        return Some("no signing method");
    }
    if s.methods.len() > MAX_METHODS {
        return Some("more than 8 signing methods");
    }
    if s.format.label.is_none() && s.methods.len() > 1 {
        return Some("bare signature values allow one signing method only");
    }
    let mut seen: Vec<&str> = labels().collect();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != s.methods.len() {
        return Some("two signing methods share a label");
    }
    if s.format.label.is_some() && labels().any(str::is_empty) {
        return Some("a signing method has an empty label");
    }
    if let Some(TimestampSource::Entry(label)) = &s.timestamp {
        if s.format.label.is_none() || labels().any(|l| l == label) {
            return Some("the timestamp entry's label is not distinct from the signatures'");
        }
    }
    None
}

fn message_problem(s: &Scheme) -> Option<&'static str> {
    let body_at = s.message.iter().position(|p| *p == Part::Body);
    if body_at != Some(s.message.len().wrapping_sub(1)) {
        return Some("the signed message must end with the body, once");
    }
    if s.signs_timestamp() && s.timestamp.is_none() {
        return Some("the message signs a timestamp the scheme has no header for");
    }
    if s.signs_delivery_id() && s.delivery_id.is_empty() {
        return Some("the message signs a delivery id the scheme has no header for");
    }
    None
}
