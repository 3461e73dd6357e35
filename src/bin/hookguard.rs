//! `hookguard`: verify, diagnose, sign, send and receive Mittr and MITPO
//! webhooks from the command line.
//!
//! Exit codes: 0 verified (or done), 1 rejected, 2 usage or input error.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand, ValueEnum};
use hookguard::diagnose::{
    diagnose_with_tolerance, parse_pasted_headers, parse_raw_request, Diagnosis,
};
use hookguard::{Scheme, Signer};

#[derive(Parser)]
#[command(
    name = "hookguard",
    version,
    about = "Verify, diagnose, sign and send Mittr and MITPO webhooks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a delivery; on failure, say the most likely cause.
    Verify(VerifyArgs),
    /// Sign a body: print the headers and a ready curl command.
    Sign(SignArgs),
    /// Deliver a body through the reference dispatcher, printing each attempt.
    Send(SendArgs),
    /// Run a local receiver that prints each delivery's verdict, diagnosis and payload.
    Listen(ListenArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemeArg {
    Mittr,
    Mitpo,
}

impl SchemeArg {
    fn scheme(self) -> Scheme {
        match self {
            SchemeArg::Mittr => Scheme::mittr(),
            SchemeArg::Mitpo => Scheme::mitpo(),
        }
    }
}

#[derive(Args)]
struct SecretArgs {
    /// A secret (repeat for rotation). Prefer --secret-env: arguments show in `ps`.
    #[arg(long = "secret", value_name = "S")]
    secrets: Vec<String>,
    /// An environment variable holding a secret (repeatable).
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
}

impl SecretArgs {
    fn collect(&self) -> Result<Vec<String>, String> {
        let mut secrets = self.secrets.clone();
        for var in &self.secret_envs {
            secrets.push(
                std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?,
            );
        }
        if secrets.is_empty() {
            return Err("give at least one --secret or --secret-env".to_owned());
        }
        if secrets.iter().any(String::is_empty) {
            return Err("a secret is empty".to_owned());
        }
        Ok(secrets)
    }
}

#[derive(Args)]
struct VerifyArgs {
    #[arg(long, value_enum)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// A header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE", conflicts_with = "request_file")]
    body_file: Option<PathBuf>,
    /// A raw HTTP request (request line, headers, blank line, body), instead of --header and --body-file.
    #[arg(long, value_name = "FILE")]
    request_file: Option<PathBuf>,
    /// Check the timestamp against this time (unix seconds) instead of now.
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// Tolerance in seconds, past and future.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    tolerance: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SignArgs {
    #[arg(long, value_enum)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// The timestamp to sign with (unix seconds); now by default.
    #[arg(long, value_name = "UNIX")]
    timestamp: Option<u64>,
    /// MITPO's event header value.
    #[arg(long, value_name = "TYPE")]
    event: Option<String>,
    /// The URL for the printed curl command.
    #[arg(long, default_value = "http://127.0.0.1:3000/webhooks/<scheme>")]
    url: String,
}

#[derive(Args)]
struct SendArgs {
    /// Where to deliver (http://).
    url: String,
    #[arg(long, value_enum)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// The raw body, or - for standard input.
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// MITPO's event header value (default: the payload's `event` field).
    #[arg(long, value_name = "TYPE")]
    event: Option<String>,
    /// Attempts in all.
    #[arg(long, default_value_t = 5)]
    attempts: u32,
}

#[derive(Args)]
struct ListenArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    #[arg(long, value_enum)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// Tolerance in seconds, past and future.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    tolerance: u64,
}

/// Usage or input errors: exit code 2.
struct InputError(String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(e: E) -> Self {
        InputError(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(args) => verify(args),
        Command::Sign(args) => sign(args),
        Command::Send(args) => send(args),
        Command::Listen(args) => listen(args),
    };
    match result {
        Ok(code) => code,
        Err(InputError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, InputError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| InputError(format!("{}: {e}", path.display())))
    }
}

struct Style {
    colour: bool,
}

impl Style {
    fn stdout() -> Self {
        Style {
            colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn verify(args: VerifyArgs) -> Result<ExitCode, InputError> {
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
    let now = args
        .now
        .map_or_else(SystemTime::now, |s| UNIX_EPOCH + Duration::from_secs(s));
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

fn json_report(d: &Diagnosis) -> serde_json::Value {
    match d.outcome() {
        Ok(v) => serde_json::json!({
            "ok": true,
            "error": null,
            "message": format!("verified {} delivery with secret #{}", v.scheme(), v.secret_index()),
            "likely_cause": null,
            "hint": null,
            "secret_index": v.secret_index(),
            "timestamp": v.timestamp(),
        }),
        Err(e) => serde_json::json!({
            "ok": false,
            "error": e.code(),
            "message": e.to_string(),
            "likely_cause": d.likely_cause().map(|c| c.code()),
            "hint": d.likely_cause().map(|c| c.hint()),
            "secret_index": null,
            "timestamp": null,
        }),
    }
}

fn text_report(d: &Diagnosis, style: &Style) -> String {
    match d.outcome() {
        Ok(v) => format!(
            "{} {} delivery, secret #{}, timestamp {}{}\n",
            style.paint("32;1", "verified:"),
            v.scheme(),
            v.secret_index(),
            v.timestamp(),
            v.unsigned_event_type()
                .map(|e| format!(", event {e} (unsigned header)"))
                .unwrap_or_default()
        ),
        Err(e) => {
            let mut out = format!(
                "{} {} ({}): {e}\n",
                style.paint("31;1", "rejected:"),
                e.code(),
                e.status().as_u16()
            );
            if let Some(cause) = d.likely_cause() {
                out.push_str(&format!(
                    "likely cause: {}\nfix: {}\n",
                    cause.code(),
                    cause.hint()
                ));
            }
            out
        }
    }
}

fn sign(args: SignArgs) -> Result<ExitCode, InputError> {
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

fn send(args: SendArgs) -> Result<ExitCode, InputError> {
    use hookguard::dispatcher::{Delivery, Dispatcher, RetryPolicy};
    let secrets = args.secrets.collect().map_err(InputError)?;
    let body = read_input(&args.body_file)?;
    let mut delivery = Delivery::new(&args.url, args.scheme.scheme(), secrets[0].as_str(), body)?;
    if let Some(event) = &args.event {
        delivery = delivery.with_event_type(event)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dispatcher = Dispatcher::builder()
        .retry(RetryPolicy {
            max_attempts: args.attempts.max(1),
            ..RetryPolicy::default()
        })
        .build();
    let report = runtime.block_on(dispatcher.deliver(delivery));
    let style = Style::stdout();
    for a in report.attempts() {
        println!(
            "attempt {}: {}{} after waiting {:?}, took {:?}",
            a.number,
            a.outcome,
            a.error_code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            a.delay_before,
            a.elapsed
        );
    }
    if report.delivered() {
        println!("{}", style.paint("32;1", "delivered"));
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}", style.paint("31;1", "not delivered"));
        Ok(ExitCode::from(1))
    }
}

fn listen(args: ListenArgs) -> Result<ExitCode, InputError> {
    use axum::body::Bytes;
    use axum::extract::DefaultBodyLimit;
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};

    let secrets = args.secrets.collect().map_err(InputError)?;
    let scheme = args.scheme.scheme();
    let tolerance = Duration::from_secs(args.tolerance);
    let handler = move |headers: HeaderMap, body: Bytes| {
        let (scheme, secrets) = (scheme.clone(), secrets.clone());
        async move {
            let d = diagnose_with_tolerance(
                &scheme,
                &headers,
                &body,
                &secrets,
                SystemTime::now(),
                tolerance,
            );
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", text_report(&d, &Style::stdout()));
            let _ = writeln!(
                out,
                "payload ({} bytes): {}\n",
                body.len(),
                String::from_utf8_lossy(&body)
            );
            let _ = out.flush();
            match d.outcome() {
                Ok(_) => (axum::http::StatusCode::OK, "verified\n").into_response(),
                Err(e) => e.clone().into_response(),
            }
        }
    };
    let app = axum::Router::new()
        .route("/verify", get(verifier_page))
        .route("/verify/{*asset}", get(verifier_asset))
        .fallback(post(handler))
        .layer(DefaultBodyLimit::max(
            hookguard::DEFAULT_BODY_LIMIT as usize,
        ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let addr = listener.local_addr()?;
        println!(
            "listening on http://{addr} (POST any path; verifier page at http://{addr}/verify)"
        );
        axum::serve(listener, app).await
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn verifier_page() -> axum::response::Response {
    web_asset("index.html")
}

async fn verifier_asset(
    axum::extract::Path(asset): axum::extract::Path<String>,
) -> axum::response::Response {
    web_asset(&asset)
}

/// The in-browser verifier, embedded in the binary. The page may load only
/// itself and its module: the secret cannot leave the browser.
fn web_asset(name: &str) -> axum::response::Response {
    use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let name = match name.rsplit('/').next().unwrap_or_default() {
        "" => "index.html",
        other => other,
    };
    let found = WEB_ASSETS.iter().find(|(n, _, _)| *n == name);
    match found {
        Some((_, content_type, bytes)) => (
            [
                (CONTENT_TYPE, *content_type),
                (CONTENT_SECURITY_POLICY, PAGE_POLICY),
            ],
            *bytes,
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// Scripts and the module from this origin only; no other connection.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'";

const WEB_ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/static/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/static/app.js"),
    ),
    (
        "hookguard_web.wasm",
        "application/wasm",
        include_bytes!("../../web/dist/hookguard_web.wasm"),
    ),
];
