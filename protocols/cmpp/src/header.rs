//! The 12-byte message header shared by every CMPP 2.0 / 3.0 PDU (cmpp.md §2).
//!
//! | Offset | Size | Field | Meaning |
//! |---:|---:|---|---|
//! | 0 | 4 | Total_Length | whole PDU including these 12 bytes |
//! | 4 | 4 | Command_Id | see [`command`](crate::command) |
//! | 8 | 4 | Sequence_Id | a response echoes its request's value |
//!
//! Example (CMPP_ACTIVE_TEST, sequence 7): `0000000c 00000008 00000007`.

use bytes::{BufMut, BytesMut};
use wire::DecodeError;

/// Header size in bytes; also the smallest legal PDU (ACTIVE_TEST, TERMINATE).
pub const HEADER_LEN: usize = 12;

/// PDU name used in errors raised before the command id is known.
pub(crate) const HEADER_PDU: &str = "CMPP_HEADER";

/// A decoded message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Length of the whole PDU, header included.
    pub total_length: u32,
    /// Command id, e.g. 0x00000004 for CMPP_SUBMIT.
    pub command_id: u32,
    /// Sequence id; a response carries its request's.
    pub sequence_id: u32,
}

impl Header {
    /// Read the header at the start of `frame` (which may be longer).
    pub fn parse(frame: &[u8]) -> Result<Self, DecodeError> {
        let Some(raw) = frame.first_chunk::<HEADER_LEN>() else {
            return Err(DecodeError::truncated(
                HEADER_PDU,
                "Total_Length",
                HEADER_LEN,
                frame.len(),
            ));
        };
        let [l0, l1, l2, l3, c0, c1, c2, c3, s0, s1, s2, s3] = *raw;
        Ok(Self {
            total_length: u32::from_be_bytes([l0, l1, l2, l3]),
            command_id: u32::from_be_bytes([c0, c1, c2, c3]),
            sequence_id: u32::from_be_bytes([s0, s1, s2, s3]),
        })
    }

    /// Append the 12 header bytes to `buf`.
    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_u32(self.total_length);
        buf.put_u32(self.command_id);
        buf.put_u32(self.sequence_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_big_endian() {
        let raw = [0, 0, 0, 0x0c, 0, 0, 0, 0x08, 0, 0, 0, 0x07];
        let h = Header::parse(&raw).map_err(|e| e.to_string());
        assert_eq!(
            h,
            Ok(Header {
                total_length: 12,
                command_id: 8,
                sequence_id: 7
            })
        );
        let mut buf = BytesMut::new();
        if let Ok(h) = h {
            h.put(&mut buf);
        }
        assert_eq!(&buf[..], &raw);
    }

    #[test]
    fn short_header_names_the_length_field() {
        let err = Header::parse(&[0, 0, 0]).err();
        assert_eq!(
            err,
            Some(DecodeError::truncated("CMPP_HEADER", "Total_Length", 12, 3))
        );
    }
}
