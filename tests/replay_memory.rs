//! Measures the in-memory replay store's memory per record with a counting
//! allocator (a single test in this binary, so nothing else is counted) and
//! checks the documented figures: per record, and per tenant holding
//! records.

use std::collections::HashMap;
use std::time::Duration;

use hookwarden::replay::{MemoryStore, ReplayProtection, MEMORY_BYTES_PER_ENTRY};
use hookwarden::tenant::TenantFrom;
use hookwarden::{Scheme, Secret, Signer, VerifiedDelivery, Verifier};

const RECORDS: usize = 20_000;

/// The documented bound of a tenant's partition, beyond its records
/// (`MemoryStore::tenant_share`).
const BYTES_PER_TENANT: f64 = 250.0;

/// Bytes held after claiming and committing `deliveries` into `store`.
fn held_after_claiming(
    store: &MemoryStore,
    verifier: &Verifier,
    deliveries: &[VerifiedDelivery],
) -> u64 {
    let replay = verifier.replay_protection().unwrap();
    let info = allocation_counter::measure(|| {
        futures_util::FutureExt::now_or_never(async {
            for delivery in deliveries {
                let lease = replay.claim(delivery).await.unwrap().unwrap();
                lease.commit().await;
            }
        })
        .expect("the memory store answers at once");
    });
    assert_eq!(store.len(), deliveries.len());
    u64::try_from(info.bytes_current).unwrap()
}

/// `RECORDS` records of `tenants` tenants (`0`: a verifier without
/// tenants): bytes per record held.
fn per_record(tenants: usize) -> f64 {
    let store = std::sync::Arc::new(MemoryStore::new(RECORDS).tenant_share(RECORDS));
    let replay = ReplayProtection::from_arc(store.clone()).record_ttl(Duration::from_secs(3600));
    let builder = Verifier::builder(Scheme::mitpo()).disable_timestamp_check();
    let builder = if tenants == 0 {
        builder.secret("whsec_k")
    } else {
        let secrets: HashMap<String, Vec<Secret>> = (0..tenants)
            .map(|t| (format!("t{t}"), vec![Secret::from("whsec_k")]))
            .collect();
        builder
            .secret_source(secrets, TenantFrom::path_segment(0))
            .tenant_cache(Duration::from_secs(600), tenants)
    };
    let verifier = builder.replay_protection(replay).build().unwrap();
    let signer = Signer::new(Scheme::mitpo(), "whsec_k").unwrap();
    let deliveries: Vec<_> = (0..RECORDS)
        .map(|i| {
            let body = i.to_string().into_bytes();
            let headers = signer.sign(1, &body).to_header_map();
            let path = format!("/t{}", i % tenants.max(1));
            verifier.verify_for_path(&path, &headers, &body).unwrap()
        })
        .collect();
    let held = held_after_claiming(&store, &verifier, &deliveries);
    held as f64 / RECORDS as f64
}

#[test]
fn memory_per_record_is_as_documented() {
    let untenanted = per_record(0);
    println!("in-memory replay store: {untenanted:.1} bytes per record held ({RECORDS} records)");
    assert!(
        untenanted <= MEMORY_BYTES_PER_ENTRY as f64,
        "{untenanted} > documented {MEMORY_BYTES_PER_ENTRY}"
    );
    assert!(
        untenanted >= 32.0,
        "{untenanted}: the measurement missed the records"
    );
    // With tenants: each record as much, and each tenant holding records
    // its partition.
    let few = per_record(20);
    println!("20 tenants: {few:.1} bytes per record held");
    assert!(few <= MEMORY_BYTES_PER_ENTRY as f64, "{few}");
    let many = per_record(RECORDS);
    let per_tenant = many - untenanted;
    println!("{RECORDS} tenants of a record each: {many:.1} bytes per record, {per_tenant:.1} per tenant");
    assert!(
        per_tenant <= BYTES_PER_TENANT,
        "{per_tenant} bytes per tenant"
    );
}
