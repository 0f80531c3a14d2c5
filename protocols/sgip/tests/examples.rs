//! Every worked hex example of the SGIP reference (`sgip.md` §12): each decodes to the
//! documented field values and re-encodes to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use sgip::{Body, LoginType, Pdu, SequenceNumber, Timestamp, decode};

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
