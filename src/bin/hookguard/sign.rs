//! `hookguard sign`: the headers a provider would send, and a curl command.

use std::process::ExitCode;

use hookguard::Signer;

use crate::args::SignArgs;
use crate::{read_input, InputError};

pub fn run(args: SignArgs) -> Result<ExitCode, InputError> {
    let secrets = args.secrets.collect().map_err(InputError)?;
    let scheme = args.scheme.scheme();
    let body = read_input(&args.body_file)?;
    let mut signer = Signer::new(scheme.clone(), secrets[0].as_str())?;
    if let Some(event) = &args.event {
        signer = signer.with_event_type(event)?;
    }
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
