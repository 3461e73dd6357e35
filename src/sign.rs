//! Signing deliveries the way the providers do: for tests, senders and the
//! reference dispatcher.

use std::fmt;
use std::time::SystemTime;

use hmac::Mac;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ConfigError;
use crate::mac::{keyed_mac, HmacSha256};
use crate::scheme::Scheme;
use crate::secret::Secret;
use crate::timestamp::unix_seconds;

/// Signs bodies for one scheme with one secret, keyed once.
///
/// ```
/// use hookguard::{Scheme, Signer};
///
/// let signer = Signer::new(Scheme::mittr(), "s3cret")?;
/// let signed = signer.sign(1_764_072_000, b"{}");
/// for (name, value) in signed.iter() {
///     println!("{name}: {value:?}");
/// }
/// # Ok::<(), hookguard::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    key: HmacSha256,
    event_type: Option<HeaderValue>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme.kind())
            .field("event_type", &self.event_type)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `scheme` keyed with `secret`'s bytes as given.
    ///
    /// # Errors
    /// [`ConfigError::EmptySecret`] for an empty secret.
    pub fn new(scheme: Scheme, secret: impl Into<Secret>) -> Result<Self, ConfigError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret { index: 0 });
        }
        Ok(Signer {
            scheme,
            key: keyed_mac(&secret),
            event_type: None,
        })
    }

    /// Sends `event_type` in the scheme's event header (`X-MITPO-Event`),
    /// for schemes that have one. It is not signed.
    ///
    /// # Errors
    /// [`ConfigError::InvalidEventType`] when it is not a valid header value.
    pub fn with_event_type(mut self, event_type: &str) -> Result<Self, ConfigError> {
        let value = HeaderValue::from_str(event_type).map_err(|_| ConfigError::InvalidEventType)?;
        self.event_type = Some(value);
        Ok(self)
    }

    /// The scheme this signer follows.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The raw HMAC-SHA256 over what the scheme signs for this timestamp
    /// and body.
    pub fn digest(&self, timestamp: u64, body: &[u8]) -> [u8; 32] {
        let mut mac = self.key.clone();
        if self.scheme.kind().signs_timestamp() {
            let mut buf = [0u8; 20];
            mac.update(decimal(timestamp, &mut buf));
            mac.update(b".");
        }
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// Signs `body` with `timestamp` (unix seconds): the headers the
    /// provider would send.
    pub fn sign(&self, timestamp: u64, body: &[u8]) -> SignedHeaders {
        let signature = format!(
            "{}{}",
            self.scheme.kind().signature_prefix(),
            hex::encode(self.digest(timestamp, body))
        );
        let mut headers = vec![
            (
                self.scheme.signature_header().clone(),
                HeaderValue::try_from(signature).expect("prefix and hex are visible ASCII"),
            ),
            (
                self.scheme.timestamp_header().clone(),
                HeaderValue::from(timestamp),
            ),
        ];
        if let (Some(name), Some(value)) = (self.scheme.event_header(), &self.event_type) {
            headers.push((name.clone(), value.clone()));
        }
        SignedHeaders { headers }
    }

    /// Signs `body` with the current system time.
    pub fn sign_now(&self, body: &[u8]) -> SignedHeaders {
        self.sign(unix_seconds(SystemTime::now()), body)
    }
}

/// Writes `n` in decimal ASCII into `buf` without allocating.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

/// The headers of a signed delivery, in the order the provider sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SignedHeaders {
    /// The name/value pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(n, v)| (n, v))
    }

    /// The value of one header, if present.
    pub fn get(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Inserts the headers into `map`, replacing earlier values of the same names.
    pub fn apply_to(&self, map: &mut HeaderMap) {
        for (name, value) in &self.headers {
            map.insert(name.clone(), value.clone());
        }
    }

    /// The headers as a new [`HeaderMap`].
    pub fn to_header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        self.apply_to(&mut map);
        map
    }

    /// The name/value pairs, owned.
    pub fn into_vec(self) -> Vec<(HeaderName, HeaderValue)> {
        self.headers
    }
}

impl IntoIterator for SignedHeaders {
    type Item = (HeaderName, HeaderValue);
    type IntoIter = std::vec::IntoIter<(HeaderName, HeaderValue)>;

    fn into_iter(self) -> Self::IntoIter {
        self.headers.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Verifier, MITPO_EVENT};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn mittr_signs_timestamp_dot_body() {
        let s = Signer::new(Scheme::mittr(), "k").unwrap();
        let mut mac = keyed_mac(&Secret::from("k"));
        mac.update(b"1700000000.hello");
        let expected = hex::encode(mac.finalize().into_bytes());
        let h = s.sign(1_700_000_000, b"hello");
        assert_eq!(
            h.get(&crate::MITTR_SIGNATURE).unwrap(),
            &format!("v1={expected}")
        );
        assert_eq!(h.get(&crate::MITTR_TIMESTAMP).unwrap(), "1700000000");
    }

    #[test]
    fn mitpo_signs_the_body_alone_with_the_whole_secret() {
        let s = Signer::new(Scheme::mitpo(), "It's a Secret to Everybody").unwrap();
        let h = s.sign(1, b"Hello, World!");
        assert_eq!(
            h.get(&crate::MITPO_SIGNATURE).unwrap(),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn sign_verify_round_trips_for_both_schemes() {
        for scheme in [Scheme::mittr(), Scheme::mitpo()] {
            let signer = Signer::new(scheme.clone(), "whsec_round").unwrap();
            let verifier = Verifier::builder(scheme)
                .secret("whsec_round")
                .build()
                .unwrap();
            for body in [&b""[..], b"{}", &[0u8, 255, 10, 13][..]] {
                let h = signer.sign(1_000_000, body).to_header_map();
                let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
                assert!(verifier.verify_at(&h, body, now).is_ok());
            }
        }
    }

    #[test]
    fn event_type_goes_in_the_event_header() {
        let s = Signer::new(Scheme::mitpo(), "k")
            .unwrap()
            .with_event_type("dispatch.completed")
            .unwrap();
        assert_eq!(
            s.sign(1, b"").get(&MITPO_EVENT).unwrap(),
            "dispatch.completed"
        );
        assert!(Signer::new(Scheme::mitpo(), "k")
            .unwrap()
            .with_event_type("bad\n")
            .is_err());
        assert!(Signer::new(Scheme::mitpo(), "").is_err());
    }

    #[test]
    fn decimal_formats_every_width() {
        let mut buf = [0u8; 20];
        for n in [0, 7, 10, 1_764_072_000, u64::MAX] {
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let s = Signer::new(Scheme::mitpo(), "whsec_topsecret").unwrap();
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
