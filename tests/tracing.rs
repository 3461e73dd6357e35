//! One `tracing` event per rejection, with the code, status, scheme and
//! route, and never a secret or a signature (feature `tracing`, on by default).

use axum::routing::post;
use axum::Router;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, Verifier};
use tower::ServiceExt;

#[path = "common/logs.rs"]
mod logs;
use logs::Captured;

#[tokio::test]
async fn each_rejection_is_one_event_without_secrets() {
    let captured = Captured::default();
    let subscriber = captured.subscriber();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret = "tracing-test-secret";
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(secret)
        .build()
        .unwrap();
    let app = Router::new().route(
        "/hooks/orders",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier)),
    );
    let body = b"{\"a\":1}";
    let headers = Signer::new(Scheme::mittr(), secret)
        .unwrap()
        .sign_now(body)
        .to_header_map();
    let signature = headers["x-mittr-signature"].to_str().unwrap()[3..].to_owned();

    // A tampered body, then a valid delivery.
    for (sent, expect) in [(&b"{\"a\":2}"[..], 401), (&body[..], 200)] {
        let mut request = http::Request::post("/hooks/orders?token=x")
            .body(axum::body::Body::from(sent.to_vec()))
            .unwrap();
        request.headers_mut().extend(headers.clone());
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), expect);
    }

    let log = captured.text();
    let events: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("webhook rejected"))
        .collect();
    assert_eq!(events.len(), 1, "{log}");
    let event = events[0];
    for part in [
        "WARN",
        "code=\"signature_mismatch\"",
        "status=401",
        "scheme=\"mittr\"",
        "route=\"/hooks/orders\"",
    ] {
        assert!(event.contains(part), "missing {part}: {event}");
    }
    assert!(
        !log.contains(secret) && !log.contains(&signature) && !log.contains("token=x"),
        "{log}"
    );
}

/// A flood of forgeries: at most ten warnings a second per verifier, the
/// rest at DEBUG, the next warning saying how many; every one counted.
#[test]
fn a_flood_of_forgeries_is_warned_about_ten_times_a_second() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();

    let timer = hookwarden::time::ManualTimer::new();
    let verifier = Verifier::builder(Scheme::mittr())
        .secret("the-real-secret")
        .timer(timer.clone())
        .build()
        .unwrap();
    let app = Router::new().route(
        "/hooks/orders",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier)),
    );
    let forged = Signer::new(Scheme::mittr(), "a-guess")
        .unwrap()
        .sign_now(b"{}")
        .to_header_map();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flood = |count: usize| {
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                for _ in 0..count {
                    let mut request = http::Request::post("/hooks/orders")
                        .body(axum::body::Body::from("{}"))
                        .unwrap();
                    request.headers_mut().extend(forged.clone());
                    let response = app.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status().as_u16(), 401);
                }
            })
        })
    };
    flood(25);
    timer.advance(std::time::Duration::from_secs(1));
    flood(1);

    let log = captured.text();
    let rejected: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("webhook rejected"))
        .collect();
    let at = |level: &str| rejected.iter().filter(|l| l.contains(level)).count();
    assert_eq!((at(" WARN "), at(" DEBUG ")), (11, 15), "{log}");
    let last = rejected.last().unwrap();
    assert!(
        last.contains(" WARN ") && last.contains("demoted=15"),
        "{last}"
    );
    if cfg!(feature = "metrics") {
        let counted: u64 = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| {
                key.key().name() == hookwarden::metrics::DELIVERIES_TOTAL
                    && key
                        .key()
                        .labels()
                        .any(|l| l.value() == "signature_mismatch")
            })
            .map(|(.., value)| match value {
                metrics_util::debugging::DebugValue::Counter(n) => n,
                _ => 0,
            })
            .sum();
        assert_eq!(counted, 26, "every rejection is counted");
    }
}

/// An actix-web app without a verifier in its app data answers 500
/// `not_configured` (never a pass) and says so in the server log: once per
/// process, at ERROR, as a misconfiguration naming the fix.
#[cfg(feature = "actix")]
#[actix_web::test]
async fn a_missing_actix_verifier_is_logged_once_at_error_with_the_fix() {
    use actix_web::{web, App, HttpServer};
    use hookwarden::actix::{Verified, VerifyWebhookLayer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // The server's workers run on their own threads: a global subscriber.
    let captured = Captured::default();
    let subscriber = captured.subscriber();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    async fn handle(Verified { body, .. }: Verified<web::Bytes>) -> web::Bytes {
        body
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(|| {
        App::new()
            .route("/extract", web::post().to(handle))
            .service(
                web::scope("/scope")
                    .wrap(VerifyWebhookLayer::from_app_data())
                    .route("", web::post().to(|| async { "processed" })),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);

    let body = b"{}";
    let signed = Signer::new(Scheme::mittr(), "s3cret")
        .unwrap()
        .sign_now(body)
        .to_header_map();
    for path in ["/extract", "/scope", "/extract"] {
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n");
        for (name, value) in &signed {
            head += &format!("{name}: {}\r\n", value.to_str().unwrap());
        }
        head += &format!("content-length: {}\r\n\r\n", body.len());
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 500"), "{path}: {answer}");
        assert!(answer.contains("not_configured"), "{path}: {answer}");
    }

    let log = captured.text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "{log}");
    for part in [
        "misconfigured",
        "App::app_data(web::Data::new(verifier))",
        "VerifyWebhookLayer::new(verifier)",
        "route=\"/extract\"",
    ] {
        assert!(errors[0].contains(part), "missing {part}: {}", errors[0]);
    }
}
