//! What goes into a link and what comes out of it, in protocol-neutral terms: outbound
//! messages with their parts, carrier message ids, and status reports.

use std::fmt;
use std::sync::Arc;

use wire::coding::Coding;
use wire::segment::Segment;

use super::report_time::ReportTime;

/// One part (segment) of an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPart {
    /// Part number, 1-based, as in the UDH (`1` for a single message). Kept when a message
    /// is requeued with only some of its parts.
    pub number: u8,
    /// The segment: UDH (if any) and content, as the text layer cut it.
    pub segment: Segment,
    /// The owner's id for this part (the dispatcher's segment id), handed to the link's
    /// [`WriteHook`](super::WriteHook) before the part is written; 0 for none.
    pub tag: u64,
    /// How many times this part has been written already (by an earlier connection or an
    /// earlier run). Every write counts, whatever came of it; a part that has been
    /// written `max_attempts` times is not written again but fails
    /// ([`FailReason::AttemptsUsed`](super::FailReason::AttemptsUsed); the rules:
    /// [`resend`](super::resend)).
    pub sent: u32,
}

/// A message handed to a link: one text (already split into segments) to one or more
/// recipients. Every part goes out as one SUBMIT addressed to all recipients, and all
/// parts of one message go through the same connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The caller's id (e.g. the job row id); every event about the message carries it.
    pub id: u64,
    /// Recipient numbers (CMPP/SMGP at most 100; SGIP numbers get the `86` prefix added
    /// when they lack it).
    pub recipients: Vec<String>,
    /// The source number shown to the recipient: service code plus extension, already
    /// composed by the caller.
    pub src_number: String,
    /// Coding of every segment.
    pub coding: Coding,
    /// Parts still to be sent. A fresh message has all of them; a message the link hands
    /// back ([`LinkHandle::shutdown`](super::LinkHandle::shutdown)) only those not
    /// acknowledged.
    pub parts: Vec<OutboundPart>,
    /// Ask the carrier for a status report.
    pub want_report: bool,
    /// Service code (CMPP `Service_Id`, SMGP `ServiceID`, SGIP `ServiceType`); empty means
    /// the link's configured one.
    pub service_id: String,
}

impl OutboundMessage {
    /// A message whose parts are `segments`, numbered from 1, with a report requested and
    /// the link's service code.
    pub fn new(
        id: u64,
        recipients: Vec<String>,
        src_number: impl Into<String>,
        coding: Coding,
        segments: Vec<Segment>,
    ) -> Self {
        let parts = segments
            .into_iter()
            .enumerate()
            .map(|(i, segment)| OutboundPart {
                number: u8::try_from(i + 1).unwrap_or(u8::MAX),
                segment,
                tag: 0,
                sent: 0,
            })
            .collect();
        Self {
            id,
            recipients,
            src_number: src_number.into(),
            coding,
            parts,
            want_report: true,
            service_id: String::new(),
        }
    }

    /// The same message with only the parts named in `sent` — (part number, times
    /// written so far) — their write counts set to those given.
    pub(crate) fn with_parts_sent(&self, sent: &[(u8, u32)]) -> Self {
        Self {
            parts: self
                .parts
                .iter()
                .filter_map(|p| {
                    sent.iter().find(|(n, _)| *n == p.number).map(|&(_, s)| {
                        let mut p = p.clone();
                        p.sent = s;
                        p
                    })
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// A carrier message id, as the submit response assigns it and status reports name it.
///
/// | protocol | id | several recipients |
/// |---|---|---|
/// | CMPP | 8-byte `Msg_Id` | the response's id is the first of a range, one per recipient in order |
/// | SMGP | 10-byte BCD `MsgID` | one id; reports tell recipients apart by number |
/// | SGIP | the Submit's 12-byte sequence number | one id; reports tell recipients apart by `UserNumber` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CarrierMsgId {
    /// CMPP `Msg_Id`.
    Cmpp(u64),
    /// SMGP `MsgID`.
    Smgp([u8; 10]),
    /// SGIP sequence number: node id, `MMDDHHMMSS`, counter.
    Sgip {
        /// Node id.
        node: u32,
        /// Time part.
        time: u32,
        /// Counter.
        counter: u32,
    },
}

impl CarrierMsgId {
    /// The id the carrier gives recipient `index` (0-based) of a submit whose response
    /// carried `self`: CMPP counts up the range, the other protocols use one id.
    pub fn for_recipient(self, index: usize) -> Self {
        match self {
            Self::Cmpp(v) => Self::Cmpp(v.wrapping_add(index as u64)),
            other => other,
        }
    }
}

impl fmt::Display for CarrierMsgId {
    /// CMPP: the unsigned decimal value; SMGP: 20 hex digits (the BCD digits); SGIP:
    /// `node-MMDDHHMMSS-counter`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cmpp(v) => write!(f, "{v}"),
            Self::Smgp(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            Self::Sgip {
                node,
                time,
                counter,
            } => write!(f, "{node}-{time:010}-{counter}"),
        }
    }
}

/// A status report, protocol-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The id of the submit it reports on.
    pub msg_id: CarrierMsgId,
    /// The recipient the report is about, as the carrier wrote it.
    pub recipient: String,
    /// Whether the message reached the handset.
    pub delivered: bool,
    /// The carrier's status word (CMPP/SMGP `Stat` such as `DELIVRD`, SGIP `State` as a
    /// number).
    pub stat: String,
    /// The carrier's error code, where the protocol has one (SMGP `err`, SGIP
    /// `ErrorCode`).
    pub err: Option<String>,
    /// What `stat` (and `err`) mean.
    pub meaning: &'static str,
    /// When the gateway says the message was submitted, where the report tells.
    pub submitted: Option<ReportTime>,
}

/// The submit a report was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMatch {
    /// The message's id.
    pub id: u64,
    /// The part number.
    pub part: u8,
    /// The recipient's index in [`OutboundMessage::recipients`], when it could be told.
    pub recipient_index: Option<usize>,
}

/// What the report matcher remembers about a submit: enough to name the message, part
/// and recipient a report is about.
#[derive(Debug, Clone)]
pub(crate) struct SubmitKey {
    pub id: u64,
    pub part: u8,
    /// Known directly for CMPP (one id per recipient).
    pub recipient_index: Option<usize>,
    /// For one id shared by several recipients: their numbers, to find the index.
    pub recipients: Option<Arc<[String]>>,
}

impl SubmitKey {
    pub(crate) fn resolve(&self, report: &DeliveryReport) -> ReportMatch {
        let recipient_index = self.recipient_index.or_else(|| {
            self.recipients.as_ref().and_then(|all| {
                let want = national(&report.recipient);
                all.iter().position(|r| national(r) == want)
            })
        });
        ReportMatch {
            id: self.id,
            part: self.part,
            recipient_index,
        }
    }
}

/// A number as the rest of hongyan writes it: a mobile number in the project's normal form
/// (Unicom's `8613…` → `13…`), anything else (a service code, a foreign number) as
/// received, trimmed — an MO sender or a report's number is never refused for its form.
pub(crate) fn normalised(number: &str) -> String {
    match crate::route::normalize(number) {
        Ok(n) => n.as_str().to_string(),
        Err(_) => number.trim().to_string(),
    }
}

/// A number without `+86` / `86` prefix, for comparing numbers written differently.
pub(crate) fn national(number: &str) -> &str {
    let n = number.trim();
    let n = n.strip_prefix('+').unwrap_or(n);
    match n.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest,
        _ => n,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn msg_ids_display_in_each_protocol_form() {
        assert_eq!(CarrierMsgId::Cmpp(42).to_string(), "42");
        let smgp = CarrierMsgId::Smgp([0x01, 0x00, 0x61, 0x01, 0x02, 0x13, 0x04, 0, 0, 1]);
        assert_eq!(smgp.to_string(), "01006101021304000001");
        let sgip = CarrierMsgId::Sgip {
            node: 3_010_012_345,
            time: 102_030_405,
            counter: 3,
        };
        assert_eq!(sgip.to_string(), "3010012345-0102030405-3");
    }

    #[test]
    fn only_cmpp_ids_count_up_per_recipient() {
        assert_eq!(
            CarrierMsgId::Cmpp(10).for_recipient(2),
            CarrierMsgId::Cmpp(12)
        );
        let smgp = CarrierMsgId::Smgp([1; 10]);
        assert_eq!(smgp.for_recipient(5), smgp);
    }

    #[test]
    fn normalised_writes_mobile_numbers_without_prefix_and_keeps_the_rest() {
        assert_eq!(normalised("8613012345678"), "13012345678");
        assert_eq!(normalised("+8613012345678"), "13012345678");
        assert_eq!(normalised("13012345678"), "13012345678");
        assert_eq!(normalised(" 10655012345 "), "10655012345");
        assert_eq!(normalised("447700900123"), "447700900123");
    }

    #[test]
    fn national_strips_the_country_code() {
        assert_eq!(national("8613800138000"), "13800138000");
        assert_eq!(national("+8613800138000"), "13800138000");
        assert_eq!(national("13800138000"), "13800138000");
        assert_eq!(national("86123"), "86123");
    }

    #[test]
    fn key_finds_the_recipient_by_number() {
        let key = SubmitKey {
            id: 7,
            part: 2,
            recipient_index: None,
            recipients: Some(vec!["13800138000".into(), "13900139000".into()].into()),
        };
        let report = DeliveryReport {
            msg_id: CarrierMsgId::Cmpp(1),
            recipient: "8613900139000".into(),
            delivered: true,
            stat: "DELIVRD".into(),
            err: None,
            meaning: "delivered",
            submitted: None,
        };
        assert_eq!(
            key.resolve(&report),
            ReportMatch {
                id: 7,
                part: 2,
                recipient_index: Some(1)
            }
        );
    }

    #[test]
    fn with_parts_sent_keeps_the_numbers_and_sets_the_counts() {
        let split = wire::segment::split(&"长".repeat(150), &Default::default(), 1).unwrap();
        let msg = OutboundMessage::new(1, vec!["1".into()], "106", split.coding, split.segments);
        assert_eq!(msg.parts.len(), 3);
        let rest = msg.with_parts_sent(&[(2, 1), (3, 2)]);
        assert_eq!(
            rest.parts
                .iter()
                .map(|p| (p.number, p.sent))
                .collect::<Vec<_>>(),
            vec![(2, 1), (3, 2)]
        );
    }
}
