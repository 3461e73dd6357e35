//! [`Verified<T>`] and [`VerifiedDelivery`] as actix-web extractors.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::payload::ActixPayload;
use super::{verifier_of, Verified};
use crate::extract::{bytes_as, Ack, VerifiedBytes};
use crate::intake::Accepted;
use crate::{Error, VerifiedDelivery};

#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl<T> FromRequest for Verified<T>
where
    T: FromRequest + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        if let Some(delivery) = req.extensions().get::<VerifiedDelivery>().cloned() {
            // Behind the middleware: verified already, and the middleware
            // settles the lease by the response.
            let kept = req.extensions().get::<VerifiedBytes>().cloned();
            if let Some(body) = kept.and_then(|VerifiedBytes(bytes)| bytes_as::<T>(&bytes)) {
                return Box::pin(ready(Ok(Verified::new(body, delivery, Ack::none()))));
            }
            let body = T::from_request(&req, payload);
            return Box::pin(async move {
                let body = body.await.map_err(Into::into)?;
                Ok(Verified::new(body, delivery, Ack::none()))
            });
        }
        let payload = payload.take();
        Box::pin(async move {
            let verifier = verifier_of(&req).ok_or(Error::NotConfigured)?;
            let admitted = verifier.admit(req.headers(), req.path())?;
            let Accepted {
                body,
                delivery,
                lease,
                ..
            } = admitted.receive(ActixPayload(payload)).await?;
            // Settled by the handler; released if the inner extractor fails.
            let ack = Ack::new(lease);
            if let Some(value) = bytes_as::<T>(&body) {
                return Ok(Verified::new(value, delivery, ack));
            }
            let value = T::from_request(&req, &mut Payload::from(body))
                .await
                .map_err(Into::into)?;
            Ok(Verified::new(value, delivery, ack))
        })
    }
}

/// [`VerifiedDelivery`] as an extractor, for handlers behind the
/// [`VerifyWebhook`](super::VerifyWebhook) middleware; elsewhere a 500
/// `no_verified_delivery`.
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl FromRequest for VerifiedDelivery {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<VerifiedDelivery>()
                .cloned()
                .ok_or(Error::NoVerifiedDelivery),
        )
    }
}
