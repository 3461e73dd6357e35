//! `hookguard verify`: verify one delivery and explain a failure.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use hookguard::diagnose::{diagnose_with_tolerance, parse_pasted_headers, parse_raw_request};

use crate::args::VerifyArgs;
use crate::report::{json_report, text_report, Style};
use crate::{read_input, InputError};

pub fn run(args: VerifyArgs) -> Result<ExitCode, InputError> {
    let secrets = args.secrets.collect().map_err(InputError)?;
    let (headers, body) = match (&args.request_file, &args.body_file) {
        (Some(file), _) => parse_raw_request(&read_input(file)?)?,
        (None, Some(file)) => (
            parse_pasted_headers(&args.headers.join("\n"))?,
            read_input(file)?,
        ),
        (None, None) => {
            return Err(InputError(
                "give --body-file (with --header) or --request-file".to_owned(),
            ))
        }
    };
    let now = args.now.unwrap_or_else(SystemTime::now);
    let diagnosis = diagnose_with_tolerance(
        &args.scheme.scheme(),
        &headers,
        &body,
        &secrets,
        now,
        Duration::from_secs(args.tolerance),
    );
    if args.json {
        println!("{}", json_report(&diagnosis));
    } else {
        print!("{}", text_report(&diagnosis, &Style::stdout()));
    }
    Ok(if diagnosis.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
