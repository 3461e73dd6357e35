//! `hookguard listen`: a local receiver that prints each delivery's
//! verdict, diagnosis and payload.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hookguard::diagnose::diagnose_with_tolerance;

use crate::args::ListenArgs;
use crate::report::{text_report, Style};
use crate::web::{verifier_asset, verifier_page};
use crate::InputError;

pub fn run(args: ListenArgs) -> Result<ExitCode, InputError> {
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
