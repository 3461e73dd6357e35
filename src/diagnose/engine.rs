//! The engine: given a failed verification, tries the usual mistakes one
//! by one (each candidate one signature over at most a bounded multiple of
//! the body), cheapest and likeliest first, under a budget, and names the
//! first that makes the signature match. What it tried is recorded as
//! codes.

use std::time::SystemTime;

use http::HeaderName;

use super::cause::LikelyCause;
use super::compress::{self, Codec};
use super::json::{self, Escapes, Layout, Style, ASCII, RAW};
use super::key::Keyed;
use super::limits::{Budget, Limits};
use super::request::{self, Request};
use super::{body, secret, signature};
use crate::headers::Headers;
use crate::scheme::KeyFormat;
use crate::signature::{Candidate, Candidates, EntryReader};
use crate::{ConfigError, Error, Scheme, Secret, Verifier};

/// The codes of the signature-form checks, tried together.
const SIGNATURE_CODES: [&str; 5] = [
    "signature_encoding",
    "signature_case_changed",
    "signature_label",
    "signature_several_entries",
    "signature_algorithm",
];

/// Re-serializations tried: how the provider's library may have written
/// the body, most common first.
const STYLES: [(Layout, Escapes, &str); 7] = [
    (Layout::Compact, RAW, "compact"),
    (Layout::Pretty(2), RAW, "pretty-printed with 2 spaces"),
    (
        Layout::Spaced,
        ASCII,
        "written by Python's json.dumps (`, ` and `: `, \\u escapes)",
    ),
    (Layout::Compact, ASCII, "compact with \\u escapes"),
    (
        Layout::Compact,
        Escapes {
            slash: true,
            ..ASCII
        },
        "written by PHP's json_encode (\\u escapes, `\\/`)",
    ),
    (
        Layout::Pretty(2),
        ASCII,
        "pretty-printed with 2 spaces and \\u escapes",
    ),
    (Layout::Pretty(4), RAW, "pretty-printed with 4 spaces"),
];

/// The largest body compressed again to check a signature made after
/// compression.
const MAX_RECOMPRESSED: usize = 256 << 10;

/// How many of [`STYLES`] are tried with keys sorted.
const SORTED_STYLES: usize = 3;

/// One diagnosis in progress.
pub(super) struct Engine<'a, H: Headers + ?Sized> {
    scheme: &'a Scheme,
    headers: &'a H,
    body: &'a [u8],
    secrets: &'a [Secret],
    now: SystemTime,
    limits: Limits,
    budget: Budget,
    request: Request<'a>,
    /// The codes tried, in order.
    pub(super) tried: Vec<&'static str>,
}

impl<'a, H: Headers + ?Sized> Engine<'a, H> {
    pub(super) fn new(
        scheme: &'a Scheme,
        headers: &'a H,
        body: &'a [u8],
        secrets: &'a [Secret],
        now: SystemTime,
        limits: Limits,
    ) -> Self {
        Engine {
            scheme,
            headers,
            body,
            secrets,
            now,
            limits,
            budget: Budget::new(limits.max_candidates),
            request: Request::read(scheme, headers),
            tried: Vec::new(),
        }
    }

    fn note(&mut self, code: &'static str) {
        if !self.tried.contains(&code) {
            self.tried.push(code);
        }
    }

    /// The configured secrets that are keys of the scheme.
    fn keys(&self) -> Vec<Keyed> {
        self.secrets
            .iter()
            .filter_map(|s| Keyed::from_secret(self.scheme, s.expose()))
            .collect()
    }

    /// The signature entries as the verifier reads them.
    fn entries(&self) -> Vec<Candidate> {
        let mut candidates = Candidates::new();
        let mut reader = EntryReader::new(self.scheme, &mut candidates);
        for value in &self.request.signature {
            if reader.read(value).is_err() {
                break;
            }
        }
        match reader.finish() {
            Ok(_) => candidates.as_slice().to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// What the scheme signs before the body, with this request's values.
    fn own_prefix(&self) -> Option<Vec<u8>> {
        request::prefix(
            self.scheme.message(),
            self.request.timestamp,
            self.request.id,
            self.headers,
        )
    }

    /// Whether the delivery verifies under `scheme` with the configured
    /// secrets, its timestamp not checked.
    fn verifies_as(&mut self, scheme: &Scheme) -> bool {
        for _ in self.secrets {
            if !self.budget.spend() {
                return false;
            }
        }
        Verifier::builder(scheme.clone())
            .secrets(self.secrets.iter().map(Secret::expose))
            .disable_timestamp_check()
            .body_limit(u64::MAX)
            .build()
            .is_ok_and(|v| v.verify_at(self.headers, self.body, self.now).is_ok())
    }

    /// The verifier could not be built: a secret that a usual mistake
    /// spoiled, or one that is no key of the scheme.
    pub(super) fn explain_config(&mut self, error: ConfigError) -> LikelyCause {
        if let Some(cause) =
            self.secret_variants(&self.entries(), &self.own_prefix().unwrap_or_default())
        {
            return cause;
        }
        self.note("invalid_secret");
        // A signing key given to verify: say so rather than "not base64".
        let signing = self.secrets.iter().position(|s| {
            self.scheme.methods().iter().any(|m| {
                m.signing_key_format() != m.key_format()
                    && matches!(m.signing_key_format(), KeyFormat::Base64 { prefix, .. } if s.expose().starts_with(prefix.as_bytes()))
            })
        });
        let error = match signing {
            Some(index) => ConfigError::InvalidSecret {
                index,
                reason: "it is a `whsk_` signing key, not a `whpk_` public key",
            },
            None => error,
        };
        LikelyCause::InvalidSecret { error }
    }

    /// Why the verifier rejected the delivery with `error`.
    pub(super) fn explain(&mut self, error: &Error) -> Option<LikelyCause> {
        Some(match error {
            Error::MissingHeader { header } => self.missing(header),
            Error::MalformedHeader { header, reason } => {
                if let Some(cause) = self.malformed_signature(header) {
                    return Some(cause);
                }
                self.note("malformed_header");
                LikelyCause::MalformedHeader {
                    header: header.clone(),
                    reason: *reason,
                }
            }
            Error::TimestampTooOld { timestamp, now, .. }
            | Error::TimestampInFuture { timestamp, now, .. } => self.stale(*timestamp, *now),
            Error::SignatureMismatch { .. } => self.mismatch(),
            _ => return None,
        })
    }

    fn missing(&mut self, header: &HeaderName) -> LikelyCause {
        self.note("wrong_scheme");
        let own: Vec<&HeaderName> = self.scheme.signature_headers().iter().collect();
        let mut present = Vec::new();
        for name in Scheme::PRESETS {
            let Some(preset) = Scheme::preset(name) else {
                continue;
            };
            if preset.name() == self.scheme.name() {
                continue;
            }
            let carries = preset
                .signature_headers()
                .iter()
                .any(|h| !own.contains(&h) && self.headers.values(h).next().is_some());
            if carries {
                present.push((*name, preset));
            }
        }
        for (name, preset) in &present {
            if self.verifies_as(preset) {
                return LikelyCause::WrongScheme {
                    looks_like: name,
                    confirmed: true,
                };
            }
        }
        if let Some((name, _)) = present.first() {
            return LikelyCause::WrongScheme {
                looks_like: name,
                confirmed: false,
            };
        }
        self.note("missing_header");
        LikelyCause::MissingHeader {
            header: header.clone(),
        }
    }

    /// A malformed signature header: a right signature written wrong, or
    /// another preset's entries.
    fn malformed_signature(&mut self, header: &HeaderName) -> Option<LikelyCause> {
        if !self.scheme.signature_headers().contains(header) {
            return None;
        }
        if let Some(prefix) = self.own_prefix() {
            if let Some(cause) = self.signature_form(&prefix) {
                return Some(cause);
            }
        }
        self.note("wrong_scheme");
        let own = self.scheme.name();
        let tokens = self
            .request
            .signature
            .iter()
            .flat_map(|v| v.split(|b| matches!(b, b',' | b' ' | b';' | b'\t')));
        for token in tokens.take(64) {
            let Some(at) = token.iter().position(|b| matches!(b, b'=' | b',')) else {
                continue;
            };
            let (label, sep) = (&token[..at], token[at]);
            let hit = Scheme::PRESETS.iter().find(|name| {
                Scheme::preset(name).is_some_and(|p| {
                    p.name() != own
                        && p.signature_format().label_separator() == Some(sep)
                        && p.methods().iter().any(|m| m.label().as_bytes() == label)
                })
            });
            if let Some(name) = hit {
                return Some(LikelyCause::WrongScheme {
                    looks_like: name,
                    confirmed: false,
                });
            }
        }
        None
    }

    fn stale(&mut self, timestamp: u64, now: u64) -> LikelyCause {
        self.note("timestamp_in_milliseconds");
        if timestamp >= 1_000_000_000_000 && (timestamp / 1000).abs_diff(now) <= 86_400 {
            return LikelyCause::TimestampInMilliseconds;
        }
        self.note("clock_skew");
        let seconds = i64::try_from(i128::from(timestamp) - i128::from(now)).unwrap_or(i64::MAX);
        let signature_valid = self.verifies_as(&self.scheme.clone());
        LikelyCause::ClockSkew {
            seconds,
            signature_valid,
        }
    }

    /// The signature-form checks, with every configured key over `prefix ‖ body`.
    fn signature_form(&mut self, prefix: &[u8]) -> Option<LikelyCause> {
        if self.request.signature.is_empty() {
            return None;
        }
        let keys: Vec<Keyed> = self.keys().into_iter().filter(Keyed::is_hmac).collect();
        if keys.is_empty() {
            return None;
        }
        SIGNATURE_CODES.iter().for_each(|c| self.note(c));
        for key in keys {
            if !self.budget.spend() {
                break;
            }
            let values = self.request.signature.clone();
            if let Some(cause) = signature::explain(
                self.scheme,
                &values,
                &key,
                &[prefix, self.body],
                &mut self.budget,
            ) {
                return Some(cause);
            }
        }
        None
    }

    fn secret_variants(&mut self, entries: &[Candidate], prefix: &[u8]) -> Option<LikelyCause> {
        for secret in self.secrets {
            for (cause, key) in secret::variants(self.scheme, secret.expose()) {
                self.note(cause.code());
                if !self.budget.spend() {
                    return None;
                }
                if key.matches(&[prefix, self.body], entries) {
                    return Some(cause);
                }
            }
        }
        None
    }

    /// Tries `body` (and `body ‖ "\n"` when `newline`) with every key.
    fn body_matches(
        &mut self,
        keys: &[Keyed],
        prefix: &[u8],
        body: &[u8],
        newline: bool,
        entries: &[Candidate],
    ) -> bool {
        let variants: &[(usize, &[u8])] = if newline {
            &[(usize::MAX, b""), (usize::MAX, b"\n")]
        } else {
            &[(usize::MAX, b"")]
        };
        keys.iter().any(|key| {
            self.budget.spend() && key.matches_cuts(prefix, body, variants, entries).is_some()
        })
    }

    fn mismatch(&mut self) -> LikelyCause {
        let keys = self.keys();
        let entries = self.entries();
        let prefix = self.own_prefix().unwrap_or_default();
        let body = self.body;
        if let Some(cause) = self.signature_form(&prefix) {
            return cause;
        }
        if let Some(cause) = self.secret_variants(&entries, &prefix) {
            return cause;
        }
        self.note("scheme_mixup");
        for layout in request::layouts(self.scheme, &self.request, self.headers) {
            for key in &keys {
                if self.budget.spend() && key.matches(&[&layout.prefix, body], &entries) {
                    return LikelyCause::SchemeMixup {
                        signed_as: layout.signed_as,
                        like: layout.like,
                    };
                }
            }
        }
        if body.is_empty() {
            self.note("body_empty");
            return LikelyCause::BodyEmpty;
        }
        if let Some(cause) = self.body_variants(&keys, &prefix, &entries) {
            return cause;
        }
        let (value, not_json) = match json::parse(body) {
            Ok(value) => (Some(value), None),
            Err(e) => (None, Some(e)),
        };
        if let Some(value) = value {
            if let Some(cause) = self.json_variants(value, &keys, &prefix, &entries) {
                return cause;
            }
        }
        if let Some(cause) = self.compression(&keys, &prefix, &entries) {
            return cause;
        }
        self.evidence(not_json).unwrap_or_else(|| {
            self.note("different_secret");
            LikelyCause::DifferentSecret {
                fingerprints: self.secrets.iter().map(Secret::fingerprint).collect(),
            }
        })
    }

    fn body_variants(
        &mut self,
        keys: &[Keyed],
        prefix: &[u8],
        entries: &[Candidate],
    ) -> Option<LikelyCause> {
        let cuts = body::cut_variants(self.body);
        cuts.iter().for_each(|(_, _, c)| self.note(c.code()));
        let variants: Vec<(usize, &[u8])> = cuts.iter().map(|(cut, s, _)| (*cut, *s)).collect();
        for key in keys {
            if !self.budget.spend() {
                return None;
            }
            if let Some(i) = key.matches_cuts(prefix, self.body, &variants, entries) {
                return Some(cuts[i].2.clone());
            }
        }
        for (candidate, cause) in body::variants(self.body) {
            self.note(cause.code());
            if self.body_matches(keys, prefix, &candidate, false, entries) {
                return Some(cause);
            }
        }
        None
    }

    /// The largest re-written body tried: a re-serialization or escaping
    /// may grow the body, within bounds.
    fn variant_cap(&self) -> usize {
        self.body
            .len()
            .saturating_mul(4)
            .saturating_add(4096)
            .min(self.limits.max_decompressed.max(self.body.len()))
    }

    fn json_variants(
        &mut self,
        mut value: json::Value<'_>,
        keys: &[Keyed],
        prefix: &[u8],
        entries: &[Candidate],
    ) -> Option<LikelyCause> {
        let cap = self.variant_cap();
        // Styles are told apart before anything is written (below); what
        // is left to skip is a candidate equal to the body itself.
        let body = self.body;
        if json::has_non_ascii(self.body) {
            self.note("body_json_escapes");
            for escapes in [
                ASCII,
                Escapes {
                    non_ascii: Some(true),
                    ..ASCII
                },
                RAW,
            ] {
                let Some(candidate) = json::reencode_strings(self.body, escapes, cap) else {
                    continue;
                };
                if candidate != body && self.body_matches(keys, prefix, &candidate, false, entries)
                {
                    return Some(LikelyCause::BodyJsonEscapes {
                        signed_escaped: escapes.non_ascii.is_some(),
                    });
                }
            }
        }
        self.note("body_reserialized");
        // Escapes that change nothing in this body are left out: styles
        // that then coincide are written once.
        let non_ascii = json::has_non_ascii(self.body);
        let slash = self.body.contains(&b'/');
        let mut styles: Vec<(Style, &'static str)> = Vec::new();
        for (layout, mut escapes, name) in STYLES {
            escapes.non_ascii = escapes.non_ascii.filter(|_| non_ascii);
            escapes.slash &= slash;
            let style = Style { layout, escapes };
            if !styles.iter().any(|(s, _)| *s == style) {
                styles.push((style, name));
            }
        }
        for sorted in [false, true] {
            if sorted && !json::sort_keys(&mut value) {
                break;
            }
            // Sorted keys, as Python's sort_keys, Go's maps and serde_json's
            // `Value` write them: the commonest styles only.
            let count = if sorted {
                SORTED_STYLES.min(styles.len())
            } else {
                styles.len()
            };
            for &(style, name) in &styles[..count] {
                let Some(candidate) = json::write(&value, style, cap) else {
                    continue;
                };
                if candidate != body && self.body_matches(keys, prefix, &candidate, true, entries) {
                    return Some(LikelyCause::BodyReserialized {
                        style: name,
                        keys_sorted: sorted,
                    });
                }
            }
        }
        None
    }

    fn compression(
        &mut self,
        keys: &[Keyed],
        prefix: &[u8],
        entries: &[Candidate],
    ) -> Option<LikelyCause> {
        let sniffed = Codec::sniff(self.body);
        if let Some(codec) = sniffed {
            self.note("body_compressed");
            if let Some(plain) =
                compress::decompress(codec, self.body, self.limits.max_decompressed)
            {
                if self.body_matches(keys, prefix, &plain, false, entries) {
                    return Some(LikelyCause::BodyCompressed {
                        encoding: codec.name(),
                        confirmed: true,
                    });
                }
            }
        }
        // Compressing again matches only a sender whose compressor and level
        // are flate2's defaults: worth its cost on bodies of moderate size.
        let small = self.body.len() <= MAX_RECOMPRESSED;
        if let (None, Some(codec @ (Codec::Gzip | Codec::Deflate)), true) =
            (sniffed, self.request.encoding, small)
        {
            self.note("body_decompressed");
            if let Some(packed) = compress::compress(codec, self.body) {
                if self.body_matches(keys, prefix, &packed, false, entries) {
                    return Some(LikelyCause::BodyDecompressed {
                        encoding: codec.name(),
                    });
                }
            }
        }
        None
    }

    /// Causes shown by the request itself, when no candidate matched.
    fn evidence(&mut self, json: Option<json::NotJson>) -> Option<LikelyCause> {
        let received = self.body.len();
        self.note("body_truncated");
        let declared = self.request.content_length.filter(|&d| d > received as u64);
        if declared.is_some() || json == Some(json::NotJson::Truncated) {
            return Some(LikelyCause::BodyTruncated { received, declared });
        }
        self.note("body_decoded_lossily");
        if body::has_replacement_characters(self.body) {
            return Some(LikelyCause::BodyDecodedLossily);
        }
        if let Some(codec) = self.request.encoding {
            self.note("body_compressed");
            if codec == Codec::Brotli || Codec::sniff(self.body).is_some() {
                return Some(LikelyCause::BodyCompressed {
                    encoding: codec.name(),
                    confirmed: false,
                });
            }
        }
        None
    }
}
