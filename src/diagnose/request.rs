//! What the request carries, read generously: the timestamp and delivery
//! id as any preset writes them, the signature header's values, the
//! declared length and encoding; and the message layouts to try.

use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http::HeaderName;

use super::compress::Codec;
use crate::headers::Headers;
use crate::scheme::{Part, Scheme, TimestampSource};
use crate::signature::MAX_HEADER_LEN;
use crate::timestamp::trim;

/// The request's fields, borrowed from its headers.
pub(super) struct Request<'a> {
    /// The timestamp's text as the scheme reads it (else as any preset does).
    pub(super) timestamp: Option<&'a [u8]>,
    /// The delivery id's text (the scheme's header, else any preset's).
    pub(super) id: Option<&'a [u8]>,
    /// The values of the scheme's first signature header present.
    pub(super) signature: Vec<&'a [u8]>,
    /// The declared `Content-Length`.
    pub(super) content_length: Option<u64>,
    /// The codec `Content-Encoding` names.
    pub(super) encoding: Option<Codec>,
}

/// Most signature values read.
const MAX_VALUES: usize = 16;

fn first<'a, H: Headers + ?Sized>(headers: &'a H, names: &[HeaderName]) -> Option<&'a [u8]> {
    names
        .iter()
        .find_map(|n| headers.values(n).next())
        .map(trim)
        .filter(|v| !v.is_empty() && v.len() <= MAX_HEADER_LEN)
}

/// The timestamp `scheme` would read from `headers`, as text.
pub(super) fn timestamp_of<'a, H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &'a H,
) -> Option<&'a [u8]> {
    match scheme.timestamp_source()? {
        TimestampSource::Header(names) => first(headers, names),
        TimestampSource::Entry(label) => {
            let sep = scheme.signature_format().label_separator()?;
            let delimiters = scheme.signature_format().delimiters();
            let values = signature_values(scheme, headers);
            let found = values
                .iter()
                .flat_map(|v| v.split(|b| delimiters.contains(b)))
                .find_map(|token| {
                    let at = token.iter().position(|&b| b == sep)?;
                    (&token[..at] == label.as_bytes()).then(|| trim(&token[at + 1..]))
                });
            found
        }
    }
}

/// The values of the first of `scheme`'s signature headers present.
pub(super) fn signature_values<'a, H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &'a H,
) -> Vec<&'a [u8]> {
    for name in scheme.signature_headers() {
        let values: Vec<&[u8]> = headers
            .values(name)
            .take(MAX_VALUES)
            .filter(|v| v.len() <= MAX_HEADER_LEN)
            .collect();
        if !values.is_empty() {
            return values;
        }
    }
    Vec::new()
}

impl<'a> Request<'a> {
    pub(super) fn read<H: Headers + ?Sized>(scheme: &Scheme, headers: &'a H) -> Self {
        let presets = || Scheme::PRESETS.iter().filter_map(|p| Scheme::preset(p));
        let timestamp = timestamp_of(scheme, headers)
            .or_else(|| presets().find_map(|p| timestamp_of(&p, headers)));
        let id = first(headers, scheme.delivery_id_headers())
            .or_else(|| presets().find_map(|p| first(headers, p.delivery_id_headers())));
        let content_length = headers
            .values(&CONTENT_LENGTH)
            .next()
            .and_then(|v| std::str::from_utf8(trim(v)).ok()?.parse().ok());
        let encoding = headers
            .values(&CONTENT_ENCODING)
            .next()
            .and_then(Codec::from_header);
        Request {
            timestamp,
            id,
            signature: signature_values(scheme, headers),
            content_length,
            encoding,
        }
    }
}

/// The bytes `parts` sign before the body, with these values; `None` when
/// one is missing.
pub(super) fn prefix<H: Headers + ?Sized>(
    parts: &[Part],
    timestamp: Option<&[u8]>,
    id: Option<&[u8]>,
    headers: &H,
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Literal(bytes) => out.extend_from_slice(bytes),
            Part::Timestamp => out.extend_from_slice(timestamp?),
            Part::DeliveryId => out.extend_from_slice(id?),
            Part::Header(name) => {
                out.extend_from_slice(first(headers, std::slice::from_ref(name))?)
            }
            _ => {}
        }
    }
    Some(out)
}

/// A layout as people write it: `<timestamp>.<body>`.
pub(super) fn render(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(bytes) => out.push_str(&bytes.escape_ascii().to_string()),
            Part::Timestamp => out.push_str("<timestamp>"),
            Part::DeliveryId => out.push_str("<id>"),
            Part::Header(name) => out.push_str(&format!("<{name}>")),
            Part::Body => out.push_str("<body>"),
        }
    }
    out
}

/// A message layout to try: what precedes the body, how to name it, the
/// presets that sign it.
pub(super) struct Layout {
    pub(super) prefix: Vec<u8>,
    pub(super) signed_as: String,
    pub(super) like: Vec<&'static str>,
}

/// Separators tried in place of the scheme's own.
const SEPARATORS: [&[u8]; 4] = [b".", b":", b"", b","];

/// Every preset's layout with the values present, then the scheme's own
/// layout with other separators; each distinct, none the scheme's own.
pub(super) fn layouts<H: Headers + ?Sized>(
    scheme: &Scheme,
    request: &Request<'_>,
    headers: &H,
) -> Vec<Layout> {
    let own = prefix(scheme.message(), request.timestamp, request.id, headers);
    let mut out: Vec<Layout> = Vec::new();
    let mut add = |parts: &[Part],
                   preset: Option<&'static str>,
                   timestamp: Option<&[u8]>,
                   id: Option<&[u8]>| {
        let Some(bytes) = prefix(parts, timestamp, id, headers) else {
            return;
        };
        if Some(&bytes) == own.as_ref() {
            return;
        }
        match out.iter_mut().find(|l| l.prefix == bytes) {
            Some(layout) => layout.like.extend(preset),
            None => out.push(Layout {
                prefix: bytes,
                signed_as: render(parts),
                like: preset.into_iter().collect(),
            }),
        }
    };
    for name in Scheme::PRESETS {
        let Some(preset) = Scheme::preset(name) else {
            continue;
        };
        let timestamp = timestamp_of(&preset, headers).or(request.timestamp);
        let id = first(headers, preset.delivery_id_headers()).or(request.id);
        add(preset.message(), Some(*name), timestamp, id);
    }
    let parts = scheme.message();
    let literals: Vec<usize> = (0..parts.len())
        .filter(|&i| matches!(parts[i], Part::Literal(_)))
        .collect();
    for sep in SEPARATORS {
        let replaced: Vec<Part> = parts
            .iter()
            .map(|p| match p {
                Part::Literal(_) => Part::literal(sep.to_vec()),
                other => other.clone(),
            })
            .collect();
        add(&replaced, None, request.timestamp, request.id);
        if literals.len() > 1 {
            for &i in &literals {
                let mut one = parts.to_vec();
                one[i] = Part::literal(sep.to_vec());
                add(&one, None, request.timestamp, request.id);
            }
        }
    }
    out
}
