//! Every worked hex example of the SGIP reference (`sgip.md` §12): each decodes to the
//! documented field values and re-encodes to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use sgip::submit::CHARGE_SP;
use sgip::{Body, LoginType, Pdu, SequenceNumber, Submit, Timestamp, decode};
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

fn sp_seq(counter: u32) -> SequenceNumber {
    let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
    SequenceNumber::new(SP_NODE, ts, counter)
}

const EX1_BIND: &str = "0000003d00000001b36924b90614dc45000000010173707573657200000000000000000000737070617373000000000000000000000000000000000000";
const EX2_BIND_RESP: &str = "0000001d80000001b36924b90614dc4500000001000000000000000000";
const EX3_SUBMIT: &str = "000000a800000003b36924b90614dc4500000002313036353530313233343500000000000000000000303030303030303030303030303030303030303030013836313330313233343536373800000000000000003132333435544553540000000000000130000000000030000000000000020000000000000000000000000000000000000000000000000000000000000000000100000800000000044f60597d0000000000000000";
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
