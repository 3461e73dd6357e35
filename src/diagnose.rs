//! Diagnosis of failed verifications: the verdict and, on failure, the most
//! likely cause with a stable code and a one-line fix, found by trying the
//! usual mistakes one by one.
//!
//! What is tried, for a signature mismatch: the other scheme's message form
//! (body alone vs `<timestamp>.<body>`); the secret with or without its
//! `whsec_` prefix, base64-decoded, with surrounding whitespace trimmed or a
//! trailing newline added; the body re-serialized (compact, pretty, keys
//! reordered), with a trailing newline or CRLF changed, or decoded lossily as
//! UTF-8. For timestamps: milliseconds instead of seconds, and clock skew
//! (by how much). For headers: the other scheme's headers or prefix. When
//! nothing explains it: signed with a different secret.
//!
//! Secrets are never printed; a [`Secret::fingerprint`] at most.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use hookguard::diagnose::diagnose;
//! use hookguard::{Scheme, Signer};
//!
//! // The sender stripped the `whsec_` prefix from the secret.
//! let headers = Signer::new(Scheme::mitpo(), "Mfk9r8GKYq")?.sign(1_764_072_000, b"{}").to_header_map();
//! let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
//! let diagnosis = diagnose(&Scheme::mitpo(), &headers, b"{}", &["whsec_Mfk9r8GKYq"], now);
//! assert_eq!(diagnosis.error().unwrap().code(), "signature_mismatch");
//! assert_eq!(diagnosis.likely_cause().unwrap().code(), "secret_prefix");
//! # Ok::<(), hookguard::ConfigError>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::scheme::Part;
use crate::{Error, Headers, Malformed, Scheme, Secret, VerifiedDelivery, Verifier};

/// The verdict on a delivery and, when it failed, what most likely went wrong.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    outcome: Result<VerifiedDelivery, Error>,
    cause: Option<LikelyCause>,
}

impl Diagnosis {
    /// Whether the delivery verified.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The verification result, exactly as the [`Verifier`] gives it.
    pub fn outcome(&self) -> &Result<VerifiedDelivery, Error> {
        &self.outcome
    }

    /// The error, when the delivery did not verify.
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().err()
    }

    /// The most likely cause of the failure.
    pub fn likely_cause(&self) -> Option<&LikelyCause> {
        self.cause.as_ref()
    }
}

/// What most likely made a verification fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LikelyCause {
    /// A required header is absent.
    MissingHeader {
        /// The header.
        header: HeaderName,
    },
    /// The request carries the other provider's headers or prefix.
    WrongScheme {
        /// The scheme the request looks like.
        looks_like: &'static str,
    },
    /// A header cannot be parsed.
    MalformedHeader {
        /// The header.
        header: HeaderName,
        /// Why.
        reason: Malformed,
    },
    /// The timestamp is in milliseconds, not seconds.
    TimestampInMilliseconds,
    /// The timestamp is outside the tolerance: clocks disagree, or the
    /// delivery is old (a late retry or a replay).
    ClockSkew {
        /// Timestamp minus now, in seconds (negative: in the past).
        seconds: i64,
        /// Whether the signature is otherwise valid.
        signature_valid: bool,
    },
    /// The signature is over the other scheme's message form.
    SchemeMixup {
        /// The form that matched: `Mitpo` for the body alone, `Mittr` for
        /// `<timestamp>.<body>`.
        signed_as: &'static str,
    },
    /// The secret was used with its `whsec_` prefix on one side and without
    /// it on the other.
    SecretPrefix {
        /// `true` when the sender used it without the prefix.
        sender_stripped: bool,
    },
    /// The sender base64-decoded the secret and used the bytes as the key.
    SecretBase64Decoded,
    /// The secret has surrounding whitespace or a trailing newline on one side.
    SecretWhitespace,
    /// The body was re-serialized after signing (a framework parsed and
    /// re-encoded the JSON before verification).
    BodyReserialized {
        /// `compact`, `pretty` or `keys reordered`.
        style: &'static str,
    },
    /// A trailing newline was added or removed after signing.
    TrailingNewline {
        /// `true` when the received body has one the signed body lacked.
        added: bool,
    },
    /// Line endings were converted (CRLF ↔ LF) after signing.
    LineEndingsChanged,
    /// The body was decoded as UTF-8 with replacement characters, so bytes
    /// were lost before verification.
    BodyDecodedLossily,
    /// Nothing else explains it: the delivery was signed with a secret that
    /// is not configured.
    DifferentSecret {
        /// Fingerprints of the configured secrets.
        fingerprints: Vec<String>,
    },
}

impl LikelyCause {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LikelyCause::MissingHeader { .. } => "missing_header",
            LikelyCause::WrongScheme { .. } => "wrong_scheme",
            LikelyCause::MalformedHeader { .. } => "malformed_header",
            LikelyCause::TimestampInMilliseconds => "timestamp_in_milliseconds",
            LikelyCause::ClockSkew { .. } => "clock_skew",
            LikelyCause::SchemeMixup { .. } => "scheme_mixup",
            LikelyCause::SecretPrefix { .. } => "secret_prefix",
            LikelyCause::SecretBase64Decoded => "secret_base64_decoded",
            LikelyCause::SecretWhitespace => "secret_whitespace",
            LikelyCause::BodyReserialized { .. } => "body_reserialized",
            LikelyCause::TrailingNewline { .. } => "trailing_newline",
            LikelyCause::LineEndingsChanged => "line_endings_changed",
            LikelyCause::BodyDecodedLossily => "body_decoded_lossily",
            LikelyCause::DifferentSecret { .. } => "different_secret",
        }
    }

    /// A one-line fix.
    pub fn hint(&self) -> String {
        match self {
            LikelyCause::MissingHeader { header } => format!(
                "the request has no `{header}`: check that the provider sends to this endpoint and that no proxy strips headers"
            ),
            LikelyCause::WrongScheme { looks_like } => format!(
                "the request looks like a {looks_like} delivery: verify it with Scheme::{looks_like}() on this endpoint"
            ),
            LikelyCause::MalformedHeader { header, reason } => {
                format!("`{header}` is malformed ({reason}): pass the header through unchanged")
            }
            LikelyCause::TimestampInMilliseconds => {
                "the timestamp is in milliseconds: the provider sends unix seconds; do not rewrite it".to_owned()
            }
            LikelyCause::ClockSkew { seconds, signature_valid } => {
                let side = if *seconds < 0 { "behind" } else { "ahead of" };
                let extra = if *signature_valid {
                    "the signature itself is valid"
                } else {
                    "and the signature does not match either"
                };
                format!(
                    "the timestamp is {} s {side} this clock ({extra}): sync clocks with NTP, or this is an old delivery being re-sent",
                    seconds.unsigned_abs()
                )
            }
            LikelyCause::SchemeMixup { signed_as } => match *signed_as {
                "mitpo" => "the signature is over the body alone (MITPO's form): this endpoint expects Mittr's `<timestamp>.<body>`".to_owned(),
                _ => "the signature is over `<timestamp>.<body>` (Mittr's form): this endpoint expects MITPO's body-only signature".to_owned(),
            },
            LikelyCause::SecretPrefix { sender_stripped: true } => {
                "the sender used the secret without its `whsec_` prefix: the whole string, prefix included, is the key".to_owned()
            }
            LikelyCause::SecretPrefix { sender_stripped: false } => {
                "the configured secret lacks the `whsec_` prefix the sender used: configure the whole string".to_owned()
            }
            LikelyCause::SecretBase64Decoded => {
                "the sender base64-decoded the secret: the key is the secret's text bytes as given".to_owned()
            }
            LikelyCause::SecretWhitespace => {
                "the secret has surrounding whitespace or a trailing newline on one side: trim it where it is loaded (env file, secret store)".to_owned()
            }
            LikelyCause::BodyReserialized { style } => format!(
                "the body was re-serialized ({style}) before verification: verify the raw bytes as received, before any JSON parsing"
            ),
            LikelyCause::TrailingNewline { added: true } => {
                "a trailing newline was added to the body after signing: verify the raw bytes as received".to_owned()
            }
            LikelyCause::TrailingNewline { added: false } => {
                "the body lost its trailing newline after signing: verify the raw bytes as received".to_owned()
            }
            LikelyCause::LineEndingsChanged => {
                "line endings were converted (CRLF/LF) after signing: read the body as bytes, not text".to_owned()
            }
            LikelyCause::BodyDecodedLossily => {
                "the body was decoded as UTF-8 with replacement characters: read it as raw bytes".to_owned()
            }
            LikelyCause::DifferentSecret { fingerprints } => format!(
                "no configured secret (fingerprints {}) signed these bytes and no usual mistake explains it: \
                 the delivery was signed with a different secret, or its body was changed on the way; \
                 check which secret the provider uses for this endpoint",
                fingerprints.join(", ")
            ),
        }
    }
}

impl fmt::Display for LikelyCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.hint())
    }
}

/// Verifies a delivery as a [`Verifier`] with `secrets` and the default
/// tolerance would at `now`, and explains a failure.
pub fn diagnose<H: Headers + ?Sized, S: AsRef<[u8]>>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[S],
    now: SystemTime,
) -> Diagnosis {
    diagnose_with_tolerance(
        scheme,
        headers,
        body,
        secrets,
        now,
        crate::DEFAULT_TOLERANCE,
    )
}

/// As [`diagnose`], with the tolerance (both sides) given.
pub fn diagnose_with_tolerance<H: Headers + ?Sized, S: AsRef<[u8]>>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[S],
    now: SystemTime,
    tolerance: Duration,
) -> Diagnosis {
    let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::from(s.as_ref())).collect();
    let verifier = Verifier::builder(scheme.clone())
        .secrets(secrets.iter().map(|s| s.expose()))
        .tolerance(tolerance)
        .body_limit(u64::MAX)
        .build();
    let verifier = match verifier {
        Ok(v) => v,
        Err(_) => {
            return Diagnosis {
                outcome: Err(Error::NotConfigured),
                cause: None,
            }
        }
    };
    let outcome = verifier.verify_at(headers, body, now);
    let cause = match &outcome {
        Ok(_) => None,
        Err(error) => Some(explain(scheme, headers, body, &secrets, now, error)),
    };
    Diagnosis { outcome, cause }
}

/// The other first-party scheme, and its name.
fn other(scheme: &Scheme) -> (Scheme, &'static str) {
    match scheme.name() {
        "mittr" => (Scheme::mitpo(), "mitpo"),
        _ => (Scheme::mittr(), "mittr"),
    }
}

fn explain<H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[Secret],
    now: SystemTime,
    error: &Error,
) -> LikelyCause {
    let (other_scheme, other_name) = other(scheme);
    let has = |name: &HeaderName| headers.values(name).next().is_some();
    match error {
        Error::MissingHeader { header } => {
            if has(other_scheme.signature_header()) {
                LikelyCause::WrongScheme {
                    looks_like: other_name,
                }
            } else {
                LikelyCause::MissingHeader {
                    header: header.clone(),
                }
            }
        }
        Error::MalformedHeader { header, reason } => {
            let other_prefix = format!("{}=", other_scheme.methods()[0].label());
            let other_prefix = other_prefix.as_bytes();
            let carries_other_prefix = header == scheme.signature_header()
                && headers.values(header).any(|v| {
                    v.split(|b| matches!(b, b',' | b' ' | b'\t'))
                        .any(|t| t.starts_with(other_prefix))
                });
            if carries_other_prefix {
                LikelyCause::WrongScheme {
                    looks_like: other_name,
                }
            } else {
                LikelyCause::MalformedHeader {
                    header: header.clone(),
                    reason: *reason,
                }
            }
        }
        Error::TimestampTooOld {
            timestamp,
            now: now_secs,
            ..
        }
        | Error::TimestampInFuture {
            timestamp,
            now: now_secs,
            ..
        } => {
            let (ts, now_secs) = (*timestamp, *now_secs);
            if ts >= 1_000_000_000_000 && (ts / 1000).abs_diff(now_secs) <= 86_400 {
                return LikelyCause::TimestampInMilliseconds;
            }
            let seconds = i64::try_from(i128::from(ts) - i128::from(now_secs)).unwrap_or(i64::MAX);
            let signature_valid = Verifier::builder(scheme.clone())
                .secrets(secrets.iter().map(|s| s.expose()))
                .disable_timestamp_check()
                .body_limit(u64::MAX)
                .build()
                .is_ok_and(|v| v.verify_at(headers, body, now).is_ok());
            LikelyCause::ClockSkew {
                seconds,
                signature_valid,
            }
        }
        Error::SignatureMismatch { .. } => explain_mismatch(scheme, headers, body, secrets),
        _ => LikelyCause::DifferentSecret {
            fingerprints: secrets.iter().map(Secret::fingerprint).collect(),
        },
    }
}

/// Tries the usual mistakes, most specific first.
fn explain_mismatch<H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &H,
    body: &[u8],
    secrets: &[Secret],
) -> LikelyCause {
    let fallback = || LikelyCause::DifferentSecret {
        fingerprints: secrets.iter().map(Secret::fingerprint).collect(),
    };
    let signs_ts = scheme.signs_timestamp();
    let mut flipped = scheme.clone();
    flipped.message = if signs_ts {
        vec![Part::Body]
    } else {
        vec![Part::Timestamp, Part::DOT, Part::Body]
    };
    let matches = |key: &[u8], other_form: bool, body: &[u8]| {
        let form = if other_form { &flipped } else { scheme };
        Verifier::builder(form.clone())
            .secret(key)
            .disable_timestamp_check()
            .body_limit(u64::MAX)
            .build()
            .is_ok_and(|v| v.verify_at(headers, body, SystemTime::UNIX_EPOCH).is_ok())
    };
    let signs_ts = false;

    // The other scheme's message form, with a configured secret.
    if scheme.timestamp_source().is_some()
        && secrets.iter().any(|s| matches(s.expose(), true, body))
    {
        return LikelyCause::SchemeMixup {
            signed_as: if scheme.signs_timestamp() {
                "mitpo"
            } else {
                "mittr"
            },
        };
    }

    // Secret variants, with the right message form.
    for secret in secrets {
        let key = secret.expose();
        let try_key = |k: &[u8]| matches(k, signs_ts, body);
        if let Some(stripped) = key.strip_prefix(b"whsec_") {
            if try_key(stripped) {
                return LikelyCause::SecretPrefix {
                    sender_stripped: true,
                };
            }
        } else if try_key(&[b"whsec_", key].concat()) {
            return LikelyCause::SecretPrefix {
                sender_stripped: false,
            };
        }
        let unprefixed = key.strip_prefix(b"whsec_").unwrap_or(key);
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
        ] {
            if let Ok(decoded) = engine.decode(unprefixed) {
                if !decoded.is_empty() && try_key(&decoded) {
                    return LikelyCause::SecretBase64Decoded;
                }
            }
        }
        let trimmed = key.trim_ascii();
        if trimmed != key && !trimmed.is_empty() && try_key(trimmed) {
            return LikelyCause::SecretWhitespace;
        }
        for suffix in [&b"\n"[..], b"\r\n", b" "] {
            if try_key(&[key, suffix].concat()) {
                return LikelyCause::SecretWhitespace;
            }
        }
    }

    // Body variants, with a configured secret and the right form.
    let body_matches = |candidate: &[u8]| {
        secrets
            .iter()
            .any(|s| matches(s.expose(), signs_ts, candidate))
    };
    if let Some(cause) = body_variant(body, body_matches) {
        return cause;
    }
    if body.windows(3).any(|w| w == "\u{FFFD}".as_bytes()) {
        return LikelyCause::BodyDecodedLossily;
    }
    fallback()
}

/// What a middleware may have done to the signed body before verification.
fn body_variant(body: &[u8], matches: impl Fn(&[u8]) -> bool) -> Option<LikelyCause> {
    if let Some(stripped) = body
        .strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
    {
        if matches(stripped) {
            return Some(LikelyCause::TrailingNewline { added: true });
        }
    }
    for suffix in [&b"\n"[..], b"\r\n"] {
        if matches(&[body, suffix].concat()) {
            return Some(LikelyCause::TrailingNewline { added: false });
        }
    }
    if body.contains(&b'\n') {
        let to_lf = replace(body, b"\r\n", b"\n");
        let to_crlf = replace(&to_lf, b"\n", b"\r\n");
        if (to_lf != body && matches(&to_lf)) || (to_crlf != body && matches(&to_crlf)) {
            return Some(LikelyCause::LineEndingsChanged);
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let compact_in_order = strip_json_whitespace(body);
        let spaced_in_order = space_json(&compact_in_order);
        let sorted_compact = serde_json::to_vec(&value).unwrap_or_default();
        let sorted_spaced = space_json(&sorted_compact);
        let sorted_pretty = serde_json::to_vec_pretty(&value).unwrap_or_default();
        // The received body is what the framework produced; the signed one
        // was the sender's. Try what the sender may have sent: compact, or
        // with `", "` and `": "` separators (Python's default), in the
        // received key order or sorted, or pretty.
        let tries: [(&[u8], &'static str); 5] = [
            (&compact_in_order, "compact"),
            (&spaced_in_order, "compact"),
            (&sorted_pretty, "pretty"),
            (&sorted_compact, "keys reordered"),
            (&sorted_spaced, "keys reordered"),
        ];
        for (candidate, style) in tries {
            if candidate != body && (matches(candidate) || matches(&[candidate, b"\n"].concat())) {
                return Some(LikelyCause::BodyReserialized { style });
            }
        }
    }
    None
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// The JSON text without whitespace outside strings (compact, key order kept).
fn strip_json_whitespace(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !b.is_ascii_whitespace() {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out
}

/// Compact JSON with a space after each `,` and `:` outside strings.
fn space_json(compact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() + compact.len() / 4);
    let (mut in_string, mut escaped) = (false, false);
    for &b in compact {
        out.push(b);
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b',' || b == b':' {
            out.push(b' ');
        }
    }
    out
}

/// Why pasted input could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// A header line without a `:`.
    NotAHeaderLine {
        /// 1-based line number.
        line: usize,
    },
    /// A header name or value HTTP does not allow.
    InvalidHeader {
        /// 1-based line number.
        line: usize,
    },
    /// A raw request without the blank line that ends the headers.
    NoHeaderEnd,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NotAHeaderLine { line } => write!(f, "line {line} is not `Name: value`"),
            InputError::InvalidHeader { line } => {
                write!(
                    f,
                    "line {line} has a header name or value HTTP does not allow"
                )
            }
            InputError::NoHeaderEnd => {
                f.write_str("no blank line after the headers: paste the whole request")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// Reads headers as people paste them: `Name: value` per line, any case,
/// stray whitespace and blank lines ignored, a request line (`POST /x
/// HTTP/1.1`) skipped, repeated headers kept in order.
///
/// # Errors
/// A line that is not a header.
pub fn parse_pasted_headers(text: &str) -> Result<HeaderMap, InputError> {
    let mut headers = HeaderMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || (index == 0 && is_request_line(line)) {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(InputError::NotAHeaderLine { line: index + 1 });
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| InputError::InvalidHeader { line: index + 1 })?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| InputError::InvalidHeader { line: index + 1 })?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn is_request_line(line: &str) -> bool {
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let version = parts.nth(1).unwrap_or_default();
    method.chars().all(|c| c.is_ascii_uppercase()) && version.starts_with("HTTP/")
}

/// Splits a raw HTTP/1.1 request (request line, headers, blank line, body),
/// as copied from a request inspector, into headers and the exact body
/// bytes. A chunked body is decoded; `\n` alone is accepted as a line end.
///
/// # Errors
/// No blank line after the headers, or a line that is not a header.
pub fn parse_raw_request(raw: &[u8]) -> Result<(HeaderMap, Vec<u8>), InputError> {
    let (head_end, body_start) = find_head_end(raw).ok_or(InputError::NoHeaderEnd)?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let headers = parse_pasted_headers(&head)?;
    let body = &raw[body_start..];
    let chunked = headers
        .get(http::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(body).unwrap_or_else(|| body.to_vec())
    } else {
        body.to_vec()
    };
    Ok((headers, body))
}

fn find_head_end(raw: &[u8]) -> Option<(usize, usize)> {
    let crlf = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    let lf = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signer;
    use std::time::UNIX_EPOCH;

    const NOW: u64 = 1_764_072_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn cause(scheme: Scheme, headers: &HeaderMap, body: &[u8], secret: &str) -> String {
        let d = diagnose(&scheme, headers, body, &[secret], at(NOW));
        assert!(!d.is_ok());
        d.likely_cause().unwrap().code().to_owned()
    }

    fn sign(scheme: Scheme, secret: &[u8], ts: u64, body: &[u8]) -> HeaderMap {
        Signer::new(scheme, secret)
            .unwrap()
            .sign(ts, body)
            .to_header_map()
    }

    const JSON: &[u8] = br#"{"event": "dispatch.completed", "data": {"id": "d_1", "amount": 42}}"#;

    #[test]
    fn a_valid_delivery_has_no_cause() {
        let h = sign(Scheme::mittr(), b"k", NOW, JSON);
        let d = diagnose(&Scheme::mittr(), &h, JSON, &["k"], at(NOW));
        assert!(d.is_ok() && d.likely_cause().is_none());
    }

    #[test]
    fn finds_body_reserializations() {
        for scheme in [Scheme::mittr(), Scheme::mitpo()] {
            let h = sign(scheme.clone(), b"k", NOW, JSON);
            // The framework pretty-printed the sender's JSON (key order kept).
            let pretty = b"{\n  \"event\": \"dispatch.completed\",\n  \"data\": {\n    \"id\": \"d_1\",\n    \"amount\": 42\n  }\n}";
            let d = diagnose(&scheme, &h, pretty, &["k"], at(NOW));
            assert_eq!(
                d.likely_cause().unwrap().code(),
                "body_reserialized",
                "{:?}",
                d.likely_cause()
            );
            // The sender's keys were sorted; the framework kept a different order.
            let sorted = br#"{"data":{"amount":42,"id":"d_1"},"event":"dispatch.completed"}"#;
            let h = sign(scheme.clone(), b"k", NOW, sorted);
            assert_eq!(cause(scheme.clone(), &h, JSON, "k"), "body_reserialized");
            // Sent compact, received pretty.
            let compact = strip_json_whitespace(JSON);
            let h = sign(scheme.clone(), b"k", NOW, &compact);
            assert_eq!(cause(scheme.clone(), &h, JSON, "k"), "body_reserialized");
        }
    }

    #[test]
    fn finds_newline_and_line_ending_changes() {
        let h = sign(Scheme::mittr(), b"k", NOW, JSON);
        assert_eq!(
            cause(Scheme::mittr(), &h, &[JSON, b"\n"].concat(), "k"),
            "trailing_newline"
        );
        let with_nl = [JSON, b"\n"].concat();
        let h = sign(Scheme::mitpo(), b"k", NOW, &with_nl);
        assert_eq!(cause(Scheme::mitpo(), &h, JSON, "k"), "trailing_newline");
        let crlf = b"line one\r\nline two\r\n".to_vec();
        let h = sign(Scheme::mitpo(), b"k", NOW, &crlf);
        assert_eq!(
            cause(Scheme::mitpo(), &h, b"line one\nline two\n", "k"),
            "line_endings_changed"
        );
    }

    #[test]
    fn finds_lossy_utf8_decoding() {
        let original = b"{\"name\":\"caf\xe9\"}".to_vec();
        let h = sign(Scheme::mitpo(), b"k", NOW, &original);
        let lossy = String::from_utf8_lossy(&original).into_owned().into_bytes();
        assert_eq!(
            cause(Scheme::mitpo(), &h, &lossy, "k"),
            "body_decoded_lossily"
        );
    }

    #[test]
    fn finds_scheme_mixups() {
        let mitpo_form = sign(Scheme::mitpo(), b"k", NOW, JSON);
        let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
        let hex = &mitpo_form
            .get("x-mitpo-signature")
            .unwrap()
            .to_str()
            .unwrap()[7..];
        h.insert("x-mittr-signature", format!("v1={hex}").parse().unwrap());
        assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "scheme_mixup");
        // And the other way round.
        let mittr_form = sign(Scheme::mittr(), b"k", NOW, JSON);
        let mut h = sign(Scheme::mitpo(), b"k", NOW, JSON);
        let hex = &mittr_form
            .get("x-mittr-signature")
            .unwrap()
            .to_str()
            .unwrap()[3..];
        h.insert(
            "x-mitpo-signature",
            format!("sha256={hex}").parse().unwrap(),
        );
        h.insert("x-mitpo-timestamp", NOW.into());
        assert_eq!(cause(Scheme::mitpo(), &h, JSON, "k"), "scheme_mixup");
    }

    #[test]
    fn finds_secret_mistakes() {
        let h = sign(Scheme::mitpo(), b"MfKQ9r8GKYqr", NOW, JSON);
        assert_eq!(
            cause(Scheme::mitpo(), &h, JSON, "whsec_MfKQ9r8GKYqr"),
            "secret_prefix"
        );
        let h = sign(Scheme::mitpo(), b"whsec_MfKQ9r8GKYqr", NOW, JSON);
        assert_eq!(
            cause(Scheme::mitpo(), &h, JSON, "MfKQ9r8GKYqr"),
            "secret_prefix"
        );
        let decoded = base64::engine::general_purpose::STANDARD
            .decode("c2VjcmV0LWJ5dGVz")
            .unwrap();
        let h = sign(Scheme::mitpo(), &decoded, NOW, JSON);
        assert_eq!(
            cause(Scheme::mitpo(), &h, JSON, "whsec_c2VjcmV0LWJ5dGVz"),
            "secret_base64_decoded"
        );
        let h = sign(Scheme::mittr(), b"s3cret", NOW, JSON);
        assert_eq!(
            cause(Scheme::mittr(), &h, JSON, "s3cret\n"),
            "secret_whitespace"
        );
        let h = sign(Scheme::mittr(), b"s3cret\n", NOW, JSON);
        assert_eq!(
            cause(Scheme::mittr(), &h, JSON, "s3cret"),
            "secret_whitespace"
        );
    }

    #[test]
    fn finds_timestamp_problems() {
        let h = sign(Scheme::mittr(), b"k", NOW * 1000, JSON);
        assert_eq!(
            cause(Scheme::mittr(), &h, JSON, "k"),
            "timestamp_in_milliseconds"
        );
        let h = sign(Scheme::mittr(), b"k", NOW - 900, JSON);
        let d = diagnose(&Scheme::mittr(), &h, JSON, &["k"], at(NOW));
        assert_eq!(
            d.likely_cause(),
            Some(&LikelyCause::ClockSkew {
                seconds: -900,
                signature_valid: true
            })
        );
        assert!(d.likely_cause().unwrap().hint().contains("900 s behind"));
    }

    #[test]
    fn finds_the_other_schemes_headers() {
        let h = sign(Scheme::mitpo(), b"k", NOW, JSON);
        assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "wrong_scheme");
        let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
        let v = h
            .get("x-mittr-signature")
            .unwrap()
            .to_str()
            .unwrap()
            .replace("v1=", "sha256=");
        h.insert("x-mittr-signature", v.parse().unwrap());
        assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "wrong_scheme");
        let mut h = sign(Scheme::mittr(), b"k", NOW, JSON);
        h.remove("x-mittr-signature");
        assert_eq!(cause(Scheme::mittr(), &h, JSON, "k"), "missing_header");
    }

    #[test]
    fn falls_back_to_a_different_secret_without_showing_it() {
        let h = sign(Scheme::mittr(), b"someone-elses-secret", NOW, JSON);
        let d = diagnose(
            &Scheme::mittr(),
            &h,
            JSON,
            &["my-configured-secret"],
            at(NOW),
        );
        let cause = d.likely_cause().unwrap();
        assert_eq!(cause.code(), "different_secret");
        let text = format!("{cause} {cause:?} {d:?}");
        assert!(
            !text.contains("my-configured-secret") && !text.contains("someone-elses"),
            "{text}"
        );
        assert!(text.contains(&Secret::from("my-configured-secret").fingerprint()));
    }

    #[test]
    fn parses_pasted_headers_as_people_paste_them() {
        let text = "POST /webhooks HTTP/1.1\n  X-Mittr-Signature:   v1=abc  \r\n\nx-MITTR-timestamp:1764072000\nX-Extra: a\nX-Extra: b\n";
        let h = parse_pasted_headers(text).unwrap();
        assert_eq!(h["x-mittr-signature"], "v1=abc");
        assert_eq!(h["x-mittr-timestamp"], "1764072000");
        assert_eq!(h.get_all("x-extra").iter().count(), 2);
        assert_eq!(
            parse_pasted_headers("no colon here"),
            Err(InputError::NotAHeaderLine { line: 1 })
        );
        assert_eq!(
            parse_pasted_headers("Bad Name: x"),
            Err(InputError::InvalidHeader { line: 1 })
        );
    }

    #[test]
    fn parses_raw_requests_with_exact_bodies() {
        let raw =
            b"POST /hook HTTP/1.1\r\nHost: x\r\nX-MITPO-Signature: sha256=ab\r\n\r\n{\"a\":1}\r\n";
        let (h, body) = parse_raw_request(raw).unwrap();
        assert_eq!(h["x-mitpo-signature"], "sha256=ab");
        assert_eq!(body, b"{\"a\":1}\r\n");
        let lf = b"POST /hook HTTP/1.1\nHost: x\n\nbody";
        assert_eq!(parse_raw_request(lf).unwrap().1, b"body");
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_raw_request(chunked).unwrap().1, b"abcde");
        assert_eq!(
            parse_raw_request(b"POST / HTTP/1.1\r\nHost: x"),
            Err(InputError::NoHeaderEnd)
        );
    }
}
