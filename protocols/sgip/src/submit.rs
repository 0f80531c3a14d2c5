//! Submit: an SP → SMG mobile-terminated message (on a Login Type 1 connection).

use bytes::{BufMut, Bytes, BytesMut};
use wire::coding::{Coding, decode_text};
use wire::describe::udhi_set;
use wire::field::FieldError;
use wire::field::{PResult, finish, octets, take, u8_be, u32_be};
use wire::udh::{Udh, UdhError};
use wire::{DecodeError, EncodeError, Octets};

use crate::reserve;
use crate::user_numbers::{MAX_USER_COUNT, UserNumbers};

const PDU: &str = "SGIP_SUBMIT";

/// Body size of a Submit without recipients and content.
pub const SUBMIT_FIXED_LEN: usize = 123;

/// ChargeNumber value meaning "the SP pays": 21 × `0`.
pub const CHARGE_SP: Octets<21> = Octets([b'0'; 21]);

/// TP_udhi value this crate writes when content starts with a UDH (the spec value;
/// 0x40 from some gateways is accepted on input).
pub const TP_UDHI_PRESENT: u8 = 1;

/// SGIP_SUBMIT body.
///
/// Message Length = 143 + 21 × UserCount + MessageLength. With `n` recipients the
/// fields after UserNumber start 21·(n−1) bytes later than shown (n = 1 below).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 21 | SPNumber | sender shown to the user: access number + extension |
/// | 41 | 21 | ChargeNumber | charged MSISDN; empty = each recipient pays; 21 × `0` = the SP pays |
/// | 62 | 1 | UserCount | 1–100 |
/// | 63 | 21·n | UserNumber | recipients, `86`-prefixed |
/// | 84 | 5 | CorpId | SP enterprise code |
/// | 89 | 10 | ServiceType | business code |
/// | 99 | 1 | FeeType | [`crate::status::fee_type_meaning`] |
/// | 100 | 6 | FeeValue | fen |
/// | 106 | 6 | GivenValue | fen given to the user |
/// | 112 | 1 | AgentFlag | 0 receivable, 1 actually received |
/// | 113 | 1 | MorelatetoMTFlag | 0/1 caused by an MO, 2 not caused by an MO, 3 system notice |
/// | 114 | 1 | Priority | 0–9 |
/// | 115 | 16 | ExpireTime | `yymmddhhmmss032+` or empty |
/// | 131 | 16 | ScheduleTime | same, empty = now |
/// | 147 | 1 | ReportFlag | 0 on failure, 1 always, 2 never, 3 monthly-fee-only |
/// | 148 | 1 | TP_pid | GSM 03.40 TP-PID |
/// | 149 | 1 | TP_udhi | 1 = content starts with a UDH (0x40 accepted) |
/// | 150 | 1 | MessageCoding | 0 ASCII, 3 SIM, 4 binary, 8 UCS2, 15 GBK |
/// | 151 | 1 | MessageType | 0 = short message |
/// | 152 | **4** | MessageLength | content length (a 4-byte integer in SGIP) |
/// | 156 | n | MessageContent | content, UDH first when TP_udhi is set |
/// | 156+n | 8 | Reserve | LinkID of the MO this MT answers, by Unicom convention |
///
/// Example (reference Example 3: UCS2 "你好" to 8613012345678, SP pays, always
/// report):
///
/// ```text
/// 00000000  00 00 00 a8 00 00 00 03  b3 69 24 b9 06 14 dc 45
/// 00000010  00 00 00 02 31 30 36 35  35 30 31 32 33 34 35 00
/// 00000020  00 00 00 00 00 00 00 00  00 30 30 30 30 30 30 30
/// 00000030  30 30 30 30 30 30 30 30  30 30 30 30 30 30 01 38
/// 00000040  36 31 33 30 31 32 33 34  35 36 37 38 00 00 00 00
/// 00000050  00 00 00 00 31 32 33 34  35 54 45 53 54 00 00 00
/// 00000060  00 00 00 01 30 00 00 00  00 00 30 00 00 00 00 00
/// 00000070  00 02 00 00 00 00 00 00  00 00 00 00 00 00 00 00
/// 00000080  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
/// 00000090  00 00 00 01 00 00 08 00  00 00 00 04 4f 60 59 7d
/// 000000a0  00 00 00 00 00 00 00 00
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Submit {
    /// SPNumber: access number + extension shown as the sender.
    pub sp_number: Octets<21>,
    /// ChargeNumber: empty = recipients pay; [`CHARGE_SP`] = the SP pays.
    pub charge_number: Octets<21>,
    /// UserNumber × UserCount (1–100).
    pub user_numbers: UserNumbers,
    /// CorpId: SP enterprise code.
    pub corp_id: Octets<5>,
    /// ServiceType: business code.
    pub service_type: Octets<10>,
    /// FeeType.
    pub fee_type: u8,
    /// FeeValue (fen, text).
    pub fee_value: Octets<6>,
    /// GivenValue (fen, text).
    pub given_value: Octets<6>,
    /// AgentFlag.
    pub agent_flag: u8,
    /// MorelatetoMTFlag.
    pub morelateto_mt_flag: u8,
    /// Priority 0–9.
    pub priority: u8,
    /// ExpireTime `yymmddhhmmsstnnp` or empty.
    pub expire_time: Octets<16>,
    /// ScheduleTime `yymmddhhmmsstnnp` or empty.
    pub schedule_time: Octets<16>,
    /// ReportFlag.
    pub report_flag: u8,
    /// TP_pid.
    pub tp_pid: u8,
    /// TP_udhi as on the wire (1, or 0x40 from some gateways, = UDH present).
    pub tp_udhi: u8,
    /// MessageCoding.
    pub message_coding: u8,
    /// MessageType (0 = short message).
    pub message_type: u8,
    /// MessageContent; MessageLength is its length.
    pub message_content: Bytes,
    /// Reserve, kept raw (LinkID by convention; see [`Submit::link_id`]).
    pub reserve: Octets<8>,
}

impl Default for Submit {
    /// Everything empty / zero except MorelatetoMTFlag = 2 ("MT not caused by an
    /// MO"): 0 would claim the MT answers an MO, which gateways check against the
    /// LinkID. Recipients must be added before encoding.
    fn default() -> Self {
        Self {
            sp_number: Octets::EMPTY,
            charge_number: Octets::EMPTY,
            user_numbers: UserNumbers::new(),
            corp_id: Octets::EMPTY,
            service_type: Octets::EMPTY,
            fee_type: 0,
            fee_value: Octets::EMPTY,
            given_value: Octets::EMPTY,
            agent_flag: 0,
            morelateto_mt_flag: 2,
            priority: 0,
            expire_time: Octets::EMPTY,
            schedule_time: Octets::EMPTY,
            report_flag: 0,
            tp_pid: 0,
            tp_udhi: 0,
            message_coding: 0,
            message_type: 0,
            message_content: Bytes::new(),
            reserve: Octets::EMPTY,
        }
    }
}

impl Submit {
    /// A Submit of `content` (already encoded under `message_coding`) from
    /// `sp_number` to one `user_number`; other fields as in [`Submit::default`].
    pub fn new(
        sp_number: &str,
        user_number: &str,
        message_coding: u8,
        content: Bytes,
    ) -> Result<Self, EncodeError> {
        Ok(Self {
            sp_number: Octets::for_field(PDU, "SPNumber", sp_number.as_bytes())?,
            user_numbers: UserNumbers::one(Octets::for_field(
                PDU,
                "UserNumber",
                user_number.as_bytes(),
            )?),
            message_coding,
            message_content: content,
            ..Self::default()
        })
    }

    /// UserCount as it will be encoded.
    pub fn user_count(&self) -> usize {
        self.user_numbers.len()
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

    /// The text of the content (after any UDH), for text codings.
    pub fn text(&self) -> Option<String> {
        let payload = match self.udh() {
            Some(Ok((_, rest))) => rest,
            _ => &self.message_content[..],
        };
        decode_text(Coding::from_u8(self.message_coding), payload)
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
        SUBMIT_FIXED_LEN + 21 * self.user_numbers.len() + self.message_content.len()
    }

    pub(crate) fn decode(frame: &Bytes, body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, parser(frame, body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let count = self.user_numbers.len();
        if !(1..=MAX_USER_COUNT).contains(&count) {
            return Err(EncodeError::new(
                PDU,
                "UserCount",
                format!("{count} recipients; SGIP allows 1–{MAX_USER_COUNT}"),
            ));
        }
        let length = u32::try_from(self.message_content.len())
            .map_err(|_| EncodeError::new(PDU, "MessageLength", "content exceeds 4 GiB"))?;
        self.sp_number.put(buf);
        self.charge_number.put(buf);
        // `count` ≤ 100 was checked above.
        buf.put_u8(count as u8);
        for n in &self.user_numbers {
            n.put(buf);
        }
        self.corp_id.put(buf);
        self.service_type.put(buf);
        buf.put_u8(self.fee_type);
        self.fee_value.put(buf);
        self.given_value.put(buf);
        buf.put_u8(self.agent_flag);
        buf.put_u8(self.morelateto_mt_flag);
        buf.put_u8(self.priority);
        self.expire_time.put(buf);
        self.schedule_time.put(buf);
        buf.put_u8(self.report_flag);
        buf.put_u8(self.tp_pid);
        buf.put_u8(self.tp_udhi);
        buf.put_u8(self.message_coding);
        buf.put_u8(self.message_type);
        buf.put_u32(length);
        buf.put_slice(&self.message_content);
        self.reserve.put(buf);
        Ok(())
    }
}

/// Parse a Submit body. `body` is a sub-slice of `frame`, so the content is
/// `slice_ref`'d out of the frame instead of copied.
fn parser<'a>(frame: &Bytes, i: &'a [u8]) -> PResult<'a, Submit> {
    let (i, sp_number) = octets::<21>("SPNumber")(i)?;
    let (i, charge_number) = octets::<21>("ChargeNumber")(i)?;
    let (i, count) = u8_be("UserCount")(i)?;
    if count == 0 || usize::from(count) > MAX_USER_COUNT {
        return Err(FieldError::invalid("UserCount", count, "must be 1–100"));
    }
    let (mut i, first) = octets::<21>("UserNumber")(i)?;
    let user_numbers = if count == 1 {
        UserNumbers::one(first)
    } else {
        let mut list = Vec::with_capacity(usize::from(count));
        list.push(first);
        for _ in 1..count {
            let (rest, n) = octets::<21>("UserNumber")(i)?;
            list.push(n);
            i = rest;
        }
        UserNumbers::from(list)
    };
    let (i, corp_id) = octets::<5>("CorpId")(i)?;
    let (i, service_type) = octets::<10>("ServiceType")(i)?;
    let (i, fee_type) = u8_be("FeeType")(i)?;
    let (i, fee_value) = octets::<6>("FeeValue")(i)?;
    let (i, given_value) = octets::<6>("GivenValue")(i)?;
    let (i, agent_flag) = u8_be("AgentFlag")(i)?;
    let (i, morelateto_mt_flag) = u8_be("MorelatetoMTFlag")(i)?;
    let (i, priority) = u8_be("Priority")(i)?;
    let (i, expire_time) = octets::<16>("ExpireTime")(i)?;
    let (i, schedule_time) = octets::<16>("ScheduleTime")(i)?;
    let (i, report_flag) = u8_be("ReportFlag")(i)?;
    let (i, tp_pid) = u8_be("TP_pid")(i)?;
    let (i, tp_udhi) = u8_be("TP_udhi")(i)?;
    let (i, message_coding) = u8_be("MessageCoding")(i)?;
    let (i, message_type) = u8_be("MessageType")(i)?;
    let (i, length) = u32_be("MessageLength")(i)?;
    let (i, content) = take("MessageContent", length as usize)(i)?;
    let (i, reserve) = octets::<8>("Reserve")(i)?;
    let submit = Submit {
        sp_number,
        charge_number,
        user_numbers,
        corp_id,
        service_type,
        fee_type,
        fee_value,
        given_value,
        agent_flag,
        morelateto_mt_flag,
        priority,
        expire_time,
        schedule_time,
        report_flag,
        tp_pid,
        tp_udhi,
        message_coding,
        message_type,
        message_content: frame.slice_ref(content),
        reserve,
    };
    Ok((i, submit))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use wire::DecodeErrorKind;

    fn sample() -> Submit {
        Submit {
            charge_number: CHARGE_SP,
            corp_id: Octets::new(b"12345").unwrap(),
            report_flag: 1,
            ..Submit::new(
                "10655012345",
                "8613012345678",
                8,
                Bytes::from_static(&[0x4f, 0x60]),
            )
            .unwrap()
        }
    }

    fn encode(s: &Submit) -> BytesMut {
        let mut buf = BytesMut::new();
        s.encode(&mut buf).unwrap();
        buf
    }

    #[test]
    fn round_trips_and_slices_the_content_from_the_frame() {
        let s = sample();
        let frame = encode(&s).freeze();
        assert_eq!(frame.len(), s.encoded_len());
        let back = Submit::decode(&frame, &frame).unwrap();
        assert_eq!(back, s);
        // The content is a view into the frame, not a copy.
        let offset = back.message_content.as_ptr() as usize - frame.as_ptr() as usize;
        assert_eq!(offset, SUBMIT_FIXED_LEN + 21 - 8);
    }

    #[test]
    fn many_recipients_shift_the_fixed_fields() {
        let mut s = sample();
        s.user_numbers =
            UserNumbers::parse(&["8613000000001", "8613000000002", "8613000000003"]).unwrap();
        let frame = encode(&s).freeze();
        assert_eq!(frame[42], 3);
        assert_eq!(&frame[43 + 63..43 + 63 + 5], b"12345");
        assert_eq!(Submit::decode(&frame, &frame).unwrap(), s);
    }

    #[test]
    fn user_count_must_be_1_to_100() {
        let mut s = sample();
        s.user_numbers = UserNumbers::new();
        assert_eq!(
            s.encode(&mut BytesMut::new()).unwrap_err().field,
            "UserCount"
        );
        s.user_numbers = (0..101).map(|_| CHARGE_SP).collect();
        assert_eq!(
            s.encode(&mut BytesMut::new()).unwrap_err().field,
            "UserCount"
        );
        // Disagreement 18: up to 100 is accepted even though Unicom takes only 1.
        s.user_numbers = (0..100).map(|_| CHARGE_SP).collect();
        let frame = encode(&s).freeze();
        assert_eq!(Submit::decode(&frame, &frame).unwrap().user_count(), 100);

        let mut frame = encode(&sample());
        frame[42] = 0;
        let err = Submit::decode(&frame.clone().freeze(), &frame).unwrap_err();
        assert_eq!(err.field, "UserCount");
        assert!(matches!(err.kind, DecodeErrorKind::Invalid { .. }));
        frame[42] = 101;
        assert_eq!(
            Submit::decode(&frame.clone().freeze(), &frame)
                .unwrap_err()
                .field,
            "UserCount"
        );
    }

    #[test]
    fn message_length_beyond_the_frame_is_truncation() {
        let mut frame = encode(&sample());
        // MessageLength sits 4 bytes before the 2 content bytes and 8 reserve bytes.
        let at = frame.len() - 8 - 2 - 4;
        frame[at..at + 4].copy_from_slice(&1000u32.to_be_bytes());
        let err = Submit::decode(&frame.clone().freeze(), &frame).unwrap_err();
        assert_eq!(err.field, "MessageContent");
        frame[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Submit::decode(&frame.clone().freeze(), &frame)
                .unwrap_err()
                .field,
            "MessageContent"
        );
    }

    #[test]
    fn udhi_accepts_0x40_and_emits_1() {
        let mut s = sample();
        s.message_content = Bytes::from_static(&[0x05, 0x00, 0x03, 0x5a, 0x02, 0x01, 0x4f, 0x60]);
        s.set_udhi(true);
        assert_eq!(s.tp_udhi, 1);
        assert!(s.has_udh());
        assert_eq!(s.text().as_deref(), Some("你"));
        s.tp_udhi = 0x40;
        assert!(s.has_udh());
        let concat = s.udh().unwrap().unwrap().0.concat().unwrap();
        assert_eq!((concat.total, concat.number), (2, 1));
        s.set_udhi(false);
        assert_eq!(s.tp_udhi, 0);
        assert_eq!(s.udh().map(|r| r.is_ok()), None);
    }

    #[test]
    fn link_id_lives_in_reserve() {
        let mut s = sample();
        assert_eq!(s.link_id(), None);
        s.set_link_id(b"LNK12345").unwrap();
        assert_eq!(s.link_id(), Some(&b"LNK12345"[..]));
        assert_eq!(s.set_link_id(b"123456789").unwrap_err().field, "Reserve");
    }
}
