//! What the dispatcher reads of a response: `Retry-After`, and the first
//! [`RESPONSE_BODY_LIMIT`] bytes of the body for the error code of a JSON
//! rejection.

use std::time::Duration;

use http::header;
use http_body_util::BodyExt;

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

/// The `error` of a JSON rejection, when the body (or its prefix) is one.
pub(super) fn rejection_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(value.get("error")?.as_str()?.to_owned())
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
