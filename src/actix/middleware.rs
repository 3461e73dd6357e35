//! The [`VerifyWebhookLayer`] transform and its [`VerifyWebhook`] service:
//! the intake's [`Handle`](crate::intake::Handle) for each request, in
//! actix-web's types.

use std::cell::Cell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{HttpMessage, ResponseError};

use super::payload::ActixPayload;
use super::verifier_of;
use crate::extract::VerifiedBytes;
use crate::intake::Outcome;
use crate::{Error, Verifier};

/// Middleware that verifies every request of the scope it wraps
/// (`.wrap(VerifyWebhookLayer::new(verifier))`), as the tower layer of the
/// same name does. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct VerifyWebhookLayer {
    verifier: Option<Verifier>,
}

impl VerifyWebhookLayer {
    /// Verifies with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        VerifyWebhookLayer {
            verifier: Some(verifier),
        }
    }

    /// Verifies with the [`Verifier`] found in app data
    /// (`web::Data<Verifier>` or the bare type); 500 `not_configured`
    /// when there is none (logged once at ERROR with the fix).
    pub fn from_app_data() -> Self {
        VerifyWebhookLayer { verifier: None }
    }
}

impl<S, B> Transform<S, ServiceRequest> for VerifyWebhookLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = VerifyWebhook<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(VerifyWebhook {
            service: Rc::new(service),
            verifier: self.verifier.clone(),
        }))
    }
}

/// The service created by [`VerifyWebhookLayer`].
#[derive(Debug)]
pub struct VerifyWebhook<S> {
    service: Rc<S>,
    verifier: Option<Verifier>,
}

/// A response is processed when its status is 2xx.
impl<B> Outcome for ServiceResponse<B> {
    fn processed(&self) -> bool {
        self.status().is_success()
    }
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for VerifyWebhook<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let verifier = self
            .verifier
            .clone()
            .map_or_else(|| verifier_of(req.request()), Ok);
        Box::pin(async move {
            let admission =
                match verifier.and_then(|v| v.admit_incoming(super::incoming(req.request()))) {
                    Ok(admission) => admission,
                    Err(error) => return Ok(rejection(req, error)),
                };
            let payload = ActixPayload(req.take_payload());
            // The request goes to the handler, or back to the rejection
            // (never both: the intake rejects only before calling the
            // handler). actix-web forbids cloning it while it is routed.
            let slot = Rc::new(Cell::new(Some(req)));
            let handler_slot = Rc::clone(&slot);
            let call = move |body: bytes::Bytes, delivery| {
                let mut req = handler_slot.take().expect("the request is the handler's");
                req.extensions_mut().insert(VerifiedBytes(body.clone()));
                req.extensions_mut().insert(delivery);
                req.set_payload(Payload::from(body));
                service.call(req)
            };
            match admission.handle(payload, call).await {
                Ok(answer) => answer.map(ServiceResponse::map_into_left_body),
                Err(error) => {
                    let req = slot.take().expect("the handler was not called");
                    Ok(rejection(req, error))
                }
            }
        })
    }
}

/// The rejection as this framework's response (the intake has already
/// reported it).
fn rejection<B>(req: ServiceRequest, error: Error) -> ServiceResponse<EitherBody<B>> {
    req.into_response(error.error_response())
        .map_into_right_body()
}
