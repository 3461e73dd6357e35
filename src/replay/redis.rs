//! The Redis replay store, for receivers with many replicas.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Inserted, ReplayKey, ReplayStore, StoreError, StoreFuture};

/// A [`ReplayStore`] in Redis, shared by every replica: one
/// `SET <prefix><key> 1 NX PX <ttl>` round trip per delivery.
///
/// It connects lazily and reconnects by itself after Redis comes back (a
/// redis-rs `ConnectionManager`). While Redis is unreachable, operations fail
/// with [`StoreError::Unavailable`]: 503 `replay_store_unavailable`, or
/// acceptance with [`ReplayProtection::fail_open`](super::ReplayProtection::fail_open).
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

/// The default key prefix: `hookguard:replay:`.
pub const DEFAULT_PREFIX: &str = "hookguard:replay:";

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
    /// `hookguard:replay:`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, key: &ReplayKey) -> String {
        format!("{}{}", self.prefix, key.storage_name())
    }
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl ReplayStore for RedisStore {
    fn insert_if_absent<'a>(
        &'a self,
        key: &'a ReplayKey,
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            let reply: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(if reply.is_some() {
                Inserted::Fresh
            } else {
                Inserted::Seen
            })
        })
    }

    fn refresh<'a>(&'a self, key: &'a ReplayKey, ttl: Duration) -> StoreFuture<'a, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }

    fn remove<'a>(&'a self, key: &'a ReplayKey) -> StoreFuture<'a, ()> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        Box::pin(async move {
            redis::cmd("DEL")
                .arg(&key)
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }
}
