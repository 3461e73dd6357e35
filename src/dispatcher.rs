//! A minimal reference dispatcher: the sending side, modelled on the
//! providers' documented delivery behaviour. It drives the integration
//! tests and the demo, and is a fair starting point for a real sender.
//!
//! - [`Dispatcher::send`] signs with [`Signer`] and POSTs over HTTP/1.1 with
//!   `Content-Type: application/json` and the scheme's headers (for MITPO
//!   also `X-MITPO-Event`, from the payload's `event` field or an explicit
//!   event type).
//! - Connection errors, timeouts, 5xx, 408 and 429 are retried with
//!   exponential backoff and full jitter (`Retry-After` seconds honoured);
//!   every attempt is signed again with a fresh timestamp. Other 4xx are not
//!   retried.
//! - Each call returns a [`DeliveryReport`]; deliveries that exhaust their
//!   attempts land in an in-memory dead-letter list
//!   ([`Dispatcher::dead_letters`], [`Dispatcher::replay_dead_letters`]).
//!
//! ```no_run
//! use hookguard::dispatcher::Dispatcher;
//! use hookguard::Scheme;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let dispatcher = Dispatcher::builder().build();
//! let report = dispatcher
//!     .send("http://127.0.0.1:3000/webhooks/mitpo", Scheme::mitpo(), "whsec_…",
//!           r#"{"event":"dispatch.completed"}"#)
//!     .await?;
//! println!("delivered: {} after {} attempt(s)", report.delivered(), report.attempts().len());
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::timestamp::{unix_seconds, Clock, SystemClock};
use crate::{ConfigError, Scheme, Secret, Signer};

/// Waits between attempts. Inject one in tests so that they do not sleep.
pub trait Sleeper: Send + Sync + 'static {
    /// Waits for `delay`.
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Sleeps on the tokio timer. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// When and how often to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay cap before the first retry. Defaults to 0.5 s.
    pub base_delay: Duration,
    /// Growth of the cap per attempt. Defaults to 2.
    pub factor: f64,
    /// Attempts in all, the first included. Defaults to 5.
    pub max_attempts: u32,
    /// Largest delay between two attempts, also for `Retry-After`. Defaults to 30 s.
    pub max_delay: Duration,
    /// Full jitter: each delay is uniform in `[0, cap]`. Defaults to `true`;
    /// `false` waits the cap itself (deterministic, for tests).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(500),
            factor: 2.0,
            max_attempts: 5,
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The delay cap before retry number `retry` (1 for the first retry):
    /// `min(max_delay, base_delay * factor^(retry - 1))`.
    pub fn cap(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.base_delay.as_secs_f64() * self.factor.powi(exponent);
        if !secs.is_finite() || secs >= self.max_delay.as_secs_f64() {
            self.max_delay
        } else {
            Duration::from_secs_f64(secs.max(0.0))
        }
    }

    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let cap = self.cap(retry);
        if self.jitter {
            cap.mul_f64(fastrand::f64())
        } else {
            cap
        }
    }
}

/// Configures a [`Dispatcher`].
#[must_use]
pub struct DispatcherBuilder {
    retry: RetryPolicy,
    attempt_timeout: Duration,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for DispatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatcherBuilder")
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl DispatcherBuilder {
    /// Sets the retry policy. Defaults to [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the timeout of each attempt (connect, send, read the response).
    /// Defaults to 10 seconds.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets how to wait between attempts. Defaults to [`TokioSleeper`].
    pub fn sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Sets the clock the timestamps are taken from. Defaults to
    /// [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the dispatcher.
    pub fn build(self) -> Dispatcher {
        Dispatcher {
            client: Client::builder(TokioExecutor::new()).build_http(),
            retry: self.retry,
            attempt_timeout: self.attempt_timeout,
            sleeper: self.sleeper,
            clock: self.clock,
            dead_letters: Arc::default(),
        }
    }
}

/// Signs and delivers webhooks, retrying as the providers do. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    client: Client<HttpConnector, Full<Bytes>>,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
    dead_letters: Arc<Mutex<Vec<DeadLetter>>>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

/// A hook applied to each attempt's request after signing (to tamper with a
/// delivery in a test or a demo).
pub type RequestHook = Arc<dyn Fn(&mut Request<Bytes>) + Send + Sync>;

/// One delivery: where, how signed, what.
#[derive(Clone)]
pub struct Delivery {
    url: Uri,
    signer: Signer,
    payload: Bytes,
    hook: Option<RequestHook>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("url", &self.url)
            .field("scheme", &self.signer.scheme().kind())
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Why a delivery could not be attempted at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The URL does not parse, or is not `http://`.
    InvalidUrl(String),
    /// The secret or the event type is unusable.
    Config(ConfigError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            SendError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SendError {}

impl From<ConfigError> for SendError {
    fn from(e: ConfigError) -> Self {
        SendError::Config(e)
    }
}

impl Delivery {
    /// A delivery of `payload` to `url` (plain `http://`), signed for
    /// `scheme` with `secret`. For MITPO the event header is taken from the
    /// payload's top-level `event` field, when it has one.
    ///
    /// # Errors
    /// An unparsable or non-http URL, or an empty secret.
    pub fn new(
        url: &str,
        scheme: Scheme,
        secret: impl Into<Secret>,
        payload: impl Into<Bytes>,
    ) -> Result<Self, SendError> {
        let url: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| SendError::InvalidUrl(e.to_string()))?;
        if url.scheme_str() != Some("http") || url.authority().is_none() {
            return Err(SendError::InvalidUrl(format!(
                "{url}: only http://host[:port]/path is supported"
            )));
        }
        let payload = payload.into();
        let mut signer = Signer::new(scheme, secret)?;
        if signer.scheme().event_header().is_some() {
            if let Some(event) = payload_event(&payload) {
                signer = signer.with_event_type(&event)?;
            }
        }
        Ok(Delivery {
            url,
            signer,
            payload,
            hook: None,
        })
    }

    /// Sends `event_type` in the scheme's event header instead of the
    /// payload's `event` field.
    ///
    /// # Errors
    /// An event type that is not a valid header value.
    pub fn with_event_type(mut self, event_type: &str) -> Result<Self, SendError> {
        self.signer = self.signer.with_event_type(event_type)?;
        Ok(self)
    }

    /// Applies `hook` to every attempt's request after signing.
    pub fn with_request_hook(
        mut self,
        hook: impl Fn(&mut Request<Bytes>) + Send + Sync + 'static,
    ) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The target URL.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// The payload bytes.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }
}

/// The payload's top-level `event` field, if the payload is a JSON object
/// with a string `event`: what [`Delivery::new`] sends in MITPO's
/// `X-MITPO-Event` header unless an explicit event type is given.
///
/// ```
/// use hookguard::dispatcher::payload_event;
/// assert_eq!(payload_event(br#"{"event":"dispatch.completed"}"#).as_deref(), Some("dispatch.completed"));
/// assert_eq!(payload_event(b"not json"), None);
/// ```
pub fn payload_event(payload: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    Some(value.get("event")?.as_str()?.to_owned())
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The endpoint answered with this status.
    Status(u16),
    /// The attempt timed out.
    Timeout,
    /// The connection failed (refused, reset, …).
    ConnectionError(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Status(s) => write!(f, "HTTP {s}"),
            Outcome::Timeout => f.write_str("timed out"),
            Outcome::ConnectionError(e) => write!(f, "connection error: {e}"),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The timestamp this attempt was signed with, unix seconds.
    pub timestamp: u64,
    /// How long the dispatcher waited before this attempt.
    pub delay_before: Duration,
    /// What came back.
    pub outcome: Outcome,
    /// The response's error code when it was a hookguard-style JSON
    /// rejection (`{"error":"<code>",…}`).
    pub error_code: Option<String>,
    /// How long the attempt took.
    pub elapsed: Duration,
}

/// The result of one delivery.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    url: Uri,
    attempts: Vec<Attempt>,
    elapsed: Duration,
}

impl DeliveryReport {
    /// Whether the last attempt got a 2xx.
    pub fn delivered(&self) -> bool {
        matches!(self.attempts.last(), Some(Attempt { outcome: Outcome::Status(s), .. }) if (200..300).contains(s))
    }

    /// Every attempt, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The last attempt.
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The target.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// Time from the first attempt to the end of the last.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// A delivery that exhausted its attempts (or was refused with a 4xx that
/// is not retried), kept for inspection and replay.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// What was to be delivered.
    pub delivery: Delivery,
    /// How it went.
    pub report: DeliveryReport,
}

impl Dispatcher {
    /// Starts configuring a dispatcher.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder {
            retry: RetryPolicy::default(),
            attempt_timeout: Duration::from_secs(10),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
        }
    }

    /// Signs `payload` for `scheme` with `secret` and delivers it to `url`.
    ///
    /// # Errors
    /// Only when the delivery cannot be attempted at all (bad URL, empty
    /// secret); failed attempts are in the report.
    pub async fn send(
        &self,
        url: &str,
        scheme: Scheme,
        secret: impl Into<Secret>,
        payload: impl Into<Bytes>,
    ) -> Result<DeliveryReport, SendError> {
        Ok(self
            .deliver(Delivery::new(url, scheme, secret, payload)?)
            .await)
    }

    /// Delivers one event to several endpoints concurrently; one report each,
    /// in the order of `urls`.
    ///
    /// # Errors
    /// When any URL is invalid or the secret is empty; nothing is sent then.
    pub async fn fan_out(
        &self,
        urls: &[&str],
        scheme: Scheme,
        secret: impl Into<Secret>,
        payload: impl Into<Bytes>,
    ) -> Result<Vec<DeliveryReport>, SendError> {
        let secret = secret.into();
        let payload = payload.into();
        let deliveries = urls
            .iter()
            .map(|url| Delivery::new(url, scheme.clone(), secret.clone(), payload.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(futures_util::future::join_all(deliveries.into_iter().map(|d| self.deliver(d))).await)
    }

    /// Delivers `delivery`, retrying per the policy; a delivery that does
    /// not succeed lands in the dead-letter list.
    pub async fn deliver(&self, delivery: Delivery) -> DeliveryReport {
        let started = Instant::now();
        let mut attempts = Vec::new();
        let mut delay_before = Duration::ZERO;
        for number in 1..=self.retry.max_attempts.max(1) {
            if number > 1 {
                self.sleeper.sleep(delay_before).await;
            }
            let (attempt, retry_after) = self.attempt(&delivery, number, delay_before).await;
            let retry = retryable(&attempt.outcome);
            attempts.push(attempt);
            if !retry {
                break;
            }
            delay_before = self.retry.delay(number, retry_after);
        }
        let report = DeliveryReport {
            url: delivery.url.clone(),
            attempts,
            elapsed: started.elapsed(),
        };
        if !report.delivered() {
            self.lock_dead_letters().push(DeadLetter {
                delivery,
                report: report.clone(),
            });
        }
        report
    }

    /// The deliveries that did not succeed, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.lock_dead_letters().clone()
    }

    /// Takes the dead letters out of the list and delivers each again; those
    /// that fail again land in the list anew.
    pub async fn replay_dead_letters(&self) -> Vec<DeliveryReport> {
        let letters = std::mem::take(&mut *self.lock_dead_letters());
        let mut reports = Vec::with_capacity(letters.len());
        for letter in letters {
            reports.push(self.deliver(letter.delivery).await);
        }
        reports
    }

    fn lock_dead_letters(&self) -> std::sync::MutexGuard<'_, Vec<DeadLetter>> {
        self.dead_letters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn attempt(
        &self,
        delivery: &Delivery,
        number: u32,
        delay_before: Duration,
    ) -> (Attempt, Option<Duration>) {
        let timestamp = unix_seconds(self.clock.now());
        let mut request = Request::post(delivery.url.clone())
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(delivery.payload.clone())
            .unwrap_or_default();
        delivery
            .signer
            .sign(timestamp, &delivery.payload)
            .apply_to(request.headers_mut());
        if let Some(hook) = &delivery.hook {
            hook(&mut request);
        }
        let started = Instant::now();
        let exchange = async {
            let response = self.client.request(request.map(Full::new)).await?;
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, retry_after, body))
        };
        let (outcome, error_code, retry_after) =
            match tokio::time::timeout(self.attempt_timeout, exchange).await {
                Err(_) => (Outcome::Timeout, None, None),
                Ok(Err(e)) => (Outcome::ConnectionError(error_chain(&*e)), None, None),
                Ok(Ok((status, retry_after, body))) => (
                    Outcome::Status(status.as_u16()),
                    rejection_code(&body),
                    retry_after,
                ),
            };
        let attempt = Attempt {
            number,
            timestamp,
            delay_before,
            outcome,
            error_code,
            elapsed: started.elapsed(),
        };
        (attempt, retry_after)
    }
}

/// Connection errors, timeouts, 5xx, 408 and 429 are retried; nothing else.
fn retryable(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Timeout | Outcome::ConnectionError(_) => true,
        Outcome::Status(s) => {
            let status = StatusCode::from_u16(*s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            status.is_server_error()
                || status == StatusCode::REQUEST_TIMEOUT
                || status == StatusCode::TOO_MANY_REQUESTS
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn rejection_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(value.get("error")?.as_str()?.to_owned())
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_caps_grow_exponentially_up_to_the_max() {
        let p = RetryPolicy::default();
        let caps: Vec<_> = (1..=8).map(|n| p.cap(n).as_millis()).collect();
        assert_eq!(caps, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(p.cap(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn full_jitter_stays_within_the_cap() {
        let p = RetryPolicy::default();
        for retry in 1..6 {
            for _ in 0..200 {
                assert!(p.delay(retry, None) <= p.cap(retry));
            }
        }
        let p = RetryPolicy { jitter: false, ..p };
        assert_eq!(p.delay(3, None), Duration::from_secs(2));
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(700))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn only_transient_failures_are_retried() {
        for s in [500, 502, 503, 504, 408, 429] {
            assert!(retryable(&Outcome::Status(s)), "{s}");
        }
        for s in [200, 204, 400, 401, 403, 404, 409, 413, 422] {
            assert!(!retryable(&Outcome::Status(s)), "{s}");
        }
        assert!(retryable(&Outcome::Timeout));
        assert!(retryable(&Outcome::ConnectionError("refused".into())));
    }

    #[test]
    fn mitpo_event_header_comes_from_the_payload() {
        let d = Delivery::new(
            "http://127.0.0.1:1/x",
            Scheme::mitpo(),
            "whsec_k",
            r#"{"event":"dispatch.completed"}"#,
        )
        .unwrap();
        let h = d.signer.sign(1, &d.payload);
        assert_eq!(h.get(&crate::MITPO_EVENT).unwrap(), "dispatch.completed");
        let d = d.with_event_type("other.event").unwrap();
        assert_eq!(
            d.signer.sign(1, b"").get(&crate::MITPO_EVENT).unwrap(),
            "other.event"
        );
    }

    #[test]
    fn rejects_unusable_urls_and_secrets() {
        assert!(matches!(
            Delivery::new("not a url", Scheme::mittr(), "k", ""),
            Err(SendError::InvalidUrl(_))
        ));
        assert!(matches!(
            Delivery::new("https://example.test/", Scheme::mittr(), "k", ""),
            Err(SendError::InvalidUrl(_))
        ));
        assert!(matches!(
            Delivery::new("http://127.0.0.1/", Scheme::mittr(), "", ""),
            Err(SendError::Config(_))
        ));
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static(" 3 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
