//! Every error message, pinned word for word (logs, alerts and the
//! rejection bodies' `message` quote them), and the underlying errors
//! behind a reason given as text kept as the error's `source()`.

use std::error::Error as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hookwarden::dispatcher::SendError;
use hookwarden::intake::{BodyError, BodySource};
use hookwarden::replay::{
    Claim, LeaseId, ReplayKey, ReplayProtection, ReplayStore, StoreError, StoreFuture,
};
use hookwarden::{
    ConfigError, Error, Malformed, Scheme, Signer, Verifier, MITTR_SIGNATURE, MITTR_TIMESTAMP,
};

#[test]
fn every_error_message_is_pinned() {
    let ts = MITTR_TIMESTAMP;
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::MissingHeader { header: ts.clone() },
            "missing header `x-mittr-timestamp`",
        ),
        (
            Error::MalformedHeader {
                header: ts.clone(),
                reason: Malformed::Empty,
            },
            "malformed header `x-mittr-timestamp`: the value is empty",
        ),
        (
            Error::TimestampTooOld {
                header: ts.clone(),
                timestamp: 1_764_071_699,
                now: 1_764_072_000,
                tolerance: Duration::from_secs(300),
            },
            "timestamp in `x-mittr-timestamp` is too old: 1764071699 (2025-11-25T11:54:59Z) \
             is 301 s before now 1764072000 (2025-11-25T12:00:00Z), past the tolerance of 300 s",
        ),
        (
            Error::TimestampInFuture {
                header: ts.clone(),
                timestamp: u64::MAX,
                now: 1_764_072_000,
                tolerance: Duration::from_secs(300),
            },
            "timestamp in `x-mittr-timestamp` is in the future: 18446744073709551615 is \
             18446744071945479615 s after now 1764072000 (2025-11-25T12:00:00Z), past the \
             tolerance of 300 s",
        ),
        (
            Error::SignatureMismatch {
                header: MITTR_SIGNATURE,
                candidates: 2,
                secrets: 3,
            },
            "signature mismatch: none of the 2 signature(s) in `x-mittr-signature` matches the \
             body with a configured secret",
        ),
        (
            Error::BodyTooLarge { limit: Some(1024) },
            "body is larger than the limit of 1024 bytes",
        ),
        (
            Error::BodyTooLarge { limit: None },
            "body is larger than the configured limit",
        ),
        (
            Error::BodyUnreadable {
                reason: "connection reset".into(),
                source: None,
            },
            "body could not be read: connection reset",
        ),
        (
            Error::Replayed,
            "this delivery was already processed (replay)",
        ),
        (
            Error::InFlight,
            "a copy of this delivery is being processed right now; send it again later",
        ),
        (
            Error::BodyTimeout {
                deadline: Duration::from_millis(1500),
            },
            "the body did not arrive within 1.5 s of the headers",
        ),
        (
            Error::Overloaded { budget: 64 },
            "the receiver holds its whole budget of 64 unverified body bytes; send it again later",
        ),
        (
            Error::PeerOverloaded {
                bytes: 4096,
                deliveries: 2,
            },
            "this sender holds its whole share of the receiver's unverified deliveries (2 being \
             read, 4096 bytes); send it again later",
        ),
        (
            Error::BodyTooSlow {
                bytes_per_second: 240,
                grace: Duration::from_secs(5),
            },
            "the body arrived slower than 240 bytes a second after a grace period of 5 s",
        ),
        (
            Error::UnsupportedEncoding {
                encoding: "gzip".into(),
            },
            "`content-encoding: gzip` is not accepted: a webhook body is verified and handed \
             over exactly as sent, never decoded; send it unencoded",
        ),
        (
            Error::ReplayStoreFull,
            "the replay store is full of unexpired records; try again later",
        ),
        (
            Error::ReplayStoreUnavailable {
                reason: "connection refused".into(),
                source: None,
            },
            "the replay store is unavailable: connection refused",
        ),
        (
            Error::SecretSourceUnavailable {
                reason: "database down".into(),
            },
            "the secret source is unavailable: database down",
        ),
        (
            Error::NotConfigured,
            "webhook verification is not configured for this route: no `Verifier` was given to \
             its adapter (the app's data or the middleware)",
        ),
        (
            Error::NoVerifiedDelivery,
            "no verified delivery on this request: the route is outside the verification layer \
             or middleware; put it behind one, or extract `Verified<T>` instead",
        ),
        (
            Error::ReplayNotBound,
            "this replay protection handle is not bound to a verifier (no namespace or record \
             TTL): claim with the verifier's copy, `Verifier::replay_protection()`",
        ),
        (
            Error::NoReplayKey,
            "this delivery was verified without replay protection and has no replay key: claim \
             deliveries verified by the verifier the replay protection is bound to",
        ),
        (
            Error::TenantPathMissing,
            "the tenant is read from the request path, but no path was given: verify with \
             `Verifier::verify_for_path`",
        ),
        (
            Error::InvalidConfig {
                error: ConfigError::NoSecret,
            },
            "no verifier could be built: no secret configured: call `.secret(..)` at least once",
        ),
        (
            Error::EventMismatch {
                header: hookwarden::MITPO_EVENT,
                unsigned: "dispatch.completed".into(),
                signed: "dispatch.failed".into(),
            },
            "the unsigned `x-mitpo-event` header names the event `dispatch.completed`, but the \
             signed payload's `event` is `dispatch.failed`",
        ),
    ];
    let covered: std::collections::BTreeSet<&str> = cases.iter().map(|(e, _)| e.code()).collect();
    let declared = hookwarden::error::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(covered, declared, "every code's message is pinned here");
    for (error, message) in cases {
        assert_eq!(error.to_string(), message, "{}", error.code());
    }
}

#[test]
fn an_event_mismatch_is_a_400_with_its_own_code() {
    let error = Error::EventMismatch {
        header: hookwarden::MITPO_EVENT,
        unsigned: "a".into(),
        signed: "b".into(),
    };
    assert_eq!(error.code(), "event_mismatch");
    assert_eq!(error.status(), 400);
    assert_eq!(error.header(), Some(&hookwarden::MITPO_EVENT));
    assert_eq!(error.retry_after(), None);
}

/// The reason parsing `value` as `scheme`'s signature header fails with.
fn parse_error(scheme: &Scheme, value: &str) -> Malformed {
    hookwarden::signature::Signatures::parse([value.as_bytes()], scheme).unwrap_err()
}

#[test]
fn every_malformed_reason_is_pinned() {
    let cases = [
        (Malformed::Duplicated, "the header appears more than once"),
        (
            Malformed::TooLong { limit: 8192 },
            "the value is longer than 8192 bytes",
        ),
        (
            Malformed::TooManyEntries { limit: 16 },
            "more than 16 signature entries",
        ),
        (parse_error(&Scheme::mittr(), ""), "no `v1=<hex>` entry"),
        (
            parse_error(&Scheme::standard_webhooks(), "v2,x"),
            "no `v1,<base64>` entry",
        ),
        (
            parse_error(&Scheme::stripe(), "v1=00"),
            "no `t=<unix seconds>` timestamp entry",
        ),
        (
            parse_error(&Scheme::stripe(), "t=1,v1=00,t=2"),
            "the `t=<unix seconds>` entry appears more than once",
        ),
        (
            Malformed::InvalidHex,
            "a signature entry is not hexadecimal",
        ),
        (Malformed::InvalidBase64, "a signature entry is not base64"),
        (
            Malformed::WrongLength {
                found: 40,
                expected: 64,
            },
            "a signature entry has 40 characters, expected 64",
        ),
        (Malformed::Empty, "the value is empty"),
        (
            Malformed::NotDigits,
            "not unix seconds in ASCII digits (no sign, decimal point or exponent)",
        ),
        (Malformed::OutOfRange, "the number does not fit in 64 bits"),
        (Malformed::NotVisibleAscii, "the value is not visible ASCII"),
    ];
    for (reason, message) in cases {
        assert_eq!(reason.to_string(), message, "{reason:?}");
    }
}

#[test]
fn every_config_error_message_is_pinned() {
    let cases = [
        (
            ConfigError::NoSecret,
            "no secret configured: call `.secret(..)` at least once",
        ),
        (
            ConfigError::EmptySecret { index: 1 },
            "secret #1 is empty; an empty HMAC key proves nothing",
        ),
        (
            ConfigError::InvalidEventType,
            "the event type is not a valid header value (visible ASCII only)",
        ),
        (
            ConfigError::ReplayTtlRequired,
            "replay protection needs an explicit TTL when the timestamp check is off",
        ),
        (
            ConfigError::ReplayTtlTooShort {
                minimum: Duration::from_secs(600),
            },
            "the replay TTL must be at least past + future tolerance (600 s)",
        ),
        (
            ConfigError::InvalidDeliveryId,
            "the delivery id is empty or not visible ASCII",
        ),
        (
            ConfigError::SecretsAndSource,
            "both `.secret(..)` and `.secret_source(..)` were given: choose one",
        ),
        (
            ConfigError::InvalidScheme {
                reason: "no signing method",
            },
            "invalid scheme: no signing method",
        ),
        (
            ConfigError::InvalidSecret {
                index: 2,
                reason: "not base64 after the prefix",
            },
            "secret #2 is not a key of this scheme: not base64 after the prefix",
        ),
        (
            ConfigError::FeatureRequired {
                index: 0,
                feature: "ed25519",
            },
            "secret #0 needs hookwarden's `ed25519` feature",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message, "{error:?}");
    }
}

#[test]
fn store_and_send_error_messages_are_pinned() {
    assert_eq!(StoreError::Full.to_string(), "the replay store is full");
    assert_eq!(
        StoreError::Unavailable("no answer within 2000 ms".into(), None).to_string(),
        "the replay store is unavailable: no answer within 2000 ms"
    );
    assert_eq!(
        SendError::InvalidUrl("empty string".into()).to_string(),
        "invalid URL: empty string"
    );
    assert_eq!(
        SendError::Config(ConfigError::NoSecret).to_string(),
        ConfigError::NoSecret.to_string()
    );
}

fn io_error(kind: std::io::ErrorKind, text: &str) -> std::io::Error {
    std::io::Error::new(kind, text)
}

/// The `std::io::Error` at the end of `error`'s source chain.
fn io_source(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let source = error.source()?;
    let cause = source.downcast_ref::<hookwarden::error::Cause>()?;
    Some(cause.get().downcast_ref::<std::io::Error>()?.kind())
}

#[test]
fn a_store_errors_underlying_error_is_its_source() {
    let error = StoreError::unavailable(io_error(
        std::io::ErrorKind::ConnectionRefused,
        "connection refused",
    ));
    assert_eq!(
        error.to_string(),
        "the replay store is unavailable: connection refused"
    );
    assert_eq!(
        io_source(&error),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
    assert!(StoreError::Full.source().is_none());
}

/// A store that cannot be reached.
struct Unreachable;

impl ReplayStore for Unreachable {
    fn claim<'a>(&'a self, _: &'a ReplayKey, _: LeaseId, _: Duration) -> StoreFuture<'a, Claim> {
        StoreFuture::ready(Err(StoreError::unavailable(io_error(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ))))
    }
    fn renew<'a>(&'a self, _: &'a ReplayKey, _: LeaseId, _: Duration) -> StoreFuture<'a, bool> {
        StoreFuture::ready(Ok(false))
    }
    fn commit<'a>(&'a self, _: &'a ReplayKey, _: LeaseId, _: Duration) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Ok(()))
    }
    fn release<'a>(&'a self, _: &'a ReplayKey, _: LeaseId) -> StoreFuture<'a, ()> {
        StoreFuture::ready(Ok(()))
    }
}

#[tokio::test]
async fn an_unavailable_store_answers_with_its_error_as_the_source() {
    let verifier = Verifier::builder(Scheme::mittr())
        .secret("k")
        .replay_protection(ReplayProtection::new(Unreachable))
        .build()
        .unwrap();
    let headers = Signer::new(Scheme::mittr(), "k")
        .unwrap()
        .sign_now(b"{}")
        .to_header_map();
    let delivery = verifier.verify(&headers, b"{}").unwrap();
    let replay = verifier.replay_protection().unwrap();
    let error = replay.claim(&delivery).await.unwrap_err();
    assert_eq!(error.code(), "replay_store_unavailable");
    assert_eq!(
        error.to_string(),
        "the replay store is unavailable: connection refused"
    );
    assert_eq!(
        io_source(&error),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
}

/// A body whose stream breaks after its first chunk.
struct Broken(u8);

impl BodySource for Broken {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        self.0 += 1;
        Poll::Ready(Some(match self.0 {
            1 => Ok(Bytes::from_static(b"{")),
            _ => Err(BodyError::Unreadable(Box::new(io_error(
                std::io::ErrorKind::ConnectionReset,
                "reset by peer",
            )))),
        }))
    }
}

#[tokio::test]
async fn a_broken_bodys_transport_error_is_the_source() {
    let verifier = Verifier::builder(Scheme::mittr())
        .secret("k")
        .build()
        .unwrap();
    let headers = Signer::new(Scheme::mittr(), "k")
        .unwrap()
        .sign_now(b"{}")
        .to_header_map();
    let admitted = verifier.admit(&headers, "/hook").unwrap();
    let error = admitted.receive(Broken(0)).await.unwrap_err();
    assert_eq!(error.to_string(), "body could not be read: reset by peer");
    assert_eq!(io_source(&error), Some(std::io::ErrorKind::ConnectionReset));
    let copy = error.clone();
    assert_eq!(copy, error, "Clone and PartialEq hold with a source");
    assert!(io_source(&copy).is_some(), "a clone keeps the source");
}

#[test]
fn pasted_input_errors_are_pinned() {
    use hookwarden::diagnose::{parse_pasted_headers, parse_raw_request};
    let no_colon = parse_pasted_headers("X-Mittr-Timestamp 1").unwrap_err();
    assert_eq!(no_colon.to_string(), "line 1 is not `Name: value`");
    let bad = parse_pasted_headers("X-Ok: 1\nBad Name: 2").unwrap_err();
    assert_eq!(
        bad.to_string(),
        "line 2 has a header name or value HTTP does not allow"
    );
    let cut = parse_raw_request(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap_err();
    assert_eq!(
        cut.to_string(),
        "no blank line after the headers: paste the whole request"
    );
}
