#![doc = include_str!("../../../docs/postgres.md")]

mod record;
mod store;

pub use record::{record, RecordError, RECORD_LOCK_TIMEOUT};
pub use store::{PostgresStore, DEFAULT_LOCK_TIMEOUT, DEFAULT_PURGE_BATCH};

/// The schema, as applied by [`PostgresStore::migrate`]: the table
/// `hookwarden_replay`, its index on `expires_at`, and the functions the
/// store calls (`hookwarden_renew`, `_commit`, `_release`, `_record`,
/// `_purge`; the claim is one plain statement the store sends, cheaper than
/// a function call). Idempotent; apply it with your own migration tool
/// instead if you prefer (it takes an advisory lock, so replicas may apply
/// it at once).
pub const SCHEMA: &str = include_str!("schema.sql");

/// A duration in whole milliseconds for the database: at least 1, at most
/// 100 years.
fn millis(duration: std::time::Duration) -> i64 {
    const LONGEST: i64 = 100 * 365 * 24 * 3600 * 1000;
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .clamp(1, LONGEST)
}

/// A lock wait in whole milliseconds (`lock_timeout` is an `int`).
fn lock_millis(duration: std::time::Duration) -> i32 {
    i32::try_from(duration.as_millis())
        .unwrap_or(i32::MAX)
        .max(1)
}

/// A lease id as stored: 16 bytes, big-endian.
fn lease_bytes(lease: super::LeaseId) -> [u8; 16] {
    lease.as_u128().to_be_bytes()
}
