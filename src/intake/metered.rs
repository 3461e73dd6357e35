//! [`Metered`]: what every body read by the intake is held to as its bytes
//! arrive — the body limit, the budget of unverified bytes (and the
//! sender's share of it), the read deadline and the minimum data rate.

use std::task::{Context, Poll};
use std::time::Instant;

use super::budget::Charge;
use super::pace::Pace;
use super::{BodyError, IntakeSettings};
use crate::Error;

/// A body's accounting while it arrives.
pub(super) struct Metered {
    pub(super) limit: u64,
    received: u64,
    charge: Charge,
    pace: Pace,
}

impl Metered {
    /// A body held to `limit`, charged through `charge`, its pace counted
    /// from `started` if known.
    pub(super) fn new(limit: u64, charge: Charge, started: Option<Instant>) -> Self {
        Metered {
            limit,
            received: 0,
            charge,
            pace: Pace::new(started),
        }
    }

    /// Holds `bytes` more to the limit and charges them; nothing is charged
    /// when refused.
    pub(super) fn take(&mut self, bytes: u64) -> Result<(), Error> {
        let received = self.received.saturating_add(bytes);
        if received > self.limit {
            return Err(Error::BodyTooLarge {
                limit: Some(self.limit),
            });
        }
        self.charge.add(bytes)?;
        self.received = received;
        Ok(())
    }

    /// Pending while the body keeps its pace; the error once it does not.
    pub(super) fn poll_pace(
        &mut self,
        settings: &IntakeSettings,
        cx: &mut Context<'_>,
    ) -> Poll<Error> {
        self.pace.poll(settings, self.received, cx)
    }

    /// When the headers were accepted, as far as it was read.
    pub(super) fn started(&self) -> Option<Instant> {
        self.pace.started
    }

    /// What a failed body stream means.
    pub(super) fn body_error(&self, error: BodyError) -> Error {
        match error {
            BodyError::TooLarge => Error::BodyTooLarge {
                limit: Some(self.limit),
            },
            BodyError::Unreadable(source) => Error::BodyUnreadable {
                reason: source.to_string(),
                source: Some(crate::error::Cause::from_boxed(source)),
            },
        }
    }
}
