//! Signing deliveries the way the providers do: for tests, senders and the
//! reference dispatcher. Every preset (and any described scheme) signs.

mod headers;
mod key;

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

pub use headers::SignedHeaders;
use key::SigningKey;

use crate::config_error::ConfigError;
use crate::scheme::{Encoding, Part, Scheme, TimestampSource};
use crate::secret::Secret;
use crate::time::unix_seconds;

/// Signs bodies for one scheme with one or more secrets, each keyed once.
///
/// ```
/// use hookwarden::{Scheme, Signer};
///
/// let signer = Signer::new(Scheme::stripe(), "whsec_s3cret")?;
/// let signed = signer.sign(1_764_072_000, b"{}");
/// for (name, value) in signed.iter() {
///     println!("{name}: {value:?}");
/// }
/// # Ok::<(), hookwarden::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    keys: Vec<(u8, SigningKey)>,
    event_type: Option<HeaderValue>,
    signed_headers: Vec<(HeaderName, HeaderValue)>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme.name())
            .field("keys", &self.keys.len())
            .field("event_type", &self.event_type)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `scheme` keyed with `secret` as the scheme reads
    /// signing keys (raw bytes for most; base64 after `whsec_`, or an
    /// Ed25519 `whsk_` key, for Standard Webhooks).
    ///
    /// # Errors
    /// [`ConfigError::EmptySecret`] for an empty secret,
    /// [`ConfigError::InvalidSecret`] for one that is not a key of the
    /// scheme, [`ConfigError::FeatureRequired`] for a `whsk_` key without
    /// feature `ed25519`.
    pub fn new(scheme: Scheme, secret: impl Into<Secret>) -> Result<Self, ConfigError> {
        let key = SigningKey::new(&scheme, 0, &secret.into())?;
        Ok(Signer {
            scheme,
            keys: vec![key],
            event_type: None,
            signed_headers: Vec::new(),
        })
    }

    /// Also signs with `secret`: one more entry per delivery, as providers
    /// send during a rotation.
    ///
    /// # Errors
    /// As [`new`](Self::new); [`ConfigError::InvalidSecret`] when the
    /// scheme's header carries a single signature (GitHub, Shopify).
    pub fn and_secret(mut self, secret: impl Into<Secret>) -> Result<Self, ConfigError> {
        let index = self.keys.len();
        let format = self.scheme.signature_format();
        if format.label_separator().is_none() || format.delimiters().is_empty() {
            let reason = "the scheme's signature header carries one signature";
            return Err(ConfigError::InvalidSecret { index, reason });
        }
        self.keys
            .push(SigningKey::new(&self.scheme, index, &secret.into())?);
        Ok(self)
    }

    /// Sends `event_type` in the scheme's event header (`X-MITPO-Event`,
    /// `X-GitHub-Event`, …), for schemes that have one. It is not signed.
    ///
    /// # Errors
    /// [`ConfigError::InvalidEventType`] when it is not a valid header value.
    pub fn with_event_type(mut self, event_type: &str) -> Result<Self, ConfigError> {
        let value = HeaderValue::from_str(event_type).map_err(|_| ConfigError::InvalidEventType)?;
        self.event_type = Some(value);
        Ok(self)
    }

    /// Sets the value of a header the scheme signs ([`Part::Header`]).
    ///
    /// # Errors
    /// [`ConfigError::InvalidEventType`] when it is not visible ASCII.
    pub fn with_signed_header(
        mut self,
        name: HeaderName,
        value: &str,
    ) -> Result<Self, ConfigError> {
        let value = visible_value(value).ok_or(ConfigError::InvalidEventType)?;
        self.signed_headers.push((name, value));
        Ok(self)
    }

    /// The scheme this signer follows.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The delivery id [`sign`](Self::sign) uses for schemes that sign one:
    /// `msg_` and 32 hex digits of the body's SHA-256, so that a body
    /// re-sent with a new timestamp keeps its id (a retry). Pass your own
    /// with [`sign_with_id`](Self::sign_with_id).
    pub fn derived_id(body: &[u8]) -> String {
        format!("msg_{}", hex::encode(&Sha256::digest(body)[..16]))
    }

    /// The exact bytes the scheme signs for this timestamp, id and body.
    pub fn signed_message(&self, timestamp: u64, id: &str, body: &[u8]) -> Vec<u8> {
        self.message_with(&self.scheme.timestamp_format().write(timestamp), id, body)
    }

    /// The signed bytes with the timestamp written as `ts`.
    fn message_with(&self, ts: &str, id: &str, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + 64);
        for part in self.scheme.message() {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Timestamp => out.extend_from_slice(ts.as_bytes()),
                Part::DeliveryId => out.extend_from_slice(id.as_bytes()),
                Part::Header(name) => out.extend_from_slice(self.signed_header(name)),
                Part::Body => out.extend_from_slice(body),
            }
        }
        out
    }

    /// The raw signature of the first secret over what the scheme signs
    /// (the id derived from the body, as [`sign`](Self::sign) does).
    pub fn digest(&self, timestamp: u64, body: &[u8]) -> Vec<u8> {
        let message = self.signed_message(timestamp, &Signer::derived_id(body), body);
        self.keys[0].1.sign(&[&message]).as_bytes().to_vec()
    }

    /// Signs `body` with `timestamp` (unix seconds; ignored by schemes
    /// without one): the headers the provider would send. Schemes that sign
    /// a delivery id get [`derived_id`](Self::derived_id).
    pub fn sign(&self, timestamp: u64, body: &[u8]) -> SignedHeaders {
        let id = self
            .scheme
            .signs_delivery_id()
            .then(|| Signer::derived_id(body));
        let ts = self.scheme.timestamp_format().write(timestamp);
        self.sign_parts(&ts, id.as_deref(), body)
    }

    /// Signs with the timestamp written exactly as `timestamp` (for a
    /// provider's own bytes: Twitch's nanoseconds, a millisecond value that
    /// is not a whole second) and, for schemes that sign one, the delivery
    /// id `id` (else [`derived_id`](Self::derived_id)).
    ///
    /// # Errors
    /// [`ConfigError::InvalidTimestamp`] when the scheme would not read
    /// `timestamp` (see [`TimestampFormat`](crate::scheme::TimestampFormat));
    /// [`ConfigError::InvalidDeliveryId`] as for [`sign_with_id`](Self::sign_with_id).
    pub fn sign_with_timestamp_text(
        &self,
        timestamp: &str,
        id: Option<&str>,
        body: &[u8],
    ) -> Result<SignedHeaders, ConfigError> {
        if self
            .scheme
            .timestamp_format()
            .parse(timestamp.as_bytes())
            .is_err()
            || timestamp.trim() != timestamp
        {
            return Err(ConfigError::InvalidTimestamp);
        }
        if id.is_some_and(|id| visible_value(id).is_none()) {
            return Err(ConfigError::InvalidDeliveryId);
        }
        let derived = Signer::derived_id(body);
        let id = match (self.scheme.signs_delivery_id(), id) {
            (_, Some(id)) => Some(id),
            (true, None) => Some(derived.as_str()),
            (false, None) => None,
        };
        Ok(self.sign_parts(timestamp, id, body))
    }

    /// Signs with a delivery id of your choosing (Standard Webhooks'
    /// `webhook-id`, sent in the scheme's id header; signed where the scheme
    /// signs it). A dispatcher keeps one id across retries.
    ///
    /// # Errors
    /// [`ConfigError::InvalidDeliveryId`] when `id` is empty or not visible ASCII.
    pub fn sign_with_id(
        &self,
        timestamp: u64,
        id: &str,
        body: &[u8],
    ) -> Result<SignedHeaders, ConfigError> {
        if visible_value(id).is_none() {
            return Err(ConfigError::InvalidDeliveryId);
        }
        let ts = self.scheme.timestamp_format().write(timestamp);
        Ok(self.sign_parts(&ts, Some(id), body))
    }

    /// Signs `body` with the current system time.
    pub fn sign_now(&self, body: &[u8]) -> SignedHeaders {
        self.sign(unix_seconds(SystemTime::now()), body)
    }

    fn sign_parts(&self, timestamp: &str, id: Option<&str>, body: &[u8]) -> SignedHeaders {
        let message = self.message_with(timestamp, id.unwrap_or_default(), body);
        let mut headers = vec![(
            self.scheme.signature_header().clone(),
            ascii_value(self.signature_value(timestamp, &message)),
        )];
        if let Some(TimestampSource::Header(names)) = self.scheme.timestamp_source() {
            headers.push((names[0].clone(), ascii_value(timestamp.to_owned())));
        }
        if let (Some(name), Some(id)) = (self.scheme.delivery_id_headers().first(), id) {
            headers.push((name.clone(), ascii_value(id.to_owned())));
        }
        if let (Some(name), Some(value)) = (self.scheme.event_header(), &self.event_type) {
            headers.push((name.clone(), value.clone()));
        }
        headers.extend(self.signed_headers.iter().cloned());
        SignedHeaders { headers }
    }

    /// The signature header's value: the timestamp entry where the scheme
    /// writes one there, then one entry per key.
    fn signature_value(&self, timestamp: &str, message: &[u8]) -> String {
        let format = self.scheme.signature_format();
        let mut entries = Vec::with_capacity(self.keys.len() + 1);
        let Some(separator) = format.label_separator().map(char::from) else {
            return self.encoded(&self.keys[0].1, message);
        };
        if let Some(TimestampSource::Entry(label)) = self.scheme.timestamp_source() {
            entries.push(format!("{label}{separator}{timestamp}"));
        }
        for (method, key) in &self.keys {
            let label = self.scheme.methods()[usize::from(*method)].label();
            entries.push(format!("{label}{separator}{}", self.encoded(key, message)));
        }
        entries.join(&char::from(format.joiner()).to_string())
    }

    fn encoded(&self, key: &SigningKey, message: &[u8]) -> String {
        let tag = key.sign(&[message]);
        match self.scheme.signature_format().value_encoding() {
            Encoding::Hex => hex::encode(tag.as_bytes()),
            _ => base64::engine::general_purpose::STANDARD.encode(tag.as_bytes()),
        }
    }

    fn signed_header(&self, name: &HeaderName) -> &[u8] {
        let value = self.signed_headers.iter().find(|(n, _)| n == name);
        value.map_or(&[][..], |(_, v)| v.as_bytes())
    }
}

/// `value` as a header value, if it is non-empty visible ASCII (spaces
/// inside only: a receiver trims the ends, and would sign something else).
fn visible_value(value: &str) -> Option<HeaderValue> {
    let ok = !value.is_empty()
        && value.trim() == value
        && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    ok.then(|| HeaderValue::from_str(value).ok()).flatten()
}

/// A value built from visible ASCII only (labels, digits, hex, base64, ids checked before).
fn ascii_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests;
