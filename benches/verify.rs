//! Verification cost against two baselines, in the same run:
//! - `hmac_keyed_per_call`: bare hmac + sha2, keying the MAC on every call;
//! - `hmac_prekeyed_clone`: a keyed MAC state built once and cloned per call
//!   (the floor for any HMAC verifier);
//! - `hookguard_verify`: `Verifier::verify_at` (headers parsed, timestamp
//!   checked, signature compared in constant time).
//!
//! Run with `cargo bench --bench verify`.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use hookguard::{Scheme, Signer, Verifier};
use sha2::Sha256;

const SECRET: &str = "ZKYivBnrRg1y7Jw641RIFXIpeUcfikk6In";
const TS: u64 = 1_764_071_982;
const TS_TEXT: &[u8] = b"1764071982";

fn bench_verify(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(TS + 10);
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .build()
        .unwrap();
    let prekeyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();

    let mut group = c.benchmark_group("mittr_verify");
    for size in [256usize, 1024, 16 * 1024, 1024 * 1024] {
        let body: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let headers = Signer::new(Scheme::mittr(), SECRET)
            .unwrap()
            .sign(TS, &body)
            .to_header_map();
        let expected = Signer::new(Scheme::mittr(), SECRET)
            .unwrap()
            .digest(TS, &body);
        group.throughput(Throughput::Bytes(size as u64));

        group.bench_with_input(
            BenchmarkId::new("hmac_keyed_per_call", size),
            &body,
            |b, body| {
                b.iter(|| {
                    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                    mac.update(TS_TEXT);
                    mac.update(b".");
                    mac.update(black_box(body));
                    black_box(mac.verify_slice(&expected).is_ok())
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("hmac_prekeyed_clone", size),
            &body,
            |b, body| {
                b.iter(|| {
                    let mut mac = prekeyed.clone();
                    mac.update(TS_TEXT);
                    mac.update(b".");
                    mac.update(black_box(body));
                    black_box(mac.verify_slice(&expected).is_ok())
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("hookguard_verify", size),
            &body,
            |b, body| {
                b.iter(|| {
                    black_box(
                        verifier
                            .verify_at(black_box(&headers), black_box(body), now)
                            .is_ok(),
                    )
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_verify
}
criterion_main!(benches);
