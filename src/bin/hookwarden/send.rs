//! `hookwarden send`: deliver through the reference dispatcher.

use std::process::ExitCode;

use hookwarden::dispatcher::{Attempt, Delivery, Dispatcher, RetryPolicy, SendError};
use hookwarden::ConfigError;

use crate::args::SendArgs;
use crate::escape::terminal_safe;
use crate::event::{self, Event};
use crate::report::{human_duration, Style};
use crate::{read_input, InputError};

pub fn run(args: SendArgs) -> Result<ExitCode, InputError> {
    let secrets = args.secrets.collect().map_err(InputError)?;
    let body = read_input(&args.body_file)?;
    let event = event::resolve(args.scheme, args.event.as_deref(), &body)?;
    let delivery = delivery(&args, &secrets[0], event.as_ref(), body)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dispatcher = Dispatcher::builder()
        .retry(RetryPolicy {
            max_attempts: args.attempts,
            ..RetryPolicy::default()
        })
        .build();
    let report = runtime.block_on(dispatcher.deliver(delivery));
    let style = Style::stdout();
    for attempt in report.attempts() {
        println!("{}", attempt_line(attempt));
    }
    if report.delivered() {
        println!("{}", style.paint("32;1", "delivered"));
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}", style.paint("31;1", "not delivered"));
        Ok(ExitCode::from(1))
    }
}

/// The delivery, each error naming what is wrong: the URL, `--event`, or
/// the payload's `event` field.
fn delivery(
    args: &SendArgs,
    secret: &str,
    event: Option<&Event>,
    body: Vec<u8>,
) -> Result<Delivery, InputError> {
    let delivery = Delivery::new(&args.url, args.scheme.scheme(), secret, body).map_err(|e| {
        InputError(match e {
            SendError::InvalidUrl(_) => format!("cannot send to {}: {e}", args.url),
            SendError::Config(ConfigError::InvalidEventType) => {
                format!("the payload's `event` field: {e}")
            }
            e => e.to_string(),
        })
    })?;
    match event {
        Some(event) => delivery
            .with_event_type(&event.value)
            .map_err(|e| InputError(format!("{}: {e}", event.source))),
        None => Ok(delivery),
    }
}

/// `attempt 2 after waiting 1.0 s: HTTP 200, took 1.9 ms`.
fn attempt_line(a: &Attempt) -> String {
    let waited = if a.number > 1 {
        format!(" after waiting {}", human_duration(a.delay_before))
    } else {
        String::new()
    };
    // The receiver chose the error code (and a connection error's text
    // may quote it): escaped for the terminal.
    let code = a
        .error_code
        .as_deref()
        .map(|c| format!(" ({})", terminal_safe(c.as_bytes())))
        .unwrap_or_default();
    format!(
        "attempt {}{waited}: {}{code}, took {}",
        a.number,
        terminal_safe(a.outcome.to_string().as_bytes()),
        human_duration(a.elapsed)
    )
}
