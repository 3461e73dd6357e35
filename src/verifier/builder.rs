//! [`VerifierBuilder`]: every setting of a [`Verifier`], each with a
//! documented default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Inner, Verifier, DEFAULT_BODY_LIMIT};
use crate::error::ConfigError;
use crate::mac::keyed_mac;
use crate::scheme::Scheme;
use crate::secret::Secret;
use crate::timestamp::{Clock, SystemClock, Tolerance};

/// Configures a [`Verifier`]. Created by [`Verifier::builder`].
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    name: Option<String>,
    secrets: Vec<Secret>,
    tolerance: Tolerance,
    body_limit: u64,
    clock: Box<dyn Clock>,
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
            .field("scheme", &self.scheme.kind())
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
            scheme,
            name: None,
            secrets: Vec::new(),
            tolerance: Tolerance::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            clock: Box::new(SystemClock),
            #[cfg(feature = "runtime")]
            replay: None,
            replay_opted_out: false,
            #[cfg(feature = "runtime")]
            intake: crate::intake::IntakeSettings::default(),
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

    /// Adds a secret. Call again to accept several during a rotation: a
    /// delivery verifies when any of them signed it, and
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

    /// Sets how far the timestamp may lie in the past and in the future.
    /// Defaults to 300 seconds each way. `Duration::ZERO` means "this very
    /// second", not "unchecked": use
    /// [`disable_timestamp_check`](Self::disable_timestamp_check) for that.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance.past = Some(tolerance);
        self.tolerance.future = Some(tolerance);
        self
    }

    /// Sets how old a delivery may be. Defaults to 300 seconds.
    pub fn past_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance.past = Some(tolerance);
        self
    }

    /// Sets how far in the future a timestamp may be (the sender's clock
    /// running ahead). Defaults to 300 seconds.
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
        self.clock = Box::new(clock);
        self
    }

    /// Builds the verifier without replay protection, which a MITPO
    /// verifier otherwise has by default (see
    /// `replay_protection`, feature `runtime`), and without the warning a
    /// MITPO verifier built without the `runtime` feature logs. Only when
    /// the application refuses replays itself (on the payload's own id, say):
    /// otherwise a captured MITPO delivery can be re-sent at will.
    pub fn without_replay_protection(mut self) -> Self {
        self.replay_opted_out = true;
        #[cfg(feature = "runtime")]
        {
            self.replay = None;
        }
        self
    }

    /// Builds the verifier, keying one HMAC state per secret.
    ///
    /// # Errors
    /// [`ConfigError::NoSecret`] without any secret,
    /// [`ConfigError::EmptySecret`] for an empty one, and the replay TTL
    /// errors of [`ReplayProtection`](crate::replay::ReplayProtection).
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.secrets.is_empty() {
            return Err(ConfigError::NoSecret);
        }
        if let Some(index) = self.secrets.iter().position(Secret::is_empty) {
            return Err(ConfigError::EmptySecret { index });
        }
        let name = self
            .name
            .unwrap_or_else(|| self.scheme.kind().as_str().to_owned());
        #[cfg(not(feature = "runtime"))]
        super::replay_default::warn_if_unprotected(&self.scheme, &name, self.replay_opted_out);
        #[cfg(feature = "runtime")]
        let replay = self.replay.or_else(|| {
            super::replay_default::replay(&self.scheme, self.tolerance, self.replay_opted_out)
        });
        #[cfg(feature = "runtime")]
        let replay = match replay {
            Some(replay) => {
                Some(replay.resolve(&name, self.tolerance, self.intake.timer.clone())?)
            }
            None => None,
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: self.secrets.iter().map(keyed_mac).collect(),
                fingerprints: self.secrets.iter().map(Secret::fingerprint).collect(),
                scheme: self.scheme,
                name,
                tolerance: self.tolerance,
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

#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
impl VerifierBuilder {
    /// Refuses deliveries already processed (409 `replayed`) and copies in
    /// flight (409 `in_flight`); see [`crate::replay`]. The record TTL
    /// defaults to past + future tolerance.
    ///
    /// **On by default for MITPO**, whose timestamp and event header are not
    /// signed: a MITPO verifier built without this call gets
    /// [`ReplayProtection::in_memory`](crate::replay::ReplayProtection::in_memory),
    /// its records kept for [`DEFAULT_MITPO_RECORD_TTL`](crate::replay::DEFAULT_MITPO_RECORD_TTL)
    /// (a day), unless [`without_replay_protection`](Self::without_replay_protection)
    /// is called. Its limits: a record lives its TTL, after which the same
    /// delivery is accepted again; the store holds 100,000 records
    /// ([`MemoryStore::default`](crate::replay::MemoryStore)), past which new
    /// deliveries get 503 `replay_store_full` until records expire (above
    /// about one delivery a second, give it a larger store); and it lives in
    /// this process: it does not protect another replica, nor survive a
    /// restart. Behind a load balancer, share a
    /// [`RedisStore`](crate::replay::RedisStore) (feature `redis`) between
    /// replicas. Mittr signs its timestamp: its verifiers have none by
    /// default (a replay is possible within the tolerance window only).
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

    /// Sets the budget of unverified body bytes this verifier draws from.
    /// Defaults to the process-wide [`Budget::global`](crate::intake::Budget::global)
    /// (64 MiB), shared by every verifier that keeps the default.
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
    /// tokio's ([`TokioTimer`](crate::intake::TokioTimer)); tests inject a
    /// [`ManualTimer`](crate::intake::ManualTimer) so as not to wait.
    pub fn timer(mut self, timer: impl crate::intake::Timer) -> Self {
        self.intake.timer = Arc::new(timer);
        self
    }
}
