//! The command line: subcommands, their arguments, and the secrets.

use std::env::VarError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use hookwarden::diagnose::provider_name;
use hookwarden::Scheme;

#[derive(Parser)]
#[command(
    name = "hookwarden",
    version,
    about = "Verify, diagnose, sign and send webhooks: Mittr, MITPO, Stripe, Standard Webhooks, Svix, GitHub, Slack, Shopify"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Verify a delivery; on failure, say the most likely cause.
    Verify(VerifyArgs),
    /// Sign a body: print the headers and a ready curl command.
    Sign(SignArgs),
    /// Deliver a body through the reference dispatcher, printing each attempt.
    Send(SendArgs),
    /// Run a local receiver that prints each delivery's verdict, diagnosis and payload.
    ///
    /// It reads deliveries as a receiver does: a body of at most 1 MiB (413),
    /// within 30 s (408 body_timeout) and at 240 B/s after 5 s (408
    /// body_too_slow), from a budget of 64 MiB of unverified bytes of which
    /// one address holds at most a quarter and 64 deliveries (503
    /// overloaded); headers within 10 s, at most 1,024 connections, 64 per
    /// address. A body it did not read is answered with its error and one
    /// line (`not read: …`).
    ///
    /// Every delivery gets its verdict. A rejected one is diagnosed one at a
    /// time and within half a CPU core (decompressing at most 1 MiB); past
    /// that, its report and the `hookwarden-diagnosis` response header say
    /// `diagnosis skipped`. Each report prints at most 2 KiB, then at most
    /// 4 KiB of escaped payload, saying what was cut.
    Listen(ListenArgs),
}

/// A preset, as `--scheme` names it (`Scheme::PRESETS`).
#[derive(Clone, Copy)]
pub struct SchemeArg(&'static str);

impl SchemeArg {
    /// Parses `--scheme`: one of `Scheme::PRESETS`.
    fn parser() -> impl clap::builder::TypedValueParser<Value = SchemeArg> {
        PossibleValuesParser::new(Scheme::PRESETS).map(|name| {
            let name = Scheme::PRESETS
                .iter()
                .find(|p| **p == name)
                .copied()
                .unwrap_or("mittr");
            SchemeArg(name)
        })
    }

    /// The provider's name as it spells it.
    pub fn provider(self) -> &'static str {
        provider_name(self.0)
    }

    pub fn scheme(self) -> Scheme {
        Scheme::preset(self.0).unwrap_or_else(Scheme::mittr)
    }

    /// Whether its deliveries carry a timestamp.
    pub fn has_timestamp(self) -> bool {
        self.scheme().timestamp_source().is_some()
    }

    /// A usage error for `option` when the scheme has no timestamp: GitHub
    /// and Shopify deliveries carry none, so there is nothing to check.
    pub fn no_timestamp_option(self, option: &str, given: bool) -> Result<(), String> {
        if given && !self.has_timestamp() {
            return Err(format!(
                "{option}: {} deliveries carry no timestamp; leave it out",
                self.provider()
            ));
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct SecretArgs {
    /// A secret (repeat for rotation). Prefer --secret-env: arguments show in `ps`.
    #[arg(long = "secret", value_name = "S")]
    secrets: Vec<String>,
    /// An environment variable holding a secret (repeatable).
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
}

impl SecretArgs {
    /// The secrets, `--secret` values first, then `--secret-env` ones, each
    /// in the order given.
    pub fn collect(&self) -> Result<Vec<String>, String> {
        let mut secrets = Vec::with_capacity(self.secrets.len() + self.secret_envs.len());
        for (i, secret) in self.secrets.iter().enumerate() {
            if secret.is_empty() {
                return Err(format!("--secret #{} is empty", i + 1));
            }
            secrets.push(secret.clone());
        }
        for var in &self.secret_envs {
            secrets.push(env_secret(var)?);
        }
        if secrets.is_empty() {
            return Err("give at least one --secret or --secret-env".to_owned());
        }
        Ok(secrets)
    }
}

fn env_secret(var: &str) -> Result<String, String> {
    match std::env::var(var) {
        Ok(secret) if secret.is_empty() => Err(format!("environment variable {var} is empty")),
        Ok(secret) => Ok(secret),
        Err(VarError::NotPresent) => Err(format!("environment variable {var} is not set")),
        Err(VarError::NotUnicode(_)) => {
            Err(format!("environment variable {var} is not valid UTF-8"))
        }
    }
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The provider's scheme.
    #[arg(long, value_parser = SchemeArg::parser())]
    pub scheme: SchemeArg,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// A header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE", conflicts_with = "request_file")]
    pub body_file: Option<PathBuf>,
    /// A raw HTTP request (request line, headers, blank line, body), instead of --header and --body-file.
    #[arg(long, value_name = "FILE", conflicts_with = "headers")]
    pub request_file: Option<PathBuf>,
    /// Check the timestamp against this time (unix seconds) instead of now
    /// (not for schemes without a timestamp: GitHub, Shopify).
    #[arg(long, value_name = "UNIX", value_parser = unix_time)]
    pub now: Option<SystemTime>,
    /// Tolerance in seconds, past and future (default: the scheme's, 300;
    /// not for schemes without a timestamp).
    #[arg(long, value_name = "SECS")]
    pub tolerance: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct SignArgs {
    /// The provider's scheme.
    #[arg(long, value_parser = SchemeArg::parser())]
    pub scheme: SchemeArg,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE")]
    pub body_file: PathBuf,
    /// The timestamp to sign with (unix seconds); now by default (not for
    /// schemes without a timestamp: GitHub, Shopify).
    #[arg(long, value_name = "UNIX")]
    pub timestamp: Option<u64>,
    /// The delivery id (Standard Webhooks' and Svix's `webhook-id`, signed;
    /// GitHub's and Shopify's, unsigned); Standard Webhooks and Svix derive
    /// one from the body by default.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// The event header's value (MITPO, GitHub, Shopify; default: the
    /// payload's `event` field).
    #[arg(long, value_name = "TYPE")]
    pub event: Option<String>,
    /// The URL for the printed curl command.
    #[arg(long, default_value = "http://127.0.0.1:3000/webhooks/<scheme>")]
    pub url: String,
}

#[derive(Args)]
pub struct SendArgs {
    /// Where to deliver (http://).
    pub url: String,
    /// The provider's scheme.
    #[arg(long, value_parser = SchemeArg::parser())]
    pub scheme: SchemeArg,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE")]
    pub body_file: PathBuf,
    /// The event header's value (MITPO, GitHub, Shopify; default: the
    /// payload's `event` field).
    #[arg(long, value_name = "TYPE")]
    pub event: Option<String>,
    /// Attempts in all (at least 1).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub attempts: u32,
}

#[derive(Args)]
pub struct ListenArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The provider's scheme.
    #[arg(long, value_parser = SchemeArg::parser())]
    pub scheme: SchemeArg,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Tolerance in seconds, past and future (default: the scheme's, 300;
    /// not for schemes without a timestamp).
    #[arg(long, value_name = "SECS")]
    pub tolerance: Option<u64>,
}

/// Unix seconds as a `SystemTime`; a usage error past what the system's
/// clock can represent (instead of the panic of `UNIX_EPOCH + secs`).
fn unix_time(text: &str) -> Result<SystemTime, String> {
    let secs: u64 = text
        .parse()
        .map_err(|e| format!("not unix seconds ({e})"))?;
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .ok_or_else(|| "out of range: this system's clock cannot represent that time".to_owned())
}
