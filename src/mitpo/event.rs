//! [`Event`]: a MITPO payload, typed where MITPO documents it and kept as
//! JSON where it does not.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Timestamp;

/// The event types MITPO documents, in the order of its documentation.
pub const EVENT_TYPES: [&str; 5] = [
    "dispatch.accepted",
    "dispatch.completed",
    "dispatch.failed",
    "connection.active",
    "connection.reauth_required",
];

/// A MITPO event: the payload of a delivery, all of it signed.
///
/// Deserialize it from the verified bytes (`Verified<Json<mitpo::Event>>`,
/// or `serde_json::from_slice`); it serializes back to the same fields
/// (their order and spacing aside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Payload", into = "Payload")]
#[non_exhaustive]
pub struct Event {
    /// The event type (`event`) and its `data`.
    pub data: Data,
    /// When the event happened, says MITPO (`timestamp`, RFC 3339).
    pub timestamp: Timestamp,
    /// The payload's other top-level fields, as sent.
    pub extra: Map<String, Value>,
}

impl Event {
    /// The event type, as sent: `dispatch.completed`, …
    pub fn event_type(&self) -> &str {
        self.data.event_type()
    }
}

/// What happened: the payload's `event`, with its `data`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Data {
    /// `dispatch.accepted`: a dispatch was accepted and queued for
    /// processing. Its data is not documented: kept as sent (`null` when absent).
    DispatchAccepted(Value),
    /// `dispatch.completed`: a dispatch was delivered to the provider.
    DispatchCompleted(DispatchCompleted),
    /// `dispatch.failed`: a dispatch failed (a provider or validation
    /// error). Its data is not documented: kept as sent.
    DispatchFailed(Value),
    /// `connection.active`: a platform connection was established. Its data
    /// is not documented: kept as sent.
    ConnectionActive(Value),
    /// `connection.reauth_required`: a platform connection needs
    /// re-authentication. Its data is not documented: kept as sent.
    ConnectionReauthRequired(Value),
    /// An event type this version does not know, kept as sent.
    Other {
        /// The event type.
        event: String,
        /// Its data (`null` when absent).
        data: Value,
    },
}

impl Data {
    /// The event type: one of [`EVENT_TYPES`], or an unknown one as sent.
    pub fn event_type(&self) -> &str {
        match self {
            Data::DispatchAccepted(_) => EVENT_TYPES[0],
            Data::DispatchCompleted(_) => EVENT_TYPES[1],
            Data::DispatchFailed(_) => EVENT_TYPES[2],
            Data::ConnectionActive(_) => EVENT_TYPES[3],
            Data::ConnectionReauthRequired(_) => EVENT_TYPES[4],
            Data::Other { event, .. } => event,
        }
    }

    fn new(event: String, data: Value) -> Result<Self, serde_json::Error> {
        Ok(match event.as_str() {
            "dispatch.accepted" => Data::DispatchAccepted(data),
            "dispatch.completed" => Data::DispatchCompleted(serde_json::from_value(data)?),
            "dispatch.failed" => Data::DispatchFailed(data),
            "connection.active" => Data::ConnectionActive(data),
            "connection.reauth_required" => Data::ConnectionReauthRequired(data),
            _ => Data::Other { event, data },
        })
    }

    fn into_value(self) -> Value {
        match self {
            Data::DispatchCompleted(dispatch) => serde_json::to_value(dispatch).unwrap_or_default(),
            Data::DispatchAccepted(data)
            | Data::DispatchFailed(data)
            | Data::ConnectionActive(data)
            | Data::ConnectionReauthRequired(data)
            | Data::Other { data, .. } => data,
        }
    }
}

/// The data of `dispatch.completed`, as MITPO documents it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DispatchCompleted {
    /// The dispatch (`dsp_…`).
    pub dispatch_id: String,
    /// Where it was dispatched (`meta_ads`, …).
    pub channel: String,
    /// Its status (`completed`).
    pub status: String,
    /// The provider's id of what was created.
    pub provider_resource_id: String,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An event as it travels: `event`, `timestamp`, `data`, and anything else.
#[derive(Serialize, Deserialize)]
struct Payload {
    event: String,
    timestamp: Timestamp,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    data: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<Payload> for Event {
    type Error = String;

    fn try_from(payload: Payload) -> Result<Self, String> {
        let Payload {
            event,
            timestamp,
            data,
            extra,
        } = payload;
        let data = Data::new(event, data).map_err(|e| format!("`data`: {e}"))?;
        Ok(Event {
            data,
            timestamp,
            extra,
        })
    }
}

impl From<Event> for Payload {
    fn from(event: Event) -> Self {
        Payload {
            event: event.event_type().to_owned(),
            timestamp: event.timestamp,
            data: event.data.into_value(),
            extra: event.extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENTED: &str = r#"{
      "event": "dispatch.completed",
      "timestamp": "2026-03-22T10:30:00Z",
      "data": {
        "dispatch_id": "dsp_a1b2c3d4",
        "channel": "meta_ads",
        "status": "completed",
        "provider_resource_id": "23851234567890"
      }
    }"#;

    fn event(json: &str) -> Event {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_the_documented_payload() {
        let event = event(DOCUMENTED);
        assert_eq!(event.event_type(), "dispatch.completed");
        assert_eq!(event.timestamp.unix_seconds(), Some(1_774_175_400));
        assert!(event.extra.is_empty());
        let Data::DispatchCompleted(dispatch) = &event.data else {
            panic!("{event:?}");
        };
        assert_eq!(dispatch.dispatch_id, "dsp_a1b2c3d4");
        assert_eq!(dispatch.channel, "meta_ads");
        assert_eq!(dispatch.status, "completed");
        assert_eq!(dispatch.provider_resource_id, "23851234567890");
        assert!(dispatch.extra.is_empty());
    }

    #[test]
    fn keeps_unknown_fields_at_every_level() {
        let event = event(
            r#"{"event":"dispatch.completed","timestamp":"2026-03-22T10:30:00Z","id":"evt_1",
                "data":{"dispatch_id":"d","channel":"c","status":"s","provider_resource_id":"p",
                        "attempts":2}}"#,
        );
        assert_eq!(event.extra["id"], "evt_1");
        let Data::DispatchCompleted(dispatch) = &event.data else {
            panic!("{event:?}");
        };
        assert_eq!(dispatch.extra["attempts"], 2);
    }

    #[test]
    fn keeps_the_data_of_undocumented_events_and_unknown_events() {
        for (event_type, data) in EVENT_TYPES.iter().zip([
            r#"{"dispatch_id":"d"}"#,
            r#"{"dispatch_id":"d","channel":"c","status":"s","provider_resource_id":"p"}"#,
            r#"{"error":{"code":"invalid_creative"}}"#,
            r#"[1,2]"#,
            r#""text""#,
        ]) {
            let json = format!(
                r#"{{"event":"{event_type}","timestamp":"2026-03-22T10:30:00Z","data":{data}}}"#
            );
            let parsed = event(&json);
            assert_eq!(parsed.event_type(), *event_type);
            let back = serde_json::to_value(&parsed).unwrap();
            assert_eq!(back, serde_json::from_str::<Value>(&json).unwrap());
        }
        let unknown = event(r#"{"event":"billing.updated","timestamp":"soon","data":{"x":1}}"#);
        assert_eq!(
            unknown.data,
            Data::Other {
                event: "billing.updated".into(),
                data: serde_json::json!({"x": 1})
            }
        );
        assert_eq!(unknown.event_type(), "billing.updated");
        assert!(!unknown.timestamp.is_valid());
        let no_data = event(r#"{"event":"connection.active","timestamp":"2026-03-22T10:30:00Z"}"#);
        assert_eq!(no_data.data, Data::ConnectionActive(Value::Null));
    }

    #[test]
    fn round_trips_through_json() {
        let original = event(DOCUMENTED);
        let text = serde_json::to_string(&original).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), original);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            serde_json::from_str::<Value>(DOCUMENTED).unwrap()
        );
    }

    #[test]
    fn what_is_not_an_event_does_not_deserialize() {
        for json in [
            r#"{"timestamp":"2026-03-22T10:30:00Z"}"#,
            r#"{"event":7,"timestamp":"2026-03-22T10:30:00Z"}"#,
            r#"{"event":"connection.active"}"#,
            r#"{"event":"dispatch.completed","timestamp":"2026-03-22T10:30:00Z","data":{"dispatch_id":"d"}}"#,
            r#"{"event":"dispatch.completed","timestamp":"2026-03-22T10:30:00Z"}"#,
            r#"["dispatch.completed"]"#,
        ] {
            assert!(serde_json::from_str::<Event>(json).is_err(), "{json}");
        }
    }
}
