//! JSON rendering of a PDU for `hongyan decode` and debug logs.
//!
//! One object per PDU: the header first (`protocol`, `command`, `command_id`,
//! `total_length`, `sequence_number`), then every body field in spec order under
//! snake_case spec names. Octet strings appear as their logical text, codes as the
//! number plus a `<field>_meaning`, message content through
//! [`wire::describe::content`], sequence numbers both as parts and as text, unknown
//! bodies as hex.
//!
//! The one exception to "every field as it is": the Bind **Login Password** travels in
//! plain text, and this JSON ends up in logs, so it is shown as
//! `{"redacted": true, "length": n}`; the hex of the frame still has it.
//!
//! Field order only survives if serde_json's `preserve_order` feature is enabled in
//! the final binary; without it objects come out sorted by key.

use serde_json::{Map, Value, json};
use wire::Octets;
use wire::describe::{content, udhi_set};

use crate::bind::Bind;
use crate::deliver::Deliver;
use crate::pdu::{Body, Pdu};
use crate::report::Report;
use crate::resp::Resp;
use crate::sequence::SequenceNumber;
use crate::status;
use crate::submit::{CHARGE_SP, Submit};
use crate::trace::{NodeIdWidth, Trace, TraceResp};
use crate::userrpt::Userrpt;

fn text<const N: usize>(o: &Octets<N>) -> Value {
    Value::String(o.to_str_lossy().into_owned())
}

/// A sequence number as `{"node_id", "timestamp", "counter", "text"}`.
pub fn sequence_json(seq: &SequenceNumber) -> Value {
    json!({
        "node_id": seq.node_id,
        "timestamp": seq.timestamp,
        "counter": seq.counter,
        "text": seq.to_string(),
    })
}

fn link_id(reserve: &Octets<8>) -> Value {
    crate::reserve::link_id(reserve).map_or(Value::Null, |v| {
        Value::String(String::from_utf8_lossy(v).into_owned())
    })
}

impl Pdu {
    /// The PDU as one JSON object (see the module docs for the layout).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("protocol".into(), json!("sgip"));
        m.insert("command".into(), json!(self.command_name()));
        m.insert(
            "command_id".into(),
            json!(format!("0x{:08x}", self.command_id())),
        );
        m.insert("total_length".into(), json!(self.encoded_len()));
        m.insert("sequence_number".into(), sequence_json(&self.sequence));
        match &self.body {
            Body::Bind(b) => bind(&mut m, b),
            Body::BindResp(r)
            | Body::SubmitResp(r)
            | Body::DeliverResp(r)
            | Body::ReportResp(r)
            | Body::UserrptResp(r) => resp(&mut m, r),
            Body::Unbind | Body::UnbindResp => {}
            Body::Submit(s) => submit(&mut m, s),
            Body::Deliver(d) => deliver(&mut m, d),
            Body::Report(r) => report(&mut m, r),
            Body::Userrpt(u) => userrpt(&mut m, u),
            Body::Trace(t) => trace(&mut m, t),
            Body::TraceResp(t) => trace_resp(&mut m, t),
            Body::Unknown { body, .. } => {
                m.insert("body".into(), json!(wire::hex::encode(body)));
            }
        }
        Value::Object(m)
    }
}

fn bind(m: &mut Map<String, Value>, b: &Bind) {
    m.insert("login_type".into(), json!(b.login_type.as_u8()));
    m.insert("login_type_meaning".into(), json!(b.login_type.meaning()));
    m.insert("login_name".into(), text(&b.login_name));
    m.insert(
        "login_password".into(),
        json!({"redacted": true, "length": b.login_password.value().len()}),
    );
    m.insert("reserve".into(), text(&b.reserve));
}

fn resp(m: &mut Map<String, Value>, r: &Resp) {
    m.insert("result".into(), json!(r.result));
    m.insert("result_meaning".into(), json!(r.result_meaning()));
    m.insert("reserve".into(), text(&r.reserve));
}

fn charge_number_meaning(charge: &Octets<21>) -> &'static str {
    if charge.is_empty() {
        "each recipient pays"
    } else if *charge == CHARGE_SP {
        "the SP pays"
    } else {
        "charged number"
    }
}

fn submit(m: &mut Map<String, Value>, s: &Submit) {
    m.insert("sp_number".into(), text(&s.sp_number));
    m.insert("charge_number".into(), text(&s.charge_number));
    m.insert(
        "charge_number_meaning".into(),
        json!(charge_number_meaning(&s.charge_number)),
    );
    m.insert("user_count".into(), json!(s.user_count()));
    m.insert(
        "user_number".into(),
        Value::Array(s.user_numbers.iter().map(text).collect()),
    );
    m.insert("corp_id".into(), text(&s.corp_id));
    m.insert("service_type".into(), text(&s.service_type));
    m.insert("fee_type".into(), json!(s.fee_type));
    m.insert(
        "fee_type_meaning".into(),
        json!(status::fee_type_meaning(s.fee_type)),
    );
    m.insert("fee_value".into(), text(&s.fee_value));
    m.insert("given_value".into(), text(&s.given_value));
    m.insert("agent_flag".into(), json!(s.agent_flag));
    m.insert(
        "agent_flag_meaning".into(),
        json!(status::agent_flag_meaning(s.agent_flag)),
    );
    m.insert("morelateto_mt_flag".into(), json!(s.morelateto_mt_flag));
    m.insert(
        "morelateto_mt_flag_meaning".into(),
        json!(status::morelateto_mt_flag_meaning(s.morelateto_mt_flag)),
    );
    m.insert("priority".into(), json!(s.priority));
    m.insert("expire_time".into(), text(&s.expire_time));
    m.insert("schedule_time".into(), text(&s.schedule_time));
    m.insert("report_flag".into(), json!(s.report_flag));
    m.insert(
        "report_flag_meaning".into(),
        json!(status::report_flag_meaning(s.report_flag)),
    );
    m.insert("tp_pid".into(), json!(s.tp_pid));
    m.insert("tp_udhi".into(), json!(s.tp_udhi));
    m.insert("message_coding".into(), json!(s.message_coding));
    m.insert("message_type".into(), json!(s.message_type));
    m.insert("message_length".into(), json!(s.message_content.len()));
    m.insert(
        "message_content".into(),
        content(s.message_coding, udhi_set(s.tp_udhi), &s.message_content),
    );
    m.insert("reserve".into(), text(&s.reserve));
    m.insert("link_id".into(), link_id(&s.reserve));
}

fn deliver(m: &mut Map<String, Value>, d: &Deliver) {
    m.insert("user_number".into(), text(&d.user_number));
    m.insert("sp_number".into(), text(&d.sp_number));
    m.insert("tp_pid".into(), json!(d.tp_pid));
    m.insert("tp_udhi".into(), json!(d.tp_udhi));
    m.insert("message_coding".into(), json!(d.message_coding));
    m.insert("message_length".into(), json!(d.message_content.len()));
    m.insert(
        "message_content".into(),
        content(d.message_coding, udhi_set(d.tp_udhi), &d.message_content),
    );
    m.insert("reserve".into(), text(&d.reserve));
    m.insert("link_id".into(), link_id(&d.reserve));
}

fn report(m: &mut Map<String, Value>, r: &Report) {
    m.insert(
        "submit_sequence_number".into(),
        sequence_json(&r.submit_sequence),
    );
    m.insert("report_type".into(), json!(r.report_type));
    m.insert(
        "report_type_meaning".into(),
        json!(status::report_type_meaning(r.report_type)),
    );
    m.insert("user_number".into(), text(&r.user_number));
    m.insert("state".into(), json!(r.state.as_u8()));
    m.insert("state_meaning".into(), json!(r.state_meaning()));
    m.insert("error_code".into(), json!(r.error_code));
    m.insert("error_code_meaning".into(), json!(r.error_code_meaning()));
    m.insert("reserve".into(), text(&r.reserve));
}

fn userrpt(m: &mut Map<String, Value>, u: &Userrpt) {
    m.insert("sp_number".into(), text(&u.sp_number));
    m.insert("user_number".into(), text(&u.user_number));
    m.insert("user_condition".into(), json!(u.user_condition));
    m.insert(
        "user_condition_meaning".into(),
        json!(u.user_condition_meaning()),
    );
    m.insert("reserve".into(), text(&u.reserve));
}

fn trace(m: &mut Map<String, Value>, t: &Trace) {
    m.insert(
        "submit_sequence_number".into(),
        sequence_json(&t.submit_sequence),
    );
    m.insert("user_number".into(), text(&t.user_number));
    m.insert("reserve".into(), text(&t.reserve));
}

fn trace_resp(m: &mut Map<String, Value>, t: &TraceResp) {
    m.insert("count".into(), json!(t.records.len()));
    let width = match t.node_id_width {
        NodeIdWidth::Six => 6,
        NodeIdWidth::Ten => 10,
    };
    m.insert("node_id_width".into(), json!(width));
    let records = t
        .records
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("result".into(), json!(r.result));
            o.insert("result_meaning".into(), json!(r.result_meaning()));
            o.insert("node_id".into(), text(&r.node_id));
            o.insert("receive_time".into(), text(&r.receive_time));
            o.insert("send_time".into(), text(&r.send_time));
            o.insert("reserve".into(), text(&r.reserve));
            Value::Object(o)
        })
        .collect();
    m.insert("records".into(), Value::Array(records));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::status::ReportState;
    use crate::trace::TraceRecord;

    fn seq() -> SequenceNumber {
        SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 102_030_405,
            counter: 2,
        }
    }

    #[test]
    fn header_fields_come_first_and_are_complete() {
        let v = Pdu::new(seq(), Body::Unbind).to_json();
        assert_eq!(v["protocol"], "sgip");
        assert_eq!(v["command"], "SGIP_UNBIND");
        assert_eq!(v["command_id"], "0x00000002");
        assert_eq!(v["total_length"], 20);
        assert_eq!(
            v["sequence_number"],
            json!({"node_id": 3_010_012_345u32, "timestamp": 102_030_405, "counter": 2,
                   "text": "3010012345-0102030405-2"})
        );
        assert_eq!(v.as_object().unwrap().len(), 5);
    }

    #[test]
    fn bind_password_is_redacted() {
        let b = Bind::sp_to_smg("spuser", "sppass").unwrap();
        let v = Pdu::new(seq(), Body::Bind(b)).to_json();
        assert_eq!(v["login_type"], 1);
        assert_eq!(v["login_type_meaning"], "SP to SMG (SP sends commands)");
        assert_eq!(v["login_name"], "spuser");
        assert_eq!(v["login_password"], json!({"redacted": true, "length": 6}));
        assert!(!v.to_string().contains("sppass"));
    }

    #[test]
    fn submit_renders_content_and_link_id() {
        let mut s = Submit::new(
            "10655012345",
            "8613012345678",
            8,
            Bytes::from_static(&[0x05, 0x00, 0x03, 0x5a, 0x02, 0x01, 0x4f, 0x60]),
        )
        .unwrap();
        s.tp_udhi = 0x40;
        s.charge_number = CHARGE_SP;
        s.set_link_id(b"LNK1").unwrap();
        let v = Pdu::new(seq(), Body::Submit(s)).to_json();
        assert_eq!(v["total_length"], 143 + 21 + 8);
        assert_eq!(v["user_count"], 1);
        assert_eq!(v["user_number"], json!(["8613012345678"]));
        assert_eq!(v["charge_number_meaning"], "the SP pays");
        assert_eq!(v["morelateto_mt_flag"], 2);
        assert_eq!(v["message_length"], 8);
        assert_eq!(v["message_content"]["text"], "你");
        assert_eq!(v["message_content"]["udh"]["concat"]["total"], 2);
        assert_eq!(v["reserve"], "LNK1");
        assert_eq!(v["link_id"], "LNK1");
    }

    #[test]
    fn report_names_the_submit_and_explains_codes() {
        let r = Report::for_submit(seq(), "8613012345678", ReportState::Failed, 33).unwrap();
        let v = Pdu::new(seq(), Body::Report(r)).to_json();
        assert_eq!(
            v["submit_sequence_number"]["text"],
            "3010012345-0102030405-2"
        );
        assert_eq!(v["state"], 2);
        assert_eq!(v["state_meaning"], "delivery failed");
        assert_eq!(v["error_code"], 33);
        assert!(
            v["error_code_meaning"]
                .as_str()
                .unwrap()
                .contains("flow limit")
        );
        assert_eq!(v["report_type_meaning"], "report for an earlier Submit");
    }

    #[test]
    fn responses_trace_and_unknown() {
        let v = Pdu::new(seq(), Body::SubmitResp(Resp::new(11))).to_json();
        assert_eq!(v["result"], 11);
        assert_eq!(v["result_meaning"], "node busy (queue full), try later");
        let tr = TraceResp {
            node_id_width: NodeIdWidth::Six,
            records: vec![TraceRecord {
                node_id: Octets::new(b"101001").unwrap(),
                ..Default::default()
            }],
        };
        let v = Pdu::new(seq(), Body::TraceResp(tr)).to_json();
        assert_eq!(v["count"], 1);
        assert_eq!(v["node_id_width"], 6);
        assert_eq!(v["records"][0]["node_id"], "101001");
        assert_eq!(v["records"][0]["result_meaning"], "received at this node");
        let v = Pdu::new(
            seq(),
            Body::Unknown {
                command_id: 0x8000_000E,
                body: Bytes::from_static(&[0, 0xff]),
            },
        )
        .to_json();
        assert_eq!(v["command"], "SGIP_MODIFYSMG_RESP");
        assert_eq!(v["command_id"], "0x8000000e");
        assert_eq!(v["body"], "00ff");
    }
}
