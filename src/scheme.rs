//! The two signature schemes: which headers carry what, and what is signed.

use http::HeaderName;

/// `X-Mittr-Signature`: `v1=<hex>` entries.
pub const MITTR_SIGNATURE: HeaderName = HeaderName::from_static("x-mittr-signature");
/// `X-Mittr-Timestamp`: unix seconds, covered by the signature.
pub const MITTR_TIMESTAMP: HeaderName = HeaderName::from_static("x-mittr-timestamp");
/// `X-MITPO-Signature`: `sha256=<hex>` entries.
pub const MITPO_SIGNATURE: HeaderName = HeaderName::from_static("x-mitpo-signature");
/// `X-MITPO-Timestamp`: unix seconds, **not** covered by the signature.
pub const MITPO_TIMESTAMP: HeaderName = HeaderName::from_static("x-mitpo-timestamp");
/// `X-MITPO-Event`: the event type, **not** covered by the signature.
pub const MITPO_EVENT: HeaderName = HeaderName::from_static("x-mitpo-event");

/// Which provider's signing rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemeKind {
    /// Mittr: `v1=HMAC-SHA256(secret, "<timestamp>.<body>")`.
    Mittr,
    /// MITPO: `sha256=HMAC-SHA256(secret, body)`.
    Mitpo,
}

impl SchemeKind {
    /// The lower-case name: `"mittr"` or `"mitpo"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SchemeKind::Mittr => "mittr",
            SchemeKind::Mitpo => "mitpo",
        }
    }

    /// The prefix of each entry in the signature header: `"v1="` or `"sha256="`.
    pub const fn signature_prefix(self) -> &'static str {
        match self {
            SchemeKind::Mittr => "v1=",
            SchemeKind::Mitpo => "sha256=",
        }
    }

    /// Whether the timestamp is part of the signed message (`true` for Mittr only).
    pub const fn signs_timestamp(self) -> bool {
        matches!(self, SchemeKind::Mittr)
    }
}

impl std::fmt::Display for SchemeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signature scheme together with the header names it is read from.
///
/// Start from [`Scheme::mittr`] or [`Scheme::mitpo`]; the header names can be
/// overridden, for instance behind a proxy that renames headers:
///
/// ```
/// use hookguard::Scheme;
/// use http::HeaderName;
///
/// let scheme = Scheme::mittr()
///     .with_signature_header(HeaderName::from_static("x-forwarded-mittr-signature"));
/// assert_eq!(scheme.signature_header().as_str(), "x-forwarded-mittr-signature");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    kind: SchemeKind,
    signature_header: HeaderName,
    timestamp_header: HeaderName,
    event_header: Option<HeaderName>,
}

impl Scheme {
    /// Mittr: `X-Mittr-Signature: v1=<hex>` over `<timestamp>.<body>`, with
    /// the timestamp in `X-Mittr-Timestamp`.
    pub const fn mittr() -> Self {
        Scheme {
            kind: SchemeKind::Mittr,
            signature_header: MITTR_SIGNATURE,
            timestamp_header: MITTR_TIMESTAMP,
            event_header: None,
        }
    }

    /// MITPO: `X-MITPO-Signature: sha256=<hex>` over the body alone;
    /// `X-MITPO-Timestamp` and `X-MITPO-Event` come alongside, unsigned.
    pub const fn mitpo() -> Self {
        Scheme {
            kind: SchemeKind::Mitpo,
            signature_header: MITPO_SIGNATURE,
            timestamp_header: MITPO_TIMESTAMP,
            event_header: Some(MITPO_EVENT),
        }
    }

    /// Reads the signature from `name` instead of the provider's header.
    #[must_use]
    pub fn with_signature_header(mut self, name: HeaderName) -> Self {
        self.signature_header = name;
        self
    }

    /// Reads the timestamp from `name` instead of the provider's header.
    #[must_use]
    pub fn with_timestamp_header(mut self, name: HeaderName) -> Self {
        self.timestamp_header = name;
        self
    }

    /// Reads the (unsigned) event type from `name`, or from no header with `None`.
    ///
    /// Defaults to `X-MITPO-Event` for MITPO and to none for Mittr.
    #[must_use]
    pub fn with_event_header(mut self, name: Option<HeaderName>) -> Self {
        self.event_header = name;
        self
    }

    /// Which provider's rules apply.
    pub const fn kind(&self) -> SchemeKind {
        self.kind
    }

    /// The header carrying the signature entries.
    pub const fn signature_header(&self) -> &HeaderName {
        &self.signature_header
    }

    /// The header carrying the unix timestamp.
    pub const fn timestamp_header(&self) -> &HeaderName {
        &self.timestamp_header
    }

    /// The header carrying the unsigned event type, if the scheme has one.
    pub const fn event_header(&self) -> Option<&HeaderName> {
        self.event_header.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_header_names_match_the_providers() {
        assert_eq!(Scheme::mittr().signature_header(), "x-mittr-signature");
        assert_eq!(Scheme::mittr().timestamp_header(), "x-mittr-timestamp");
        assert_eq!(Scheme::mittr().event_header(), None);
        assert_eq!(Scheme::mitpo().signature_header(), "x-mitpo-signature");
        assert_eq!(Scheme::mitpo().timestamp_header(), "x-mitpo-timestamp");
        assert_eq!(Scheme::mitpo().event_header().unwrap(), "x-mitpo-event");
    }

    #[test]
    fn only_mittr_signs_the_timestamp() {
        assert!(SchemeKind::Mittr.signs_timestamp());
        assert!(!SchemeKind::Mitpo.signs_timestamp());
    }
}
