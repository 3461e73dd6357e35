//! `hookwarden`: verify, diagnose, sign, send and receive webhooks of every
//! preset (Mittr, MITPO, Stripe, Standard Webhooks, Svix, GitHub, Slack,
//! Shopify) from the command line.
//!
//! Exit codes: 0 verified (or done), 1 rejected, 2 usage or input error.

mod args;
mod curl;
mod escape;
mod event;
mod gate;
mod listen;
mod output;
mod report;
mod send;
mod serve;
mod sign;
mod verify;
mod web;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Usage or input errors: exit code 2.
pub struct InputError(pub String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(e: E) -> Self {
        InputError(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(args) => verify::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Send(args) => send::run(args),
        Command::Listen(args) => listen::run(args),
    };
    match result {
        Ok(code) => code,
        Err(InputError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads a whole file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, InputError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| InputError(format!("standard input: {e}")))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| InputError(format!("{}: {e}", path.display())))
    }
}
