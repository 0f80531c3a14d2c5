//! Length-prefixed framing shared by CMPP, SMGP and SGIP.
//!
//! All three start every PDU with a 4-byte big-endian total length that includes the
//! header. The length is checked against the header size and a configurable maximum
//! *before* any buffer is reserved, so a hostile or corrupt peer cannot make us
//! allocate gigabytes or spin on a zero-length frame.

use bytes::{Bytes, BytesMut};

use crate::error::FrameError;

/// Accepted frame sizes for one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Smallest legal frame: the header size.
    pub min: usize,
    /// Largest frame accepted.
    pub max: usize,
}

impl FrameLimits {
    /// Look at the start of `buf` and say how long the next frame is.
    ///
    /// * `Ok(None)` — fewer than 4 bytes buffered; wait for more.
    /// * `Ok(Some(n))` — the next frame is `n` bytes (it may not be fully buffered yet).
    /// * `Err(_)` — the length prefix is out of bounds; the stream cannot be resynchronised.
    pub fn peek_len(&self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        let Some(prefix) = buf.get(..4) else {
            return Ok(None);
        };
        let declared = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let len = declared as usize;
        if len < self.min {
            return Err(FrameError::TooShort {
                declared,
                min: self.min,
            });
        }
        if len > self.max {
            return Err(FrameError::TooLong {
                declared,
                max: self.max,
            });
        }
        Ok(Some(len))
    }
}

impl FrameLimits {
    /// Take the next complete frame off the front of `src`, for a
    /// `tokio_util::codec::Decoder`.
    ///
    /// * `Ok(None)` — not all of it has arrived; when the length is known, room for the
    ///   rest is reserved (bounded, since the length passed [`FrameLimits::peek_len`]).
    /// * `Ok(Some(frame))` — the whole frame, header included, removed from `src`
    ///   without copying.
    /// * `Err(_)` — the length prefix is out of bounds.
    pub fn next_frame(&self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let Some(len) = self.peek_len(src)? else {
            return Ok(None);
        };
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        Ok(Some(src.split_to(len).freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FrameLimits = FrameLimits { min: 12, max: 4096 };

    #[test]
    fn waits_for_the_length_prefix() {
        assert_eq!(LIMITS.peek_len(&[0, 0, 0]), Ok(None));
    }

    #[test]
    fn reports_length_even_when_body_is_incomplete() {
        assert_eq!(LIMITS.peek_len(&[0, 0, 0, 12, 0]), Ok(Some(12)));
    }

    #[test]
    fn next_frame_reserves_then_splits_without_touching_the_next_frame() {
        let mut src = BytesMut::from(&[0u8, 0, 0, 13, 1][..]);
        assert_eq!(LIMITS.next_frame(&mut src), Ok(None));
        assert!(
            src.capacity() >= 13,
            "room for the rest of the frame is reserved"
        );
        src.extend_from_slice(&[2; 8]);
        src.extend_from_slice(&[0, 0, 0, 12]);
        let frame = LIMITS.next_frame(&mut src);
        assert_eq!(frame.map(|f| f.map(|b| b.len())), Ok(Some(13)));
        assert_eq!(&src[..], &[0, 0, 0, 12], "the next frame's start stays");
        assert_eq!(LIMITS.next_frame(&mut src), Ok(None));
    }

    #[test]
    fn next_frame_rejects_bad_lengths_before_reserving() {
        let mut src = BytesMut::from(&[0x7f_u8, 0xff, 0xff, 0xff][..]);
        let cap = src.capacity();
        assert!(matches!(
            LIMITS.next_frame(&mut src),
            Err(FrameError::TooLong { .. })
        ));
        assert_eq!(src.capacity(), cap);
    }

    #[test]
    fn rejects_below_header() {
        assert_eq!(
            LIMITS.peek_len(&[0, 0, 0, 11]),
            Err(FrameError::TooShort {
                declared: 11,
                min: 12
            })
        );
    }

    #[test]
    fn rejects_above_max_before_allocating() {
        assert_eq!(
            LIMITS.peek_len(&[0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLong {
                declared: u32::MAX,
                max: 4096
            })
        );
    }
}
