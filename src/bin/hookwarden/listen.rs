//! `hookwarden listen`: a local receiver that prints each delivery's
//! verdict, diagnosis and payload.
//!
//! It is exposed to whatever can reach its address, so it reads deliveries
//! as a receiver does and bounds what it does for each:
//!
//! - serving ([`crate::serve`]): headers within 10 s, 1,024 connections,
//!   64 per peer, a 64 KiB read buffer per connection;
//! - reading a body ([`Verifier::read_unverified`]): at most 1 MiB (413),
//!   within 30 s (408 `body_timeout`), at 240 B/s after 5 s (408
//!   `body_too_slow`), from its own budget of [`BUDGET`] unverified bytes of
//!   which one peer holds at most a quarter and 64 deliveries (503
//!   `overloaded`);
//! - the verdict, always; the diagnosis of a rejected delivery on a
//!   blocking thread, one at a time and within half a core
//!   ([`crate::gate`]), decompressing at most [`MAX_DECOMPRESSED`];
//! - what is printed: at most [`REPORT_CAP`] of report and
//!   [`PAYLOAD_PREVIEW`](crate::escape::PAYLOAD_PREVIEW) of payload per delivery, escaped, through a
//!   bounded queue ([`crate::output`]).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hookwarden::diagnose::{diagnose_with, Audience, Limits, Options};
use hookwarden::intake::{Budget, Incoming};
use hookwarden::tower::HttpBody;
use hookwarden::{Error, Scheme, Verifier};

use crate::args::ListenArgs;
use crate::escape::{capped, payload_preview, terminal_safe_within};
use crate::gate::{Gate, Skipped};
use crate::output::Output;
use crate::report::{text_report, verdict_line, Style};
use crate::{serve, web, InputError};

/// `listen`'s own budget of unverified body bytes: 64 MiB, of which one
/// peer may hold a quarter and 64 deliveries being read.
pub const BUDGET: u64 = 64 * 1024 * 1024;

/// The largest body a diagnosis decompresses to, trying a body signed
/// before compression: the body limit (1 MiB), not the library's 8 MiB.
pub const MAX_DECOMPRESSED: usize = hookwarden::DEFAULT_BODY_LIMIT as usize;

/// The most a delivery's report (the verdict, the diagnosis, what was
/// tried) prints: 2 KiB, saying how much was cut; the payload is capped
/// apart ([`PAYLOAD_PREVIEW`](crate::escape::PAYLOAD_PREVIEW)).
pub const REPORT_CAP: usize = 2048;

/// The most a line about a body that was not read prints.
const NOT_READ_CAP: usize = 320;

/// The response header saying what became of a rejected delivery's
/// diagnosis: `printed`, or `skipped (…)`.
const DIAGNOSIS_HEADER: &str = "hookwarden-diagnosis";

/// What every delivery is verified against, and how.
struct Receiver {
    verifier: Verifier,
    scheme: Scheme,
    secrets: Arc<[String]>,
    options: Options,
    gate: Gate,
    output: Output,
}

pub fn run(args: ListenArgs) -> Result<ExitCode, InputError> {
    args.scheme
        .no_timestamp_option("--tolerance", args.tolerance.is_some())
        .map_err(InputError)?;
    let scheme = args.scheme.scheme();
    let secrets: Arc<[String]> = args.secrets.collect().map_err(InputError)?.into();
    let tolerance = args.tolerance.map(Duration::from_secs);
    let mut limits = Limits::default();
    limits.max_decompressed = MAX_DECOMPRESSED;
    let mut options = Options::new().limits(limits);
    let mut builder = Verifier::builder(scheme.clone())
        .secrets(secrets.iter().map(String::as_str))
        .without_replay_protection()
        .unverified_budget(Budget::new(BUDGET));
    if let Some(tolerance) = tolerance {
        options = options.tolerance(tolerance);
        builder = builder.tolerance(tolerance);
    }
    // Every secret must be a key of the scheme (a `whsk_` signing key is not).
    let verifier = builder.build().map_err(|e| {
        let hint = if secrets.iter().any(|s| s.starts_with("whsk_")) {
            ": verify with the `whpk_…` public key; `whsk_…` keys are for signing"
        } else {
            ""
        };
        InputError(format!("--secret: {e}{hint}"))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let scheme_name = args.scheme.provider();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| InputError(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener.local_addr()?;
        println!(
            "listening on http://{addr} (POST any path: verified as {}; verifier page at http://{addr}/verify)",
            scheme_name
        );
        let receiver = Receiver {
            verifier,
            scheme,
            secrets,
            options,
            gate: Gate::new(),
            output: Output::start()?,
        };
        serve::serve(listener, router(Arc::new(receiver))).await;
        Ok::<_, InputError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// POST anywhere is a delivery; GET serves a short note at `/`, the
/// verifier page at `/verify` (and `/verify/`), and a 404 elsewhere.
fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route("/", get(web::index).post(receive))
        .route("/verify", get(web::verifier_page).post(receive))
        .route("/verify/", get(web::verifier_page).post(receive))
        .route("/verify/{*asset}", get(web::verifier_asset).post(receive))
        .fallback(post(receive).get(web::not_found))
        .with_state(receiver)
}

async fn receive(
    State(r): State<Arc<Receiver>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let incoming = Incoming::new(&headers, &uri).peer(Some(peer.ip()));
    let body = match r
        .verifier
        .read_unverified(incoming, HttpBody::new(body))
        .await
    {
        Ok(body) => body,
        Err(error) => {
            r.output.print(not_read(&error, peer, &uri));
            return error.into_response();
        }
    };
    let now = SystemTime::now();
    let style = Style::stdout();
    // The verdict, always: one pass over the body per secret.
    let error = match r.verifier.verify_at(&headers, &body, now) {
        Ok(delivery) => {
            r.output
                .print(report(verdict_line(&Ok(delivery), &style), &body));
            return (StatusCode::OK, "verified\n").into_response();
        }
        Err(error) => error,
    };
    let ticket = match r.gate.try_start() {
        Ok(ticket) => ticket,
        Err(skipped) => return skip(&r, error, skipped, &style, &body),
    };
    let receiver = r.clone();
    let (diagnosed, printed) = (body.clone(), style);
    let diagnosis = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let r = receiver;
        let d = diagnose_with(&r.scheme, &headers, &diagnosed, &r.secrets, now, &r.options);
        let text = report(text_report(&d, &printed, Audience::Listen), &diagnosed);
        (d.outcome().clone(), text)
    })
    .await;
    match diagnosis {
        Ok((outcome, text)) => {
            r.output.print(text);
            let mut response = match outcome {
                Ok(_) => return (StatusCode::OK, "verified\n").into_response(),
                Err(error) => error.into_response(),
            };
            response
                .headers_mut()
                .insert(DIAGNOSIS_HEADER, HeaderValue::from_static("printed"));
            response
        }
        // The diagnosis panicked: the verdict alone.
        Err(_) => {
            let text = format!(
                "{}diagnosis failed\n",
                verdict_line(&Err(error.clone()), &style)
            );
            r.output.print(report(text, &body));
            error.into_response()
        }
    }
}

/// The verdict on a rejected delivery without a diagnosis, saying why.
fn skip(r: &Receiver, error: Error, skipped: Skipped, style: &Style, body: &Bytes) -> Response {
    let text = format!(
        "{}diagnosis {}\n",
        verdict_line(&Err(error.clone()), style),
        skipped.reason()
    );
    r.output.print(report(text, body));
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(DIAGNOSIS_HEADER, HeaderValue::from_static(skipped.reason()));
    response
}

/// A delivery's report, capped, then its payload's preview, and a blank
/// line.
fn report(text: String, body: &Bytes) -> String {
    let mut text = capped(&text, REPORT_CAP);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    format!("{text}payload ({}\n\n", payload_preview(body))
}

/// One line for a body that was not read: why, from whom, where.
fn not_read(error: &Error, peer: SocketAddr, uri: &Uri) -> String {
    let (path, _) = terminal_safe_within(uri.path().as_bytes(), 128);
    let (message, _) = terminal_safe_within(error.to_string().as_bytes(), NOT_READ_CAP);
    let line = format!(
        "not read: {} ({}) from {}, POST {path}: {message}",
        error.code(),
        error.status().as_u16(),
        peer.ip(),
    );
    format!("{}\n", capped(&line, NOT_READ_CAP))
}
