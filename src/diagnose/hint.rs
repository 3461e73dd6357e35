//! The fix for each cause, in the terms of whoever reads it: a library
//! user (`Scheme::mitpo()`), a CLI user (`--scheme mitpo`) or a user of the
//! in-browser page ("choose the provider MITPO").

use std::fmt;

use super::cause::LikelyCause;
use crate::scheme::{Algorithm, Encoding};

/// Who reads a hint: the fix is written in their terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Audience {
    /// A program using the crate: `Scheme::mitpo()`, `Verifier::builder`.
    #[default]
    Library,
    /// The `hookwarden` command line: `--scheme mitpo`, `--secret`, `--body-file`.
    Cli,
    /// The in-browser verifier page: its provider selector and fields.
    Page,
    /// `hookwarden listen`: the request came over the network from a
    /// sender, so the fix is the sender's or `listen`'s own flags
    /// (`--scheme`, `--secret`), never `verify`'s (`--body-file`, `--now`).
    Listen,
}

/// The display name of a preset (`standard-webhooks` → `Standard Webhooks`).
pub fn provider_name(preset: &str) -> &str {
    crate::scheme::provider_of(preset).unwrap_or(preset)
}

/// How an audience selects a scheme.
fn scheme_ref(audience: Audience, preset: &str) -> String {
    match audience {
        Audience::Library => format!("`Scheme::{}()`", preset.replace('-', "_")),
        Audience::Cli | Audience::Listen => format!("`--scheme {preset}`"),
        Audience::Page => format!("the provider \u{201c}{}\u{201d}", provider_name(preset)),
    }
}

/// How an audience gives the verifier the body's exact bytes.
fn raw_body(audience: Audience) -> &'static str {
    match audience {
        Audience::Library => {
            "verify the raw bytes as received, before any parsing or decoding \
             (`verifier.verify(&headers, &body)` on the request's own bytes)"
        }
        Audience::Cli => {
            "give the raw bytes as received (`--body-file` with the body saved byte \
             for byte, or `--request-file`), not a copy that was parsed, printed or edited"
        }
        Audience::Page => {
            "paste the body exactly as received, or choose it as a file (exact bytes), \
             not a copy that was parsed, printed or edited"
        }
        Audience::Listen => {
            "the sender must sign and send the same raw bytes: nothing between it and \
             `listen` (a client library, a proxy) may parse, re-encode or edit the body"
        }
    }
}

/// Where an audience configures secrets.
fn secret_place(audience: Audience) -> &'static str {
    match audience {
        Audience::Library => {
            "where the secret is loaded (env file, secret store) before `.secret(..)`"
        }
        Audience::Cli | Audience::Listen => "in `--secret` / the variable of `--secret-env`",
        Audience::Page => "in the Secret field",
    }
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Hex => "hex",
        _ => "base64",
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HmacSha1 => "HMAC-SHA1",
        Algorithm::HmacSha512 => "HMAC-SHA512",
        Algorithm::Ed25519 => "Ed25519",
        _ => "HMAC-SHA256",
    }
}

impl LikelyCause {
    /// A one-line fix for a library user (as [`hint_for`](Self::hint_for)
    /// with [`Audience::Library`]).
    pub fn hint(&self) -> String {
        self.hint_for(Audience::Library)
    }

    /// A one-line fix in the terms of `audience`. Never contains a secret
    /// or anything of the expected signature.
    pub fn hint_for(&self, audience: Audience) -> String {
        // Each family answers for its own causes only; the unit test
        // `every_variant_has_its_code_and_a_hint_for_each_reader` checks
        // that every cause gets a hint.
        self.request_hint(audience)
            .or_else(|| self.signature_hint())
            .or_else(|| self.secret_hint(audience))
            .or_else(|| self.key_encoding_hint(audience))
            .or_else(|| self.compression_hint(audience))
            .or_else(|| {
                let change = self.body_edit().or_else(|| self.body_rewrite())?;
                Some(format!("{change}{}", raw_body(audience)))
            })
            .unwrap_or_default()
    }

    /// The headers, the timestamp and the scheme.
    fn request_hint(&self, a: Audience) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::MissingHeader { header } => format!(
                "the request has no `{header}`: check that the provider sends to this endpoint \
                 and that no proxy strips headers{}",
                match a {
                    Audience::Library => "",
                    Audience::Cli => " (give every header with `--header`, or the whole request with `--request-file`)",
                    Audience::Page => " (paste every header, or the whole raw request)",
                    Audience::Listen => " (the sender must send it to `listen`'s address)",
                }
            ),
            C::MalformedHeader { header, reason } => format!(
                "`{header}` is malformed ({reason}): pass the header through exactly as the provider sent it"
            ),
            C::WrongScheme { looks_like, confirmed } => format!(
                "the request looks like a {} delivery{}: verify it with {}",
                provider_name(looks_like),
                if *confirmed { " and verifies as one with this secret" } else { "" },
                scheme_ref(a, looks_like)
            ),
            C::TimestampInMilliseconds => {
                "the timestamp is in milliseconds: the scheme sends unix seconds; \
                 the sender must write `Math.floor(Date.now() / 1000)`, not `Date.now()`"
                    .to_owned()
            }
            C::ClockSkew { seconds, signature_valid } => clock_skew(*seconds, *signature_valid, a),
            C::SchemeMixup { signed_as, like } => scheme_mixup(signed_as, like, a),
            _ => return None,
        })
    }

    /// The signature as written.
    fn signature_hint(&self) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::SignatureEncoding { found, expected } => format!(
                "the signature is written in {} where the scheme writes {}: the sender must encode it in {}",
                encoding_name(*found),
                encoding_name(*expected),
                encoding_name(*expected)
            ),
            C::SignatureCaseChanged => {
                "the base64 signature's letters changed case on the way (base64 is case-sensitive): \
                 pass the header through unchanged"
                    .to_owned()
            }
            C::SignatureAlgorithm { found, expected } => format!(
                "the signature was made with {} where the scheme uses {}: the sender must sign with {}",
                algorithm_name(*found),
                algorithm_name(*expected),
                algorithm_name(*expected)
            ),
            C::SignatureLabel { found, expected } => {
                let found = if found.is_empty() { "another label".to_owned() } else { format!("`{found}`") };
                format!(
                    "the signature is right but written under {found}: the scheme reads `{expected}` entries"
                )
            }
            C::SignatureSeveralEntries { entries } => format!(
                "the signature header holds {entries} values where the scheme reads one: \
                 a proxy joined repeated headers, or the sender signed with several secrets; send one value"
            ),
            _ => return None,
        })
    }

    /// The secret as configured, or another secret altogether.
    fn secret_hint(&self, a: Audience) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::InvalidSecret { error } => invalid_secret(&error.to_string(), a),
            C::SecretWhitespace { configured: true } => format!(
                "the configured secret has surrounding whitespace or a trailing newline: trim it {}",
                secret_place(a)
            ),
            C::SecretWhitespace { configured: false } => {
                "the sender's secret has a trailing newline or space that the configured one lacks: \
                 remove it where the sender loads it"
                    .to_owned()
            }
            C::SecretQuoted => format!(
                "the configured secret kept the quotes around it (from an env file): remove them {}",
                secret_place(a)
            ),
            C::SecretPrefix { prefix, sender_stripped: true } => format!(
                "the sender used the secret without its `{prefix}` prefix: \
                 the whole string, prefix included, is the key"
            ),
            C::SecretPrefix { prefix, sender_stripped: false } => format!(
                "the configured secret lacks the `{prefix}` prefix the sender used: configure the whole string {}",
                secret_place(a)
            ),
            C::DifferentSecret { fingerprints } => different_secret(fingerprints, a),
            _ => return None,
        })
    }

    /// The secret's text taken for its decoding, or the reverse.
    fn key_encoding_hint(&self, a: Audience) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::SecretBase64Decoded => format!(
                "the signing key is the base64 decoding of the configured secret: \
                 the sender decodes it although this scheme keys with the text, or the configured value \
                 is still base64-encoded (a Kubernetes Secret): configure the decoded value {}, or have the sender use the text",
                secret_place(a)
            ),
            C::SecretBase64Encoded => decoded_where_configured("base64", a),
            C::SecretHexDecoded => format!(
                "the signing key is the hex decoding of the configured secret: the sender decodes it \
                 although this scheme keys with the text; configure the same value on both sides {}",
                secret_place(a)
            ),
            C::SecretHexEncoded => decoded_where_configured("hex", a),
            C::SecretNotDecoded => {
                "the sender keyed the HMAC with the secret's text: Standard Webhooks keys with the \
                 base64-decoded bytes after `whsec_`; fix the sender"
                    .to_owned()
            }
            _ => return None,
        })
    }

    /// A compressed body, or one decompressed on the way.
    fn compression_hint(&self, a: Audience) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::BodyCompressed { encoding, confirmed } => format!(
                "the body is {encoding}-compressed{} and the signature is over the decompressed bytes: {}",
                if *confirmed { "" } else { " (per `Content-Encoding`; not decompressed here)" },
                match a {
                    Audience::Library => "decompress it (with a size limit) before verifying; hookwarden's intake refuses encoded bodies",
                    Audience::Cli => "decompress it first (`gzip -dc body > plain`) and pass that with `--body-file`",
                    Audience::Page => "decompress it first and choose the decompressed file",
                    Audience::Listen => "the sender must send the bytes it signed, uncompressed",
                }
            ),
            C::BodyDecompressed { encoding } => format!(
                "the signature is over the {encoding}-compressed bytes, but the body was decompressed on the way \
                 (a framework or proxy honoured `Content-Encoding`): verify the bytes before decompression"
            ),
            _ => return None,
        })
    }

    /// Bytes added to or taken from the body as text, up to the fix.
    fn body_edit(&self) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::BodyBom { added: true } => {
                "a UTF-8 byte-order mark (EF BB BF) was added before the body after signing: ".to_owned()
            }
            C::BodyBom { added: false } => {
                "the body lost the UTF-8 byte-order mark it was signed with (a text reader strips it): ".to_owned()
            }
            C::TrailingNewline { added: true } => {
                "a trailing newline was added to the body after signing: ".to_owned()
            }
            C::TrailingNewline { added: false } => {
                "the body lost its trailing newline after signing: ".to_owned()
            }
            C::BodyWhitespace { added: true } => {
                "whitespace was added around the body after signing (indentation, a blank line): ".to_owned()
            }
            C::BodyWhitespace { added: false } => {
                "whitespace around the body was trimmed after signing: ".to_owned()
            }
            C::LineEndingsChanged { to_crlf } => format!(
                "line endings were converted ({}) after signing: read the body as bytes, not text; ",
                if *to_crlf { "LF to CRLF" } else { "CRLF to LF" },
            ),
            _ => return None,
        })
    }

    /// A body decoded, re-encoded, cut or consumed, up to the fix.
    fn body_rewrite(&self) -> Option<String> {
        use LikelyCause as C;
        Some(match self {
            C::BodyJsonEscapes { signed_escaped: true } => {
                "the body was re-encoded by a JSON library: the signed body wrote non-ASCII characters \
                 as `\\u` escapes, the received one as UTF-8: "
                    .to_owned()
            }
            C::BodyJsonEscapes { signed_escaped: false } => {
                "the body was re-encoded by a JSON library: non-ASCII characters became `\\u` escapes \
                 after signing: "
                    .to_owned()
            }
            C::BodyReserialized { style, keys_sorted } => format!(
                "the body was parsed and re-serialized after signing (the signed body was {style}{}): ",
                if *keys_sorted { ", keys sorted" } else { "" },
            ),
            C::BodyCharset { signed_as } => format!(
                "the body's characters were re-encoded after signing (it was signed as {signed_as}): \
                 a text decoding with the wrong charset; "
            ),
            C::BodyDecodedLossily => {
                "the body holds replacement characters (U+FFFD): it was decoded as UTF-8 lossily and the \
                 signed bytes are lost; "
                    .to_owned()
            }
            C::BodyTruncated { received, declared } => format!(
                "the body is cut short ({received} bytes{}): a buffer, a log line or a size limit truncated it; ",
                declared.map(|d| format!(", `Content-Length` says {d}")).unwrap_or_default(),
            ),
            C::BodyEmpty => {
                "the body is empty: something read it before verification (a body parser, a logging middleware); "
                    .to_owned()
            }
            _ => return None,
        })
    }
}

fn clock_skew(seconds: i64, signature_valid: bool, a: Audience) -> String {
    let side = if seconds < 0 { "behind" } else { "ahead of" };
    let extra = if signature_valid {
        "the signature itself is valid"
    } else {
        "and the signature does not match either"
    };
    let fix = match a {
        Audience::Library => "sync clocks with NTP, or this is an old delivery being re-sent",
        Audience::Cli => "sync clocks with NTP; to check an old delivery, pass `--now <its time>`",
        Audience::Page => {
            "sync clocks with NTP; to check an old delivery, fill in \u{201c}Check at\u{201d}"
        }
        Audience::Listen => {
            "sync the sender's and this machine's clocks with NTP, or the sender re-sent an old \
             delivery (`--tolerance` widens the window)"
        }
    };
    format!(
        "the timestamp is {} s {side} this clock ({extra}): {fix}",
        seconds.unsigned_abs()
    )
}

fn scheme_mixup(signed_as: &str, like: &[&'static str], a: Audience) -> String {
    match like.first() {
        Some(first) => format!(
            "the signature is over `{signed_as}` (the layout {} sign{}), not this scheme's: \
             the sender must sign this scheme's layout, or the delivery is another provider's \
             (then verify it with {})",
            like.iter()
                .map(|p| provider_name(p))
                .collect::<Vec<_>>()
                .join(", "),
            if like.len() == 1 { "s" } else { "" },
            scheme_ref(a, first)
        ),
        None => format!(
            "the signature is over `{signed_as}`, not this scheme's: the sender must sign \
             exactly this scheme's layout, separators included"
        ),
    }
}

fn invalid_secret(text: &str, a: Audience) -> String {
    if text.contains("whsk_") || text.contains("public key") {
        format!("{text}: verify with the `whpk_…` public key; `whsk_…` keys are for signing")
    } else {
        format!("{text}: check the value {}", secret_place(a))
    }
}

fn different_secret(fingerprints: &[String], a: Audience) -> String {
    format!(
        "no configured secret (fingerprints {}) signed these bytes and none of the usual \
         mistakes explains it: the delivery was signed with a different secret, or its body was \
         changed on the way; check which secret the provider uses for this endpoint{}",
        fingerprints.join(", "),
        match a {
            Audience::Library => "",
            Audience::Cli => " (and that `--scheme` is the provider's)",
            Audience::Page => " (and that the provider selected is the sender's)",
            Audience::Listen => " (and that `listen --scheme` is the sender's)",
        }
    )
}

/// The configured secret holds the decoding of the provider's `encoding`
/// text.
fn decoded_where_configured(encoding: &str, a: Audience) -> String {
    format!(
        "the signing key is the {encoding} text of the configured secret: it was decoded where it is \
         configured; configure the text exactly as the provider shows it {}",
        secret_place(a)
    )
}

impl fmt::Display for LikelyCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.hint())
    }
}
