//! actix-web adapter: the [`Verified<T>`] extractor and the [`VerifyWebhookLayer`]
//! middleware, in actix's own idioms.
//!
//! - **Extractor**: [`Verified<T>`] for `T` = `web::Bytes`, `web::Json<U>`,
//!   `String` (any `FromRequest`). The [`Verifier`] comes from app data
//!   (`web::Data<Verifier>` or the bare type); without one the request gets
//!   a 500 `not_configured`, never a pass. Headers are checked before the
//!   payload is read; the payload is read once, hashed as it streams in, and
//!   handed to `T` unchanged. `T` runs only on a verified delivery and its
//!   own rejection passes through unchanged.
//! - **Limits**: the verifier's: its body limit (1 MiB by default; a
//!   `Content-Length` over it gets 413 before a byte is read, and it holds
//!   while streaming), its read deadline and the unverified-byte budget.
//!   `Verified<web::Bytes>` hands over the verified bytes directly, here and
//!   behind the middleware; another `T` then reads them through its own
//!   extractor and its own config (`String` with `web::PayloadConfig`,
//!   256 KiB by default; `web::Json` with `JsonConfig`, 2 MiB), as do plain
//!   extractors downstream of the middleware: give them a config at least
//!   as large as the verifier's body limit.
//! - **No outer limit from actix-web's config**: unlike the axum extractor,
//!   which also honours axum's `DefaultBodyLimit` (the smaller limit wins,
//!   413 before reading), the extractor and the middleware here cannot read
//!   a `web::PayloadConfig`: actix-web 4 keeps its limit private (no getter,
//!   no `Debug`), and the raw payload they read carries none. Set the limit
//!   you want on the verifier (`VerifierBuilder::body_limit`); a `T` other
//!   than `web::Bytes` still applies its own config to the verified bytes
//!   afterwards (its 413 passes through, and releases the delivery).
//! - **Middleware**: `.wrap(VerifyWebhookLayer::new(verifier))` protects a whole
//!   scope: it verifies, puts the verified bytes back as the payload (so
//!   `web::Bytes`, `web::Json`, … work unchanged downstream) and the
//!   [`VerifiedDelivery`](crate::VerifiedDelivery) metadata in the request extensions. Behind it,
//!   `Verified<T>` does not verify a second time.
//! - **Replay protection** (when the verifier has it): the middleware
//!   holds the delivery's lease while the handler runs, commits it when the
//!   handler answers 2xx and releases it otherwise (and when the request is
//!   dropped), so a retry is processed; the extractor hands the lease to the
//!   handler as an [`Ack`](crate::extract::Ack) to commit once the delivery
//!   is processed (dropped unsettled, it is released).
//! - **Encoded bodies** (`Content-Encoding: gzip`, …) are refused with 415
//!   `unsupported_content_encoding` before they are read, by the middleware
//!   and the extractor alike, also with actix-web's compression features on
//!   (which would otherwise decode the bytes for `web::Bytes`, `String` or
//!   `web::Json` after they were verified): what is verified is what the
//!   handler gets, with or without a `web::PayloadConfig`, never decoded.
//! - **Errors**: [`crate::Error`] implements `ResponseError` with the status
//!   and JSON body of the shared mapping ([`crate::Error::to_response`]); the
//!   error is also in the response's extensions.
//!
//! After an early rejection, actix-http itself lingers: it reads and discards
//! the rest of an unread body for up to `HttpServer::client_disconnect_timeout`
//! (1 s by default), so that the client sees the response rather than a reset.
//! hookwarden never reads it. Set `.client_disconnect_timeout(Duration::ZERO)`
//! to close at once instead.
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use hookwarden::{actix::{Verified, VerifyWebhookLayer}, Scheme, Verifier};
//!
//! async fn mittr(Verified { body, delivery, .. }: Verified<web::Bytes>) -> String {
//!     format!("{} bytes, secret #{}", body.len(), delivery.secret_index())
//! }
//!
//! async fn mitpo(body: web::Bytes) -> &'static str { "ok" } // behind the middleware
//!
//! # async fn run() -> std::io::Result<()> {
//! let mittr_verifier = Verifier::builder(Scheme::mittr()).secret("mittr-secret").build().unwrap();
//! let mitpo_verifier = Verifier::builder(Scheme::mitpo()).secret("whsec_x").build().unwrap();
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(web::Data::new(mittr_verifier.clone()))
//!         .route("/webhooks/mittr", web::post().to(mittr))
//!         .service(
//!             web::scope("/webhooks/mitpo")
//!                 .wrap(VerifyWebhookLayer::new(mitpo_verifier.clone()))
//!                 .route("", web::post().to(mitpo)),
//!         )
//! })
//! .bind("127.0.0.1:3001")?
//! .run()
//! .await
//! # }
//! ```
//!
#![doc = include_str!("../../docs/actix.md")]

mod extractor;
mod middleware;
mod payload;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

pub use crate::extract::Verified;
pub use middleware::{VerifyWebhook, VerifyWebhookLayer};

use crate::{Error, Headers, Verifier};

/// actix-web 4 keeps its own header map: the core reads it in place.
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl Headers for actix_web::http::header::HeaderMap {
    fn values<'a>(&'a self, name: &http::HeaderName) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name.as_str()).map(|v| v.as_bytes())
    }
}

/// The shared mapping: status, JSON body and `Retry-After` from
/// [`Error::to_response`].
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// [`Error::to_response`], carried over to actix-web's types (its
    /// `http` crate is another major version), with the error in the
    /// response's extensions.
    fn error_response(&self) -> HttpResponse {
        let rejection = crate::rejection::rejection(self.clone(), Error::to_response);
        let (mut parts, body) = rejection.into_parts();
        let mut response = HttpResponse::build(self.status_code());
        for (name, value) in &parts.headers {
            response.append_header((name.as_str(), value.as_bytes()));
        }
        let mut response = response.body(body);
        if let Some(error) = parts.extensions.remove::<Error>() {
            response.extensions_mut().insert(error);
        }
        response
    }
}

/// The verifier from app data: `web::Data<Verifier>` or the bare type;
/// without one, [`Error::NotConfigured`] (500), logged once per process at
/// ERROR with the fix: the app is misconfigured, and the provider only sees
/// 500s.
/// The request as the intake takes it: headers, path, the peer address.
fn incoming(req: &HttpRequest) -> crate::intake::Incoming<'_, actix_web::http::header::HeaderMap> {
    crate::intake::Incoming::new(req.headers(), req.path()).peer(req.peer_addr().map(|a| a.ip()))
}

fn verifier_of(req: &HttpRequest) -> Result<Verifier, Error> {
    req.app_data::<web::Data<Verifier>>()
        .map(|data| Verifier::clone(data))
        .or_else(|| req.app_data::<Verifier>().cloned())
        .ok_or_else(|| {
            log_missing_verifier(req.path());
            Error::NotConfigured
        })
}

#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn log_missing_verifier(path: &str) {
    #[cfg(feature = "tracing")]
    {
        static LOGGED: std::sync::Once = std::sync::Once::new();
        LOGGED.call_once(|| {
            let route =
                crate::error::shown_at_most(path.as_bytes(), crate::intake::LOGGED_ROUTE_CHARS);
            tracing::error!(
                route = route.as_str(),
                "misconfigured: no hookwarden Verifier in this actix-web app's data, so every \
                 webhook on this route is answered 500 `not_configured`; add one with \
                 `App::app_data(web::Data::new(verifier))`, or wrap the scope in \
                 `VerifyWebhookLayer::new(verifier)` (said once per process)"
            );
        });
    }
}
