//! Mobile-terminated messages: CMPP_SUBMIT and CMPP_SUBMIT_RESP (cmpp.md §6).

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError, Octets};

use crate::dest_ids::DestTerminalIds;
use crate::fields::{check_v30_only, put_narrow, put_result};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};
use crate::reader::Reader;
use crate::status;
use crate::version::Version;

pub(crate) const SUBMIT_PDU: &str = "CMPP_SUBMIT";
pub(crate) const SUBMIT_RESP_PDU: &str = "CMPP_SUBMIT_RESP";

/// CMPP_SUBMIT body, SP → ISMG. Total_Length = 163 + 32·n + Msg_Length in 3.0 and
/// 138 + 21·n + Msg_Length in 2.0 (n = DestUsr_tl).
///
/// | Offset 3.0 | Offset 2.0 | Size 3.0 / 2.0 | Field | Meaning |
/// |---:|---:|---:|---|---|
/// | 12 | 12 | 8 | Msg_Id | 0 from the SP; the ISMG assigns the id |
/// | 20 | 20 | 1 | Pk_total | segments of this message, from 1 |
/// | 21 | 21 | 1 | Pk_number | this segment, from 1 |
/// | 22 | 22 | 1 | Registered_Delivery | 0 no report, 1 report (2.0: 2 = billing record only) |
/// | 23 | 23 | 1 | Msg_level | priority |
/// | 24 | 24 | 10 | Service_Id | business code |
/// | 34 | 34 | 1 | Fee_UserType | 0 dest, 1 source, 2 SP, 3 Fee_terminal_Id pays |
/// | 35 | 35 | 32 / 21 | Fee_terminal_Id | charged number |
/// | 67 | — | 1 / 0 | Fee_terminal_type | 3.0 only: 0 real, 1 pseudonym |
/// | 68 | 56 | 1 | TP_pId | GSM 03.40 TP-PID |
/// | 69 | 57 | 1 | TP_udhi | 1 = content starts with a UDH (0x40 also seen) |
/// | 70 | 58 | 1 | Msg_Fmt | 0 ASCII, 4 binary, 8 UCS-2, 15 GBK |
/// | 71 | 59 | 6 | Msg_src | content source SP_Id |
/// | 77 | 65 | 2 | FeeType | `01` free … `05` |
/// | 79 | 67 | 6 | FeeCode | fee in fen |
/// | 85 | 73 | 17 | ValId_Time | validity, SMPP time format, empty = default |
/// | 102 | 90 | 17 | At_Time | scheduled time, empty = now |
/// | 119 | 107 | 21 | Src_Id | service code (+ extension) shown to the user |
/// | 140 | 128 | 1 | DestUsr_tl | 1 ≤ n ≤ 100 (0 is rejected: it also makes a 2.0 SUBMIT parse as a 3.0 one) |
/// | 141 | 129 | 32n / 21n | Dest_terminal_Id | recipients |
/// | … | — | 1 / 0 | Dest_terminal_type | 3.0 only |
/// | … | … | 1 | Msg_Length | content bytes |
/// | … | … | m | Msg_Content | content (UDH included) |
/// | … | … | 20 / 8 | LinkID / Reserve | 3.0 LinkID of an on-demand MT; 2.0 Reserve |
///
/// Example (3.0, "你好" in UCS-2 to 13800138000, 199 bytes):
/// `000000c7 00000004 00000002 0000000000000000 01 01 01 00 54455354000000000000 02
/// 00×32 00 00 00 08 393031323334 3031 303030303030 00×17 00×17
/// 313036393031323338380000000000000000000000 01 3133383030313338303030 00×21 00 04
/// 4f60597d 00×20`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// Msg_Id; 0 from an SP.
    pub msg_id: MsgId,
    /// Pk_total, from 1.
    pub pk_total: u8,
    /// Pk_number, from 1.
    pub pk_number: u8,
    /// Registered_Delivery: 1 asks for a status report.
    pub registered_delivery: u8,
    /// Msg_level.
    pub msg_level: u8,
    /// Service_Id.
    pub service_id: Octets<10>,
    /// Fee_UserType.
    pub fee_user_type: u8,
    /// Fee_terminal_Id (21 bytes used in 2.0).
    pub fee_terminal_id: Octets<32>,
    /// Fee_terminal_type (3.0 only; must be 0 to encode 2.0).
    pub fee_terminal_type: u8,
    /// TP_pId.
    pub tp_pid: u8,
    /// TP_udhi as on the wire; see [`Submit::udhi`].
    pub tp_udhi: u8,
    /// Msg_Fmt.
    pub msg_fmt: u8,
    /// Msg_src.
    pub msg_src: Octets<6>,
    /// FeeType.
    pub fee_type: Octets<2>,
    /// FeeCode.
    pub fee_code: Octets<6>,
    /// ValId_Time.
    pub valid_time: Octets<17>,
    /// At_Time.
    pub at_time: Octets<17>,
    /// Src_Id: service code plus extension.
    pub src_id: Octets<21>,
    /// Dest_terminal_Id list (DestUsr_tl is its length).
    pub dest_terminal_ids: DestTerminalIds,
    /// Dest_terminal_type (3.0 only; must be 0 to encode 2.0).
    pub dest_terminal_type: u8,
    /// Msg_Content (Msg_Length is its length, at most 255).
    pub msg_content: Bytes,
    /// 3.0 LinkID (20 bytes); under 2.0 the 8-byte Reserve.
    pub link_id: Octets<20>,
}

impl Default for Submit {
    /// A single-segment submit (Pk_total = Pk_number = 1), everything else empty.
    fn default() -> Self {
        Self {
            msg_id: MsgId::ZERO,
            pk_total: 1,
            pk_number: 1,
            registered_delivery: 0,
            msg_level: 0,
            service_id: Octets::EMPTY,
            fee_user_type: 0,
            fee_terminal_id: Octets::EMPTY,
            fee_terminal_type: 0,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 0,
            msg_src: Octets::EMPTY,
            fee_type: Octets::EMPTY,
            fee_code: Octets::EMPTY,
            valid_time: Octets::EMPTY,
            at_time: Octets::EMPTY,
            src_id: Octets::EMPTY,
            dest_terminal_ids: DestTerminalIds::new(),
            dest_terminal_type: 0,
            msg_content: Bytes::new(),
            link_id: Octets::EMPTY,
        }
    }
}

impl Submit {
    /// Body size without recipients and content: 151 (3.0) or 126 (2.0).
    pub(crate) const fn fixed_len(version: Version) -> usize {
        match version {
            Version::V20 => 126,
            Version::V30 => 151,
        }
    }

    /// Does Msg_Content start with a UDH? True for the spec's 1 and the 0x40 some
    /// gateways send (README disagreement 7).
    pub fn udhi(&self) -> bool {
        wire::describe::udhi_set(self.tp_udhi)
    }

    pub(crate) fn body_len(&self, version: Version) -> usize {
        Self::fixed_len(version)
            + self.dest_terminal_ids.len() * version.terminal_id_width()
            + self.msg_content.len()
    }

    /// Decode a SUBMIT body (Sequence_Id from the header) into a whole PDU; see
    /// [`Submit::parse`] for why the PDU rather than the body is returned.
    #[inline(always)]
    pub(crate) fn decode_pdu(
        version: Version,
        sequence_id: u32,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Pdu, DecodeError> {
        // A literal version makes every width a constant, and checking the smallest legal
        // size once lets the compiler drop the per-field checks of the fixed part. Short
        // bodies go through the same parser out of line, which names the missing field.
        if body.len() < Self::fixed_len(version) + version.terminal_id_width() {
            return Self::parse_short(version, sequence_id, frame, body);
        }
        match version {
            Version::V20 => Self::parse(Version::V20, sequence_id, frame, body),
            Version::V30 => Self::parse(Version::V30, sequence_id, frame, body),
        }
    }

    #[cold]
    #[inline(never)]
    fn parse_short(
        version: Version,
        sequence_id: u32,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Pdu, DecodeError> {
        Self::parse(version, sequence_id, frame, body)
    }

    /// The SUBMIT layout, field by field in wire order. It returns the whole PDU so the
    /// fields are written once, straight into the caller's result: returning a `Submit`
    /// to be wrapped in `Body` and `Pdu` cost two more copies of it, a quarter of the
    /// decode time.
    #[inline(always)]
    fn parse(
        version: Version,
        sequence_id: u32,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Pdu, DecodeError> {
        let width = version.terminal_id_width();
        let v30 = version.has_terminal_type();
        let mut r = Reader::new(SUBMIT_PDU, body);
        let msg_id = MsgId(r.u64("Msg_Id")?);
        let pk_total = r.u8("Pk_total")?;
        let pk_number = r.u8("Pk_number")?;
        let registered_delivery = r.u8("Registered_Delivery")?;
        let msg_level = r.u8("Msg_level")?;
        let service_id = r.octets("Service_Id")?;
        let fee_user_type = r.u8("Fee_UserType")?;
        let fee_terminal_id = r.narrow("Fee_terminal_Id", width)?;
        let fee_terminal_type = if v30 { r.u8("Fee_terminal_type")? } else { 0 };
        let tp_pid = r.u8("TP_pId")?;
        let tp_udhi = r.u8("TP_udhi")?;
        let msg_fmt = r.u8("Msg_Fmt")?;
        let msg_src = r.octets("Msg_src")?;
        let fee_type = r.octets("FeeType")?;
        let fee_code = r.octets("FeeCode")?;
        let valid_time = r.octets("ValId_Time")?;
        let at_time = r.octets("At_Time")?;
        let src_id = r.octets("Src_Id")?;
        let count = usize::from(r.u8("DestUsr_tl")?);
        if count == 0 || count > DestTerminalIds::MAX {
            return Err(r.invalid("DestUsr_tl", count, "1 to 100 destination numbers"));
        }
        // The first number is stored inline; only a group send allocates.
        let mut dest_terminal_ids = DestTerminalIds::one(r.narrow("Dest_terminal_Id", width)?);
        if count > 1 {
            dest_terminal_ids.reserve(count - 1);
            for _ in 1..count {
                dest_terminal_ids.push(r.narrow("Dest_terminal_Id", width)?);
            }
        }
        let dest_terminal_type = if v30 { r.u8("Dest_terminal_type")? } else { 0 };
        let msg_length = r.u8("Msg_Length")?;
        let content = r.take("Msg_Content", usize::from(msg_length))?;
        let link_id = r.narrow(version.trailer_name(), version.trailer_width())?;
        r.end()?;
        Ok(Pdu {
            sequence_id,
            body: Body::Submit(Self {
                msg_id,
                pk_total,
                pk_number,
                registered_delivery,
                msg_level,
                service_id,
                fee_user_type,
                fee_terminal_id,
                fee_terminal_type,
                tp_pid,
                tp_udhi,
                msg_fmt,
                msg_src,
                fee_type,
                fee_code,
                valid_time,
                at_time,
                src_id,
                dest_terminal_ids,
                dest_terminal_type,
                msg_content: frame.slice_ref(content),
                link_id,
            }),
        })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let width = version.terminal_id_width();
        let count = self.dest_terminal_ids.len();
        if count == 0 || count > DestTerminalIds::MAX {
            return Err(EncodeError::new(
                SUBMIT_PDU,
                "DestUsr_tl",
                format!("{count} destination numbers, need 1 to 100"),
            ));
        }
        let msg_length = u8::try_from(self.msg_content.len()).map_err(|_| {
            EncodeError::new(
                SUBMIT_PDU,
                "Msg_Length",
                format!("{} content bytes, at most 255", self.msg_content.len()),
            )
        })?;
        check_v30_only(
            version,
            SUBMIT_PDU,
            "Fee_terminal_type",
            self.fee_terminal_type,
        )?;
        check_v30_only(
            version,
            SUBMIT_PDU,
            "Dest_terminal_type",
            self.dest_terminal_type,
        )?;

        buf.put_u64(self.msg_id.0);
        buf.put_slice(&[
            self.pk_total,
            self.pk_number,
            self.registered_delivery,
            self.msg_level,
        ]);
        self.service_id.put(buf);
        buf.put_u8(self.fee_user_type);
        put_narrow(
            buf,
            SUBMIT_PDU,
            "Fee_terminal_Id",
            &self.fee_terminal_id,
            width,
        )?;
        if version.has_terminal_type() {
            buf.put_u8(self.fee_terminal_type);
        }
        buf.put_slice(&[self.tp_pid, self.tp_udhi, self.msg_fmt]);
        self.msg_src.put(buf);
        self.fee_type.put(buf);
        self.fee_code.put(buf);
        self.valid_time.put(buf);
        self.at_time.put(buf);
        self.src_id.put(buf);
        // `count` ≤ 100 was checked above.
        buf.put_u8(count as u8);
        for number in self.dest_terminal_ids.iter() {
            put_narrow(buf, SUBMIT_PDU, "Dest_terminal_Id", number, width)?;
        }
        if version.has_terminal_type() {
            buf.put_u8(self.dest_terminal_type);
        }
        buf.put_u8(msg_length);
        buf.put_slice(&self.msg_content);
        put_narrow(
            buf,
            SUBMIT_PDU,
            version.trailer_name(),
            &self.link_id,
            version.trailer_width(),
        )
    }
}

/// CMPP_SUBMIT_RESP body, ISMG → SP. Result is 1 byte in 2.0 (Total_Length 21) and
/// 4 bytes in 3.0 (Total_Length 24).
///
/// | Offset | Size 2.0 / 3.0 | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | Msg_Id | id assigned by the ISMG; a group send covers `Msg_Id … Msg_Id + n − 1` |
/// | 20 | 1 / 4 | Result | 0 OK, 3 duplicate sequence, 8 flow control … ([`status::submit_result_meaning`]) |
///
/// Example (3.0, OK): `00000018 80000004 00000002 110c414134fd0001 00000000`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubmitResp {
    /// Msg_Id assigned by the gateway.
    pub msg_id: MsgId,
    /// Result; must fit one byte for 2.0.
    pub result: u32,
}

impl SubmitResp {
    /// Human-readable Result.
    pub fn result_meaning(&self) -> &'static str {
        status::submit_result_meaning(self.result)
    }

    /// Result 8: back off and retry later.
    pub fn is_flow_control(&self) -> bool {
        status::is_flow_control(self.result)
    }

    pub(crate) const fn body_len(version: Version) -> usize {
        8 + version.result_width()
    }

    pub(crate) fn decode(version: Version, body: &[u8]) -> Result<Self, DecodeError> {
        let (msg_id, result) = parse_msg_id_result(SUBMIT_RESP_PDU, version, body)?;
        Ok(Self { msg_id, result })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u64(self.msg_id.0);
        put_result(buf, version, SUBMIT_RESP_PDU, "Result", self.result)
    }
}

/// Msg_Id followed by a version-width Result: the body of SUBMIT_RESP and DELIVER_RESP.
pub(crate) fn parse_msg_id_result(
    pdu: &'static str,
    version: Version,
    body: &[u8],
) -> Result<(MsgId, u32), DecodeError> {
    let mut r = Reader::new(pdu, body);
    let msg_id = MsgId(r.u64("Msg_Id")?);
    let result = r.result(version, "Result")?;
    r.end()?;
    Ok((msg_id, result))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Submit {
        Submit {
            registered_delivery: 1,
            service_id: Octets::new(b"TEST").unwrap(),
            fee_user_type: 2,
            msg_fmt: 8,
            msg_src: Octets::new(b"901234").unwrap(),
            fee_type: Octets::new(b"01").unwrap(),
            fee_code: Octets::new(b"000000").unwrap(),
            src_id: Octets::new(b"1069012388").unwrap(),
            dest_terminal_ids: DestTerminalIds::from_numbers(["13800138000"]).unwrap(),
            msg_content: Bytes::from_static(&[0x4f, 0x60, 0x59, 0x7d]),
            ..Default::default()
        }
    }

    fn decode(v: Version, body: &Bytes) -> Result<Submit, DecodeError> {
        Submit::decode_pdu(v, 0, body, body).map(|p| match p.body {
            Body::Submit(s) => s,
            other => panic!("not a SUBMIT: {other:?}"),
        })
    }

    fn encode(s: &Submit, v: Version) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        s.encode(v, &mut buf).map(|()| buf.freeze())
    }

    #[test]
    fn sizes_match_the_reference_formula() {
        let s = sample();
        assert_eq!(encode(&s, Version::V30).unwrap().len() + 12, 163 + 32 + 4);
        assert_eq!(encode(&s, Version::V20).unwrap().len() + 12, 138 + 21 + 4);
        assert_eq!(s.body_len(Version::V30), 151 + 32 + 4);
    }

    #[test]
    fn round_trip_both_versions() {
        let mut s = sample();
        s.dest_terminal_ids =
            DestTerminalIds::from_numbers(["13800138000", "13900139000"]).unwrap();
        for v in [Version::V20, Version::V30] {
            let body = encode(&s, v).unwrap();
            assert_eq!(decode(v, &body).unwrap(), s);
        }
    }

    #[test]
    fn no_recipient_is_an_error_both_ways() {
        let mut s = sample();
        s.dest_terminal_ids = DestTerminalIds::new();
        assert_eq!(encode(&s, Version::V30).unwrap_err().field, "DestUsr_tl");
        let mut body = encode(&sample(), Version::V20).unwrap().to_vec();
        body[116] = 0;
        let body = Bytes::from(body);
        let err = decode(Version::V20, &body).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_SUBMIT", "DestUsr_tl"));
    }

    #[test]
    fn too_many_recipients_is_an_error_both_ways() {
        let mut s = sample();
        s.dest_terminal_ids = (0..101).map(|_| Octets::new(b"1").unwrap()).collect();
        assert_eq!(encode(&s, Version::V30).unwrap_err().field, "DestUsr_tl");
        s.dest_terminal_ids = (0..100).map(|_| Octets::new(b"1").unwrap()).collect();
        let mut body = encode(&s, Version::V30).unwrap().to_vec();
        assert_eq!(body[128], 100);
        body[128] = 101;
        let body = Bytes::from(body);
        let err = decode(Version::V30, &body).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_SUBMIT", "DestUsr_tl"));
    }

    #[test]
    fn encode_checks_widths_and_v30_only_fields() {
        let mut s = sample();
        s.msg_content = Bytes::from(vec![0; 256]);
        assert_eq!(encode(&s, Version::V30).unwrap_err().field, "Msg_Length");
        let mut s = sample();
        s.dest_terminal_ids = DestTerminalIds::from_numbers(["8613800138000123456789"]).unwrap();
        assert!(encode(&s, Version::V30).is_ok());
        assert_eq!(
            encode(&s, Version::V20).unwrap_err().field,
            "Dest_terminal_Id"
        );
        let mut s = sample();
        s.fee_terminal_type = 1;
        assert_eq!(
            encode(&s, Version::V20).unwrap_err().field,
            "Fee_terminal_type"
        );
        let mut s = sample();
        s.link_id = Octets::new(b"123456789").unwrap();
        assert!(encode(&s, Version::V30).is_ok());
        assert_eq!(encode(&s, Version::V20).unwrap_err().field, "Reserve");
    }

    #[test]
    fn udhi_accepts_1_and_0x40() {
        let mut s = sample();
        assert!(!s.udhi());
        s.tp_udhi = 1;
        assert!(s.udhi());
        s.tp_udhi = 0x40;
        assert!(s.udhi());
    }

    #[test]
    fn truncated_content_names_msg_content() {
        let body = encode(&sample(), Version::V30).unwrap();
        let short = body.slice(..body.len() - 22);
        let err = decode(Version::V30, &short).unwrap_err();
        assert_eq!(err.field, "Msg_Content");
    }

    #[test]
    fn submit_resp_flow_control() {
        let r = SubmitResp {
            msg_id: MsgId(1),
            result: 8,
        };
        assert!(r.is_flow_control());
        assert_eq!(r.result_meaning(), "flow control error");
        let mut buf = BytesMut::new();
        r.encode(Version::V20, &mut buf).unwrap();
        assert_eq!(buf.len(), SubmitResp::body_len(Version::V20));
        assert_eq!(SubmitResp::decode(Version::V20, &buf), Ok(r));
        assert!(SubmitResp::decode(Version::V30, &buf).is_err());
    }
}
