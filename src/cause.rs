//! [`Cause`]: the underlying error behind an error whose reason is also
//! given as text.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// The underlying error (I/O, Redis, a body stream, …) behind an error that
/// also states its reason as text, such as
/// [`Error::BodyUnreadable`](crate::Error::BodyUnreadable): that error's
/// [`source`](std::error::Error::source), so that error reporters print the
/// whole chain.
///
/// It is transparent: its `Display`, `Debug` and `source()` are those of the
/// error it holds; [`get`](Self::get) gives that error itself, to downcast
/// it. It is shared (an `Arc`), so that errors holding one stay `Clone`, and
/// any two causes compare equal: an error's equality is what it says (its
/// code and fields), not which instance of an underlying error caused it.
#[derive(Clone)]
pub struct Cause(Arc<dyn StdError + Send + Sync>);

impl Cause {
    /// Keeps `error` as a cause.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Self {
        Cause(Arc::new(error))
    }

    /// Keeps a boxed error as a cause.
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync>) -> Self {
        Cause(Arc::from(error))
    }

    /// The underlying error, for `downcast_ref`.
    pub fn get(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl StdError for Cause {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Cause {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_transparent_and_downcasts_to_the_underlying_error() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let cause = Cause::new(io);
        assert_eq!(cause.to_string(), "reset by peer");
        let inner = cause.get().downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(inner.kind(), std::io::ErrorKind::ConnectionReset);
        let other = Cause::from_boxed("something else".into());
        assert_eq!(cause, other, "causes never make two errors unequal");
    }
}
