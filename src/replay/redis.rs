//! The Redis replay store, for receivers with many replicas.

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{Claim, LeaseId, ReplayKey, ReplayStore, StoreError, StoreFuture};

/// A [`ReplayStore`] in Redis, shared by every replica: one round trip per
/// operation (a small Lua script where a check and a write must be atomic).
///
/// A key `<prefix><namespace>:<digest>` holds `h:<lease id>` while a delivery
/// is processed and `d` once it was, each with its TTL (`PX`).
///
/// It connects lazily and reconnects by itself after Redis comes back (a
/// redis-rs `ConnectionManager`, 1 s connection and response timeouts).
/// While Redis is unreachable, operations fail with
/// [`StoreError::Unavailable`]: 503 `replay_store_unavailable`, or acceptance
/// with [`ReplayProtection::fail_open`](super::ReplayProtection::fail_open).
/// With persistence on (AOF or RDB), records and leases survive a restart.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never shown.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The default key prefix: `hookwarden:replay:`.
pub const DEFAULT_PREFIX: &str = "hookwarden:replay:";

/// Leases the key unless it is leased or done; returns what was there (nil
/// when the lease was taken).
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local v = redis.call('GET', KEYS[1])
          if v then return v end
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return false",
    )
});

/// Extends the lease if it still holds the key; 1 if so, else 0.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
          end
          return 0",
    )
});

/// Frees the key if the lease still holds it.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
          end
          return 0",
    )
});

impl RedisStore {
    /// A store at `url` (`redis://host:port/db`), with a 1 s connection and
    /// response timeout so that an outage answers fast. Must be called within
    /// a tokio runtime; no connection is made until the first delivery.
    ///
    /// # Errors
    /// An unparsable URL.
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let client = redis::Client::open(url)?;
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(RedisStore {
            connection,
            prefix: DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Prefixes every key, to share a Redis with other data. Defaults to
    /// `hookwarden:replay:`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, key: &ReplayKey) -> String {
        format!("{}{}", self.prefix, key.storage_name())
    }
}

fn holder(lease: LeaseId) -> String {
    format!("h:{:032x}", lease.as_u128())
}

const DONE: &str = "d";

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::unavailable(error)
}

/// A TTL in milliseconds for `PX`: at least 1, and at most 100 years (Redis
/// refuses an expiry beyond `i64` milliseconds from now, so a `Duration::MAX`
/// TTL would fail every call).
fn millis(ttl: Duration) -> u64 {
    const LONGEST: u64 = 100 * 365 * 24 * 3600 * 1000;
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, LONGEST)
}

impl ReplayStore for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, Claim> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        StoreFuture::new(async move {
            let found: Option<String> = CLAIM
                .key(&key)
                .arg(holder(lease))
                .arg(millis(ttl))
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(match found.as_deref() {
                None => Claim::Leased,
                Some(DONE) => Claim::Replayed,
                Some(_) => Claim::InFlight,
            })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a ReplayKey,
        lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        StoreFuture::new(async move {
            let renewed: i64 = RENEW
                .key(&key)
                .arg(holder(lease))
                .arg(millis(ttl))
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(renewed == 1)
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a ReplayKey,
        _lease: LeaseId,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        StoreFuture::new(async move {
            redis::cmd("SET")
                .arg(&key)
                .arg(DONE)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }

    fn release<'a>(&'a self, key: &'a ReplayKey, lease: LeaseId) -> StoreFuture<'a, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        StoreFuture::new(async move {
            RELEASE
                .key(&key)
                .arg(holder(lease))
                .invoke_async::<i64>(&mut connection)
                .await
                .map(drop)
                .map_err(unavailable)
        })
    }
}
