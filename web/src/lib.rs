//! The in-browser verifier's Rust side: one thin binding over
//! [`hookwarden::diagnose`]. Nothing here verifies by itself.
//!
//! The page writes one request frame into the buffer that [`input_buffer`]
//! returns, calls [`run`], and reads the JSON answer at [`output_ptr`] /
//! [`output_len`]. No `unsafe` block: the buffers are plain `Vec`s whose
//! addresses are handed to JavaScript, which reads and writes the module's
//! memory. The only exception to `deny(unsafe_code)` is the `no_mangle`
//! attribute that exports the four functions under fixed names.
//!
//! Frame: a sequence of fields, each a little-endian `u32` length and that
//! many bytes, in this order: scheme (a preset's name, as `--scheme` takes
//! it: `mittr`, `stripe`, `standard-webhooks`, …), pasted headers or
//! raw request, body, now (unix seconds as text, empty for none), tolerance
//! in seconds (text), then one field per secret, byte for byte as typed.
#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::cell::RefCell;
use std::time::{Duration, UNIX_EPOCH};

use hookwarden::diagnose::{
    diagnose_with, parse_pasted_headers, parse_raw_request, Audience, LikelyCause, Options,
};
use hookwarden::{Scheme, Secret};
use serde_json::{json, Value};

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes the input buffer `len` bytes long and returns its address.
#[allow(unsafe_code)] // `no_mangle`: exported to JavaScript by name
#[no_mangle]
pub extern "C" fn input_buffer(len: usize) -> *mut u8 {
    INPUT.with(|input| {
        let mut input = input.borrow_mut();
        input.clear();
        input.resize(len, 0);
        input.as_mut_ptr()
    })
}

/// Runs the diagnosis on the input frame; the answer is at [`output_ptr`].
#[allow(unsafe_code)] // `no_mangle`: exported to JavaScript by name
#[no_mangle]
pub extern "C" fn run() {
    let answer = INPUT.with(|input| answer(&input.borrow()));
    let text = answer.to_string().into_bytes();
    INPUT.with(|input| {
        // Secrets were in there: wipe them.
        input.borrow_mut().iter_mut().for_each(|b| *b = 0);
    });
    OUTPUT.with(|output| *output.borrow_mut() = text);
}

/// Address of the JSON answer.
#[allow(unsafe_code)] // `no_mangle`: exported to JavaScript by name
#[no_mangle]
pub extern "C" fn output_ptr() -> *const u8 {
    OUTPUT.with(|output| output.borrow().as_ptr())
}

/// Length of the JSON answer in bytes.
#[allow(unsafe_code)] // `no_mangle`: exported to JavaScript by name
#[no_mangle]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with(|output| output.borrow().len())
}

/// Splits a frame into its fields.
pub fn fields(mut frame: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !frame.is_empty() {
        let len = u32::from_le_bytes(frame.get(..4)?.try_into().ok()?) as usize;
        out.push(frame.get(4..4 + len)?);
        frame = &frame[4 + len..];
    }
    Some(out)
}

fn input_error(message: impl std::fmt::Display) -> Value {
    json!({ "ok": false, "input_error": message.to_string() })
}

/// The answer to one request frame, as JSON.
pub fn answer(frame: &[u8]) -> Value {
    let Some(fields) = fields(frame) else {
        return input_error("the page sent a malformed request");
    };
    if fields.len() < 6 {
        return input_error("give at least one secret");
    }
    let Some(scheme) = std::str::from_utf8(fields[0]).ok().and_then(Scheme::preset) else {
        return input_error("choose a provider");
    };
    let pasted = String::from_utf8_lossy(fields[1]);
    // A whole raw request (request line, headers, blank line, body) is
    // accepted in the headers field; its body wins over the body field.
    let looks_raw = pasted.lines().next().is_some_and(|l| l.contains(" HTTP/"))
        && (pasted.contains("\n\n") || pasted.contains("\r\n\r\n"));
    let (headers, body) = if looks_raw {
        match parse_raw_request(fields[1]) {
            Ok((headers, body)) if !body.is_empty() || fields[2].is_empty() => (headers, body),
            Ok((headers, _)) => (headers, fields[2].to_vec()),
            Err(e) => return input_error(e),
        }
    } else {
        match parse_pasted_headers(&pasted) {
            Ok(headers) => (headers, fields[2].to_vec()),
            Err(e) => return input_error(format!("headers: {e}")),
        }
    };
    let now_text = String::from_utf8_lossy(fields[3]);
    let now = match now_text.trim() {
        "" => return input_error("no clock reading"),
        t => match t.parse::<u64>() {
            Ok(n) => UNIX_EPOCH + Duration::from_secs(n),
            Err(_) => return input_error("\"now\" must be unix seconds"),
        },
    };
    let options = match String::from_utf8_lossy(fields[4]).trim() {
        "" => Options::new(),
        t => match t.parse::<u64>() {
            Ok(n) => Options::new().tolerance(Duration::from_secs(n)),
            Err(_) => return input_error("the tolerance must be whole seconds"),
        },
    };
    let secrets: Vec<&[u8]> = fields[5..]
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        return input_error("give at least one secret");
    }
    let d = diagnose_with(&scheme, &headers, &body, &secrets, now, &options);
    if let Some(cause @ LikelyCause::InvalidSecret { .. }) = d.likely_cause() {
        return json!({
            "ok": false,
            "input_error": cause.hint_for(Audience::Page),
            "likely_cause": cause.code(),
            "tried": d.tried(),
        });
    }
    let fingerprints: Vec<String> = secrets
        .iter()
        .map(|s| Secret::from(*s).fingerprint())
        .collect();
    match d.outcome() {
        Ok(v) => json!({
            "ok": true,
            "scheme": v.scheme(),
            "secret_index": v.secret_index(),
            "secret_fingerprint": fingerprints[v.secret_index()],
            "timestamp": v.timestamp(),
            "unsigned_event_type": v.unsigned_event_type(),
            "body_len": body.len(),
        }),
        Err(e) => json!({
            "ok": false,
            "error": e.code(),
            "status": e.status().as_u16(),
            "message": e.to_string(),
            "likely_cause": d.likely_cause().map(|c| c.code()),
            "confirmed": d.likely_cause().map(|c| c.is_confirmed()),
            "hint": d.likely_cause().map(|c| c.hint_for(Audience::Page)),
            "tried": d.tried(),
            "body_len": body.len(),
        }),
    }
}

#[cfg(test)]
#[path = "../../tests/common/mistakes.rs"]
mod mistakes;

#[cfg(test)]
mod tests {
    use super::*;
    use hookwarden::diagnose::CODES;
    use hookwarden::Signer;

    /// Every catalogued mistake (`tests/common/mistakes.rs`) through the
    /// module's entry point, as the page sends it.
    #[test]
    fn every_mistake_is_named_through_the_page_module() {
        let mut failures = Vec::new();
        for m in super::mistakes::all() {
            let headers = m.header_text();
            let now = super::mistakes::NOW.to_string();
            let mut parts: Vec<&[u8]> = vec![
                m.scheme.as_bytes(),
                headers.as_bytes(),
                &m.body,
                now.as_bytes(),
                b"",
            ];
            parts.extend(m.secrets.iter().map(|s| s.as_bytes()));
            let out = answer(&frame(&parts));
            let got = if out["ok"] == true {
                "ok".to_owned()
            } else {
                out["likely_cause"].as_str().unwrap_or("none").to_owned()
            };
            if got != m.cause {
                failures.push(format!(
                    "{} ({}): expected {}, got {out}",
                    m.name, m.scheme, m.cause
                ));
                continue;
            }
            let text = out.to_string();
            for secret in &m.secrets {
                let secret = secret.trim_matches(|c: char| c.is_whitespace() || c == '"');
                assert!(
                    !text.contains(secret),
                    "{}: the secret leaked: {text}",
                    m.name
                );
            }
            if m.cause == "ok" {
                continue;
            }
            let tried: Vec<&str> = out["tried"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert!(
                tried.contains(&m.cause) && tried.iter().all(|c| CODES.contains(c)),
                "{text}"
            );
            let hint = out["hint"]
                .as_str()
                .or(out["input_error"].as_str())
                .unwrap();
            assert!(
                !hint.contains("--scheme") && !hint.contains("Scheme::"),
                "{}: not in the page's terms: {hint}",
                m.name
            );
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    fn frame(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
            out.extend_from_slice(p);
        }
        out
    }

    fn pasted(scheme: Scheme, secret: &str, ts: u64, body: &[u8]) -> String {
        Signer::new(scheme, secret)
            .unwrap()
            .sign(ts, body)
            .iter()
            .map(|(n, v)| format!("{}: {}\n", n.as_str().to_uppercase(), v.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn verifies_pasted_headers() {
        let headers = pasted(Scheme::mittr(), "s", 1_764_072_000, b"{}");
        let out = answer(&frame(&[
            b"mittr",
            headers.as_bytes(),
            b"{}",
            b"1764072000",
            b"",
            b"s",
        ]));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["secret_index"], 0);
    }

    #[test]
    fn explains_a_secret_with_a_trailing_newline() {
        let headers = pasted(Scheme::mittr(), "s3cret", 1_764_072_000, b"{}");
        let out = answer(&frame(&[
            b"mittr",
            headers.as_bytes(),
            b"{}",
            b"1764072000",
            b"300",
            b"s3cret\n",
        ]));
        assert_eq!(out["likely_cause"], "secret_whitespace", "{out}");
        assert!(!out.to_string().contains("s3cret"));
    }

    #[test]
    fn accepts_a_whole_raw_request() {
        let headers = pasted(Scheme::mitpo(), "whsec_x", 1_764_072_000, b"body");
        let raw = format!("POST /hook HTTP/1.1\nHost: a\n{headers}\nbody");
        let out = answer(&frame(&[
            b"mitpo",
            raw.as_bytes(),
            b"",
            b"1764072000",
            b"",
            b"whsec_x",
        ]));
        assert_eq!(out["ok"], true, "{out}");
    }

    #[test]
    fn reports_input_errors_plainly() {
        assert!(answer(b"\x05").get("input_error").is_some());
        let out = answer(&frame(&[b"mittr", b"not a header", b"", b"1", b"", b"s"]));
        assert!(
            out["input_error"].as_str().unwrap().contains("line 1"),
            "{out}"
        );
        let out = answer(&frame(&[b"mittr", b"", b"", b"1", b""]));
        assert_eq!(out["input_error"], "give at least one secret");
        let out = answer(&frame(&[b"acme", b"", b"", b"1", b"", b"s"]));
        assert_eq!(out["input_error"], "choose a provider");
    }
}
