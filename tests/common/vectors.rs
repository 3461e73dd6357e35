//! Loads the provider-signed test vectors in `tests/data/signatures.json`.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

/// One case: a delivery, the verifier settings, and the expected verdict.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub name: String,
    pub scheme: String,
    pub secrets: Vec<String>,
    pub now: u64,
    pub tolerance_secs: u64,
    pub headers: Vec<(String, String)>,
    pub body_base64: String,
    /// `ok` or an error code.
    pub expect: String,
}

impl Case {
    pub fn scheme(&self) -> hookwarden::Scheme {
        match self.scheme.as_str() {
            "mittr" => hookwarden::Scheme::mittr(),
            "mitpo" => hookwarden::Scheme::mitpo(),
            other => panic!("unknown scheme {other} in case {}", self.name),
        }
    }

    pub fn verifier(&self) -> hookwarden::Verifier {
        hookwarden::Verifier::builder(self.scheme())
            .secrets(self.secrets.iter())
            .tolerance(Duration::from_secs(self.tolerance_secs))
            .build()
            .expect("vector secrets are valid")
    }

    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.now)
    }

    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("valid header name"),
                HeaderValue::from_bytes(value.as_bytes()).expect("valid header value"),
            );
        }
        map
    }

    pub fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_base64)
            .expect("valid base64 body")
    }
}

/// All cases from the crate's copy of the vectors.
pub fn load() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/signatures.json");
    let text = std::fs::read(path).expect("tests/data/signatures.json is present");
    serde_json::from_slice(&text).expect("signatures.json parses")
}
