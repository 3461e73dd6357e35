//! Pasted input: headers as people paste them, and raw HTTP requests as
//! request inspectors show them, read into headers and the exact body bytes.

use http::{HeaderMap, HeaderName, HeaderValue};

/// Why pasted input could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A header line without a `:`.
    #[error("line {line} is not `Name: value`")]
    NotAHeaderLine {
        /// 1-based line number.
        line: usize,
    },
    /// A header name or value HTTP does not allow.
    #[error("line {line} has a header name or value HTTP does not allow")]
    InvalidHeader {
        /// 1-based line number.
        line: usize,
    },
    /// A raw request without the blank line that ends the headers.
    #[error("no blank line after the headers: paste the whole request")]
    NoHeaderEnd,
}

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
