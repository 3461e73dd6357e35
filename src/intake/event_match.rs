//! The opt-in check that a delivery's unsigned event header
//! (`X-MITPO-Event`) names the event its signed payload carries
//! ([`VerifierBuilder::require_event_match`](crate::VerifierBuilder::require_event_match)):
//! once the signature verified, before the replay claim.

use crate::{Error, VerifiedDelivery, Verifier};

/// `Err(Error::EventMismatch)` when the check is required, the header is
/// present, the payload is a JSON object with a string `event`, and the two
/// differ; `Ok` otherwise.
#[cfg_attr(not(feature = "serde"), allow(unused_variables))]
pub(super) fn check(
    verifier: &Verifier,
    delivery: &VerifiedDelivery,
    body: &[u8],
) -> Result<(), Error> {
    #[cfg(feature = "serde")]
    if verifier.intake().require_event_match {
        if let (Some(header), Some(signed)) = (
            delivery.unsigned_event_type(),
            crate::payload::top_level_event(body),
        ) {
            if header != signed {
                return Err(Error::EventMismatch {
                    header: verifier
                        .scheme()
                        .event_header()
                        .cloned()
                        .unwrap_or(crate::MITPO_EVENT),
                    unsigned: crate::error::shown(header.as_bytes()),
                    signed: crate::error::shown(signed.as_bytes()),
                });
            }
        }
    }
    Ok(())
}
