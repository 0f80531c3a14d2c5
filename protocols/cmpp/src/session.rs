//! Session keep-alive and close: CMPP_ACTIVE_TEST(_RESP), CMPP_TERMINATE(_RESP)
//! (cmpp.md §8.4). Only ACTIVE_TEST_RESP has a body; the others are the bare header and
//! appear as unit variants of [`Body`](crate::Body).

use bytes::{BufMut, BytesMut};
use wire::DecodeError;

use crate::reader::Reader;

pub(crate) const ACTIVE_TEST_RESP_PDU: &str = "CMPP_ACTIVE_TEST_RESP";

/// CMPP_ACTIVE_TEST_RESP body (same in 2.0 and 3.0; Total_Length 13).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 1 | Reserved | send 0; Huawei's 2.0 API calls it success_Id, the value is irrelevant |
///
/// Example (sequence 7): `0000000d 80000008 00000007 00`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActiveTestResp {
    /// Reserved byte, kept as received.
    pub reserved: u8,
}

impl ActiveTestResp {
    pub(crate) const BODY_LEN: usize = 1;

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(ACTIVE_TEST_RESP_PDU, body);
        let reserved = r.u8("Reserved")?;
        r.end()?;
        Ok(Self { reserved })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.reserved);
    }
}

/// A PDU that is only a header must have an empty body.
pub(crate) fn expect_empty(pdu: &'static str, body: &[u8]) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::trailing(pdu, body.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_byte_is_kept() {
        assert_eq!(
            ActiveTestResp::decode(&[5]),
            Ok(ActiveTestResp { reserved: 5 })
        );
        assert!(ActiveTestResp::decode(&[]).is_err());
        assert_eq!(
            ActiveTestResp::decode(&[0, 0]),
            Err(DecodeError::trailing(ACTIVE_TEST_RESP_PDU, 1))
        );
    }

    #[test]
    fn header_only_pdus_reject_a_body() {
        assert!(expect_empty("CMPP_TERMINATE", &[]).is_ok());
        assert_eq!(
            expect_empty("CMPP_TERMINATE", &[0]),
            Err(DecodeError::trailing("CMPP_TERMINATE", 1))
        );
    }
}
