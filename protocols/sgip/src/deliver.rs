//! Deliver: an SMG → SP mobile-originated message, sent on the connection the SMG
//! opens to the SP's listener (Login Type 2).

use bytes::{BufMut, Bytes, BytesMut};
use wire::coding::{Coding, decode_text};
use wire::describe::udhi_set;
use wire::field::{PResult, finish, octets, take, u8_be, u32_be};
use wire::udh::{Concat, Udh, UdhError};
use wire::{DecodeError, EncodeError, Octets};

use crate::reserve;
use crate::submit::TP_UDHI_PRESENT;

const PDU: &str = "SGIP_DELIVER";

/// Body size of a Deliver without content.
pub const DELIVER_FIXED_LEN: usize = 57;

/// SGIP_DELIVER body.
///
/// Message Length = 77 + MessageLength.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 21 | UserNumber | sender MSISDN, `86`-prefixed |
/// | 41 | 21 | SPNumber | number the user sent to: access number + extension |
/// | 62 | 1 | TP_pid | GSM 03.40 TP-PID |
/// | 63 | 1 | TP_udhi | 1 (or 0x40 from some gateways) = content starts with a UDH |
/// | 64 | 1 | MessageCoding | 0 ASCII, 3 SIM, 4 binary, 8 UCS2, 15 GBK |
/// | 65 | **4** | MessageLength | content length |
/// | 69 | n | MessageContent | content |
/// | 69+n | 8 | Reserve | LinkID for on-demand services, by Unicom convention |
///
/// Long MOs carry no segment fields in SGIP: only TP_udhi and the UDH say that a
/// Deliver is one part of a longer message ([`Deliver::concat`]).
///
/// Example (reference Example 4: GBK "退订" from 8613012345678 to 1065501234588):
///
/// ```text
/// 00000000  00 00 00 51 00 00 00 04  00 01 8a 89 06 14 dc a4
/// 00000010  00 00 00 4d 38 36 31 33  30 31 32 33 34 35 36 37
/// 00000020  38 00 00 00 00 00 00 00  00 31 30 36 35 35 30 31
/// 00000030  32 33 34 35 38 38 00 00  00 00 00 00 00 00 00 00
/// 00000040  0f 00 00 00 04 cd cb b6  a9 00 00 00 00 00 00 00
/// 00000050  00
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Deliver {
    /// UserNumber: the sender, `86`-prefixed.
    pub user_number: Octets<21>,
    /// SPNumber: access number + extension the user sent to.
    pub sp_number: Octets<21>,
    /// TP_pid.
    pub tp_pid: u8,
    /// TP_udhi as on the wire.
    pub tp_udhi: u8,
    /// MessageCoding.
    pub message_coding: u8,
    /// MessageContent; MessageLength is its length.
    pub message_content: Bytes,
    /// Reserve, kept raw (LinkID by convention; see [`Deliver::link_id`]).
    pub reserve: Octets<8>,
}

impl Deliver {
    /// A Deliver of `content` (encoded under `message_coding`) from `user_number`
    /// to `sp_number`.
    pub fn new(
        user_number: &str,
        sp_number: &str,
        message_coding: u8,
        content: Bytes,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            user_number: Octets::for_field(PDU, "UserNumber", user_number.as_bytes())?,
            sp_number: Octets::for_field(PDU, "SPNumber", sp_number.as_bytes())?,
            message_coding,
            message_content: content,
            ..Self::default()
        })
    }

    /// True when TP_udhi says the content starts with a UDH (1 or 0x40).
    pub fn has_udh(&self) -> bool {
        udhi_set(self.tp_udhi)
    }

    /// Set TP_udhi to the spec value 1 (UDH present) or 0.
    pub fn set_udhi(&mut self, present: bool) {
        self.tp_udhi = if present { TP_UDHI_PRESENT } else { 0 };
    }

    /// The UDH and the user data after it, when TP_udhi is set.
    pub fn udh(&self) -> Option<Result<(Udh, &[u8]), UdhError>> {
        self.has_udh().then(|| Udh::parse(&self.message_content))
    }

    /// The concatenation element when this MO is one part of a long message.
    pub fn concat(&self) -> Option<Concat> {
        self.udh()
            .and_then(Result::ok)
            .and_then(|(udh, _)| udh.concat())
    }

    /// The user data after any UDH (the whole content when the UDH is malformed,
    /// so nothing the user sent is dropped).
    pub fn payload(&self) -> &[u8] {
        match self.udh() {
            Some(Ok((_, rest))) => rest,
            _ => &self.message_content,
        }
    }

    /// The text of the payload, for text codings.
    pub fn text(&self) -> Option<String> {
        decode_text(Coding::from_u8(self.message_coding), self.payload())
    }

    /// The LinkID carried in Reserve (Unicom convention), `None` when Reserve is empty.
    pub fn link_id(&self) -> Option<&[u8]> {
        reserve::link_id(&self.reserve)
    }

    /// Put a LinkID (≤ 8 bytes) into Reserve.
    pub fn set_link_id(&mut self, link_id: &[u8]) -> Result<(), EncodeError> {
        self.reserve = Octets::for_field(PDU, "Reserve", link_id)?;
        Ok(())
    }

    /// Encoded body size.
    pub fn encoded_len(&self) -> usize {
        DELIVER_FIXED_LEN + self.message_content.len()
    }

    pub(crate) fn decode(frame: &Bytes, body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, parser(frame, body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let length = u32::try_from(self.message_content.len())
            .map_err(|_| EncodeError::new(PDU, "MessageLength", "content exceeds 4 GiB"))?;
        self.user_number.put(buf);
        self.sp_number.put(buf);
        buf.put_u8(self.tp_pid);
        buf.put_u8(self.tp_udhi);
        buf.put_u8(self.message_coding);
        buf.put_u32(length);
        buf.put_slice(&self.message_content);
        self.reserve.put(buf);
        Ok(())
    }
}

/// Parse a Deliver body. `body` is a sub-slice of `frame`, so the content is
/// `slice_ref`'d out of the frame instead of copied.
fn parser<'a>(frame: &Bytes, i: &'a [u8]) -> PResult<'a, Deliver> {
    let (i, user_number) = octets::<21>("UserNumber")(i)?;
    let (i, sp_number) = octets::<21>("SPNumber")(i)?;
    let (i, tp_pid) = u8_be("TP_pid")(i)?;
    let (i, tp_udhi) = u8_be("TP_udhi")(i)?;
    let (i, message_coding) = u8_be("MessageCoding")(i)?;
    let (i, length) = u32_be("MessageLength")(i)?;
    let (i, content) = take("MessageContent", length as usize)(i)?;
    let (i, reserve) = octets::<8>("Reserve")(i)?;
    let deliver = Deliver {
        user_number,
        sp_number,
        tp_pid,
        tp_udhi,
        message_coding,
        message_content: frame.slice_ref(content),
        reserve,
    };
    Ok((i, deliver))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn encode(d: &Deliver) -> Bytes {
        let mut buf = BytesMut::new();
        d.encode(&mut buf).unwrap();
        buf.freeze()
    }

    #[test]
    fn round_trips_with_content_sliced_from_the_frame() {
        let d = Deliver::new(
            "8613012345678",
            "1065501234588",
            15,
            Bytes::from_static(b"\xcd\xcb\xb6\xa9"),
        )
        .unwrap();
        let frame = encode(&d);
        assert_eq!(frame.len(), d.encoded_len());
        let back = Deliver::decode(&frame, &frame).unwrap();
        assert_eq!(back, d);
        assert_eq!(
            back.message_content.as_ptr() as usize - frame.as_ptr() as usize,
            49
        );
        assert_eq!(back.text().as_deref(), Some("退订"));
    }

    #[test]
    fn long_mo_segments_expose_their_concat_header() {
        let mut d = Deliver::new(
            "8613012345678",
            "10655012345",
            8,
            Bytes::from_static(&[0x05, 0x00, 0x03, 0x5a, 0x02, 0x02, 0x79, 0x5d]),
        )
        .unwrap();
        for udhi in [1u8, 0x40] {
            d.tp_udhi = udhi;
            let c = d.concat().unwrap();
            assert_eq!((c.reference, c.total, c.number), (0x5a, 2, 2));
            assert_eq!(d.text().as_deref(), Some("祝"));
        }
        d.tp_udhi = 0;
        assert_eq!(d.concat(), None);
        assert_eq!(d.payload().len(), 8);
        d.set_udhi(true);
        assert_eq!(d.tp_udhi, 1);
    }

    #[test]
    fn malformed_udh_keeps_the_whole_content() {
        let mut d = Deliver::new("86130", "106", 0, Bytes::from_static(b"\x09hi")).unwrap();
        d.set_udhi(true);
        assert!(matches!(d.udh(), Some(Err(_))));
        assert_eq!(d.concat(), None);
        assert_eq!(d.payload(), b"\x09hi");
    }

    #[test]
    fn truncated_and_trailing_bodies_are_errors() {
        let d = Deliver::new("86130", "106", 0, Bytes::from_static(b"TD")).unwrap();
        let frame = encode(&d);
        let short = frame.slice(..frame.len() - 1);
        assert_eq!(
            Deliver::decode(&short, &short).unwrap_err().field,
            "Reserve"
        );
        let mut long = BytesMut::from(&frame[..]);
        long.put_u8(0);
        let long = long.freeze();
        assert_eq!(
            Deliver::decode(&long, &long).unwrap_err(),
            DecodeError::trailing(PDU, 1)
        );
        let no_content = frame.slice(..50);
        assert_eq!(
            Deliver::decode(&no_content, &no_content).unwrap_err().field,
            "MessageContent"
        );
    }

    #[test]
    fn link_id_from_reserve() {
        let mut d = Deliver::default();
        assert_eq!(d.link_id(), None);
        d.set_link_id(b"LK000001").unwrap();
        assert_eq!(d.link_id(), Some(&b"LK000001"[..]));
    }
}
