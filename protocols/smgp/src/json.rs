//! JSON rendering of a PDU for `hongyan decode` and debug logs.
//!
//! One object per PDU: the header first (`protocol`, `version`, `command`,
//! `command_id`, `total_length`, `sequence_id`), then every body field in spec order
//! under snake_case spec names. Octet strings appear as their logical text,
//! authenticators as hex, codes as the number plus a `<field>_meaning`, message content
//! through [`wire::describe::content`], MsgIDs as
//! `{"hex", "digits", "bcd", "smgw", "time", "sequence"}`, the status report of a report
//! Deliver as a `"report"` object (or `"report_error"`) next to the raw content, TLVs as
//! a list in wire order (`{"tag": "0x0009", "name": "PkTotal", "value": 2}`), unknown
//! bodies as hex.
//!
//! Field order only survives if serde_json's `preserve_order` feature is enabled in
//! the final binary; without it objects come out sorted by key. (This crate's tests
//! enable it to check the order.)

use serde_json::{Map, Value, json};
use wire::Octets;
use wire::describe::content;

use crate::deliver::Deliver;
use crate::header::HEADER_LEN;
use crate::login::{Login, LoginResp};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};
use crate::query::{Query, QueryResp};
use crate::report::StatusReport;
use crate::status;
use crate::submit::Submit;
use crate::tlv::{Tlv, Tlvs};
use crate::version::Version;

type Obj = Map<String, Value>;

fn text<const N: usize>(o: &Octets<N>) -> Value {
    Value::String(o.to_str_lossy().into_owned())
}

fn lossy(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

fn code(m: &mut Obj, key: &str, value: impl Into<Value>, meaning: &'static str) {
    m.insert(key.into(), value.into());
    m.insert(format!("{key}_meaning"), json!(meaning));
}

fn version_meaning(v: u8) -> &'static str {
    match Version::from_u8(v) {
        Some(Version::V13) => "SMGP 1.3",
        Some(Version::V20) => "SMGP 2.0",
        Some(Version::V30) => "SMGP 3.0",
        None => "unknown version",
    }
}

/// A MsgID as `{"hex", "digits", "bcd", "smgw", "time", "sequence"}`; the parts only
/// when the id is BCD.
pub fn msg_id_json(id: &MsgId) -> Value {
    let mut m = Obj::new();
    m.insert("hex".into(), json!(id.to_string()));
    m.insert(
        "digits".into(),
        id.digits().map_or(Value::Null, Value::String),
    );
    m.insert("bcd".into(), json!(id.is_bcd()));
    if let Some(p) = id.parts() {
        m.insert("smgw".into(), json!(format!("{:06}", p.smgw)));
        m.insert("time".into(), json!(p.time.to_string()));
        m.insert("sequence".into(), json!(p.sequence));
    }
    Value::Object(m)
}

/// A status report as an object: ids unpacked, `stat` / `err` with their meanings.
pub fn report_json(r: &StatusReport) -> Value {
    let mut m = Obj::new();
    m.insert("id".into(), msg_id_json(&r.msg_id));
    m.insert("sub".into(), text(&r.sub));
    m.insert("dlvrd".into(), text(&r.dlvrd));
    m.insert("submit_date".into(), text(&r.submit_date));
    m.insert("done_date".into(), text(&r.done_date));
    code(&mut m, "stat", text(&r.stat), r.stat_meaning());
    code(&mut m, "err", text(&r.err), r.err_meaning());
    m.insert(
        "text".into(),
        json!({
            "original_length": r.text_length(),
            "content_hex": wire::hex::encode(r.text_content()),
            "hex": wire::hex::encode(&r.text),
        }),
    );
    Value::Object(m)
}

/// One TLV as `{"tag", "name", "value"}` (plus `"meaning"` for enumerations), or
/// `{"tag", "name", "hex", "error"?}` for a raw one.
pub fn tlv_json(t: &Tlv) -> Value {
    let mut m = Obj::new();
    m.insert("tag".into(), json!(format!("0x{:04x}", t.tag())));
    m.insert("name".into(), json!(t.name()));
    let meaning = match t {
        Tlv::ChargeUserType(v) => Some(status::charge_user_type_meaning(*v)),
        Tlv::ChargeTermType(v) | Tlv::DestTermType(v) | Tlv::SrcTermType(v) | Tlv::SrcType(v) => {
            Some(status::term_type_meaning(*v))
        }
        Tlv::SubmitMsgType(v) => Some(status::submit_msg_type_meaning(*v)),
        _ => None,
    };
    match t {
        Tlv::LinkId(o) => {
            m.insert("value".into(), text(o));
        }
        Tlv::MsgSrc(o) => {
            m.insert("value".into(), text(o));
        }
        Tlv::MServiceId(o) => {
            m.insert("value".into(), text(o));
        }
        Tlv::ChargeTermPseudo(b) | Tlv::DestTermPseudo(b) | Tlv::SrcTermPseudo(b) => {
            m.insert("value".into(), lossy(b));
        }
        Tlv::Raw { value, .. } => {
            m.insert("hex".into(), json!(wire::hex::encode(value)));
            if let Some(why) = t.malformed() {
                m.insert("error".into(), json!(why));
            }
        }
        other => {
            m.insert("value".into(), json!(other.as_u8()));
        }
    }
    if let Some(meaning) = meaning {
        m.insert("meaning".into(), json!(meaning));
    }
    Value::Object(m)
}

fn tlvs_json(t: &Tlvs) -> Value {
    Value::Array(t.iter().map(tlv_json).collect())
}

impl Pdu {
    /// The PDU as one JSON object (see the module docs for the layout).
    pub fn to_json(&self, version: Version) -> Value {
        let mut m = Obj::new();
        m.insert("protocol".into(), json!("smgp"));
        m.insert("version".into(), json!(version.as_str()));
        m.insert(
            "command".into(),
            json!(crate::command::display_name(version, self.command_id())),
        );
        m.insert(
            "command_id".into(),
            json!(format!("0x{:08x}", self.command_id())),
        );
        m.insert("total_length".into(), json!(self.encoded_len(version)));
        m.insert("sequence_id".into(), json!(self.sequence_id));
        match &self.body {
            Body::Login(b) => login(&mut m, b),
            Body::LoginResp(b) => login_resp(&mut m, b),
            Body::Submit(b) => submit(&mut m, version, b),
            Body::SubmitResp(b) => id_status(&mut m, b.msg_id, b.status),
            Body::Deliver(b) => deliver(&mut m, b),
            Body::DeliverResp(b) => id_status(&mut m, b.msg_id, b.status),
            Body::ActiveTest | Body::ActiveTestResp | Body::Exit | Body::ExitResp => {}
            Body::Query(b) => query(&mut m, b),
            Body::QueryResp(b) => query_resp(&mut m, b),
            Body::Unknown { body, .. } => {
                m.insert("body".into(), json!(wire::hex::encode(body)));
            }
        }
        Value::Object(m)
    }

    /// Encoded length in bytes (PacketLength), without encoding.
    pub fn encoded_len(&self, version: Version) -> usize {
        HEADER_LEN + self.body.body_len(version)
    }
}

fn login(m: &mut Obj, b: &Login) {
    m.insert("client_id".into(), text(&b.client_id));
    m.insert(
        "authenticator_client".into(),
        json!(wire::hex::encode(&b.authenticator_client)),
    );
    let mode = u8::from(b.login_mode);
    code(m, "login_mode", mode, status::login_mode_meaning(mode));
    m.insert("timestamp".into(), json!(b.timestamp));
    m.insert(
        "timestamp_text".into(),
        json!(String::from_utf8_lossy(&crate::auth::timestamp_digits(
            b.timestamp
        ))),
    );
    code(
        m,
        "client_version",
        b.client_version,
        version_meaning(b.client_version),
    );
}

fn login_resp(m: &mut Obj, b: &LoginResp) {
    code(m, "status", b.status, status::status_meaning(b.status));
    m.insert(
        "authenticator_server".into(),
        json!(wire::hex::encode(&b.authenticator_server)),
    );
    code(
        m,
        "server_version",
        b.server_version,
        version_meaning(b.server_version),
    );
}

fn id_status(m: &mut Obj, id: MsgId, st: u32) {
    m.insert("msg_id".into(), msg_id_json(&id));
    code(m, "status", st, status::status_meaning(st));
}

fn submit(m: &mut Obj, version: Version, s: &Submit) {
    code(
        m,
        "msg_type",
        s.msg_type,
        status::msg_type_meaning(s.msg_type),
    );
    m.insert("need_report".into(), json!(s.need_report));
    code(
        m,
        "priority",
        s.priority,
        status::priority_meaning(s.priority),
    );
    m.insert("service_id".into(), text(&s.service_id));
    code(
        m,
        "fee_type",
        text(&s.fee_type),
        status::fee_type_meaning(s.fee_type.value()),
    );
    m.insert("fee_code".into(), text(&s.fee_code));
    if version.has_fixed_fee() {
        m.insert("fixed_fee".into(), text(&s.fixed_fee));
    }
    code(
        m,
        "msg_format",
        s.msg_format,
        status::msg_format_meaning(s.msg_format),
    );
    m.insert("valid_time".into(), text(&s.valid_time));
    m.insert("at_time".into(), text(&s.at_time));
    m.insert("src_term_id".into(), text(&s.src_term_id));
    m.insert("charge_term_id".into(), text(&s.charge_term_id));
    m.insert("dest_term_id_count".into(), json!(s.dest_term_ids.len()));
    m.insert(
        "dest_term_id".into(),
        Value::Array(s.dest_term_ids.iter().map(text).collect()),
    );
    m.insert("msg_length".into(), json!(s.msg_content.len()));
    m.insert(
        "msg_content".into(),
        content(s.msg_format, s.udhi(), &s.msg_content),
    );
    m.insert("reserve".into(), text(&s.reserve));
    m.insert("tlvs".into(), tlvs_json(&s.tlvs));
}

fn deliver(m: &mut Obj, d: &Deliver) {
    m.insert("msg_id".into(), msg_id_json(&d.msg_id));
    m.insert("is_report".into(), json!(d.is_report));
    code(
        m,
        "msg_format",
        d.msg_format,
        status::msg_format_meaning(d.msg_format),
    );
    m.insert("recv_time".into(), text(&d.recv_time));
    m.insert("src_term_id".into(), text(&d.src_term_id));
    m.insert("dest_term_id".into(), text(&d.dest_term_id));
    m.insert("msg_length".into(), json!(d.msg_content.len()));
    // A report is a fixed structure (binary MsgID first): shown raw, decoded below.
    let described = if d.is_status_report() {
        wire::describe::raw(&d.msg_content)
    } else {
        content(d.msg_format, d.udhi(), &d.msg_content)
    };
    m.insert("msg_content".into(), described);
    match d.report() {
        Some(Ok(r)) => {
            m.insert("report".into(), report_json(&r));
        }
        Some(Err(e)) => {
            m.insert("report_error".into(), json!(e.to_string()));
        }
        None => {}
    }
    m.insert("reserve".into(), text(&d.reserve));
    m.insert("tlvs".into(), tlvs_json(&d.tlvs));
}

fn query(m: &mut Obj, q: &Query) {
    m.insert("query_time".into(), text(&q.query_time));
    code(
        m,
        "query_type",
        q.query_type,
        status::query_type_meaning(q.query_type),
    );
    m.insert("query_code".into(), text(&q.query_code));
}

fn query_resp(m: &mut Obj, q: &QueryResp) {
    m.insert("query_time".into(), text(&q.query_time));
    code(
        m,
        "query_type",
        q.query_type,
        status::query_type_meaning(q.query_type),
    );
    m.insert("query_code".into(), text(&q.query_code));
    for (k, v) in [
        ("mt_tlmsg", q.mt_tlmsg),
        ("mt_tlusr", q.mt_tlusr),
        ("mt_scs", q.mt_scs),
        ("mt_wt", q.mt_wt),
        ("mt_fl", q.mt_fl),
        ("mo_scs", q.mo_scs),
        ("mo_wt", q.mo_wt),
        ("mo_fl", q.mo_fl),
    ] {
        m.insert(k.into(), json!(v));
    }
    m.insert("reserve".into(), text(&q.reserve));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn pdu(hex: &str) -> Pdu {
        crate::decode(Version::V30, &Bytes::from(wire::hex::decode(hex).unwrap())).unwrap()
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn header_comes_first_and_fields_follow_in_spec_order() {
        let v = pdu("0000001a80000002000000020100610102130400000100000000").to_json(Version::V30);
        assert_eq!(
            keys(&v),
            [
                "protocol",
                "version",
                "command",
                "command_id",
                "total_length",
                "sequence_id",
                "msg_id",
                "status",
                "status_meaning"
            ]
        );
        assert_eq!(v["protocol"], "smgp");
        assert_eq!(v["command"], "SMGP_SUBMIT_RESP");
        assert_eq!(v["command_id"], "0x80000002");
        assert_eq!(v["total_length"], 26);
        assert_eq!(v["sequence_id"], 2);
        assert_eq!(v["status_meaning"], "success");
        assert_eq!(
            v["msg_id"],
            json!({"hex": "01006101021304000001", "digits": "01006101021304000001", "bcd": true,
                   "smgw": "010061", "time": "01021304", "sequence": 1})
        );
    }

    #[test]
    fn login_shows_hex_digest_mode_and_time() {
        let v = pdu(
            "0000002a000000010000000131323334353637383a6a2cc92a23726643dbdfeeeb7c2b96020614dc4530",
        )
        .to_json(Version::V30);
        assert_eq!(v["client_id"], "12345678");
        assert_eq!(
            v["authenticator_client"],
            "3a6a2cc92a23726643dbdfeeeb7c2b96"
        );
        assert_eq!(v["login_mode"], 2);
        assert_eq!(v["login_mode_meaning"], "transmit (send and receive)");
        assert_eq!(v["timestamp_text"], "0102030405");
        assert_eq!(v["client_version_meaning"], "SMGP 3.0");
    }

    #[test]
    fn non_bcd_msg_id_has_no_parts() {
        let v = msg_id_json(&"0f423f011617000abcde".parse().unwrap());
        assert_eq!(
            v,
            json!({"hex": "0f423f011617000abcde", "digits": null, "bcd": false})
        );
    }

    #[test]
    fn tlvs_render_typed_and_raw() {
        assert_eq!(
            tlv_json(&Tlv::PkTotal(2)),
            json!({"tag": "0x0009", "name": "PkTotal", "value": 2})
        );
        assert_eq!(
            tlv_json(&Tlv::link_id(b"abc").unwrap()),
            json!({"tag": "0x0003", "name": "LinkID", "value": "abc"})
        );
        assert_eq!(
            tlv_json(&Tlv::SubmitMsgType(1)),
            json!({"tag": "0x000b", "name": "SubmitMsgType", "value": 1, "meaning": "web subscribe notice"})
        );
        assert_eq!(
            tlv_json(&Tlv::Raw {
                tag: 9,
                value: Bytes::from_static(&[1, 2])
            }),
            json!({"tag": "0x0009", "name": "PkTotal", "hex": "0102", "error": "length 2, expected 1"})
        );
        assert_eq!(
            tlv_json(&Tlv::Raw {
                tag: 0x1234,
                value: Bytes::from_static(&[7])
            }),
            json!({"tag": "0x1234", "name": "unknown", "hex": "07"})
        );
        assert_eq!(tlv_json(&Tlv::SpDealReslt(0))["name"], "SPDealReslt");
    }

    #[test]
    fn unknown_body_is_hex_and_bodyless_has_only_the_header() {
        let v = pdu("0000000e80000008000000070102").to_json(Version::V20);
        assert_eq!(v["command"], "SMGP_MT_ROUTE_UPDATE_RESP");
        assert_eq!(v["body"], "0102");
        let v = pdu("0000000c0000000400000009").to_json(Version::V30);
        assert_eq!(keys(&v).len(), 6);
    }
}
