//! The one reading of a payload's own top-level `event` field: what the
//! dispatcher sends in MITPO's event header, and what the intake's opt-in
//! check compares the unsigned header with.

/// The payload's top-level `event`, when the payload is a JSON object and
/// `event` a string (the last one, if the key repeats, as `serde_json::Value`
/// reads it).
pub(crate) fn top_level_event(body: &[u8]) -> Option<String> {
    use serde::Deserializer as _;
    let mut reader = serde_json::Deserializer::from_slice(body);
    let event = reader.deserialize_map(TopLevelEvent).ok()?;
    reader.end().ok()?;
    event
}

/// Reads a JSON object's `event` string, skipping every other value.
struct TopLevelEvent;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_string_event_of_a_json_object_counts() {
        assert_eq!(
            top_level_event(br#"{"data":{"event":"x"},"event":"dispatch.failed"}"#).as_deref(),
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
            assert_eq!(top_level_event(body), None, "{body:?}");
        }
    }
}
