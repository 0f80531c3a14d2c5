//! The CMPP 2.0 / 3.0 ISMG: CONNECT with the AuthenticatorSource check, SUBMIT with one
//! `Msg_Id` per recipient, DELIVER for status reports and MO, ACTIVE_TEST, TERMINATE.

use bytes::BytesMut;
use cmpp::codec::Decoder;
use cmpp::{
    Body, CmppCodec, ConnectResp, Deliver, DeliverContent, MsgId, Pdu, StatusReport, Submit,
    SubmitResp, Version,
};
use wire::{CodecError, EncodeError, Octets};

use super::ids::{Now, Outcome, yymmddhhmm};
use super::session::{Accepted, Flow, Gate, Gateway, LoginError, ReportWant, Session};
use super::shared::{DeliverId, GatewayState, Number, Outbound, SimMsgId};

const PDU: &str = "CMPP_DELIVER";

/// Result 8: flow control.
pub(crate) const FLOW_CONTROL: u32 = 8;

/// A CMPP gateway of one version.
#[derive(Debug)]
pub(crate) struct CmppGateway {
    version: Version,
    codec: CmppCodec,
}

impl CmppGateway {
    pub(crate) fn new(version: Version) -> Self {
        Self {
            version,
            codec: CmppCodec::new(version),
        }
    }

    fn accepts(&self, version_byte: u8) -> bool {
        match self.version {
            Version::V20 => matches!(version_byte, 0x20 | 0x21),
            Version::V30 => version_byte == 0x30,
        }
    }

    fn submit(&mut self, seq: u32, sub: Submit, s: &mut Session) -> Flow {
        let v = self.version;
        match s.gate() {
            Gate::Close => return Flow::Close,
            Gate::Throttle => {
                s.respond(None, |out| {
                    let resp = SubmitResp {
                        msg_id: MsgId::ZERO,
                        result: FLOW_CONTROL,
                    };
                    Pdu::new(seq, Body::SubmitResp(resp)).encode(v, out)
                });
            }
            Gate::Accept => {
                let recipients: Vec<Number> = sub
                    .dest_terminal_ids
                    .iter()
                    .map(|d| Number::new(d.value()))
                    .collect();
                let n = u32::try_from(recipients.len().max(1)).unwrap_or(1);
                let base = msg_id(&s.shared, n, &s.now);
                let ids = (0..u64::from(n))
                    .map(|i| SimMsgId::Cmpp(base.nth_recipient(i)))
                    .collect();
                let accepted = Accepted {
                    ids,
                    recipients,
                    src: Number::new(sub.src_id.value()),
                    coding: sub.msg_fmt,
                    udhi: sub.udhi(),
                    want: if sub.registered_delivery == 1 {
                        ReportWant::Always
                    } else {
                        ReportWant::Never
                    },
                    content: sub.msg_content,
                };
                s.accept(accepted, |out| {
                    let resp = SubmitResp {
                        msg_id: base,
                        result: 0,
                    };
                    Pdu::new(seq, Body::SubmitResp(resp)).encode(v, out)
                });
            }
        }
        Flow::Continue
    }
}

/// A fresh block of `n` gateway ids; the first one.
fn msg_id(shared: &GatewayState, n: u32, now: &Now) -> MsgId {
    let (t, first) = shared.ids.alloc(n, now);
    let ts = cmpp::Timestamp::new(t.month, t.day, t.hour, t.minute, t.second);
    let seq = u16::try_from(first).unwrap_or(0);
    ts.and_then(|ts| MsgId::new(ts, shared.config.gateway_id, seq).ok())
        .unwrap_or(MsgId::ZERO)
}

fn stat(outcome: Outcome) -> Octets<7> {
    Octets(*match outcome {
        Outcome::Delivered => b"DELIVRD",
        Outcome::Undeliverable => b"UNDELIV",
        Outcome::Expired => b"EXPIRED",
    })
}

impl Gateway for CmppGateway {
    type Pdu = Pdu;
    const NAME: &'static str = "cmpp";

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Pdu>, CodecError> {
        self.codec.decode(buf)
    }

    fn login(&mut self, pdu: Pdu, s: &mut Session) -> Result<(), LoginError> {
        let Body::Connect(c) = &pdu.body else {
            return Err(LoginError::NotLogin);
        };
        let seq = pdu.sequence_id;
        let shared = std::sync::Arc::clone(&s.shared);
        let account = shared.find_account(c.source_addr.value());
        let refusal = if let Some(status) = shared.faults.take_refusal() {
            Some((status, "refused by fault injection"))
        } else if account.is_none() {
            Some((2, "unknown SP_Id"))
        } else if !self.accepts(c.version) {
            Some((4, "version not supported"))
        } else if !account.is_some_and(|a| c.verify(shared.secret(a))) {
            Some((3, "authentication failed"))
        } else if !account.is_some_and(|a| s.register(a, true)) {
            Some((5, "too many connections"))
        } else {
            None
        };
        // A refusal is answered in the layout the client asked for, so it can read it.
        let layout = match refusal {
            Some(_) => c.requested_version().unwrap_or(self.version),
            None => self.version,
        };
        let (status, secret) = match (refusal, account) {
            (None, Some(a)) => (0, shared.secret(a)),
            (Some((status, _)), _) => (status, &[][..]),
            (None, None) => (2, &[][..]),
        };
        let mut resp = ConnectResp::answer(layout, status, c, secret);
        resp.version = self.version.byte();
        if let Err(e) = Pdu::new(seq, Body::ConnectResp(resp)).encode(layout, s.out()) {
            tracing::warn!(error = %e, "cannot encode CONNECT_RESP");
        }
        match refusal {
            Some((status, reason)) => Err(LoginError::Refused { status, reason }),
            None => Ok(()),
        }
    }

    fn handle(&mut self, pdu: Pdu, s: &mut Session) -> Flow {
        let seq = pdu.sequence_id;
        let v = self.version;
        match pdu.body {
            Body::Submit(sub) => return self.submit(seq, sub, s),
            Body::DeliverResp(r) => s.deliver_answered(seq, r.result),
            Body::ActiveTest => {
                let resp = Body::ActiveTestResp(cmpp::ActiveTestResp::default());
                let _ = Pdu::new(seq, resp).encode(v, s.out());
                s.active_test_answered();
            }
            Body::Terminate => {
                let _ = Pdu::new(seq, Body::TerminateResp).encode(v, s.out());
                s.terminated();
                return Flow::Close;
            }
            Body::TerminateResp => return Flow::Close,
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
        let deliver_id = match ob.deliver_id(|| DeliverId::Cmpp(msg_id(shared, 1, now))) {
            DeliverId::Cmpp(id) => id,
            _ => return Err(EncodeError::new(PDU, "Msg_Id", "not a CMPP Deliver id")),
        };
        let deliver = match &*ob {
            Outbound::Report(r) => {
                let SimMsgId::Cmpp(id) = r.id else {
                    return Err(EncodeError::new(PDU, "Msg_Id", "not a CMPP id"));
                };
                let report = StatusReport {
                    msg_id: id,
                    stat: stat(r.outcome),
                    submit_time: Octets(yymmddhhmm(&r.submit_time)),
                    done_time: Octets(yymmddhhmm(&now.china)),
                    dest_terminal_id: Octets::for_field(
                        PDU,
                        "Dest_terminal_Id",
                        r.recipient.as_bytes(),
                    )?,
                    smsc_sequence: seq,
                };
                Deliver {
                    msg_id: deliver_id,
                    dest_id: Octets::for_field(PDU, "Dest_Id", r.src.as_bytes())?,
                    src_terminal_id: Octets::for_field(
                        PDU,
                        "Src_terminal_Id",
                        r.recipient.as_bytes(),
                    )?,
                    registered_delivery: 1,
                    content: DeliverContent::Report(report),
                    ..Deliver::default()
                }
            }
            Outbound::Mo(m) => Deliver {
                msg_id: deliver_id,
                dest_id: Octets::for_field(PDU, "Dest_Id", m.to.as_bytes())?,
                src_terminal_id: Octets::for_field(PDU, "Src_terminal_Id", m.from.as_bytes())?,
                tp_udhi: u8::from(m.udhi),
                msg_fmt: m.coding,
                registered_delivery: 0,
                content: DeliverContent::Message(m.content.clone()),
                ..Deliver::default()
            },
        };
        Pdu::new(seq, Body::Deliver(deliver)).encode(self.version, out)
    }

    fn encode_probe(&mut self, seq: u32, out: &mut BytesMut) {
        let _ = Pdu::new(seq, Body::ActiveTest).encode(self.version, out);
    }
}
