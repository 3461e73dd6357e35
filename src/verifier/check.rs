//! The header check: presence → well-formedness → freshness, before a byte
//! of the body is read.

use std::time::SystemTime;

use super::digest::ReplayDigest;
use super::Verifier;
use crate::error::{Error, Malformed};
use crate::headers::Headers;
use crate::signature::{Candidates, MAX_HEADER_LEN};
use crate::timestamp::{self, Stale};

/// What the header check found, owned: the signature candidates, the
/// timestamp, the signed bytes that precede the body, the event type.
pub(crate) struct Checked {
    pub(super) candidates: Candidates,
    pub(super) timestamp: u64,
    pub(super) prefix: SignedPrefix,
    pub(super) event: Option<String>,
}

/// The signed bytes that precede the body (`<timestamp>.` for Mittr,
/// nothing for MITPO), kept inline when short, as they always are.
pub(crate) struct SignedPrefix {
    inline: [u8; 32],
    len: usize,
    long: Vec<u8>,
}

impl SignedPrefix {
    fn new(parts: &[&[u8]]) -> Self {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut prefix = SignedPrefix {
            inline: [0; 32],
            len: total,
            long: Vec::new(),
        };
        if total <= prefix.inline.len() {
            let mut at = 0;
            for part in parts {
                prefix.inline[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
        } else {
            prefix.long = parts.concat();
        }
        prefix
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        if self.long.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.long
        }
    }
}

impl Verifier {
    /// Presence → well-formedness → freshness.
    pub(crate) fn check<H: Headers + ?Sized>(
        &self,
        headers: &H,
        now: SystemTime,
    ) -> Result<Checked, Error> {
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
        let mut candidates = Candidates::new();
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
        let prefix = if scheme.kind().signs_timestamp() {
            SignedPrefix::new(&[ts_text, b"."])
        } else {
            SignedPrefix::new(&[])
        };
        Ok(Checked {
            candidates,
            timestamp,
            prefix,
            // `read_event` admits visible ASCII only, so this is lossless.
            event: event.map(|v| String::from_utf8_lossy(v).into_owned()),
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

    /// The replay digest of a whole delivery, when replay protection is on.
    pub(super) fn whole_digest(&self, checked: &Checked, body: &[u8]) -> Option<u128> {
        #[cfg(feature = "runtime")]
        if self.inner.replay.is_some() {
            return Some(super::digest::one_shot(checked.prefix.as_bytes(), body));
        }
        let _ = (checked, body);
        None
    }

    /// Starts the replay digest of a streamed body, when replay protection is on.
    pub(super) fn start_digest(&self, checked: &Checked) -> Option<Box<ReplayDigest>> {
        #[cfg(feature = "runtime")]
        if self.inner.replay.is_some() {
            return Some(ReplayDigest::new(checked.prefix.as_bytes()));
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
