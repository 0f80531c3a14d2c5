//! Submit / Submit_Resp: an SP sends a message (MT) and gets the gateway's MsgID.

use bytes::{BufMut, Bytes, BytesMut};
use wire::field::{PResult, finish, octets, take, u8_be, u32_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::msg_id::MsgId;
use crate::parse::with_rest;
use crate::tlv::Tlvs;
use crate::version::Version;

pub(crate) const SUBMIT_PDU: &str = "SMGP_SUBMIT";
pub(crate) const SUBMIT_RESP_PDU: &str = "SMGP_SUBMIT_RESP";

/// Width of one DestTermID.
pub const TERM_ID_LEN: usize = 21;

/// Submit (RequestID 0x00000002). PacketLength = 126 + 21·DestTermIDCount + MsgLength +
/// TLV bytes (SMGP 2.0 / 3.0; 6 less in 1.3, which has no FixedFee).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 1 | MsgType | 0 MO, 6 MT, 7 point-to-point |
/// | 13 | 1 | NeedReport | 0 no, 1 report wanted |
/// | 14 | 1 | Priority | 0 low … 3 highest |
/// | 15 | 10 | ServiceID | service code |
/// | 25 | 2 | FeeType | `00` free, `01` per message, `02` monthly, `03` capped |
/// | 27 | 6 | FeeCode | fee per message in fen |
/// | 33 | 6 | FixedFee | monthly / cap fee in fen (absent in 1.3) |
/// | 39 | 1 | MsgFormat | 0 ASCII, 4 binary, 8 UCS2, 15 GB18030, … |
/// | 40 | 17 | ValidTime | SMPP 3.3 time, empty = default |
/// | 57 | 17 | AtTime | SMPP 3.3 time, empty = now |
/// | 74 | 21 | SrcTermID | SP access number (+ extension) |
/// | 95 | 21 | ChargeTermID | charged number, empty = per MsgType |
/// | 116 | 1 | DestTermIDCount | recipients, ≤ 100 |
/// | 117 | 21·n | DestTermID | recipients |
/// | … | 1 | MsgLength | content bytes, ≤ 140 for MT |
/// | … | n | MsgContent | content (UDH first when TP_udhi) |
/// | … | 8 | Reserve | |
/// | … | var | TLVs | [`crate::tlv`] |
///
/// Reference Example 3 (UCS2 "你好" from 10659012345 to 13300000000, no TLVs):
/// ```text
/// 00000097 00000002 00000002 06 01 01 54455354000000000000 3030 303030303030 303030303030
/// 08 00×17 00×17 3130363539303132333435 00×10 00×21 01 3133333030303030303030 00×10
/// 04 4f60597d 0000000000000000
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// MsgType.
    pub msg_type: u8,
    /// NeedReport.
    pub need_report: u8,
    /// Priority.
    pub priority: u8,
    /// ServiceID.
    pub service_id: Octets<10>,
    /// FeeType.
    pub fee_type: Octets<2>,
    /// FeeCode.
    pub fee_code: Octets<6>,
    /// FixedFee (not sent in SMGP 1.3; must then be empty).
    pub fixed_fee: Octets<6>,
    /// MsgFormat.
    pub msg_format: u8,
    /// ValidTime.
    pub valid_time: Octets<17>,
    /// AtTime.
    pub at_time: Octets<17>,
    /// SrcTermID.
    pub src_term_id: Octets<21>,
    /// ChargeTermID.
    pub charge_term_id: Octets<21>,
    /// DestTermID × DestTermIDCount (the count is the length of this list).
    pub dest_term_ids: Vec<Octets<21>>,
    /// MsgContent (MsgLength is its length).
    pub msg_content: Bytes,
    /// Reserve.
    pub reserve: Octets<8>,
    /// Optional parameters, wire order.
    pub tlvs: Tlvs,
}

impl Default for Submit {
    /// An MT with a report requested, normal priority, free of charge (`00` /
    /// `000000` / `000000`), UCS2 coding, no numbers and no content — the settings of the
    /// reference's Example 3.
    fn default() -> Self {
        Self {
            msg_type: 6,
            need_report: 1,
            priority: 1,
            service_id: Octets::EMPTY,
            fee_type: Octets(*b"00"),
            fee_code: Octets(*b"000000"),
            fixed_fee: Octets(*b"000000"),
            msg_format: 8,
            valid_time: Octets::EMPTY,
            at_time: Octets::EMPTY,
            src_term_id: Octets::EMPTY,
            charge_term_id: Octets::EMPTY,
            dest_term_ids: Vec::new(),
            msg_content: Bytes::new(),
            reserve: Octets::EMPTY,
            tlvs: Tlvs::new(),
        }
    }
}

/// Build a 21-byte terminal id field, naming the field when the number is too long.
pub fn term_id(
    pdu: &'static str,
    field: &'static str,
    number: &str,
) -> Result<Octets<21>, EncodeError> {
    Octets::for_field(pdu, field, number.as_bytes())
}

impl Submit {
    /// An MT from `src` to each of `dest` with the given coding and content; the other
    /// fields as in [`Submit::default`].
    pub fn mt(
        src: &str,
        dest: &[&str],
        msg_format: u8,
        content: Bytes,
    ) -> Result<Self, EncodeError> {
        let dest_term_ids = dest
            .iter()
            .map(|d| term_id(SUBMIT_PDU, "DestTermID", d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            src_term_id: term_id(SUBMIT_PDU, "SrcTermID", src)?,
            dest_term_ids,
            msg_format,
            msg_content: content,
            ..Self::default()
        })
    }

    /// Does the content start with a UDH (TP_udhi TLV 1, or 0x40)?
    pub fn udhi(&self) -> bool {
        self.tlvs.udhi()
    }

    /// Bytes before the first DestTermID.
    fn head_len(version: Version) -> usize {
        if version.has_fixed_fee() { 105 } else { 99 }
    }

    /// Body length in bytes.
    pub fn body_len(&self, version: Version) -> usize {
        Self::head_len(version)
            + TERM_ID_LEN * self.dest_term_ids.len()
            + 1
            + self.msg_content.len()
            + 8
            + self.tlvs.encoded_len()
    }

    pub(crate) fn decode(
        version: Version,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Self, DecodeError> {
        fn parse<'a>(version: Version, frame: &Bytes, i: &'a [u8]) -> PResult<'a, Submit> {
            let (i, msg_type) = u8_be("MsgType")(i)?;
            let (i, need_report) = u8_be("NeedReport")(i)?;
            let (i, priority) = u8_be("Priority")(i)?;
            let (i, service_id) = octets::<10>("ServiceID")(i)?;
            let (i, fee_type) = octets::<2>("FeeType")(i)?;
            let (i, fee_code) = octets::<6>("FeeCode")(i)?;
            let (i, fixed_fee) = if version.has_fixed_fee() {
                octets::<6>("FixedFee")(i)?
            } else {
                (i, Octets::EMPTY)
            };
            let (i, msg_format) = u8_be("MsgFormat")(i)?;
            let (i, valid_time) = octets::<17>("ValidTime")(i)?;
            let (i, at_time) = octets::<17>("AtTime")(i)?;
            let (i, src_term_id) = octets::<21>("SrcTermID")(i)?;
            let (i, charge_term_id) = octets::<21>("ChargeTermID")(i)?;
            let (i, count) = u8_be("DestTermIDCount")(i)?;
            let (i, dests) = take("DestTermID", TERM_ID_LEN * usize::from(count))(i)?;
            let dest_term_ids = dests
                .chunks_exact(TERM_ID_LEN)
                .map(|c| Octets::new(c).unwrap_or_default())
                .collect();
            let (i, len) = u8_be("MsgLength")(i)?;
            let (i, content) = take("MsgContent", usize::from(len))(i)?;
            let (i, reserve) = octets::<8>("Reserve")(i)?;
            Ok((
                i,
                Submit {
                    msg_type,
                    need_report,
                    priority,
                    service_id,
                    fee_type,
                    fee_code,
                    fixed_fee,
                    msg_format,
                    valid_time,
                    at_time,
                    src_term_id,
                    charge_term_id,
                    dest_term_ids,
                    msg_content: frame.slice_ref(content),
                    reserve,
                    tlvs: Tlvs::new(),
                },
            ))
        }
        let (rest, mut submit) = with_rest(SUBMIT_PDU, parse(version, frame, body))?;
        submit.tlvs = Tlvs::decode(SUBMIT_PDU, rest, frame)?;
        Ok(submit)
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let count = u8::try_from(self.dest_term_ids.len()).map_err(|_| {
            EncodeError::new(
                SUBMIT_PDU,
                "DestTermIDCount",
                format!(
                    "{} recipients do not fit one byte",
                    self.dest_term_ids.len()
                ),
            )
        })?;
        let len = u8::try_from(self.msg_content.len()).map_err(|_| {
            EncodeError::new(
                SUBMIT_PDU,
                "MsgLength",
                format!(
                    "{} content bytes do not fit one byte",
                    self.msg_content.len()
                ),
            )
        })?;
        if !version.has_fixed_fee() && !self.fixed_fee.is_empty() {
            return Err(EncodeError::new(
                SUBMIT_PDU,
                "FixedFee",
                "SMGP 1.3 has no FixedFee field; leave it empty",
            ));
        }
        buf.put_u8(self.msg_type);
        buf.put_u8(self.need_report);
        buf.put_u8(self.priority);
        self.service_id.put(buf);
        self.fee_type.put(buf);
        self.fee_code.put(buf);
        if version.has_fixed_fee() {
            self.fixed_fee.put(buf);
        }
        buf.put_u8(self.msg_format);
        self.valid_time.put(buf);
        self.at_time.put(buf);
        self.src_term_id.put(buf);
        self.charge_term_id.put(buf);
        buf.put_u8(count);
        for d in &self.dest_term_ids {
            d.put(buf);
        }
        buf.put_u8(len);
        buf.put_slice(&self.msg_content);
        self.reserve.put(buf);
        self.tlvs.encode(SUBMIT_PDU, buf)
    }
}

/// Submit_Resp (RequestID 0x80000002), PacketLength 26.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 10 | MsgID | gateway-assigned id (BCD); reports refer to it |
/// | 22 | 4 | Status | 0 success, else [`crate::status::status_meaning`] |
///
/// ```text
/// 0000001a 80000002 00000002 01006101021304000001 00000000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubmitResp {
    /// MsgID.
    pub msg_id: MsgId,
    /// Status.
    pub status: u32,
}

impl SubmitResp {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 14;

    pub(crate) fn decode(pdu: &'static str, body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, SubmitResp> {
            let (i, id) = octets::<10>("MsgID")(i)?;
            let (i, status) = u32_be("Status")(i)?;
            Ok((
                i,
                SubmitResp {
                    msg_id: MsgId(id.0),
                    status,
                },
            ))
        }
        finish(pdu, true, parse(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.msg_id.0);
        buf.put_u32(self.status);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::tlv::Tlv;

    fn sample() -> Submit {
        Submit {
            service_id: Octets::new(b"TEST").unwrap(),
            tlvs: Tlvs::segment(2, 1),
            ..Submit::mt(
                "10659012345",
                &["13300000000", "13300000001"],
                8,
                Bytes::from_static(&[0x4f, 0x60]),
            )
            .unwrap()
        }
    }

    fn round_trip(version: Version, s: &Submit) -> (usize, Submit) {
        let mut buf = BytesMut::new();
        s.encode(version, &mut buf).unwrap();
        assert_eq!(buf.len(), s.body_len(version));
        let frame = buf.freeze();
        (
            frame.len(),
            Submit::decode(version, &frame, &frame).unwrap(),
        )
    }

    #[test]
    fn round_trips_in_every_version() {
        let s = sample();
        for v in [Version::V20, Version::V30] {
            assert_eq!(round_trip(v, &s), (105 + 42 + 1 + 2 + 8 + 15, s.clone()));
        }
        let s13 = Submit {
            fixed_fee: Octets::EMPTY,
            ..s
        };
        assert_eq!(
            round_trip(Version::V13, &s13),
            (99 + 42 + 1 + 2 + 8 + 15, s13.clone())
        );
    }

    #[test]
    fn fixed_fee_in_13_is_an_encode_error() {
        let err = sample()
            .encode(Version::V13, &mut BytesMut::new())
            .unwrap_err();
        assert_eq!(err.field, "FixedFee");
    }

    #[test]
    fn counts_that_do_not_fit_a_byte_fail_to_encode() {
        let many = Submit {
            dest_term_ids: vec![Octets::EMPTY; 256],
            ..Submit::default()
        };
        assert_eq!(
            many.encode(Version::V30, &mut BytesMut::new())
                .unwrap_err()
                .field,
            "DestTermIDCount"
        );
        let long = Submit {
            msg_content: Bytes::from(vec![0; 256]),
            ..Submit::default()
        };
        assert_eq!(
            long.encode(Version::V30, &mut BytesMut::new())
                .unwrap_err()
                .field,
            "MsgLength"
        );
        assert_eq!(
            Submit::mt("1", &["1234567890123456789012"], 0, Bytes::new())
                .unwrap_err()
                .field,
            "DestTermID"
        );
    }

    #[test]
    fn truncation_names_the_field() {
        let mut buf = BytesMut::new();
        sample().encode(Version::V30, &mut buf).unwrap();
        let frame = buf.freeze();
        let cut = |n: usize| {
            Submit::decode(Version::V30, &frame, &frame[..n])
                .unwrap_err()
                .field
        };
        assert_eq!(cut(0), "MsgType");
        assert_eq!(cut(20), "FeeCode");
        assert_eq!(cut(110), "DestTermID");
        assert_eq!(cut(105 + 42), "MsgLength");
        assert_eq!(cut(105 + 42 + 2), "MsgContent");
        assert_eq!(cut(105 + 42 + 3 + 4), "Reserve");
        assert_eq!(cut(105 + 42 + 3 + 8 + 2), "TLV");
    }

    #[test]
    fn content_is_not_copied() {
        let mut buf = BytesMut::new();
        sample().encode(Version::V30, &mut buf).unwrap();
        let frame = buf.freeze();
        let s = Submit::decode(Version::V30, &frame, &frame).unwrap();
        let at = s.msg_content.as_ptr() as usize - frame.as_ptr() as usize;
        assert_eq!(at, 105 + 42 + 1);
        assert!(s.udhi());
        assert_eq!(
            s.tlvs.get(crate::tlv::tag::PK_TOTAL),
            Some(&Tlv::PkTotal(2))
        );
    }

    #[test]
    fn submit_resp_is_strict() {
        let ok = SubmitResp::decode(SUBMIT_RESP_PDU, &[0; 14]).unwrap();
        assert_eq!(ok, SubmitResp::default());
        assert_eq!(
            SubmitResp::decode(SUBMIT_RESP_PDU, &[0; 15]).unwrap_err(),
            DecodeError::trailing(SUBMIT_RESP_PDU, 1)
        );
        assert_eq!(
            SubmitResp::decode(SUBMIT_RESP_PDU, &[0; 12])
                .unwrap_err()
                .field,
            "Status"
        );
    }
}
