//! [`Verified<T>`] and [`VerifiedDelivery`] as actix-web extractors.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::payload::ActixPayload;
use super::{verifier_of, Verified};
use crate::extract::{bytes_as, VerifiedBytes};
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
            // Behind the middleware: the verified bytes are kept in the
            // extensions for `Verified<web::Bytes>`; another `T` reads them
            // from the payload the middleware put back.
            let kept = req.extensions().get::<VerifiedBytes>().cloned();
            if let Some(body) = kept.and_then(|VerifiedBytes(bytes)| bytes_as::<T>(&bytes)) {
                return Box::pin(ready(Ok(Verified::upstream(body, delivery))));
            }
            let body = T::from_request(&req, payload);
            return Box::pin(async move {
                let body = body.await.map_err(Into::into)?;
                Ok(Verified::upstream(body, delivery))
            });
        }
        let payload = payload.take();
        Box::pin(async move {
            let verifier = verifier_of(&req)?;
            let admission = verifier.admit_incoming(super::incoming(&req))?;
            let received = admission.receive(ActixPayload(payload)).await?;
            Verified::standalone(received, |body| async move {
                T::from_request(&req, &mut Payload::from(body))
                    .await
                    .map_err(Into::into)
            })
            .await
        })
    }
}

/// [`VerifiedDelivery`] as an extractor, for handlers behind the
/// [`VerifyWebhookLayer`](super::VerifyWebhookLayer) middleware; elsewhere a 500
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
