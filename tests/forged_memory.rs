//! A forged body that arrives in many chunks is freed as it was held, never
//! joined into one more copy first: the peak stays near the 1.125× of the
//! segments. Counted with a counting global allocator; this file holds a
//! single test so no other test's allocations are counted.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hookwarden::intake::{BodyError, BodySource, Budget};
use hookwarden::{Scheme, Signer, Verifier};

const BODY: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;

/// A body made chunk by chunk as it is read (as a socket gives it).
struct Chunks {
    left: usize,
}

impl BodySource for Chunks {
    fn poll_chunk(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        let this = self.get_mut();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        this.left -= CHUNK;
        Poll::Ready(Some(Ok(Bytes::from(vec![b'x'; CHUNK]))))
    }
}

#[test]
fn a_forged_chunked_body_is_not_joined_before_its_verdict() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let verifier = Verifier::builder(Scheme::mittr())
        .secret("the-real-secret")
        .unverified_budget(Budget::new(4 * BODY as u64))
        .build()
        .unwrap();
    let forged = Signer::new(Scheme::mittr(), "an-attackers-guess")
        .unwrap()
        .sign_now(b"anything")
        .to_header_map();
    let receive = |verifier: &Verifier| {
        let admitted = verifier.admit(&forged, "/hook").unwrap();
        runtime.block_on(admitted.receive(Chunks { left: BODY }))
    };
    // Warm up anything lazily initialised.
    assert!(receive(&verifier).is_err());
    let info = allocation_counter::measure(|| {
        let outcome = receive(&verifier);
        assert_eq!(outcome.unwrap_err().code(), "signature_mismatch");
    });
    let peak = info.bytes_max as f64 / BODY as f64;
    assert!(peak < 1.4, "peak {peak:.2}× the body: {info:?}");
}
