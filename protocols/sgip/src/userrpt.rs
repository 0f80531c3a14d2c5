//! UserRpt: the SMG tells the SP that a subscriber's state changed (deregistered,
//! suspended for arrears, back to normal). Sent on the SMG → SP connection.

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::status;

const PDU: &str = "SGIP_USERRPT";

/// Body size of a UserRpt.
pub const USERRPT_BODY_LEN: usize = 51;

/// SGIP_USERRPT body.
///
/// UserRpt — Message Length 71:
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 21 | SPNumber | SP access number |
/// | 41 | 21 | UserNumber | subscriber, `86`-prefixed |
/// | 62 | 1 | UserCondition | 0 deregistered, 1 suspended for arrears, 2 back to normal |
/// | 63 | 8 | Reserve | |
///
/// Example (reference Example 6: 8613012345678 suspended for arrears):
///
/// ```text
/// 00000000  00 00 00 47 00 00 00 11  00 01 8a 89 06 14 dd 08
/// 00000010  00 00 00 4f 31 30 36 35  35 30 31 32 33 34 35 00
/// 00000020  00 00 00 00 00 00 00 00  00 38 36 31 33 30 31 32
/// 00000030  33 34 35 36 37 38 00 00  00 00 00 00 00 00 01 00
/// 00000040  00 00 00 00 00 00 00
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Userrpt {
    /// SPNumber.
    pub sp_number: Octets<21>,
    /// UserNumber.
    pub user_number: Octets<21>,
    /// UserCondition.
    pub user_condition: u8,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl Userrpt {
    /// A UserRpt for `user_number` of `sp_number`.
    pub fn new(
        sp_number: &str,
        user_number: &str,
        user_condition: u8,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            sp_number: Octets::for_field(PDU, "SPNumber", sp_number.as_bytes())?,
            user_number: Octets::for_field(PDU, "UserNumber", user_number.as_bytes())?,
            user_condition,
            reserve: Octets::EMPTY,
        })
    }

    /// What UserCondition means.
    pub fn user_condition_meaning(&self) -> &'static str {
        status::user_condition_meaning(self.user_condition)
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, parser(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.sp_number.put(buf);
        self.user_number.put(buf);
        buf.put_u8(self.user_condition);
        self.reserve.put(buf);
    }
}

fn parser(i: &[u8]) -> PResult<'_, Userrpt> {
    let (i, sp_number) = octets::<21>("SPNumber")(i)?;
    let (i, user_number) = octets::<21>("UserNumber")(i)?;
    let (i, user_condition) = u8_be("UserCondition")(i)?;
    let (i, reserve) = octets::<8>("Reserve")(i)?;
    Ok((
        i,
        Userrpt {
            sp_number,
            user_number,
            user_condition,
            reserve,
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let u = Userrpt::new("10655012345", "8613012345678", 0).unwrap();
        let mut buf = BytesMut::new();
        u.encode(&mut buf);
        assert_eq!(buf.len(), USERRPT_BODY_LEN);
        assert_eq!(buf[42], 0);
        let back = Userrpt::decode(&buf).unwrap();
        assert_eq!(back, u);
        assert_eq!(back.user_condition_meaning(), "deregistered");
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert_eq!(Userrpt::decode(&[0; 43]).unwrap_err().field, "Reserve");
        assert_eq!(
            Userrpt::decode(&[0; 52]).unwrap_err(),
            DecodeError::trailing(PDU, 1)
        );
        assert_eq!(
            Userrpt::new(&"1".repeat(22), "86", 0).unwrap_err().field,
            "SPNumber"
        );
    }
}
