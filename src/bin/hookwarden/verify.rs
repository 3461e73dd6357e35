//! `hookwarden verify`: verify one delivery and explain a failure.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use hookwarden::diagnose::{
    self, diagnose_with, parse_pasted_headers, parse_raw_request, Audience, LikelyCause, Options,
};
use http::HeaderMap;

use crate::args::VerifyArgs;
use crate::report::{json_report, text_report, Style};
use crate::{read_input, InputError};

pub fn run(args: VerifyArgs) -> Result<ExitCode, InputError> {
    args.scheme
        .no_timestamp_option("--now", args.now.is_some())
        .map_err(InputError)?;
    args.scheme
        .no_timestamp_option("--tolerance", args.tolerance.is_some())
        .map_err(InputError)?;
    let secrets = args.secrets.collect().map_err(InputError)?;
    let (headers, body) = match (&args.request_file, &args.body_file) {
        (Some(file), _) => parse_raw_request(&read_input(file)?)
            .map_err(|e| InputError(format!("{}: {e}", file.display())))?,
        (None, Some(file)) => (header_args(&args.headers)?, read_input(file)?),
        (None, None) => {
            return Err(InputError(
                "give --body-file (with --header) or --request-file".to_owned(),
            ))
        }
    };
    let now = args.now.unwrap_or_else(SystemTime::now);
    let mut options = Options::new();
    if let Some(tolerance) = args.tolerance {
        options = options.tolerance(Duration::from_secs(tolerance));
    }
    let diagnosis = diagnose_with(
        &args.scheme.scheme(),
        &headers,
        &body,
        &secrets,
        now,
        &options,
    );
    // A secret that is no key of the scheme (and that no usual mistake
    // explains) is a usage error, as an empty one is.
    if let Some(cause @ LikelyCause::InvalidSecret { .. }) = diagnosis.likely_cause() {
        return Err(InputError(format!(
            "--secret: {}",
            cause.hint_for(Audience::Cli)
        )));
    }
    if args.json {
        println!("{}", json_report(&diagnosis));
    } else {
        print!(
            "{}",
            text_report(&diagnosis, &Style::stdout(), Audience::Cli)
        );
    }
    Ok(if diagnosis.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `--header` values, each parsed on its own so that an error names it.
fn header_args(args: &[String]) -> Result<HeaderMap, InputError> {
    let mut headers = HeaderMap::new();
    for arg in args {
        let parsed = parse_pasted_headers(arg).map_err(|e| {
            InputError(match e {
                diagnose::InputError::NotAHeaderLine { .. } => {
                    format!("--header {arg:?} is not `Name: value`")
                }
                _ => format!("--header {arg:?} has a header name or value HTTP does not allow"),
            })
        })?;
        for (name, value) in &parsed {
            headers.append(name, value.clone());
        }
    }
    Ok(headers)
}
