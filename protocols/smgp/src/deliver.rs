//! Deliver / Deliver_Resp: the gateway hands the SP an MO message or a status report.

use bytes::{BufMut, Bytes, BytesMut};
use wire::field::{PResult, finish, octets, take, u8_be, u32_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::msg_id::MsgId;
use crate::parse::with_rest;
use crate::report::StatusReport;
use crate::tlv::Tlvs;

pub(crate) const DELIVER_PDU: &str = "SMGP_DELIVER";
pub(crate) const DELIVER_RESP_PDU: &str = "SMGP_DELIVER_RESP";

/// Deliver (RequestID 0x00000003). PacketLength = 89 + MsgLength + TLV bytes.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 10 | MsgID | id of this Deliver (BCD) |
/// | 22 | 1 | IsReport | 0 MO, 1 MsgContent is a status report |
/// | 23 | 1 | MsgFormat | as Submit; reports use 0 |
/// | 24 | 14 | RecvTime | `YYYYMMDDHHMMSS` |
/// | 38 | 21 | SrcTermID | MO: sender. Report: receiver of the original MT |
/// | 59 | 21 | DestTermID | MO: SP number incl. extension. Report: the MT's SrcTermID |
/// | 80 | 1 | MsgLength | |
/// | 81 | n | MsgContent | MO content or the 122-byte [`StatusReport`] |
/// | 81+n | 8 | Reserve | |
/// | … | var | TLVs | TP_pid, TP_udhi, LinkID, SrcTermType, SrcTermPseudo, … |
///
/// Reference Example 6 (MO "TD" to 1065901234566 with a LinkID TLV):
/// ```text
/// 00000073 00000003 000000c9 01006101021306000003 00 00 3230323430313032313330363030
/// 3133333030303030303030 00×10 31303635393031323334353636 00×8 02 5444 0000000000000000
/// 0003 0014 3132333435363738393031323334353637383930
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deliver {
    /// MsgID of this Deliver.
    pub msg_id: MsgId,
    /// IsReport as on the wire (0 MO, 1 report).
    pub is_report: u8,
    /// MsgFormat.
    pub msg_format: u8,
    /// RecvTime.
    pub recv_time: Octets<14>,
    /// SrcTermID.
    pub src_term_id: Octets<21>,
    /// DestTermID.
    pub dest_term_id: Octets<21>,
    /// MsgContent, kept raw even when it is a report.
    pub msg_content: Bytes,
    /// Reserve.
    pub reserve: Octets<8>,
    /// Optional parameters, wire order.
    pub tlvs: Tlvs,
}

impl Deliver {
    /// Body length before MsgContent: MsgID … MsgLength.
    const HEAD_LEN: usize = 69;

    /// A report Deliver: IsReport 1, MsgFormat 0, content = `report` in the spec
    /// spelling. Set RecvTime and the numbers with struct update syntax.
    pub fn for_report(msg_id: MsgId, report: &StatusReport) -> Self {
        Self {
            msg_id,
            is_report: 1,
            msg_format: 0,
            msg_content: Bytes::copy_from_slice(&report.to_bytes()),
            ..Self::default()
        }
    }

    /// Does this Deliver carry a status report (IsReport ≠ 0)?
    pub fn is_status_report(&self) -> bool {
        self.is_report != 0
    }

    /// The status report, parsed by offset: `None` for an MO, `Some(Err(_))` when the
    /// content is not a well-formed report (the raw content is still in
    /// [`Deliver::msg_content`], and the frame itself decoded fine).
    pub fn report(&self) -> Option<Result<StatusReport, DecodeError>> {
        self.is_status_report()
            .then(|| StatusReport::parse(&self.msg_content))
    }

    /// Does the content start with a UDH (TP_udhi TLV 1, or 0x40)?
    pub fn udhi(&self) -> bool {
        self.tlvs.udhi()
    }

    /// Body length in bytes.
    pub fn body_len(&self) -> usize {
        Self::HEAD_LEN + self.msg_content.len() + 8 + self.tlvs.encoded_len()
    }

    pub(crate) fn decode(frame: &Bytes, body: &[u8]) -> Result<Self, DecodeError> {
        fn parse<'a>(frame: &Bytes, i: &'a [u8]) -> PResult<'a, Deliver> {
            let (i, id) = octets::<10>("MsgID")(i)?;
            let (i, is_report) = u8_be("IsReport")(i)?;
            let (i, msg_format) = u8_be("MsgFormat")(i)?;
            let (i, recv_time) = octets::<14>("RecvTime")(i)?;
            let (i, src_term_id) = octets::<21>("SrcTermID")(i)?;
            let (i, dest_term_id) = octets::<21>("DestTermID")(i)?;
            let (i, len) = u8_be("MsgLength")(i)?;
            let (i, content) = take("MsgContent", usize::from(len))(i)?;
            let (i, reserve) = octets::<8>("Reserve")(i)?;
            Ok((
                i,
                Deliver {
                    msg_id: MsgId(id.0),
                    is_report,
                    msg_format,
                    recv_time,
                    src_term_id,
                    dest_term_id,
                    msg_content: frame.slice_ref(content),
                    reserve,
                    tlvs: Tlvs::new(),
                },
            ))
        }
        let (rest, mut deliver) = with_rest(DELIVER_PDU, parse(frame, body))?;
        deliver.tlvs = Tlvs::decode(DELIVER_PDU, rest, frame)?;
        Ok(deliver)
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = u8::try_from(self.msg_content.len()).map_err(|_| {
            EncodeError::new(
                DELIVER_PDU,
                "MsgLength",
                format!(
                    "{} content bytes do not fit one byte",
                    self.msg_content.len()
                ),
            )
        })?;
        buf.put_slice(&self.msg_id.0);
        buf.put_u8(self.is_report);
        buf.put_u8(self.msg_format);
        self.recv_time.put(buf);
        self.src_term_id.put(buf);
        self.dest_term_id.put(buf);
        buf.put_u8(len);
        buf.put_slice(&self.msg_content);
        self.reserve.put(buf);
        self.tlvs.encode(DELIVER_PDU, buf)
    }
}

/// Deliver_Resp (RequestID 0x80000003), PacketLength 26.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 10 | MsgID | echo of the Deliver's MsgID |
/// | 22 | 4 | Status | 0 success |
///
/// ```text
/// 0000001a 80000003 000000c8 01006101021305000002 00000000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliverResp {
    /// MsgID (echo of the Deliver's).
    pub msg_id: MsgId,
    /// Status.
    pub status: u32,
}

impl DeliverResp {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 14;

    /// The success answer to `deliver`.
    pub fn ok(deliver: &Deliver) -> Self {
        Self {
            msg_id: deliver.msg_id,
            status: 0,
        }
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, DeliverResp> {
            let (i, id) = octets::<10>("MsgID")(i)?;
            let (i, status) = u32_be("Status")(i)?;
            Ok((
                i,
                DeliverResp {
                    msg_id: MsgId(id.0),
                    status,
                },
            ))
        }
        finish(DELIVER_RESP_PDU, true, parse(body))
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

    fn mo() -> Deliver {
        Deliver {
            msg_id: "01006101021306000003".parse().unwrap(),
            recv_time: Octets(*b"20240102130600"),
            src_term_id: Octets::new(b"13300000000").unwrap(),
            dest_term_id: Octets::new(b"1065901234566").unwrap(),
            msg_content: Bytes::from_static(b"TD"),
            tlvs: Tlvs(vec![Tlv::link_id(b"12345678901234567890").unwrap()]),
            ..Deliver::default()
        }
    }

    fn round_trip(d: &Deliver) -> Deliver {
        let mut buf = BytesMut::new();
        d.encode(&mut buf).unwrap();
        assert_eq!(buf.len(), d.body_len());
        let frame = buf.freeze();
        Deliver::decode(&frame, &frame).unwrap()
    }

    #[test]
    fn mo_round_trips_and_has_no_report() {
        let d = mo();
        assert_eq!(round_trip(&d), d);
        assert!(d.report().is_none());
        assert_eq!(d.tlvs.link_id(), Some(&b"12345678901234567890"[..]));
    }

    #[test]
    fn report_deliver_round_trips_and_parses() {
        let r = StatusReport {
            msg_id: "01006101021304000001".parse().unwrap(),
            ..StatusReport::default()
        };
        let d = Deliver {
            recv_time: Octets(*b"20240102130500"),
            ..Deliver::for_report(MsgId::ZERO, &r)
        };
        assert_eq!(d.msg_content.len(), 122);
        assert_eq!(round_trip(&d), d);
        assert_eq!(d.report(), Some(Ok(r)));
    }

    #[test]
    fn malformed_report_is_a_visible_error_not_a_failed_frame() {
        let d = Deliver {
            is_report: 1,
            msg_content: Bytes::from_static(b"id:garbage"),
            ..Deliver::default()
        };
        let back = round_trip(&d);
        assert_eq!(back.msg_content, Bytes::from_static(b"id:garbage"));
        let err = back.report().unwrap().unwrap_err();
        assert_eq!((err.pdu, err.field), ("SMGP_STATUS_REPORT", "id"));
    }

    #[test]
    fn truncation_names_the_field() {
        let mut buf = BytesMut::new();
        mo().encode(&mut buf).unwrap();
        let frame = buf.freeze();
        let cut = |n: usize| Deliver::decode(&frame, &frame[..n]).unwrap_err().field;
        assert_eq!(cut(5), "MsgID");
        assert_eq!(cut(20), "RecvTime");
        assert_eq!(cut(30), "SrcTermID");
        assert_eq!(cut(50), "DestTermID");
        assert_eq!(cut(68), "MsgLength");
        assert_eq!(cut(70), "MsgContent");
        assert_eq!(cut(75), "Reserve");
        assert_eq!(cut(81), "TLV");
    }

    #[test]
    fn long_content_fails_to_encode() {
        let d = Deliver {
            msg_content: Bytes::from(vec![0; 300]),
            ..Deliver::default()
        };
        assert_eq!(
            d.encode(&mut BytesMut::new()).unwrap_err().field,
            "MsgLength"
        );
    }

    #[test]
    fn deliver_resp_echoes_the_id() {
        let r = DeliverResp::ok(&mo());
        assert_eq!(r.msg_id, mo().msg_id);
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(DeliverResp::decode(&buf), Ok(r));
        assert_eq!(DeliverResp::decode(&buf[..13]).unwrap_err().field, "Status");
    }
}
