//! One `tracing` event per rejection, with the code, status, scheme and
//! route, and never a secret or a signature (feature `tracing`, on by default).

use axum::routing::post;
use axum::Router;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, Verifier};
use tower::ServiceExt;

#[path = "common/logs.rs"]
mod logs;
#[path = "common/server.rs"]
mod server;
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

/// Every field value and the message of each `tracing` event, as a
/// subscriber receives them (before any formatter escapes them): what a
/// JSON or a custom subscriber would write out.
#[derive(Clone, Default)]
struct RawEvents(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RawEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0 += &format!(" {}={value}", field.name());
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                // A message (`format_args!`) shows as its text, unescaped.
                self.0 += &format!(" {}={value:?}", field.name());
            }
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

/// The request path is the sender's choice, up to 64 KiB, and comes before
/// any authentication: a rejection's event carries its first 128
/// characters, printable ASCII only, so that a forged delivery on a
/// 65,000-byte path (or one full of terminal escapes) logs a line of at
/// most 1 KiB with no control character, in the formatted line and in
/// every raw field a subscriber receives. The headers a forger controls
/// (a 60 KB content encoding, a 60 KB signature) do not lengthen it either,
/// nor does a captured delivery replayed with a 4 KB event header (the
/// most it may be) against a 30 KB signed event.
#[tokio::test]
async fn a_rejection_is_logged_in_at_most_1_kib_without_control_characters_whatever_the_path() {
    use tracing_subscriber::layer::SubscriberExt;

    let captured = Captured::default();
    let writer = captured.clone();
    let raw = RawEvents::default();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        )
        .with(raw.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let verifier = Verifier::builder(Scheme::mittr())
        .secret("the-real-secret")
        .build()
        .unwrap();
    // Every path goes through the layer, whatever its length.
    let app = Router::new()
        .fallback(post(|| async { "processed" }))
        .layer(VerifyWebhookLayer::new(verifier));
    let server = server::serve(app).await;
    // A captured MITPO delivery whose unsigned event header was changed.
    let checked = Verifier::builder(Scheme::mitpo())
        .secret("whsec_the-real-secret")
        .require_event_match()
        .build()
        .unwrap();
    let checking = Router::new()
        .fallback(post(|| async { "processed" }))
        .layer(VerifyWebhookLayer::new(checked));
    let checking = server::serve(checking).await;
    let signed_event = format!("ok\u{9b}{}", "e".repeat(30_000));
    let body = serde_json::json!({ "event": signed_event }).to_string();
    let mut captured_delivery = Signer::new(Scheme::mitpo(), "whsec_the-real-secret")
        .unwrap()
        .sign_now(body.as_bytes())
        .to_header_map();
    captured_delivery.insert(
        "x-mitpo-event",
        http::HeaderValue::from_str(&format!("other{}", "o".repeat(4_000))).unwrap(),
    );

    let forged = Signer::new(Scheme::mittr(), "an-attackers-guess")
        .unwrap()
        .sign_now(b"{}")
        .to_header_map();
    let long = format!("/hook/{}", "a".repeat(65_000 - "/hook/".len()));
    // Raw C0 bytes (ESC, CR) are refused by hyper's parser before any
    // service sees them; percent-encoded ones and raw UTF-8 C1 controls
    // (U+009B is an 8-bit CSI, U+0085 a line break) reach the path.
    let escapes = format!(
        "/hook/%1B%5B2J%1B]0;owned%07%0D%0A\u{9b}31m\u{85}\u{202e}{}",
        "b".repeat(60_000)
    );
    type Case = (&'static str, String, http::HeaderMap, Vec<u8>, u16);
    let mut cases: Vec<(std::net::SocketAddr, Case)> = Vec::new();
    for path in [&long, &escapes] {
        let case = |what, headers: &http::HeaderMap, status| {
            (
                server.addr,
                (what, path.clone(), headers.clone(), b"{}".to_vec(), status),
            )
        };
        cases.push(case("forged", &forged, 401));
        cases.push(case("unsigned", &http::HeaderMap::new(), 400));
        let mut encoded = forged.clone();
        let encoding = format!("gzip\u{9b}{}", "x".repeat(60_000));
        encoded.insert(
            "content-encoding",
            http::HeaderValue::from_bytes(encoding.as_bytes()).unwrap(),
        );
        cases.push(case("encoded", &encoded, 415));
        let mut long_signature = forged.clone();
        long_signature.insert(
            "x-mittr-signature",
            http::HeaderValue::from_str(&format!("v1={}", "0".repeat(60_000))).unwrap(),
        );
        cases.push(case("long signature", &long_signature, 400));
        let mismatch = (
            "event mismatch",
            path.clone(),
            captured_delivery.clone(),
            body.clone().into_bytes(),
            400,
        );
        cases.push((checking.addr, mismatch));
    }
    for (addr, (what, path, headers, body, status)) in &cases {
        let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            head += &format!("{name}: ");
            // Header values may carry bytes above 0x7F: written as they are.
            head += &String::from_utf8_lossy(value.as_bytes());
            head += "\r\n";
        }
        head += &format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let (got, answer) = server::raw_exchange(*addr, head, body.clone(), false).await;
        assert_eq!(got, *status, "{what}: {answer}");
    }

    let log = captured.text();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("webhook rejected"))
        .collect();
    assert_eq!(lines.len(), cases.len(), "one line per rejection");
    let longest = lines.iter().map(|l| l.len()).max().unwrap_or_default();
    eprintln!("the longest rejection line: {longest} bytes");
    let codes = [
        "signature_mismatch",
        "missing_header",
        "unsupported_content_encoding",
        "malformed_header",
        "event_mismatch",
    ];
    for (line, code) in lines.iter().zip(codes.iter().cycle()) {
        assert!(line.contains(&format!("code=\"{code}\"")), "{code}: {line}");
    }
    for line in &lines {
        assert!(line.len() <= 1024, "{} bytes: {}…", line.len(), head(line));
        assert!(!line.chars().any(char::is_control), "{line}");
        assert!(line.contains("route=\"/hook/"), "{line}");
    }
    let events = raw.0.lock().unwrap().clone();
    let events: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("webhook rejected"))
        .collect();
    assert_eq!(events.len(), cases.len());
    for event in events {
        assert!(
            event.len() <= 1024,
            "{} bytes: {:?}…",
            event.len(),
            head(event)
        );
        assert!(!event.chars().any(char::is_control), "{event:?}");
    }
    let shown = format!("route=\"/hook/{}…\"", "a".repeat(128 - "/hook/".len()));
    assert!(
        lines[0].contains(&shown),
        "the route is its first 128 characters: {}",
        lines[0]
    );
}

/// The first 200 characters of a (too long) line, for a failure message.
fn head(line: &str) -> String {
    line.chars().take(200).collect()
}
