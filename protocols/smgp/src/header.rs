//! The 12-byte SMGP header shared by every PDU.
//!
//! | Offset | Size | Field | Meaning |
//! |---:|---:|---|---|
//! | 0 | 4 | PacketLength | total PDU length, header and TLVs included |
//! | 4 | 4 | RequestID | command id ([`crate::command`]) |
//! | 8 | 4 | SequenceID | per-sender counter; a response echoes its request's value |
//!
//! Example (Active_Test, sequence 9): `0000000c 00000004 00000009`.

use bytes::{BufMut, BytesMut};
use wire::DecodeError;

/// Size of the header in bytes.
pub const HEADER_LEN: usize = 12;

/// PDU name used in errors about the header itself.
pub(crate) const PDU: &str = "SMGP_HEADER";

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total length of the PDU in bytes.
    pub packet_length: u32,
    /// Command id.
    pub request_id: u32,
    /// Sequence number.
    pub sequence_id: u32,
}

impl Header {
    /// Read the header at the start of `frame` (which must hold at least 12 bytes).
    pub fn parse(frame: &[u8]) -> Result<Self, DecodeError> {
        let Some(h) = frame.get(..HEADER_LEN) else {
            return Err(DecodeError::truncated(
                PDU,
                "PacketLength",
                HEADER_LEN,
                frame.len(),
            ));
        };
        let word = |at: usize| u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        Ok(Self {
            packet_length: word(0),
            request_id: word(4),
            sequence_id: word(8),
        })
    }

    /// Append the 12 header bytes.
    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_u32(self.packet_length);
        buf.put_u32(self.request_id);
        buf.put_u32(self.sequence_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_big_endian() {
        let raw = [0, 0, 0, 0x0c, 0, 0, 0, 4, 0, 0, 0, 9];
        let h = Header::parse(&raw).ok();
        assert_eq!(
            h,
            Some(Header {
                packet_length: 12,
                request_id: 4,
                sequence_id: 9
            })
        );
        let mut buf = BytesMut::new();
        if let Some(h) = h {
            h.put(&mut buf);
        }
        assert_eq!(&buf[..], &raw);
    }

    #[test]
    fn short_header_names_the_length_field() {
        assert_eq!(
            Header::parse(&[0, 0, 0]),
            Err(DecodeError::truncated(PDU, "PacketLength", 12, 3))
        );
    }
}
