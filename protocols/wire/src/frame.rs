//! Length-prefixed framing shared by CMPP, SMGP and SGIP.
//!
//! All three start every PDU with a 4-byte big-endian total length that includes the
//! header. The length is checked against the header size and a configurable maximum
//! *before* any buffer is reserved, so a hostile or corrupt peer cannot make us
//! allocate gigabytes or spin on a zero-length frame.

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
