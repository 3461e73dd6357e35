//! `hookguard sign`: the headers a provider would send, and a curl command.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use hookguard::signature::MAX_ENTRIES;
use hookguard::timestamp::unix_seconds;
use hookguard::{Scheme, Signer};
use http::{HeaderName, HeaderValue};

use crate::args::SignArgs;
use crate::curl;
use crate::event::{self, Event};
use crate::{read_input, InputError};

pub fn run(args: SignArgs) -> Result<ExitCode, InputError> {
    let secrets = args.secrets.collect().map_err(InputError)?;
    let scheme = args.scheme.scheme();
    let body = read_input(&args.body_file)?;
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| unix_seconds(SystemTime::now()));
    let event = event::resolve(args.scheme, args.event.as_deref(), &body)?;
    let signers = secrets
        .iter()
        .map(|secret| signer(&scheme, secret, event.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let signed = sign_with_all(&signers, timestamp, &body)?;
    let mut out = std::io::stdout().lock();
    for (name, value) in &signed {
        out.write_all(format!("{name}: ").as_bytes())?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let url = args.url.replace("<scheme>", scheme.kind().as_str());
    let body = match args.body_file.to_str() {
        Some(path) if path != "-" => curl::Body::File(path),
        _ => curl::Body::Inline(&body),
    };
    writeln!(out, "\n{}", curl::command(&url, &signed, body))?;
    Ok(ExitCode::SUCCESS)
}

/// A signer for `secret`, with the event header's value if there is one.
fn signer(scheme: &Scheme, secret: &str, event: Option<&Event>) -> Result<Signer, InputError> {
    let signer = Signer::new(scheme.clone(), secret)?;
    match event {
        Some(event) => signer
            .with_event_type(&event.value)
            .map_err(|e| InputError(format!("{}: {e}", event.source))),
        None => Ok(signer),
    }
}

/// The headers signed with every secret, as a provider sends them during a
/// rotation: the first signer's headers, with one signature entry per
/// secret, in order, comma-separated (`v1=<a>,v1=<b>`).
fn sign_with_all(
    signers: &[Signer],
    timestamp: u64,
    body: &[u8],
) -> Result<Vec<(HeaderName, HeaderValue)>, InputError> {
    if signers.len() > MAX_ENTRIES {
        return Err(InputError(format!(
            "{} secrets given, at most {MAX_ENTRIES}: a verifier reads at most \
             {MAX_ENTRIES} signature entries",
            signers.len()
        )));
    }
    let first = &signers[0];
    let prefix = first.scheme().kind().signature_prefix();
    let entries: Vec<String> = signers
        .iter()
        .map(|s| format!("{prefix}{}", hex::encode(s.digest(timestamp, body))))
        .collect();
    let signature = HeaderValue::try_from(entries.join(","))?;
    let name = first.scheme().signature_header();
    Ok(first
        .sign(timestamp, body)
        .into_iter()
        .map(|(n, v)| {
            let v = if n == name { signature.clone() } else { v };
            (n, v)
        })
        .collect())
}
