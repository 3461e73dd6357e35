//! A cheap hasher for maps keyed by values that are already hashes or
//! unique ids (replay key fingerprints, lease ids): nobody but the provider
//! and this process chooses them, so SipHash's flooding resistance buys
//! nothing here, and it costs more than the rest of a lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiplies each word in (as FxHash does); the high bits, which the map's
/// control bytes come from, depend on every input bit.
#[derive(Default, Clone, Copy)]
pub(super) struct Mix(u64);

impl Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u128(&mut self, word: u128) {
        self.write_u64(word as u64);
        self.write_u64((word >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type MixState = BuildHasherDefault<Mix>;
