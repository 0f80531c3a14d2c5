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
