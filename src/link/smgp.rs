//! SMGP for the link driver: Login (transmit mode, MD5 digest over China time), Submit
//! with the segment TLVs, Active_Test keep-alive, Exit to close; Delivers (MO and status
//! reports) answered with Deliver_Resp status 0.

use bytes::BytesMut;
use smgp::{
    Body, Deliver, DeliverResp, Login, LoginMode, Pdu, SmgpCodec, Submit, Timestamp, Version,
};
use wire::field::Octets;
use wire::reassembly::MoPart;
use wire::{EncodeError, FrameError};

use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart};
use super::protocol::{
    BadFrame, Classified, Frame, Inbound, LoginOutcome, ProtocolAdapter, SubmitAnswer, is_response,
};
use super::report_time::ReportTime;
use super::sequence::ZeroId;
use crate::clock::ChinaTime;

/// An SMGP session.
#[derive(Debug, Clone)]
pub struct SmgpProtocol {
    version: Version,
}

impl SmgpProtocol {
    /// SMGP `version` (3.0 normally).
    pub fn new(version: Version) -> Self {
        Self { version }
    }
}

fn text(octets: &[u8]) -> String {
    String::from_utf8_lossy(octets).into_owned()
}

fn report_inbound(deliver: &Deliver) -> Inbound {
    let deliver_id = Some(CarrierMsgId::Smgp(deliver.msg_id.0));
    match deliver.report() {
        Some(Ok(report)) => Inbound::Report {
            deliver_id,
            report: DeliveryReport {
                msg_id: CarrierMsgId::Smgp(report.msg_id.0),
                recipient: text(deliver.src_term_id.value()),
                delivered: report.is_delivered(),
                stat: text(report.stat.value()),
                err: Some(text(report.err.value())),
                meaning: if report.is_delivered() {
                    report.stat_meaning()
                } else {
                    report.err_meaning()
                },
                submitted: ReportTime::from_yymmddhhmm(report.submit_date.raw()),
            },
        },
        Some(Err(e)) => Inbound::Unparsed {
            pdu: "SMGP_DELIVER",
            reason: e,
        },
        None => Inbound::Mo {
            deliver_id,
            part: MoPart {
                sender: text(deliver.src_term_id.value()),
                destination: text(deliver.dest_term_id.value()),
                coding: deliver.msg_format,
                tp_udhi: u8::from(deliver.udhi()),
                content: deliver.msg_content.to_vec(),
            },
        },
    }
}

impl ProtocolAdapter for SmgpProtocol {
    type Pdu = Pdu;
    type Codec = SmgpCodec;

    fn name(&self) -> &'static str {
        "smgp"
    }

    fn codec(&self) -> SmgpCodec {
        SmgpCodec::new(self.version, smgp::DEFAULT_MAX_FRAME)
    }

    fn next_frame(
        &self,
        codec: &mut SmgpCodec,
        src: &mut BytesMut,
    ) -> Result<Option<Frame<Pdu>>, FrameError> {
        Ok(codec.decode_frame(src)?.map(|decoded| match decoded {
            Ok(pdu) => Frame::Pdu(pdu),
            Err(bad) => Frame::Undecodable(BadFrame {
                response: is_response(bad.header.request_id),
                answer: smgp::undecodable::answer(&bad),
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
        let t = ChinaTime::now();
        let ts = Timestamp::new(t.month, t.day, t.hour, t.minute, t.second)
            .map_err(|e| EncodeError::new("SMGP_LOGIN", "TimeStamp", format!("{e:?}")))?;
        let login = Login::new(
            account,
            secret.as_bytes(),
            LoginMode::Transmit,
            ts,
            self.version,
        )?;
        Ok(Pdu::new(seq, Body::Login(login)))
    }

    fn login_response(&self, pdu: &Pdu) -> Option<LoginOutcome> {
        match &pdu.body {
            Body::LoginResp(resp) if resp.status == 0 => Some(LoginOutcome::Accepted),
            Body::LoginResp(resp) => Some(LoginOutcome::Refused {
                status: resp.status,
                meaning: smgp::status::status_meaning(resp.status),
            }),
            _ => None,
        }
    }

    fn gateway_proven(&self, login: &Pdu, answer: &Pdu, secret: &str) -> Option<bool> {
        match (&login.body, &answer.body) {
            (Body::Login(login), Body::LoginResp(resp)) => Some(
                resp.verify(&login.authenticator_client, secret.as_bytes())
                    .is_some(),
            ),
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
        let dest_term_ids = msg
            .recipients
            .iter()
            .map(|r| smgp::submit::term_id("SMGP_SUBMIT", "DestTermID", r))
            .collect::<Result<Vec<_>, _>>()?;
        if dest_term_ids.len() > 100 {
            return Err(EncodeError::new(
                "SMGP_SUBMIT",
                "DestTermIDCount",
                "more than 100 recipients",
            ));
        }
        let mut submit = Submit {
            need_report: u8::from(msg.want_report),
            service_id: Octets::for_field("SMGP_SUBMIT", "ServiceID", service_id.as_bytes())?,
            src_term_id: smgp::submit::term_id("SMGP_SUBMIT", "SrcTermID", &msg.src_number)?,
            dest_term_ids,
            ..Submit::default()
        };
        submit.set_segment(msg.coding, &part.segment);
        Ok(Pdu::new(seq, Body::Submit(submit)))
    }

    fn classify(&self, pdu: Pdu) -> Classified<Pdu> {
        let seq = pdu.sequence_id;
        let (inbound, answer) = match pdu.body {
            Body::SubmitResp(resp) => {
                let meaning = smgp::status::status_meaning(resp.status);
                let outcome = if resp.status == 0 {
                    SubmitAnswer::Accepted(CarrierMsgId::Smgp(resp.msg_id.0))
                } else if smgp::status::is_flow_control(resp.status) {
                    SubmitAnswer::FlowControl {
                        code: resp.status,
                        meaning,
                    }
                } else {
                    SubmitAnswer::Rejected {
                        code: resp.status,
                        meaning,
                    }
                };
                (Inbound::SubmitResp { seq, outcome }, None)
            }
            Body::Deliver(deliver) => {
                let answer = Pdu::new(seq, Body::DeliverResp(DeliverResp::ok(&deliver)));
                (report_inbound(&deliver), Some(answer))
            }
            Body::ActiveTest => (
                Inbound::KeepAlive,
                Some(Pdu::new(seq, Body::ActiveTestResp)),
            ),
            Body::ActiveTestResp => (Inbound::KeepAliveResp, None),
            Body::Exit => (Inbound::Close, Some(Pdu::new(seq, Body::ExitResp))),
            Body::ExitResp => (Inbound::CloseResp, None),
            Body::LoginResp(_) => {
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
        Pdu::new(seq, Body::Exit)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;
    use smgp::{LoginResp, MsgId, StatusReport, SubmitResp};
    use wire::segment::{SplitOptions, split};

    use super::*;

    #[test]
    fn login_verifies_and_refusal_is_named() {
        let p = SmgpProtocol::new(Version::V30);
        let pdu = p.login(1, "10001", "secret").unwrap();
        let Body::Login(login) = &pdu.body else {
            panic!()
        };
        assert!(login.verify(b"secret").is_some());
        assert_eq!(login.login_mode, LoginMode::Transmit);
        let refused = Pdu::new(
            1,
            Body::LoginResp(LoginResp::new(21, login, b"secret", Version::V30)),
        );
        assert_eq!(
            p.login_response(&refused),
            Some(LoginOutcome::Refused {
                status: 21,
                meaning: "authentication error"
            })
        );
    }

    #[test]
    fn the_gateways_proof_is_checked_in_every_seen_status_form() {
        let p = SmgpProtocol::new(Version::V30);
        let pdu = p.login(1, "10001", "secret").unwrap();
        let Body::Login(login) = &pdu.body else {
            panic!()
        };
        for form in smgp::auth::StatusHashForm::ALL {
            let mut resp = LoginResp::new(0, login, b"secret", Version::V30);
            resp.authenticator_server = smgp::auth::authenticator_server_as(
                form,
                0,
                &login.authenticator_client,
                b"secret",
            );
            let answer = Pdu::new(1, Body::LoginResp(resp));
            assert_eq!(
                p.gateway_proven(&pdu, &answer, "secret"),
                Some(true),
                "{form:?}"
            );
        }
        let wrong = Pdu::new(
            1,
            Body::LoginResp(LoginResp::new(0, login, b"x", Version::V30)),
        );
        assert_eq!(p.gateway_proven(&pdu, &wrong, "secret"), Some(false));
    }

    #[test]
    fn submit_round_trips_with_segment_and_recipients() {
        let p = SmgpProtocol::new(Version::V30);
        let s = split(&"好".repeat(80), &SplitOptions::default(), 3).unwrap();
        let msg = OutboundMessage::new(
            1,
            vec!["13300000001".into(), "13300000002".into()],
            "10690001",
            s.coding,
            s.segments,
        );
        let pdu = p.submit(5, &msg, &msg.parts[0], "SVC").unwrap();
        let bytes = pdu.to_bytes(Version::V30).unwrap();
        let back = smgp::decode(Version::V30, &bytes).unwrap();
        let Body::Submit(sub) = back.body else {
            panic!()
        };
        assert_eq!(sub.dest_term_ids.len(), 2);
        assert_eq!(sub.need_report, 1);
        assert!(sub.udhi());
        assert_eq!(sub.src_term_id.value(), b"10690001");
    }

    #[test]
    fn classifies_responses_reports_and_mo() {
        let p = SmgpProtocol::new(Version::V30);
        let id = MsgId([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
        let c = p.classify(Pdu::new(
            3,
            Body::SubmitResp(SubmitResp {
                msg_id: id,
                status: 0,
            }),
        ));
        assert_eq!(
            c.inbound,
            Inbound::SubmitResp {
                seq: 3,
                outcome: SubmitAnswer::Accepted(CarrierMsgId::Smgp(id.0))
            }
        );
        let c = p.classify(Pdu::new(
            3,
            Body::SubmitResp(SubmitResp {
                msg_id: id,
                status: 103,
            }),
        ));
        assert!(matches!(
            c.inbound,
            Inbound::SubmitResp {
                outcome: SubmitAnswer::FlowControl { code: 103, .. },
                ..
            }
        ));
        let report = StatusReport {
            msg_id: id,
            sub: Octets::new(b"001").unwrap(),
            dlvrd: Octets::new(b"001").unwrap(),
            submit_date: Octets::EMPTY,
            done_date: Octets::EMPTY,
            stat: Octets::new(b"DELIVRD").unwrap(),
            err: Octets::new(b"000").unwrap(),
            text: [0; 20],
        };
        let mut d = Deliver::for_report(MsgId([9; 10]), &report);
        d.src_term_id = Octets::new(b"13300000001").unwrap();
        let c = p.classify(Pdu::new(8, Body::Deliver(d)));
        let Inbound::Report { report, deliver_id } = c.inbound else {
            panic!("{:?}", c.inbound)
        };
        assert_eq!(deliver_id, Some(CarrierMsgId::Smgp([9; 10])));
        assert_eq!(report.msg_id, CarrierMsgId::Smgp(id.0));
        assert!(report.delivered);
        assert_eq!(report.recipient, "13300000001");
        assert!(matches!(c.answer.unwrap().body, Body::DeliverResp(_)));

        let mo = Deliver {
            msg_content: Bytes::from_static(b"hi"),
            src_term_id: Octets::new(b"13300000001").unwrap(),
            dest_term_id: Octets::new(b"1069000188").unwrap(),
            ..Deliver::default()
        };
        let c = p.classify(Pdu::new(9, Body::Deliver(mo)));
        let Inbound::Mo { part, .. } = c.inbound else {
            panic!()
        };
        assert_eq!(part.destination, "1069000188");
        assert_eq!(part.content, b"hi");
    }

    #[test]
    fn keepalive_and_exit() {
        let p = SmgpProtocol::new(Version::V30);
        let c = p.classify(Pdu::new(2, Body::ActiveTest));
        assert_eq!(c.inbound, Inbound::KeepAlive);
        assert_eq!(c.answer.unwrap().body, Body::ActiveTestResp);
        let c = p.classify(Pdu::new(2, Body::Exit));
        assert_eq!(c.inbound, Inbound::Close);
        assert_eq!(c.answer.unwrap().body, Body::ExitResp);
    }
}
