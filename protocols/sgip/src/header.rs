//! The 20-byte SGIP message header.

use bytes::{BufMut, BytesMut};
use wire::DecodeError;
use wire::field::{PResult, finish, u32_be};

use crate::sequence::SequenceNumber;

/// Size of the header, and so the smallest legal frame.
pub const HEADER_LEN: usize = 20;

/// PDU name used in errors raised before the command id is known.
pub const HEADER_PDU: &str = "SGIP_HEADER";

/// A decoded header.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 0 | 4 | Message Length | total length including this header |
/// | 4 | 4 | Command ID | see [`crate::command`] |
/// | 8 | 12 | Sequence Number | node id ‖ `MMDDHHMMSS` ‖ counter ([`SequenceNumber`]) |
///
/// `00 00 00 14 00 00 00 02 b3 69 24 b9 06 14 dc 45 00 00 00 03` is an Unbind (length
/// 20, command 2) with sequence number `3010012345-0102030405-3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Message Length: total frame length, header included.
    pub length: u32,
    /// Command ID.
    pub command_id: u32,
    /// The 12-byte sequence number.
    pub sequence: SequenceNumber,
}

impl Header {
    /// Read the header at the start of `frame` without looking at the body.
    ///
    /// A session uses this to answer a frame whose body failed to decode: the
    /// response must carry the request's sequence number.
    pub fn parse(frame: &[u8]) -> Result<Self, DecodeError> {
        finish(HEADER_PDU, false, Self::parser(frame))
    }

    pub(crate) fn parser(i: &[u8]) -> PResult<'_, Self> {
        let (i, length) = u32_be("Message Length")(i)?;
        let (i, command_id) = u32_be("Command ID")(i)?;
        let (i, sequence) = SequenceNumber::parse("Sequence Number")(i)?;
        Ok((
            i,
            Self {
                length,
                command_id,
                sequence,
            },
        ))
    }

    /// Append the 20 header bytes.
    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_u32(self.length);
        buf.put_u32(self.command_id);
        self.sequence.put(buf);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const UNBIND: [u8; 20] = [
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x02, 0xb3, 0x69, 0x24, 0xb9, 0x06, 0x14, 0xdc,
        0x45, 0x00, 0x00, 0x00, 0x03,
    ];

    #[test]
    fn parses_and_writes_the_header() {
        let h = Header::parse(&UNBIND).unwrap();
        assert_eq!(h.length, 20);
        assert_eq!(h.command_id, 2);
        assert_eq!(
            h.sequence,
            SequenceNumber {
                node_id: 3_010_012_345,
                timestamp: 102_030_405,
                counter: 3
            }
        );
        let mut buf = BytesMut::new();
        h.put(&mut buf);
        assert_eq!(&buf[..], &UNBIND);
    }

    #[test]
    fn short_header_names_the_field() {
        let err = Header::parse(&UNBIND[..10]).unwrap_err();
        assert_eq!(
            err,
            DecodeError::truncated(HEADER_PDU, "Sequence Number", 4, 2)
        );
        let err = Header::parse(&UNBIND[..6]).unwrap_err();
        assert_eq!(err.field, "Command ID");
    }
}
