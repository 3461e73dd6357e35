//! Keeping a body while it is verified, in at most about 1.125× its size:
//! a body that arrives in one chunk is kept as is; one that arrives in
//! several is copied into segments that grow with what actually arrived
//! (never with a declared length alone), and joined once it verified.

use bytes::{Bytes, BytesMut};

/// The smallest segment: 8 KiB.
const MIN_SEGMENT: usize = 8 * 1024;

/// The bytes of one body, as received.
#[derive(Debug, Default)]
pub(crate) struct BodyBuffer {
    kept: Kept,
    /// Bytes received so far.
    len: usize,
    /// The declared `Content-Length`: a cap on a segment's size, never a
    /// reason to allocate ahead of the bytes.
    declared: Option<u64>,
}

#[derive(Debug, Default)]
enum Kept {
    #[default]
    Nothing,
    One(Bytes),
    Segments(Vec<BytesMut>),
}

impl BodyBuffer {
    pub(crate) fn new(declared: Option<u64>) -> Self {
        BodyBuffer {
            declared,
            ..Self::default()
        }
    }

    /// Keeps the next chunk.
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.kept = match std::mem::take(&mut self.kept) {
            Kept::Nothing => {
                self.len = chunk.len();
                Kept::One(chunk)
            }
            Kept::One(first) => {
                // The first chunk may be a slice of a larger transport
                // buffer: copy it out rather than pin that buffer.
                let mut segments = Vec::new();
                self.len = 0;
                self.copy_in(&mut segments, &first);
                self.copy_in(&mut segments, &chunk);
                Kept::Segments(segments)
            }
            Kept::Segments(mut segments) => {
                self.copy_in(&mut segments, &chunk);
                Kept::Segments(segments)
            }
        };
    }

    fn copy_in(&mut self, segments: &mut Vec<BytesMut>, mut data: &[u8]) {
        while !data.is_empty() {
            let spare = segments.last().map_or(0, |s| s.capacity() - s.len());
            if spare == 0 {
                segments.push(BytesMut::with_capacity(self.next_segment()));
                continue;
            }
            let (now, rest) = data.split_at(spare.min(data.len()));
            if let Some(last) = segments.last_mut() {
                last.extend_from_slice(now);
            }
            self.len += now.len();
            data = rest;
        }
    }

    /// An eighth of what arrived so far (at least [`MIN_SEGMENT`]), and no
    /// more than the declared length still expects.
    fn next_segment(&self) -> usize {
        let size = (self.len / 8).max(MIN_SEGMENT);
        match self.declared.and_then(|d| usize::try_from(d).ok()) {
            Some(declared) if declared > self.len => size.min(declared - self.len),
            _ => size,
        }
    }

    /// The body so far when it came in one chunk (or none).
    pub(crate) fn single(&self) -> Option<&Bytes> {
        match &self.kept {
            Kept::One(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Bytes held, spare capacity included.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        match &self.kept {
            Kept::Nothing => 0,
            Kept::One(b) => b.len(),
            Kept::Segments(s) => s.iter().map(BytesMut::capacity).sum(),
        }
    }

    /// The whole body, contiguous, kept so (what [`into_bytes`](Self::into_bytes)
    /// then returns without another copy).
    pub(crate) fn join(&mut self) -> &[u8] {
        if let Kept::Segments(_) = &self.kept {
            let declared = self.declared;
            let joined = std::mem::take(self).into_bytes();
            *self = BodyBuffer {
                kept: Kept::One(joined),
                len: self.len,
                declared,
            };
        }
        match &self.kept {
            Kept::One(bytes) => bytes,
            _ => &[],
        }
    }

    /// The whole body, contiguous.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self.kept {
            Kept::Nothing => Bytes::new(),
            Kept::One(bytes) => bytes,
            Kept::Segments(mut segments) if segments.len() == 1 => {
                segments.pop().map(BytesMut::freeze).unwrap_or_default()
            }
            Kept::Segments(segments) => {
                let mut joined = BytesMut::with_capacity(self.len);
                for segment in &segments {
                    joined.extend_from_slice(segment);
                }
                joined.freeze()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn keeps_the_exact_bytes_in_any_chunking() {
        let data = body(300_000);
        for size in [1, 7, 1000, 16_384, 65_536, 299_999, 300_000] {
            for declared in [None, Some(300_000), Some(10), Some(u64::MAX)] {
                let mut buffer = BodyBuffer::new(declared);
                for chunk in data.chunks(size) {
                    buffer.push(Bytes::copy_from_slice(chunk));
                    buffer.push(Bytes::new());
                }
                assert_eq!(
                    buffer.into_bytes(),
                    data,
                    "chunk {size}, declared {declared:?}"
                );
            }
        }
    }

    #[test]
    fn holds_at_most_an_eighth_more_than_received() {
        let data = body(1 << 20);
        for size in [1000, 4096, 16_384, 100_000] {
            let mut buffer = BodyBuffer::new(None);
            let mut received = 0;
            for chunk in data.chunks(size) {
                buffer.push(Bytes::copy_from_slice(chunk));
                received += chunk.len();
                let limit = (received as f64 * 1.125) as usize + MIN_SEGMENT;
                assert!(
                    buffer.held() <= limit,
                    "{} > {limit} at {received}",
                    buffer.held()
                );
            }
            assert!(
                buffer.held() as f64 <= (1 << 20) as f64 * 1.13,
                "{}",
                buffer.held()
            );
        }
    }

    #[test]
    fn an_honest_content_length_is_held_exactly() {
        let data = body(1 << 20);
        let mut buffer = BodyBuffer::new(Some(1 << 20));
        for chunk in data.chunks(16_384) {
            buffer.push(Bytes::copy_from_slice(chunk));
        }
        assert_eq!(buffer.held(), 1 << 20);
    }

    #[test]
    fn a_single_chunk_is_kept_without_a_copy() {
        let chunk = Bytes::from(body(5000));
        let mut buffer = BodyBuffer::new(Some(5000));
        buffer.push(chunk.clone());
        let kept = buffer.into_bytes();
        assert_eq!(kept.as_ptr(), chunk.as_ptr());
    }
}
