//! The end-to-end demo: starts the axum and the actix-web receivers on
//! 127.0.0.1:0, then the reference dispatcher sends each a matrix of
//! deliveries, good and bad, and a table shows what the receivers answered.
//! Exits non-zero if any row differs from what is expected.
//!
//! Run with `cargo run --example demo`.

mod shared;

use std::future::IntoFuture;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hookwarden::dispatcher::{Delivery, Dispatcher, Outcome, RequestHook, RetryPolicy};
use hookwarden::Scheme;

const PREVIOUS_MITTR_SECRET: &str = "mittr-previous-secret";

struct Scenario {
    name: &'static str,
    scheme: Scheme,
    secret: &'static str,
    payload: Bytes,
    /// Shifts the dispatcher's clock, in seconds.
    clock_offset: i64,
    hook: Option<RequestHook>,
    /// Deliver the same signed request once before (a replay).
    replay: bool,
    expected_status: u16,
    expected_code: &'static str,
}

fn scenario(
    name: &'static str,
    scheme: Scheme,
    secret: &'static str,
    status: u16,
    code: &'static str,
) -> Scenario {
    Scenario {
        name,
        scheme,
        secret,
        // Each scenario delivers its own event: the same event signed again
        // (with another secret, say) is the same delivery, and a replay.
        payload: Bytes::from(format!(
            r#"{{"event":"dispatch.completed","data":{{"id":"d_{}","amount":4200}}}}"#,
            name.replace(' ', "_")
        )),
        clock_offset: 0,
        hook: None,
        replay: false,
        expected_status: status,
        expected_code: code,
    }
}

fn scenarios() -> Vec<Scenario> {
    use shared::{DEFAULT_MITPO_SECRET as MITPO, DEFAULT_MITTR_SECRET as MITTR};
    let mut list = Vec::new();
    for (scheme, secret, sig_header, ts_header) in [
        (
            Scheme::mittr(),
            MITTR,
            "x-mittr-signature",
            "x-mittr-timestamp",
        ),
        (
            Scheme::mitpo(),
            MITPO,
            "x-mitpo-signature",
            "x-mitpo-timestamp",
        ),
    ] {
        list.push(scenario("valid delivery", scheme.clone(), secret, 200, "-"));
        list.push(Scenario {
            hook: Some(Arc::new(|req: &mut http::Request<Bytes>| {
                let mut body = req.body().to_vec();
                body[30] ^= 0x01;
                *req.body_mut() = body.into();
            })),
            ..scenario(
                "tampered body",
                scheme.clone(),
                secret,
                401,
                "signature_mismatch",
            )
        });
        list.push(scenario(
            "wrong secret",
            scheme.clone(),
            "not-the-secret",
            401,
            "signature_mismatch",
        ));
        list.push(Scenario {
            clock_offset: -600,
            ..scenario(
                "stale timestamp",
                scheme.clone(),
                secret,
                401,
                "timestamp_too_old",
            )
        });
        list.push(Scenario {
            clock_offset: 600,
            ..scenario(
                "future timestamp",
                scheme.clone(),
                secret,
                401,
                "timestamp_in_future",
            )
        });
        list.push(Scenario {
            hook: Some(Arc::new(move |req: &mut http::Request<Bytes>| {
                req.headers_mut().remove(sig_header);
            })),
            ..scenario(
                "missing header",
                scheme.clone(),
                secret,
                400,
                "missing_header",
            )
        });
        list.push(Scenario {
            hook: Some(Arc::new(move |req: &mut http::Request<Bytes>| {
                req.headers_mut()
                    .insert(ts_header, http::HeaderValue::from_static("1.7e9"));
            })),
            ..scenario(
                "malformed header",
                scheme.clone(),
                secret,
                400,
                "malformed_header",
            )
        });
        let mut big = br#"{"event":"bulk.export","data":""#.to_vec();
        big.resize(hookwarden::DEFAULT_BODY_LIMIT as usize + 64 * 1024, b'x');
        big.extend_from_slice(b"\"}");
        list.push(Scenario {
            payload: big.into(),
            ..scenario(
                "oversized body",
                scheme.clone(),
                secret,
                413,
                "body_too_large",
            )
        });
        // Larger than actix-web's default `PayloadConfig` (256 KiB), within
        // the verifier's limit (1 MiB): verified, so answered 2xx.
        let mut large = br#"{"event":"bulk.export","data":""#.to_vec();
        large.resize(300 * 1024, b'x');
        large.extend_from_slice(b"\"}");
        list.push(Scenario {
            payload: large.into(),
            ..scenario("large delivery", scheme.clone(), secret, 200, "-")
        });
        list.push(Scenario {
            payload: Bytes::from_static(
                br#"{"event":"dispatch.completed","data":{"id":"d_replay"}}"#,
            ),
            replay: true,
            ..scenario("replayed delivery", scheme.clone(), secret, 409, "replayed")
        });
    }
    list.insert(
        1,
        scenario(
            "rotated secret",
            Scheme::mittr(),
            PREVIOUS_MITTR_SECRET,
            200,
            "-",
        ),
    );
    list
}

#[tokio::main]
async fn main() -> ExitCode {
    // Each receiver gets its own verifiers, and so its own replay store.
    let verifiers = || {
        shared::verifiers(
            &[
                shared::DEFAULT_MITTR_SECRET.to_owned(),
                PREVIOUS_MITTR_SECRET.to_owned(),
            ],
            &[shared::DEFAULT_MITPO_SECRET.to_owned()],
        )
        .expect("valid demo secrets")
    };
    let (mittr, mitpo) = verifiers();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(
        axum::serve(
            listener,
            shared::axum_receiver(mittr.clone(), mitpo.clone()),
        )
        .into_future(),
    );
    println!("axum receiver listening on http://{addr}");

    // The actix receiver runs on its own system thread, as actix wants.
    let (mittr, mitpo) = verifiers();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let actix_addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || shared::actix_receiver(mittr.clone(), mitpo.clone()))
                .workers(1)
                .listen(listener)
                .expect("listen")
                .run()
                .await
        })
    });
    println!("actix receiver listening on http://{actix_addr}\n");
    let receivers = [("axum", addr), ("actix", actix_addr)];

    let mut rows = Vec::new();
    for (receiver, addr) in receivers {
        for s in scenarios() {
            // A fixed clock per scenario: a replay re-sends the very same bytes.
            let now = SystemTime::now();
            let offset = s.clock_offset;
            let dispatcher = Dispatcher::builder()
                // As a provider would: a connection error is retried (a server that
                // rejects a large body early may close before the client finished
                // sending it), a 4xx is final.
                .retry(RetryPolicy {
                    max_attempts: 3,
                    base_delay: Duration::from_millis(50),
                    ..RetryPolicy::default()
                })
                .clock(move || {
                    let shift = Duration::from_secs(offset.unsigned_abs());
                    if offset < 0 {
                        now - shift
                    } else {
                        now + shift
                    }
                })
                .build();
            let path = format!("http://{addr}/webhooks/{}", s.scheme.name());
            let mut delivery = Delivery::new(&path, s.scheme.clone(), s.secret, s.payload.clone())
                .expect("valid delivery");
            if let Some(hook) = s.hook.clone() {
                delivery = delivery.with_request_hook(move |req| hook(req));
            }
            if s.replay {
                let first = dispatcher.deliver(delivery.clone()).await;
                assert!(
                    first.delivered(),
                    "the original of a replay must be accepted: {first:?}"
                );
            }
            let report = dispatcher.deliver(delivery).await;
            let last = report.last().expect("one attempt");
            let status = match &last.outcome {
                Outcome::Status(s) => *s,
                _ => 0,
            };
            let code = last.error_code.clone().unwrap_or_else(|| "-".to_owned());
            let pass = status == s.expected_status && code == s.expected_code;
            let attempts = report.attempts().len();
            rows.push((
                s.name,
                s.scheme.name().to_owned(),
                receiver,
                s.expected_status,
                s.expected_code,
                status,
                code,
                attempts,
                pass,
            ));
        }
    }

    println!(
        "\n{:<18} {:<6} {:<9} {:<26} {:<7} {:<22} {:<9} result",
        "scenario", "scheme", "receiver", "expected", "status", "error code", "attempts"
    );
    let failed = rows.iter().filter(|r| !r.8).count();
    for (name, scheme, receiver, exp_status, exp_code, status, code, attempts, pass) in &rows {
        println!(
            "{:<18} {:<6} {:<9} {:<26} {:<7} {:<22} {:<9} {}",
            name,
            scheme,
            receiver,
            format!("{exp_status} {exp_code}"),
            status,
            code,
            attempts,
            if *pass { "PASS" } else { "FAIL" }
        );
    }
    println!("\n{} passed, {} failed", rows.len() - failed, failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
