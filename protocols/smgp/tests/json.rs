//! `to_json` of the reference examples: the values a user of `hongyan decode` sees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use serde_json::{Value, json};
use smgp::{Version, decode};

fn json_of(hex: &str) -> Value {
    decode(Version::V30, &Bytes::from(wire::hex::decode(hex).unwrap()))
        .unwrap()
        .to_json(Version::V30)
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

const EX3B: &str = "000000ae00000002000000030601015445535400000000000030303030303030303030303030300800000000000000000000000000000000000000000000000000000000000000000000313036353930313233343500000000000000000000000000000000000000000000000000000000000000013133333030303030303030000000000000000000000c0500032a02017b2c4e006bb5000000000000000000020001010009000102000a000101";
const EX5: &str = "000000d300000003000000c801006101021305000002010032303234303130323133303530303133333030303030303030000000000000000000003130363539303132333435000000000000000000007a69643a01006101021304000001207375623a30303120646c7672643a303031205375626d697420646174653a3234303130323133303420646f6e6520646174653a3234303130323133303520737461743a44454c49565244206572723a30303020546578743a3030344f60597d000000000000000000000000000000000000000000";
const EX6: &str = "0000007300000003000000c901006101021306000003000032303234303130323133303630303133333030303030303030000000000000000000003130363539303132333435363600000000000000000254440000000000000000000300143132333435363738393031323334353637383930";

#[test]
fn submit_segment_json() {
    let v = json_of(EX3B);
    assert_eq!(
        keys(&v),
        [
            "protocol",
            "version",
            "command",
            "command_id",
            "total_length",
            "sequence_id",
            "msg_type",
            "msg_type_meaning",
            "need_report",
            "priority",
            "priority_meaning",
            "service_id",
            "fee_type",
            "fee_type_meaning",
            "fee_code",
            "fixed_fee",
            "msg_format",
            "msg_format_meaning",
            "valid_time",
            "at_time",
            "src_term_id",
            "charge_term_id",
            "dest_term_id_count",
            "dest_term_id",
            "msg_length",
            "msg_content",
            "reserve",
            "tlvs",
        ]
    );
    assert_eq!(v["command"], "SMGP_SUBMIT");
    assert_eq!(v["total_length"], 174);
    assert_eq!(v["msg_type_meaning"], "MT");
    assert_eq!(v["service_id"], "TEST");
    assert_eq!(v["fee_type_meaning"], "free");
    assert_eq!(v["src_term_id"], "10659012345");
    assert_eq!(v["dest_term_id"], json!(["13300000000"]));
    assert_eq!(v["msg_length"], 12);
    assert_eq!(v["msg_content"]["text"], "第一段");
    assert_eq!(v["msg_content"]["udh"]["concat"]["total"], 2);
    assert_eq!(v["msg_content"]["udh"]["concat"]["number"], 1);
    assert_eq!(
        v["tlvs"],
        json!([
            {"tag": "0x0002", "name": "TP_udhi", "value": 1},
            {"tag": "0x0009", "name": "PkTotal", "value": 2},
            {"tag": "0x000a", "name": "PkNumber", "value": 1},
        ])
    );
}

#[test]
fn submit_json_in_13_has_no_fixed_fee() {
    let pdu = smgp::Pdu::new(
        1,
        smgp::Body::Submit(smgp::Submit {
            fixed_fee: wire::Octets::EMPTY,
            ..Default::default()
        }),
    );
    let v = pdu.to_json(Version::V13);
    assert_eq!(v["version"], "1.3");
    assert!(v.get("fixed_fee").is_none());
    assert_eq!(v["total_length"], 12 + 99 + 1 + 8);
}

#[test]
fn deliver_report_json() {
    let v = json_of(EX5);
    assert_eq!(v["command"], "SMGP_DELIVER");
    assert_eq!(v["msg_id"]["digits"], "01006101021305000002");
    assert_eq!(v["is_report"], 1);
    assert_eq!(v["msg_length"], 122);
    assert!(
        v["msg_content"]["hex"]
            .as_str()
            .unwrap()
            .starts_with("69643a")
    );
    let r = &v["report"];
    assert_eq!(r["id"]["digits"], "01006101021304000001");
    assert_eq!(r["id"]["smgw"], "010061");
    assert_eq!(r["id"]["time"], "01021304");
    assert_eq!(r["id"]["sequence"], 1);
    assert_eq!(r["submit_date"], "2401021304");
    assert_eq!(r["done_date"], "2401021305");
    assert_eq!(r["stat"], "DELIVRD");
    assert_eq!(r["stat_meaning"], "delivered");
    assert_eq!(r["err"], "000");
    assert_eq!(r["err_meaning"], "success");
    assert_eq!(r["text"]["original_length"], 4);
    assert!(v.get("report_error").is_none());
    // report sits right after the raw content
    let k = keys(&v);
    let at = k.iter().position(|&x| x == "msg_content").unwrap();
    assert_eq!(k[at + 1], "report");
}

#[test]
fn malformed_report_json_shows_the_error() {
    // IsReport = 1 on the MO of Example 6: "TD" is no report.
    let hex = format!("{}01{}", &EX6[..44], &EX6[46..]);
    let v = json_of(&hex);
    assert_eq!(v["is_report"], 1);
    assert!(v.get("report").is_none());
    let err = v["report_error"].as_str().unwrap();
    assert!(err.starts_with("SMGP_STATUS_REPORT."), "{err}");
    assert_eq!(v["msg_content"]["hex"], "5444");
}

#[test]
fn deliver_mo_json() {
    let v = json_of(EX6);
    assert_eq!(v["is_report"], 0);
    assert!(v.get("report").is_none() && v.get("report_error").is_none());
    assert_eq!(v["recv_time"], "20240102130600");
    assert_eq!(v["dest_term_id"], "1065901234566");
    assert_eq!(v["msg_content"]["text"], "TD");
    assert_eq!(
        v["tlvs"],
        json!([{"tag": "0x0003", "name": "LinkID", "value": "12345678901234567890"}])
    );
}
