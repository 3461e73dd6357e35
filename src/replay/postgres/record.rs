//! [`record`]: the inbox, a delivery recorded as processed in the handler's
//! own transaction, fenced by its lease.

use std::time::Duration;

use sqlx::PgConnection;

use super::{lease_bytes, lock_millis, millis};
use crate::replay::Fence;

/// How long [`record`] waits for the delivery's row when another
/// transaction holds it (a replica that took the lease over, recording
/// itself): 1 s, then it fails as [`RecordError::Database`].
pub const RECORD_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// Records the delivery held by `fence` as processed, in the transaction
/// `conn` is in (pass `&mut *tx`), fenced by its lease: the record commits
/// or rolls back with the handler's own writes.
///
/// `fence` is [`VerifiedDelivery::fence`](crate::VerifiedDelivery::fence)
/// (or a [`Lease::fence`](crate::replay::Lease::fence) claimed by hand). From
/// this call on, "processed" means that the transaction committed: the
/// layer, the middleware and [`Ack::commit`](crate::extract::Ack::commit)
/// no longer commit the key themselves. After a success they make no store
/// call; after a failure they release the lease, which frees the key if the
/// transaction rolled back (so that the provider's retry is processed) and
/// never undoes a committed record.
///
/// ```no_run
/// # async fn handler(pool: sqlx::PgPool, delivery: hookwarden::VerifiedDelivery)
/// #     -> Result<(), Box<dyn std::error::Error>> {
/// let mut tx = pool.begin().await?;
/// sqlx::query("INSERT INTO orders (id) VALUES ($1)").bind(42_i64).execute(&mut *tx).await?;
/// hookwarden::replay::postgres::record(&mut tx, delivery.fence()).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
///
/// Call it in a transaction (`pool.begin()`): outside one, the record is
/// committed at once, apart from the handler's writes.
///
/// # Errors
/// - [`RecordError::NoLease`]: `fence` is `None` (no replay protection,
///   failing open with the store down, or a delivery from
///   [`Verifier::verify`](crate::Verifier::verify), which never claims).
/// - [`RecordError::LeaseLost`]: the lease no longer holds the key (it
///   expired and another replica took the delivery, or another transaction
///   recorded it). The transaction is aborted, so the handler's writes
///   never commit beside another replica's: roll it back and answer 503
///   (the provider's retry then gets 409 `replayed` or is processed).
/// - [`RecordError::NotInStore`]: the table holds no lease for the
///   delivery: the verifier's replay store is not a
///   [`PostgresStore`](super::PostgresStore) on this database, or the lease
///   expired and its row was purged. The transaction is aborted.
/// - [`RecordError::Database`]: any other database error, among them a row
///   still locked after [`RECORD_LOCK_TIMEOUT`] by another replica's open
///   transaction (the transaction is aborted too).
///
/// Either way, from the call on the lease settles by a release: a handler
/// that answers 2xx after a failed record does not mark the delivery
/// processed. Recording twice in one transaction is allowed.
///
/// Record at the transaction's outermost level: a failure aborts the
/// transaction, but a savepoint rolled back to (a nested `tx.begin()`)
/// would undo the abort and let the writes after it commit unfenced.
pub async fn record<'f>(
    conn: &mut PgConnection,
    fence: impl Into<Option<&'f Fence>>,
) -> Result<(), RecordError> {
    let fence = fence.into().ok_or(RecordError::NoLease)?;
    // From the attempt on, only this transaction's commit marks the
    // delivery processed: a record refused by the fence must not be
    // overridden by the lease's own commit if the handler answers 2xx.
    fence.hand_over();
    sqlx::query("SELECT hookwarden_record($1, $2, $3, $4)")
        .bind(fence.key().storage_name())
        .bind(&lease_bytes(fence.lease())[..])
        .bind(millis(fence.record_ttl()))
        .bind(lock_millis(RECORD_LOCK_TIMEOUT))
        .execute(conn)
        .await
        .map_err(RecordError::from)?;
    Ok(())
}

/// Why [`record`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The delivery is not held by a lease: nothing to record.
    #[error("the delivery is not held by a replay lease (replay protection off, failing open, or verified without a claim)")]
    NoLease,
    /// The lease was lost: another replica holds or processed the
    /// delivery. The transaction is aborted; roll it back.
    #[error("the delivery's replay lease was lost (taken by another replica, or recorded by another transaction); the transaction is aborted")]
    LeaseLost,
    /// No lease for the delivery in `hookwarden_replay`: the verifier's
    /// replay store is not a `PostgresStore` on this database, or the lease
    /// expired and was purged. The transaction is aborted.
    #[error("no replay lease for the delivery in hookwarden_replay (the verifier's replay store is not a PostgresStore on this database, or the lease expired and was purged); the transaction is aborted")]
    NotInStore,
    /// The database failed; the transaction is aborted.
    #[error("recording the delivery failed: {0}")]
    Database(#[source] sqlx::Error),
}

impl RecordError {
    /// Whether the lease was lost ([`RecordError::LeaseLost`]).
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, RecordError::LeaseLost)
    }
}

impl From<sqlx::Error> for RecordError {
    fn from(error: sqlx::Error) -> Self {
        let code = match &error {
            sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
            _ => None,
        };
        match code.as_deref() {
            Some("HW409") => RecordError::LeaseLost,
            Some("HW404") => RecordError::NotInStore,
            _ => RecordError::Database(error),
        }
    }
}
