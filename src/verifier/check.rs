//! The header check: presence → well-formedness → freshness, before a byte
//! of the body is read.

use std::time::SystemTime;

use super::pending::{MacSet, ReplayDigest};
use super::Verifier;
use crate::error::{Error, Malformed};
use crate::headers::Headers;
use crate::signature::{Candidates, MAX_HEADER_LEN};
use crate::timestamp::{self, Stale};

/// What the header check found, borrowing from the headers.
pub(super) struct CheckedHeaders<'h> {
    pub(super) timestamp: u64,
    /// The timestamp header's trimmed text, which Mittr signs as is.
    pub(super) ts_text: &'h [u8],
    pub(super) event: Option<&'h [u8]>,
}

impl CheckedHeaders<'_> {
    pub(super) fn event_type(&self) -> Option<String> {
        // `read_event` admits visible ASCII only, so this is lossless.
        self.event.map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The signed bytes that precede the body (`<timestamp>.` for Mittr).
    pub(super) fn signed_prefix(&self, verifier: &Verifier) -> [&[u8]; 2] {
        if verifier.scheme().kind().signs_timestamp() {
            [self.ts_text, b"."]
        } else {
            [&[], &[]]
        }
    }
}

impl Verifier {
    /// Presence → well-formedness → freshness, filling `candidates`.
    pub(super) fn check_into<'h, H: Headers + ?Sized>(
        &self,
        headers: &'h H,
        now: SystemTime,
        candidates: &mut Candidates,
    ) -> Result<CheckedHeaders<'h>, Error> {
        let scheme = self.scheme();
        let (sig_header, ts_header) = (scheme.signature_header(), scheme.timestamp_header());
        let malformed = |header: &http::HeaderName, reason| Error::MalformedHeader {
            header: header.clone(),
            reason,
        };

        // 1. Presence. The signature values are parsed in the same pass (one
        // lookup), but a parse error is only reported after the presence of
        // the timestamp header has been checked.
        let prefix = scheme.kind().signature_prefix();
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
        self.check_fresh(timestamp, timestamp::unix_seconds(now))?;
        Ok(CheckedHeaders {
            timestamp,
            ts_text,
            event,
        })
    }

    fn check_fresh(&self, timestamp: u64, now: u64) -> Result<(), Error> {
        let header = self.scheme().timestamp_header();
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

    /// Clones the keyed MAC states and feeds them what precedes the body.
    pub(super) fn start_macs(&self, checked: &CheckedHeaders<'_>) -> MacSet {
        let mut macs = MacSet::new(&self.inner.keys);
        for part in checked.signed_prefix(self) {
            if !part.is_empty() {
                macs.update(part);
            }
        }
        macs
    }

    /// Starts the replay digest when replay protection is on.
    pub(super) fn start_digest(&self, checked: &CheckedHeaders<'_>) -> Option<Box<ReplayDigest>> {
        #[cfg(feature = "runtime")]
        if self.inner.replay.is_some() {
            let mut digest = ReplayDigest::new();
            for part in checked.signed_prefix(self) {
                digest.update(part);
            }
            return Some(digest);
        }
        let _ = checked;
        None
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
