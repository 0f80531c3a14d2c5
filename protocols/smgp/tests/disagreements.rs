//! The README's "Known disagreements" that touch SMGP: every form seen is accepted on
//! input, the spec form is emitted. (8 and 9 are covered next to Examples 2 and 5 in
//! `examples.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use smgp::auth::ClientIdForm;
use smgp::status::stat_meaning;
use smgp::tlv::{Tlv, tag, tag_for_name, tag_name};
use smgp::{
    Body, Deliver, Login, LoginMode, MsgId, Pdu, StatusReport, SubmitResp, Timestamp, Version,
    decode,
};
use wire::Octets;

fn bytes(hex: &str) -> Bytes {
    Bytes::from(wire::hex::decode(hex).unwrap())
}

const EX3: &str = "000000970000000200000002060101544553540000000000003030303030303030303030303030080000000000000000000000000000000000000000000000000000000000000000000031303635393031323334350000000000000000000000000000000000000000000000000000000000000001313333303030303030303000000000000000000000044f60597d0000000000000000";

#[test]
fn d10_ids_8_and_9_are_named_per_version_and_kept_raw() {
    let frame = bytes("0000000e00000008000000010a0b");
    for (version, name) in [
        (Version::V30, "SMGP_QUERY_TE_ROUTE"),
        (Version::V20, "SMGP_MT_ROUTE_UPDATE"),
    ] {
        let pdu = decode(version, &frame).unwrap();
        assert_eq!(
            pdu.body,
            Body::Unknown {
                command_id: 8,
                body: Bytes::from_static(&[0x0a, 0x0b])
            }
        );
        assert_eq!(pdu.to_json(version)["command"], name);
        assert_eq!(pdu.to_bytes(version).unwrap(), frame);
    }
    let pdu = decode(Version::V20, &bytes("0000000c8000000900000001")).unwrap();
    assert_eq!(
        pdu.to_json(Version::V20)["command"],
        "SMGP_MO_ROUTE_UPDATE_RESP"
    );
    assert_eq!(pdu.command_name(), "SMGP_QUERY_SP_ROUTE_RESP");
}

#[test]
fn d11_non_bcd_msg_ids_decode_and_correlate_as_bytes() {
    // gosmgp-style id: %06x gateway code and sequence.
    let frame = bytes("0000001a80000002000000020f423f0102130400ffff00000000");
    let pdu = decode(Version::V30, &frame).unwrap();
    let Body::SubmitResp(SubmitResp { msg_id, .. }) = pdu.body else {
        panic!("not a submit resp")
    };
    assert!(!msg_id.is_bcd());
    assert_eq!(msg_id.parts(), None);
    assert_eq!(msg_id.to_string(), "0f423f0102130400ffff");
    let v = pdu.to_json(Version::V30);
    assert_eq!(v["msg_id"]["digits"], serde_json::Value::Null);
    assert_eq!(v["msg_id"]["hex"], "0f423f0102130400ffff");
    assert_eq!(pdu.to_bytes(Version::V30).unwrap(), frame);
    // A report that quotes it matches by bytes.
    let r = StatusReport {
        msg_id,
        ..StatusReport::default()
    };
    let d = Deliver::for_report(MsgId::ZERO, &r);
    assert_eq!(d.report().unwrap().unwrap().msg_id, msg_id);
}

#[test]
fn d12_submit_without_fixed_fee_in_13() {
    // Example 3 laid out for SMGP 1.3: the 6 FixedFee bytes at offset 33 removed.
    let hex = format!("00000091{}{}", &EX3[8..66], &EX3[78..]);
    let frame = bytes(&hex);
    let pdu = decode(Version::V13, &frame).unwrap();
    let Body::Submit(s) = &pdu.body else {
        panic!("not a submit")
    };
    assert!(s.fixed_fee.is_empty());
    assert_eq!(s.fee_code.value(), b"000000");
    assert_eq!(s.msg_format, 8);
    assert_eq!(s.src_term_id.value(), b"10659012345");
    assert_eq!(s.dest_term_ids[0].value(), b"13300000000");
    assert_eq!(&s.msg_content[..], &[0x4f, 0x60, 0x59, 0x7d]);
    assert_eq!(pdu.to_bytes(Version::V13).unwrap(), frame);
    // The same bytes are not a 3.0 Submit.
    assert!(decode(Version::V30, &frame).is_err());
    // Example 3 itself reads the same in 2.0 and 3.0.
    let ex3 = bytes(EX3);
    assert_eq!(
        decode(Version::V20, &ex3).unwrap(),
        decode(Version::V30, &ex3).unwrap()
    );
}

#[test]
fn d13_vmfluctl_is_recognised_in_both_lengths() {
    assert_eq!(stat_meaning(b"VMFLUCTL"), "virtual number flow control");
    // What actually fits the 7-byte field.
    let r = StatusReport {
        stat: Octets(*b"VMFLUCT"),
        ..StatusReport::default()
    };
    let parsed = StatusReport::parse(&r.to_bytes()).unwrap();
    assert_eq!(parsed.stat_meaning(), "virtual number flow control");
    assert!(!parsed.is_delivered());
}

#[test]
fn d14_sp_deal_result_spellings() {
    assert_eq!(tag_name(tag::SP_DEAL_RESLT), Some("SPDealReslt"));
    for n in ["SPDealReslt", "SPDealResult", "SpDealResult"] {
        assert_eq!(tag_for_name(n), Some(0x000C));
    }
    assert_eq!(Tlv::SpDealReslt(1).name(), "SPDealReslt");
}

#[test]
fn d20_placeholder_login_timestamp_is_accepted() {
    // Huawei SMProxy always sends 0008080808.
    let ts = Timestamp::from_wire(8_080_808).unwrap();
    assert_eq!(ts.to_string(), "0008080808");
    let login = Login::new("12345678", b"pass1234", LoginMode::Send, ts, Version::V30).unwrap();
    assert_eq!(login.timestamp, 8_080_808);
    let frame = Pdu::new(1, Body::Login(login.clone()))
        .to_bytes(Version::V30)
        .unwrap();
    let Body::Login(back) = decode(Version::V30, &frame).unwrap().body else {
        panic!("not a login")
    };
    assert_eq!(back, login);
    assert_eq!(back.verify(b"pass1234"), Some(ClientIdForm::Unpadded));
    assert_eq!(back.timestamp(), Some(ts));
}

#[test]
fn login_with_a_padded_client_id_digest_verifies() {
    // gosmgp hashes the 8-byte ClientID field with its 0x00 padding.
    let id = Octets::<8>::new(b"sp01").unwrap();
    let auth = smgp::auth::authenticator_client(id.raw(), b"k", 102_030_405);
    let login = Login {
        client_id: id,
        authenticator_client: auth,
        timestamp: 102_030_405,
        ..Login::default()
    };
    assert_eq!(login.verify(b"k"), Some(ClientIdForm::Padded));
}
