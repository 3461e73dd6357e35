//! [`SignedHeaders`]: the headers a provider would send.

use http::{HeaderMap, HeaderName, HeaderValue};

/// The headers of a signed delivery, in the order the provider sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
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
