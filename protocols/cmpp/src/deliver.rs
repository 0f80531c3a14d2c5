//! Mobile-originated messages and status reports: CMPP_DELIVER and CMPP_DELIVER_RESP
//! (cmpp.md §7).

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError, Octets};

use crate::fields::{check_v30_only, put_narrow, put_result};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};
use crate::reader::Reader;
use crate::report::StatusReport;
use crate::status;
use crate::submit::parse_msg_id_result;
use crate::version::Version;

pub(crate) const DELIVER_PDU: &str = "CMPP_DELIVER";
pub(crate) const DELIVER_RESP_PDU: &str = "CMPP_DELIVER_RESP";

/// What a DELIVER's Msg_Content holds, decided by Registered_Delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverContent {
    /// Registered_Delivery ≠ 1: an MO message (text or binary, UDH included). The bytes
    /// are a slice of the received frame.
    Message(Bytes),
    /// Registered_Delivery = 1 and a well-formed report.
    Report(StatusReport),
    /// Registered_Delivery = 1 but the content is not a report of the right size: the
    /// raw bytes are kept (and re-encoded as they are) with the reason, so the frame is
    /// still delivered and answered.
    MalformedReport {
        /// Msg_Content as received.
        raw: Bytes,
        /// Why it is not a report (names CMPP_DELIVER.Msg_Content).
        error: DecodeError,
    },
}

impl DeliverContent {
    /// Msg_Length this content encodes to.
    pub fn len(&self, version: Version) -> usize {
        match self {
            Self::Message(b) | Self::MalformedReport { raw: b, .. } => b.len(),
            Self::Report(_) => version.report_len(),
        }
    }

    /// True when Msg_Content is empty.
    pub fn is_empty(&self, version: Version) -> bool {
        self.len(version) == 0
    }
}

impl Default for DeliverContent {
    fn default() -> Self {
        Self::Message(Bytes::new())
    }
}

/// CMPP_DELIVER body, ISMG → SP: an MO message or (Registered_Delivery = 1) a status
/// report. Total_Length = 109 + Msg_Length in 3.0, 85 + Msg_Length in 2.0.
///
/// | Offset 3.0 | Offset 2.0 | Size 3.0 / 2.0 | Field | Meaning |
/// |---:|---:|---:|---|---|
/// | 12 | 12 | 8 | Msg_Id | id of this DELIVER (answer it in DELIVER_RESP) |
/// | 20 | 20 | 21 | Dest_Id | MO: service code + extension the user replied to; report: the MT's Src_Id |
/// | 41 | 41 | 10 | Service_Id | business code |
/// | 51 | 51 | 1 | TP_pid | |
/// | 52 | 52 | 1 | TP_udhi | 1 (or 0x40) = content starts with a UDH |
/// | 53 | 53 | 1 | Msg_Fmt | content coding |
/// | 54 | 54 | 32 / 21 | Src_terminal_Id | MO sender; report: the MT's recipient |
/// | 86 | — | 1 / 0 | Src_terminal_type | 3.0 only |
/// | 87 | 75 | 1 | Registered_Delivery | 0 MO, 1 status report |
/// | 88 | 76 | 1 | Msg_Length | |
/// | 89 | 77 | m | Msg_Content | MO bytes or a [`StatusReport`] |
/// | 89+m | 77+m | 20 / 8 | LinkID / Reserve | 3.0 on-demand LinkID; 2.0 Reserve |
///
/// Example (2.0 MO "TD" to `106901238866`, 87 bytes):
/// `00000057 00000005 00000065 110c518134fd0003 313036393031323338383636 00×9 00×10 00 00 00
/// 3133383030313338303030 00×10 00 02 5444 00×8`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deliver {
    /// Msg_Id of this DELIVER (not the report's).
    pub msg_id: MsgId,
    /// Dest_Id.
    pub dest_id: Octets<21>,
    /// Service_Id.
    pub service_id: Octets<10>,
    /// TP_pid.
    pub tp_pid: u8,
    /// TP_udhi as on the wire; see [`Deliver::udhi`].
    pub tp_udhi: u8,
    /// Msg_Fmt.
    pub msg_fmt: u8,
    /// Src_terminal_Id (21 bytes used in 2.0).
    pub src_terminal_id: Octets<32>,
    /// Src_terminal_type (3.0 only; must be 0 to encode 2.0).
    pub src_terminal_type: u8,
    /// Registered_Delivery: 1 = the content is a status report. Must agree with `content`.
    pub registered_delivery: u8,
    /// Msg_Content, typed by Registered_Delivery.
    pub content: DeliverContent,
    /// 3.0 LinkID (20 bytes); under 2.0 the 8-byte Reserve.
    pub link_id: Octets<20>,
}

impl Deliver {
    /// Body size without content: 97 (3.0) or 73 (2.0).
    pub(crate) const fn fixed_len(version: Version) -> usize {
        match version {
            Version::V20 => 73,
            Version::V30 => 97,
        }
    }

    /// Does an MO's content start with a UDH? True for 1 and 0x40 (README disagreement 7).
    pub fn udhi(&self) -> bool {
        wire::describe::udhi_set(self.tp_udhi)
    }

    /// Registered_Delivery says this is a status report.
    pub fn is_report(&self) -> bool {
        self.registered_delivery == 1
    }

    /// The typed report, when this is a well-formed one.
    pub fn report(&self) -> Option<&StatusReport> {
        match &self.content {
            DeliverContent::Report(r) => Some(r),
            _ => None,
        }
    }

    /// Why a report could not be read, when Registered_Delivery = 1 but the content is bad.
    pub fn report_error(&self) -> Option<&DecodeError> {
        match &self.content {
            DeliverContent::MalformedReport { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The MO message bytes, when this is not a report.
    pub fn message(&self) -> Option<&Bytes> {
        match &self.content {
            DeliverContent::Message(b) => Some(b),
            _ => None,
        }
    }

    /// Msg_Content as it is (or would be) on the wire for `version`.
    pub fn msg_content(&self, version: Version) -> Result<Bytes, EncodeError> {
        match &self.content {
            DeliverContent::Message(b) | DeliverContent::MalformedReport { raw: b, .. } => {
                Ok(b.clone())
            }
            DeliverContent::Report(r) => r.to_bytes(version),
        }
    }

    pub(crate) fn body_len(&self, version: Version) -> usize {
        Self::fixed_len(version) + self.content.len(version)
    }

    /// Decode a DELIVER body into a whole PDU (see `Submit::parse` for why the
    /// PDU rather than the body is returned).
    #[inline(always)]
    pub(crate) fn decode_pdu(
        version: Version,
        sequence_id: u32,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Pdu, DecodeError> {
        if body.len() < Self::fixed_len(version) {
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

    /// The DELIVER layout, field by field in wire order.
    #[inline(always)]
    fn parse(
        version: Version,
        sequence_id: u32,
        frame: &Bytes,
        body: &[u8],
    ) -> Result<Pdu, DecodeError> {
        let mut r = Reader::new(DELIVER_PDU, body);
        let msg_id = MsgId(r.u64("Msg_Id")?);
        let dest_id = r.octets::<21>("Dest_Id")?;
        let service_id = r.octets::<10>("Service_Id")?;
        let tp_pid = r.u8("TP_pid")?;
        let tp_udhi = r.u8("TP_udhi")?;
        let msg_fmt = r.u8("Msg_Fmt")?;
        let src_terminal_id = r.narrow::<32>("Src_terminal_Id", version.terminal_id_width())?;
        let src_terminal_type = if version.has_terminal_type() {
            r.u8("Src_terminal_type")?
        } else {
            0
        };
        let registered_delivery = r.u8("Registered_Delivery")?;
        let msg_length = r.u8("Msg_Length")?;
        let raw = r.take("Msg_Content", usize::from(msg_length))?;
        let link_id = r.narrow::<20>(version.trailer_name(), version.trailer_width())?;
        r.end()?;
        let content = if registered_delivery == 1 {
            match StatusReport::parse(version, raw) {
                Ok(report) => DeliverContent::Report(report),
                Err(error) => DeliverContent::MalformedReport {
                    raw: frame.slice_ref(raw),
                    error,
                },
            }
        } else {
            DeliverContent::Message(frame.slice_ref(raw))
        };
        Ok(Pdu {
            sequence_id,
            body: Body::Deliver(Self {
                msg_id,
                dest_id,
                service_id,
                tp_pid,
                tp_udhi,
                msg_fmt,
                src_terminal_id,
                src_terminal_type,
                registered_delivery,
                content,
                link_id,
            }),
        })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let is_report_content = !matches!(self.content, DeliverContent::Message(_));
        if is_report_content != self.is_report() {
            return Err(EncodeError::new(
                DELIVER_PDU,
                "Registered_Delivery",
                format!(
                    "{} does not match the content (1 exactly when it is a status report)",
                    self.registered_delivery
                ),
            ));
        }
        let len = self.content.len(version);
        let msg_length = u8::try_from(len).map_err(|_| {
            EncodeError::new(
                DELIVER_PDU,
                "Msg_Length",
                format!("{len} content bytes, at most 255"),
            )
        })?;
        check_v30_only(
            version,
            DELIVER_PDU,
            "Src_terminal_type",
            self.src_terminal_type,
        )?;

        buf.put_u64(self.msg_id.0);
        self.dest_id.put(buf);
        self.service_id.put(buf);
        buf.put_slice(&[self.tp_pid, self.tp_udhi, self.msg_fmt]);
        put_narrow(
            buf,
            DELIVER_PDU,
            "Src_terminal_Id",
            &self.src_terminal_id,
            version.terminal_id_width(),
        )?;
        if version.has_terminal_type() {
            buf.put_u8(self.src_terminal_type);
        }
        buf.put_slice(&[self.registered_delivery, msg_length]);
        match &self.content {
            DeliverContent::Message(b) | DeliverContent::MalformedReport { raw: b, .. } => {
                buf.put_slice(b)
            }
            DeliverContent::Report(r) => r.encode(version, buf)?,
        }
        put_narrow(
            buf,
            DELIVER_PDU,
            version.trailer_name(),
            &self.link_id,
            version.trailer_width(),
        )
    }
}

/// CMPP_DELIVER_RESP body, SP → ISMG. Result is 1 byte in 2.0 (Total_Length 21) and
/// 4 bytes in 3.0 (Total_Length 24).
///
/// | Offset | Size 2.0 / 3.0 | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | Msg_Id | the DELIVER's Msg_Id (the outer one, not the report's) |
/// | 20 | 1 / 4 | Result | 0 OK … 8 flow control ([`status::deliver_result_meaning`]) |
///
/// Example (2.0): `00000015 80000005 00000065 110c518134fd0003 00`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliverResp {
    /// Msg_Id of the DELIVER being answered.
    pub msg_id: MsgId,
    /// Result; must fit one byte for 2.0.
    pub result: u32,
}

impl DeliverResp {
    /// The answer to `deliver` with `result` (0 = accepted).
    pub fn to(deliver: &Deliver, result: u32) -> Self {
        Self {
            msg_id: deliver.msg_id,
            result,
        }
    }

    /// Human-readable Result.
    pub fn result_meaning(&self) -> &'static str {
        status::deliver_result_meaning(self.result)
    }

    pub(crate) const fn body_len(version: Version) -> usize {
        8 + version.result_width()
    }

    pub(crate) fn decode(version: Version, body: &[u8]) -> Result<Self, DecodeError> {
        let (msg_id, result) = parse_msg_id_result(DELIVER_RESP_PDU, version, body)?;
        Ok(Self { msg_id, result })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u64(self.msg_id.0);
        put_result(buf, version, DELIVER_RESP_PDU, "Result", self.result)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn mo() -> Deliver {
        Deliver {
            msg_id: MsgId(3),
            dest_id: Octets::new(b"106901238866").unwrap(),
            src_terminal_id: Octets::new(b"13800138000").unwrap(),
            content: DeliverContent::Message(Bytes::from_static(b"TD")),
            ..Default::default()
        }
    }

    fn report() -> Deliver {
        Deliver {
            registered_delivery: 1,
            content: DeliverContent::Report(StatusReport {
                stat: Octets::new(b"DELIVRD").unwrap(),
                ..Default::default()
            }),
            ..mo()
        }
    }

    fn decode(v: Version, body: &Bytes) -> Result<Deliver, DecodeError> {
        Deliver::decode_pdu(v, 0, body, body).map(|p| match p.body {
            Body::Deliver(d) => d,
            other => panic!("not a DELIVER: {other:?}"),
        })
    }

    fn encode(d: &Deliver, v: Version) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        d.encode(v, &mut buf).map(|()| buf.freeze())
    }

    #[test]
    fn mo_and_report_round_trip_both_versions() {
        for v in [Version::V20, Version::V30] {
            for d in [mo(), report()] {
                let body = encode(&d, v).unwrap();
                assert_eq!(body.len(), d.body_len(v));
                assert_eq!(decode(v, &body).unwrap(), d);
            }
        }
        assert_eq!(
            encode(&report(), Version::V30).unwrap().len() + 12,
            109 + 71
        );
        assert_eq!(encode(&mo(), Version::V20).unwrap().len() + 12, 85 + 2);
    }

    #[test]
    fn wrong_size_report_is_delivered_raw_with_its_error() {
        let mut d = mo();
        d.registered_delivery = 1;
        d.content = DeliverContent::MalformedReport {
            raw: Bytes::from_static(b"TD"),
            error: DecodeError::trailing("x", 1),
        };
        let body = encode(&d, Version::V30).unwrap();
        let back = decode(Version::V30, &body).unwrap();
        assert!(back.is_report());
        assert!(back.report().is_none());
        let err = back.report_error().unwrap();
        assert_eq!((err.pdu, err.field), ("CMPP_DELIVER", "Msg_Content"));
        assert_eq!(
            back.msg_content(Version::V30).unwrap(),
            Bytes::from_static(b"TD")
        );
        // Re-encodes byte for byte.
        assert_eq!(encode(&back, Version::V30).unwrap(), body);
    }

    #[test]
    fn registered_delivery_must_match_content() {
        let mut d = report();
        d.registered_delivery = 0;
        assert_eq!(
            encode(&d, Version::V30).unwrap_err().field,
            "Registered_Delivery"
        );
        let mut d = mo();
        d.registered_delivery = 1;
        assert_eq!(
            encode(&d, Version::V30).unwrap_err().field,
            "Registered_Delivery"
        );
        // Other values are MO messages, kept raw.
        let mut d = mo();
        d.registered_delivery = 2;
        let body = encode(&d, Version::V20).unwrap();
        assert_eq!(decode(Version::V20, &body).unwrap(), d);
    }

    #[test]
    fn src_terminal_type_is_3_0_only() {
        let mut d = mo();
        d.src_terminal_type = 1;
        assert!(encode(&d, Version::V30).is_ok());
        assert_eq!(
            encode(&d, Version::V20).unwrap_err().field,
            "Src_terminal_type"
        );
    }

    #[test]
    fn accessors() {
        assert_eq!(mo().message().map(|b| &b[..]), Some(&b"TD"[..]));
        assert!(mo().report().is_none());
        assert!(report().report().is_some_and(StatusReport::is_delivered));
        assert_eq!(report().msg_content(Version::V20).unwrap().len(), 60);
        let r = DeliverResp::to(&mo(), 0);
        assert_eq!(
            r,
            DeliverResp {
                msg_id: MsgId(3),
                result: 0
            }
        );
        assert_eq!(
            DeliverResp {
                msg_id: MsgId(3),
                result: 9
            }
            .result_meaning(),
            "other error"
        );
    }

    #[test]
    fn deliver_resp_widths() {
        let r = DeliverResp {
            msg_id: MsgId(0x110C_5181_34FD_0003),
            result: 0,
        };
        let mut buf = BytesMut::new();
        r.encode(Version::V30, &mut buf).unwrap();
        assert_eq!(buf.len(), 12);
        assert_eq!(DeliverResp::decode(Version::V30, &buf), Ok(r));
        assert!(DeliverResp::decode(Version::V20, &buf).is_err());
    }
}
