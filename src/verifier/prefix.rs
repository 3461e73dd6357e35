//! [`SignedPrefix`]: the signed bytes that precede the body.

/// The signed bytes that precede the body (`<timestamp>.` for Mittr,
/// nothing for MITPO, `<id>.<timestamp>.` for Standard Webhooks), kept
/// inline when short, as they almost always are.
pub(crate) struct SignedPrefix {
    inline: [u8; INLINE],
    len: usize,
    long: Vec<u8>,
}

/// Prefix bytes kept without allocating.
const INLINE: usize = 64;

impl SignedPrefix {
    pub(crate) const fn new() -> Self {
        SignedPrefix {
            inline: [0; INLINE],
            len: 0,
            long: Vec::new(),
        }
    }

    /// Appends `bytes`.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if !self.long.is_empty() {
            self.long.extend_from_slice(bytes);
        } else if self.len + bytes.len() <= INLINE {
            self.inline[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.long.reserve(self.len + bytes.len());
            self.long.extend_from_slice(&self.inline[..self.len]);
            self.long.extend_from_slice(bytes);
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        if self.long.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.long
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_prefixes_read_back_whole() {
        for sizes in [
            &[0usize][..],
            &[10, 1],
            &[64],
            &[60, 5],
            &[65, 3],
            &[30, 30, 30],
        ] {
            let mut prefix = SignedPrefix::new();
            let mut expected = Vec::new();
            for (i, &n) in sizes.iter().enumerate() {
                let part = vec![b'a' + i as u8; n];
                prefix.push(&part);
                expected.extend_from_slice(&part);
            }
            assert_eq!(prefix.as_bytes(), &expected[..], "{sizes:?}");
        }
    }
}
