//! What most likely made a verification fail: one variant per cause, each
//! with a stable code.

use http::HeaderName;

use crate::scheme::{Algorithm, Encoding};
use crate::{ConfigError, Malformed};

/// What most likely made a verification fail.
///
/// Every variant has a stable [`code`](LikelyCause::code) (the same in the
/// library, the CLI's `--json`, `hookwarden listen` and the in-browser
/// page) and a fix in the terms of whoever reads it
/// ([`hint_for`](LikelyCause::hint_for)). Most causes are
/// [confirmed](LikelyCause::is_confirmed): the engine undid the mistake and
/// the signature then matched. The others rest on evidence in the request
/// (a missing header, a `Content-Length` larger than the body, …).
///
/// No variant holds a secret or anything of the expected signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LikelyCause {
    /// A required header is absent.
    MissingHeader {
        /// The header.
        header: HeaderName,
    },
    /// A header cannot be parsed.
    MalformedHeader {
        /// The header.
        header: HeaderName,
        /// Why.
        reason: Malformed,
    },
    /// The request carries another preset's headers (or entry labels).
    WrongScheme {
        /// The preset the request looks like (`github`, `svix`, …).
        looks_like: &'static str,
        /// Whether it verifies as that preset with the configured secrets.
        confirmed: bool,
    },
    /// The secret (or key) at this position cannot be a key of the scheme.
    InvalidSecret {
        /// Why, as the verifier's builder said it (never the secret).
        error: ConfigError,
    },
    /// The timestamp is in milliseconds, not seconds.
    TimestampInMilliseconds,
    /// The timestamp is outside the tolerance, either way: clocks disagree,
    /// or the delivery is old (a late retry or a replay).
    ClockSkew {
        /// Timestamp minus now, in seconds (negative: in the past).
        seconds: i64,
        /// Whether the signature is otherwise valid.
        signature_valid: bool,
    },
    /// The signature is over another message layout than the scheme's:
    /// another preset's (body alone, `<timestamp>.<body>`, …) or another
    /// separator.
    SchemeMixup {
        /// The layout that matched, such as `<timestamp>.<body>`.
        signed_as: String,
        /// The presets that sign this layout, if any.
        like: Vec<&'static str>,
    },
    /// The signature is hex where the scheme writes base64, or the reverse.
    SignatureEncoding {
        /// The encoding found.
        found: Encoding,
        /// The scheme's.
        expected: Encoding,
    },
    /// The base64 signature's letters changed case on the way.
    SignatureCaseChanged,
    /// The signature was made with another algorithm (recognized by its
    /// length, confirmed by recomputing it).
    SignatureAlgorithm {
        /// The algorithm that matched.
        found: Algorithm,
        /// The scheme's.
        expected: Algorithm,
    },
    /// The signature is right but written under another label or version
    /// (`sha256=` for `v1=`, `v1=` for `v1,`).
    SignatureLabel {
        /// The label found (visible ASCII, at most 16 characters; empty if
        /// it was anything else).
        found: String,
        /// The entry the scheme expects, such as `v1=<hex>`.
        expected: String,
    },
    /// The header holds several values where the scheme expects one (a
    /// proxy joined repeated headers, or a sender signed with several
    /// secrets); one of them is right.
    SignatureSeveralEntries {
        /// How many values the header held.
        entries: usize,
    },
    /// The secret has surrounding whitespace or a newline on one side.
    SecretWhitespace {
        /// `true` when the configured secret has it, `false` when the sender's did.
        configured: bool,
    },
    /// The configured secret kept the quotes around it in an env file.
    SecretQuoted,
    /// The secret was used with the provider's prefix on one side and
    /// without it on the other.
    SecretPrefix {
        /// The prefix, such as `whsec_`.
        prefix: &'static str,
        /// `true` when the sender used it without the prefix.
        sender_stripped: bool,
    },
    /// The key that signed is the base64 decoding of the configured secret:
    /// the sender decodes it where the scheme uses the text, or the
    /// configured value is still base64-encoded (a Kubernetes `Secret`).
    SecretBase64Decoded,
    /// The key that signed is the base64 encoding of the configured secret:
    /// it was decoded where it is configured.
    SecretBase64Encoded,
    /// The key that signed is the hex decoding of the configured secret.
    SecretHexDecoded,
    /// The key that signed is the hex encoding of the configured secret:
    /// it was decoded where it is configured.
    SecretHexEncoded,
    /// The scheme decodes the secret (Standard Webhooks' `whsec_` +
    /// base64) but the sender used its text as the key.
    SecretNotDecoded,
    /// A UTF-8 byte-order mark was added to the body, or removed.
    BodyBom {
        /// `true` when the received body has one the signed body lacked.
        added: bool,
    },
    /// A trailing newline was added or removed after signing.
    TrailingNewline {
        /// `true` when the received body has one the signed body lacked.
        added: bool,
    },
    /// Whitespace was added around the body after signing (indentation, a
    /// blank line), or trimmed.
    BodyWhitespace {
        /// `true` when the received body has whitespace the signed one lacked.
        added: bool,
    },
    /// Line endings were converted after signing.
    LineEndingsChanged {
        /// `true` when the received body has CRLF where the signed one had LF.
        to_crlf: bool,
    },
    /// JSON strings were re-encoded: non-ASCII characters written as `\u`
    /// escapes on one side and as UTF-8 on the other.
    BodyJsonEscapes {
        /// `true` when the signed body had the escapes.
        signed_escaped: bool,
    },
    /// The body was parsed and re-serialized after signing.
    BodyReserialized {
        /// What the signed body looked like, such as `compact`.
        style: &'static str,
        /// Whether its object keys were sorted where the received ones are not.
        keys_sorted: bool,
    },
    /// The body's characters were re-encoded between Latin-1 and UTF-8.
    BodyCharset {
        /// The signed body's encoding: `UTF-8` or `Latin-1`.
        signed_as: &'static str,
    },
    /// The body was decoded as UTF-8 with replacement characters (U+FFFD):
    /// the signed bytes are lost.
    BodyDecodedLossily,
    /// The body is compressed and the signature is over the decompressed
    /// bytes (signed before `Content-Encoding`).
    BodyCompressed {
        /// `gzip`, `deflate` or `br`.
        encoding: &'static str,
        /// Whether decompressing it made the signature match (`br` is
        /// recognized from the header, not decompressed).
        confirmed: bool,
    },
    /// The signature is over the compressed bytes (signed after
    /// `Content-Encoding`) but the body was decompressed on the way
    /// (confirmed by compressing it again as flate2 does by default, for
    /// bodies up to 256 KiB).
    BodyDecompressed {
        /// `gzip` or `deflate`.
        encoding: &'static str,
    },
    /// The body is shorter than what was sent: cut by a buffer or a limit.
    BodyTruncated {
        /// Bytes received.
        received: usize,
        /// The `Content-Length` the request declared, if it did.
        declared: Option<u64>,
    },
    /// The body is empty: something read it before verification.
    BodyEmpty,
    /// Nothing else explains it: the delivery was signed with a secret that
    /// is not configured (or its body was changed in a way not tried).
    DifferentSecret {
        /// Fingerprints of the configured secrets.
        fingerprints: Vec<String>,
    },
}

/// Every code [`LikelyCause::code`] returns, in the order of the table in `docs/diagnose.md`.
pub const CODES: &[&str] = &[
    "missing_header",
    "malformed_header",
    "wrong_scheme",
    "invalid_secret",
    "timestamp_in_milliseconds",
    "clock_skew",
    "scheme_mixup",
    "signature_encoding",
    "signature_case_changed",
    "signature_algorithm",
    "signature_label",
    "signature_several_entries",
    "secret_whitespace",
    "secret_quoted",
    "secret_prefix",
    "secret_base64_decoded",
    "secret_base64_encoded",
    "secret_hex_decoded",
    "secret_hex_encoded",
    "secret_not_decoded",
    "body_bom",
    "trailing_newline",
    "body_whitespace",
    "line_endings_changed",
    "body_json_escapes",
    "body_reserialized",
    "body_charset",
    "body_decoded_lossily",
    "body_compressed",
    "body_decompressed",
    "body_truncated",
    "body_empty",
    "different_secret",
];

impl LikelyCause {
    /// A stable machine-readable code (one of [`CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            LikelyCause::MissingHeader { .. } => "missing_header",
            LikelyCause::MalformedHeader { .. } => "malformed_header",
            LikelyCause::WrongScheme { .. } => "wrong_scheme",
            LikelyCause::InvalidSecret { .. } => "invalid_secret",
            LikelyCause::TimestampInMilliseconds => "timestamp_in_milliseconds",
            LikelyCause::ClockSkew { .. } => "clock_skew",
            LikelyCause::SchemeMixup { .. } => "scheme_mixup",
            LikelyCause::SignatureEncoding { .. } => "signature_encoding",
            LikelyCause::SignatureCaseChanged => "signature_case_changed",
            LikelyCause::SignatureAlgorithm { .. } => "signature_algorithm",
            LikelyCause::SignatureLabel { .. } => "signature_label",
            LikelyCause::SignatureSeveralEntries { .. } => "signature_several_entries",
            LikelyCause::SecretWhitespace { .. } => "secret_whitespace",
            LikelyCause::SecretQuoted => "secret_quoted",
            LikelyCause::SecretPrefix { .. } => "secret_prefix",
            LikelyCause::SecretBase64Decoded => "secret_base64_decoded",
            LikelyCause::SecretBase64Encoded => "secret_base64_encoded",
            LikelyCause::SecretHexDecoded => "secret_hex_decoded",
            LikelyCause::SecretHexEncoded => "secret_hex_encoded",
            LikelyCause::SecretNotDecoded => "secret_not_decoded",
            LikelyCause::BodyBom { .. } => "body_bom",
            LikelyCause::TrailingNewline { .. } => "trailing_newline",
            LikelyCause::BodyWhitespace { .. } => "body_whitespace",
            LikelyCause::LineEndingsChanged { .. } => "line_endings_changed",
            LikelyCause::BodyJsonEscapes { .. } => "body_json_escapes",
            LikelyCause::BodyReserialized { .. } => "body_reserialized",
            LikelyCause::BodyCharset { .. } => "body_charset",
            LikelyCause::BodyDecodedLossily => "body_decoded_lossily",
            LikelyCause::BodyCompressed { .. } => "body_compressed",
            LikelyCause::BodyDecompressed { .. } => "body_decompressed",
            LikelyCause::BodyTruncated { .. } => "body_truncated",
            LikelyCause::BodyEmpty => "body_empty",
            LikelyCause::DifferentSecret { .. } => "different_secret",
        }
    }

    /// Whether the cause was confirmed by undoing it: the signature then
    /// matched (or, for [`ClockSkew`](LikelyCause::ClockSkew) and
    /// [`TimestampInMilliseconds`](LikelyCause::TimestampInMilliseconds),
    /// the timestamp itself shows it). `false` for causes that rest on
    /// evidence alone (a header missing or malformed, a declared length,
    /// replacement characters) and for the fallback
    /// [`DifferentSecret`](LikelyCause::DifferentSecret).
    pub fn is_confirmed(&self) -> bool {
        match self {
            LikelyCause::WrongScheme { confirmed, .. }
            | LikelyCause::BodyCompressed { confirmed, .. } => *confirmed,
            LikelyCause::MissingHeader { .. }
            | LikelyCause::MalformedHeader { .. }
            | LikelyCause::InvalidSecret { .. }
            | LikelyCause::BodyDecodedLossily
            | LikelyCause::BodyTruncated { .. }
            | LikelyCause::BodyEmpty
            | LikelyCause::DifferentSecret { .. } => false,
            _ => true,
        }
    }
}
