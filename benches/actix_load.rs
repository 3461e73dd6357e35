//! Load benchmark on loopback for the actix-web adapter: the same signed
//! 1 KiB Mittr request against a bare actix route that reads the body, a
//! route taking `Verified<web::Bytes>`, a scope behind the `VerifyWebhookLayer`
//! middleware, and (for reference) a handler that calls `Verifier::verify`
//! itself. Replay protection off, explicitly: the same request is sent
//! again and again. One actix worker, so the server is the
//! bottleneck; five alternating rounds; prints medians and the medians of
//! the per-round ratios.
//!
//! Run with `cargo bench --bench actix_load` (needs `wrk`).

mod wrk;

use std::time::Duration;

use actix_web::{web, App, HttpServer};
use hookwarden::actix::{Verified, VerifyWebhookLayer};
use hookwarden::{Scheme, Signer, Verifier};

const SECRET: &str = "load-benchmark-secret";

fn main() {
    if !wrk::available() {
        return;
    }
    let verifier = Verifier::builder(Scheme::mittr())
        .secret(SECRET)
        .tolerance(Duration::from_secs(3600))
        .without_replay_protection() // one request, repeated
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(verifier.clone()))
                    .route(
                        "/bare",
                        web::post().to(|body: web::Bytes| async move { body.len().to_string() }),
                    )
                    .route(
                        "/extractor",
                        web::post().to(|Verified { body, .. }: Verified<web::Bytes>| async move {
                            body.len().to_string()
                        }),
                    )
                    .route(
                        "/handler",
                        web::post().to(
                            |req: actix_web::HttpRequest, body: web::Bytes| async move {
                                let verifier = req.app_data::<web::Data<Verifier>>().unwrap();
                                verifier
                                    .verify(req.headers(), &body)
                                    .map(|_| body.len().to_string())
                            },
                        ),
                    )
                    .service(
                        web::scope("/middleware")
                            .wrap(VerifyWebhookLayer::new(verifier.clone()))
                            .route(
                                "",
                                web::post()
                                    .to(|body: web::Bytes| async move { body.len().to_string() }),
                            ),
                    )
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    std::thread::sleep(Duration::from_millis(300));

    let body = wrk::body_1k();
    let signed = Signer::new(Scheme::mittr(), SECRET)
        .unwrap()
        .sign_now(body.as_bytes());
    wrk::compare(
        addr,
        &["/bare", "/extractor", "/middleware", "/handler"],
        &["/bare", "/handler"],
        &body,
        &signed,
        "goal for /extractor and /middleware: >= 1.00x /handler and >= 0.85x /bare throughput, <= 1.2x /bare p99",
    );
}
