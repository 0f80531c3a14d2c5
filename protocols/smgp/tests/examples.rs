//! Every worked hex example of /work/shared/protocols/smgp.md §12 decodes to the
//! documented field values and re-encodes to the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use smgp::auth::{self, ClientIdForm, StatusHashForm};
use smgp::tlv::Tlv;
use smgp::{
    Body, Deliver, DeliverResp, LoginMode, MsgId, MsgIdParts, MsgIdTime, Pdu, StatusReport, Submit,
    SubmitResp, Timestamp, Tlvs, Version, decode,
};
use wire::Octets;

const SECRET: &[u8] = b"pass1234";

fn round_trip(hex: &str) -> Pdu {
    let raw = Bytes::from(wire::hex::decode(hex).unwrap());
    let pdu = decode(Version::V30, &raw).unwrap();
    assert_eq!(
        pdu.encode_to_vec(Version::V30).unwrap(),
        raw.to_vec(),
        "re-encode of {}",
        pdu.command_name()
    );
    pdu
}

#[test]
fn example_1_login() {
    let pdu = round_trip(
        "0000002a000000010000000131323334353637383a6a2cc92a23726643dbdfeeeb7c2b96020614dc4530",
    );
    assert_eq!(pdu.sequence_id, 1);
    assert_eq!(pdu.command_id(), 0x0000_0001);
    assert_eq!(pdu.command_name(), "SMGP_LOGIN");
    let Body::Login(login) = &pdu.body else {
        panic!("not a login: {pdu:?}")
    };
    assert_eq!(login.client_id.value(), b"12345678");
    assert_eq!(
        wire::hex::encode(&login.authenticator_client),
        "3a6a2cc92a23726643dbdfeeeb7c2b96"
    );
    assert_eq!(login.login_mode, LoginMode::Transmit);
    assert_eq!(login.timestamp, 102_030_405);
    assert_eq!(
        login.timestamp(),
        Some(Timestamp::new(1, 2, 3, 4, 5).unwrap())
    );
    assert_eq!(login.client_version, 0x30);
    assert_eq!(login.verify(SECRET), Some(ClientIdForm::Unpadded));

    // The constructor reproduces the example from its inputs.
    let built = smgp::Login::new(
        "12345678",
        SECRET,
        LoginMode::Transmit,
        Timestamp::new(1, 2, 3, 4, 5).unwrap(),
        Version::V30,
    )
    .unwrap();
    assert_eq!(&built, login);
}

#[test]
fn example_2_login_resp() {
    let pdu = round_trip("00000021800000010000000100000000bc8eddfa52301420d5a9b9047af5b19630");
    assert_eq!(pdu.sequence_id, 1);
    assert_eq!(pdu.command_name(), "SMGP_LOGIN_RESP");
    assert!(pdu.is_response());
    let Body::LoginResp(resp) = &pdu.body else {
        panic!("not a login resp")
    };
    assert_eq!(resp.status, 0);
    assert_eq!(
        wire::hex::encode(&resp.authenticator_server),
        "bc8eddfa52301420d5a9b9047af5b196"
    );
    assert_eq!(resp.server_version, 0x30);
    let client = auth::authenticator_client(b"12345678", SECRET, 102_030_405);
    assert_eq!(resp.verify(&client, SECRET), Some(StatusHashForm::U32Be));
    // The 1-byte variant quoted in the reference verifies too (disagreement 8).
    let one_byte: [u8; 16] = wire::hex::decode("2b4d76ac6fcd82aa2372df85e670d162")
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        auth::verify_authenticator_server(0, &client, SECRET, &one_byte),
        Some(StatusHashForm::U8)
    );
}

#[test]
fn examples_7_active_test_and_exit() {
    let cases = [
        (
            "0000000c0000000400000009",
            Body::ActiveTest,
            9,
            "SMGP_ACTIVE_TEST",
        ),
        (
            "0000000c8000000400000009",
            Body::ActiveTestResp,
            9,
            "SMGP_ACTIVE_TEST_RESP",
        ),
        ("0000000c000000060000000a", Body::Exit, 10, "SMGP_EXIT"),
        (
            "0000000c800000060000000a",
            Body::ExitResp,
            10,
            "SMGP_EXIT_RESP",
        ),
    ];
    for (hex, body, seq, name) in cases {
        let pdu = round_trip(hex);
        assert_eq!(pdu, Pdu::new(seq, body));
        assert_eq!(pdu.command_name(), name);
    }
}

const EX3: &str = "000000970000000200000002060101544553540000000000003030303030303030303030303030080000000000000000000000000000000000000000000000000000000000000000000031303635393031323334350000000000000000000000000000000000000000000000000000000000000001313333303030303030303000000000000000000000044f60597d0000000000000000";
const EX3B: &str = "000000ae00000002000000030601015445535400000000000030303030303030303030303030300800000000000000000000000000000000000000000000000000000000000000000000313036353930313233343500000000000000000000000000000000000000000000000000000000000000013133333030303030303030000000000000000000000c0500032a02017b2c4e006bb5000000000000000000020001010009000102000a000101";

fn assert_example_3_fields(s: &Submit) {
    assert_eq!(s.msg_type, 6);
    assert_eq!(s.need_report, 1);
    assert_eq!(s.priority, 1);
    assert_eq!(s.service_id.value(), b"TEST");
    assert_eq!(s.fee_type.value(), b"00");
    assert_eq!(s.fee_code.value(), b"000000");
    assert_eq!(s.fixed_fee.value(), b"000000");
    assert_eq!(s.msg_format, 8);
    assert!(s.valid_time.is_empty());
    assert!(s.at_time.is_empty());
    assert_eq!(s.src_term_id.value(), b"10659012345");
    assert!(s.charge_term_id.is_empty());
    assert_eq!(s.dest_term_ids.len(), 1);
    assert_eq!(s.dest_term_ids[0].value(), b"13300000000");
    assert!(s.reserve.is_empty());
}

#[test]
fn example_3_submit() {
    let pdu = round_trip(EX3);
    assert_eq!(pdu.sequence_id, 2);
    assert_eq!(pdu.command_name(), "SMGP_SUBMIT");
    let Body::Submit(s) = &pdu.body else {
        panic!("not a submit")
    };
    assert_example_3_fields(s);
    assert_eq!(&s.msg_content[..], &[0x4f, 0x60, 0x59, 0x7d]);
    assert!(s.tlvs.is_empty());
    assert!(!s.udhi());

    // Built from its inputs with the defaults, it is the same PDU.
    let built = Submit {
        service_id: Octets::new(b"TEST").unwrap(),
        ..Submit::mt(
            "10659012345",
            &["13300000000"],
            8,
            Bytes::from_static(&[0x4f, 0x60, 0x59, 0x7d]),
        )
        .unwrap()
    };
    assert_eq!(&built, s);
    assert_eq!(
        wire::hex::encode(
            &Pdu::new(2, Body::Submit(built))
                .encode_to_vec(Version::V30)
                .unwrap()
        ),
        EX3
    );
}

#[test]
fn example_3b_submit_segment_with_tlvs() {
    let pdu = round_trip(EX3B);
    assert_eq!(pdu.sequence_id, 3);
    let Body::Submit(s) = &pdu.body else {
        panic!("not a submit")
    };
    assert_example_3_fields(s);
    assert_eq!(
        wire::hex::encode(&s.msg_content),
        "0500032a02017b2c4e006bb5"
    );
    assert_eq!(
        s.tlvs.0,
        vec![Tlv::TpUdhi(1), Tlv::PkTotal(2), Tlv::PkNumber(1)]
    );
    assert_eq!(s.tlvs, Tlvs::segment(2, 1));
    assert!(s.udhi());
    assert_eq!((s.tlvs.pk_total(), s.tlvs.pk_number()), (Some(2), Some(1)));
}

#[test]
fn example_3b_with_tp_udhi_0x40_is_accepted_and_kept() {
    // Same PDU with TP_udhi = 0x40 (some gateways): still "UDH present", and the value
    // is kept so the frame re-encodes as received.
    let hex = EX3B.replacen("020001010009", "020001400009", 1);
    let pdu = round_trip(&hex);
    let Body::Submit(s) = &pdu.body else {
        panic!("not a submit")
    };
    assert_eq!(s.tlvs.tp_udhi(), Some(0x40));
    assert!(s.udhi());
}

#[test]
fn example_4_submit_resp() {
    let pdu = round_trip("0000001a80000002000000020100610102130400000100000000");
    assert_eq!(pdu.sequence_id, 2);
    assert_eq!(pdu.command_name(), "SMGP_SUBMIT_RESP");
    let Body::SubmitResp(r) = &pdu.body else {
        panic!("not a submit resp")
    };
    assert_eq!(r.status, 0);
    assert_eq!(r.msg_id.to_string(), "01006101021304000001");
    assert_eq!(
        r.msg_id.parts(),
        Some(MsgIdParts {
            smgw: 10_061,
            time: MsgIdTime {
                month: 1,
                day: 2,
                hour: 13,
                minute: 4
            },
            sequence: 1
        })
    );
    let built = SubmitResp {
        msg_id: MsgId::new(r.msg_id.parts().unwrap()).unwrap(),
        status: 0,
    };
    assert_eq!(&built, r);
}

const EX5: &str = "000000d300000003000000c801006101021305000002010032303234303130323133303530303133333030303030303030000000000000000000003130363539303132333435000000000000000000007a69643a01006101021304000001207375623a30303120646c7672643a303031205375626d697420646174653a3234303130323133303420646f6e6520646174653a3234303130323133303520737461743a44454c49565244206572723a30303020546578743a3030344f60597d000000000000000000000000000000000000000000";

fn deliver(pdu: &Pdu) -> &Deliver {
    let Body::Deliver(d) = &pdu.body else {
        panic!("not a deliver: {pdu:?}")
    };
    d
}

fn assert_example_5_report(r: &StatusReport) {
    assert_eq!(r.msg_id.to_string(), "01006101021304000001");
    assert_eq!(r.sub.value(), b"001");
    assert_eq!(r.dlvrd.value(), b"001");
    assert_eq!(r.submit_date.value(), b"2401021304");
    assert_eq!(r.done_date.value(), b"2401021305");
    assert_eq!(r.stat.value(), b"DELIVRD");
    assert!(r.is_delivered());
    assert_eq!(r.err.value(), b"000");
    assert_eq!(r.err_code(), Some(0));
    assert_eq!(r.text_length(), Some(4));
    assert_eq!(&r.text_content()[..4], &[0x4f, 0x60, 0x59, 0x7d]);
    assert!(r.text_content()[4..].iter().all(|&b| b == 0));
}

#[test]
fn example_5_deliver_status_report() {
    let pdu = round_trip(EX5);
    assert_eq!(pdu.sequence_id, 200);
    assert_eq!(pdu.command_name(), "SMGP_DELIVER");
    let d = deliver(&pdu);
    assert_eq!(d.msg_id.to_string(), "01006101021305000002");
    assert_eq!(d.is_report, 1);
    assert_eq!(d.msg_format, 0);
    assert_eq!(d.recv_time.value(), b"20240102130500");
    assert_eq!(d.src_term_id.value(), b"13300000000");
    assert_eq!(d.dest_term_id.value(), b"10659012345");
    assert_eq!(d.msg_content.len(), 122);
    assert!(d.reserve.is_empty());
    assert!(d.tlvs.is_empty());
    let r = d.report().unwrap().unwrap();
    assert_example_5_report(&r);
    // The typed report writes back the exact 122 bytes (spec keyword spelling).
    assert_eq!(&r.to_bytes()[..], &d.msg_content[..]);
    // And the constructor rebuilds the whole PDU.
    let built = Deliver {
        recv_time: d.recv_time,
        src_term_id: d.src_term_id,
        dest_term_id: d.dest_term_id,
        ..Deliver::for_report(d.msg_id, &r)
    };
    assert_eq!(&built, d);
}

#[test]
fn example_5_with_every_keyword_spelling() {
    // Disagreement 9: same offsets, different keywords. Decode identically, and
    // re-encode the frame as received.
    let variants = [
        ("205375626d697420646174653a", "207375626d697420646174653a"), // " submit date:"
        ("205375626d697420646174653a", "207375626d69745f646174653a"), // " submit_date:"
        ("20646f6e6520646174653a", "20646f6e655f646174653a"),         // " done_date:"
        ("20546578743a", "20746578743a"),                             // " text:"
    ];
    for (from, to) in variants {
        let hex = EX5.replacen(from, to, 1);
        assert_ne!(hex, EX5, "{to} must change the fixture");
        let pdu = round_trip(&hex);
        let d = deliver(&pdu);
        let r = d.report().unwrap().unwrap();
        assert_example_5_report(&r);
        // The typed report emits the spec form, not what was received.
        assert_eq!(
            wire::hex::encode(&r.to_bytes()),
            EX5[162..162 + 244].to_string()
        );
    }
}

#[test]
fn example_5_with_a_short_report_still_decodes() {
    // MsgLength 0x79 = 121: the report is one byte short, the frame is still fine.
    let hex = EX5
        .replacen("000000d3", "000000d2", 1)
        .replacen("7a69643a", "7969643a", 1);
    let hex = format!("{}{}", &hex[..162 + 242], &hex[162 + 244..]);
    let pdu = round_trip(&hex);
    let d = deliver(&pdu);
    assert_eq!(d.msg_content.len(), 121);
    let err = d.report().unwrap().unwrap_err();
    assert_eq!((err.pdu, err.field), ("SMGP_STATUS_REPORT", "Text"));
}

#[test]
fn example_5r_deliver_resp() {
    let pdu = round_trip("0000001a80000003000000c80100610102130500000200000000");
    assert_eq!(pdu.sequence_id, 200);
    assert_eq!(pdu.command_name(), "SMGP_DELIVER_RESP");
    let Body::DeliverResp(r) = &pdu.body else {
        panic!("not a deliver resp")
    };
    assert_eq!(r.msg_id.to_string(), "01006101021305000002");
    assert_eq!(r.status, 0);
    assert_eq!(
        *r,
        DeliverResp::ok(deliver(
            &decode(Version::V30, &Bytes::from(wire::hex::decode(EX5).unwrap())).unwrap()
        ))
    );
}

#[test]
fn example_6_deliver_mo_with_link_id() {
    let pdu = round_trip(
        "0000007300000003000000c901006101021306000003000032303234303130323133303630303133333030303030303030000000000000000000003130363539303132333435363600000000000000000254440000000000000000000300143132333435363738393031323334353637383930",
    );
    assert_eq!(pdu.sequence_id, 201);
    let d = deliver(&pdu);
    assert_eq!(d.msg_id.to_string(), "01006101021306000003");
    assert_eq!(
        d.msg_id.parts(),
        Some(MsgIdParts {
            smgw: 10_061,
            time: MsgIdTime {
                month: 1,
                day: 2,
                hour: 13,
                minute: 6
            },
            sequence: 3
        })
    );
    assert_eq!(d.is_report, 0);
    assert!(d.report().is_none());
    assert_eq!(d.msg_format, 0);
    assert_eq!(d.recv_time.value(), b"20240102130600");
    assert_eq!(d.src_term_id.value(), b"13300000000");
    assert_eq!(d.dest_term_id.value(), b"1065901234566");
    assert_eq!(&d.msg_content[..], b"TD");
    assert!(d.reserve.is_empty());
    assert_eq!(
        d.tlvs.0,
        vec![Tlv::LinkId(Octets(*b"12345678901234567890"))]
    );
    assert_eq!(d.tlvs.link_id(), Some(&b"12345678901234567890"[..]));
}
