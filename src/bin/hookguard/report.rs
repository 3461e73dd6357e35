//! What `verify` and `listen` print about a diagnosis: text or JSON.

use std::io::IsTerminal;

use hookguard::diagnose::Diagnosis;

/// Colour only on a terminal, and never with `NO_COLOR`.
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
            "hint": null,
            "secret_index": v.secret_index(),
            "timestamp": v.timestamp(),
        }),
        Err(e) => serde_json::json!({
            "ok": false,
            "error": e.code(),
            "message": e.to_string(),
            "likely_cause": d.likely_cause().map(|c| c.code()),
            "hint": d.likely_cause().map(|c| c.hint()),
            "secret_index": null,
            "timestamp": null,
        }),
    }
}

pub fn text_report(d: &Diagnosis, style: &Style) -> String {
    match d.outcome() {
        Ok(v) => format!(
            "{} {} delivery, secret #{}, timestamp {}{}\n",
            style.paint("32;1", "verified:"),
            v.scheme(),
            v.secret_index(),
            v.timestamp(),
            v.unsigned_event_type()
                .map(|e| format!(", event {e} (unsigned header)"))
                .unwrap_or_default()
        ),
        Err(e) => {
            let mut out = format!(
                "{} {} ({}): {e}\n",
                style.paint("31;1", "rejected:"),
                e.code(),
                e.status().as_u16()
            );
            if let Some(cause) = d.likely_cause() {
                out.push_str(&format!(
                    "likely cause: {}\nfix: {}\n",
                    cause.code(),
                    cause.hint()
                ));
            }
            out
        }
    }
}
