//! A minimal reference dispatcher: the sending side, modelled on the
//! providers' documented delivery behaviour. It drives the integration
//! tests and the demo, and is a fair starting point for a real sender.
//!
//! - [`Dispatcher::send`] signs with [`Signer`](crate::Signer) and POSTs over HTTP/1.1 with
//!   `Content-Type: application/json` and the scheme's headers (for MITPO
//!   also `X-MITPO-Event`, from the payload's `event` field or an explicit
//!   event type).
//! - Connection errors, timeouts, 5xx, 408 and 429 are retried with
//!   exponential backoff and full jitter (`Retry-After` seconds honoured);
//!   every attempt is signed again with a fresh timestamp. Other 4xx are not
//!   retried.
//! - A 409 is read by the code of its JSON body: `{"error":"replayed",…}`
//!   means the receiver has already processed this delivery, so it counts
//!   as **delivered** (no retry, no dead letter; the attempt records the
//!   code); `{"error":"in_flight",…}` means a copy of it is being processed
//!   right now, so it is retried like a 429, honouring `Retry-After`. Any
//!   other 409 is final.
//! - Of each response it reads the status, `Retry-After`, and at most
//!   [`RESPONSE_BODY_LIMIT`] (64 KiB) of the body, enough for the error
//!   code of a JSON rejection (`{"error":"<code>",…}`); the rest is not read
//!   and the connection is dropped, so a huge or endless answer costs
//!   neither memory nor time. Of the error code it keeps at most
//!   [`ERROR_CODE_LIMIT`] (64) characters, printable ASCII only.
//! - Each call returns a [`DeliveryReport`]; deliveries that exhaust their
//!   attempts land in an in-memory dead-letter list
//!   ([`Dispatcher::dead_letters`], [`Dispatcher::replay_dead_letters`]) of
//!   at most [`DEFAULT_DEAD_LETTER_CAPACITY`] (1,000) letters
//!   ([`DispatcherBuilder::dead_letter_capacity`]): when it is full, the
//!   oldest letter is dropped and counted
//!   ([`Dispatcher::dead_letters_dropped`]).
//!
//! ```no_run
//! use hookwarden::dispatcher::Dispatcher;
//! use hookwarden::Scheme;
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
//!
#![doc = include_str!("../../docs/dispatcher.md")]

mod delivery;
mod policy;
mod report;
mod response;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Request};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::time::{unix_seconds, Clock, SystemClock, Timer, TokioTimer};
use crate::{Scheme, Secret};

pub use delivery::{payload_event, Delivery, RequestHook, SendError};
pub use policy::RetryPolicy;
pub use report::{Attempt, DeadLetter, DeliveryReport, Outcome};

use report::Verdict;
pub use response::{ERROR_CODE_LIMIT, RESPONSE_BODY_LIMIT};

use response::{read_prefix, rejection_code, retry_after};

/// How many dead letters a [`Dispatcher`] keeps unless told otherwise
/// ([`DispatcherBuilder::dead_letter_capacity`]): 1,000. Past that the
/// oldest is dropped for the newest, and counted
/// ([`Dispatcher::dead_letters_dropped`]).
pub const DEFAULT_DEAD_LETTER_CAPACITY: usize = 1_000;

/// Configures a [`Dispatcher`].
#[must_use]
pub struct DispatcherBuilder {
    retry: RetryPolicy,
    attempt_timeout: Duration,
    timer: Arc<dyn Timer>,
    clock: Arc<dyn Clock>,
    dead_letter_capacity: usize,
}

impl fmt::Debug for DispatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatcherBuilder")
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("dead_letter_capacity", &self.dead_letter_capacity)
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

    /// Sets the timer that waits between attempts. Defaults to
    /// [`TokioTimer`]; tests inject one that does not sleep.
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Arc::new(timer);
        self
    }

    /// Sets the clock the timestamps are taken from. Defaults to
    /// [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets how many dead letters the dispatcher keeps. Defaults to
    /// [`DEFAULT_DEAD_LETTER_CAPACITY`] (1,000).
    ///
    /// When the list is full, a new dead letter takes the place of the
    /// oldest, which is dropped and counted in
    /// [`Dispatcher::dead_letters_dropped`]: a receiver down for long, or
    /// failing every delivery, costs a bounded amount of memory. With 0
    /// no dead letter is kept, each one counted as dropped.
    pub fn dead_letter_capacity(mut self, capacity: usize) -> Self {
        self.dead_letter_capacity = capacity;
        self
    }

    /// Builds the dispatcher.
    pub fn build(self) -> Dispatcher {
        Dispatcher {
            client: Client::builder(TokioExecutor::new()).build_http(),
            retry: self.retry,
            attempt_timeout: self.attempt_timeout,
            timer: self.timer,
            clock: self.clock,
            dead_letters: Arc::new(Mutex::new(DeadLetters {
                letters: VecDeque::new(),
                capacity: self.dead_letter_capacity,
                dropped: 0,
            })),
        }
    }
}

/// The dead-letter list: at most `capacity` letters, oldest first, and how
/// many were dropped to make room.
#[derive(Debug)]
struct DeadLetters {
    letters: VecDeque<DeadLetter>,
    capacity: usize,
    dropped: u64,
}

impl DeadLetters {
    /// Keeps `letter`, dropping (and counting) the oldest when full.
    fn push(&mut self, letter: DeadLetter) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        while self.letters.len() >= self.capacity {
            self.letters.pop_front();
            self.dropped += 1;
        }
        self.letters.push_back(letter);
    }
}

/// Signs and delivers webhooks, retrying as the providers do. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    client: Client<HttpConnector, Full<Bytes>>,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    timer: Arc<dyn Timer>,
    clock: Arc<dyn Clock>,
    dead_letters: Arc<Mutex<DeadLetters>>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Starts configuring a dispatcher.
    pub fn builder() -> DispatcherBuilder {
        DispatcherBuilder {
            retry: RetryPolicy::default(),
            attempt_timeout: Duration::from_secs(10),
            timer: Arc::new(TokioTimer),
            clock: Arc::new(SystemClock),
            dead_letter_capacity: DEFAULT_DEAD_LETTER_CAPACITY,
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
    /// not succeed lands in the dead-letter list (dropping the oldest
    /// letter when the list is full).
    pub async fn deliver(&self, delivery: Delivery) -> DeliveryReport {
        let started = Instant::now();
        let mut attempts = Vec::new();
        let mut delay_before = Duration::ZERO;
        for number in 1..=self.retry.max_attempts.max(1) {
            if number > 1 {
                self.timer
                    .sleep_until(self.timer.now() + delay_before)
                    .await;
            }
            let (attempt, retry_after) = self.attempt(&delivery, number, delay_before).await;
            let verdict = attempt.verdict();
            attempts.push(attempt);
            if verdict != Verdict::Retry {
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

    /// The deliveries that did not succeed, oldest first: the last
    /// [`dead_letter_capacity`](DispatcherBuilder::dead_letter_capacity)
    /// of them at most.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.lock_dead_letters().letters.iter().cloned().collect()
    }

    /// How many dead letters were dropped, oldest first, to make room for
    /// newer ones (the list holds at most
    /// [`dead_letter_capacity`](DispatcherBuilder::dead_letter_capacity)),
    /// since the dispatcher was built. Letters taken out by
    /// [`replay_dead_letters`](Self::replay_dead_letters) are not counted.
    pub fn dead_letters_dropped(&self) -> u64 {
        self.lock_dead_letters().dropped
    }

    /// Takes the dead letters out of the list and delivers each again; those
    /// that fail again land in the list anew.
    pub async fn replay_dead_letters(&self) -> Vec<DeliveryReport> {
        let letters = std::mem::take(&mut self.lock_dead_letters().letters);
        let mut reports = Vec::with_capacity(letters.len());
        for letter in letters {
            reports.push(self.deliver(letter.delivery).await);
        }
        reports
    }

    fn lock_dead_letters(&self) -> std::sync::MutexGuard<'_, DeadLetters> {
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
            let body = read_prefix(response.into_body(), RESPONSE_BODY_LIMIT).await?;
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
