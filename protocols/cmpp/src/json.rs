//! JSON rendering for `hongyan decode` and debug logs: one object per PDU, header first,
//! then every field in spec order under snake_case spec names. Octet strings appear as
//! their logical value, digests as hex, codes as the number plus a `<field>_meaning`,
//! Msg_Ids raw and unpacked, message content through [`wire::describe::content`], and a
//! report carried in a DELIVER both raw and as a `"report"` object.

use serde_json::{Map, Value, json};
use wire::Octets;
use wire::describe;

use crate::connect::{Connect, ConnectResp};
use crate::deliver::{Deliver, DeliverContent};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};
use crate::report::StatusReport;
use crate::status;
use crate::submit::Submit;
use crate::timestamp::wire_digits;
use crate::version::Version;

impl MsgId {
    /// `{"hex", "value", "month", "day", "hour", "minute", "second", "gateway", "sequence"}`.
    pub fn to_json(&self) -> Value {
        let p = self.parts();
        json!({
            "hex": self.to_hex(),
            "value": self.0,
            "month": p.month,
            "day": p.day,
            "hour": p.hour,
            "minute": p.minute,
            "second": p.second,
            "gateway": p.gateway,
            "sequence": p.sequence,
        })
    }
}

impl StatusReport {
    /// The report's fields, Stat with its meaning, the Msg_Id unpacked.
    pub fn to_json(&self) -> Value {
        json!({
            "msg_id": self.msg_id.to_json(),
            "stat": text(&self.stat),
            "stat_meaning": self.stat_meaning(),
            "delivered": self.is_delivered(),
            "submit_time": text(&self.submit_time),
            "done_time": text(&self.done_time),
            "dest_terminal_id": text(&self.dest_terminal_id),
            "smsc_sequence": self.smsc_sequence,
        })
    }
}

impl Pdu {
    /// The PDU as one JSON object: `protocol`, `command`, `command_id`, `total_length`,
    /// `sequence_id`, then the body's fields in spec order.
    pub fn to_json(&self, version: Version) -> Value {
        let mut o = Map::new();
        o.insert("protocol".into(), json!(version.protocol_name()));
        o.insert("command".into(), json!(self.command_name()));
        o.insert(
            "command_id".into(),
            json!(format!("0x{:08x}", self.command_id())),
        );
        o.insert("total_length".into(), json!(self.encoded_len(version)));
        o.insert("sequence_id".into(), json!(self.sequence_id));
        body_fields(&mut o, version, &self.body);
        Value::Object(o)
    }
}

fn text<const N: usize>(o: &Octets<N>) -> Value {
    Value::String(o.to_str_lossy().into_owned())
}

fn put(o: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    o.insert(key.to_owned(), value.into());
}

fn body_fields(o: &mut Map<String, Value>, v: Version, body: &Body) {
    match body {
        Body::Connect(c) => connect(o, c),
        Body::ConnectResp(r) => connect_resp(o, r),
        Body::Submit(s) => submit(o, v, s),
        Body::SubmitResp(r) => {
            put(o, "msg_id", r.msg_id.to_json());
            put(o, "result", r.result);
            put(o, "result_meaning", r.result_meaning());
        }
        Body::Deliver(d) => deliver(o, v, d),
        Body::DeliverResp(r) => {
            put(o, "msg_id", r.msg_id.to_json());
            put(o, "result", r.result);
            put(o, "result_meaning", r.result_meaning());
        }
        Body::Query(q) => {
            put(o, "time", text(&q.time));
            put(o, "query_type", q.query_type);
            put(o, "query_type_meaning", q.query_type_meaning());
            put(o, "query_code", text(&q.query_code));
            put(o, "reserve", text(&q.reserve));
        }
        Body::QueryResp(r) => {
            put(o, "time", text(&r.time));
            put(o, "query_type", r.query_type);
            put(
                o,
                "query_type_meaning",
                status::query_type_meaning(r.query_type),
            );
            put(o, "query_code", text(&r.query_code));
            put(o, "mt_tlmsg", r.mt_tlmsg);
            put(o, "mt_tlusr", r.mt_tlusr);
            put(o, "mt_scs", r.mt_scs);
            put(o, "mt_wt", r.mt_wt);
            put(o, "mt_fl", r.mt_fl);
            put(o, "mo_scs", r.mo_scs);
            put(o, "mo_wt", r.mo_wt);
            put(o, "mo_fl", r.mo_fl);
        }
        Body::Cancel(c) => put(o, "msg_id", c.msg_id.to_json()),
        Body::CancelResp(r) => {
            put(o, "success_id", r.success_id);
            put(o, "success_id_meaning", r.success_meaning());
        }
        Body::ActiveTestResp(r) => put(o, "reserved", r.reserved),
        Body::Terminate | Body::TerminateResp | Body::ActiveTest => {}
        Body::Unknown { body, .. } => put(o, "body", wire::hex::encode(body)),
    }
}

fn version_meaning(byte: u8) -> &'static str {
    match byte {
        0x20 => "CMPP 2.0",
        0x21 => "CMPP 2.1",
        0x30 => "CMPP 3.0",
        _ => "unknown version",
    }
}

fn connect(o: &mut Map<String, Value>, c: &Connect) {
    put(o, "source_addr", text(&c.source_addr));
    put(
        o,
        "authenticator_source",
        wire::hex::encode(&c.authenticator_source),
    );
    put(o, "version", c.version);
    put(o, "version_meaning", version_meaning(c.version));
    put(o, "timestamp", c.timestamp);
    put(
        o,
        "timestamp_text",
        String::from_utf8_lossy(&wire_digits(c.timestamp)).into_owned(),
    );
}

fn connect_resp(o: &mut Map<String, Value>, r: &ConnectResp) {
    put(o, "status", r.status);
    put(o, "status_meaning", r.status_meaning());
    put(
        o,
        "authenticator_ismg",
        wire::hex::encode(&r.authenticator_ismg),
    );
    put(o, "version", r.version);
    put(o, "version_meaning", version_meaning(r.version));
}

fn trailer(o: &mut Map<String, Value>, v: Version, link_id: &Octets<20>) {
    let key = match v {
        Version::V20 => "reserve",
        Version::V30 => "link_id",
    };
    put(o, key, text(link_id));
}

fn submit(o: &mut Map<String, Value>, v: Version, s: &Submit) {
    let v30 = v.has_terminal_type();
    put(o, "msg_id", s.msg_id.to_json());
    put(o, "pk_total", s.pk_total);
    put(o, "pk_number", s.pk_number);
    put(o, "registered_delivery", s.registered_delivery);
    put(o, "msg_level", s.msg_level);
    put(o, "service_id", text(&s.service_id));
    put(o, "fee_user_type", s.fee_user_type);
    put(o, "fee_terminal_id", text(&s.fee_terminal_id));
    if v30 {
        put(o, "fee_terminal_type", s.fee_terminal_type);
    }
    put(o, "tp_pid", s.tp_pid);
    put(o, "tp_udhi", s.tp_udhi);
    put(o, "msg_fmt", s.msg_fmt);
    put(o, "msg_src", text(&s.msg_src));
    put(o, "fee_type", text(&s.fee_type));
    put(o, "fee_code", text(&s.fee_code));
    put(o, "valid_time", text(&s.valid_time));
    put(o, "at_time", text(&s.at_time));
    put(o, "src_id", text(&s.src_id));
    put(o, "dest_usr_tl", s.dest_terminal_ids.len());
    put(
        o,
        "dest_terminal_id",
        s.dest_terminal_ids.iter().map(text).collect::<Vec<_>>(),
    );
    if v30 {
        put(o, "dest_terminal_type", s.dest_terminal_type);
    }
    put(o, "msg_length", s.msg_content.len());
    put(
        o,
        "msg_content",
        describe::content(s.msg_fmt, s.udhi(), &s.msg_content),
    );
    trailer(o, v, &s.link_id);
}

fn deliver(o: &mut Map<String, Value>, v: Version, d: &Deliver) {
    put(o, "msg_id", d.msg_id.to_json());
    put(o, "dest_id", text(&d.dest_id));
    put(o, "service_id", text(&d.service_id));
    put(o, "tp_pid", d.tp_pid);
    put(o, "tp_udhi", d.tp_udhi);
    put(o, "msg_fmt", d.msg_fmt);
    put(o, "src_terminal_id", text(&d.src_terminal_id));
    if v.has_terminal_type() {
        put(o, "src_terminal_type", d.src_terminal_type);
    }
    put(o, "registered_delivery", d.registered_delivery);
    put(o, "msg_length", d.content.len(v));
    match &d.content {
        DeliverContent::Message(bytes) => {
            put(
                o,
                "msg_content",
                describe::content(d.msg_fmt, d.udhi(), bytes),
            );
        }
        DeliverContent::Report(r) => {
            // A report is binary; show its raw bytes without text or UDH interpretation.
            let raw = r.to_bytes(v).unwrap_or_default();
            put(o, "msg_content", describe::raw(&raw));
            put(o, "report", r.to_json());
        }
        DeliverContent::MalformedReport { raw, error } => {
            put(o, "msg_content", describe::raw(raw));
            put(o, "report_error", error.to_string());
        }
    }
    trailer(o, v, &d.link_id);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::pdu::decode;

    fn pdu(v: Version, hex: &str) -> Pdu {
        decode(v, &Bytes::from(wire::hex::decode(hex).unwrap())).unwrap()
    }

    #[test]
    fn msg_id_json() {
        let j = MsgId(0x110C_4141_34FD_0001).to_json();
        assert_eq!(
            j,
            json!({"hex": "110c414134fd0001", "value": 1_228_428_546_682_978_305u64, "month": 1, "day": 2,
                   "hour": 3, "minute": 4, "second": 5, "gateway": 79101, "sequence": 1})
        );
    }

    #[test]
    fn submit_json_header_first_then_spec_order() {
        let j = pdu(
            Version::V30,
            "000000c70000000400000002000000000000000001010100544553540000000000000200000000000000000000000000000000000000000000000000000000000000000000000839303132333430313030303030300000000000000000000000000000000000000000000000000000000000000000000031303639303132333838000000000000000000000001313338303031333830303000000000000000000000000000000000000000000000044f60597d0000000000000000000000000000000000000000",
        )
        .to_json(Version::V30);
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "protocol",
                "command",
                "command_id",
                "total_length",
                "sequence_id",
                "msg_id",
                "pk_total",
                "pk_number",
                "registered_delivery",
                "msg_level",
                "service_id",
                "fee_user_type",
                "fee_terminal_id",
                "fee_terminal_type",
                "tp_pid",
                "tp_udhi",
                "msg_fmt",
                "msg_src",
                "fee_type",
                "fee_code",
                "valid_time",
                "at_time",
                "src_id",
                "dest_usr_tl",
                "dest_terminal_id",
                "dest_terminal_type",
                "msg_length",
                "msg_content",
                "link_id"
            ]
        );
        assert_eq!(j["protocol"], "cmpp3");
        assert_eq!(j["command"], "CMPP_SUBMIT");
        assert_eq!(j["command_id"], "0x00000004");
        assert_eq!(j["total_length"], 199);
        assert_eq!(j["dest_terminal_id"], json!(["13800138000"]));
        assert_eq!(j["msg_content"]["text"], "你好");
        assert_eq!(j["msg_content"]["coding"], "ucs2");
        assert_eq!(j["service_id"], "TEST");
    }

    #[test]
    fn submit_2_0_has_no_type_fields_and_a_reserve() {
        let j = pdu(
            Version::V20,
            "000000a30000000400000002000000000000000001010100544553540000000000000200000000000000000000000000000000000000000000000839303132333430313030303030300000000000000000000000000000000000000000000000000000000000000000000031303639303132333838000000000000000000000001313338303031333830303000000000000000000000044f60597d0000000000000000",
        )
        .to_json(Version::V20);
        assert_eq!(j["protocol"], "cmpp2");
        assert!(j.get("fee_terminal_type").is_none());
        assert!(j.get("dest_terminal_type").is_none());
        assert!(j.get("link_id").is_none());
        assert_eq!(j["reserve"], "");
    }

    #[test]
    fn deliver_report_json_has_raw_and_typed_report() {
        let j = pdu(
            Version::V30,
            "000000b40000000500000064110c518134fd0002313036393031323338380000000000000000000000544553540000000000000000003133383030313338303030000000000000000000000000000000000000000000000147110c414134fd000144454c4956524432343031303230333034323430313032303330353133383030313338303030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        )
        .to_json(Version::V30);
        assert_eq!(j["msg_length"], 71);
        assert_eq!(j["msg_content"]["length"], 71);
        assert!(
            j["msg_content"]["hex"]
                .as_str()
                .unwrap()
                .starts_with("110c414134fd000144454c495652")
        );
        assert_eq!(j["report"]["stat"], "DELIVRD");
        assert_eq!(j["report"]["stat_meaning"], "delivered to the handset");
        assert_eq!(j["report"]["delivered"], true);
        assert_eq!(j["report"]["msg_id"]["sequence"], 1);
        assert_eq!(j["report"]["dest_terminal_id"], "13800138000");
        assert_eq!(j["msg_id"]["hex"], "110c518134fd0002");
    }

    #[test]
    fn malformed_report_json_says_why() {
        let d = Deliver {
            registered_delivery: 1,
            content: DeliverContent::MalformedReport {
                raw: Bytes::from_static(b"xx"),
                error: StatusReport::parse(Version::V30, b"xx").unwrap_err(),
            },
            ..Default::default()
        };
        let j = Pdu::new(1, Body::Deliver(d)).to_json(Version::V30);
        assert!(
            j["report_error"]
                .as_str()
                .unwrap()
                .contains("CMPP_DELIVER.Msg_Content")
        );
        assert_eq!(j["msg_content"]["hex"], "7878");
        assert!(j.get("report").is_none());
    }

    #[test]
    fn codes_come_with_meanings() {
        let j =
            pdu(Version::V20, "000000158000000400000003000000000000000008").to_json(Version::V20);
        assert_eq!(j["result"], 8);
        assert_eq!(j["result_meaning"], "flow control error");
        let j = pdu(
            Version::V30,
            "00000021800000010000000100000000ade4f350510c84558bdd31c4703873ba30",
        )
        .to_json(Version::V30);
        assert_eq!(j["status_meaning"], "success");
        assert_eq!(j["authenticator_ismg"], "ade4f350510c84558bdd31c4703873ba");
        assert_eq!(j["version_meaning"], "CMPP 3.0");
        let j = pdu(
            Version::V30,
            "000000270000000100000001393031323334091080a465f383be4cdceeced3b91795300614dc45",
        )
        .to_json(Version::V30);
        assert_eq!(j["timestamp"], 102_030_405);
        assert_eq!(j["timestamp_text"], "0102030405");
        assert_eq!(j["source_addr"], "901234");
    }

    #[test]
    fn unknown_and_empty_bodies() {
        let j = Pdu::new(
            4,
            Body::Unknown {
                command_id: 0x10,
                body: Bytes::from_static(&[0xab]),
            },
        )
        .to_json(Version::V30);
        assert_eq!(
            j,
            json!({"protocol": "cmpp3", "command": "CMPP_MT_ROUTE", "command_id": "0x00000010",
                   "total_length": 13, "sequence_id": 4, "body": "ab"})
        );
        let j = Pdu::new(7, Body::ActiveTest).to_json(Version::V20);
        assert_eq!(j.as_object().unwrap().len(), 5);
    }

    #[test]
    fn mo_json_decodes_text() {
        let j = pdu(
            Version::V20,
            "000000570000000500000065110c518134fd000331303639303132333838363600000000000000000000000000000000000000000000313338303031333830303000000000000000000000000254440000000000000000",
        )
        .to_json(Version::V20);
        assert_eq!(j["msg_content"]["text"], "TD");
        assert_eq!(j["dest_id"], "106901238866");
        assert!(j.get("report").is_none());
        assert_eq!(j["reserve"], "");
    }
}
