//! One delivery: where, how signed, what; and why one cannot be attempted.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Uri};

use crate::{ConfigError, Scheme, Secret, Signer};

/// A hook applied to each attempt's request after signing (to tamper with a
/// delivery in a test or a demo).
pub type RequestHook = Arc<dyn Fn(&mut Request<Bytes>) + Send + Sync>;

/// One delivery: where, how signed, what.
#[derive(Clone)]
pub struct Delivery {
    pub(super) url: Uri,
    pub(super) signer: Signer,
    pub(super) payload: Bytes,
    pub(super) hook: Option<RequestHook>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("url", &self.url)
            .field("scheme", &self.signer.scheme().name())
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Why a delivery could not be attempted at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The URL does not parse, or is not `http://`.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The secret or the event type is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl Delivery {
    /// A delivery of `payload` to `url` (plain `http://`), signed for
    /// `scheme` with `secret`. For MITPO the event header is taken from the
    /// payload's top-level `event` field, when it has one.
    ///
    /// # Errors
    /// An unparsable or non-http URL, or an empty secret.
    pub fn new(
        url: &str,
        scheme: Scheme,
        secret: impl Into<Secret>,
        payload: impl Into<Bytes>,
    ) -> Result<Self, SendError> {
        let url: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| SendError::InvalidUrl(e.to_string()))?;
        if url.scheme_str() != Some("http") || url.authority().is_none() {
            return Err(SendError::InvalidUrl(format!(
                "{url}: only http://host[:port]/path is supported"
            )));
        }
        let payload = payload.into();
        let mut signer = Signer::new(scheme, secret)?;
        if signer.scheme().event_header().is_some() {
            if let Some(event) = payload_event(&payload) {
                signer = signer.with_event_type(&event)?;
            }
        }
        Ok(Delivery {
            url,
            signer,
            payload,
            hook: None,
        })
    }

    /// Sends `event_type` in the scheme's event header instead of the
    /// payload's `event` field.
    ///
    /// # Errors
    /// An event type that is not a valid header value.
    pub fn with_event_type(mut self, event_type: &str) -> Result<Self, SendError> {
        self.signer = self.signer.with_event_type(event_type)?;
        Ok(self)
    }

    /// Applies `hook` to every attempt's request after signing.
    pub fn with_request_hook(
        mut self,
        hook: impl Fn(&mut Request<Bytes>) + Send + Sync + 'static,
    ) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The target URL.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// The payload bytes.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }
}

/// The payload's top-level `event` field, if the payload is a JSON object
/// with a string `event`: what [`Delivery::new`] sends in MITPO's
/// `X-MITPO-Event` header unless an explicit event type is given.
///
/// ```
/// use hookwarden::dispatcher::payload_event;
/// assert_eq!(payload_event(br#"{"event":"dispatch.completed"}"#).as_deref(), Some("dispatch.completed"));
/// assert_eq!(payload_event(b"not json"), None);
/// ```
pub fn payload_event(payload: &[u8]) -> Option<String> {
    crate::payload::top_level_event(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mitpo_event_header_comes_from_the_payload() {
        let d = Delivery::new(
            "http://127.0.0.1:1/x",
            Scheme::mitpo(),
            "whsec_k",
            r#"{"event":"dispatch.completed"}"#,
        )
        .unwrap();
        let h = d.signer.sign(1, &d.payload);
        assert_eq!(h.get(&crate::MITPO_EVENT).unwrap(), "dispatch.completed");
        let d = d.with_event_type("other.event").unwrap();
        assert_eq!(
            d.signer.sign(1, b"").get(&crate::MITPO_EVENT).unwrap(),
            "other.event"
        );
    }

    #[test]
    fn rejects_unusable_urls_and_secrets() {
        assert!(matches!(
            Delivery::new("not a url", Scheme::mittr(), "k", ""),
            Err(SendError::InvalidUrl(_))
        ));
        assert!(matches!(
            Delivery::new("https://example.test/", Scheme::mittr(), "k", ""),
            Err(SendError::InvalidUrl(_))
        ));
        assert!(matches!(
            Delivery::new("http://127.0.0.1/", Scheme::mittr(), "", ""),
            Err(SendError::Config(_))
        ));
    }
}
