//! The header check: presence → well-formedness → freshness, before a byte
//! of the body is read.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::HeaderName;

use super::digest::ReplayDigest;
use super::prefix::SignedPrefix;
use super::Verifier;
use crate::error::{Error, Malformed};
use crate::headers::Headers;
use crate::scheme::{Part, ReplayBasis, Scheme, TimestampSource};
use crate::signature::{Candidates, EntryReader, MAX_HEADER_LEN};
use crate::tenant::TenantKeys;
use crate::time::{unix_seconds, Stale};
use crate::timestamp;

/// What the header check found, owned: the signature candidates, the
/// timestamp, the signed bytes that precede the body, the event type and
/// the delivery id.
pub(crate) struct Checked {
    pub(super) candidates: Candidates,
    pub(super) timestamp: Option<u64>,
    pub(super) prefix: SignedPrefix,
    pub(super) event: Option<String>,
    pub(super) delivery_id: Option<String>,
    /// The tenant's keys, with a per-tenant secret source (`None` for an
    /// unknown tenant, whose delivery then matches no key).
    pub(super) tenant: Option<Arc<TenantKeys>>,
}

impl Checked {
    pub(crate) const fn new() -> Self {
        Checked {
            candidates: Candidates::new(),
            timestamp: None,
            prefix: SignedPrefix::new(),
            event: None,
            delivery_id: None,
            tenant: None,
        }
    }
}

/// The headers' values, borrowed, once present and well-formed.
struct Found<'a> {
    timestamp: Option<(u64, &'a [u8])>,
    delivery_id: Option<&'a [u8]>,
}

impl Verifier {
    /// Presence → well-formedness → freshness, then the tenant's keys
    /// (with a per-tenant source; `path` is the request's, when known).
    pub(crate) fn check<H: Headers + ?Sized>(
        &self,
        headers: &H,
        now: SystemTime,
        path: Option<&str>,
    ) -> Result<Checked, Error> {
        let mut checked = Checked::new();
        self.check_into(headers, now, path, &mut checked)?;
        Ok(checked)
    }

    /// As [`check`](Self::check), into `out` (the whole-body path keeps the
    /// result where it is instead of moving it around).
    pub(crate) fn check_into<H: Headers + ?Sized>(
        &self,
        headers: &H,
        now: SystemTime,
        path: Option<&str>,
        out: &mut Checked,
    ) -> Result<(), Error> {
        let scheme = self.scheme();
        let found = read_headers(scheme, headers, &mut out.candidates)?;
        let event = match scheme.event_header() {
            Some(name) => single_visible(headers, name)?,
            None => None,
        };
        if let Some((timestamp, _)) = found.timestamp {
            self.check_fresh(timestamp, unix_seconds(now))?;
        }
        signed_prefix(scheme, headers, &found, &mut out.prefix)?;
        if let Some(tenants) = &self.inner.tenants {
            let id = tenants.tenant_of(headers, path)?;
            out.tenant = tenants.keys(scheme, id, Instant::now())?;
        }
        out.timestamp = found.timestamp.map(|(t, _)| t);
        // `single_visible` and `visible` admit visible ASCII only: lossless.
        out.event = event.map(ascii_string);
        out.delivery_id = found.delivery_id.map(ascii_string);
        Ok(())
    }

    fn check_fresh(&self, timestamp: u64, now: u64) -> Result<(), Error> {
        let Some(header) = self.scheme().timestamp_header() else {
            return Ok(());
        };
        self.tolerance()
            .check(timestamp, now)
            .map_err(|stale| match stale {
                Stale::TooOld(tolerance) => Error::TimestampTooOld {
                    header: header.clone(),
                    timestamp,
                    now,
                    tolerance,
                },
                Stale::InFuture(tolerance) => Error::TimestampInFuture {
                    header: header.clone(),
                    timestamp,
                    now,
                    tolerance,
                },
            })
    }

    /// The replay digest of a whole delivery, when replay protection is on.
    pub(super) fn whole_digest(&self, checked: &Checked, body: &[u8]) -> Option<u128> {
        #[cfg(feature = "runtime")]
        if self.inner.replay.is_some() {
            use super::digest::one_shot;
            let message = || one_shot(checked.prefix.as_bytes(), body);
            return Some(match self.scheme().replay_basis() {
                ReplayBasis::DeliveryId => match &checked.delivery_id {
                    Some(id) => one_shot(b"delivery-id", id.as_bytes()),
                    None => message(),
                },
                ReplayBasis::Body => one_shot(b"", body),
                ReplayBasis::JsonPointer(pointer) => {
                    self.field_digest(pointer, body).unwrap_or_else(message)
                }
                _ => message(),
            });
        }
        let _ = (checked, body);
        None
    }

    /// Starts the replay digest of a streamed body, when replay protection
    /// is on. With a JSON field as the basis, it is the message's: the
    /// field's replaces it at the end where the whole body is at hand
    /// ([`PendingVerification::finish_with_body`](super::PendingVerification::finish_with_body)).
    pub(super) fn start_digest(&self, checked: &Checked) -> Option<Box<ReplayDigest>> {
        #[cfg(feature = "runtime")]
        if self.inner.replay.is_some() {
            return Some(match (self.scheme().replay_basis(), &checked.delivery_id) {
                (ReplayBasis::DeliveryId, Some(id)) => {
                    ReplayDigest::fixed(super::digest::one_shot(b"delivery-id", id.as_bytes()))
                }
                (ReplayBasis::Body, _) => ReplayDigest::new(b""),
                _ => ReplayDigest::new(checked.prefix.as_bytes()),
            });
        }
        let _ = checked;
        None
    }

    /// The digest of the field `pointer` names in `body`; `None` (counted
    /// and logged, without any of the body) when there is no string or
    /// number there, and the message is the key.
    #[cfg(feature = "runtime")]
    pub(super) fn field_digest(
        &self,
        pointer: &crate::scheme::JsonPointer,
        body: &[u8],
    ) -> Option<u128> {
        match super::json_field::find(body, pointer) {
            Ok(field) => Some(super::digest::field(field)),
            Err(miss) => {
                self.key_fallback(miss.as_str());
                None
            }
        }
    }

    /// Counts and logs a delivery keyed by its signed message for want of
    /// its JSON field.
    #[cfg(feature = "runtime")]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(super) fn key_fallback(&self, reason: &'static str) {
        self.metrics().replay_key_fallback(self.name());
        #[cfg(feature = "tracing")]
        tracing::debug!(
            verifier = self.name(),
            scheme = self.scheme().name(),
            reason,
            "replay key: no JSON field to key on; keyed by the signed message"
        );
    }
}

/// A header found present: its name and its one value (or why it is not one).
type Single<'a, 'n> = (&'n HeaderName, Result<&'a [u8], Malformed>);

/// Presence, then well-formedness, of the signature, timestamp and
/// delivery id. The signature values are parsed in the same pass as the
/// presence check, but a parse error is reported only once every required
/// header is known to be present.
fn read_headers<'a, H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &'a H,
    candidates: &mut Candidates,
) -> Result<Found<'a>, Error> {
    let sig_header = scheme.signature_header();
    let mut reader = EntryReader::new(scheme, candidates);
    let (present, parsed) = read_signature(scheme, headers, &mut reader);
    if !present {
        return Err(missing(scheme.signature_headers()));
    }
    let ts = match scheme.timestamp_source() {
        Some(TimestampSource::Header(names)) => Some(required(headers, names)?),
        _ => None,
    };
    let id = delivery_id(scheme, headers)?;
    let timestamp = ts.map(|(name, value)| {
        value
            .and_then(|v| scheme.timestamp_format().parse(v))
            .map_err(|r| malformed(name, r))
    });
    let timestamp = timestamp.transpose()?;
    let entry_ts = parsed
        .and_then(|()| reader.finish())
        .map_err(|r| malformed(sig_header, r))?;
    let entry_ts = entry_ts.map(|text| {
        let format = scheme.timestamp_format();
        format.parse(text).map_err(|r| malformed(sig_header, r))
    });
    let delivery_id =
        id.map(|(name, value)| value.and_then(visible).map_err(|r| malformed(name, r)));
    Ok(Found {
        timestamp: entry_ts.transpose()?.or(timestamp),
        delivery_id: delivery_id.transpose()?,
    })
}

/// The delivery id header, if present; `missing_header` when the scheme
/// signs it or keys replays on it.
fn delivery_id<'a, 'n, H: Headers + ?Sized>(
    scheme: &'n Scheme,
    headers: &'a H,
) -> Result<Option<Single<'a, 'n>>, Error> {
    let names = scheme.delivery_id_headers();
    if names.is_empty() {
        return Ok(None);
    }
    let required = scheme.signs_delivery_id() || *scheme.replay_basis() == ReplayBasis::DeliveryId;
    match first_present(headers, names) {
        Some((name, first, rest)) => Ok(Some((name, single(first, rest)))),
        None if required => Err(missing(names)),
        None => Ok(None),
    }
}

fn malformed(header: &HeaderName, reason: Malformed) -> Error {
    Error::MalformedHeader {
        header: header.clone(),
        reason,
    }
}

/// Reads every value of the first signature header present; whether one
/// was (an empty value counts as absent where the scheme says so), and the
/// first parse error.
fn read_signature<'a, H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &'a H,
    reader: &mut EntryReader<'_, 'a, '_>,
) -> (bool, Result<(), Malformed>) {
    let Some((_, first, rest)) = first_present(headers, scheme.signature_headers()) else {
        return (false, Ok(()));
    };
    let mut present = false;
    let mut parsed = Ok(());
    for value in std::iter::once(first).chain(rest) {
        present |= !(scheme.empty_is_missing() && timestamp::trim(value).is_empty());
        if parsed.is_ok() {
            parsed = reader.read(value);
        }
    }
    (present, parsed)
}

/// The first value of the first of `names` present, and its other values.
fn first_present<'a, 'n, H: Headers + ?Sized>(
    headers: &'a H,
    names: &'n [HeaderName],
) -> Option<(
    &'n HeaderName,
    &'a [u8],
    impl Iterator<Item = &'a [u8]> + use<'a, 'n, H>,
)> {
    if let [name] = names {
        // One name (every scheme but Svix and Shopify): no search.
        let mut values = headers.values(name);
        return values.next().map(|first| (name, first, values));
    }
    names.iter().find_map(|name| {
        let mut values = headers.values(name);
        values.next().map(|first| (name, first, values))
    })
}

/// The one value of the first of `names` present, or `missing_header`
/// naming the first.
fn required<'a, 'n, H: Headers + ?Sized>(
    headers: &'a H,
    names: &'n [HeaderName],
) -> Result<Single<'a, 'n>, Error> {
    let (name, first, rest) = first_present(headers, names).ok_or_else(|| missing(names))?;
    Ok((name, single(first, rest)))
}

fn missing(names: &[HeaderName]) -> Error {
    Error::MissingHeader {
        header: names[0].clone(),
    }
}

/// The one value of a header that must not repeat.
fn single<'a>(
    first: &'a [u8],
    mut rest: impl Iterator<Item = &'a [u8]>,
) -> Result<&'a [u8], Malformed> {
    match rest.next() {
        Some(_) => Err(Malformed::Duplicated),
        None => Ok(first),
    }
}

/// A trimmed value of visible ASCII (and spaces), at most [`MAX_HEADER_LEN`] bytes.
fn visible(value: &[u8]) -> Result<&[u8], Malformed> {
    let value = timestamp::trim(value);
    if value.len() > MAX_HEADER_LEN {
        return Err(Malformed::TooLong {
            limit: MAX_HEADER_LEN,
        });
    }
    if value.is_empty() {
        return Err(Malformed::Empty);
    }
    if !value.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(Malformed::NotVisibleAscii);
    }
    Ok(value)
}

/// An optional header of one visible value (the event type).
fn single_visible<'a, H: Headers + ?Sized>(
    headers: &'a H,
    name: &HeaderName,
) -> Result<Option<&'a [u8]>, Error> {
    let mut values = headers.values(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let value = single(first, values).map_err(|r| malformed(name, r))?;
    let value = timestamp::trim(value);
    if value.is_empty() {
        return Ok(None);
    }
    visible(value).map(Some).map_err(|r| malformed(name, r))
}

/// The signed bytes that precede the body, written into `prefix`.
fn signed_prefix<H: Headers + ?Sized>(
    scheme: &Scheme,
    headers: &H,
    found: &Found<'_>,
    prefix: &mut SignedPrefix,
) -> Result<(), Error> {
    for part in scheme.message() {
        match part {
            Part::Literal(bytes) => prefix.push(bytes),
            Part::Timestamp => prefix.push(found.timestamp.map_or(&[][..], |(_, text)| text)),
            Part::DeliveryId => prefix.push(found.delivery_id.unwrap_or_default()),
            Part::Header(name) => prefix.push(signed_header(headers, name)?),
            _ => {}
        }
    }
    Ok(())
}

fn signed_header<'a, H: Headers + ?Sized>(
    headers: &'a H,
    name: &HeaderName,
) -> Result<&'a [u8], Error> {
    let (name, value) = required(headers, std::slice::from_ref(name))?;
    value.and_then(visible).map_err(|r| malformed(name, r))
}

fn ascii_string(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}
