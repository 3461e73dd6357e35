//! What `verify` and `listen` print about a diagnosis: text or JSON.

use std::io::IsTerminal;
use std::time::Duration;

use hookwarden::diagnose::{Audience, Diagnosis};
use hookwarden::{Error, VerifiedDelivery};

use crate::escape::terminal_safe;

/// Colour only on a terminal, and never with `NO_COLOR`.
#[derive(Clone, Copy)]
pub struct Style {
    colour: bool,
}

impl Style {
    pub fn stdout() -> Self {
        Style {
            colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

pub fn json_report(d: &Diagnosis) -> serde_json::Value {
    match d.outcome() {
        Ok(v) => serde_json::json!({
            "ok": true,
            "error": null,
            "message": format!("verified {} delivery with secret #{}", v.scheme(), v.secret_index()),
            "likely_cause": null,
            "confirmed": null,
            "hint": null,
            "tried": d.tried(),
            "secret_index": v.secret_index(),
            "timestamp": v.timestamp(),
        }),
        Err(e) => serde_json::json!({
            "ok": false,
            "error": e.code(),
            "message": e.to_string(),
            "likely_cause": d.likely_cause().map(|c| c.code()),
            "confirmed": d.likely_cause().map(|c| c.is_confirmed()),
            "hint": d.likely_cause().map(|c| c.hint_for(Audience::Cli)),
            "tried": d.tried(),
            "secret_index": null,
            "timestamp": null,
        }),
    }
}

/// The verdict in text; what may carry a sender's bytes (the event header,
/// messages and hints) is escaped for the terminal.
pub fn text_report(d: &Diagnosis, style: &Style, audience: Audience) -> String {
    let mut out = verdict_line(d.outcome(), style);
    if let (Err(_), Some(cause)) = (d.outcome(), d.likely_cause()) {
        let how = if cause.is_confirmed() && cause.code().starts_with("timestamp_")
            || cause.code() == "clock_skew"
        {
            "confirmed by the timestamp"
        } else if cause.is_confirmed() {
            "confirmed: undoing it makes the signature match"
        } else if cause.code() == "different_secret" {
            "none of the usual mistakes explains it"
        } else {
            "from the request's evidence"
        };
        out.push_str(&format!(
            "likely cause: {} ({how})\nfix: {}\ntried: {}\n",
            cause.code(),
            safe(&cause.hint_for(audience)),
            d.tried().join(", ")
        ));
    }
    out
}

/// The verdict's first line: `verified: …` or `rejected: code (status): …`.
pub fn verdict_line(outcome: &Result<VerifiedDelivery, Error>, style: &Style) -> String {
    match outcome {
        Ok(v) => format!(
            "{} {} delivery, secret #{}, timestamp {}{}\n",
            style.paint("32;1", "verified:"),
            v.scheme(),
            v.secret_index(),
            v.timestamp().map_or("none".to_owned(), |t| t.to_string()),
            v.unsigned_event_type()
                .map(|e| format!(", event {} (unsigned header)", safe(e)))
                .unwrap_or_default()
        ),
        Err(e) => format!(
            "{} {} ({}): {}\n",
            style.paint("31;1", "rejected:"),
            e.code(),
            e.status().as_u16(),
            safe(&e.to_string())
        ),
    }
}

fn safe(text: &str) -> String {
    terminal_safe(text.as_bytes())
}

/// A duration as a person reads it: `0.4 ms`, `250 ms`, `1.2 s`, `2 min 5 s`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    let ms = secs * 1000.0;
    if d.is_zero() {
        "0 ms".to_owned()
    } else if ms < 0.05 {
        "< 0.1 ms".to_owned()
    } else if ms < 9.95 {
        format!("{ms:.1} ms")
    } else if ms < 999.5 {
        format!("{ms:.0} ms")
    } else if secs < 59.95 {
        format!("{secs:.1} s")
    } else {
        let whole = secs.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_would_write_them() {
        let cases = [
            (Duration::ZERO, "0 ms"),
            (Duration::from_nanos(20), "< 0.1 ms"),
            (Duration::from_micros(400), "0.4 ms"),
            (Duration::from_nanos(1_913_451), "1.9 ms"),
            (Duration::from_micros(9_960), "10 ms"),
            (Duration::from_millis(250), "250 ms"),
            (Duration::from_micros(999_600), "1.0 s"),
            (Duration::from_millis(1_234), "1.2 s"),
            (Duration::from_secs(30), "30.0 s"),
            (Duration::from_millis(59_960), "1 min 0 s"),
            (Duration::from_secs(125), "2 min 5 s"),
        ];
        for (d, text) in cases {
            assert_eq!(human_duration(d), text, "{d:?}");
        }
        assert!(human_duration(Duration::MAX).ends_with(" s"));
    }
}
