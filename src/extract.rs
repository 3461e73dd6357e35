//! The wrapper the framework extractors share: a body extractor's value and
//! the verification metadata. `hookguard::axum::Verified` and
//! `hookguard::actix::Verified` are this one type, each framework
//! implementing its own extractor trait for it.

/// A body extractor `T` that only ran on a verified delivery, and the
/// [`crate::Verified`] metadata of that delivery.
///
/// Destructure it in a handler: `Verified(Json(event), info): Verified<Json<Event>>`.
#[derive(Debug, Clone)]
pub struct Verified<T>(pub T, pub crate::Verified);

impl<T> Verified<T> {
    /// The inner extractor's value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// The verification metadata.
    pub fn verification(&self) -> &crate::Verified {
        &self.1
    }
}

/// `bytes` as a `T` when `T` is `Bytes` itself (a reference-counted clone):
/// `Verified<Bytes>` takes the verified bytes directly instead of reading
/// them a second time through the framework's own extractor.
pub(crate) fn bytes_as<T: 'static>(bytes: &bytes::Bytes) -> Option<T> {
    let any: Box<dyn std::any::Any> = Box::new(bytes.clone());
    any.downcast::<T>().ok().map(|value| *value)
}
