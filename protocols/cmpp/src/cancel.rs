//! Deleting a pending MT: CMPP_CANCEL and CMPP_CANCEL_RESP (cmpp.md §8.3).

use bytes::{BufMut, BytesMut};
use wire::{DecodeError, EncodeError};

use crate::fields::put_result;
use crate::msg_id::MsgId;
use crate::reader::Reader;
use crate::status;
use crate::version::Version;

pub(crate) const CANCEL_PDU: &str = "CMPP_CANCEL";
pub(crate) const CANCEL_RESP_PDU: &str = "CMPP_CANCEL_RESP";

/// CMPP_CANCEL body, SP → ISMG (Total_Length 20 in both versions).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | Msg_Id | the id from SUBMIT_RESP |
///
/// Example: `00000014 00000007 0000000a 110c414134fd0001`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cancel {
    /// Msg_Id of the message to delete.
    pub msg_id: MsgId,
}

impl Cancel {
    pub(crate) const BODY_LEN: usize = 8;

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(CANCEL_PDU, body);
        let msg_id = MsgId(r.u64("Msg_Id")?);
        r.end()?;
        Ok(Self { msg_id })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.msg_id.0);
    }
}

/// CMPP_CANCEL_RESP body, ISMG → SP. Success_Id is 1 byte in 2.0 (Total_Length 13)
/// and 4 bytes in 3.0 (Total_Length 16) — README disagreement 6.
///
/// | Offset | Size 2.0 / 3.0 | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 1 / 4 | Success_Id | 0 success, 1 failure |
///
/// Example (3.0, success): `00000010 80000007 0000000a 00000000`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CancelResp {
    /// Success_Id; must fit one byte for 2.0.
    pub success_id: u32,
}

impl CancelResp {
    /// Human-readable Success_Id.
    pub fn success_meaning(&self) -> &'static str {
        status::cancel_success_meaning(self.success_id)
    }

    pub(crate) const fn body_len(version: Version) -> usize {
        version.result_width()
    }

    pub(crate) fn decode(version: Version, body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(CANCEL_RESP_PDU, body);
        let success_id = r.result(version, "Success_Id")?;
        r.end()?;
        Ok(Self { success_id })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_result(buf, version, CANCEL_RESP_PDU, "Success_Id", self.success_id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn cancel_resp_width_per_version() {
        let r = CancelResp { success_id: 1 };
        for (v, len) in [(Version::V20, 1), (Version::V30, 4)] {
            let mut buf = BytesMut::new();
            r.encode(v, &mut buf).unwrap();
            assert_eq!(buf.len(), len);
            assert_eq!(CancelResp::decode(v, &buf), Ok(r));
        }
        assert_eq!(r.success_meaning(), "failure");
        let err = CancelResp::decode(Version::V20, &[0, 0, 0, 1]).unwrap_err();
        assert_eq!(err, DecodeError::trailing(CANCEL_RESP_PDU, 3));
    }

    #[test]
    fn cancel_round_trip() {
        let c = Cancel {
            msg_id: MsgId(0x110C_4141_34FD_0001),
        };
        let mut buf = BytesMut::new();
        c.encode(&mut buf);
        assert_eq!(Cancel::decode(&buf), Ok(c));
        assert_eq!(Cancel::decode(&buf[..7]).unwrap_err().field, "Msg_Id");
    }
}
