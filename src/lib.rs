//! # hookwarden
//!
//! Proves that a webhook delivery really came from its provider and was not
//! altered or replayed, before your handler sees it.
//!
//! A [`Scheme`] describes how a provider signs; 45 presets cover Mittr,
//! MITPO, Stripe, Standard Webhooks (and Svix, Clerk, Resend), GitHub, Slack,
//! Shopify, Paddle, Zoom, PagerDuty and more ([`Scheme::PRESETS`]), and
//! [`Scheme::builder`] describes any other (the catalogue of every preset,
//! with what each provider leaves unsigned, is in [`scheme`]). The first
//! eight:
//!
//! | scheme | signature header | signed bytes | timestamp |
//! |---|---|---|---|
//! | [`Scheme::mittr`] | `X-Mittr-Signature: v1=<hex>` | `<timestamp>` `.` `<raw body>` | `X-Mittr-Timestamp`, **signed** |
//! | [`Scheme::mitpo`] | `X-MITPO-Signature: sha256=<hex>` | `<raw body>` | `X-MITPO-Timestamp`, **not signed** |
//! | [`Scheme::stripe`] | `Stripe-Signature: t=<ts>,v1=<hex>` | `<ts>.<raw body>` | `t=`, **signed** |
//! | [`Scheme::standard_webhooks`] | `webhook-signature: v1,<base64>` (and Ed25519 `v1a`) | `<id>.<ts>.<raw body>` | `webhook-timestamp`, **signed** |
//! | [`Scheme::svix`] | `svix-signature` (else `webhook-signature`) | as Standard Webhooks | `svix-timestamp`, **signed** |
//! | [`Scheme::github`] | `X-Hub-Signature-256: sha256=<hex>` | `<raw body>` | none |
//! | [`Scheme::slack`] | `X-Slack-Signature: v0=<hex>` | `v0:<ts>:<raw body>` | `X-Slack-Request-Timestamp`, **signed** |
//! | [`Scheme::shopify`] | `X-Shopify-Hmac-Sha256: <base64>` | `<raw body>` | none |
//!
//! Secrets are used as each scheme says (raw bytes, a MITPO or Stripe
//! `whsec_…` whole with its prefix; base64 after `whsec_` for Standard
//! Webhooks), never trimmed; per tenant with a [`tenant::SecretSource`].
//!
//! ## Quickstart: the framework-free core
//!
//! ```
//! use std::time::Duration;
//! use hookwarden::{Scheme, Signer, Verifier};
//!
//! // Once, at start-up.
//! let verifier = Verifier::builder(Scheme::mittr())
//!     .secret("current-secret")
//!     .secret("previous-secret") // rotation
//!     .tolerance(Duration::from_secs(300))
//!     .build()?;
//!
//! // Per request: the headers and the raw body bytes as received.
//! # let body: &[u8] = br#"{"eventType":"order.created"}"#;
//! # let headers = Signer::new(Scheme::mittr(), "current-secret")?.sign_now(body).to_header_map();
//! match verifier.verify(&headers, body) {
//!     Ok(verified) => println!("ok, secret #{}", verified.secret_index()),
//!     Err(err) => println!("{} {}: {err}", err.status(), err.code()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Verifier::verify`] takes a whole body; [`Verifier::check_headers`] and
//! [`PendingVerification`] check the headers before a byte of the body is
//! read, then stream it. Replays are refused where a body is received (the
//! [`intake`], so every adapter), not by `verify` alone: adapters drive
//! the intake ([`Verifier::admit`], then `Admission::handle` or
//! `Admission::receive`), which rejects missing, malformed, stale and
//! future headers, encoded bodies and oversized `Content-Length`s before a
//! byte of the body is read.
//!
//! ## Quickstart: axum (or any tower / hyper stack)
//!
//! Feature `axum` (which implies `tower`): a `VerifyWebhookLayer` per route,
//! or the `axum::Verified<T>` extractor. With your own app state, implement
//! `FromRef<AppState> for Verifier` (`examples/axum_state.rs`). The guide:
//! the `axum` module. This is `examples/quickstart_axum.rs`:
//!
#![cfg_attr(feature = "axum", doc = "```no_run")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
#![doc = include_str!("../examples/quickstart_axum.rs")]
#![doc = "```"]
//!
//! ## Quickstart: actix-web
//!
//! Feature `actix`: the `actix::Verified<T>` extractor, or the
//! `actix::VerifyWebhookLayer` middleware on a scope. The guide: the `actix`
//! module. This is `examples/quickstart_actix.rs`:
//!
#![cfg_attr(feature = "actix", doc = "```no_run")]
#![cfg_attr(not(feature = "actix"), doc = "```ignore")]
#![doc = include_str!("../examples/quickstart_actix.rs")]
#![doc = "```"]
//!
//! ## Guarantees
//!
//! - Raw bytes only: the body is never decoded or re-serialized, and never
//!   concatenated with the timestamp (the MAC is fed piece by piece); the
//!   handler gets exactly the bytes that were verified.
//! - Constant-time comparison of every signature entry, with each secret's
//!   MAC keyed once when the [`Verifier`] is built.
//! - No panic on any input; overflow-safe timestamp arithmetic; bounded
//!   parsing (at most [`MAX_SIGNATURE_ENTRIES`] entries and
//!   [`MAX_SIGNATURE_HEADER_LEN`] bytes per value).
//! - No allocation in [`Verifier::verify`] on the Mittr path (with up to two
//!   secrets): it does not claim a replay record.
//! - Bounded memory: bodies are held to the body limit, a read deadline and a
//!   process-wide budget of unverified bytes ([`intake`]).
//! - Replay protection by default, for every scheme: a verifier built
//!   without any replay setting refuses exact copies of a delivery in this
//!   process, records kept at least as long as a replay could still pass the
//!   freshness check; best effort when full (it drops its oldest processed
//!   records, never a held lease). A configured store never forgets an
//!   unexpired record and fails closed. What the default does and does not
//!   protect: [`replay`].
//! - Replay protection loses no delivery: a delivery holds its key while its
//!   handler runs and is released when the handler fails, panics or loses
//!   its client ([`replay`]).
//! - Secrets are redacted in `Debug` and zeroed on drop; no error message
//!   contains a secret or an expected signature.
//!
//! ## Errors
//!
//! Every code, with its status and `Retry-After`, is declared once, in
//! [`error::Code`]; a test checks this table (and every other) against it.
//!
//! Every rejection has a stable code ([`Error::code`]), an HTTP status
//! ([`Error::status`]) and a message naming the header and the reason.
//!
//! | code | status | when |
//! |---|---|---|
//! | `missing_header` | 400 | the signature, timestamp, delivery id or tenant header is absent (an empty signature header counts as absent for the presets whose libraries say so) |
//! | `malformed_header` | 400 | a header cannot be parsed, is too long, or the timestamp appears twice |
//! | `timestamp_too_old` | 401 | older than the past tolerance |
//! | `timestamp_in_future` | 401 | further ahead than the future tolerance |
//! | `signature_mismatch` | 401 | no configured secret signed these bytes |
//! | `body_too_large` | 413 | the body exceeds the limit |
//! | `body_unreadable` | 400 | the body stream failed before its end |
//! | `body_timeout` | 408 | the body did not arrive within the read deadline |
//! | `body_too_slow` | 408 | the body arrived slower than the minimum data rate, past its grace period |
//! | `unsupported_content_encoding` | 415 | the body is sent with a `Content-Encoding` (refused before it is read) |
//! | `overloaded` | 503 + `Retry-After: 5` | the budget of unverified bytes, or the sender's share of it, cannot take this body now |
//! | `replayed` | 409 | already processed ([`replay`]; final: the sender may stop) |
//! | `in_flight` | 409 + `Retry-After: 2` | a copy is being processed right now: send it again later |
//! | `event_mismatch` | 400 | the unsigned `X-MITPO-Event` differs from the signed payload's `event` (only with `require_event_match`) |
//! | `replay_store_full` | 503 + `Retry-After: 5` | an explicitly configured in-memory replay store is full of unexpired records |
//! | `replay_store_unavailable` | 503 + `Retry-After: 5` | the replay store cannot be reached (fail closed) |
//! | `secret_source_unavailable` | 503 + `Retry-After: 5` | the per-tenant secret source cannot answer |
//! | `not_configured` | 500 | an adapter found no verifier for the route |
//! | `no_verified_delivery` | 500 | a handler asks for the verified delivery on a route outside the layer or middleware |
//! | `replay_not_bound` | 500 | a claim on a replay handle not bound to a verifier |
//! | `no_replay_key` | 500 | a claim for a delivery verified without replay protection |
//! | `tenant_path_missing` | 500 | the tenant is read from the path, but none was given |
//! | `invalid_config` | 500 | no verifier could be built (reported by the diagnosis) |
//!
//! Checks run in the order headers present → well-formed → fresh →
//! signature; a delivery that is both stale and tampered with reports
//! `timestamp_too_old`. The response's message is [`Error::public_message`]:
//! what a replay store, a secret source or the transport reported
//! (connection errors, host names) stays in the `tracing` event and the
//! `Error` value, never in the body sent to an unauthenticated caller.
//!
//! Every error type (`Error`, `Malformed`, `ConfigError`,
//! `replay::StoreError`, `intake::BodyError`, `dispatcher::SendError`)
//! implements `std::error::Error` (derived with `thiserror`). Where a reason is an underlying error's text (a body stream
//! that broke, Redis unreachable), that error is also kept as the `source()`
//! (an [`error::Cause`]; `Cause::get()` to downcast it), so error reporters
//! show the whole chain.
//!
//! ## Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | *(none)* | | the framework-free core: [`Verifier`], [`Signer`], [`Error`], [`PendingVerification`] |
//! | `tracing` | yes | a `tracing` event per rejection (code, status, scheme, route cut to 128 characters and escaped; never secrets): WARN up to 10 a second per verifier, then DEBUG |
//! | `runtime` | yes | [`intake`] (deadline, budget, the pipeline) and [`replay`] (stores, leases), on tokio |
//! | `metrics` | no | counters, a histogram and gauges through the `metrics` facade ([`metrics`]) |
//! | `tower` | no | `tower::VerifyWebhookLayer` / `tower::VerifyWebhook` for any tower or hyper stack |
//! | `axum` | no | `axum::Verified<T>` extractors; implies `tower` |
//! | `actix` | no | `actix::Verified<T>` extractors and the `actix::VerifyWebhookLayer` middleware (its service `actix::VerifyWebhook`) |
//! | `redis` | no | `replay::RedisStore`: replay protection shared by many replicas |
//! | `postgres` | no | `replay::PostgresStore` and the inbox (`replay::postgres::record`): a delivery recorded in the handler's own `sqlx` transaction |
//! | `diagnose` | no | `diagnose::diagnose`: the likely cause of a failed verification, and pasted-input parsing |
//! | `ed25519` | no | Standard Webhooks' asymmetric `v1a` signatures (Ed25519): verify with `whpk_…` keys, sign with `whsk_…` |
//! | `serde` | no | `mitpo::Event`: MITPO's events, typed (`Verified<Json<mitpo::Event>>`); `VerifierBuilder::require_event_match` |
//! | `dispatcher` | no | `dispatcher::Dispatcher`: the sending side (sign, deliver, retry, dead letters) |
//! | `cli` | no | the `hookwarden` binary: `verify`, `sign`, `send`, `listen` (and the `/verify` page) |
//!
//! ## Guides
//!
//! Each long guide is part of a module's documentation (and, on GitHub, a
//! file in `docs/`):
//!
//! - providers and schemes, signature header rules, the providers
//!   quickstart: [`scheme`];
//! - axum and tower: the `axum` module; actix-web: the `actix` module;
//! - limits, read deadline, budget of unverified bytes, compressed bodies,
//!   serving with a header timeout: [`intake`];
//! - replay protection, its default and stores, the MITPO/Redis quickstart:
//!   [`replay`];
//! - secrets per tenant: [`tenant`]; typed MITPO events: the `mitpo` module;
//! - the reference dispatcher: the `dispatcher` module; why a delivery
//!   failed: the `diagnose` module;
//! - every setting and its default: [`verifier`].
//!
//! The command-line tool and its in-browser page (`docs/cli.md`), the tests
//! (`docs/testing.md`) and the benchmarks (`docs/benchmarks.md`) are
//! described in the repository.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cause;
mod config_error;
pub mod error;
pub mod headers;
mod key;
pub mod metrics;
pub mod scheme;
pub mod secret;
pub mod sign;
pub mod signature;
pub mod tenant;

// Read by the intake's event check (serde, on the runtime) and the dispatcher.
#[cfg(any(all(feature = "serde", feature = "runtime"), feature = "dispatcher"))]
mod payload;
pub mod time;
pub mod timestamp;
pub mod verifier;

#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub mod intake;

#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub mod replay;

pub use config_error::ConfigError;
pub use error::{Error, Malformed};
pub use headers::Headers;
pub use scheme::{
    Scheme, MITPO_EVENT, MITPO_SIGNATURE, MITPO_TIMESTAMP, MITTR_SIGNATURE, MITTR_TIMESTAMP,
};
pub use secret::Secret;
pub use sign::{SignedHeaders, Signer};
pub use signature::{
    MAX_ENTRIES as MAX_SIGNATURE_ENTRIES, MAX_HEADER_LEN as MAX_SIGNATURE_HEADER_LEN,
};
pub use time::{Clock, SystemClock, Tolerance, DEFAULT_TOLERANCE};
pub use verifier::{
    PendingVerification, VerifiedDelivery, Verifier, VerifierBuilder, DEFAULT_BODY_LIMIT,
};

#[cfg(any(feature = "tower", feature = "actix"))]
mod rejection;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(any(feature = "axum", feature = "actix"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "axum", feature = "actix"))))]
pub mod extract;

#[cfg(feature = "dispatcher")]
#[cfg_attr(docsrs, doc(cfg(feature = "dispatcher")))]
pub mod dispatcher;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;

#[cfg(feature = "diagnose")]
#[cfg_attr(docsrs, doc(cfg(feature = "diagnose")))]
pub mod diagnose;

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod mitpo;
