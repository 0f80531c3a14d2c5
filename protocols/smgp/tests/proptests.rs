//! Property tests: every PDU type round-trips, and no input — arbitrary bytes, or
//! arbitrary bodies behind a valid header — makes decoding panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use smgp::tlv::{Tlv, Tlvs, tag_name};
use smgp::{
    Body, Deliver, DeliverResp, Login, LoginMode, LoginResp, MsgId, Pdu, Query, QueryResp,
    SmgpCodec, StatusReport, Submit, SubmitResp, Version, command, decode,
};
use tokio_util::codec::Decoder;
use wire::Octets;

const VERSIONS: [Version; 3] = [Version::V13, Version::V20, Version::V30];

fn octets<const N: usize>() -> impl Strategy<Value = Octets<N>>
where
    [u8; N]: Arbitrary,
{
    any::<[u8; N]>().prop_map(Octets)
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn msg_id() -> impl Strategy<Value = MsgId> {
    any::<[u8; 10]>().prop_map(MsgId)
}

/// Raw TLVs that decode back as raw: unknown tags, or integer tags with a wrong length.
fn raw_tlv() -> impl Strategy<Value = Tlv> {
    prop_oneof![
        (prop_oneof![Just(0u16), 0x0013u16..], bytes(24))
            .prop_map(|(tag, value)| Tlv::Raw { tag, value }),
        (
            prop::sample::select(vec![1u16, 2, 4, 5, 7, 9, 10, 11, 12, 13, 15, 17]),
            vec(any::<u8>(), 2..5)
        )
            .prop_map(|(tag, v)| Tlv::Raw {
                tag,
                value: Bytes::from(v)
            }),
        (
            prop::sample::select(vec![3u16, 16, 18]),
            vec(any::<u8>(), 0..7)
        )
            .prop_map(|(tag, v)| Tlv::Raw {
                tag,
                value: Bytes::from(v)
            }),
    ]
}

fn tlv() -> impl Strategy<Value = Tlv> {
    prop_oneof![
        any::<u8>().prop_map(Tlv::TpPid),
        any::<u8>().prop_map(Tlv::TpUdhi),
        octets::<20>().prop_map(Tlv::LinkId),
        any::<u8>().prop_map(Tlv::ChargeUserType),
        any::<u8>().prop_map(Tlv::ChargeTermType),
        bytes(32).prop_map(Tlv::ChargeTermPseudo),
        any::<u8>().prop_map(Tlv::DestTermType),
        bytes(64).prop_map(Tlv::DestTermPseudo),
        any::<u8>().prop_map(Tlv::PkTotal),
        any::<u8>().prop_map(Tlv::PkNumber),
        any::<u8>().prop_map(Tlv::SubmitMsgType),
        any::<u8>().prop_map(Tlv::SpDealReslt),
        any::<u8>().prop_map(Tlv::SrcTermType),
        bytes(32).prop_map(Tlv::SrcTermPseudo),
        any::<u8>().prop_map(Tlv::NodesCount),
        octets::<8>().prop_map(Tlv::MsgSrc),
        any::<u8>().prop_map(Tlv::SrcType),
        octets::<21>().prop_map(Tlv::MServiceId),
        raw_tlv(),
    ]
}

fn tlvs() -> impl Strategy<Value = Tlvs> {
    vec(tlv(), 0..6).prop_map(Tlvs)
}

fn submit() -> impl Strategy<Value = Submit> {
    (
        (
            any::<[u8; 3]>(),
            octets::<10>(),
            octets::<2>(),
            octets::<6>(),
            octets::<6>(),
            any::<u8>(),
        ),
        (
            octets::<17>(),
            octets::<17>(),
            octets::<21>(),
            octets::<21>(),
        ),
        (vec(octets::<21>(), 0..4), bytes(160), octets::<8>(), tlvs()),
    )
        .prop_map(
            |((head, service_id, fee_type, fee_code, fixed_fee, msg_format), times, tail)| {
                let (valid_time, at_time, src_term_id, charge_term_id) = times;
                let (dest_term_ids, msg_content, reserve, tlvs) = tail;
                Submit {
                    msg_type: head[0],
                    need_report: head[1],
                    priority: head[2],
                    service_id,
                    fee_type,
                    fee_code,
                    fixed_fee,
                    msg_format,
                    valid_time,
                    at_time,
                    src_term_id,
                    charge_term_id,
                    dest_term_ids,
                    msg_content,
                    reserve,
                    tlvs,
                }
            },
        )
}

fn deliver() -> impl Strategy<Value = Deliver> {
    (
        (msg_id(), any::<u8>(), any::<u8>(), octets::<14>()),
        (
            octets::<21>(),
            octets::<21>(),
            bytes(200),
            octets::<8>(),
            tlvs(),
        ),
    )
        .prop_map(
            |((msg_id, is_report, msg_format, recv_time), (src, dest, content, reserve, tlvs))| {
                Deliver {
                    msg_id,
                    is_report,
                    msg_format,
                    recv_time,
                    src_term_id: src,
                    dest_term_id: dest,
                    msg_content: content,
                    reserve,
                    tlvs,
                }
            },
        )
}

fn report() -> impl Strategy<Value = StatusReport> {
    (
        (
            msg_id(),
            octets::<3>(),
            octets::<3>(),
            octets::<10>(),
            octets::<10>(),
        ),
        (octets::<7>(), octets::<3>(), any::<[u8; 20]>()),
    )
        .prop_map(
            |((msg_id, sub, dlvrd, submit_date, done_date), (stat, err, text))| StatusReport {
                msg_id,
                sub,
                dlvrd,
                submit_date,
                done_date,
                stat,
                err,
                text,
            },
        )
}

fn modelled(id: u32) -> bool {
    matches!(
        id,
        command::LOGIN
            | command::LOGIN_RESP
            | command::SUBMIT
            | command::SUBMIT_RESP
            | command::DELIVER
            | command::DELIVER_RESP
            | command::ACTIVE_TEST
            | command::ACTIVE_TEST_RESP
            | command::EXIT
            | command::EXIT_RESP
            | command::QUERY
            | command::QUERY_RESP
    )
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (
            octets::<8>(),
            any::<[u8; 16]>(),
            any::<u8>(),
            any::<u32>(),
            any::<u8>()
        )
            .prop_map(|(id, auth, mode, ts, v)| {
                Body::Login(Login {
                    client_id: id,
                    authenticator_client: auth,
                    login_mode: LoginMode::from(mode),
                    timestamp: ts,
                    client_version: v,
                })
            }),
        (any::<u32>(), any::<[u8; 16]>(), any::<u8>()).prop_map(|(status, auth, v)| {
            Body::LoginResp(LoginResp {
                status,
                authenticator_server: auth,
                server_version: v,
            })
        }),
        submit().prop_map(Body::Submit),
        (msg_id(), any::<u32>())
            .prop_map(|(msg_id, status)| Body::SubmitResp(SubmitResp { msg_id, status })),
        deliver().prop_map(Body::Deliver),
        (msg_id(), any::<u32>())
            .prop_map(|(msg_id, status)| Body::DeliverResp(DeliverResp { msg_id, status })),
        Just(Body::ActiveTest),
        Just(Body::ActiveTestResp),
        Just(Body::Exit),
        Just(Body::ExitResp),
        (octets::<8>(), any::<u8>(), octets::<10>()).prop_map(
            |(query_time, query_type, query_code)| {
                Body::Query(Query {
                    query_time,
                    query_type,
                    query_code,
                })
            }
        ),
        (
            octets::<8>(),
            any::<u8>(),
            octets::<10>(),
            any::<[u32; 8]>(),
            octets::<8>()
        )
            .prop_map(|(query_time, query_type, query_code, n, reserve)| {
                Body::QueryResp(QueryResp {
                    query_time,
                    query_type,
                    query_code,
                    mt_tlmsg: n[0],
                    mt_tlusr: n[1],
                    mt_scs: n[2],
                    mt_wt: n[3],
                    mt_fl: n[4],
                    mo_scs: n[5],
                    mo_wt: n[6],
                    mo_fl: n[7],
                    reserve,
                })
            }),
        (
            any::<u32>().prop_filter("not a modelled id", |id| !modelled(*id)),
            bytes(64)
        )
            .prop_map(|(command_id, body)| Body::Unknown { command_id, body }),
    ]
}

/// Decode must never panic; when it succeeds the frame re-encodes byte-exactly and
/// the derived views (report, JSON) do not panic either.
fn check_frame(version: Version, frame: &Bytes) -> Result<(), TestCaseError> {
    if let Ok(pdu) = decode(version, frame) {
        prop_assert_eq!(pdu.to_bytes(version).unwrap(), frame.clone());
        prop_assert_eq!(pdu.encoded_len(version), frame.len());
        if let Body::Deliver(d) = &pdu.body {
            let _ = d.report();
        }
        let _ = pdu.to_json(version);
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_pdu_round_trips(seq in any::<u32>(), body in body()) {
        let pdu = Pdu::new(seq, body);
        for version in VERSIONS {
            let pdu = match (&pdu.body, version) {
                // 1.3 has no FixedFee: only an empty one round-trips.
                (Body::Submit(s), Version::V13) => {
                    Pdu::new(seq, Body::Submit(Submit { fixed_fee: Octets::EMPTY, ..s.clone() }))
                }
                _ => pdu.clone(),
            };
            let bytes = pdu.to_bytes(version).unwrap();
            prop_assert_eq!(bytes.len(), pdu.encoded_len(version));
            prop_assert_eq!(decode(version, &bytes).unwrap(), pdu);
        }
    }

    #[test]
    fn round_trips_through_the_codec(pdus in vec((any::<u32>(), body()), 1..5)) {
        let mut codec = SmgpCodec::default();
        let mut buf = BytesMut::new();
        for (seq, body) in &pdus {
            tokio_util::codec::Encoder::encode(&mut codec, &Pdu::new(*seq, body.clone()), &mut buf).unwrap();
        }
        for (seq, body) in pdus {
            prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(Pdu::new(seq, body)));
        }
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn status_report_round_trips(r in report()) {
        prop_assert_eq!(StatusReport::parse(&r.to_bytes()), Ok(r));
        let d = Deliver::for_report(r.msg_id, &r);
        prop_assert_eq!(d.report(), Some(Ok(r)));
    }

    #[test]
    fn msg_id_text_round_trips(id in msg_id()) {
        prop_assert_eq!(id.to_string().parse::<MsgId>(), Ok(id));
        if let Some(parts) = id.parts() {
            prop_assert!(id.is_bcd());
            prop_assert_eq!(id.digits(), Some(id.to_string()));
            // Valid parts pack back to the same bytes.
            if let Ok(again) = MsgId::new(parts) {
                prop_assert_eq!(again, id);
            }
        }
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(raw in vec(any::<u8>(), 0..300)) {
        let frame = Bytes::from(raw);
        for version in VERSIONS {
            check_frame(version, &frame)?;
        }
    }

    #[test]
    fn decode_never_panics_behind_a_valid_header(
        id in prop_oneof![
            prop::sample::select((1u32..=0x12).flat_map(|i| [i, i | 0x8000_0000]).collect::<Vec<_>>()),
            any::<u32>(),
        ],
        seq in any::<u32>(),
        body in vec(any::<u8>(), 0..400),
    ) {
        let mut raw = Vec::with_capacity(12 + body.len());
        raw.extend_from_slice(&u32::try_from(12 + body.len()).unwrap().to_be_bytes());
        raw.extend_from_slice(&id.to_be_bytes());
        raw.extend_from_slice(&seq.to_be_bytes());
        raw.extend_from_slice(&body);
        let frame = Bytes::from(raw);
        for version in VERSIONS {
            check_frame(version, &frame)?;
        }
    }

    #[test]
    fn submit_and_deliver_bodies_with_any_tail_never_panic(
        s in submit(), d in deliver(), tail in vec(any::<u8>(), 0..40),
    ) {
        // Valid fixed part, then arbitrary bytes where the TLVs go.
        for body in [Body::Submit(Submit { tlvs: Tlvs::new(), ..s }), Body::Deliver(Deliver { tlvs: Tlvs::new(), ..d })] {
            let mut raw = Pdu::new(1, body).encode_to_vec(Version::V30).unwrap();
            raw.extend_from_slice(&tail);
            let len = u32::try_from(raw.len()).unwrap().to_be_bytes();
            raw[..4].copy_from_slice(&len);
            check_frame(Version::V30, &Bytes::from(raw))?;
        }
    }

    #[test]
    fn codec_never_panics_on_arbitrary_bytes(raw in vec(any::<u8>(), 0..600), max in 0usize..2048) {
        let mut codec = SmgpCodec::new(Version::V30, max);
        let mut buf = BytesMut::from(&raw[..]);
        // Stop at the first error (a real session would drop the connection) or when
        // more bytes are needed.
        while let Ok(Some(_)) = codec.decode(&mut buf) {}
        // Never more than the frame limit allows (BytesMut may double when it grows).
        prop_assert!(buf.capacity() <= 2 * raw.len().max(max) + 64, "capacity {}", buf.capacity());
    }

    #[test]
    fn tlv_names_are_total(tag in any::<u16>()) {
        prop_assert_eq!(tag_name(tag).is_some(), (1..=0x12).contains(&tag));
    }
}
