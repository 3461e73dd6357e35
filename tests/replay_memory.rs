//! Measures the in-memory replay store's memory per record with a counting
//! allocator (a single test in this binary, so nothing else is counted) and
//! checks the documented figure.

use std::time::Duration;

use hookwarden::replay::{MemoryStore, ReplayProtection, MEMORY_BYTES_PER_ENTRY};
use hookwarden::{Scheme, Signer, Verifier};

#[test]
fn memory_per_record_is_as_documented() {
    const RECORDS: usize = 20_000;
    let store = std::sync::Arc::new(MemoryStore::new(RECORDS));
    let verifier = Verifier::builder(Scheme::mitpo())
        .secret("whsec_k")
        .disable_timestamp_check()
        .replay_protection(
            ReplayProtection::from_arc(store.clone()).record_ttl(Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::mitpo(), "whsec_k").unwrap();
    let deliveries: Vec<_> = (0..RECORDS)
        .map(|i| {
            let body = i.to_string().into_bytes();
            verifier
                .verify(&signer.sign(1, &body).to_header_map(), &body)
                .unwrap()
        })
        .collect();
    let replay = verifier.replay_protection().unwrap();
    let info = allocation_counter::measure(|| {
        futures_util::FutureExt::now_or_never(async {
            for delivery in &deliveries {
                let lease = replay.claim(delivery).await.unwrap().unwrap();
                lease.commit().await;
            }
        })
        .expect("the memory store answers at once");
    });
    assert_eq!(store.len(), RECORDS);
    let per_record = info.bytes_current as f64 / RECORDS as f64;
    println!(
        "in-memory replay store: {per_record:.1} bytes per record held ({} bytes for {RECORDS})",
        info.bytes_current
    );
    assert!(
        per_record <= MEMORY_BYTES_PER_ENTRY as f64,
        "{per_record} > documented {MEMORY_BYTES_PER_ENTRY}"
    );
    assert!(
        per_record >= 32.0,
        "{per_record}: the measurement missed the records"
    );
}
