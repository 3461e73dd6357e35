//! Keyed MACs: HMAC-SHA256 keyed once per secret, cloned per delivery, and
//! compared in constant time.

use hmac::{KeyInit, Mac};
use subtle::{Choice, ConstantTimeEq};

use crate::secret::Secret;
use crate::signature::DIGEST_LEN;

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Keys the MAC once; the keyed state is cloned for every delivery.
pub(crate) fn keyed_mac(secret: &Secret) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret.expose()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    }
}

/// Finalizes the MAC of secret `index` and compares it in constant time
/// with every candidate (no early exit), recording the first match.
pub(crate) fn compare(
    mac: HmacSha256,
    index: usize,
    candidates: &[[u8; DIGEST_LEN]],
    found: &mut Option<usize>,
) {
    let tag: [u8; DIGEST_LEN] = mac.finalize().into_bytes().into();
    for candidate in candidates {
        let hit: Choice = tag.ct_eq(candidate);
        if bool::from(hit) && found.is_none() {
            *found = Some(index);
        }
    }
}
