//! [`PostgresStore`]: replay records and leases in a PostgreSQL table.

use std::time::Duration;

use sqlx::PgPool;

use super::{lease_bytes, lock_millis, millis, SCHEMA};
use crate::replay::{Claim, LeaseId, ReplayKey, ReplayStore, StoreError, StoreFuture};

/// How long a store call waits for a row lock before answering as if the
/// delivery were in flight: 100 ms. A row stays locked longer only while a
/// handler's open transaction holds its record.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// How many expired rows [`PostgresStore::purge_expired`] deletes per call
/// by default: 10,000.
pub const DEFAULT_PURGE_BATCH: u32 = 10_000;

/// A [`ReplayStore`] in PostgreSQL, shared by every replica that uses the
/// same database, with the same contract as the Redis store: claim, renew,
/// commit, release; 409 `in_flight` (with `Retry-After`) or 409
/// `replayed`; 503 `replay_store_unavailable` when the database cannot be
/// reached within the store timeout (fail closed).
///
/// It is also the **inbox**: a handler records its delivery as processed in
/// its own transaction with [`record`](super::record), fenced by its lease,
/// so that the record commits or rolls back with the handler's writes.
///
/// One row per key in the table `hookwarden_replay` ([`SCHEMA`], applied by
/// [`migrate`](Self::migrate)); every operation is one statement on a
/// connection of the pool given: the claim a plain `INSERT … ON CONFLICT`,
/// the others calls of the schema's functions. Expiry is
/// the database's clock. A call never waits on another transaction's row
/// lock for more than the lock timeout ([`DEFAULT_LOCK_TIMEOUT`]): a claim
/// that meets a row locked by a handler's open transaction answers
/// `in_flight`.
///
/// Isolation: READ COMMITTED, PostgreSQL's default, is what the store and
/// the record assume and need; the pool's connections must not default to
/// a stricter level (`default_transaction_isolation`), where a concurrent
/// claim would fail with a serialization error (an unavailable store).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    lock_timeout: Duration,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's options carry the password: never shown.
        f.debug_struct("PostgresStore")
            .field("lock_timeout", &self.lock_timeout)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// A store on `pool`'s database. The schema must be applied
    /// ([`migrate`](Self::migrate)).
    pub fn new(pool: PgPool) -> Self {
        PostgresStore {
            pool,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long a call waits for a row lock held by another transaction
    /// before answering `in_flight` (a claim), "still held" (a renewal) or
    /// failing (a commit or a release, retried in the background). Defaults
    /// to [`DEFAULT_LOCK_TIMEOUT`]; keep it well under the replay store
    /// timeout.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The pool the store uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies [`SCHEMA`]: creates the table, its index and the functions
    /// if missing, replaces the functions. Safe to call at every start, from
    /// every replica.
    ///
    /// # Errors
    /// The database's, as `sqlx` reports it.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(SCHEMA).execute(&self.pool).await.map(drop)
    }

    /// Deletes at most `limit` expired rows (expired leases and records),
    /// oldest first, skipping rows locked by others; returns how many. An
    /// expired row already counts as absent, so this only reclaims space:
    /// call it periodically (say every minute, with
    /// [`DEFAULT_PURGE_BATCH`]) from one replica or all.
    ///
    /// # Errors
    /// The database's, as `sqlx` reports it.
    pub async fn purge_expired(&self, limit: u32) -> Result<u64, sqlx::Error> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let purged: i64 = sqlx::query_scalar("SELECT hookwarden_purge($1)")
            .bind(limit)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }

    fn lock(&self) -> i32 {
        lock_millis(self.lock_timeout)
    }
}

/// The claim: one statement, no function call. The insert
/// takes a free key: absent, or its row expired (a lease or a record taken
/// over: replaced, `done` false, a new expiry). A live row is locked and
/// left as it is; the read after it answers from the statement's snapshot,
/// `replayed` for a live record and `in_flight` otherwise (also for a row
/// committed by another claim after the snapshot, invisible to it, and for
/// a live lease recorded since: in flight is the safe answer). The lock
/// timeout is set by the row the insert takes its values from, so before
/// the insert can wait on a row lock or on another transaction's insert of
/// the same key; it lasts until the claim's commit, the end of the
/// statement.
const CLAIM: &str = "WITH claimed AS (
    INSERT INTO hookwarden_replay AS r (key, lease, done, expires_at)
        SELECT $1::text, $2::bytea, false,
               clock_timestamp() + $3::bigint * interval '1 millisecond'
            FROM (SELECT set_config('lock_timeout', $4::text, true) AS lock_timeout) AS s
            WHERE s.lock_timeout IS NOT NULL
        ON CONFLICT (key) DO UPDATE
            SET lease = excluded.lease, done = false, expires_at = excluded.expires_at
            WHERE r.expires_at <= clock_timestamp()
        RETURNING true
)
SELECT CASE
    WHEN EXISTS (SELECT FROM claimed) THEN 'leased'
    WHEN (SELECT done FROM hookwarden_replay
          WHERE key = $1::text AND expires_at > clock_timestamp()) THEN 'replayed'
    ELSE 'in_flight'
END";

fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::unavailable(error)
}

/// Whether `error` is a lock wait that ran out (`lock_not_available`,
/// 55P03): the row is held by another transaction, a handler's open record.
fn lock_timed_out(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03"))
}

impl ReplayStore for PostgresStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        StoreFuture::new(async move {
            let answer: String = match sqlx::query_scalar(CLAIM)
                .bind(key.storage_name())
                .bind(&lease_bytes(lease)[..])
                .bind(millis(ttl))
                .bind(format!("{}ms", self.lock()))
                .fetch_one(&self.pool)
                .await
            {
                Ok(answer) => answer,
                Err(error) if lock_timed_out(&error) => return Ok(Claim::InFlight),
                Err(error) => return Err(unavailable(error)),
            };
            Ok(match answer.as_str() {
                "leased" => Claim::Leased,
                "replayed" => Claim::Replayed,
                _ => Claim::InFlight,
            })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        StoreFuture::new(async move {
            match sqlx::query_scalar("SELECT hookwarden_renew($1, $2, $3, $4)")
                .bind(key.storage_name())
                .bind(&lease_bytes(lease)[..])
                .bind(millis(ttl))
                .bind(self.lock())
                .fetch_one(&self.pool)
                .await
            {
                Ok(held) => Ok(held),
                // Its own record, locked by the handler's open transaction.
                Err(error) if lock_timed_out(&error) => Ok(true),
                Err(error) => Err(unavailable(error)),
            }
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::new(async move {
            sqlx::query("SELECT hookwarden_commit($1, $2, $3, $4)")
                .bind(key.storage_name())
                .bind(&lease_bytes(lease)[..])
                .bind(millis(ttl))
                .bind(self.lock())
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(unavailable)
        })
    }

    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        StoreFuture::new(async move {
            sqlx::query("SELECT hookwarden_release($1, $2, $3)")
                .bind(key.storage_name())
                .bind(&lease_bytes(lease)[..])
                .bind(self.lock())
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(unavailable)
        })
    }
}
