//! The common response body: `Result` then an 8-byte `Reserve`.
//!
//! Bind_Resp, Submit_Resp, Deliver_Resp, Report_Resp and UserRpt_Resp all share it
//! (Message Length 29).

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be};
use wire::{DecodeError, Octets};

use crate::status;

/// Body size of every Result ‖ Reserve response.
pub const RESP_BODY_LEN: usize = 9;

/// A response body: `Result` and `Reserve`.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 1 | Result | 0 success, otherwise an error code ([`crate::status`]) |
/// | 21 | 8 | Reserve | |
///
/// Example (Bind_Resp, Result 0, echoing the Bind's sequence number):
/// `0000001d 80000001 b36924b9 0614dc45 00000001 00 0000000000000000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Resp {
    /// 0 = success, otherwise an error code (spec §5.2).
    pub result: u8,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl Resp {
    /// A response with `result` and an empty Reserve.
    pub fn new(result: u8) -> Self {
        Self {
            result,
            reserve: Octets::EMPTY,
        }
    }

    /// Result 0.
    pub fn ok() -> Self {
        Self::new(status::SUCCESS)
    }

    /// True for Result 0.
    pub fn is_success(&self) -> bool {
        self.result == status::SUCCESS
    }

    /// What the Result code means.
    pub fn result_meaning(&self) -> &'static str {
        status::result_meaning(self.result)
    }

    /// True when the peer is asking us to slow down (see [`status::is_flow_control`]).
    pub fn is_flow_control(&self) -> bool {
        status::is_flow_control(self.result)
    }

    pub(crate) fn decode(pdu: &'static str, body: &[u8]) -> Result<Self, DecodeError> {
        finish(pdu, true, Self::parser(body))
    }

    fn parser(i: &[u8]) -> PResult<'_, Self> {
        let (i, result) = u8_be("Result")(i)?;
        let (i, reserve) = octets::<8>("Reserve")(i)?;
        Ok((i, Self { result, reserve }))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.result);
        self.reserve.put(buf);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_reserve_raw() {
        let body = [33, b'a', 0, b'b', 0, 0, 0, 0, 9];
        let r = Resp::decode("SGIP_SUBMIT_RESP", &body).unwrap();
        assert_eq!(r.result, 33);
        assert!(r.is_flow_control());
        assert!(!r.is_success());
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(&buf[..], &body);
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let short = Resp::decode("SGIP_BIND_RESP", &[0; 5]).unwrap_err();
        assert_eq!(
            short,
            DecodeError::truncated("SGIP_BIND_RESP", "Reserve", 8, 4)
        );
        let long = Resp::decode("SGIP_BIND_RESP", &[0; 10]).unwrap_err();
        assert_eq!(long, DecodeError::trailing("SGIP_BIND_RESP", 1));
    }

    #[test]
    fn ok_is_result_zero() {
        assert!(Resp::ok().is_success());
        assert_eq!(Resp::ok().result_meaning(), "success");
        assert_eq!(
            Resp::new(1).result_meaning(),
            "illegal login (bad name or password)"
        );
    }
}
