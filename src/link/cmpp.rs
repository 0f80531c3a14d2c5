//! CMPP 2.0 / 3.0 for the link driver: CONNECT with the MD5 digest over China time,
//! SUBMIT with `Pk_total`/`Pk_number` from the segment, ACTIVE_TEST keep-alive, TERMINATE
//! to close; DELIVERs (MO and status reports) answered with DELIVER_RESP Result 0.

use bytes::BytesMut;
use cmpp::{
    Body, CmppCodec, Connect, DeliverContent, DeliverResp, DestTerminalIds, Pdu, Submit, Version,
};
use wire::field::Octets;
use wire::reassembly::MoPart;
use wire::{EncodeError, FrameError};

/// Fee_UserType 2: charge the SP.
const FEE_USER_SP: u8 = 2;

use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart};
use super::protocol::{
    BadFrame, Classified, Frame, Inbound, LoginOutcome, ProtocolAdapter, SubmitAnswer, is_response,
};
use super::report_time::ReportTime;
use super::sequence::ZeroId;
use crate::clock::ChinaTime;

/// A CMPP session of one version.
#[derive(Debug, Clone)]
pub struct CmppProtocol {
    version: Version,
    /// SP_Id, also put into `Msg_src`.
    sp_id: String,
}

impl CmppProtocol {
    /// CMPP `version` for the SP `sp_id` (the login account).
    pub fn new(version: Version, sp_id: impl Into<String>) -> Self {
        Self {
            version,
            sp_id: sp_id.into(),
        }
    }
}

fn text(octets: &[u8]) -> String {
    String::from_utf8_lossy(octets).into_owned()
}

impl ProtocolAdapter for CmppProtocol {
    type Pdu = Pdu;
    type Codec = CmppCodec;

    fn name(&self) -> &'static str {
        self.version.protocol_name()
    }

    fn codec(&self) -> CmppCodec {
        CmppCodec::new(self.version)
    }

    fn next_frame(
        &self,
        codec: &mut CmppCodec,
        src: &mut BytesMut,
    ) -> Result<Option<Frame<Pdu>>, FrameError> {
        Ok(codec.decode_frame(src)?.map(|decoded| match decoded {
            Ok(pdu) => Frame::Pdu(pdu),
            Err(bad) => Frame::Undecodable(BadFrame {
                response: is_response(bad.header.command_id),
                answer: cmpp::undecodable::answer(&bad),
                frame: bad.frame,
                error: bad.error,
            }),
        }))
    }

    fn zero_id(&self) -> ZeroId {
        ZeroId::Skipped
    }

    fn encode(&self, pdu: &Pdu, buf: &mut BytesMut) -> Result<(), EncodeError> {
        pdu.encode(self.version, buf)
    }

    fn login(&self, seq: u32, account: &str, secret: &str) -> Result<Pdu, EncodeError> {
        let connect = Connect::with_wire_timestamp(
            self.version,
            account,
            secret.as_bytes(),
            ChinaTime::now().mmddhhmmss(),
        )?;
        Ok(Pdu::new(seq, Body::Connect(connect)))
    }

    fn login_response(&self, pdu: &Pdu) -> Option<LoginOutcome> {
        match &pdu.body {
            Body::ConnectResp(resp) if resp.status == 0 => Some(LoginOutcome::Accepted),
            Body::ConnectResp(resp) => Some(LoginOutcome::Refused {
                status: resp.status,
                meaning: resp.status_meaning(),
            }),
            _ => None,
        }
    }

    fn gateway_proven(&self, login: &Pdu, answer: &Pdu, secret: &str) -> Option<bool> {
        match (&login.body, &answer.body) {
            (Body::Connect(connect), Body::ConnectResp(resp)) => {
                Some(resp.verify(self.version, connect, secret.as_bytes()))
            }
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
        let mut submit = Submit {
            registered_delivery: u8::from(msg.want_report),
            service_id: Octets::for_field("CMPP_SUBMIT", "Service_Id", service_id.as_bytes())?,
            msg_src: Octets::for_field("CMPP_SUBMIT", "Msg_src", self.sp_id.as_bytes())?,
            // Free to the user, the SP carries it: the form of the reference's worked
            // example, which strict gateways expect (an empty FeeCode is refused by some).
            fee_user_type: FEE_USER_SP,
            fee_type: Octets(*b"01"),
            fee_code: Octets(*b"000000"),
            src_id: Octets::for_field("CMPP_SUBMIT", "Src_Id", msg.src_number.as_bytes())?,
            dest_terminal_ids: DestTerminalIds::from_numbers(&msg.recipients)?,
            ..Submit::default()
        };
        submit.set_segment(msg.coding, &part.segment);
        Ok(Pdu::new(seq, Body::Submit(submit)))
    }

    fn classify(&self, pdu: Pdu) -> Classified<Pdu> {
        let seq = pdu.sequence_id;
        let (inbound, answer) = match pdu.body {
            Body::SubmitResp(resp) => {
                let outcome = if resp.result == 0 {
                    SubmitAnswer::Accepted(CarrierMsgId::Cmpp(resp.msg_id.value()))
                } else if resp.is_flow_control() {
                    SubmitAnswer::FlowControl {
                        code: resp.result,
                        meaning: resp.result_meaning(),
                    }
                } else {
                    SubmitAnswer::Rejected {
                        code: resp.result,
                        meaning: resp.result_meaning(),
                    }
                };
                (Inbound::SubmitResp { seq, outcome }, None)
            }
            Body::Deliver(deliver) => {
                let answer = Pdu::new(seq, Body::DeliverResp(DeliverResp::to(&deliver, 0)));
                let deliver_id = Some(CarrierMsgId::Cmpp(deliver.msg_id.value()));
                let inbound = match &deliver.content {
                    DeliverContent::Message(content) => Inbound::Mo {
                        deliver_id,
                        part: MoPart {
                            sender: text(deliver.src_terminal_id.value()),
                            destination: text(deliver.dest_id.value()),
                            coding: deliver.msg_fmt,
                            tp_udhi: deliver.tp_udhi,
                            content: content.to_vec(),
                        },
                    },
                    DeliverContent::Report(report) => Inbound::Report {
                        deliver_id,
                        report: DeliveryReport {
                            msg_id: CarrierMsgId::Cmpp(report.msg_id.value()),
                            recipient: text(report.dest_terminal_id.value()),
                            delivered: report.is_delivered(),
                            stat: text(report.stat.value()),
                            err: None,
                            meaning: cmpp::status::stat_meaning(report.stat.raw()),
                            submitted: ReportTime::from_yymmddhhmm(report.submit_time.raw())
                                .or_else(|| {
                                    let p = report.msg_id.parts();
                                    ReportTime::from_parts(p.month, p.day, p.hour, p.minute)
                                }),
                        },
                    },
                    DeliverContent::MalformedReport { error, .. } => Inbound::Unparsed {
                        pdu: "CMPP_DELIVER",
                        reason: error.clone(),
                    },
                };
                (inbound, Some(answer))
            }
            Body::ActiveTest => (
                Inbound::KeepAlive,
                Some(Pdu::new(
                    seq,
                    Body::ActiveTestResp(cmpp::ActiveTestResp::default()),
                )),
            ),
            Body::ActiveTestResp(_) => (Inbound::KeepAliveResp, None),
            Body::Terminate => (Inbound::Close, Some(Pdu::new(seq, Body::TerminateResp))),
            Body::TerminateResp => (Inbound::CloseResp, None),
            Body::ConnectResp(_) => {
                let outcome = self.login_response(&pdu).unwrap_or(LoginOutcome::Accepted);
                (Inbound::LoginResp(outcome), None)
            }
            other => {
                let command = Pdu::new(seq, other).command_name();
                (Inbound::Other { command }, None)
            }
        };
        Classified { inbound, answer }
    }

    fn probe(&self, seq: u32) -> Option<Pdu> {
        Some(Pdu::new(seq, Body::ActiveTest))
    }

    fn close(&self, seq: u32) -> Pdu {
        Pdu::new(seq, Body::Terminate)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;
    use cmpp::{MsgId, StatusReport, SubmitResp};
    use wire::segment::{SplitOptions, split};

    use super::*;

    fn proto(v: Version) -> CmppProtocol {
        CmppProtocol::new(v, "901234")
    }

    #[test]
    fn login_is_a_verifiable_connect() {
        for v in [Version::V20, Version::V30] {
            let pdu = proto(v).login(1, "901234", "Sec@2024").unwrap();
            let Body::Connect(c) = &pdu.body else {
                panic!()
            };
            assert!(c.verify(b"Sec@2024"));
            assert!(!c.verify(b"wrong"));
            assert_eq!(c.requested_version(), Some(v));
            assert!(c.timestamp().is_some());
        }
    }

    #[test]
    fn login_response_refusal_names_the_status() {
        let p = proto(Version::V30);
        let connect = match p.login(1, "901234", "s").unwrap().body {
            Body::Connect(c) => c,
            _ => unreachable!(),
        };
        let resp = Pdu::new(
            1,
            Body::ConnectResp(cmpp::ConnectResp::answer(Version::V30, 3, &connect, b"s")),
        );
        assert_eq!(
            p.login_response(&resp),
            Some(LoginOutcome::Refused {
                status: 3,
                meaning: "authentication error"
            })
        );
        let ok = Pdu::new(
            1,
            Body::ConnectResp(cmpp::ConnectResp::answer(Version::V30, 0, &connect, b"s")),
        );
        assert_eq!(p.login_response(&ok), Some(LoginOutcome::Accepted));
        assert_eq!(p.login_response(&Pdu::new(1, Body::ActiveTest)), None);
    }

    #[test]
    fn the_gateways_proof_is_checked_in_every_seen_status_width() {
        for v in [Version::V20, Version::V30] {
            let p = proto(v);
            let login = p.login(1, "901234", "s3cret").unwrap();
            let Body::Connect(connect) = &login.body else {
                panic!()
            };
            let answer = |resp| Pdu::new(1, Body::ConnectResp(resp));
            // The wire width (emitted by our simulator) …
            let wire = answer(cmpp::ConnectResp::answer(v, 0, connect, b"s3cret"));
            assert_eq!(p.gateway_proven(&login, &wire, "s3cret"), Some(true));
            // … and, for 2.0, the four-byte Status some gateways hash (the only other form
            // seen: README disagreement 1).
            if v == Version::V20 {
                let mut resp = cmpp::ConnectResp::answer(v, 0, connect, b"s3cret");
                resp.authenticator_ismg = cmpp::auth::authenticator_ismg(
                    Version::V30,
                    0,
                    &connect.authenticator_source,
                    b"s3cret",
                );
                assert_eq!(
                    p.gateway_proven(&login, &answer(resp), "s3cret"),
                    Some(true)
                );
            }
            // A gateway that does not know the secret, or sends zeros.
            let wrong = answer(cmpp::ConnectResp::answer(v, 0, connect, b"other"));
            assert_eq!(p.gateway_proven(&login, &wrong, "s3cret"), Some(false));
            let mut zeros = cmpp::ConnectResp::answer(v, 0, connect, b"s3cret");
            zeros.authenticator_ismg = [0; 16];
            assert_eq!(
                p.gateway_proven(&login, &answer(zeros), "s3cret"),
                Some(false)
            );
            assert_eq!(
                p.gateway_proven(&login, &Pdu::new(1, Body::ActiveTest), "s3cret"),
                None
            );
        }
    }

    #[test]
    fn submit_carries_segment_recipients_and_report_flag() {
        let p = proto(Version::V30);
        let s = split(&"好".repeat(80), &SplitOptions::default(), 9).unwrap();
        let mut msg = OutboundMessage::new(
            5,
            vec!["13800138000".into(), "13900139000".into()],
            "1069012345",
            s.coding,
            s.segments,
        );
        msg.want_report = true;
        let pdu = p.submit(77, &msg, &msg.parts[1], "HELP").unwrap();
        let bytes = pdu.to_bytes(Version::V30).unwrap();
        let back = cmpp::decode(Version::V30, &bytes).unwrap();
        assert_eq!(back.sequence_id, 77);
        let Body::Submit(sub) = back.body else {
            panic!()
        };
        assert_eq!((sub.pk_total, sub.pk_number, sub.tp_udhi), (2, 2, 1));
        assert_eq!(sub.registered_delivery, 1);
        assert_eq!(sub.dest_terminal_ids.len(), 2);
        assert_eq!(sub.src_id.value(), b"1069012345");
        assert_eq!(sub.msg_src.value(), b"901234");
        assert_eq!(sub.service_id.value(), b"HELP");
    }

    #[test]
    fn classifies_submit_responses() {
        let p = proto(Version::V30);
        let resp = |result| {
            p.classify(Pdu::new(
                4,
                Body::SubmitResp(SubmitResp {
                    msg_id: MsgId(99),
                    result,
                }),
            ))
            .inbound
        };
        assert_eq!(
            resp(0),
            Inbound::SubmitResp {
                seq: 4,
                outcome: SubmitAnswer::Accepted(CarrierMsgId::Cmpp(99))
            }
        );
        assert!(matches!(
            resp(8),
            Inbound::SubmitResp {
                outcome: SubmitAnswer::FlowControl { code: 8, .. },
                ..
            }
        ));
        assert!(matches!(
            resp(13),
            Inbound::SubmitResp {
                outcome: SubmitAnswer::Rejected { code: 13, .. },
                ..
            }
        ));
    }

    #[test]
    fn deliver_report_and_mo_are_answered() {
        for v in [Version::V20, Version::V30] {
            let p = proto(v);
            let report = StatusReport {
                msg_id: MsgId(1234),
                stat: Octets::new(b"DELIVRD").unwrap(),
                dest_terminal_id: Octets::new(b"13800138000").unwrap(),
                ..Default::default()
            };
            let deliver = cmpp::Deliver {
                msg_id: MsgId(55),
                registered_delivery: 1,
                content: DeliverContent::Report(report),
                ..Default::default()
            };
            let c = p.classify(Pdu::new(9, Body::Deliver(deliver)));
            let Inbound::Report { deliver_id, report } = c.inbound else {
                panic!()
            };
            assert_eq!(deliver_id, Some(CarrierMsgId::Cmpp(55)));
            assert_eq!(report.msg_id, CarrierMsgId::Cmpp(1234));
            assert!(report.delivered);
            assert_eq!(report.recipient, "13800138000");
            let answer = c.answer.unwrap();
            assert_eq!(answer.sequence_id, 9);
            let Body::DeliverResp(r) = answer.body else {
                panic!()
            };
            assert_eq!((r.msg_id, r.result), (MsgId(55), 0));

            let mo = cmpp::Deliver {
                msg_id: MsgId(56),
                src_terminal_id: Octets::new(b"13800138000").unwrap(),
                dest_id: Octets::new(b"106901238866").unwrap(),
                content: DeliverContent::Message(Bytes::from_static(b"TD")),
                ..Default::default()
            };
            let c = p.classify(Pdu::new(10, Body::Deliver(mo)));
            let Inbound::Mo { part, .. } = c.inbound else {
                panic!()
            };
            assert_eq!(part.sender, "13800138000");
            assert_eq!(part.destination, "106901238866");
            assert_eq!(part.content, b"TD");
            assert!(c.answer.is_some());
        }
    }

    #[test]
    fn keepalive_and_terminate_are_answered() {
        let p = proto(Version::V20);
        let c = p.classify(Pdu::new(3, Body::ActiveTest));
        assert_eq!(c.inbound, Inbound::KeepAlive);
        assert!(matches!(c.answer.unwrap().body, Body::ActiveTestResp(_)));
        let c = p.classify(Pdu::new(3, Body::Terminate));
        assert_eq!(c.inbound, Inbound::Close);
        assert!(matches!(c.answer.unwrap().body, Body::TerminateResp));
        assert!(matches!(p.probe(1).unwrap().body, Body::ActiveTest));
        assert!(matches!(p.close(1).body, Body::Terminate));
    }
}
