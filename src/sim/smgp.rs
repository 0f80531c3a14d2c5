//! The SMGP 3.0 SMGW: Login with the AuthenticatorClient check and LoginMode, Submit with
//! a BCD `MsgID`, Deliver for status reports and MO, Active_Test, Exit.
//!
//! One `MsgID` per Submit: a Submit to several recipients gets one id, and each
//! recipient's status report carries that id with the recipient in `SrcTermID`.

use bytes::BytesMut;
use smgp::codec::Decoder;
use smgp::{
    Body, Deliver, LoginMode, LoginResp, MsgId, MsgIdParts, MsgIdTime, Pdu, SmgpCodec,
    StatusReport, Submit, SubmitResp, Tlv, Tlvs, Version,
};
use wire::{CodecError, EncodeError, Octets};

use super::ids::{Now, Outcome, yymmddhhmm};
use super::session::{Accepted, Flow, Gate, Gateway, LoginError, ReportWant, Session};
use super::shared::{DeliverId, GatewayState, Number, Outbound, SimMsgId};

const PDU: &str = "SMGP_DELIVER";

/// Status 1 "system busy": the flow-control answer every SMGP client retries.
pub(crate) const FLOW_CONTROL: u32 = 1;

/// The SMGP gateway.
#[derive(Debug)]
pub(crate) struct SmgpGateway {
    codec: SmgpCodec,
}

impl SmgpGateway {
    pub(crate) fn new() -> Self {
        Self {
            codec: SmgpCodec::new(Version::V30, smgp::DEFAULT_MAX_FRAME),
        }
    }

    fn version(&self) -> Version {
        self.codec.version()
    }

    fn submit(&mut self, seq: u32, sub: Submit, s: &mut Session) -> Flow {
        let v = self.version();
        match s.gate() {
            Gate::Close => return Flow::Close,
            Gate::Throttle => {
                s.respond(None, |out| {
                    let resp = SubmitResp {
                        msg_id: MsgId::ZERO,
                        status: FLOW_CONTROL,
                    };
                    Pdu::new(seq, Body::SubmitResp(resp)).encode(v, out)
                });
            }
            Gate::Accept => {
                let id = msg_id(&s.shared, &s.now);
                let accepted = Accepted {
                    ids: vec![SimMsgId::Smgp(id)],
                    recipients: sub
                        .dest_term_ids
                        .iter()
                        .map(|d| Number::new(d.value()))
                        .collect(),
                    src: Number::new(sub.src_term_id.value()),
                    coding: sub.msg_format,
                    udhi: sub.udhi(),
                    want: if sub.need_report == 1 {
                        ReportWant::Always
                    } else {
                        ReportWant::Never
                    },
                    content: sub.msg_content,
                };
                s.accept(accepted, |out| {
                    let resp = SubmitResp {
                        msg_id: id,
                        status: 0,
                    };
                    Pdu::new(seq, Body::SubmitResp(resp)).encode(v, out)
                });
            }
        }
        Flow::Continue
    }
}

fn msg_id(shared: &GatewayState, now: &Now) -> MsgId {
    let (t, sequence) = shared.ids.alloc(1, now);
    MsgId::new(MsgIdParts {
        smgw: shared.config.gateway_id,
        time: MsgIdTime {
            month: t.month,
            day: t.day,
            hour: t.hour,
            minute: t.minute,
        },
        sequence,
    })
    .unwrap_or(MsgId::ZERO)
}

fn recv_time(now: &Now) -> Result<Octets<14>, EncodeError> {
    Octets::for_field(PDU, "RecvTime", now.china.yyyymmddhhmmss().as_bytes())
}

impl Gateway for SmgpGateway {
    type Pdu = Pdu;
    const NAME: &'static str = "smgp";

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Pdu>, CodecError> {
        self.codec.decode(buf)
    }

    fn login(&mut self, pdu: Pdu, s: &mut Session) -> Result<(), LoginError> {
        let Body::Login(l) = &pdu.body else {
            return Err(LoginError::NotLogin);
        };
        let seq = pdu.sequence_id;
        let shared = std::sync::Arc::clone(&s.shared);
        let account = shared.find_account(l.client_id.value());
        // Send-mode connections carry only Submits; Delivers go to the others.
        let can_deliver = !matches!(l.login_mode, LoginMode::Send);
        let refusal = if let Some(status) = shared.faults.take_refusal() {
            Some((status, "refused by fault injection"))
        } else if account.is_none() {
            Some((21, "unknown ClientID"))
        } else if l.version().is_none() {
            Some((22, "version not supported"))
        } else if account.is_none_or(|a| l.verify(shared.secret(a)).is_none()) {
            Some((21, "authentication failed"))
        } else if !account.is_some_and(|a| s.register(a, can_deliver)) {
            Some((2, "too many connections"))
        } else {
            None
        };
        if refusal.is_none()
            && let Some(v) = l.version()
        {
            self.codec.set_version(v);
        }
        let (status, secret) = match (refusal, account) {
            (None, Some(a)) => (0, shared.secret(a)),
            (Some((status, _)), _) => (status, &[][..]),
            (None, None) => (21, &[][..]),
        };
        let resp = LoginResp::new(status, l, secret, Version::V30);
        if let Err(e) = Pdu::new(seq, Body::LoginResp(resp)).encode(self.version(), s.out()) {
            tracing::warn!(error = %e, "cannot encode Login_Resp");
        }
        match refusal {
            Some((status, reason)) => Err(LoginError::Refused { status, reason }),
            None => Ok(()),
        }
    }

    fn handle(&mut self, pdu: Pdu, s: &mut Session) -> Flow {
        let seq = pdu.sequence_id;
        let v = self.version();
        match pdu.body {
            Body::Submit(sub) => return self.submit(seq, sub, s),
            Body::DeliverResp(r) => s.deliver_answered(seq, r.status),
            Body::ActiveTest => {
                let _ = Pdu::new(seq, Body::ActiveTestResp).encode(v, s.out());
                s.active_test_answered();
            }
            Body::Exit => {
                let _ = Pdu::new(seq, Body::ExitResp).encode(v, s.out());
                s.terminated();
                return Flow::Close;
            }
            Body::ExitResp => return Flow::Close,
            other => {
                tracing::debug!(
                    conn = s.conn_id,
                    command = other.command_id(),
                    "ignored PDU"
                );
            }
        }
        Flow::Continue
    }

    fn encode_deliver(
        &mut self,
        ob: &mut Outbound,
        seq: u32,
        shared: &GatewayState,
        now: &Now,
        out: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let deliver_id = match ob.deliver_id(|| DeliverId::Smgp(msg_id(shared, now))) {
            DeliverId::Smgp(id) => id,
            _ => return Err(EncodeError::new(PDU, "MsgID", "not an SMGP Deliver id")),
        };
        let deliver = match &*ob {
            Outbound::Report(r) => {
                let SimMsgId::Smgp(id) = r.id else {
                    return Err(EncodeError::new(PDU, "MsgID", "not an SMGP id"));
                };
                let (stat, err, dlvrd): (&[u8; 7], &[u8; 3], &[u8; 3]) = match r.outcome {
                    Outcome::Delivered => (b"DELIVRD", b"000", b"001"),
                    Outcome::Undeliverable => (b"UNDELIV", b"001", b"000"),
                    Outcome::Expired => (b"EXPIRED", b"999", b"000"),
                };
                let report = StatusReport {
                    msg_id: id,
                    dlvrd: Octets(*dlvrd),
                    submit_date: Octets(yymmddhhmm(&r.submit_time)),
                    done_date: Octets(yymmddhhmm(&now.china)),
                    stat: Octets(*stat),
                    err: Octets(*err),
                    ..StatusReport::default()
                };
                Deliver {
                    recv_time: recv_time(now)?,
                    src_term_id: Octets::for_field(PDU, "SrcTermID", r.recipient.as_bytes())?,
                    dest_term_id: Octets::for_field(PDU, "DestTermID", r.src.as_bytes())?,
                    ..Deliver::for_report(deliver_id, &report)
                }
            }
            Outbound::Mo(m) => Deliver {
                msg_id: deliver_id,
                is_report: 0,
                msg_format: m.coding,
                recv_time: recv_time(now)?,
                src_term_id: Octets::for_field(PDU, "SrcTermID", m.from.as_bytes())?,
                dest_term_id: Octets::for_field(PDU, "DestTermID", m.to.as_bytes())?,
                msg_content: m.content.clone(),
                tlvs: if m.udhi {
                    Tlvs(vec![Tlv::udhi()])
                } else {
                    Tlvs::new()
                },
                ..Deliver::default()
            },
        };
        Pdu::new(seq, Body::Deliver(deliver)).encode(self.version(), out)
    }

    fn encode_probe(&mut self, seq: u32, out: &mut BytesMut) {
        let _ = Pdu::new(seq, Body::ActiveTest).encode(self.version(), out);
    }
}
