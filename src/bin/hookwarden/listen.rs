//! `hookwarden listen`: a local receiver that prints each delivery's
//! verdict, diagnosis and payload.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hookwarden::diagnose::{diagnose_with, Audience, Options};
use hookwarden::Scheme;

use crate::args::ListenArgs;
use crate::escape::payload_preview;
use crate::report::{text_report, Style};
use crate::{web, InputError};

/// What every delivery is verified against.
#[derive(Clone)]
struct Receiver {
    scheme: Scheme,
    secrets: Arc<[String]>,
    options: Options,
}

pub fn run(args: ListenArgs) -> Result<ExitCode, InputError> {
    args.scheme
        .no_timestamp_option("--tolerance", args.tolerance.is_some())
        .map_err(InputError)?;
    let receiver = Receiver {
        scheme: args.scheme.scheme(),
        secrets: args.secrets.collect().map_err(InputError)?.into(),
        options: match args.tolerance {
            Some(secs) => Options::new().tolerance(Duration::from_secs(secs)),
            None => Options::new(),
        },
    };
    // Every secret must be a key of the scheme (a `whsk_` signing key is not).
    if let Err(e) = hookwarden::Verifier::builder(receiver.scheme.clone())
        .secrets(receiver.secrets.iter().map(String::as_str))
        .build()
    {
        let hint = if receiver.secrets.iter().any(|s| s.starts_with("whsk_")) {
            ": verify with the `whpk_…` public key; `whsk_…` keys are for signing"
        } else {
            ""
        };
        return Err(InputError(format!("--secret: {e}{hint}")));
    }
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
        axum::serve(listener, router(receiver))
            .await
            .map_err(|e| InputError(format!("serving on {addr}: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// POST anywhere is a delivery; GET serves a short note at `/`, the
/// verifier page at `/verify` (and `/verify/`), and a 404 elsewhere.
fn router(receiver: Receiver) -> Router {
    Router::new()
        .route("/", get(web::index).post(receive))
        .route("/verify", get(web::verifier_page).post(receive))
        .route("/verify/", get(web::verifier_page).post(receive))
        .route("/verify/{*asset}", get(web::verifier_asset).post(receive))
        .fallback(post(receive).get(web::not_found))
        .layer(DefaultBodyLimit::max(
            hookwarden::DEFAULT_BODY_LIMIT as usize,
        ))
        .with_state(receiver)
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let d = diagnose_with(
        &r.scheme,
        &headers,
        &body,
        &r.secrets,
        SystemTime::now(),
        &r.options,
    );
    let mut out = std::io::stdout().lock();
    let _ = write!(
        out,
        "{}",
        text_report(&d, &Style::stdout(), Audience::Listen)
    );
    let _ = writeln!(out, "payload ({}\n", payload_preview(&body));
    let _ = out.flush();
    match d.outcome() {
        Ok(_) => (StatusCode::OK, "verified\n").into_response(),
        Err(e) => e.clone().into_response(),
    }
}
