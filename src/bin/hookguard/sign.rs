//! `hookguard sign`: the headers a provider would send, and a curl command.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use hookguard::signature::MAX_ENTRIES;
use hookguard::timestamp::unix_seconds;
use hookguard::{Scheme, Signer};

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
    let signer = signer(&scheme, &secrets, event.as_ref())?;
    let signed = signer.sign(timestamp, &body).into_vec();
    let mut out = std::io::stdout().lock();
    for (name, value) in &signed {
        out.write_all(format!("{name}: ").as_bytes())?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let url = args.url.replace("<scheme>", scheme.name());
    let body = match args.body_file.to_str() {
        Some(path) if path != "-" => curl::Body::File(path),
        _ => curl::Body::Inline(&body),
    };
    writeln!(out, "\n{}", curl::command(&url, &signed, body))?;
    Ok(ExitCode::SUCCESS)
}

/// A signer with every secret, in order (one signature entry each, as a
/// provider sends them during a rotation), and the event header's value if
/// there is one.
fn signer(
    scheme: &Scheme,
    secrets: &[String],
    event: Option<&Event>,
) -> Result<Signer, InputError> {
    if secrets.len() > MAX_ENTRIES {
        return Err(InputError(format!(
            "{} secrets given, at most {MAX_ENTRIES}: a verifier reads at most \
             {MAX_ENTRIES} signature entries",
            secrets.len()
        )));
    }
    let mut signer = Signer::new(scheme.clone(), secrets[0].as_str())?;
    for secret in &secrets[1..] {
        signer = signer.and_secret(secret.as_str())?;
    }
    match event {
        Some(event) => signer
            .with_event_type(&event.value)
            .map_err(|e| InputError(format!("{}: {e}", event.source))),
        None => Ok(signer),
    }
}
