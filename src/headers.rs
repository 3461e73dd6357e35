//! The header-lookup seam: the core reads headers through [`Headers`], so
//! every framework's own header map can be checked in place, without copying.

use http::{HeaderMap, HeaderName};

/// Read access to a request's headers.
///
/// Implemented for [`http::HeaderMap`]; adapters implement it for their
/// framework's map (actix-web's, for instance) so that nothing is copied per
/// request.
pub trait Headers {
    /// Every value of header `name`, in the order received. Names are
    /// matched case-insensitively, as HTTP requires.
    fn values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]>;
}

impl Headers for HeaderMap {
    fn values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        self.get_all(name).into_iter().map(|v| v.as_bytes())
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn values<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
        (**self).values(name)
    }
}

/// The first value of `name` as a decimal number (trimmed ASCII digits), if
/// it is one.
#[cfg(feature = "runtime")]
pub(crate) fn decimal<H: Headers + ?Sized>(headers: &H, name: &HeaderName) -> Option<u64> {
    let value = headers.values(name).next()?;
    crate::timestamp::parse_timestamp(value).ok()
}
