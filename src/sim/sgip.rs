//! The SGIP 1.2 SMG, SP → SMG direction: Bind (login type 1, plain name and password),
//! Submit answered with the Submit's own sequence number as its id, Unbind. Reports and
//! MO go over the reverse connection ([`super::reverse`]).

use bytes::BytesMut;
use sgip::codec::Decoder;
use sgip::{Body, LoginType, Pdu, SgipCodec, Submit};
use wire::{CodecError, EncodeError};

use super::ids::Now;
use super::session::{Accepted, Flow, Gate, Gateway, LoginError, ReportWant, Session};
use super::shared::{GatewayState, Number, Outbound, SimMsgId};

/// Result 11 "node busy": SGIP's flow-control answer.
pub(crate) const FLOW_CONTROL: u8 = sgip::status::NODE_BUSY;

/// ReportFlag → when to report (sgip.md §7.1): 0 on failure only (the default), 1
/// always, 2 never, 3 (monthly fee, not delivered) always.
pub(crate) fn report_want(flag: u8) -> ReportWant {
    match flag {
        1 | 3 => ReportWant::Always,
        2 => ReportWant::Never,
        _ => ReportWant::OnFailure,
    }
}

/// The SGIP gateway's listener side.
#[derive(Debug, Default)]
pub(crate) struct SgipGateway {
    codec: SgipCodec,
}

fn answer(pdu: &Pdu, result: u8, out: &mut BytesMut) -> Result<(), EncodeError> {
    match pdu.response(result) {
        Some(resp) => resp.encode(out),
        None => Ok(()),
    }
}

impl SgipGateway {
    fn submit(&mut self, pdu: &Pdu, sub: &Submit, s: &mut Session) -> Flow {
        match s.gate() {
            Gate::Close => return Flow::Close,
            Gate::Throttle => {
                s.respond(None, |out| answer(pdu, FLOW_CONTROL, out));
            }
            Gate::Accept => {
                let accepted = Accepted {
                    ids: vec![SimMsgId::Sgip(pdu.sequence)],
                    recipients: sub
                        .user_numbers
                        .iter()
                        .map(|u| Number::new(u.value()))
                        .collect(),
                    src: Number::new(sub.sp_number.value()),
                    coding: sub.message_coding,
                    udhi: sub.has_udh(),
                    want: report_want(sub.report_flag),
                    content: sub.message_content.clone(),
                };
                s.accept(accepted, |out| answer(pdu, 0, out));
            }
        }
        Flow::Continue
    }
}

impl Gateway for SgipGateway {
    type Pdu = Pdu;
    const NAME: &'static str = "sgip";

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Pdu>, CodecError> {
        self.codec.decode(buf)
    }

    fn login(&mut self, pdu: Pdu, s: &mut Session) -> Result<(), LoginError> {
        let Body::Bind(b) = &pdu.body else {
            return Err(LoginError::NotLogin);
        };
        let shared = std::sync::Arc::clone(&s.shared);
        let account = shared.find_account(b.login_name.value());
        let refusal = if let Some(status) = shared.faults.take_refusal() {
            Some((status, "refused by fault injection"))
        } else if let Some(a) = account {
            match b.check(
                LoginType::SpToSmg,
                shared.account_id(a).as_bytes(),
                shared.secret(a),
            ) {
                0 if !s.register(a, false) => Some((3, "too many connections")),
                0 => None,
                4 => Some((4, "wrong login type")),
                code => Some((u32::from(code), "illegal login")),
            }
        } else {
            Some((1, "unknown login name"))
        };
        let result = refusal.map_or(0, |(status, _)| u8::try_from(status).unwrap_or(u8::MAX));
        if let Err(e) = answer(&pdu, result, s.out()) {
            tracing::warn!(error = %e, "cannot encode Bind_Resp");
        }
        match refusal {
            Some((status, reason)) => Err(LoginError::Refused { status, reason }),
            None => Ok(()),
        }
    }

    fn handle(&mut self, pdu: Pdu, s: &mut Session) -> Flow {
        match &pdu.body {
            Body::Submit(sub) => return self.submit(&pdu, sub, s),
            Body::Unbind => {
                let _ = answer(&pdu, 0, s.out());
                s.terminated();
                return Flow::Close;
            }
            Body::UnbindResp => return Flow::Close,
            Body::Bind(_) => {
                // Result 2: repeated login on the same connection.
                let _ = answer(&pdu, 2, s.out());
            }
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
        _ob: &mut Outbound,
        _seq: u32,
        _shared: &GatewayState,
        _now: &Now,
        _out: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        // Never called: SP → SMG connections do not carry Delivers (registered with
        // can_deliver = false); they go over the reverse connection.
        Err(EncodeError::new(
            "SGIP_DELIVER",
            "connection",
            "SGIP Delivers travel on the SMG → SP connection",
        ))
    }

    fn encode_probe(&mut self, _seq: u32, _out: &mut BytesMut) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_flag_meanings() {
        assert_eq!(report_want(0), ReportWant::OnFailure);
        assert_eq!(report_want(1), ReportWant::Always);
        assert_eq!(report_want(2), ReportWant::Never);
        assert_eq!(report_want(3), ReportWant::Always);
        assert_eq!(report_want(9), ReportWant::OnFailure);
    }
}
