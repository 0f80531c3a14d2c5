//! SMGP 3.0 optional parameters (§8): `Tag (2, BE) ‖ Length (2, BE) ‖ Value`, after the
//! `Reserve` field of Submit and Deliver, running to PacketLength.
//!
//! | Tag | Name | Value | Used in |
//! |---|---|---|---|
//! | 0x0001 | TP_pid | Integer 1 | Submit, Deliver |
//! | 0x0002 | TP_udhi | Integer 1 (1 = content starts with a UDH) | Submit, Deliver |
//! | 0x0003 | LinkID | Octet String 20 | Submit, Deliver |
//! | 0x0004 | ChargeUserType | Integer 1 | Submit |
//! | 0x0005 | ChargeTermType | Integer 1 | Submit |
//! | 0x0006 | ChargeTermPseudo | Octet String, variable | Submit |
//! | 0x0007 | DestTermType | Integer 1 | Submit |
//! | 0x0008 | DestTermPseudo | Octet String, variable | Submit |
//! | 0x0009 | PkTotal | Integer 1 | Submit |
//! | 0x000A | PkNumber | Integer 1 | Submit |
//! | 0x000B | SubmitMsgType | Integer 1 | Submit, Deliver |
//! | 0x000C | SPDealReslt | Integer 1 | Submit, Deliver |
//! | 0x000D | SrcTermType | Integer 1 | Deliver |
//! | 0x000E | SrcTermPseudo | Octet String, variable | Deliver |
//! | 0x000F | NodesCount | Integer 1 | Forward |
//! | 0x0010 | MsgSrc | Octet String 8 | Submit |
//! | 0x0011 | SrcType | Integer 1 | Forward / Deliver |
//! | 0x0012 | MServiceID | Octet String 21 | Submit |
//!
//! Example (Submit segment 1 of 2): `0002 0001 01` `0009 0001 02` `000a 0001 01` =
//! TP_udhi 1, PkTotal 2, PkNumber 1.
//!
//! Decoding keeps every TLV **in wire order**, so re-encoding is byte-exact. Unknown
//! tags, and known tags whose length does not match their type (e.g. a 2-byte PkTotal),
//! are kept as [`Tlv::Raw`]; [`Tlv::malformed`] says what is wrong with the latter. Only
//! a TLV that runs past the end of the PDU fails the decode.

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError, Octets};

/// Tag values.
pub mod tag {
    /// TP_pid.
    pub const TP_PID: u16 = 0x0001;
    /// TP_udhi.
    pub const TP_UDHI: u16 = 0x0002;
    /// LinkID.
    pub const LINK_ID: u16 = 0x0003;
    /// ChargeUserType.
    pub const CHARGE_USER_TYPE: u16 = 0x0004;
    /// ChargeTermType.
    pub const CHARGE_TERM_TYPE: u16 = 0x0005;
    /// ChargeTermPseudo.
    pub const CHARGE_TERM_PSEUDO: u16 = 0x0006;
    /// DestTermType.
    pub const DEST_TERM_TYPE: u16 = 0x0007;
    /// DestTermPseudo.
    pub const DEST_TERM_PSEUDO: u16 = 0x0008;
    /// PkTotal.
    pub const PK_TOTAL: u16 = 0x0009;
    /// PkNumber.
    pub const PK_NUMBER: u16 = 0x000A;
    /// SubmitMsgType.
    pub const SUBMIT_MSG_TYPE: u16 = 0x000B;
    /// SPDealReslt (sic).
    pub const SP_DEAL_RESLT: u16 = 0x000C;
    /// SrcTermType.
    pub const SRC_TERM_TYPE: u16 = 0x000D;
    /// SrcTermPseudo.
    pub const SRC_TERM_PSEUDO: u16 = 0x000E;
    /// NodesCount.
    pub const NODES_COUNT: u16 = 0x000F;
    /// MsgSrc.
    pub const MSG_SRC: u16 = 0x0010;
    /// SrcType.
    pub const SRC_TYPE: u16 = 0x0011;
    /// MServiceID.
    pub const MSERVICE_ID: u16 = 0x0012;
}

/// Spec names indexed by tag − 1.
const NAMES: [&str; 18] = [
    "TP_pid",
    "TP_udhi",
    "LinkID",
    "ChargeUserType",
    "ChargeTermType",
    "ChargeTermPseudo",
    "DestTermType",
    "DestTermPseudo",
    "PkTotal",
    "PkNumber",
    "SubmitMsgType",
    "SPDealReslt",
    "SrcTermType",
    "SrcTermPseudo",
    "NodesCount",
    "MsgSrc",
    "SrcType",
    "MServiceID",
];

/// The spec name of a tag (`SPDealReslt` for 0x000C, as the spec spells it), or `None`
/// for a tag outside 0x0001–0x0012.
pub fn tag_name(tag: u16) -> Option<&'static str> {
    NAMES.get(usize::from(tag).checked_sub(1)?).copied()
}

/// The tag for a name, ignoring case and underscores. Accepts the spec spellings and the
/// variants implementations use for 0x000C (`SPDealResult`, `SpDealResult`;
/// README disagreement 14).
pub fn tag_for_name(name: &str) -> Option<u16> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|&c| c != '_' && c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = norm(name);
    if wanted == "spdealresult" {
        return Some(tag::SP_DEAL_RESLT);
    }
    NAMES
        .iter()
        .position(|n| norm(n) == wanted)
        .and_then(|i| u16::try_from(i + 1).ok())
}

/// Expected value length of a known tag: `Some(n)` fixed, `None` variable.
fn expected_len(tag: u16) -> Option<usize> {
    match tag {
        tag::LINK_ID => Some(20),
        tag::MSG_SRC => Some(8),
        tag::MSERVICE_ID => Some(21),
        tag::CHARGE_TERM_PSEUDO | tag::DEST_TERM_PSEUDO | tag::SRC_TERM_PSEUDO => None,
        _ => Some(1),
    }
}

/// One optional parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tlv {
    /// 0x0001 TP_pid: GSM TP-PID.
    TpPid(u8),
    /// 0x0002 TP_udhi: 1 = content starts with a UDH (0x40 seen from some gateways).
    TpUdhi(u8),
    /// 0x0003 LinkID: links an MO with the MT that answers it.
    LinkId(Octets<20>),
    /// 0x0004 ChargeUserType.
    ChargeUserType(u8),
    /// 0x0005 ChargeTermType: 0 real number, 1 pseudonym.
    ChargeTermType(u8),
    /// 0x0006 ChargeTermPseudo: pseudonym of the charged user.
    ChargeTermPseudo(Bytes),
    /// 0x0007 DestTermType: 0 real, 1 pseudonym.
    DestTermType(u8),
    /// 0x0008 DestTermPseudo: receiver pseudonyms, concatenated, all the same length.
    DestTermPseudo(Bytes),
    /// 0x0009 PkTotal: segments of this message.
    PkTotal(u8),
    /// 0x000A PkNumber: this segment, from 1.
    PkNumber(u8),
    /// 0x000B SubmitMsgType.
    SubmitMsgType(u8),
    /// 0x000C SPDealReslt (spec spelling): SP's result for a notice.
    SpDealReslt(u8),
    /// 0x000D SrcTermType: 0 real, 1 pseudonym.
    SrcTermType(u8),
    /// 0x000E SrcTermPseudo: sender pseudonym.
    SrcTermPseudo(Bytes),
    /// 0x000F NodesCount: gateways traversed.
    NodesCount(u8),
    /// 0x0010 MsgSrc: content source code.
    MsgSrc(Octets<8>),
    /// 0x0011 SrcType: 0 real, 1 pseudonym.
    SrcType(u8),
    /// 0x0012 MServiceID: mobile-network business code.
    MServiceId(Octets<21>),
    /// An unknown tag, or a known tag whose length does not match its type.
    Raw {
        /// Tag as received.
        tag: u16,
        /// Value bytes as received.
        value: Bytes,
    },
}

impl Tlv {
    /// TP_udhi = 1, the spec value for "content begins with a UDH".
    pub fn udhi() -> Self {
        Self::TpUdhi(1)
    }

    /// A LinkID from its logical value (≤ 20 bytes, 0x00 padded).
    pub fn link_id(value: &[u8]) -> Result<Self, EncodeError> {
        Octets::for_field("SMGP_TLV", "LinkID", value).map(Self::LinkId)
    }

    /// A MsgSrc from its logical value (≤ 8 bytes).
    pub fn msg_src(value: &[u8]) -> Result<Self, EncodeError> {
        Octets::for_field("SMGP_TLV", "MsgSrc", value).map(Self::MsgSrc)
    }

    /// An MServiceID from its logical value (≤ 21 bytes).
    pub fn mservice_id(value: &[u8]) -> Result<Self, EncodeError> {
        Octets::for_field("SMGP_TLV", "MServiceID", value).map(Self::MServiceId)
    }

    /// The tag.
    pub fn tag(&self) -> u16 {
        match self {
            Self::TpPid(_) => tag::TP_PID,
            Self::TpUdhi(_) => tag::TP_UDHI,
            Self::LinkId(_) => tag::LINK_ID,
            Self::ChargeUserType(_) => tag::CHARGE_USER_TYPE,
            Self::ChargeTermType(_) => tag::CHARGE_TERM_TYPE,
            Self::ChargeTermPseudo(_) => tag::CHARGE_TERM_PSEUDO,
            Self::DestTermType(_) => tag::DEST_TERM_TYPE,
            Self::DestTermPseudo(_) => tag::DEST_TERM_PSEUDO,
            Self::PkTotal(_) => tag::PK_TOTAL,
            Self::PkNumber(_) => tag::PK_NUMBER,
            Self::SubmitMsgType(_) => tag::SUBMIT_MSG_TYPE,
            Self::SpDealReslt(_) => tag::SP_DEAL_RESLT,
            Self::SrcTermType(_) => tag::SRC_TERM_TYPE,
            Self::SrcTermPseudo(_) => tag::SRC_TERM_PSEUDO,
            Self::NodesCount(_) => tag::NODES_COUNT,
            Self::MsgSrc(_) => tag::MSG_SRC,
            Self::SrcType(_) => tag::SRC_TYPE,
            Self::MServiceId(_) => tag::MSERVICE_ID,
            Self::Raw { tag, .. } => *tag,
        }
    }

    /// Spec name of the tag, `"unknown"` for tags outside the table.
    pub fn name(&self) -> &'static str {
        tag_name(self.tag()).unwrap_or("unknown")
    }

    /// The value bytes exactly as they go on the wire.
    pub fn value(&self) -> &[u8] {
        match self {
            Self::TpPid(v)
            | Self::TpUdhi(v)
            | Self::ChargeUserType(v)
            | Self::ChargeTermType(v)
            | Self::DestTermType(v)
            | Self::PkTotal(v)
            | Self::PkNumber(v)
            | Self::SubmitMsgType(v)
            | Self::SpDealReslt(v)
            | Self::SrcTermType(v)
            | Self::NodesCount(v)
            | Self::SrcType(v) => std::slice::from_ref(v),
            Self::LinkId(o) => o.raw(),
            Self::MsgSrc(o) => o.raw(),
            Self::MServiceId(o) => o.raw(),
            Self::ChargeTermPseudo(b) | Self::DestTermPseudo(b) | Self::SrcTermPseudo(b) => b,
            Self::Raw { value, .. } => value,
        }
    }

    /// The one-byte value of an integer TLV.
    pub fn as_u8(&self) -> Option<u8> {
        match self {
            Self::Raw { .. } => None,
            other if expected_len(other.tag()) == Some(1) => other.value().first().copied(),
            _ => None,
        }
    }

    /// For a [`Tlv::Raw`] with a known tag: why it was not typed, e.g.
    /// `"length 2, expected 1"`. `None` for typed and unknown-tag TLVs.
    pub fn malformed(&self) -> Option<String> {
        let Self::Raw { tag, value } = self else {
            return None;
        };
        tag_name(*tag)?;
        let want = expected_len(*tag)?;
        Some(format!("length {}, expected {want}", value.len()))
    }

    /// Type a TLV read from `frame`; `value` must be a sub-slice of `frame`.
    fn from_wire(tag: u16, value: &[u8], frame: &Bytes) -> Self {
        let fixed = expected_len(tag);
        if tag_name(tag).is_none() || fixed.is_some_and(|n| n != value.len()) {
            return Self::Raw {
                tag,
                value: frame.slice_ref(value),
            };
        }
        let byte = value.first().copied().unwrap_or_default();
        match tag {
            tag::TP_PID => Self::TpPid(byte),
            tag::TP_UDHI => Self::TpUdhi(byte),
            tag::LINK_ID => {
                Octets::new(value).map_or_else(|_| Self::raw(tag, value, frame), Self::LinkId)
            }
            tag::CHARGE_USER_TYPE => Self::ChargeUserType(byte),
            tag::CHARGE_TERM_TYPE => Self::ChargeTermType(byte),
            tag::CHARGE_TERM_PSEUDO => Self::ChargeTermPseudo(frame.slice_ref(value)),
            tag::DEST_TERM_TYPE => Self::DestTermType(byte),
            tag::DEST_TERM_PSEUDO => Self::DestTermPseudo(frame.slice_ref(value)),
            tag::PK_TOTAL => Self::PkTotal(byte),
            tag::PK_NUMBER => Self::PkNumber(byte),
            tag::SUBMIT_MSG_TYPE => Self::SubmitMsgType(byte),
            tag::SP_DEAL_RESLT => Self::SpDealReslt(byte),
            tag::SRC_TERM_TYPE => Self::SrcTermType(byte),
            tag::SRC_TERM_PSEUDO => Self::SrcTermPseudo(frame.slice_ref(value)),
            tag::NODES_COUNT => Self::NodesCount(byte),
            tag::MSG_SRC => {
                Octets::new(value).map_or_else(|_| Self::raw(tag, value, frame), Self::MsgSrc)
            }
            tag::SRC_TYPE => Self::SrcType(byte),
            tag::MSERVICE_ID => {
                Octets::new(value).map_or_else(|_| Self::raw(tag, value, frame), Self::MServiceId)
            }
            _ => Self::raw(tag, value, frame),
        }
    }

    fn raw(tag: u16, value: &[u8], frame: &Bytes) -> Self {
        Self::Raw {
            tag,
            value: frame.slice_ref(value),
        }
    }

    /// Encoded size: 4 header bytes plus the value.
    pub fn encoded_len(&self) -> usize {
        4 + self.value().len()
    }

    fn encode(&self, pdu: &'static str, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let value = self.value();
        let len = u16::try_from(value.len()).map_err(|_| {
            EncodeError::new(
                pdu,
                "TLV",
                format!(
                    "{} value of {} bytes exceeds 65535",
                    self.name(),
                    value.len()
                ),
            )
        })?;
        buf.put_u16(self.tag());
        buf.put_u16(len);
        buf.put_slice(value);
        Ok(())
    }
}

/// The optional parameters of one PDU, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tlvs(pub Vec<Tlv>);

impl Tlvs {
    /// No TLVs.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The TLVs a long-message segment carries: TP_udhi 1, PkTotal, PkNumber (the order
    /// of the reference's Example 3b).
    pub fn segment(total: u8, number: u8) -> Self {
        Self(vec![
            Tlv::udhi(),
            Tlv::PkTotal(total),
            Tlv::PkNumber(number),
        ])
    }

    /// Number of TLVs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterate in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Tlv> {
        self.0.iter()
    }

    /// Append a TLV.
    pub fn push(&mut self, tlv: Tlv) {
        self.0.push(tlv);
    }

    /// Replace the first TLV with the same tag, or append.
    pub fn set(&mut self, tlv: Tlv) {
        let tag = tlv.tag();
        match self.0.iter_mut().find(|t| t.tag() == tag) {
            Some(slot) => *slot = tlv,
            None => self.0.push(tlv),
        }
    }

    /// Remove every TLV with this tag.
    pub fn remove(&mut self, tag: u16) {
        self.0.retain(|t| t.tag() != tag);
    }

    /// The first TLV with this tag (typed or raw).
    pub fn get(&self, tag: u16) -> Option<&Tlv> {
        self.0.iter().find(|t| t.tag() == tag)
    }

    fn byte(&self, tag: u16) -> Option<u8> {
        self.get(tag).and_then(Tlv::as_u8)
    }

    /// TP_pid.
    pub fn tp_pid(&self) -> Option<u8> {
        self.byte(tag::TP_PID)
    }

    /// TP_udhi as received.
    pub fn tp_udhi(&self) -> Option<u8> {
        self.byte(tag::TP_UDHI)
    }

    /// Does the content start with a UDH? TP_udhi 1 (spec) or 0x40 (seen in the wild).
    pub fn udhi(&self) -> bool {
        self.tp_udhi().is_some_and(wire::describe::udhi_set)
    }

    /// LinkID's logical value (up to the first 0x00). A LinkID of the wrong length is
    /// still returned, so an MO's LinkID can always be echoed in the answering MT.
    pub fn link_id(&self) -> Option<&[u8]> {
        match self.get(tag::LINK_ID)? {
            Tlv::LinkId(o) => Some(o.value()),
            other => {
                let v = other.value();
                Some(&v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())])
            }
        }
    }

    /// PkTotal.
    pub fn pk_total(&self) -> Option<u8> {
        self.byte(tag::PK_TOTAL)
    }

    /// PkNumber.
    pub fn pk_number(&self) -> Option<u8> {
        self.byte(tag::PK_NUMBER)
    }

    /// SubmitMsgType.
    pub fn submit_msg_type(&self) -> Option<u8> {
        self.byte(tag::SUBMIT_MSG_TYPE)
    }

    /// SPDealReslt.
    pub fn sp_deal_reslt(&self) -> Option<u8> {
        self.byte(tag::SP_DEAL_RESLT)
    }

    /// ChargeUserType.
    pub fn charge_user_type(&self) -> Option<u8> {
        self.byte(tag::CHARGE_USER_TYPE)
    }

    /// SrcTermType.
    pub fn src_term_type(&self) -> Option<u8> {
        self.byte(tag::SRC_TERM_TYPE)
    }

    /// Encoded size of all TLVs.
    pub fn encoded_len(&self) -> usize {
        self.0.iter().map(Tlv::encoded_len).sum()
    }

    /// Decode TLVs filling all of `input`, which must be a sub-slice of `frame`.
    pub(crate) fn decode(
        pdu: &'static str,
        input: &[u8],
        frame: &Bytes,
    ) -> Result<Self, DecodeError> {
        if input.is_empty() {
            return Ok(Self::new());
        }
        let mut out = Vec::with_capacity(4);
        let mut rest = input;
        while !rest.is_empty() {
            let Some((head, after)) = rest.split_first_chunk::<4>() else {
                return Err(DecodeError::truncated(pdu, "TLV", 4, rest.len()));
            };
            let tag = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let Some((value, next)) = after.split_at_checked(len) else {
                return Err(DecodeError::invalid(
                    pdu,
                    "TLV",
                    format!(
                        "tag 0x{tag:04x} length {len} with {} byte(s) left",
                        after.len()
                    ),
                    "value runs past the end of the PDU",
                ));
            };
            out.push(Tlv::from_wire(tag, value, frame));
            rest = next;
        }
        Ok(Self(out))
    }

    pub(crate) fn encode(&self, pdu: &'static str, buf: &mut BytesMut) -> Result<(), EncodeError> {
        self.0.iter().try_for_each(|t| t.encode(pdu, buf))
    }
}

impl From<Vec<Tlv>> for Tlvs {
    fn from(v: Vec<Tlv>) -> Self {
        Self(v)
    }
}

impl FromIterator<Tlv> for Tlvs {
    fn from_iter<I: IntoIterator<Item = Tlv>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Tlvs {
    type Item = &'a Tlv;
    type IntoIter = std::slice::Iter<'a, Tlv>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The TLV area of the reference's Example 3b.
    const EX_3B: &str = "00020001010009000102000a000101";

    fn decode_hex(hex: &str) -> Result<Tlvs, DecodeError> {
        let frame = Bytes::from(wire::hex::decode(hex).unwrap());
        Tlvs::decode("T", &frame, &frame)
    }

    fn encode(t: &Tlvs) -> String {
        let mut buf = BytesMut::new();
        t.encode("T", &mut buf).unwrap();
        wire::hex::encode(&buf)
    }

    #[test]
    fn names_and_tags_cover_0x0001_to_0x0012() {
        assert_eq!(tag_name(0), None);
        assert_eq!(tag_name(0x0013), None);
        for t in 1..=0x12u16 {
            let name = tag_name(t).unwrap();
            assert_eq!(tag_for_name(name), Some(t), "{name}");
        }
        assert_eq!(tag_name(tag::SP_DEAL_RESLT), Some("SPDealReslt"));
        assert_eq!(tag_name(tag::MSERVICE_ID), Some("MServiceID"));
        assert_eq!(tag_name(tag::TP_UDHI), Some("TP_udhi"));
    }

    #[test]
    fn sp_deal_result_name_variants_are_accepted() {
        for n in [
            "SPDealReslt",
            "SPDealResult",
            "SpDealResult",
            "sp_deal_result",
            "spdealreslt",
        ] {
            assert_eq!(tag_for_name(n), Some(0x000C), "{n}");
        }
        assert_eq!(tag_for_name("tp-udhi"), Some(2));
        assert_eq!(tag_for_name("nonsense"), None);
    }

    #[test]
    fn example_3b_tlvs_decode_typed_in_order() {
        let t = decode_hex(EX_3B).unwrap();
        assert_eq!(t.0, vec![Tlv::TpUdhi(1), Tlv::PkTotal(2), Tlv::PkNumber(1)]);
        assert!(t.udhi());
        assert_eq!((t.pk_total(), t.pk_number()), (Some(2), Some(1)));
        assert_eq!(t, Tlvs::segment(2, 1));
        assert_eq!(encode(&t), EX_3B);
        assert_eq!(t.encoded_len(), 15);
    }

    #[test]
    fn every_known_tag_types_and_round_trips() {
        let link = "3132333435363738393031323334353637383930";
        let hex = [
            "0001000100".to_string(),
            "0002000140".into(),
            format!("00030014{link}"),
            "0004000102".into(),
            "0005000101".into(),
            "00060003616263".into(),
            "0007000101".into(),
            "0008000461626364".into(),
            "0009000103".into(),
            "000a000102".into(),
            "000b000105".into(),
            "000c000100".into(),
            "000d000101".into(),
            "000e0000".into(),
            "000f000103".into(),
            "001000083132333435363738".into(),
            "0011000101".into(),
            format!("00120015{}00", "41".repeat(20)),
        ]
        .concat();
        let t = decode_hex(&hex).unwrap();
        assert_eq!(t.len(), 18);
        for (i, tlv) in t.iter().enumerate() {
            assert_eq!(usize::from(tlv.tag()), i + 1);
            assert!(!matches!(tlv, Tlv::Raw { .. }), "{tlv:?} should be typed");
        }
        assert_eq!(t.tp_pid(), Some(0));
        assert_eq!(t.tp_udhi(), Some(0x40));
        assert!(t.udhi(), "0x40 counts as UDH present");
        assert_eq!(t.link_id(), Some(&b"12345678901234567890"[..]));
        assert_eq!(t.charge_user_type(), Some(2));
        assert_eq!(
            t.get(tag::CHARGE_TERM_PSEUDO),
            Some(&Tlv::ChargeTermPseudo(Bytes::from_static(b"abc")))
        );
        assert_eq!(
            t.get(tag::SRC_TERM_PSEUDO),
            Some(&Tlv::SrcTermPseudo(Bytes::new()))
        );
        assert_eq!(t.submit_msg_type(), Some(5));
        assert_eq!(t.sp_deal_reslt(), Some(0));
        assert_eq!(t.src_term_type(), Some(1));
        assert_eq!(t.get(tag::MSG_SRC).map(Tlv::value), Some(&b"12345678"[..]));
        assert_eq!(encode(&t), hex);
    }

    #[test]
    fn unknown_and_wrong_length_tags_stay_raw_and_round_trip() {
        let hex = "00ff0002abcd000900020102000300036162630001000107";
        let t = decode_hex(hex).unwrap();
        assert_eq!(
            t.0[0],
            Tlv::Raw {
                tag: 0xff,
                value: Bytes::from_static(&[0xab, 0xcd])
            }
        );
        assert_eq!(t.0[0].name(), "unknown");
        assert_eq!(t.0[0].malformed(), None);
        assert_eq!(t.0[1].name(), "PkTotal");
        assert_eq!(t.0[1].malformed().as_deref(), Some("length 2, expected 1"));
        assert_eq!(t.pk_total(), None, "a 2-byte PkTotal is not guessed at");
        assert_eq!(t.0[2].malformed().as_deref(), Some("length 3, expected 20"));
        assert_eq!(t.link_id(), Some(&b"abc"[..]), "short LinkID still usable");
        assert_eq!(t.tp_pid(), Some(7));
        assert_eq!(encode(&t), hex);
    }

    #[test]
    fn truncated_tlvs_are_errors_naming_the_tag() {
        let err = decode_hex("000200").unwrap_err();
        assert_eq!(err, DecodeError::truncated("T", "TLV", 4, 3));
        let err = decode_hex("0003001431").unwrap_err();
        assert_eq!(err.field, "TLV");
        assert!(err.to_string().contains("tag 0x0003 length 20"), "{err}");
    }

    #[test]
    fn set_replaces_in_place_and_remove_drops() {
        let mut t = Tlvs::segment(2, 1);
        t.set(Tlv::PkNumber(2));
        t.set(Tlv::link_id(b"L").unwrap());
        assert_eq!(t.0[2], Tlv::PkNumber(2));
        assert_eq!(t.len(), 4);
        t.remove(tag::TP_UDHI);
        assert!(!t.udhi());
        assert_eq!(t.iter().map(Tlv::tag).collect::<Vec<_>>(), vec![9, 10, 3]);
        assert!(Tlv::link_id(&[b'x'; 21]).is_err());
        assert!(Tlv::msg_src(b"12345678").is_ok());
        assert!(Tlv::mservice_id(&[b'1'; 22]).is_err());
    }

    #[test]
    fn oversized_values_fail_to_encode() {
        let t = Tlvs(vec![Tlv::DestTermPseudo(Bytes::from(vec![0u8; 70_000]))]);
        let mut buf = BytesMut::new();
        let err = t.encode("T", &mut buf).unwrap_err();
        assert_eq!(err.field, "TLV");
        assert!(err.reason.contains("DestTermPseudo"));
    }
}
