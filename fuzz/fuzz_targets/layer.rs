//! An arbitrary request (headers, body chunks) through `VerifyWebhookLayer`
//! with a recording inner service: no panic; the inner service is called only
//! for a genuine signature, and then with exactly the bytes that were sent.
#![no_main]

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use hookwarden::tower::{VerifiedBody, VerifyWebhookLayer};
use hookwarden::{Scheme, Signer, Verifier};
use http::{HeaderName, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use libfuzzer_sys::fuzz_target;
use tower::{Layer, Service, ServiceExt};

const SECRET: &[u8] = b"layer-fuzz-secret";
const NOW: u64 = 1_764_072_000;

#[derive(Arbitrary, Debug)]
struct Input {
    mittr: bool,
    /// Sign the body properly (then maybe break it), or not at all.
    sign: bool,
    timestamp_offset: i16,
    chunks: Vec<Vec<u8>>,
    /// Extra or replacement headers: (which name, value bytes).
    headers: Vec<(u8, Vec<u8>)>,
    content_length: Option<u32>,
    limit: u16,
}

fuzz_target!(|input: Input| {
    let scheme = if input.mittr {
        Scheme::mittr()
    } else {
        Scheme::mitpo()
    };
    let body: Vec<u8> = input.chunks.concat();
    let ts = NOW.saturating_add_signed(i64::from(input.timestamp_offset));
    let mut request = Request::post("/hook").body(()).unwrap();
    if input.sign {
        Signer::new(scheme.clone(), SECRET)
            .unwrap()
            .sign(ts, &body)
            .apply_to(request.headers_mut());
    }
    let names = [
        scheme.signature_header().clone(),
        scheme.timestamp_header().unwrap().clone(),
        HeaderName::from_static("x-mitpo-event"),
        http::header::CONTENT_LENGTH,
    ];
    for (which, value) in &input.headers {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            request
                .headers_mut()
                .append(names[usize::from(*which) % names.len()].clone(), value);
        }
    }
    if let Some(len) = input.content_length {
        request
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = input
        .chunks
        .iter()
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let request = request.map(|()| StreamBody::new(futures_util::stream::iter(frames)));
    let headers = request.headers().clone();

    let seen: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let recorder = seen.clone();
    let inner = tower::service_fn(move |req: Request<VerifiedBody>| {
        let recorder = recorder.clone();
        async move {
            let bytes = req.into_body().collect().await.unwrap().to_bytes();
            recorder.lock().unwrap().push(bytes);
            Ok::<_, std::convert::Infallible>(Response::new(VerifiedBody::default()))
        }
    });
    // No replay protection (a MITPO verifier's default): its leases need
    // tokio's timer, and this target runs on a plain executor.
    let verifier = Verifier::builder(scheme.clone())
        .secret(SECRET)
        .without_replay_protection()
        .body_limit(u64::from(input.limit))
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap();
    let mut service = VerifyWebhookLayer::new(verifier).layer(inner);
    type Body = StreamBody<
        futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, std::io::Error>>>,
    >;
    let response = futures_executor::block_on(async {
        ServiceExt::<Request<Body>>::ready(&mut service)
            .await
            .unwrap();
        service.call(request).await.unwrap()
    });

    let seen = seen.lock().unwrap();
    if response.status().is_success() {
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0], body, "the inner service got other bytes");
        // The signature header must hold a genuine signature, recomputed here.
        let ts_text = headers
            .get(scheme.timestamp_header().unwrap())
            .unwrap()
            .as_bytes();
        let ts_text = std::str::from_utf8(ts_text)
            .unwrap()
            .trim_matches([' ', '\t']);
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        if input.mittr {
            mac.update(ts_text.as_bytes());
            mac.update(b".");
        }
        mac.update(&body);
        let genuine = hex::encode(mac.finalize().into_bytes());
        let sig = headers.get_all(scheme.signature_header()).iter().any(|v| {
            v.to_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .contains(&genuine)
        });
        assert!(
            sig,
            "the inner service was called without a genuine signature"
        );
        assert!(body.len() <= usize::from(input.limit));
    } else {
        assert!(
            seen.is_empty(),
            "the inner service was called for a rejected request"
        );
        assert!(response.extensions().get::<hookwarden::Error>().is_some());
    }
});
