//! The reference's known disagreements touching SGIP (README 15–18, 20) and the
//! TP_udhi 0x40 form: every seen form is accepted on input, the spec form is what we
//! emit, and both are tested here. Also Trace / Trace_Resp, for which the reference
//! has a field table but no worked example (fixtures built from the table).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use sgip::command;
use sgip::status::{is_flow_control, result_meaning};
use sgip::{Body, Deliver, NodeIdWidth, Pdu, SequenceNumber, Submit, Trace, UserNumbers, decode};

fn frame(hex: &str) -> Bytes {
    Bytes::from(wire::hex::decode(hex).unwrap())
}

fn sp_seq(counter: u32) -> SequenceNumber {
    SequenceNumber {
        node_id: 3_010_012_345,
        timestamp: 102_030_405,
        counter,
    }
}

/// Trace of Submit 3010012345-0102030405-2 to 8613012345678, sequence counter 5.
const TRACE: &str = "0000003d00001000b36924b90614dc4500000005b36924b90614dc45000000023836313330313233343536373800000000000000000000000000000000";
/// Trace_Resp with two records (SMG 101001 received, SMSC 201001 waiting), 10-byte NodeId.
const TRACE_RESP_10: &str = "0000007b80001000b36924b90614dc450000000502003130313030310000000032353031303230333034303500000000323530313032303330343036000000000000000000000000013230313030310000000032353031303230333034303500000000323530313032303330343036000000000000000000000000";
/// The same records with the 6-byte NodeId of SMSGate / feiying_sgip.
const TRACE_RESP_6: &str = "0000007380001000b36924b90614dc45000000050200313031303031323530313032303330343035000000003235303130323033303430360000000000000000000000000132303130303132353031303230333034303500000000323530313032303330343036000000000000000000000000";

#[test]
fn trace_decodes_and_round_trips() {
    let bytes = frame(TRACE);
    let pdu = decode(&bytes).unwrap();
    assert_eq!(pdu.command_name(), "SGIP_TRACE");
    assert_eq!(pdu.sequence, sp_seq(5));
    let Body::Trace(t) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(t.submit_sequence, sp_seq(2));
    assert_eq!(t.user_number.value(), b"8613012345678");
    assert!(t.reserve.is_empty());
    let built = Pdu::new(
        sp_seq(5),
        Body::Trace(Trace::new(sp_seq(2), "8613012345678").unwrap()),
    );
    assert_eq!(built.to_bytes().unwrap(), bytes);
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
}

/// Disagreement 15: Trace_Resp NodeId is 10 bytes in the SGIP 1.3 text, 6 in SMSGate
/// and feiying_sgip. Both decode to the same records; each re-encodes to its own form.
#[test]
fn disagreement_15_trace_resp_node_id_6_and_10() {
    let ten = decode(&frame(TRACE_RESP_10)).unwrap();
    let six = decode(&frame(TRACE_RESP_6)).unwrap();
    let (Body::TraceResp(t10), Body::TraceResp(t6)) = (&ten.body, &six.body) else {
        panic!("{ten:?} {six:?}")
    };
    assert_eq!(t10.node_id_width, NodeIdWidth::Ten);
    assert_eq!(t6.node_id_width, NodeIdWidth::Six);
    assert_eq!(t10.records, t6.records);
    let r = &t10.records;
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].result, r[0].node_id.value()), (0, &b"101001"[..]));
    assert_eq!((r[1].result, r[1].node_id.value()), (1, &b"201001"[..]));
    assert_eq!(r[0].node_id_number(), Some(101_001));
    assert_eq!(r[0].receive_time.value(), b"250102030405");
    assert_eq!(r[0].send_time.value(), b"250102030406");
    assert_eq!(r[1].result_meaning(), "waiting at this node");
    // Each form re-encodes byte-exactly.
    assert_eq!(ten.to_bytes().unwrap(), frame(TRACE_RESP_10));
    assert_eq!(six.to_bytes().unwrap(), frame(TRACE_RESP_6));
    // A response we build emits the specification's 10-byte form.
    let trace = decode(&frame(TRACE)).unwrap();
    let built = trace.reply(Body::TraceResp(sgip::TraceResp {
        records: t6.records.clone(),
        ..Default::default()
    }));
    assert_eq!(built.to_bytes().unwrap(), frame(TRACE_RESP_10));
}

/// Disagreement 16: codes 32–34 read differently by the 1.3 main table and appendix.
#[test]
fn disagreement_16_codes_32_to_34_give_both_readings() {
    assert_eq!(
        result_meaning(32),
        "system failure (appendix) / packet format error (1.3 main table)"
    );
    assert!(result_meaning(33).contains("SMSC queue full"));
    assert!(result_meaning(33).contains("flow limit exceeded"));
    assert!(result_meaning(34).contains("IN-platform charging failed"));
    assert!(result_meaning(34).contains("logins too frequent"));
    // Either reading of 33 means "slow down".
    assert!(is_flow_control(33) && is_flow_control(11) && !is_flow_control(32));
}

/// Disagreement 17 and the GNS family: no typed bodies, decoded as Unknown but named.
#[test]
fn disagreement_17_modifysmg_resp_and_gns_commands_are_unknown_but_named() {
    assert_eq!(command::MODIFYSMG_RESP, 0x8000_000E);
    for (id, name) in [
        (0x0000_0006, "SGIP_ADDSP"),
        (0x8000_0009, "SGIP_QUERYROUTE_RESP"),
        (0x0000_000E, "SGIP_MODIFYSMG"),
        (0x8000_000E, "SGIP_MODIFYSMG_RESP"),
        (0x0000_0010, "SGIP_CHECKUSER"),
    ] {
        let mut raw = Vec::new();
        raw.extend_from_slice(&25u32.to_be_bytes());
        raw.extend_from_slice(&u32::to_be_bytes(id));
        raw.extend_from_slice(&sp_seq(9).to_bytes());
        raw.extend_from_slice(b"\x00abcd");
        let bytes = Bytes::from(raw);
        let pdu = decode(&bytes).unwrap();
        assert_eq!(pdu.command_name(), name);
        assert_eq!(pdu.is_response(), id & 0x8000_0000 != 0);
        let Body::Unknown { command_id, body } = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(*command_id, id);
        assert_eq!(&body[..], b"\x00abcd");
        assert_eq!(pdu.to_bytes().unwrap(), bytes);
    }
}

/// Disagreement 18: UserCount may be 1–100 though Unicom 1.3 accepts only 1.
#[test]
fn disagreement_18_user_count_up_to_100() {
    for n in [2usize, 100] {
        let numbers: Vec<String> = (0..n).map(|k| format!("86130{k:08}")).collect();
        let submit = Submit {
            user_numbers: UserNumbers::parse(&numbers).unwrap(),
            ..Submit::new("10655012345", "8613000000000", 0, Bytes::from_static(b"hi")).unwrap()
        };
        let pdu = Pdu::new(sp_seq(2), Body::Submit(submit));
        let bytes = pdu.to_bytes().unwrap();
        assert_eq!(bytes.len(), 143 + 21 * n + 2);
        let back = decode(&bytes).unwrap();
        let Body::Submit(s) = &back.body else {
            panic!()
        };
        assert_eq!(s.user_count(), n);
        assert_eq!(s.user_numbers[n - 1].value(), numbers[n - 1].as_bytes());
        assert_eq!(back, pdu);
    }
}

/// Disagreement 20 (login timestamps): gateways do not validate the clock, and the
/// sequence-number time part is not validated either — any value decodes.
#[test]
fn disagreement_20_any_sequence_time_decodes() {
    for timestamp in [0, 8_080_808, u32::MAX] {
        let seq = SequenceNumber {
            node_id: 1,
            timestamp,
            counter: 0,
        };
        let bytes = Pdu::new(seq, Body::Unbind).to_bytes().unwrap();
        assert_eq!(decode(&bytes).unwrap().sequence, seq);
    }
}

/// TP_udhi: the spec value is 1, some gateways send 0x40; both mean "UDH present".
#[test]
fn tp_udhi_0x40_is_accepted_and_1_is_emitted() {
    let content = Bytes::from_static(&[0x05, 0x00, 0x03, 0x5a, 0x02, 0x01, 0x4f, 0x60]);
    let mut d = Deliver::new("8613012345678", "10655012345", 8, content).unwrap();
    d.tp_udhi = 0x40;
    let bytes = Pdu::new(sp_seq(1), Body::Deliver(d)).to_bytes().unwrap();
    let pdu = decode(&bytes).unwrap();
    let Body::Deliver(got) = &pdu.body else {
        panic!()
    };
    assert_eq!(got.tp_udhi, 0x40, "kept raw so it re-encodes byte-exactly");
    assert!(got.has_udh());
    assert_eq!(got.concat().map(|c| (c.total, c.number)), Some((2, 1)));
    assert_eq!(got.text().as_deref(), Some("你"));
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
    let mut reply = got.clone();
    reply.set_udhi(true);
    assert_eq!(reply.tp_udhi, 1);
}
