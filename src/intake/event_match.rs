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
        if let (Some(header), Some(signed)) = (delivery.unsigned_event_type(), signed_event(body)) {
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

/// The payload's top-level `event`, when the payload is a JSON object and
/// `event` a string (the last one, if the key repeats, as `serde_json::Value`
/// reads it).
#[cfg(feature = "serde")]
fn signed_event(body: &[u8]) -> Option<String> {
    use serde::Deserializer as _;
    let mut reader = serde_json::Deserializer::from_slice(body);
    let event = reader.deserialize_map(TopLevelEvent).ok()?;
    reader.end().ok()?;
    event
}

/// Reads a JSON object's `event` string, skipping every other value.
#[cfg(feature = "serde")]
struct TopLevelEvent;

#[cfg(feature = "serde")]
impl<'de> serde::de::Visitor<'de> for TopLevelEvent {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "event" {
                event = map
                    .next_value::<serde_json::Value>()?
                    .as_str()
                    .map(str::to_owned);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(event)
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;

    #[test]
    fn only_a_string_event_of_a_json_object_counts() {
        assert_eq!(
            signed_event(br#"{"data":{"event":"x"},"event":"dispatch.failed"}"#).as_deref(),
            Some("dispatch.failed")
        );
        for body in [
            &br#"{"event":7}"#[..],
            br#"{"event":null}"#,
            br#"{"data":{"event":"x"}}"#,
            br#"["event"]"#,
            b"event=dispatch.failed",
            b"",
            b"\xff\xfe",
        ] {
            assert_eq!(signed_event(body), None, "{body:?}");
        }
    }
}
