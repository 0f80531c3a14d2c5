//! Every worked hex example of cmpp.md §15 decodes to the documented field values and
//! re-encodes to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use cmpp::{Body, Pdu, Version, decode};

fn frame(hex: &str) -> Bytes {
    Bytes::from(wire::hex::decode(hex).unwrap())
}

/// Decode `hex` under `version`, check it re-encodes to the same bytes, return the PDU.
fn round_trip(version: Version, hex: &str) -> Pdu {
    let bytes = frame(hex);
    let pdu = decode(version, &bytes).unwrap();
    assert_eq!(pdu.encoded_len(version), bytes.len());
    assert_eq!(wire::hex::encode(&pdu.encode_to_vec(version).unwrap()), hex);
    pdu
}

fn hex(bytes: &[u8]) -> String {
    wire::hex::encode(bytes)
}

// ---------------------------------------------------------------- CONNECT

#[test]
fn connect_gocmpp_cross_check_vector() {
    let hex_frame = "000000270000000100000017393030303031\
                     90d00c1d517abd0b4f65f6bcf8535d16213cdc73be";
    for version in [Version::V20, Version::V30] {
        let pdu = round_trip(version, hex_frame);
        assert_eq!(pdu.sequence_id, 0x17);
        assert_eq!(pdu.command_name(), "CMPP_CONNECT");
        let Body::Connect(c) = &pdu.body else {
            panic!("not a CONNECT: {pdu:?}")
        };
        assert_eq!(c.source_addr.value(), b"900001");
        assert_eq!(
            hex(&c.authenticator_source),
            "90d00c1d517abd0b4f65f6bcf8535d16"
        );
        assert_eq!(c.version, 0x21);
        assert_eq!(c.requested_version(), Some(Version::V20));
        assert_eq!(c.timestamp, 1_021_080_510);
        assert!(c.verify(b"888888"));
    }
}

#[test]
fn example_1_connect_3_0() {
    let hex_frame =
        "000000270000000100000001393031323334091080a465f383be4cdceeced3b91795300614dc45";
    let pdu = round_trip(Version::V30, hex_frame);
    assert_eq!(pdu.sequence_id, 1);
    let Body::Connect(c) = &pdu.body else {
        panic!("not a CONNECT")
    };
    assert_eq!(c.source_addr.value(), b"901234");
    assert_eq!(
        hex(&c.authenticator_source),
        "091080a465f383be4cdceeced3b91795"
    );
    assert_eq!(c.version, 0x30);
    assert_eq!(c.timestamp, 102_030_405);
    assert_eq!(c.timestamp(), cmpp::Timestamp::new(1, 2, 3, 4, 5));
    assert!(c.verify(b"Sec@2024"));

    // Building it from account, secret and time gives the same bytes.
    let built = cmpp::Connect::new(
        Version::V30,
        "901234",
        b"Sec@2024",
        cmpp::Timestamp::new(1, 2, 3, 4, 5).unwrap(),
    )
    .unwrap();
    assert_eq!(
        Pdu::new(1, Body::Connect(built))
            .encode_to_vec(Version::V30)
            .unwrap(),
        frame(hex_frame)
    );
}

#[test]
fn example_2a_connect_resp_3_0() {
    let hex_frame = "00000021800000010000000100000000ade4f350510c84558bdd31c4703873ba30";
    let pdu = round_trip(Version::V30, hex_frame);
    assert_eq!(pdu.sequence_id, 1);
    assert!(pdu.is_response());
    let Body::ConnectResp(r) = &pdu.body else {
        panic!("not a CONNECT_RESP")
    };
    assert_eq!(r.status, 0);
    assert_eq!(r.status_meaning(), "success");
    assert_eq!(
        hex(&r.authenticator_ismg),
        "ade4f350510c84558bdd31c4703873ba"
    );
    assert_eq!(r.version, 0x30);

    let connect = cmpp::Connect::new(
        Version::V30,
        "901234",
        b"Sec@2024",
        cmpp::Timestamp::new(1, 2, 3, 4, 5).unwrap(),
    )
    .unwrap();
    assert!(r.verify(Version::V30, &connect, b"Sec@2024"));
    let answer = cmpp::ConnectResp::answer(Version::V30, 0, &connect, b"Sec@2024");
    assert_eq!(
        Pdu::new(1, Body::ConnectResp(answer))
            .encode_to_vec(Version::V30)
            .unwrap(),
        frame(hex_frame)
    );
}

#[test]
fn example_2b_connect_resp_2_0() {
    let hex_frame = "0000001e80000001000000010065587cf23139d5e89104dc4a9ebb662420";
    let pdu = round_trip(Version::V20, hex_frame);
    let Body::ConnectResp(r) = &pdu.body else {
        panic!("not a CONNECT_RESP")
    };
    assert_eq!(r.status, 0);
    assert_eq!(
        hex(&r.authenticator_ismg),
        "65587cf23139d5e89104dc4a9ebb6624"
    );
    assert_eq!(r.version, 0x20);

    let connect = cmpp::Connect::new(
        Version::V20,
        "901234",
        b"Sec@2024",
        cmpp::Timestamp::new(1, 2, 3, 4, 5).unwrap(),
    )
    .unwrap();
    assert!(r.verify(Version::V20, &connect, b"Sec@2024"));
    let answer = cmpp::ConnectResp::answer(Version::V20, 0, &connect, b"Sec@2024");
    assert_eq!(
        Pdu::new(1, Body::ConnectResp(answer))
            .encode_to_vec(Version::V20)
            .unwrap(),
        frame(hex_frame)
    );
}

#[test]
fn connect_resp_of_the_other_version_is_an_error_not_a_misread() {
    // A 3.0 CONNECT_RESP read as 2.0 and vice versa must fail, naming the PDU.
    let v3 = frame("00000021800000010000000100000000ade4f350510c84558bdd31c4703873ba30");
    let err = decode(Version::V20, &v3).unwrap_err();
    assert_eq!(err.pdu, "CMPP_CONNECT_RESP");
    let v2 = frame("0000001e80000001000000010065587cf23139d5e89104dc4a9ebb662420");
    let err = decode(Version::V30, &v2).unwrap_err();
    assert_eq!(
        (err.pdu, err.field),
        ("CMPP_CONNECT_RESP", "AuthenticatorISMG")
    );
}

#[test]
fn connect_resp_2_0_with_four_byte_status_digest_is_accepted() {
    // README disagreement 1: SMSGate hashes a 4-byte status even for 2.0.
    let connect = cmpp::Connect::new(
        Version::V20,
        "901234",
        b"Sec@2024",
        cmpp::Timestamp::new(1, 2, 3, 4, 5).unwrap(),
    )
    .unwrap();
    let smsgate = frame("0000001e800000010000000100ade4f350510c84558bdd31c4703873ba20");
    let Body::ConnectResp(r) = decode(Version::V20, &smsgate).unwrap().body else {
        panic!()
    };
    assert!(r.verify(Version::V20, &connect, b"Sec@2024"));
}

// ---------------------------------------------------------------- keep-alive and close

#[test]
fn example_7a_active_test() {
    for version in [Version::V20, Version::V30] {
        let pdu = round_trip(version, "0000000c0000000800000007");
        assert_eq!(pdu, Pdu::new(7, Body::ActiveTest));
        assert_eq!(pdu.command_name(), "CMPP_ACTIVE_TEST");
    }
}

#[test]
fn example_7b_active_test_resp() {
    for version in [Version::V20, Version::V30] {
        let pdu = round_trip(version, "0000000d800000080000000700");
        assert_eq!(
            pdu,
            Pdu::new(
                7,
                Body::ActiveTestResp(cmpp::ActiveTestResp { reserved: 0 })
            )
        );
        assert_eq!(pdu.command_id(), 0x8000_0008);
    }
}

#[test]
fn example_7c_terminate() {
    for version in [Version::V20, Version::V30] {
        let pdu = round_trip(version, "0000000c0000000200000008");
        assert_eq!(pdu, Pdu::new(8, Body::Terminate));
        assert_eq!(pdu.command_name(), "CMPP_TERMINATE");
    }
    let resp = Pdu::new(8, Body::TerminateResp);
    assert_eq!(
        hex(&resp.encode_to_vec(Version::V30).unwrap()),
        "0000000c8000000200000008"
    );
}

// ---------------------------------------------------------------- SUBMIT

const EX3_SUBMIT_V30: &str = "000000c70000000400000002000000000000000001010100544553540000000000000200000000000000000000000000000000000000000000000000000000000000000000000839303132333430313030303030300000000000000000000000000000000000000000000000000000000000000000000031303639303132333838000000000000000000000001313338303031333830303000000000000000000000000000000000000000000000044f60597d0000000000000000000000000000000000000000";
const EX3B_SUBMIT_V20: &str = "000000a30000000400000002000000000000000001010100544553540000000000000200000000000000000000000000000000000000000000000839303132333430313030303030300000000000000000000000000000000000000000000000000000000000000000000031303639303132333838000000000000000000000001313338303031333830303000000000000000000000044f60597d0000000000000000";

/// Field values shared by examples 3 and 3b.
fn assert_example_3_fields(s: &cmpp::Submit) {
    assert_eq!(s.msg_id, cmpp::MsgId(0));
    assert_eq!((s.pk_total, s.pk_number), (1, 1));
    assert_eq!(s.registered_delivery, 1);
    assert_eq!(s.msg_level, 0);
    assert_eq!(s.service_id.value(), b"TEST");
    assert_eq!(s.fee_user_type, 2);
    assert!(s.fee_terminal_id.is_empty());
    assert_eq!(s.fee_terminal_type, 0);
    assert_eq!((s.tp_pid, s.tp_udhi, s.msg_fmt), (0, 0, 8));
    assert!(!s.udhi());
    assert_eq!(s.msg_src.value(), b"901234");
    assert_eq!(s.fee_type.value(), b"01");
    assert_eq!(s.fee_code.value(), b"000000");
    assert!(s.valid_time.is_empty());
    assert!(s.at_time.is_empty());
    assert_eq!(s.src_id.value(), b"1069012388");
    assert_eq!(s.dest_terminal_ids.len(), 1);
    assert_eq!(
        s.dest_terminal_ids.get(0).map(|d| d.value()),
        Some(&b"13800138000"[..])
    );
    assert_eq!(s.dest_terminal_type, 0);
    assert_eq!(&s.msg_content[..], &[0x4f, 0x60, 0x59, 0x7d]);
    assert_eq!(
        wire::coding::decode_text(wire::coding::Coding::Ucs2, &s.msg_content).as_deref(),
        Some("你好")
    );
    assert!(s.link_id.is_empty());
}

/// The submit of examples 3 / 3b built from values.
fn example_3_submit() -> cmpp::Submit {
    cmpp::Submit {
        registered_delivery: 1,
        service_id: wire::Octets::new(b"TEST").unwrap(),
        fee_user_type: 2,
        msg_fmt: 8,
        msg_src: wire::Octets::new(b"901234").unwrap(),
        fee_type: wire::Octets::new(b"01").unwrap(),
        fee_code: wire::Octets::new(b"000000").unwrap(),
        src_id: wire::Octets::new(b"1069012388").unwrap(),
        dest_terminal_ids: cmpp::DestTerminalIds::from_numbers(["13800138000"]).unwrap(),
        msg_content: Bytes::from_static(&[0x4f, 0x60, 0x59, 0x7d]),
        ..Default::default()
    }
}

#[test]
fn example_3_submit_3_0() {
    let pdu = round_trip(Version::V30, EX3_SUBMIT_V30);
    assert_eq!(pdu.sequence_id, 2);
    assert_eq!(pdu.encoded_len(Version::V30), 199);
    let Body::Submit(s) = &pdu.body else {
        panic!("not a SUBMIT")
    };
    assert_example_3_fields(s);
    assert_eq!(Pdu::new(2, Body::Submit(example_3_submit())), pdu);
}

#[test]
fn example_3b_submit_2_0() {
    let pdu = round_trip(Version::V20, EX3B_SUBMIT_V20);
    assert_eq!(pdu.sequence_id, 2);
    assert_eq!(pdu.encoded_len(Version::V20), 163);
    let Body::Submit(s) = &pdu.body else {
        panic!("not a SUBMIT")
    };
    assert_example_3_fields(s);
    assert_eq!(Pdu::new(2, Body::Submit(example_3_submit())), pdu);
}

#[test]
fn submit_of_the_other_version_is_rejected() {
    assert!(decode(Version::V20, &frame(EX3_SUBMIT_V30)).is_err());
    assert!(decode(Version::V30, &frame(EX3B_SUBMIT_V20)).is_err());
}

#[test]
fn submit_content_is_not_copied() {
    let bytes = frame(EX3_SUBMIT_V30);
    let Body::Submit(s) = decode(Version::V30, &bytes).unwrap().body else {
        panic!()
    };
    // slice_ref: the content points into the frame's buffer.
    assert_eq!(s.msg_content.as_ptr(), bytes[175..].as_ptr());
}

#[test]
fn submit_tp_udhi_0x40_is_kept_raw_and_counts_as_set() {
    // README disagreement 7: accept 0x40, keep it for byte-exact re-encoding.
    let mut raw = wire::hex::decode(EX3_SUBMIT_V30).unwrap();
    raw[69] = 0x40;
    let hex_frame = wire::hex::encode(&raw);
    let pdu = round_trip(Version::V30, &hex_frame);
    let Body::Submit(s) = &pdu.body else { panic!() };
    assert_eq!(s.tp_udhi, 0x40);
    assert!(s.udhi());
}

#[test]
fn example_4a_submit_resp_3_0() {
    let pdu = round_trip(
        Version::V30,
        "000000188000000400000002110c414134fd000100000000",
    );
    assert_eq!(pdu.sequence_id, 2);
    assert_eq!(pdu.command_name(), "CMPP_SUBMIT_RESP");
    let Body::SubmitResp(r) = &pdu.body else {
        panic!("not a SUBMIT_RESP")
    };
    assert_eq!(r.msg_id, cmpp::MsgId(0x110C_4141_34FD_0001));
    assert_eq!(r.msg_id.value(), 1_228_428_546_682_978_305);
    let p = r.msg_id.parts();
    assert_eq!(
        (
            p.month, p.day, p.hour, p.minute, p.second, p.gateway, p.sequence
        ),
        (1, 2, 3, 4, 5, 79_101, 1)
    );
    assert_eq!(r.result, 0);
    assert!(!r.is_flow_control());
}

#[test]
fn example_4b_submit_resp_2_0_flow_control() {
    let pdu = round_trip(Version::V20, "000000158000000400000003000000000000000008");
    assert_eq!(pdu.sequence_id, 3);
    let Body::SubmitResp(r) = &pdu.body else {
        panic!("not a SUBMIT_RESP")
    };
    assert_eq!(r.msg_id, cmpp::MsgId(0));
    assert_eq!(r.result, 8);
    assert!(r.is_flow_control());
    assert!(cmpp::is_flow_control(r.result));
    assert_eq!(r.result_meaning(), "flow control error");
}

#[test]
fn submit_resp_of_the_other_version_is_rejected() {
    // A 3.0 "flow control" read as 2.0 would otherwise look like Result 0.
    let v3_flow = frame("000000188000000400000002110c414134fd000100000008");
    let err = decode(Version::V20, &v3_flow).unwrap_err();
    assert_eq!(err.pdu, "CMPP_SUBMIT_RESP");
    assert!(
        decode(
            Version::V30,
            &frame("000000158000000400000003000000000000000008")
        )
        .is_err()
    );
}

// ---------------------------------------------------------------- DELIVER

const EX5_REPORT_V30: &str = "000000b40000000500000064110c518134fd0002313036393031323338380000000000000000000000544553540000000000000000003133383030313338303030000000000000000000000000000000000000000000000147110c414134fd000144454c4956524432343031303230333034323430313032303330353133383030313338303030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
const EX6_MO_V20: &str = "000000570000000500000065110c518134fd000331303639303132333838363600000000000000000000000000000000000000000000313338303031333830303000000000000000000000000254440000000000000000";

#[test]
fn example_5_deliver_status_report_3_0() {
    let pdu = round_trip(Version::V30, EX5_REPORT_V30);
    assert_eq!(pdu.sequence_id, 100);
    assert_eq!(pdu.encoded_len(Version::V30), 180);
    let Body::Deliver(d) = &pdu.body else {
        panic!("not a DELIVER")
    };
    assert_eq!(d.msg_id, cmpp::MsgId(0x110C_5181_34FD_0002));
    assert_eq!(d.dest_id.value(), b"1069012388");
    assert_eq!(d.service_id.value(), b"TEST");
    assert_eq!((d.tp_pid, d.tp_udhi, d.msg_fmt), (0, 0, 0));
    assert_eq!(d.src_terminal_id.value(), b"13800138000");
    assert_eq!(d.src_terminal_type, 0);
    assert_eq!(d.registered_delivery, 1);
    assert!(d.is_report());
    assert_eq!(d.content.len(Version::V30), 71);
    assert!(d.link_id.is_empty());
    let r = d.report().expect("typed report");
    assert_eq!(r.msg_id, cmpp::MsgId(0x110C_4141_34FD_0001));
    assert_eq!(r.stat.raw(), b"DELIVRD");
    assert!(r.is_delivered());
    assert_eq!(r.submit_time.value(), b"2401020304");
    assert_eq!(r.done_time.value(), b"2401020305");
    assert_eq!(r.dest_terminal_id.value(), b"13800138000");
    assert_eq!(r.smsc_sequence, 0);
    // Raw content is available too: offset 89..160 of the frame.
    assert_eq!(
        wire::hex::encode(&d.msg_content(Version::V30).unwrap()),
        &EX5_REPORT_V30[178..320]
    );
}

#[test]
fn deliver_report_60_bytes_in_3_0_is_accepted_and_reemitted_as_71() {
    // README disagreement 5: gocmpp sends the 21-byte Dest_terminal_Id report in 3.0.
    let mut raw = wire::hex::decode(EX5_REPORT_V30).unwrap();
    raw[88] = 60; // Msg_Length
    raw.drain(89 + 35 + 21..89 + 35 + 32); // drop 11 padding bytes of the report's Dest_terminal_Id
    let total = raw.len() as u32;
    raw[..4].copy_from_slice(&total.to_be_bytes());
    let pdu = decode(Version::V30, &Bytes::from(raw)).unwrap();
    let Body::Deliver(d) = &pdu.body else {
        panic!()
    };
    let r = d.report().expect("60-byte report accepted");
    assert_eq!(r.dest_terminal_id.value(), b"13800138000");
    assert_eq!(r.smsc_sequence, 0);
    // Emitted in the spec form: identical to example 5.
    assert_eq!(
        wire::hex::encode(&pdu.encode_to_vec(Version::V30).unwrap()),
        EX5_REPORT_V30
    );
}

#[test]
fn deliver_report_of_wrong_size_is_delivered_with_an_error() {
    let mut raw = wire::hex::decode(EX5_REPORT_V30).unwrap();
    raw[88] = 70;
    raw.remove(159);
    let total = raw.len() as u32;
    raw[..4].copy_from_slice(&total.to_be_bytes());
    let hex_frame = wire::hex::encode(&raw);
    let pdu = round_trip(Version::V30, &hex_frame);
    let Body::Deliver(d) = &pdu.body else {
        panic!()
    };
    assert!(d.is_report());
    assert!(d.report().is_none());
    let err = d.report_error().expect("typed error");
    assert_eq!((err.pdu, err.field), ("CMPP_DELIVER", "Msg_Content"));
    assert_eq!(d.msg_content(Version::V30).unwrap().len(), 70);
    assert_eq!(d.msg_id, cmpp::MsgId(0x110C_5181_34FD_0002));
}

#[test]
fn example_6_deliver_mo_2_0() {
    let pdu = round_trip(Version::V20, EX6_MO_V20);
    assert_eq!(pdu.sequence_id, 101);
    assert_eq!(pdu.encoded_len(Version::V20), 87);
    let Body::Deliver(d) = &pdu.body else {
        panic!("not a DELIVER")
    };
    assert_eq!(d.msg_id, cmpp::MsgId(0x110C_5181_34FD_0003));
    assert_eq!(d.dest_id.value(), b"106901238866");
    assert!(d.service_id.is_empty());
    assert_eq!((d.tp_pid, d.tp_udhi, d.msg_fmt), (0, 0, 0));
    assert_eq!(d.src_terminal_id.value(), b"13800138000");
    assert_eq!(d.registered_delivery, 0);
    assert!(!d.is_report());
    assert_eq!(d.message().map(|b| &b[..]), Some(&b"TD"[..]));
    assert!(d.link_id.is_empty());
}

#[test]
fn deliver_of_the_other_version_is_rejected() {
    assert!(decode(Version::V30, &frame(EX6_MO_V20)).is_err());
    assert!(decode(Version::V20, &frame(EX5_REPORT_V30)).is_err());
}

#[test]
fn example_6r_deliver_resp_2_0() {
    let pdu = round_trip(Version::V20, "000000158000000500000065110c518134fd000300");
    assert_eq!(pdu.sequence_id, 101);
    assert_eq!(pdu.command_name(), "CMPP_DELIVER_RESP");
    let Body::DeliverResp(r) = &pdu.body else {
        panic!("not a DELIVER_RESP")
    };
    assert_eq!(r.msg_id, cmpp::MsgId(0x110C_5181_34FD_0003));
    assert_eq!(r.result, 0);
    assert_eq!(r.result_meaning(), "success");
    // The answer built from the DELIVER of example 6.
    let Body::Deliver(d) = decode(Version::V20, &frame(EX6_MO_V20)).unwrap().body else {
        panic!()
    };
    assert_eq!(*r, cmpp::DeliverResp::to(&d, 0));
}

// ---------------------------------------------------------------- long messages (sms-encoding.md §3.4)

/// Segment 2 of the worked 74-character example: UDH `05 00 03 5a 02 02` + "祝您生活愉快！".
const SEGMENT_2: &str = "0500035a0202795d60a8751f6d3b61095febff01";

#[test]
fn long_message_segment_in_a_3_0_submit() {
    let content = Bytes::from(wire::hex::decode(SEGMENT_2).unwrap());
    let submit = cmpp::Submit {
        pk_total: 2,
        pk_number: 2,
        tp_udhi: 1,
        msg_fmt: 8,
        src_id: wire::Octets::new(b"1069012388").unwrap(),
        dest_terminal_ids: cmpp::DestTerminalIds::from_numbers(["13800138000"]).unwrap(),
        msg_content: content.clone(),
        ..Default::default()
    };
    let pdu = Pdu::new(9, Body::Submit(submit));
    let bytes = pdu.to_bytes(Version::V30).unwrap();
    assert_eq!(bytes.len(), 163 + 32 + 20);
    assert_eq!(bytes[20..22], [2, 2]); // Pk_total, Pk_number
    assert_eq!(bytes[69], 1); // TP_udhi: we emit the spec value
    assert_eq!(bytes[174], 20); // Msg_Length counts the UDH
    assert_eq!(decode(Version::V30, &bytes).unwrap(), pdu);
    let json = pdu.to_json(Version::V30);
    assert_eq!(json["msg_content"]["udh"]["concat"]["reference"], 0x5a);
    assert_eq!(json["msg_content"]["udh"]["concat"]["total"], 2);
    assert_eq!(json["msg_content"]["udh"]["concat"]["number"], 2);
    assert_eq!(json["msg_content"]["text"], "祝您生活愉快！");
}

#[test]
fn long_mo_with_tp_udhi_0x40_is_read_as_udh() {
    // README disagreement 7: a gateway flags the UDH with 0x40 in a DELIVER.
    let deliver = cmpp::Deliver {
        tp_udhi: 0x40,
        msg_fmt: 8,
        src_terminal_id: wire::Octets::new(b"13800138000").unwrap(),
        content: cmpp::DeliverContent::Message(Bytes::from(wire::hex::decode(SEGMENT_2).unwrap())),
        ..Default::default()
    };
    let pdu = Pdu::new(11, Body::Deliver(deliver));
    for version in [Version::V20, Version::V30] {
        let bytes = pdu.to_bytes(version).unwrap();
        let back = decode(version, &bytes).unwrap();
        assert_eq!(back, pdu);
        let Body::Deliver(d) = &back.body else {
            panic!()
        };
        assert_eq!(d.tp_udhi, 0x40, "raw byte kept for exact re-encoding");
        assert!(d.udhi());
        let json = back.to_json(version);
        assert_eq!(json["tp_udhi"], 0x40);
        assert_eq!(json["msg_content"]["udh"]["concat"]["number"], 2);
        assert_eq!(json["msg_content"]["text"], "祝您生活愉快！");
    }
}
