//! PDUs the reference describes by table only (QUERY, CANCEL, route commands): the hex
//! shown in each type's doc comment, built by hand from cmpp.md §8, decodes to the
//! intended fields and re-encodes byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use cmpp::{Body, MsgId, Pdu, Version, decode};
use wire::Octets;

fn round_trip(version: Version, hex: &str) -> Pdu {
    let bytes = Bytes::from(wire::hex::decode(hex).unwrap());
    let pdu = decode(version, &bytes).unwrap();
    assert_eq!(
        wire::hex::encode(&pdu.encode_to_vec(version).unwrap()),
        hex.replace(' ', "")
    );
    pdu
}

#[test]
fn query_totals() {
    let hex =
        "00000027 00000006 00000009 3230323430313032 00 00000000000000000000 0000000000000000";
    for v in [Version::V20, Version::V30] {
        let pdu = round_trip(v, hex);
        assert_eq!(pdu.encoded_len(v), 39);
        let expected = cmpp::Query {
            time: Octets::new(b"20240102").unwrap(),
            ..Default::default()
        };
        assert_eq!(pdu, Pdu::new(9, Body::Query(expected)));
        assert_eq!(pdu.command_name(), "CMPP_QUERY");
    }
}

#[test]
fn query_resp_counters() {
    let hex = "0000003f 80000006 00000009 3230323430313032 00 00000000000000000000 \
               00000064 00000032 00000060 00000001 00000003 0000000a 00000000 00000000";
    for v in [Version::V20, Version::V30] {
        let pdu = round_trip(v, hex);
        assert_eq!(pdu.encoded_len(v), 63);
        let Body::QueryResp(r) = pdu.body else {
            panic!("not a QUERY_RESP")
        };
        assert_eq!(r.time.value(), b"20240102");
        assert_eq!(
            (r.mt_tlmsg, r.mt_tlusr, r.mt_scs, r.mt_wt, r.mt_fl),
            (100, 50, 96, 1, 3)
        );
        assert_eq!((r.mo_scs, r.mo_wt, r.mo_fl), (10, 0, 0));
    }
}

#[test]
fn cancel_same_in_both_versions() {
    for v in [Version::V20, Version::V30] {
        let pdu = round_trip(v, "00000014 00000007 0000000a 110c414134fd0001");
        assert_eq!(
            pdu,
            Pdu::new(
                10,
                Body::Cancel(cmpp::Cancel {
                    msg_id: MsgId(0x110C_4141_34FD_0001)
                })
            )
        );
    }
}

#[test]
fn cancel_resp_is_one_byte_in_2_0_and_four_in_3_0() {
    // README disagreement 6.
    let v3 = round_trip(Version::V30, "00000010 80000007 0000000a 00000000");
    assert_eq!(
        v3.body,
        Body::CancelResp(cmpp::CancelResp { success_id: 0 })
    );
    let v2 = round_trip(Version::V20, "0000000d 80000007 0000000a 01");
    let Body::CancelResp(r) = v2.body else {
        panic!()
    };
    assert_eq!(r.success_id, 1);
    assert_eq!(r.success_meaning(), "failure");
    // Each version rejects the other's size instead of misreading it.
    let v3_frame = Bytes::from(wire::hex::decode("00000010800000070000000a00000001").unwrap());
    assert_eq!(
        decode(Version::V20, &v3_frame).unwrap_err().pdu,
        "CMPP_CANCEL_RESP"
    );
    let v2_frame = Bytes::from(wire::hex::decode("0000000d800000070000000a01").unwrap());
    assert_eq!(
        decode(Version::V30, &v2_frame).unwrap_err().field,
        "Success_Id"
    );
}

#[test]
fn route_commands_and_fwd_are_unknown_but_kept() {
    for (id, name) in [
        (0x0000_0009, "CMPP_FWD"),
        (0x8000_0009, "CMPP_FWD_RESP"),
        (0x0000_0010, "CMPP_MT_ROUTE"),
        (0x0000_0012, "CMPP_GET_MT_ROUTE"),
        (0x8000_0017, "CMPP_GET_MO_ROUTE_RESP"),
    ] {
        let hex = format!("00000011 {id:08x} 00000005 0102030405");
        let pdu = round_trip(Version::V30, &hex);
        assert_eq!(pdu.command_name(), name);
        assert_eq!(
            pdu.body,
            Body::Unknown {
                command_id: id,
                body: Bytes::from_static(&[1, 2, 3, 4, 5])
            }
        );
    }
}

#[test]
fn vendor_command_round_trips() {
    let pdu = round_trip(Version::V20, "0000000c 00000099 00000001");
    assert_eq!(pdu.command_name(), "UNKNOWN");
    assert_eq!(
        pdu.body,
        Body::Unknown {
            command_id: 0x99,
            body: Bytes::new()
        }
    );
}
