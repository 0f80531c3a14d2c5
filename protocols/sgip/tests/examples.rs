//! Every worked hex example of the SGIP reference (`sgip.md` §12): each decodes to the
//! documented field values and re-encodes to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use sgip::submit::CHARGE_SP;
use sgip::{
    Body, Deliver, LoginType, Pdu, Report, ReportState, SequenceNumber, Submit, Timestamp, Userrpt,
    decode,
};
use wire::Octets;

/// SP node 3010012345, 01-02 03:04:05.
const SP_NODE: u32 = 3_010_012_345;
/// SMG node 101001.
const SMG_NODE: u32 = 101_001;

fn frame(hex: &str) -> Bytes {
    Bytes::from(wire::hex::decode(hex).unwrap())
}

/// Decode `hex`, check the header fields, and check it re-encodes to the same bytes.
fn round_trip(hex: &str, command_id: u32, seq: SequenceNumber) -> Pdu {
    let bytes = frame(hex);
    let pdu = decode(&bytes).unwrap();
    assert_eq!(pdu.command_id(), command_id);
    assert_eq!(pdu.sequence, seq);
    assert_eq!(pdu.encoded_len(), bytes.len());
    assert_eq!(
        pdu.to_bytes().unwrap(),
        bytes,
        "re-encode of {}",
        pdu.command_name()
    );
    pdu
}

/// SMG node 101001 at 01-02 03:MM:SS.
fn smg_seq(minute: u8, second: u8, counter: u32) -> SequenceNumber {
    let ts = Timestamp::new(1, 2, 3, minute, second).unwrap();
    SequenceNumber::new(SMG_NODE, ts, counter)
}

fn sp_seq(counter: u32) -> SequenceNumber {
    let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
    SequenceNumber::new(SP_NODE, ts, counter)
}

const EX1_BIND: &str = "0000003d00000001b36924b90614dc45000000010173707573657200000000000000000000737070617373000000000000000000000000000000000000";
const EX2_BIND_RESP: &str = "0000001d80000001b36924b90614dc4500000001000000000000000000";
const EX3_SUBMIT: &str = "000000a800000003b36924b90614dc4500000002313036353530313233343500000000000000000000303030303030303030303030303030303030303030013836313330313233343536373800000000000000003132333435544553540000000000000130000000000030000000000000020000000000000000000000000000000000000000000000000000000000000000000100000800000000044f60597d0000000000000000";
const EX4_DELIVER: &str = "000000510000000400018a890614dca40000004d38363133303132333435363738000000000000000031303635353031323334353838000000000000000000000f00000004cdcbb6a90000000000000000";
const EX5_REPORT: &str = "000000400000000500018a890614dcae0000004eb36924b90614dc45000000020038363133303132333435363738000000000000000000000000000000000000";
const EX5R_REPORT_RESP: &str = "0000001d8000000500018a890614dcae0000004e000000000000000000";
const EX6_USERRPT: &str = "000000470000001100018a890614dd080000004f313036353530313233343500000000000000000000383631333031323334353637380000000000000000010000000000000000";
const EX7A_UNBIND: &str = "0000001400000002b36924b90614dc4500000003";
const EX7B_UNBIND_RESP: &str = "0000001480000002b36924b90614dc4500000003";

#[test]
fn example_1_bind() {
    let seq = sp_seq(1);
    assert_eq!(seq.to_string(), "3010012345-0102030405-1");
    let pdu = round_trip(EX1_BIND, 0x0000_0001, seq);
    assert_eq!(pdu.command_name(), "SGIP_BIND");
    let Body::Bind(bind) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(bind.login_type, LoginType::SpToSmg);
    assert_eq!(bind.login_name.value(), b"spuser");
    assert_eq!(bind.login_password.value(), b"sppass");
    assert!(bind.reserve.is_empty());
    assert!(bind.credentials_match(b"spuser", b"sppass"));
    // Built from scratch, the same Bind encodes to the same bytes.
    let built = Pdu::new(
        seq,
        Body::Bind(sgip::Bind::sp_to_smg("spuser", "sppass").unwrap()),
    );
    assert_eq!(built.to_bytes().unwrap(), frame(EX1_BIND));
}

#[test]
fn example_2_bind_resp() {
    let pdu = round_trip(EX2_BIND_RESP, 0x8000_0001, sp_seq(1));
    assert_eq!(pdu.command_name(), "SGIP_BIND_RESP");
    let Body::BindResp(resp) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(resp.result, 0);
    assert!(resp.reserve.is_empty());
    // The response to Example 1 is exactly Example 2.
    let bind = decode(&frame(EX1_BIND)).unwrap();
    assert_eq!(
        bind.response(0).unwrap().to_bytes().unwrap(),
        frame(EX2_BIND_RESP)
    );
}

#[test]
fn example_3_submit() {
    let bytes = frame(EX3_SUBMIT);
    let pdu = round_trip(EX3_SUBMIT, 0x0000_0003, sp_seq(2));
    assert_eq!(pdu.command_name(), "SGIP_SUBMIT");
    assert_eq!(pdu.encoded_len(), 168);
    let Body::Submit(s) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(s.sp_number.value(), b"10655012345");
    assert_eq!(s.charge_number, CHARGE_SP);
    assert_eq!(s.charge_number.value(), b"000000000000000000000");
    assert_eq!(s.user_count(), 1);
    assert_eq!(s.user_numbers[0].value(), b"8613012345678");
    assert_eq!(s.corp_id.value(), b"12345");
    assert_eq!(s.service_type.value(), b"TEST");
    assert_eq!(s.fee_type, 1);
    assert_eq!(s.fee_value.value(), b"0");
    assert_eq!(s.given_value.value(), b"0");
    assert_eq!(s.agent_flag, 0);
    assert_eq!(s.morelateto_mt_flag, 2);
    assert_eq!(s.priority, 0);
    assert!(s.expire_time.is_empty());
    assert!(s.schedule_time.is_empty());
    assert_eq!(s.report_flag, 1);
    assert_eq!(s.tp_pid, 0);
    assert_eq!(s.tp_udhi, 0);
    assert!(!s.has_udh());
    assert_eq!(s.message_coding, 8);
    assert_eq!(s.message_type, 0);
    assert_eq!(&s.message_content[..], &[0x4f, 0x60, 0x59, 0x7d]);
    assert_eq!(s.text().as_deref(), Some("你好"));
    assert!(s.reserve.is_empty());
    assert_eq!(s.link_id(), None);
    assert_eq!(s.check(), Ok(()));
    // The content is a view into the frame, at offset 156, not a copy.
    let Body::Submit(view) = decode(&bytes).unwrap().body else {
        panic!()
    };
    assert_eq!(
        view.message_content.as_ptr() as usize - bytes.as_ptr() as usize,
        156
    );

    // Built from scratch with the public API, the same Submit is the same bytes.
    let built = Submit {
        charge_number: CHARGE_SP,
        corp_id: Octets::new(b"12345").unwrap(),
        service_type: Octets::new(b"TEST").unwrap(),
        fee_type: 1,
        fee_value: Octets::new(b"0").unwrap(),
        given_value: Octets::new(b"0").unwrap(),
        report_flag: 1,
        ..Submit::new(
            "10655012345",
            "8613012345678",
            8,
            Bytes::from_static(&[0x4f, 0x60, 0x59, 0x7d]),
        )
        .unwrap()
    };
    assert_eq!(
        Pdu::new(sp_seq(2), Body::Submit(built)).to_bytes().unwrap(),
        bytes
    );

    // Its Submit_Resp (Result 0) echoes the sequence number.
    let resp = pdu.response(0).unwrap();
    assert_eq!(resp.command_id(), 0x8000_0003);
    let resp_bytes = resp.to_bytes().unwrap();
    assert_eq!(
        wire::hex::encode(&resp_bytes),
        "0000001d80000003b36924b90614dc4500000002000000000000000000"
    );
    assert_eq!(decode(&resp_bytes).unwrap(), resp);
}

#[test]
fn example_4_deliver() {
    let bytes = frame(EX4_DELIVER);
    let seq = smg_seq(5, 0, 77);
    assert_eq!(seq.timestamp, 102_030_500);
    let pdu = round_trip(EX4_DELIVER, 0x0000_0004, seq);
    assert_eq!(pdu.command_name(), "SGIP_DELIVER");
    assert_eq!(pdu.encoded_len(), 81);
    let Body::Deliver(d) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(d.user_number.value(), b"8613012345678");
    assert_eq!(d.sp_number.value(), b"1065501234588");
    assert!(
        d.sp_number.value().starts_with(b"10655012345"),
        "SPNumber + extension 88"
    );
    assert_eq!(d.tp_pid, 0);
    assert_eq!(d.tp_udhi, 0);
    assert_eq!(d.message_coding, 15);
    assert_eq!(&d.message_content[..], &[0xcd, 0xcb, 0xb6, 0xa9]);
    assert_eq!(d.text().as_deref(), Some("退订"));
    assert_eq!(d.concat(), None);
    assert!(d.reserve.is_empty());
    assert_eq!(d.link_id(), None);
    let Body::Deliver(view) = decode(&bytes).unwrap().body else {
        panic!()
    };
    assert_eq!(
        view.message_content.as_ptr() as usize - bytes.as_ptr() as usize,
        69
    );

    let built = Deliver::new(
        "8613012345678",
        "1065501234588",
        15,
        Bytes::from_static(b"\xcd\xcb\xb6\xa9"),
    )
    .unwrap();
    assert_eq!(
        Pdu::new(seq, Body::Deliver(built)).to_bytes().unwrap(),
        bytes
    );
    let resp = pdu.response(0).unwrap().to_bytes().unwrap();
    assert_eq!(
        wire::hex::encode(&resp),
        "0000001d8000000400018a890614dca40000004d000000000000000000"
    );
}

#[test]
fn example_5_report() {
    let seq = smg_seq(5, 10, 78);
    assert_eq!(seq.timestamp, 102_030_510);
    let pdu = round_trip(EX5_REPORT, 0x0000_0005, seq);
    assert_eq!(pdu.command_name(), "SGIP_REPORT");
    assert_eq!(pdu.encoded_len(), 64);
    let Body::Report(r) = &pdu.body else {
        panic!("{pdu:?}")
    };
    // It reports on the Submit of Example 3.
    assert_eq!(r.submit_sequence, sp_seq(2));
    assert_eq!(r.submit_sequence.to_string(), "3010012345-0102030405-2");
    assert_eq!(
        decode(&frame(EX3_SUBMIT)).unwrap().sequence,
        r.submit_sequence
    );
    assert_eq!(r.report_type, 0);
    assert_eq!(r.user_number.value(), b"8613012345678");
    assert_eq!(r.state, ReportState::Delivered);
    assert!(r.is_delivered());
    assert_eq!(r.state_meaning(), "delivered");
    assert_eq!(r.error_code, 0);
    assert!(r.reserve.is_empty());

    let built = Report::for_submit(sp_seq(2), "8613012345678", ReportState::Delivered, 0).unwrap();
    assert_eq!(
        Pdu::new(seq, Body::Report(built)).to_bytes().unwrap(),
        frame(EX5_REPORT)
    );
}

#[test]
fn example_5r_report_resp() {
    let pdu = round_trip(EX5R_REPORT_RESP, 0x8000_0005, smg_seq(5, 10, 78));
    assert_eq!(pdu.command_name(), "SGIP_REPORT_RESP");
    let Body::ReportResp(resp) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(resp.result, 0);
    assert!(resp.reserve.is_empty());
    let report = decode(&frame(EX5_REPORT)).unwrap();
    assert_eq!(report.response(0).unwrap(), pdu);
}

#[test]
fn example_6_userrpt() {
    let seq = smg_seq(6, 0, 79);
    assert_eq!(seq.timestamp, 102_030_600);
    let pdu = round_trip(EX6_USERRPT, 0x0000_0011, seq);
    assert_eq!(pdu.command_name(), "SGIP_USERRPT");
    assert_eq!(pdu.encoded_len(), 71);
    let Body::Userrpt(u) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(u.sp_number.value(), b"10655012345");
    assert_eq!(u.user_number.value(), b"8613012345678");
    assert_eq!(u.user_condition, 1);
    assert_eq!(u.user_condition_meaning(), "suspended for arrears");
    assert!(u.reserve.is_empty());
    let built = Userrpt::new("10655012345", "8613012345678", 1).unwrap();
    assert_eq!(
        Pdu::new(seq, Body::Userrpt(built)).to_bytes().unwrap(),
        frame(EX6_USERRPT)
    );
    let resp = pdu.response(0).unwrap();
    assert_eq!(resp.command_name(), "SGIP_USERRPT_RESP");
    assert_eq!(resp.encoded_len(), 29);
}

#[test]
fn example_7a_unbind() {
    let pdu = round_trip(EX7A_UNBIND, 0x0000_0002, sp_seq(3));
    assert_eq!(pdu.body, Body::Unbind);
    assert_eq!(pdu.command_name(), "SGIP_UNBIND");
    assert_eq!(pdu.encoded_len(), 20);
}

#[test]
fn example_7b_unbind_resp() {
    let pdu = round_trip(EX7B_UNBIND_RESP, 0x8000_0002, sp_seq(3));
    assert_eq!(pdu.body, Body::UnbindResp);
    assert!(pdu.is_response());
    let unbind = decode(&frame(EX7A_UNBIND)).unwrap();
    assert_eq!(unbind.response(0).unwrap(), pdu);
}

#[test]
fn smg_node_id_of_the_examples() {
    // The SMG-originated examples use node 101001 = 0x00018a89.
    assert_eq!(SMG_NODE.to_be_bytes(), [0x00, 0x01, 0x8a, 0x89]);
}

#[test]
fn examples_render_to_json() {
    let v = decode(&frame(EX3_SUBMIT)).unwrap().to_json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "protocol",
        "command",
        "command_id",
        "total_length",
        "sequence_number",
        "sp_number",
        "charge_number",
        "user_count",
        "user_number",
        "corp_id",
        "service_type",
        "fee_type",
        "fee_value",
        "given_value",
        "agent_flag",
        "morelateto_mt_flag",
        "priority",
        "expire_time",
        "schedule_time",
        "report_flag",
        "tp_pid",
        "tp_udhi",
        "message_coding",
        "message_type",
        "message_length",
        "message_content",
        "reserve",
        "link_id",
    ] {
        assert!(keys.contains(&key), "missing {key}");
    }
    assert_eq!(v["command"], "SGIP_SUBMIT");
    assert_eq!(v["command_id"], "0x00000003");
    assert_eq!(v["total_length"], 168);
    assert_eq!(v["sequence_number"]["text"], "3010012345-0102030405-2");
    assert_eq!(v["message_content"]["text"], "你好");
    assert_eq!(v["message_content"]["coding"], "ucs2");
    assert_eq!(v["fee_type_meaning"], "free");
    assert_eq!(v["report_flag_meaning"], "always report");

    let v = decode(&frame(EX4_DELIVER)).unwrap().to_json();
    assert_eq!(v["sequence_number"]["node_id"], SMG_NODE);
    assert_eq!(v["sp_number"], "1065501234588");
    assert_eq!(v["message_content"]["text"], "退订");
    assert_eq!(v["message_content"]["coding"], "gbk");

    let v = decode(&frame(EX5_REPORT)).unwrap().to_json();
    assert_eq!(v["submit_sequence_number"]["node_id"], SP_NODE);
    assert_eq!(v["submit_sequence_number"]["timestamp"], 102_030_405);
    assert_eq!(v["state_meaning"], "delivered");
    assert_eq!(v["error_code_meaning"], "success");

    let v = decode(&frame(EX6_USERRPT)).unwrap().to_json();
    assert_eq!(v["user_condition_meaning"], "suspended for arrears");
    let v = decode(&frame(EX1_BIND)).unwrap().to_json();
    assert_eq!(v["login_name"], "spuser");
    assert_eq!(v["login_password"]["redacted"], true);
    let v = decode(&frame(EX2_BIND_RESP)).unwrap().to_json();
    assert_eq!(v["result_meaning"], "success");
}
