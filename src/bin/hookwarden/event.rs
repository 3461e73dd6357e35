//! The event header (MITPO's, GitHub's, Shopify's): from `--event`, else from the payload's `event`
//! field (as the dispatcher does), checked as receivers check it.

use hookwarden::dispatcher::payload_event;

use crate::args::SchemeArg;
use crate::InputError;

/// The event header's value and where it came from.
pub struct Event {
    pub value: String,
    pub source: &'static str,
}

/// The event header to send for `scheme`: `--event`, else the payload's
/// `event` field; none for a scheme without an event header.
///
/// # Errors
/// `--event` for a scheme without an event header, or a value receivers
/// would reject (they take visible ASCII and spaces only).
pub fn resolve(
    scheme: SchemeArg,
    explicit: Option<&str>,
    body: &[u8],
) -> Result<Option<Event>, InputError> {
    if scheme.scheme().event_header().is_none() {
        return match explicit {
            Some(_) => Err(InputError(format!(
                "--event: {} deliveries have no event header",
                scheme.provider()
            ))),
            None => Ok(None),
        };
    }
    let event = match explicit {
        Some(value) => Event {
            value: value.to_owned(),
            source: "--event",
        },
        None => match payload_event(body) {
            Some(value) => Event {
                value,
                source: "the payload's `event` field (or pass --event)",
            },
            None => return Ok(None),
        },
    };
    if !event
        .value
        .bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(InputError(format!(
            "{}: {:?} is not visible ASCII, which receivers reject in the event header",
            event.source, event.value
        )));
    }
    Ok(Some(event))
}
