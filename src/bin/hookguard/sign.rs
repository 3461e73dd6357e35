//! `hookguard sign`: the headers a provider would send, and a curl command.

use std::process::ExitCode;

use hookguard::dispatcher::payload_event;
use hookguard::{Scheme, Signer};

use crate::args::SignArgs;
use crate::{read_input, InputError};

pub fn run(args: SignArgs) -> Result<ExitCode, InputError> {
    let secrets = args.secrets.collect().map_err(InputError)?;
    let scheme = args.scheme.scheme();
    let body = read_input(&args.body_file)?;
    let signer = signer(&scheme, &secrets[0], args.event.as_deref(), &body)?;
    let signed = match args.timestamp {
        Some(ts) => signer.sign(ts, &body),
        None => signer.sign_now(&body),
    };
    let url = args.url.replace("<scheme>", scheme.kind().as_str());
    let mut curl = format!("curl --url '{url}' -X POST -H 'Content-Type: application/json'");
    for (name, value) in signed.iter() {
        let value = value.to_str().unwrap_or_default();
        println!("{name}: {value}");
        curl.push_str(&format!(" -H '{name}: {value}'"));
    }
    let data = if args.body_file.as_os_str() == "-" {
        "--data-binary @-".to_owned()
    } else {
        format!("--data-binary '@{}'", args.body_file.display())
    };
    println!("\n{curl} {data}");
    Ok(ExitCode::SUCCESS)
}

/// A signer for `secret`, with the scheme's event header (if it has one)
/// from `--event`, else from the payload's `event` field, as `send` does.
fn signer(
    scheme: &Scheme,
    secret: &str,
    event: Option<&str>,
    body: &[u8],
) -> Result<Signer, InputError> {
    let signer = Signer::new(scheme.clone(), secret)?;
    if scheme.event_header().is_none() {
        return Ok(signer);
    }
    match event {
        Some(event) => signer
            .with_event_type(event)
            .map_err(|e| InputError(format!("--event: {e}"))),
        None => match payload_event(body) {
            Some(event) => signer
                .with_event_type(&event)
                .map_err(|e| InputError(format!("the payload's `event` field: {e}; pass --event"))),
            None => Ok(signer),
        },
    }
}
