//! The wrapper the framework extractors share: a body extractor's value,
//! the verified delivery's metadata, and the [`Ack`], the handler's handle
//! on the delivery's replay lease. `hookwarden::axum::Verified` and
//! `hookwarden::actix::Verified` are this one type, each framework
//! implementing its own extractor trait for it.

use bytes::Bytes;

use crate::intake::Received;
use crate::replay::Lease;
use crate::VerifiedDelivery;

/// A body extractor `T` that only ran on a verified delivery, the
/// [`VerifiedDelivery`] metadata, and its [`Ack`].
///
/// Destructure it in a handler:
/// `Verified { body: Json(event), delivery, ack }: Verified<Json<Event>>`.
#[derive(Debug)]
pub struct Verified<T> {
    /// The inner extractor's value, made from exactly the bytes verified.
    pub body: T,
    /// What the verification proved.
    pub delivery: VerifiedDelivery,
    /// Settles the delivery's replay lease: see [`Ack`].
    pub ack: Ack,
}

impl<T> Verified<T> {
    /// A delivery a layer or a middleware upstream verified (its
    /// [`VerifiedDelivery`] in the request extensions, which only server
    /// code can write): trusted, not verified a second time, and nothing to
    /// acknowledge, as the layer or the middleware settles the lease by the
    /// response.
    pub(crate) fn upstream(body: T, delivery: VerifiedDelivery) -> Self {
        Verified {
            body,
            delivery,
            ack: Ack::none(),
        }
    }

    /// A delivery this extractor verified itself: `T` made from exactly the
    /// verified bytes (taken directly when `T` is `Bytes`, else by
    /// `extract`), the lease handed to the handler as its [`Ack`] (renewed
    /// meanwhile; released if `extract` fails).
    pub(crate) async fn standalone<E, F>(
        received: Received,
        extract: impl FnOnce(Bytes) -> F,
    ) -> Result<Self, E>
    where
        T: 'static,
        F: std::future::Future<Output = Result<T, E>>,
    {
        let Received {
            body,
            delivery,
            lease,
            ..
        } = received;
        let ack = Ack::new(lease);
        if let Some(body) = bytes_as::<T>(&body) {
            return Ok(Verified {
                body,
                delivery,
                ack,
            });
        }
        let body = extract(body).await?;
        Ok(Verified {
            body,
            delivery,
            ack,
        })
    }

    /// The inner extractor's value (the [`Ack`], dropped, releases the
    /// delivery).
    pub fn into_inner(self) -> T {
        self.body
    }
}

/// A standalone extractor's handle on its delivery's replay [`Lease`], to
/// acknowledge the delivery as message queues do. Behind a layer or a
/// middleware, "processed" means a 2xx response; a standalone extractor
/// cannot see its handler's response, so "processed" means an explicit
/// [`commit`](Self::commit) (copies then get 409 `replayed`);
/// [`release`](Self::release)d, or dropped unsettled (an early return, an
/// error, a panic), the delivery is released so that the provider's retry
/// is processed. While it is held, copies get 409 `in_flight` and the lease
/// is renewed by the same [`KeepAlive`](crate::replay::KeepAlive) as behind
/// the layer, from a background task.
///
/// Without replay protection, and behind the layer or the middleware (which
/// settle by the response's status themselves), it does nothing.
///
/// The axum module's example shows one (`hookwarden::axum`); in short: return
/// early on a failure (the ack, dropped, releases the delivery), and
/// `ack.commit().await` once the delivery is processed.
#[derive(Debug)]
#[must_use = "commit the Ack once the delivery is processed; dropped, it releases the delivery"]
pub struct Ack {
    lease: Option<Lease>,
}

impl Ack {
    pub(crate) fn new(lease: Option<Lease>) -> Self {
        let lease = lease.map(|mut lease| {
            lease.renew_in_background();
            lease
        });
        Ack { lease }
    }

    /// An acknowledgement with nothing to settle.
    pub(crate) fn none() -> Self {
        Ack { lease: None }
    }

    /// Whether there is a lease to settle (replay protection on, and this
    /// extractor verified the delivery itself).
    pub fn is_tracked(&self) -> bool {
        self.lease.is_some()
    }

    /// The delivery was processed: refuse its replays from now on.
    pub async fn commit(mut self) {
        if let Some(lease) = self.lease.take() {
            lease.commit().await;
        }
    }

    /// The delivery was not processed: let the provider's retry through.
    pub async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            lease.release().await;
        }
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        if self.lease.is_some() {
            warn_once_unsettled();
        }
    }
}

/// Says once per process that an Ack was dropped unsettled: right for a
/// failed handler, a mistake for one that forgot to commit.
fn warn_once_unsettled() {
    #[cfg(feature = "tracing")]
    {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                "a webhook Ack was dropped without commit: the delivery was released, and a \
                 copy of it will be processed again; call `ack.commit().await` once a delivery \
                 is processed (said once per process)"
            );
        });
    }
}

/// The verified bytes, kept in the request extensions by the actix-web
/// middleware so that `Verified<web::Bytes>` behind it takes them directly,
/// without actix's `PayloadConfig` (256 KiB by default) applying a second
/// time.
#[cfg(feature = "actix")]
#[derive(Clone)]
pub(crate) struct VerifiedBytes(pub(crate) bytes::Bytes);

/// `bytes` as a `T` when `T` is `Bytes` itself (a reference-counted clone):
/// `Verified<Bytes>` takes the verified bytes directly instead of reading
/// them a second time through the framework's own extractor.
pub(crate) fn bytes_as<T: 'static>(bytes: &bytes::Bytes) -> Option<T> {
    let any: Box<dyn std::any::Any> = Box::new(bytes.clone());
    any.downcast::<T>().ok().map(|value| *value)
}
