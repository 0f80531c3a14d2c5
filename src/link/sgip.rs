//! SGIP 1.2 for the link driver: Bind (Login Type 1) with name and password, Submit,
//! Unbind to close. SGIP has no keep-alive PDU: the driver connects on demand and Unbinds
//! when idle. Sequence numbers are the SP's node id, the China time of sending and the
//! 32-bit counter the driver allocates; the full number of a Submit is its message id,
//! which Reports (on the reverse connection, see `sgip_listener.rs`) refer to.

use bytes::BytesMut;
use sgip::{Bind, Body, Pdu, Report, Resp, SequenceNumber, SgipCodec, Submit, UserNumbers};
use wire::field::Octets;
use wire::reassembly::MoPart;
use wire::{EncodeError, FrameError};

use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart, national};
use super::protocol::{
    BadFrame, Classified, Frame, Inbound, LoginOutcome, ProtocolAdapter, SubmitAnswer, is_response,
};
use super::report_time::ReportTime;
use super::sequence::ZeroId;
use crate::clock::ChinaTime;

/// ReportFlag 1: always report; 2: never.
const REPORT_ALWAYS: u8 = 1;
const REPORT_NEVER: u8 = 2;
/// ChargeNumber of 21 zeros: the SP pays.
const SP_PAYS: &[u8; 21] = b"000000000000000000000";
/// FeeType 1: free.
const FEE_FREE: u8 = 1;

/// An SGIP session for one SP node.
#[derive(Debug, Clone)]
pub struct SgipProtocol {
    node_id: u32,
    corp_id: String,
}

impl SgipProtocol {
    /// SGIP for the SP node `node_id` with enterprise code `corp_id`.
    pub fn new(node_id: u32, corp_id: impl Into<String>) -> Self {
        Self {
            node_id,
            corp_id: corp_id.into(),
        }
    }

    fn sequence(&self, counter: u32) -> SequenceNumber {
        SequenceNumber {
            node_id: self.node_id,
            timestamp: ChinaTime::now().mmddhhmmss(),
            counter,
        }
    }
}

/// The message id a sequence number stands for.
pub(crate) fn msg_id(seq: SequenceNumber) -> CarrierMsgId {
    CarrierMsgId::Sgip {
        node: seq.node_id,
        time: seq.timestamp,
        counter: seq.counter,
    }
}

/// SGIP wants recipients with the `86` prefix.
fn with_country_code(number: &str) -> String {
    let n = national(number);
    if n.len() == 11 && n.starts_with('1') {
        format!("86{n}")
    } else {
        number.to_string()
    }
}

fn text(octets: &[u8]) -> String {
    String::from_utf8_lossy(octets).into_owned()
}

/// A Report as a protocol-neutral report.
pub(crate) fn report(r: &Report) -> DeliveryReport {
    DeliveryReport {
        msg_id: msg_id(r.submit_sequence),
        recipient: text(r.user_number.value()),
        delivered: r.is_delivered(),
        stat: r.state.as_u8().to_string(),
        err: Some(r.error_code.to_string()),
        meaning: if r.is_delivered() {
            r.state_meaning()
        } else {
            r.error_code_meaning()
        },
        // The submit's sequence number carries the SP's own clock, to the second.
        submitted: ReportTime::from_mmddhhmmss(r.submit_sequence.timestamp),
    }
}

impl ProtocolAdapter for SgipProtocol {
    /// The counter, the last 4 bytes of SGIP's 12-byte sequence number (node id, time,
    /// counter) after the 8-byte length and command id.
    fn frame_seq(&self, frame: &[u8]) -> Option<u32> {
        let b: [u8; 4] = frame.get(16..20)?.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    type Pdu = Pdu;
    type Codec = SgipCodec;

    fn name(&self) -> &'static str {
        "sgip"
    }

    fn codec(&self) -> SgipCodec {
        SgipCodec::default()
    }

    fn next_frame(
        &self,
        codec: &mut SgipCodec,
        src: &mut BytesMut,
    ) -> Result<Option<Frame<Pdu>>, FrameError> {
        Ok(codec.decode_frame(src)?.map(|decoded| match decoded {
            Ok(pdu) => Frame::Pdu(pdu),
            Err(bad) => Frame::Undecodable(BadFrame {
                response: is_response(bad.header.command_id),
                answer: sgip::undecodable::answer(&bad),
                frame: bad.frame,
                error: bad.error,
            }),
        }))
    }

    fn zero_id(&self) -> ZeroId {
        ZeroId::Allowed
    }

    fn encode(&self, pdu: &Pdu, buf: &mut BytesMut) -> Result<(), EncodeError> {
        pdu.encode(buf)
    }

    fn login(&self, seq: u32, account: &str, secret: &str) -> Result<Pdu, EncodeError> {
        Ok(Pdu::new(
            self.sequence(seq),
            Body::Bind(Bind::sp_to_smg(account, secret)?),
        ))
    }

    fn login_response(&self, pdu: &Pdu) -> Option<LoginOutcome> {
        match &pdu.body {
            Body::BindResp(resp) if resp.is_success() => Some(LoginOutcome::Accepted),
            Body::BindResp(resp) => Some(LoginOutcome::Refused {
                status: u32::from(resp.result),
                meaning: resp.result_meaning(),
            }),
            _ => None,
        }
    }

    fn submit(
        &self,
        seq: u32,
        msg: &OutboundMessage,
        part: &OutboundPart,
        service_id: &str,
    ) -> Result<Pdu, EncodeError> {
        let numbers: Vec<String> = msg
            .recipients
            .iter()
            .map(|r| with_country_code(r))
            .collect();
        if numbers.len() > sgip::user_numbers::MAX_USER_COUNT {
            return Err(EncodeError::new(
                "SGIP_SUBMIT",
                "UserCount",
                "more than 100 recipients",
            ));
        }
        let mut submit = Submit {
            sp_number: Octets::for_field("SGIP_SUBMIT", "SPNumber", msg.src_number.as_bytes())?,
            charge_number: Octets(*SP_PAYS),
            user_numbers: UserNumbers::parse(&numbers)?,
            corp_id: Octets::for_field("SGIP_SUBMIT", "CorpId", self.corp_id.as_bytes())?,
            service_type: Octets::for_field("SGIP_SUBMIT", "ServiceType", service_id.as_bytes())?,
            fee_type: FEE_FREE,
            // '0' rather than empty: the reference example's form (0–99999 fen).
            fee_value: Octets(*b"0\0\0\0\0\0"),
            given_value: Octets(*b"0\0\0\0\0\0"),
            report_flag: if msg.want_report {
                REPORT_ALWAYS
            } else {
                REPORT_NEVER
            },
            ..Submit::default()
        };
        submit.set_segment(msg.coding, &part.segment);
        Ok(Pdu::new(self.sequence(seq), Body::Submit(submit)))
    }

    fn classify(&self, pdu: Pdu) -> Classified<Pdu> {
        let answer = pdu.response(0);
        let seq = pdu.sequence;
        let inbound = match pdu.body {
            Body::SubmitResp(resp) => {
                let outcome = classify_resp(&resp, seq);
                Inbound::SubmitResp {
                    seq: seq.counter,
                    outcome,
                }
            }
            Body::Deliver(d) => Inbound::Mo {
                deliver_id: Some(msg_id(seq)),
                part: MoPart {
                    sender: text(d.user_number.value()),
                    destination: text(d.sp_number.value()),
                    coding: d.message_coding,
                    tp_udhi: d.tp_udhi,
                    content: d.message_content.to_vec(),
                },
            },
            Body::Report(r) => Inbound::Report {
                deliver_id: Some(msg_id(seq)),
                report: report(&r),
            },
            Body::Unbind => Inbound::Close,
            Body::UnbindResp => Inbound::CloseResp,
            Body::BindResp(resp) => Inbound::LoginResp(if resp.is_success() {
                LoginOutcome::Accepted
            } else {
                LoginOutcome::Refused {
                    status: u32::from(resp.result),
                    meaning: resp.result_meaning(),
                }
            }),
            other => Inbound::Other {
                command: Pdu::new(seq, other).command_name(),
            },
        };
        Classified { inbound, answer }
    }

    fn probe(&self, _seq: u32) -> Option<Pdu> {
        None
    }

    fn close(&self, seq: u32) -> Pdu {
        Pdu::new(self.sequence(seq), Body::Unbind)
    }
}

fn classify_resp(resp: &Resp, seq: SequenceNumber) -> SubmitAnswer {
    if resp.is_success() {
        SubmitAnswer::Accepted(msg_id(seq))
    } else if resp.is_flow_control() {
        SubmitAnswer::FlowControl {
            code: u32::from(resp.result),
            meaning: resp.result_meaning(),
        }
    } else {
        SubmitAnswer::Rejected {
            code: u32::from(resp.result),
            meaning: resp.result_meaning(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;
    use sgip::{Deliver, ReportState};
    use wire::segment::{SplitOptions, split};

    use super::*;

    fn proto() -> SgipProtocol {
        SgipProtocol::new(3_010_012_345, "12345")
    }

    #[test]
    fn bind_and_its_answer() {
        let p = proto();
        let pdu = p.login(0, "sp", "pw").unwrap();
        assert_eq!(pdu.sequence.node_id, 3_010_012_345);
        let Body::Bind(b) = &pdu.body else { panic!() };
        assert_eq!(b.check(sgip::LoginType::SpToSmg, b"sp", b"pw"), 0);
        let refused = pdu.response(1).unwrap();
        assert_eq!(
            p.login_response(&refused),
            Some(LoginOutcome::Refused {
                status: 1,
                meaning: "illegal login (bad name or password)"
            })
        );
        assert_eq!(
            p.login_response(&pdu.response(0).unwrap()),
            Some(LoginOutcome::Accepted)
        );
    }

    #[test]
    fn submit_adds_country_code_and_report_flag() {
        let p = proto();
        let s = split("hello", &SplitOptions::default(), 0).unwrap();
        let msg = OutboundMessage::new(
            1,
            vec!["13012345678".into(), "8613112345678".into()],
            "10655",
            s.coding,
            s.segments,
        );
        let pdu = p.submit(42, &msg, &msg.parts[0], "SVC").unwrap();
        let back = sgip::decode(&pdu.to_bytes().unwrap()).unwrap();
        assert_eq!(back.sequence.counter, 42);
        let Body::Submit(sub) = back.body else {
            panic!()
        };
        let numbers: Vec<&[u8]> = sub
            .user_numbers
            .as_slice()
            .iter()
            .map(|n| n.value())
            .collect();
        assert_eq!(numbers, vec![&b"8613012345678"[..], &b"8613112345678"[..]]);
        assert_eq!(sub.report_flag, 1);
        assert_eq!(sub.corp_id.value(), b"12345");
    }

    #[test]
    fn submit_resp_gives_the_submit_sequence_as_msg_id() {
        let p = proto();
        let seq = SequenceNumber {
            node_id: 1,
            timestamp: 2,
            counter: 3,
        };
        let c = p.classify(Pdu::new(seq, Body::SubmitResp(Resp::ok())));
        assert_eq!(
            c.inbound,
            Inbound::SubmitResp {
                seq: 3,
                outcome: SubmitAnswer::Accepted(CarrierMsgId::Sgip {
                    node: 1,
                    time: 2,
                    counter: 3
                })
            }
        );
        let c = p.classify(Pdu::new(seq, Body::SubmitResp(Resp::new(11))));
        assert!(matches!(
            c.inbound,
            Inbound::SubmitResp {
                outcome: SubmitAnswer::FlowControl { code: 11, .. },
                ..
            }
        ));
    }

    #[test]
    fn deliver_and_report_are_answered() {
        let p = proto();
        let seq = SequenceNumber {
            node_id: 9,
            timestamp: 1,
            counter: 1,
        };
        let d = Deliver::new("8613012345678", "1065501", 0, Bytes::from_static(b"TD")).unwrap();
        let c = p.classify(Pdu::new(seq, Body::Deliver(d)));
        assert!(matches!(c.inbound, Inbound::Mo { .. }));
        assert!(matches!(c.answer.unwrap().body, Body::DeliverResp(_)));
        let submit_seq = SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 5,
            counter: 6,
        };
        let r = Report::for_submit(submit_seq, "8613012345678", ReportState::Delivered, 0).unwrap();
        let c = p.classify(Pdu::new(seq, Body::Report(r)));
        let Inbound::Report { report, .. } = c.inbound else {
            panic!()
        };
        assert_eq!(report.msg_id, msg_id(submit_seq));
        assert!(report.delivered);
        assert!(matches!(c.answer.unwrap().body, Body::ReportResp(_)));
        let c = p.classify(Pdu::new(seq, Body::Unbind));
        assert_eq!(c.inbound, Inbound::Close);
        assert_eq!(c.answer.unwrap().body, Body::UnbindResp);
    }
}
