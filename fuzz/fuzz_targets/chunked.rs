//! Arbitrary body and split points: feeding the body in chunks gives exactly
//! the one-shot verdict, for both schemes, signed or tampered.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use hookwarden::{Scheme, Signer, Verifier};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    body: Vec<u8>,
    splits: Vec<u16>,
    mittr: bool,
    /// Flip one bit of the body after signing.
    tamper: Option<(u16, u8)>,
}

fuzz_target!(|input: Input| {
    let scheme = if input.mittr {
        Scheme::mittr()
    } else {
        Scheme::mitpo()
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
    let headers = Signer::new(scheme.clone(), "fuzz-secret")
        .unwrap()
        .sign(1_764_072_000, &input.body)
        .to_header_map();
    let verifier = Verifier::builder(scheme)
        .secret("other")
        .secret("fuzz-secret")
        .build()
        .unwrap();
    let mut body = input.body.clone();
    if let (Some((at, bit)), false) = (input.tamper, body.is_empty()) {
        let at = usize::from(at) % body.len();
        body[at] ^= 1 << (bit % 8);
    }
    let one_shot = verifier.verify_at(&headers, &body, now);
    assert_eq!(one_shot.is_ok(), body == input.body);

    let mut cuts: Vec<usize> = input
        .splits
        .iter()
        .map(|s| usize::from(*s) % (body.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut pending = verifier.check_headers_at(&headers, now).unwrap();
    let mut start = 0;
    for cut in cuts.into_iter().chain([body.len()]) {
        pending.update(&body[start..cut]).unwrap();
        start = cut;
    }
    assert_eq!(pending.finish(), one_shot);
});
