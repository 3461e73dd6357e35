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

/// Verify alone vs verify plus the in-memory replay check, at 1 KiB. Every
/// check inserts a fresh record: the store's clock jumps past the TTL on each
/// call, so the previous round's records have expired.
fn bench_replay(c: &mut Criterion) {
    use hookguard::replay::{MemoryStore, ReplayProtection};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    const DELIVERIES: usize = 4096;
    let now = UNIX_EPOCH + Duration::from_secs(TS + 10);
    let clock = Arc::new(AtomicU64::new(TS));
    let store_clock = clock.clone();
    let store = MemoryStore::new(DELIVERIES * 2).clock(move || {
        UNIX_EPOCH + Duration::from_secs(store_clock.fetch_add(601, Ordering::Relaxed))
    });
    let plain = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .build()
        .unwrap();
    let guarded = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .replay_protection(ReplayProtection::new(store))
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::mittr(), SECRET).unwrap();
    let deliveries: Vec<(http::HeaderMap, Vec<u8>)> = (0..DELIVERIES)
        .map(|i| {
            let mut body = format!("{{\"id\":{i},\"pad\":\"").into_bytes();
            body.resize(1022, b'x');
            body.extend_from_slice(b"\"}");
            (signer.sign(TS, &body).to_header_map(), body)
        })
        .collect();

    let replay = guarded.replay_protection().unwrap().clone();
    let mut group = c.benchmark_group("replay_1KiB");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("verify", |b| {
        b.iter(|| {
            let (h, body) = &deliveries[i % DELIVERIES];
            i += 1;
            black_box(plain.verify_at(h, body, now).is_ok())
        })
    });
    let mut i = 0;
    group.bench_function("verify_and_memory_replay_check", |b| {
        b.iter(|| {
            let (h, body) = &deliveries[i % DELIVERIES];
            i += 1;
            let delivery = guarded.verify_at(h, body, now).unwrap();
            let processed = futures_util::FutureExt::now_or_never(async {
                let lease = replay.claim(&delivery).await.unwrap().unwrap();
                lease.commit().await;
            });
            processed.expect("the memory store answers at once");
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_verify, bench_replay
}
criterion_main!(benches);
