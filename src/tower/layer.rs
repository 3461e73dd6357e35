//! [`VerifyWebhookLayer`]: applies [`VerifyWebhook`] to a service.

use tower_layer::Layer;

use super::rejection::{JsonRejection, OnRejection};
use super::service::VerifyWebhook;
use crate::Verifier;

/// Applies [`VerifyWebhook`] to a service: every request must be a verified
/// delivery for the given [`Verifier`].
///
/// See the [module docs](super) for the full behaviour.
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifyWebhookLayer<R = JsonRejection> {
    verifier: Verifier,
    on_rejection: R,
}

impl VerifyWebhookLayer {
    /// Verifies every request with `verifier`, rejecting with the default
    /// JSON response.
    pub fn new(verifier: Verifier) -> Self {
        VerifyWebhookLayer {
            verifier,
            on_rejection: JsonRejection,
        }
    }
}

impl<R> VerifyWebhookLayer<R> {
    /// Replaces the rejection response. A closure works:
    ///
    /// ```
    /// use bytes::Bytes;
    /// use hookwarden::{tower::VerifyWebhookLayer, Error, Scheme, Verifier};
    ///
    /// let verifier = Verifier::builder(Scheme::mittr()).secret("s").build()?;
    /// let layer = VerifyWebhookLayer::new(verifier).on_rejection(|err: &Error| {
    ///     http::Response::builder()
    ///         .status(err.status())
    ///         .body(Bytes::from(format!("rejected: {}", err.code())))
    ///         .unwrap()
    /// });
    /// # Ok::<(), hookwarden::ConfigError>(())
    /// ```
    pub fn on_rejection<R2: OnRejection>(self, on_rejection: R2) -> VerifyWebhookLayer<R2> {
        VerifyWebhookLayer {
            verifier: self.verifier,
            on_rejection,
        }
    }

    /// The verifier in use.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

impl<S, R: Clone> Layer<S> for VerifyWebhookLayer<R> {
    type Service = VerifyWebhook<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyWebhook::new(inner, self.verifier.clone(), self.on_rejection.clone())
    }
}
