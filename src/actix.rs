//! actix-web adapter: the [`Verified<T>`] extractor and the [`VerifyWebhook`]
//! middleware, in actix's own idioms.
//!
//! - **Extractor**: `Verified<T>` for `T` = `web::Bytes`, `web::Json<U>`,
//!   `String` (any `FromRequest`). The [`Verifier`] comes from app data
//!   (`web::Data<Verifier>` or the bare type); without one the request gets
//!   a 500 `not_configured`, never a pass. Headers are checked before the
//!   payload is read; the payload is read once, hashed as it streams in, and
//!   handed to `T` unchanged. `T` runs only on a verified delivery and its
//!   own rejection passes through unchanged.
//! - **Limits**: when a `web::PayloadConfig` is in app data its limit (and
//!   mime type) applies, as for actix's own `Bytes` and `String` extractors;
//!   otherwise the verifier's body limit (1 MiB by default). Either way a
//!   `Content-Length` over the limit gets 413 before a byte is read, and the
//!   limit holds while streaming. The verifier's limit always applies too.
//!   `Verified<web::Bytes>` hands over the verified bytes directly; another
//!   `T` then reads them through its own extractor and its own config
//!   (`String` with `PayloadConfig`, 256 KiB by default; `web::Json` with
//!   `JsonConfig`), as do extractors downstream of the middleware.
//! - **Middleware**: `.wrap(VerifyWebhook::new(verifier))` protects a whole
//!   scope: it verifies, puts the verified bytes back as the payload (so
//!   `web::Bytes`, `web::Json`, … work unchanged downstream) and the
//!   [`crate::Verified`] metadata in the request extensions. Behind it,
//!   `Verified<T>` does not verify a second time.
//! - **Replay protection** (when the verifier has it): the middleware
//!   reserves the record when the signature verifies, commits it when the
//!   handler answers 2xx and releases it otherwise, so a retry is processed;
//!   the extractor records at extraction (it cannot see the answer).
//! - **Errors**: [`crate::Error`] implements `ResponseError` with the status
//!   and JSON body of the shared mapping ([`crate::Error::to_response`]); the
//!   error is also in the response's extensions.
//!
//! After an early rejection, actix-http itself lingers: it reads and discards
//! the rest of an unread body for up to `HttpServer::client_disconnect_timeout`
//! (1 s by default), so that the client sees the response rather than a reset.
//! hookguard never reads it. Set `.client_disconnect_timeout(Duration::ZERO)`
//! to close at once instead.
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use hookguard::{actix::{Verified, VerifyWebhook}, Scheme, Verifier};
//!
//! async fn mittr(Verified(body, info): Verified<web::Bytes>) -> String {
//!     format!("{} bytes, secret #{}", body.len(), info.secret_index())
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
//!                 .wrap(VerifyWebhook::new(mitpo_verifier.clone()))
//!                 .route("", web::post().to(mitpo)),
//!         )
//! })
//! .bind("127.0.0.1:3001")?
//! .run()
//! .await
//! # }
//! ```

use std::cell::RefCell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};

use crate::error::trace_rejection;
use crate::{BodyCollector, Error, Headers, PendingVerification, Verifier};

/// actix-web 4 keeps its own header map: the core reads it in place.
impl Headers for actix_web::http::header::HeaderMap {
    fn values<'a>(&'a self, name: &http::HeaderName) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name.as_str()).map(|v| v.as_bytes())
    }
}

/// The shared mapping: status and JSON body from [`Error::to_response`].
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code())
            .content_type(crate::error::JSON_CONTENT_TYPE)
            .body(self.body_json());
        response.extensions_mut().insert(self.clone());
        response
    }
}

/// The verifier from app data: `web::Data<Verifier>` or the bare type.
fn verifier_of(req: &HttpRequest) -> Option<Verifier> {
    req.app_data::<web::Data<Verifier>>()
        .map(|data| Verifier::clone(data))
        .or_else(|| req.app_data::<Verifier>().cloned())
}

fn payload_config_is_set(req: &HttpRequest) -> bool {
    req.app_data::<web::PayloadConfig>().is_some()
        || req.app_data::<web::Data<web::PayloadConfig>>().is_some()
}

fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn payload_error(error: PayloadError) -> Error {
    match error {
        PayloadError::Overflow => Error::BodyTooLarge { limit: None },
        other => Error::BodyUnreadable {
            reason: other.to_string(),
        },
    }
}

/// Reads the payload once, hashing each chunk as it arrives, within the
/// limits described in the [module docs](self).
async fn read_verified(
    req: &HttpRequest,
    mut payload: Payload,
    pending: PendingVerification,
) -> Result<(Bytes, crate::Verified), actix_web::Error> {
    if payload_config_is_set(req) {
        // Let actix's own `Bytes` extractor apply the `PayloadConfig` (its
        // limit is not readable from outside), while every chunk it pulls
        // goes through the HMAC on the way.
        let state = Rc::new(RefCell::new(Hashing {
            pending: Some(pending),
            error: None,
        }));
        let stream = HashingStream {
            inner: payload,
            state: Rc::clone(&state),
        };
        let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(stream);
        let mut hashed = Payload::from(boxed);
        let result = web::Bytes::from_request(req, &mut hashed).await;
        let mut state = state.borrow_mut();
        if let Some(error) = state.error.take() {
            return Err(error.into());
        }
        let bytes = result.map_err(|e| match e.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => Error::BodyTooLarge { limit: None }.into(),
            _ => e,
        })?;
        let pending = state.pending.take().ok_or(Error::NotConfigured)?;
        return Ok((bytes, pending.finish()?));
    }

    let limit = pending.body_limit();
    if content_length(req).is_some_and(|len| len > limit) {
        return Err(Error::BodyTooLarge { limit: Some(limit) }.into());
    }
    let mut collector = BodyCollector::new(pending);
    while let Some(chunk) = payload.next().await {
        collector.push(chunk.map_err(payload_error)?)?;
    }
    Ok(collector.finish()?)
}

struct Hashing {
    pending: Option<PendingVerification>,
    error: Option<Error>,
}

/// Passes the payload through, feeding each chunk to the verification.
struct HashingStream {
    inner: Payload,
    state: Rc<RefCell<Hashing>>,
}

impl Stream for HashingStream {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = std::task::ready!(Pin::new(&mut self.inner).poll_next(cx));
        if let Some(Ok(chunk)) = &item {
            let mut state = self.state.borrow_mut();
            let outcome = match state.pending.as_mut() {
                Some(pending) => pending.update(chunk),
                None => Ok(()),
            };
            if let Err(error) = outcome {
                state.error = Some(error);
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
        }
        Poll::Ready(item)
    }
}

/// Verifies the request with the verifier from app data, reads its payload
/// and records the delivery with the replay protection, if any (what the
/// extractor does: it cannot see the handler's answer).
async fn verify_request(
    req: &HttpRequest,
    payload: Payload,
) -> Result<(Bytes, crate::Verified), actix_web::Error> {
    let verifier = verifier_of(req).ok_or(Error::NotConfigured)?;
    let (bytes, verified) = verify_with(&verifier, req, payload).await?;
    traced(&verifier, req, verifier.accept(&verified).await)?;
    Ok((bytes, verified))
}

/// Headers first, then the payload.
async fn verify_with(
    verifier: &Verifier,
    req: &HttpRequest,
    payload: Payload,
) -> Result<(Bytes, crate::Verified), actix_web::Error> {
    let result = match verifier.check_headers(req.headers()) {
        Ok(pending) => read_verified(req, payload, pending).await,
        Err(error) => Err(error.into()),
    };
    traced(verifier, req, result)
}

/// Records a rejection as a tracing event and passes the result on.
fn traced<T, E: Into<actix_web::Error>>(
    verifier: &Verifier,
    req: &HttpRequest,
    result: Result<T, E>,
) -> Result<T, actix_web::Error> {
    result.map_err(|error| {
        let error = error.into();
        if let Some(e) = error.as_error::<Error>() {
            trace_rejection(e, verifier.scheme().kind(), req.path());
        }
        error
    })
}

pub use crate::extract::Verified;

impl<T> FromRequest for Verified<T>
where
    T: FromRequest + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        if let Some(verified) = req.extensions().get::<crate::Verified>().cloned() {
            // Behind the middleware: verified already; the payload is the verified bytes.
            let inner = T::from_request(&req, payload);
            return Box::pin(
                async move { Ok(Verified(inner.await.map_err(Into::into)?, verified)) },
            );
        }
        let payload = payload.take();
        Box::pin(async move {
            let (bytes, verified) = verify_request(&req, payload).await?;
            // `Verified<web::Bytes>`: the verified bytes are the value. Going
            // through actix's own `Bytes` extractor would read them a second
            // time and apply its default 256 KiB `PayloadConfig` on top of
            // the verifier's limit.
            if let Some(inner) = crate::extract::bytes_as::<T>(&bytes) {
                return Ok(Verified(inner, verified));
            }
            let mut verified_payload = Payload::from(bytes);
            let inner = T::from_request(&req, &mut verified_payload)
                .await
                .map_err(Into::into)?;
            Ok(Verified(inner, verified))
        })
    }
}

/// [`crate::Verified`] as an extractor, for handlers behind the
/// [`VerifyWebhook`] middleware; elsewhere a 500 `not_configured`.
impl FromRequest for crate::Verified {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<crate::Verified>()
                .cloned()
                .ok_or(Error::NotConfigured),
        )
    }
}

/// Middleware that verifies every request of the scope it wraps. See the
/// [module docs](self).
#[derive(Debug, Clone)]
pub struct VerifyWebhook {
    verifier: Option<Verifier>,
}

impl VerifyWebhook {
    /// Verifies with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        VerifyWebhook {
            verifier: Some(verifier),
        }
    }

    /// Verifies with the [`Verifier`] found in app data
    /// (`web::Data<Verifier>` or the bare type); 500 `not_configured` when
    /// there is none.
    pub fn from_app_data() -> Self {
        VerifyWebhook { verifier: None }
    }
}

impl<S, B> Transform<S, ServiceRequest> for VerifyWebhook
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = VerifyWebhookMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(VerifyWebhookMiddleware {
            service: Rc::new(service),
            verifier: self.verifier.clone(),
        }))
    }
}

/// The service created by [`VerifyWebhook`].
#[derive(Debug)]
pub struct VerifyWebhookMiddleware<S> {
    service: Rc<S>,
    verifier: Option<Verifier>,
}

impl<S, B> Service<ServiceRequest> for VerifyWebhookMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let verifier = self.verifier.clone().or_else(|| verifier_of(req.request()));
        Box::pin(async move {
            let Some(verifier) = verifier else {
                let response = Error::NotConfigured.error_response();
                return Ok(req.into_response(response).map_into_right_body());
            };
            let payload = req.take_payload();
            let outcome = match verify_with(&verifier, req.request(), payload).await {
                Ok((bytes, verified)) => {
                    // Reserve the replay record; commit it only if the handler succeeds.
                    let reservation = match verifier.replay_protection() {
                        Some(replay) => replay.reserve(&verified).await,
                        None => Ok(None),
                    };
                    traced(&verifier, req.request(), reservation).map(|r| (bytes, verified, r))
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok((bytes, verified, reservation)) => {
                    req.set_payload(Payload::from(bytes));
                    req.extensions_mut().insert(verified);
                    let result = service.call(req).await;
                    if let Some(reservation) = reservation {
                        let success = matches!(&result, Ok(r) if r.status().is_success());
                        reservation.settle(success).await;
                    }
                    Ok(result?.map_into_left_body())
                }
                Err(error) => {
                    let response = error.error_response();
                    Ok(req.into_response(response).map_into_right_body())
                }
            }
        })
    }
}
