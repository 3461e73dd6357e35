//! Compression between the provider and the handler: a body signed before
//! `Content-Encoding` and received compressed (decompressed here, within a
//! size cap: the input may be hostile), or signed after it and received
//! decompressed (compressed again as the common libraries do).

use std::io::{Read, Write};

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

/// A compression the body may have gone through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codec {
    Gzip,
    /// `Content-Encoding: deflate`: zlib, or raw deflate from some senders.
    Deflate,
    Brotli,
}

impl Codec {
    pub(super) fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Deflate => "deflate",
            Codec::Brotli => "br",
        }
    }

    /// The codec a `Content-Encoding` value names.
    pub(super) fn from_header(value: &[u8]) -> Option<Self> {
        let value = crate::timestamp::trim(value);
        let last = value
            .rsplit(|&b| b == b',')
            .next()
            .map(crate::timestamp::trim)?;
        match last.to_ascii_lowercase().as_slice() {
            b"gzip" | b"x-gzip" => Some(Codec::Gzip),
            b"deflate" => Some(Codec::Deflate),
            b"br" => Some(Codec::Brotli),
            _ => None,
        }
    }

    /// The codec whose magic bytes start `body`.
    pub(super) fn sniff(body: &[u8]) -> Option<Self> {
        match body {
            [0x1f, 0x8b, ..] => Some(Codec::Gzip),
            [a, b, ..] if a & 0x0f == 8 && (u16::from(*a) << 8 | u16::from(*b)) % 31 == 0 => {
                Some(Codec::Deflate)
            }
            _ => None,
        }
    }
}

/// The decompressed body, if it decodes to at most `cap` bytes.
pub(super) fn decompress(codec: Codec, body: &[u8], cap: usize) -> Option<Vec<u8>> {
    match codec {
        Codec::Gzip => read_capped(MultiGzDecoder::new(body), cap),
        Codec::Deflate => read_capped(ZlibDecoder::new(body), cap)
            .or_else(|| read_capped(DeflateDecoder::new(body), cap)),
        Codec::Brotli => None,
    }
}

fn read_capped(reader: impl Read, cap: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut out).ok()?;
    (out.len() <= cap && !out.is_empty()).then_some(out)
}

/// The body compressed as the common libraries do by default (flate2 /
/// zlib at level 6; gzip with no name and no time).
pub(super) fn compress(codec: Codec, body: &[u8]) -> Option<Vec<u8>> {
    match codec {
        Codec::Gzip => {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
            encoder.write_all(body).ok()?;
            encoder.finish().ok()
        }
        Codec::Deflate => {
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
            encoder.write_all(body).ok()?;
            encoder.finish().ok()
        }
        Codec::Brotli => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompresses_within_the_cap_only() {
        let body = vec![b'a'; 100_000];
        let gz = compress(Codec::Gzip, &body).unwrap();
        assert_eq!(Codec::sniff(&gz), Some(Codec::Gzip));
        assert_eq!(decompress(Codec::Gzip, &gz, 100_000).unwrap(), body);
        assert!(decompress(Codec::Gzip, &gz, 99_999).is_none());
        let z = compress(Codec::Deflate, &body).unwrap();
        assert_eq!(Codec::sniff(&z), Some(Codec::Deflate));
        assert_eq!(decompress(Codec::Deflate, &z, 1 << 20).unwrap(), body);
        assert!(decompress(Codec::Gzip, b"\x1f\x8bnot gzip", 1 << 20).is_none());
        assert_eq!(Codec::from_header(b" GZIP "), Some(Codec::Gzip));
        assert_eq!(Codec::from_header(b"br"), Some(Codec::Brotli));
        assert_eq!(Codec::from_header(b"identity"), None);
        assert_eq!(Codec::sniff(b"{}"), None);
    }
}
