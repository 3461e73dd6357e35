//! The [`Verifier`]: header check, incremental HMAC over the raw body, verdict.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hmac::{KeyInit, Mac};
use subtle::{Choice, ConstantTimeEq};

use crate::error::{ConfigError, Error, Malformed};
use crate::headers::Headers;
use crate::replay::ReplayProtection;
use crate::scheme::{Scheme, SchemeKind};
use crate::secret::Secret;
use crate::signature::{Candidates, DIGEST_LEN, MAX_HEADER_LEN};
use crate::timestamp::{self, Clock, Stale, SystemClock, Tolerance};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;

/// Keys the MAC once; the keyed state is cloned for every delivery.
pub(crate) fn keyed_mac(secret: &Secret) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret.expose()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    }
}

/// Verifies deliveries of one [`Scheme`] against one or more secrets.
///
/// Built once with [`Verifier::builder`] and shared: cloning is cheap (an
/// `Arc`), and the HMAC keys are derived once, at build time.
///
/// ```
/// use std::time::Duration;
/// use hookguard::{Scheme, Signer, Verifier};
///
/// let verifier = Verifier::builder(Scheme::mittr())
///     .secret("current-secret")
///     .secret("previous-secret") // rotation: either one verifies
///     .tolerance(Duration::from_secs(300))
///     .build()?;
///
/// let body = br#"{"eventType":"order.created"}"#;
/// let headers = Signer::new(Scheme::mittr(), "previous-secret")?.sign_now(body).to_header_map();
/// let verified = verifier.verify(&headers, body)?;
/// assert_eq!(verified.secret_index(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    keys: Vec<HmacSha256>,
    fingerprints: Vec<String>,
    tolerance: Tolerance,
    body_limit: u64,
    clock: Box<dyn Clock>,
    replay: Option<ReplayProtection>,
}

/// Configures a [`Verifier`]. Created by [`Verifier::builder`].
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    secrets: Vec<Secret>,
    tolerance: Tolerance,
    body_limit: u64,
    clock: Box<dyn Clock>,
    replay: Option<ReplayProtection>,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("scheme", &self.scheme.kind())
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    /// Adds a secret. Call again to accept several during a rotation: a
    /// delivery verifies when any of them signed it, and
    /// [`Verified::secret_index`] says which (0 for the first added).
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
    /// with [`Error::BodyTooLarge`] as soon as the limit is crossed. Defaults
    /// to 1 MiB ([`DEFAULT_BODY_LIMIT`]).
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets where "now" comes from. Defaults to [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Rejects deliveries already accepted (409 `replayed`); see
    /// [`crate::replay`]. Off by default. The record TTL defaults to past +
    /// future tolerance.
    pub fn replay_protection(mut self, replay: ReplayProtection) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Builds the verifier, keying one HMAC state per secret.
    ///
    /// # Errors
    /// [`ConfigError::NoSecret`] without any secret,
    /// [`ConfigError::EmptySecret`] for an empty one.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.secrets.is_empty() {
            return Err(ConfigError::NoSecret);
        }
        if let Some(index) = self.secrets.iter().position(Secret::is_empty) {
            return Err(ConfigError::EmptySecret { index });
        }
        let replay = match self.replay {
            None => None,
            Some(replay) => {
                let window = match (self.tolerance.past, self.tolerance.future) {
                    (Some(past), Some(future)) => Some(past.saturating_add(future)),
                    _ => None,
                };
                Some(match (replay.configured_ttl(), window) {
                    (None, None) => return Err(ConfigError::ReplayTtlRequired),
                    (None, Some(window)) => replay.with_ttl(window),
                    (Some(ttl), Some(window)) if ttl < window => {
                        return Err(ConfigError::ReplayTtlTooShort { minimum: window })
                    }
                    (Some(_), _) => replay,
                })
            }
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: self.secrets.iter().map(keyed_mac).collect(),
                fingerprints: self.secrets.iter().map(Secret::fingerprint).collect(),
                scheme: self.scheme,
                tolerance: self.tolerance,
                body_limit: self.body_limit,
                clock: self.clock,
                replay,
            }),
        })
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.inner.scheme)
            .field("secret_fingerprints", &self.inner.fingerprints)
            .field("tolerance", &self.inner.tolerance)
            .field("body_limit", &self.inner.body_limit)
            .field("replay", &self.inner.replay)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts configuring a verifier for `scheme`.
    pub fn builder(scheme: Scheme) -> VerifierBuilder {
        VerifierBuilder {
            scheme,
            secrets: Vec::new(),
            tolerance: Tolerance::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            clock: Box::new(SystemClock),
            replay: None,
        }
    }

    /// The replay protection in force, if any (with its TTL resolved).
    pub fn replay_protection(&self) -> Option<&ReplayProtection> {
        self.inner.replay.as_ref()
    }

    /// Verifies a whole delivery and, with replay protection, records it
    /// (rejecting one already recorded). This is what the extractors do; the
    /// tower layer and the actix middleware instead reserve the record and
    /// commit it only when the handler succeeds.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), then [`Error::Replayed`],
    /// [`Error::ReplayStoreFull`] or [`Error::ReplayStoreUnavailable`].
    pub async fn verify_async<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Verified, Error> {
        let verified = self.verify(headers, body)?;
        self.accept(&verified).await?;
        Ok(verified)
    }

    /// Records an already verified delivery with the replay protection, if
    /// any (a no-op without).
    ///
    /// # Errors
    /// [`Error::Replayed`], [`Error::ReplayStoreFull`] or
    /// [`Error::ReplayStoreUnavailable`].
    pub async fn accept(&self, verified: &Verified) -> Result<(), Error> {
        match &self.inner.replay {
            Some(replay) => replay.accept(verified).await,
            None => Ok(()),
        }
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.inner.scheme
    }

    /// The freshness window in force.
    pub fn tolerance(&self) -> Tolerance {
        self.inner.tolerance
    }

    /// The largest body accepted, in bytes.
    pub fn body_limit(&self) -> u64 {
        self.inner.body_limit
    }

    /// Short fingerprints of the configured secrets, in order (see
    /// [`Secret::fingerprint`]).
    pub fn secret_fingerprints(&self) -> &[String] {
        &self.inner.fingerprints
    }

    /// The verifier's clock reading.
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Verifies a whole delivery against the verifier's clock.
    ///
    /// `body` must be the raw bytes as received: not decoded, not
    /// re-serialized.
    ///
    /// # Errors
    /// The first failed check, in the order headers present → well-formed →
    /// fresh → signature; see [`Error`].
    pub fn verify<H: Headers + ?Sized>(&self, headers: &H, body: &[u8]) -> Result<Verified, Error> {
        self.verify_at(headers, body, self.inner.clock.now())
    }

    /// Verifies a whole delivery as if the time were `now`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Error> {
        // The one-shot path needs no set of running MAC states: each keyed
        // state is cloned, fed and finalized in place, as in a bare HMAC.
        let mut candidates = Candidates::new();
        let checked = self.check_into(headers, now, &mut candidates)?;
        let received = body.len() as u64;
        if received > self.inner.body_limit {
            return Err(Error::BodyTooLarge {
                limit: Some(self.inner.body_limit),
            });
        }
        let signs_ts = self.inner.scheme.kind().signs_timestamp();
        let mut found = None;
        for (index, key) in self.inner.keys.iter().enumerate() {
            let mut mac = key.clone();
            if signs_ts {
                mac.update(checked.ts_text);
                mac.update(b".");
            }
            mac.update(body);
            compare(mac, index, candidates.as_slice(), &mut found);
        }
        self.verdict(
            found,
            candidates.as_slice().len(),
            checked.timestamp,
            checked.event_type(),
            received,
        )
    }

    /// First step of a streamed verification: checks the headers (presence,
    /// format, freshness) against the verifier's clock, before any byte of
    /// the body is read. Feed the body to the returned
    /// [`PendingVerification`], then call [`finish`](PendingVerification::finish).
    ///
    /// # Errors
    /// Missing, malformed, stale or future headers.
    pub fn check_headers<H: Headers + ?Sized>(
        &self,
        headers: &H,
    ) -> Result<PendingVerification, Error> {
        self.check_headers_at(headers, self.inner.clock.now())
    }

    /// As [`check_headers`](Self::check_headers), as if the time were `now`.
    ///
    /// # Errors
    /// Missing, malformed, stale or future headers.
    pub fn check_headers_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        now: SystemTime,
    ) -> Result<PendingVerification, Error> {
        let mut candidates = Candidates::new();
        let checked = self.check_into(headers, now, &mut candidates)?;
        Ok(PendingVerification {
            verifier: self.clone(),
            macs: self.start_macs(&checked),
            candidates,
            timestamp: checked.timestamp,
            event_type: checked.event_type(),
            received: 0,
            limit: self.inner.body_limit,
        })
    }

    /// Presence → well-formedness → freshness, filling `candidates`.
    fn check_into<'h, H: Headers + ?Sized>(
        &self,
        headers: &'h H,
        now: SystemTime,
        candidates: &mut Candidates,
    ) -> Result<CheckedHeaders<'h>, Error> {
        let scheme = &self.inner.scheme;
        let kind = scheme.kind();
        let sig_header = scheme.signature_header();
        let ts_header = scheme.timestamp_header();

        // 1. Presence. The signature values are parsed in the same pass (one
        // lookup), but a parse error is only reported after the presence of
        // the timestamp header has been checked.
        let prefix = kind.signature_prefix();
        let mut sig_present = false;
        let mut sig_parsed = Ok(());
        for value in headers.values(sig_header) {
            sig_present = true;
            if sig_parsed.is_ok() {
                sig_parsed = candidates.parse_value(value, prefix.as_bytes());
            }
        }
        if !sig_present {
            return Err(Error::MissingHeader {
                header: sig_header.clone(),
            });
        }
        let mut ts_values = headers.values(ts_header);
        let Some(ts_value) = ts_values.next() else {
            return Err(Error::MissingHeader {
                header: ts_header.clone(),
            });
        };

        // 2. Well-formedness.
        let malformed = |header: &http::HeaderName, reason| Error::MalformedHeader {
            header: header.clone(),
            reason,
        };
        if ts_values.next().is_some() {
            return Err(malformed(ts_header, Malformed::Duplicated));
        }
        let (timestamp, ts_text) =
            timestamp::parse(ts_value).map_err(|r| malformed(ts_header, r))?;
        sig_parsed
            .and_then(|()| candidates.finish(prefix))
            .map_err(|r| malformed(sig_header, r))?;
        let event = match scheme.event_header() {
            Some(name) => read_event(headers, name)?,
            None => None,
        };

        // 3. Freshness.
        let now = timestamp::unix_seconds(now);
        self.inner
            .tolerance
            .check(timestamp, now)
            .map_err(|stale| match stale {
                Stale::TooOld(tolerance) => Error::TimestampTooOld {
                    header: ts_header.clone(),
                    timestamp,
                    now,
                    tolerance,
                },
                Stale::InFuture(tolerance) => Error::TimestampInFuture {
                    header: ts_header.clone(),
                    timestamp,
                    now,
                    tolerance,
                },
            })?;
        Ok(CheckedHeaders {
            timestamp,
            ts_text,
            event,
        })
    }

    /// Clones the keyed MAC states and feeds them what precedes the body.
    fn start_macs(&self, checked: &CheckedHeaders<'_>) -> MacSet {
        let mut macs = MacSet::new(&self.inner.keys);
        if self.inner.scheme.kind().signs_timestamp() {
            macs.update(checked.ts_text);
            macs.update(b".");
        }
        macs
    }

    /// 4. Signature: the verdict, given the first (secret, entry) that matched.
    fn verdict(
        &self,
        found: Option<(usize, [u8; DIGEST_LEN])>,
        candidates: usize,
        timestamp: u64,
        event_type: Option<String>,
        body_len: u64,
    ) -> Result<Verified, Error> {
        let scheme = &self.inner.scheme;
        match found {
            Some((secret_index, signature)) => Ok(Verified {
                scheme: scheme.kind(),
                timestamp,
                event_type,
                secret_index,
                signature,
                body_len,
            }),
            None => Err(Error::SignatureMismatch {
                header: scheme.signature_header().clone(),
                candidates,
                secrets: self.inner.keys.len(),
            }),
        }
    }
}

/// What the header check found, borrowing from the headers.
struct CheckedHeaders<'h> {
    timestamp: u64,
    /// The timestamp header's trimmed text, which Mittr signs as is.
    ts_text: &'h [u8],
    event: Option<&'h [u8]>,
}

impl CheckedHeaders<'_> {
    fn event_type(&self) -> Option<String> {
        // `read_event` admits visible ASCII only, so this is lossless.
        self.event.map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

fn read_event<'a, H: Headers + ?Sized>(
    headers: &'a H,
    name: &http::HeaderName,
) -> Result<Option<&'a [u8]>, Error> {
    let malformed = |reason| Error::MalformedHeader {
        header: name.clone(),
        reason,
    };
    let mut values = headers.values(name);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(malformed(Malformed::Duplicated));
    }
    let value = timestamp::trim(value);
    if value.len() > MAX_HEADER_LEN {
        return Err(malformed(Malformed::TooLong {
            limit: MAX_HEADER_LEN,
        }));
    }
    if !value.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(malformed(Malformed::NotVisibleAscii));
    }
    Ok(Some(value))
}

/// One keyed MAC state per secret; the first two live inline so that the
/// common cases (one secret, or two during a rotation) never allocate.
#[derive(Clone)]
struct MacSet {
    inline: [Option<HmacSha256>; 2],
    spill: Vec<HmacSha256>,
}

impl MacSet {
    fn new(keys: &[HmacSha256]) -> Self {
        let (head, tail) = keys.split_at(keys.len().min(2));
        MacSet {
            inline: [head.first().cloned(), head.get(1).cloned()],
            spill: tail.to_vec(),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        for mac in self
            .inline
            .iter_mut()
            .flatten()
            .chain(self.spill.iter_mut())
        {
            mac.update(bytes);
        }
    }

    /// Finalizes each MAC and compares it in constant time with every
    /// candidate; returns the index of the first secret that matched and the
    /// matched candidate.
    fn matching(self, candidates: &[[u8; DIGEST_LEN]]) -> Option<(usize, [u8; DIGEST_LEN])> {
        let MacSet { inline, spill } = self;
        let mut found = None;
        let macs = inline.into_iter().flatten().chain(spill);
        for (index, mac) in macs.enumerate() {
            compare(mac, index, candidates, &mut found);
        }
        found
    }
}

/// Finalizes the MAC of secret `index` and compares it in constant time
/// with every candidate (no early exit), recording the first match.
fn compare(
    mac: HmacSha256,
    index: usize,
    candidates: &[[u8; DIGEST_LEN]],
    found: &mut Option<(usize, [u8; DIGEST_LEN])>,
) {
    let tag: [u8; DIGEST_LEN] = mac.finalize().into_bytes().into();
    for candidate in candidates {
        let hit: Choice = tag.ct_eq(candidate);
        if bool::from(hit) && found.is_none() {
            *found = Some((index, *candidate));
        }
    }
}

/// A delivery whose headers passed; feed it the body, then
/// [`finish`](Self::finish).
///
/// The result does not depend on how the body is split into chunks.
///
/// ```
/// use hookguard::{Scheme, Signer, Verifier};
///
/// let verifier = Verifier::builder(Scheme::mitpo()).secret("whsec_abc").build()?;
/// let headers = Signer::new(Scheme::mitpo(), "whsec_abc")?.sign_now(b"hello world").to_header_map();
///
/// let mut pending = verifier.check_headers(&headers)?; // before reading the body
/// pending.update(b"hello ")?;
/// pending.update(b"world")?;
/// let verified = pending.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PendingVerification {
    verifier: Verifier,
    macs: MacSet,
    candidates: Candidates,
    timestamp: u64,
    event_type: Option<String>,
    received: u64,
    limit: u64,
}

impl fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification")
            .field("scheme", &self.verifier.scheme().kind())
            .field("timestamp", &self.timestamp)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl PendingVerification {
    /// Feeds the next chunk of the raw body.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`] once more than the body limit has been fed;
    /// the chunk that crosses it is not hashed.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let limit = self.limit;
        let received = self.received.saturating_add(chunk.len() as u64);
        if received > limit {
            return Err(Error::BodyTooLarge { limit: Some(limit) });
        }
        self.received = received;
        self.macs.update(chunk);
        Ok(())
    }

    /// Bytes of body fed so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The body limit in force, in bytes.
    pub fn body_limit(&self) -> u64 {
        self.limit
    }

    /// Lowers the body limit for this delivery (never raises it), for an
    /// outer limit such as a framework's own.
    pub fn limit_body(&mut self, limit: u64) {
        self.limit = self.limit.min(limit);
    }

    /// The delivery's timestamp (already checked for freshness).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The verifier this verification runs under.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Ends the body and gives the verdict.
    ///
    /// # Errors
    /// [`Error::SignatureMismatch`] when no secret signed these bytes.
    pub fn finish(self) -> Result<Verified, Error> {
        let candidates = self.candidates.as_slice();
        let found = self.macs.matching(candidates);
        self.verifier.verdict(
            found,
            candidates.len(),
            self.timestamp,
            self.event_type,
            self.received,
        )
    }
}

/// Proof that a delivery verified: what was checked, and with which secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    scheme: SchemeKind,
    timestamp: u64,
    event_type: Option<String>,
    secret_index: usize,
    signature: [u8; DIGEST_LEN],
    body_len: u64,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("scheme", &self.scheme)
            .field("timestamp", &self.timestamp)
            .field("unsigned_event_type", &self.event_type)
            .field("secret_index", &self.secret_index)
            .field("body_len", &self.body_len)
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The scheme that verified.
    pub fn scheme(&self) -> SchemeKind {
        self.scheme
    }

    /// The delivery's timestamp, unix seconds. Signed for Mittr; for MITPO it
    /// is **not** covered by the signature and only passed the freshness check.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The timestamp as a [`SystemTime`].
    pub fn signed_at(&self) -> SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs(self.timestamp)
    }

    /// The event type from the scheme's event header (`X-MITPO-Event`), if
    /// present.
    ///
    /// **Not verified**: MITPO does not sign this header, so anyone who
    /// replays a captured body can put any event type here. Route on the
    /// payload's own `event` field, which is covered by the signature; use
    /// this only for logging or as a hint.
    pub fn unsigned_event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// Which secret matched: its position in the order the secrets were
    /// added to the builder (0 for the first).
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// The signature entry that matched, as received in the header. Unique
    /// per (secret, signed message): the natural key for replay detection.
    pub fn signature(&self) -> &[u8; DIGEST_LEN] {
        &self.signature
    }

    /// How many body bytes were verified.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Signer;
    use http::{HeaderMap, HeaderValue};
    use std::time::UNIX_EPOCH;

    const NOW: u64 = 1_764_072_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn verifier(scheme: Scheme, secrets: &[&str]) -> Verifier {
        Verifier::builder(scheme)
            .secrets(secrets.iter().copied())
            .build()
            .unwrap()
    }

    fn signed(scheme: Scheme, secret: &str, ts: u64, body: &[u8]) -> HeaderMap {
        Signer::new(scheme, secret)
            .unwrap()
            .sign(ts, body)
            .to_header_map()
    }

    #[test]
    fn verifies_a_mittr_delivery() {
        let v = verifier(Scheme::mittr(), &["s3cret"]);
        let h = signed(Scheme::mittr(), "s3cret", NOW - 10, b"{}");
        let ok = v.verify_at(&h, b"{}", at(NOW)).unwrap();
        assert_eq!(ok.scheme(), SchemeKind::Mittr);
        assert_eq!(ok.timestamp(), NOW - 10);
        assert_eq!(ok.secret_index(), 0);
        assert_eq!(ok.unsigned_event_type(), None);
    }

    #[test]
    fn verifies_the_published_github_vector_as_mitpo() {
        let v = Verifier::builder(Scheme::mitpo())
            .secret("It's a Secret to Everybody")
            .disable_timestamp_check()
            .build()
            .unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-mitpo-signature",
            HeaderValue::from_static(
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            ),
        );
        h.insert("x-mitpo-timestamp", HeaderValue::from_static("1"));
        assert!(v.verify_at(&h, b"Hello, World!", at(NOW)).is_ok());
        let err = v.verify_at(&h, b"Hello, World?", at(NOW)).unwrap_err();
        assert_eq!(err.code(), "signature_mismatch");
    }

    #[test]
    fn rotation_reports_which_secret_matched() {
        let v = verifier(Scheme::mittr(), &["new", "old", "older"]);
        for (i, s) in ["new", "old", "older"].iter().enumerate() {
            let h = signed(Scheme::mittr(), s, NOW, b"x");
            assert_eq!(v.verify_at(&h, b"x", at(NOW)).unwrap().secret_index(), i);
        }
        let h = signed(Scheme::mittr(), "unknown", NOW, b"x");
        let err = v.verify_at(&h, b"x", at(NOW)).unwrap_err();
        assert!(matches!(
            err,
            Error::SignatureMismatch {
                secrets: 3,
                candidates: 1,
                ..
            }
        ));
    }

    #[test]
    fn chunk_split_invariance_at_every_split_point() {
        let body: Vec<u8> = (0u8..=200).collect();
        for scheme in [Scheme::mittr(), Scheme::mitpo()] {
            let v = verifier(scheme.clone(), &["k1", "k2", "k3"]);
            let h = signed(scheme.clone(), "k3", NOW, &body);
            let mut bad = body.clone();
            bad[100] ^= 1;
            for split in 0..=body.len() {
                for (input, expect_ok) in [(&body, true), (&bad, false)] {
                    let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
                    p.update(&input[..split]).unwrap();
                    p.update(&input[split..]).unwrap();
                    assert_eq!(p.finish().is_ok(), expect_ok, "split {split}");
                }
            }
            // Byte by byte, too.
            let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
            for b in &body {
                p.update(std::slice::from_ref(b)).unwrap();
            }
            assert_eq!(p.finish().unwrap().secret_index(), 2);
        }
    }

    #[test]
    fn stale_and_tampered_reports_the_timestamp() {
        let v = verifier(Scheme::mittr(), &["k"]);
        let h = signed(Scheme::mittr(), "k", NOW - 301, b"body");
        let err = v.verify_at(&h, b"tampered", at(NOW)).unwrap_err();
        assert!(
            matches!(err, Error::TimestampTooOld { timestamp, now: NOW, .. } if timestamp == NOW - 301)
        );
    }

    #[test]
    fn rejects_extreme_timestamps_without_panic() {
        let v = verifier(Scheme::mittr(), &["k"]);
        let base = signed(Scheme::mittr(), "k", NOW, b"");
        for (ts, code) in [
            ("-9223372036854775808", "malformed_header"),
            ("18446744073709551616", "malformed_header"),
            ("18446744073709551615", "timestamp_in_future"),
            ("0", "timestamp_too_old"),
        ] {
            let mut h = base.clone();
            h.insert("x-mittr-timestamp", HeaderValue::from_static(ts));
            for now in [
                at(0),
                at(NOW),
                at(u64::MAX / 2),
                UNIX_EPOCH - Duration::from_secs(9),
            ] {
                let got = v.verify_at(&h, b"", now);
                if now == at(NOW) {
                    assert_eq!(got.unwrap_err().code(), code, "{ts}");
                }
            }
        }
    }

    #[test]
    fn disabled_timestamp_check_still_requires_the_header() {
        let v = Verifier::builder(Scheme::mittr())
            .secret("k")
            .disable_timestamp_check()
            .build()
            .unwrap();
        let h = signed(Scheme::mittr(), "k", 5, b"x");
        assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
        let mut h2 = h.clone();
        h2.remove("x-mittr-timestamp");
        assert_eq!(
            v.verify_at(&h2, b"x", at(NOW)).unwrap_err().code(),
            "missing_header"
        );
    }

    #[test]
    fn zero_tolerance_means_this_second_not_unchecked() {
        let v = Verifier::builder(Scheme::mittr())
            .secret("k")
            .tolerance(Duration::ZERO)
            .build()
            .unwrap();
        let h = signed(Scheme::mittr(), "k", NOW, b"x");
        assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
        assert_eq!(
            v.verify_at(&h, b"x", at(NOW + 1)).unwrap_err().code(),
            "timestamp_too_old"
        );
    }

    #[test]
    fn separate_past_and_future_tolerances() {
        let v = Verifier::builder(Scheme::mittr())
            .secret("k")
            .past_tolerance(Duration::from_secs(60))
            .future_tolerance(Duration::from_secs(5))
            .build()
            .unwrap();
        let ok = |ts| v.verify_at(&signed(Scheme::mittr(), "k", ts, b""), b"", at(NOW));
        assert!(ok(NOW - 60).is_ok());
        assert_eq!(ok(NOW - 61).unwrap_err().code(), "timestamp_too_old");
        assert!(ok(NOW + 5).is_ok());
        assert_eq!(ok(NOW + 6).unwrap_err().code(), "timestamp_in_future");
    }

    #[test]
    fn injected_clock_is_used_by_verify() {
        let v = Verifier::builder(Scheme::mitpo())
            .secret("whsec_k")
            .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
            .build()
            .unwrap();
        let h = signed(Scheme::mitpo(), "whsec_k", NOW - 299, b"x");
        assert!(v.verify(&h, b"x").is_ok());
        let h = signed(Scheme::mitpo(), "whsec_k", NOW - 301, b"x");
        assert_eq!(v.verify(&h, b"x").unwrap_err().code(), "timestamp_too_old");
    }

    #[test]
    fn overridden_header_names_are_used() {
        let scheme = Scheme::mittr()
            .with_signature_header(http::HeaderName::from_static("x-sig"))
            .with_timestamp_header(http::HeaderName::from_static("x-ts"));
        let v = verifier(scheme.clone(), &["k"]);
        let h = signed(scheme, "k", NOW, b"x");
        assert!(h.contains_key("x-sig") && h.contains_key("x-ts"));
        assert!(v.verify_at(&h, b"x", at(NOW)).is_ok());
    }

    #[test]
    fn mitpo_event_type_is_carried_but_marked_unsigned() {
        let v = verifier(Scheme::mitpo(), &["whsec_k"]);
        let mut h = signed(Scheme::mitpo(), "whsec_k", NOW, b"{}");
        h.insert(
            "x-mitpo-event",
            HeaderValue::from_static("dispatch.completed"),
        );
        let ok = v.verify_at(&h, b"{}", at(NOW)).unwrap();
        assert_eq!(ok.unsigned_event_type(), Some("dispatch.completed"));
        // Changing the unsigned header does not break the signature: that is the point.
        h.insert("x-mitpo-event", HeaderValue::from_static("refund.issued"));
        assert!(v.verify_at(&h, b"{}", at(NOW)).is_ok());
        h.append("x-mitpo-event", HeaderValue::from_static("again"));
        assert_eq!(
            v.verify_at(&h, b"{}", at(NOW)).unwrap_err().code(),
            "malformed_header"
        );
    }

    #[test]
    fn body_limit_is_enforced_while_streaming() {
        let v = Verifier::builder(Scheme::mitpo())
            .secret("k")
            .body_limit(10)
            .build()
            .unwrap();
        let h = signed(Scheme::mitpo(), "k", NOW, b"0123456789");
        let mut p = v.check_headers_at(&h, at(NOW)).unwrap();
        p.update(b"01234").unwrap();
        p.update(b"56789").unwrap();
        assert_eq!(
            p.update(b"!").unwrap_err(),
            Error::BodyTooLarge { limit: Some(10) }
        );
        assert!(p.finish().is_ok(), "the rejected chunk is not hashed");
    }

    #[test]
    fn config_errors_are_separate() {
        assert_eq!(
            Verifier::builder(Scheme::mittr()).build().unwrap_err(),
            ConfigError::NoSecret
        );
        assert_eq!(
            Verifier::builder(Scheme::mittr())
                .secret("a")
                .secret("")
                .build()
                .unwrap_err(),
            ConfigError::EmptySecret { index: 1 }
        );
    }

    #[test]
    fn debug_output_never_contains_secrets_or_signatures() {
        let v = verifier(Scheme::mittr(), &["super-secret-value"]);
        let h = signed(Scheme::mittr(), "super-secret-value", NOW, b"x");
        let sig = h.get("x-mittr-signature").unwrap().to_str().unwrap()[3..].to_owned();
        let p = v.check_headers_at(&h, at(NOW)).unwrap();
        let ok = v.verify_at(&h, b"x", at(NOW)).unwrap();
        let builder = Verifier::builder(Scheme::mittr()).secret("super-secret-value");
        let err = v.verify_at(&h, b"y", at(NOW)).unwrap_err();
        let shown = format!("{v:?} {p:?} {ok:?} {builder:?} {err:?} {err}");
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(!shown.contains(&sig), "{shown}");
    }
}
