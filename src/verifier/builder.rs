//! [`VerifierBuilder`]: every setting of a [`Verifier`], each with a
//! documented default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Inner, Verifier, DEFAULT_BODY_LIMIT};
use crate::config_error::ConfigError;
use crate::key::verifying_keys;
use crate::scheme::Scheme;
use crate::secret::Secret;
use crate::time::{Clock, SystemClock, Tolerance};

/// Configures a [`Verifier`]. Created by [`Verifier::builder`].
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    name: Option<String>,
    secrets: Vec<Secret>,
    tenants: Option<crate::tenant::Tenants>,
    tolerance: Tolerance,
    body_limit: u64,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "runtime")]
    replay: Option<crate::replay::ReplayProtection>,
    /// Set by [`without_replay_protection`](Self::without_replay_protection).
    replay_opted_out: bool,
    #[cfg(feature = "runtime")]
    intake: crate::intake::IntakeSettings,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("scheme", &self.scheme.name())
            .field("name", &self.name)
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    pub(super) fn new(scheme: Scheme) -> Self {
        VerifierBuilder {
            name: None,
            secrets: Vec::new(),
            tenants: None,
            tolerance: scheme.tolerance(),
            body_limit: DEFAULT_BODY_LIMIT,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "runtime")]
            replay: None,
            replay_opted_out: false,
            #[cfg(feature = "runtime")]
            intake: crate::intake::IntakeSettings::default(),
            scheme,
        }
    }

    /// Names this verifier (an endpoint): the name goes into logs and
    /// metrics and namespaces its replay keys. Defaults to the scheme's name
    /// (`mittr`, `mitpo`). Two endpoints of one scheme that share a replay
    /// store (one Redis) **must** have different names: a provider that fans
    /// one event out to both signs identical messages, and the second would
    /// be refused as a replay of the first.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a secret (or, for an asymmetric method, a public key such as
    /// `whpk_…`), used as the scheme's [`KeyFormat`](crate::scheme::KeyFormat)
    /// says: raw bytes for most schemes, base64 after `whsec_` for Standard
    /// Webhooks. Never trimmed. Call again to accept several during a
    /// rotation: a delivery verifies when any of them signed it, and
    /// [`VerifiedDelivery::secret_index`](super::VerifiedDelivery::secret_index)
    /// says which (0 for the first added).
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Adds several secrets, in order.
    pub fn secrets<S: Into<Secret>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.secrets.extend(secrets.into_iter().map(Into::into));
        self
    }

    /// Takes the secrets per delivery from `source`, for the tenant read
    /// as `from` says (a path segment or a header), instead of fixed
    /// [`secret`](Self::secret)s. Each tenant's keys are derived once and
    /// cached (see [`tenant_cache`](Self::tenant_cache)). A delivery for an
    /// unknown tenant is refused as a signature mismatch; a failing source
    /// gives 503 `secret_source_unavailable`.
    pub fn secret_source(
        mut self,
        source: impl crate::tenant::SecretSource,
        from: crate::tenant::TenantFrom,
    ) -> Self {
        self.tenants = Some(crate::tenant::Tenants::new(Box::new(source), from));
        self
    }

    /// Sets how long a tenant's keys stay cached (default 60 s: a rotation
    /// in the source applies within it) and how many tenants are cached
    /// (default 10 000, at least 1). Only with a
    /// [`secret_source`](Self::secret_source).
    ///
    /// A full cache evicts one tenant per new one, in constant time: a
    /// tenant whose keys were used again since they were loaded stays, one
    /// seen once goes first, so that deliveries for ever new tenant ids
    /// (forged ones included) do not push out the tenants that keep
    /// sending. The cache is split in shards of 256 tenants or more, each
    /// with its own lock and its own share of `capacity`. Concurrent
    /// deliveries for a tenant that is not cached make one source call and
    /// share its answer (keys, unknown tenant, or the source's failure).
    /// Unknown tenants are remembered for [`UNKNOWN_TENANT_TTL`] (5 s) or
    /// `ttl` if shorter, as many as `capacity` and 1 024 at least, the same
    /// way (one evicted per new one).
    ///
    /// [`UNKNOWN_TENANT_TTL`]: crate::tenant::UNKNOWN_TENANT_TTL
    pub fn tenant_cache(mut self, ttl: Duration, capacity: usize) -> Self {
        if let Some(tenants) = &mut self.tenants {
            tenants.set_cache(ttl, capacity);
        }
        self
    }

    /// Sets how far the timestamp may lie in the past and in the future.
    /// Defaults to the scheme's window (300 seconds each way for every
    /// preset). Schemes without a timestamp ignore it. `Duration::ZERO` means "this very
    /// second", not "unchecked": use
    /// [`disable_timestamp_check`](Self::disable_timestamp_check) for that.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance.past = Some(tolerance);
        self.tolerance.future = Some(tolerance);
        self
    }

    /// Sets how old a delivery may be. Defaults to the scheme's (300 s).
    pub fn past_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance.past = Some(tolerance);
        self
    }

    /// Sets how far in the future a timestamp may be (the sender's clock
    /// running ahead). Defaults to the scheme's (300 s).
    pub fn future_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance.future = Some(tolerance);
        self
    }

    /// Turns the freshness check off on both sides. The timestamp header is
    /// still required and must be well-formed (Mittr signs it). Without the
    /// check a captured delivery can be replayed at any time: only do this
    /// with replay protection, or to re-check archived deliveries.
    pub fn disable_timestamp_check(mut self) -> Self {
        self.tolerance = Tolerance {
            past: None,
            future: None,
        };
        self
    }

    /// Sets the largest body accepted, in bytes; larger bodies are rejected
    /// with [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) as soon as the
    /// limit is crossed (or from `Content-Length`, before reading). Defaults
    /// to 1 MiB ([`DEFAULT_BODY_LIMIT`]).
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets where "now" comes from for the freshness check. Defaults to
    /// [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the verifier without replay protection, which every verifier
    /// otherwise has by default (see [`crate::replay`]'s "The default",
    /// feature `runtime`), and without the warning a verifier built
    /// without the `runtime` feature logs. Only when the application
    /// refuses replays itself (on the payload's own id, say), or sends the
    /// same signed request on purpose (a benchmark): otherwise a captured
    /// delivery can be re-sent while its timestamp is fresh, and at will for
    /// schemes whose signature covers no timestamp (MITPO, GitHub, Shopify).
    pub fn without_replay_protection(mut self) -> Self {
        self.replay_opted_out = true;
        #[cfg(feature = "runtime")]
        {
            self.replay = None;
        }
        self
    }

    /// Builds the verifier, turning each secret into its key once.
    ///
    /// # Errors
    /// [`ConfigError::NoSecret`] without any secret or source,
    /// [`ConfigError::SecretsAndSource`] with both,
    /// [`ConfigError::EmptySecret`] for an empty one,
    /// [`ConfigError::InvalidSecret`] for one that is not a key of the
    /// scheme, [`ConfigError::FeatureRequired`] for a key whose method
    /// needs a feature that is off, and the replay TTL errors of
    /// [`ReplayProtection`](crate::replay::ReplayProtection) (schemes
    /// without a timestamp need an explicit TTL).
    pub fn build(self) -> Result<Verifier, ConfigError> {
        crate::tenant::check_exclusive(self.secrets.len(), self.tenants.is_some())?;
        let keys = verifying_keys(&self.scheme, &self.secrets)?;
        let tolerance = self.effective_tolerance();
        let name = self.name.unwrap_or_else(|| self.scheme.name().to_owned());
        #[cfg(not(feature = "runtime"))]
        super::replay_default::warn_if_unprotected(&self.scheme, &name, self.replay_opted_out);
        #[cfg(feature = "runtime")]
        let replay = self.replay.or_else(|| {
            super::replay_default::replay(
                &self.scheme,
                tolerance,
                self.replay_opted_out,
                &self.clock,
            )
        });
        #[cfg(feature = "runtime")]
        let replay = match replay {
            Some(replay) => Some(replay.resolve(
                &name,
                tolerance,
                super::replay_default::retry_horizon(&self.scheme),
                self.intake.timer.clone(),
            )?),
            None => None,
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys,
                tenants: self.tenants.map(|t| t.with_decoy(&self.scheme)),
                fingerprints: self.secrets.iter().map(Secret::fingerprint).collect(),
                scheme: self.scheme,
                name,
                tolerance,
                body_limit: self.body_limit,
                clock: self.clock,
                #[cfg(feature = "runtime")]
                replay,
                #[cfg(feature = "runtime")]
                intake: self.intake,
                #[cfg(feature = "runtime")]
                metrics: crate::metrics::VerifierMetrics::default(),
            }),
        })
    }
}

impl VerifierBuilder {
    /// The window in force: unchecked on both sides for schemes without a
    /// timestamp (so that replay protection asks for an explicit TTL).
    fn effective_tolerance(&self) -> Tolerance {
        match self.scheme.timestamp_source() {
            Some(_) => self.tolerance,
            None => Tolerance {
                past: None,
                future: None,
            },
        }
    }
}

#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
impl VerifierBuilder {
    /// Refuses deliveries already processed (409 `replayed`) and copies in
    /// flight (409 `in_flight`) with a store of one's own; see
    /// [`crate::replay`]. The record TTL defaults to past + future
    /// tolerance.
    ///
    /// **On by default, for every scheme**: a verifier built without this
    /// call (nor [`without_replay_protection`](Self::without_replay_protection))
    /// gets an in-memory store of 100,000 records that forgets its oldest
    /// processed records when full, rather than answering 503; its records
    /// kept past + future tolerance, or
    /// [`DEFAULT_MITPO_RECORD_TTL`](crate::replay::DEFAULT_MITPO_RECORD_TTL)
    /// (a day) where the freshness check bounds nothing (MITPO, GitHub,
    /// Shopify). It protects one process, against exact copies, best effort
    /// when full: what it does and does not protect is said in
    /// [the default](crate::replay#the-default). Behind a load balancer,
    /// share a [`RedisStore`](crate::replay::RedisStore) (feature `redis`)
    /// between replicas; a store set here keeps the stricter guarantee
    /// (a full [`MemoryStore`](crate::replay::MemoryStore) answers 503
    /// `replay_store_full` and never forgets an unexpired record).
    pub fn replay_protection(mut self, replay: crate::replay::ReplayProtection) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Sets the total time a body may take to arrive, from the moment the
    /// headers are accepted to its last byte; past it the delivery gets 408
    /// `body_timeout` and its bytes are freed. Defaults to 30 s
    /// ([`DEFAULT_READ_DEADLINE`](crate::intake::DEFAULT_READ_DEADLINE)).
    pub fn read_deadline(mut self, deadline: Duration) -> Self {
        self.intake.read_deadline = deadline;
        self
    }

    /// Sets the slowest a body may arrive: once the grace period has
    /// passed since the headers were accepted, a body that has delivered
    /// fewer than the rate × the time elapsed gets 408 `body_too_slow` and
    /// its bytes are freed, so that a sender that stops sending stops
    /// holding a connection and budget long before the read deadline.
    /// Defaults to 240 bytes a second after 5 s
    /// ([`DEFAULT_MIN_DATA_RATE`](crate::intake::DEFAULT_MIN_DATA_RATE));
    /// `None` holds bodies to the read deadline alone.
    pub fn min_data_rate(mut self, rate: Option<crate::intake::MinDataRate>) -> Self {
        self.intake.min_rate = rate;
        self
    }

    /// Sets where the intake reads a delivery's sender from, for its share
    /// of the budget ([`PeerShare`](crate::intake::PeerShare)). Defaults to
    /// [`PeerFrom::Socket`](crate::intake::PeerFrom::Socket), the address
    /// the adapter sees; behind a reverse proxy, name the proxies and the
    /// header they write with
    /// [`PeerFrom::forwarded`](crate::intake::PeerFrom::forwarded) (never
    /// trusted by default: anyone can send `X-Forwarded-For`).
    pub fn peer_from(mut self, from: crate::intake::PeerFrom) -> Self {
        self.intake.peer_from = from;
        self
    }

    /// Sets the budget of unverified body bytes this verifier draws from.
    /// Defaults to the process-wide [`Budget::global`](crate::intake::Budget::global)
    /// (64 MiB, of which one sender may hold a quarter and 64 deliveries
    /// being read: [`PeerShare`](crate::intake::PeerShare)), shared by every
    /// verifier that keeps the default.
    pub fn unverified_budget(mut self, budget: crate::intake::Budget) -> Self {
        self.intake.budget = budget;
        self
    }

    /// Rejects a delivery whose unsigned event header (`X-MITPO-Event`)
    /// differs from its signed payload's `event` field, with 400
    /// [`Error::EventMismatch`](crate::Error::EventMismatch) (code
    /// `event_mismatch`). Off by default. The check runs in the intake, once
    /// the signature verified and before the replay claim, for every
    /// adapter; a delivery without the header, or whose payload is not a
    /// JSON object with a string `event`, is not checked. Routing on the
    /// payload's own `event` ([`mitpo::Event`](crate::mitpo::Event)) needs no
    /// check; this one is for code that reads the header.
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn require_event_match(mut self) -> Self {
        self.intake.require_event_match = true;
        self
    }

    /// Sets the timer behind read deadlines and replay leases. Defaults to
    /// tokio's ([`TokioTimer`](crate::time::TokioTimer)); tests inject a
    /// [`ManualTimer`](crate::time::ManualTimer) so as not to wait.
    pub fn timer(mut self, timer: impl crate::time::Timer) -> Self {
        self.intake.timer = Arc::new(timer);
        self
    }
}
