//! The [`VerifyWebhook`] middleware: drives the intake, calls the wrapped
//! service under the delivery's lease, settles it by the response's status.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{HttpMessage, ResponseError};

use super::payload::ActixPayload;
use super::verifier_of;
use crate::extract::VerifiedBytes;
use crate::intake::Accepted;
use crate::{Error, Verifier};

/// Middleware that verifies every request of the scope it wraps. See the
/// [module docs](super).
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

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for VerifyWebhookMiddleware<S>
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
        let verifier = self.verifier.clone().or_else(|| verifier_of(req.request()));
        Box::pin(async move {
            let Some(verifier) = verifier else {
                return Ok(reject(req, Error::NotConfigured));
            };
            let outcome = match verifier.admit(req.headers(), req.path()) {
                Ok(admitted) => admitted.receive(ActixPayload(req.take_payload())).await,
                Err(error) => Err(error),
            };
            match outcome {
                Err(error) => Ok(reject(req, error)),
                Ok(accepted) => call_verified(&*service, req, accepted).await,
            }
        })
    }
}

/// Calls the wrapped service with the verified bytes as the payload (and in
/// the extensions, with the [`VerifiedDelivery`](crate::VerifiedDelivery)),
/// under the delivery's lease, then settles it by the response's status.
async fn call_verified<S, B>(service: &S, mut req: ServiceRequest, accepted: Accepted) -> Answer<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let Accepted {
        body,
        delivery,
        lease,
        ..
    } = accepted;
    req.extensions_mut().insert(VerifiedBytes(body.clone()));
    req.extensions_mut().insert(delivery);
    req.set_payload(Payload::from(body));
    let Some(lease) = lease else {
        return service
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let (result, lease) = lease.keep_alive(service.call(req)).await;
    lease
        .settle(matches!(&result, Ok(response) if response.status().is_success()))
        .await;
    result.map(ServiceResponse::map_into_left_body)
}

/// The shared mapping as this framework's response (the intake has already
/// reported the rejection).
fn reject<B>(req: ServiceRequest, error: Error) -> ServiceResponse<EitherBody<B>> {
    req.into_response(error.error_response())
        .map_into_right_body()
}
