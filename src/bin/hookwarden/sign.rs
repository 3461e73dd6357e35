//! `hookwarden sign`: the headers a provider would send, and a curl command.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use hookwarden::signature::MAX_ENTRIES;
use hookwarden::time::unix_seconds;
use hookwarden::Signer;

use crate::args::{SchemeArg, SignArgs};
use crate::curl;
use crate::event::{self, Event};
use crate::{read_input, InputError};

pub fn run(args: SignArgs) -> Result<ExitCode, InputError> {
    args.scheme
        .no_timestamp_option("--timestamp", args.timestamp.is_some())
        .map_err(InputError)?;
    let secrets = args.secrets.collect().map_err(InputError)?;
    let scheme = args.scheme.scheme();
    if args.id.is_some() && scheme.delivery_id_headers().is_empty() {
        return Err(InputError(format!(
            "--id: {} deliveries carry no delivery id",
            args.scheme.provider()
        )));
    }
    let body = read_input(&args.body_file)?;
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| unix_seconds(SystemTime::now()));
    let event = event::resolve(args.scheme, args.event.as_deref(), &body)?;
    let signer = signer(args.scheme, &secrets, event.as_ref())?;
    let signed = match &args.id {
        Some(id) => signer
            .sign_with_id(timestamp, id, &body)
            .map_err(|e| InputError(format!("--id: {e}")))?,
        None => signer.sign(timestamp, &body),
    }
    .into_vec();
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
    scheme_arg: SchemeArg,
    secrets: &[String],
    event: Option<&Event>,
) -> Result<Signer, InputError> {
    let scheme = &scheme_arg.scheme();
    let format = scheme.signature_format();
    if secrets.len() > 1 && (format.label_separator().is_none() || format.delimiters().is_empty()) {
        return Err(InputError(format!(
            "{} secrets given: {} deliveries carry one signature, so sign with one secret",
            secrets.len(),
            scheme_arg.provider()
        )));
    }
    if secrets.len() > MAX_ENTRIES {
        return Err(InputError(format!(
            "{} secrets given, at most {MAX_ENTRIES}: a verifier reads at most \
             {MAX_ENTRIES} signature entries",
            secrets.len()
        )));
    }
    let key_error = |i: usize, e: hookwarden::ConfigError| {
        // `e` names the secret by its position.
        let hint = if secrets[i].starts_with("whpk_") {
            ": `whpk_` keys are public keys for verifying; sign with the `whsk_` key"
        } else {
            ""
        };
        InputError(format!("--secret: {e}{hint}"))
    };
    let mut signer =
        Signer::new(scheme.clone(), secrets[0].as_str()).map_err(|e| key_error(0, e))?;
    for (i, secret) in secrets.iter().enumerate().skip(1) {
        signer = signer
            .and_secret(secret.as_str())
            .map_err(|e| key_error(i, e))?;
    }
    match event {
        Some(event) => signer
            .with_event_type(&event.value)
            .map_err(|e| InputError(format!("{}: {e}", event.source))),
        None => Ok(signer),
    }
}
