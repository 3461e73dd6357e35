//! Signature schemes as data: which headers carry what, how entries are
//! written, what is signed, how a secret becomes a key.
//!
//! A [`Scheme`] is a description, not code: the presets
//! ([`Scheme::mittr`], [`Scheme::mitpo`], [`Scheme::stripe`],
//! [`Scheme::standard_webhooks`], [`Scheme::svix`], [`Scheme::github`],
//! [`Scheme::slack`], [`Scheme::shopify`]) are built with the same
//! [`SchemeBuilder`] a user describes another provider with. Every preset
//! documents its provider's reference and where hookwarden is stricter than
//! the provider's own library.
//!
#![doc = include_str!("../../docs/schemes.md")]

mod builder;
mod format;
mod message;
mod method;
mod pointer;
mod presets;
mod timestamp_format;

use std::borrow::Cow;
use std::time::Duration;

use http::HeaderName;

pub use builder::SchemeBuilder;
pub use format::{Encoding, EntryShape, OnInvalid, SignatureFormat};
pub use message::Part;
pub(crate) use method::method_for;
pub use method::{Algorithm, KeyFormat, Method};
pub(crate) use pointer::token_bytes;
pub use pointer::JsonPointer;
pub use presets::*;
pub use timestamp_format::TimestampFormat;

use crate::time::Tolerance;

/// Where a scheme's timestamp is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampSource {
    /// Its own header; the first of the names present is read.
    Header(Vec<HeaderName>),
    /// An entry of the signature header with this label (Stripe's `t=`).
    Entry(Cow<'static, str>),
}

/// What a delivery's replay key is made of: always bytes the signature
/// covers (an unsigned header never feeds a key).
///
/// A provider that re-signs each retry with a fresh timestamp (Stripe,
/// Slack, Mittr) sends a *different signed message* on each attempt: with
/// [`Message`](Self::Message) a retry after a lost response is a new key,
/// and is processed twice. [`JsonPointer`](Self::JsonPointer) keys on the
/// event's own id inside the signed body instead, and [`Body`](Self::Body)
/// on the body alone. See [what counts as the same
/// delivery](crate::replay#what-counts-as-the-same-delivery).
///
/// ```
/// use hookwarden::scheme::{ReplayBasis, Scheme};
///
/// // Mittr keyed on its payload's `id` rather than the signed message:
/// let mittr = Scheme::mittr().into_builder().replay_basis(ReplayBasis::json_pointer("/id")).build()?;
/// assert_eq!(mittr.replay_basis(), &ReplayBasis::json_pointer("/id"));
/// # Ok::<(), hookwarden::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayBasis {
    /// The signed message (what precedes the body, and the body): a replay
    /// is the same signed bytes, whichever entries or secret verify it.
    Message,
    /// The signed delivery id (Standard Webhooks' `webhook-id`): a retry
    /// the provider re-signs with a new timestamp is still the same delivery.
    DeliveryId,
    /// The raw body alone, whatever precedes it in the signed message (a
    /// fresh timestamp, say): two deliveries of equal bodies are one. For a
    /// scheme that signs the body alone (MITPO, GitHub, Shopify) it is the
    /// signed message, and the key is the same as [`Message`](Self::Message)'s.
    Body,
    /// A field of the signed JSON body, named by an RFC 6901 pointer
    /// (`/id`: Stripe's `evt_…`; `/event_id`: Slack's): a retry re-signed
    /// with a fresh timestamp carries the same id, and is the same delivery.
    /// The key is a digest of the value: a string's unescaped text
    /// (`"evt_1"` and `"evt\u005f1"` agree) or a number's literal text.
    /// Where the body is not JSON, or the field is missing or not a string
    /// or a number, the delivery is keyed by its signed message instead (it
    /// is never refused for it), counted by the metric
    /// `hookwarden_replay_key_fallbacks_total` and a `tracing` debug event.
    /// The body is read without building a tree; of duplicate names the
    /// last counts, as in `serde_json`.
    JsonPointer(JsonPointer),
}

impl ReplayBasis {
    /// [`ReplayBasis::JsonPointer`] from a pointer's text (checked when the
    /// scheme is built).
    pub fn json_pointer(pointer: impl Into<Cow<'static, str>>) -> Self {
        ReplayBasis::JsonPointer(JsonPointer::new(pointer))
    }

    /// The name of the basis, for logs: `message`, `delivery_id`, `body`,
    /// `json_pointer`.
    pub fn kind(&self) -> &'static str {
        match self {
            ReplayBasis::Message => "message",
            ReplayBasis::DeliveryId => "delivery_id",
            ReplayBasis::Body => "body",
            ReplayBasis::JsonPointer(_) => "json_pointer",
        }
    }
}

/// How long a processed delivery's record lives, by default, where the
/// freshness check does not bound a copy's life: a day. See
/// [`Scheme::replay_record_ttl`].
pub const DEFAULT_REPLAY_RECORD_TTL: Duration = Duration::from_secs(24 * 3600);

/// A signature scheme: the headers, the entry format, the signing methods,
/// the signed message, the default freshness window and the replay basis.
///
/// Start from a preset, or describe a provider with [`Scheme::builder`].
/// Header names can be overridden, for instance behind a proxy that
/// renames headers:
///
/// ```
/// use hookwarden::Scheme;
/// use http::HeaderName;
///
/// let scheme = Scheme::mittr()
///     .with_signature_header(HeaderName::from_static("x-forwarded-mittr-signature"));
/// assert_eq!(scheme.signature_header().as_str(), "x-forwarded-mittr-signature");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub(crate) name: Cow<'static, str>,
    pub(crate) signature: Vec<HeaderName>,
    pub(crate) format: SignatureFormat,
    pub(crate) methods: Vec<Method>,
    pub(crate) timestamp: Option<TimestampSource>,
    pub(crate) timestamp_format: TimestampFormat,
    pub(crate) delivery_id: Vec<HeaderName>,
    pub(crate) event: Option<HeaderName>,
    pub(crate) message: Vec<Part>,
    pub(crate) tolerance: Tolerance,
    pub(crate) replay_basis: ReplayBasis,
    pub(crate) replay_record_ttl: Duration,
    pub(crate) empty_is_missing: bool,
}

impl Scheme {
    /// Describes a provider hookwarden does not ship; see [`SchemeBuilder`].
    pub fn builder(name: impl Into<Cow<'static, str>>) -> SchemeBuilder {
        SchemeBuilder::new(name.into())
    }

    /// The preset called `name` (one of [`Scheme::PRESETS`]: `mittr`,
    /// `stripe`, `standard-webhooks`, `github`, …), as the CLI's `--scheme`
    /// takes it; `standard_webhooks` is read as `standard-webhooks`.
    pub fn preset(name: &str) -> Option<Scheme> {
        let name = if name == "standard_webhooks" {
            "standard-webhooks"
        } else {
            name
        };
        presets::CATALOGUE
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| (entry.build)())
    }

    /// The names [`Scheme::preset`] knows, in the CLI's order.
    pub const PRESETS: &'static [&'static str] = &presets::names(&presets::CATALOGUE);

    /// Reads the signature from `name` alone instead of the scheme's header(s).
    #[must_use]
    pub fn with_signature_header(mut self, name: HeaderName) -> Self {
        self.signature = vec![name];
        self
    }

    /// Reads the timestamp from `name` alone instead of the scheme's
    /// header(s). Ignored by schemes without a timestamp header.
    #[must_use]
    pub fn with_timestamp_header(mut self, name: HeaderName) -> Self {
        if let Some(TimestampSource::Header(names)) = &mut self.timestamp {
            *names = vec![name];
        }
        self
    }

    /// Reads the (unsigned) event type from `name`, or from no header with `None`.
    #[must_use]
    pub fn with_event_header(mut self, name: Option<HeaderName>) -> Self {
        self.event = name;
        self
    }

    /// Sets the default freshness window of verifiers built for this scheme.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Tolerance) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The scheme's name: `mittr`, `stripe`, `standard-webhooks`, … (in
    /// logs, metrics, and the default namespace of replay keys).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_cow(&self) -> Cow<'static, str> {
        self.name.clone()
    }

    /// The header carrying the signature entries (the first read, when
    /// there are fallbacks).
    pub fn signature_header(&self) -> &HeaderName {
        &self.signature[0]
    }

    /// Every header the signature is looked for in, in order: the first
    /// present is read (Svix: `svix-signature`, then `webhook-signature`).
    pub fn signature_headers(&self) -> &[HeaderName] {
        &self.signature
    }

    /// The header carrying the timestamp: its own header, or the signature
    /// header for a timestamp written as an entry (Stripe). `None` for
    /// schemes without a timestamp (GitHub, Shopify).
    pub fn timestamp_header(&self) -> Option<&HeaderName> {
        match self.timestamp.as_ref()? {
            TimestampSource::Header(names) => names.first(),
            TimestampSource::Entry(_) => Some(self.signature_header()),
        }
    }

    /// Where the timestamp is read from, if the scheme has one.
    pub fn timestamp_source(&self) -> Option<&TimestampSource> {
        self.timestamp.as_ref()
    }

    /// How the timestamp is written (unix seconds unless the scheme says
    /// otherwise).
    pub fn timestamp_format(&self) -> TimestampFormat {
        self.timestamp_format
    }

    /// The header(s) carrying the delivery id (first present is read), if
    /// the scheme has one.
    pub fn delivery_id_headers(&self) -> &[HeaderName] {
        &self.delivery_id
    }

    /// The header carrying the unsigned event type, if the scheme has one.
    pub fn event_header(&self) -> Option<&HeaderName> {
        self.event.as_ref()
    }

    /// How entries are written.
    pub fn signature_format(&self) -> &SignatureFormat {
        &self.format
    }

    /// The signing methods, in order.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The signed message's parts, ending with [`Part::Body`].
    pub fn message(&self) -> &[Part] {
        &self.message
    }

    /// Whether the timestamp is part of the signed message.
    pub fn signs_timestamp(&self) -> bool {
        self.message.contains(&Part::Timestamp)
    }

    /// Whether the delivery id is part of the signed message.
    pub fn signs_delivery_id(&self) -> bool {
        self.message.contains(&Part::DeliveryId)
    }

    /// The default freshness window (a verifier's builder can change it).
    pub fn tolerance(&self) -> Tolerance {
        self.tolerance
    }

    /// What replay keys are made of.
    pub fn replay_basis(&self) -> &ReplayBasis {
        &self.replay_basis
    }

    /// How long the record of a processed delivery lives by default when
    /// keys are not the signed message ([`ReplayBasis::Body`],
    /// [`DeliveryId`](ReplayBasis::DeliveryId),
    /// [`JsonPointer`](ReplayBasis::JsonPointer)), or when the signature
    /// covers no timestamp: long enough to cover the provider's retries
    /// (each preset says how long its provider retries). It is never
    /// shorter than the freshness window and one second. With the signed
    /// message as the key and a signed timestamp, a record lives the
    /// window and one second instead: a copy is stale after that, and a
    /// retry is a new message anyway. A
    /// [`ReplayProtection::record_ttl`](crate::replay::ReplayProtection::record_ttl)
    /// set explicitly wins.
    pub fn replay_record_ttl(&self) -> Duration {
        self.replay_record_ttl
    }

    /// A builder holding this scheme's description, to change what a
    /// preset sets: the setters that add (headers, methods) add to the
    /// preset's, the others replace.
    ///
    /// ```
    /// use hookwarden::scheme::{ReplayBasis, Scheme};
    ///
    /// let scheme = Scheme::mittr().into_builder().replay_basis(ReplayBasis::Body).build()?;
    /// assert_eq!(scheme.replay_basis(), &ReplayBasis::Body);
    /// # Ok::<(), hookwarden::ConfigError>(())
    /// ```
    pub fn into_builder(self) -> SchemeBuilder {
        SchemeBuilder::from_scheme(self)
    }

    /// Whether an empty signature header counts as missing (400
    /// `missing_header`) rather than malformed, as most providers' libraries do.
    pub fn empty_is_missing(&self) -> bool {
        self.empty_is_missing
    }
}

#[cfg(test)]
mod tests;
