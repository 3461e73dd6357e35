//! What the dispatcher reads of a response: `Retry-After`, and the first
//! [`RESPONSE_BODY_LIMIT`] bytes of the body for the error code of a JSON
//! rejection.

use std::time::Duration;

use http::header;
use http_body_util::BodyExt;

use crate::error::shown_at_most;

/// How much of a response body the dispatcher reads: 64 KiB, plenty for a
/// JSON rejection (`{"error":"<code>",…}`). It stops reading there and
/// drops the body, and with it the connection, whatever the receiver
/// still sends.
pub const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

/// The first `limit` bytes of `body` (fewer if it ends before); the rest
/// is left unread.
pub(super) async fn read_prefix<B>(mut body: B, limit: usize) -> Result<Vec<u8>, B::Error>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
{
    let mut prefix = Vec::new();
    while prefix.len() < limit {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame?.into_data() {
            let take = data.len().min(limit - prefix.len());
            prefix.extend_from_slice(&data[..take]);
        }
    }
    Ok(prefix)
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured).
pub(super) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// How much of a receiver's error code the dispatcher keeps in
/// [`Attempt::error_code`](super::Attempt::error_code): its first 64
/// characters, then `…` when it is longer. Every hookwarden code is far
/// shorter; a receiver answering a 64 KiB code would otherwise cost 64 KiB
/// per attempt of every [`DeadLetter`](super::DeadLetter) kept.
pub const ERROR_CODE_LIMIT: usize = 64;

/// The `error` of a JSON rejection, when the body (or its prefix) is one:
/// the receiver's text, so shown as the verifier shows a sender's header
/// values (printable ASCII kept, anything else replaced by `?`), cut at
/// [`ERROR_CODE_LIMIT`] characters.
pub(super) fn rejection_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Rejection<'a> {
        #[serde(borrow)]
        error: std::borrow::Cow<'a, str>,
    }
    let rejection: Rejection<'_> = serde_json::from_slice(body).ok()?;
    Some(shown_at_most(rejection.error.as_bytes(), ERROR_CODE_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;
    use http_body_util::StreamBody;

    #[tokio::test]
    async fn reads_up_to_the_limit_across_frames() {
        let frames = |n: usize| {
            let chunks = (0..n).map(|_| {
                Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(Bytes::from_static(
                    b"0123456789",
                )))
            });
            StreamBody::new(futures_util::stream::iter(chunks))
        };
        assert_eq!(read_prefix(frames(3), 25).await.unwrap().len(), 25);
        assert_eq!(read_prefix(frames(2), 25).await.unwrap().len(), 20);
        let empty = http_body_util::Empty::<Bytes>::new();
        assert!(read_prefix(empty, 25).await.unwrap().is_empty());
    }

    #[test]
    fn a_receivers_code_is_cut_and_shown_safely() {
        assert_eq!(
            rejection_code(br#"{"error":"in_flight","message":"x"}"#).as_deref(),
            Some("in_flight")
        );
        assert_eq!(rejection_code(br#"{"message":"x"}"#), None);
        assert_eq!(rejection_code(br#"{"error":1}"#), None);
        assert_eq!(rejection_code(b"<html>"), None);
        let escaped = rejection_code(br#"{"error":"\u001b[31mred\u0007\u00e9"}"#);
        assert_eq!(escaped.as_deref(), Some("?[31mred???"));
        let long = format!(r#"{{"error":"{}"}}"#, "a".repeat(65_000));
        let code = rejection_code(long.as_bytes()).unwrap();
        assert_eq!(code, format!("{}…", "a".repeat(ERROR_CODE_LIMIT)));
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static(" 3 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
