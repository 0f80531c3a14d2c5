//! Property tests: every PDU type round-trips encode → decode → equal under both
//! versions, and decoding arbitrary bytes — raw, or behind a valid header with a
//! matching length — never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{BufMut, Bytes, BytesMut};
use cmpp::{
    ActiveTestResp, Body, Cancel, CancelResp, CmppCodec, Connect, ConnectResp, Deliver,
    DeliverContent, DeliverResp, DestTerminalIds, MsgId, Pdu, Query, QueryResp, StatusReport,
    Submit, SubmitResp, Version, decode,
};
use proptest::prelude::*;
use tokio_util::codec::Decoder;
use wire::Octets;

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V20), Just(Version::V30)]
}

/// Raw octets: any bytes at all, so garbage after a NUL must survive too.
fn octets<const N: usize>() -> impl Strategy<Value = Octets<N>> {
    proptest::collection::vec(any::<u8>(), N).prop_map(|v| Octets(v.try_into().unwrap()))
}

/// An `N`-byte octet string of which only the first `width` bytes exist on the wire.
fn narrow<const N: usize>(width: usize) -> impl Strategy<Value = Octets<N>> {
    proptest::collection::vec(any::<u8>(), width).prop_map(|v| {
        let mut raw = [0u8; N];
        raw[..v.len()].copy_from_slice(&v);
        Octets(raw)
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn msg_id() -> impl Strategy<Value = MsgId> {
    any::<u64>().prop_map(MsgId)
}

fn result(v: Version) -> BoxedStrategy<u32> {
    match v {
        Version::V20 => any::<u8>().prop_map(u32::from).boxed(),
        Version::V30 => any::<u32>().boxed(),
    }
}

/// A 3.0-only byte: anything in 3.0, 0 in 2.0.
fn v30_byte(v: Version) -> BoxedStrategy<u8> {
    match v {
        Version::V20 => Just(0).boxed(),
        Version::V30 => any::<u8>().boxed(),
    }
}

fn connect() -> impl Strategy<Value = Connect> {
    (octets::<6>(), any::<[u8; 16]>(), any::<u8>(), any::<u32>()).prop_map(
        |(source_addr, authenticator_source, version, timestamp)| Connect {
            source_addr,
            authenticator_source,
            version,
            timestamp,
        },
    )
}

fn connect_resp(v: Version) -> impl Strategy<Value = ConnectResp> {
    (result(v), any::<[u8; 16]>(), any::<u8>()).prop_map(|(status, authenticator_ismg, version)| {
        ConnectResp {
            status,
            authenticator_ismg,
            version,
        }
    })
}

fn submit(v: Version) -> impl Strategy<Value = Submit> {
    let w = v.terminal_id_width();
    let head = (
        msg_id(),
        any::<[u8; 4]>(),
        octets::<10>(),
        any::<u8>(),
        narrow::<32>(w),
        v30_byte(v),
        any::<[u8; 3]>(),
    );
    let middle = (
        octets::<6>(),
        octets::<2>(),
        octets::<6>(),
        octets::<17>(),
        octets::<17>(),
        octets::<21>(),
    );
    let tail = (
        proptest::collection::vec(narrow::<32>(w), 1..=3),
        v30_byte(v),
        bytes(255),
        narrow::<20>(v.trailer_width()),
    );
    (head, middle, tail).prop_map(
        |(
            (
                msg_id,
                [pk_total, pk_number, registered_delivery, msg_level],
                service_id,
                fee_user_type,
                fee_terminal_id,
                fee_terminal_type,
                [tp_pid, tp_udhi, msg_fmt],
            ),
            (msg_src, fee_type, fee_code, valid_time, at_time, src_id),
            (dests, dest_terminal_type, msg_content, link_id),
        )| Submit {
            msg_id,
            pk_total,
            pk_number,
            registered_delivery,
            msg_level,
            service_id,
            fee_user_type,
            fee_terminal_id,
            fee_terminal_type,
            tp_pid,
            tp_udhi,
            msg_fmt,
            msg_src,
            fee_type,
            fee_code,
            valid_time,
            at_time,
            src_id,
            dest_terminal_ids: dests.into_iter().collect(),
            dest_terminal_type,
            msg_content,
            link_id,
        },
    )
}

fn report(v: Version) -> impl Strategy<Value = StatusReport> {
    (
        msg_id(),
        octets::<7>(),
        octets::<10>(),
        octets::<10>(),
        narrow::<32>(v.terminal_id_width()),
        any::<u32>(),
    )
        .prop_map(
            |(msg_id, stat, submit_time, done_time, dest_terminal_id, smsc_sequence)| {
                StatusReport {
                    msg_id,
                    stat,
                    submit_time,
                    done_time,
                    dest_terminal_id,
                    smsc_sequence,
                }
            },
        )
}

/// Registered_Delivery and a content that agrees with it.
fn deliver_content(v: Version) -> impl Strategy<Value = (u8, DeliverContent)> {
    let message = (
        any::<u8>().prop_filter("not a report", |r| *r != 1),
        bytes(255),
    )
        .prop_map(|(r, b)| (r, DeliverContent::Message(b)));
    let report = report(v).prop_map(|r| (1, DeliverContent::Report(r)));
    let malformed = bytes(255).prop_filter_map("a well-formed report", move |raw| {
        StatusReport::parse(v, &raw)
            .err()
            .map(|error| (1, DeliverContent::MalformedReport { raw, error }))
    });
    prop_oneof![message, report, malformed]
}

fn deliver(v: Version) -> impl Strategy<Value = Deliver> {
    (
        (msg_id(), octets::<21>(), octets::<10>(), any::<[u8; 3]>()),
        (
            narrow::<32>(v.terminal_id_width()),
            v30_byte(v),
            deliver_content(v),
            narrow::<20>(v.trailer_width()),
        ),
    )
        .prop_map(
            |(
                (msg_id, dest_id, service_id, [tp_pid, tp_udhi, msg_fmt]),
                (src_terminal_id, src_terminal_type, (registered_delivery, content), link_id),
            )| Deliver {
                msg_id,
                dest_id,
                service_id,
                tp_pid,
                tp_udhi,
                msg_fmt,
                src_terminal_id,
                src_terminal_type,
                registered_delivery,
                content,
                link_id,
            },
        )
}

fn query() -> impl Strategy<Value = Query> {
    (octets::<8>(), any::<u8>(), octets::<10>(), octets::<8>()).prop_map(
        |(time, query_type, query_code, reserve)| Query {
            time,
            query_type,
            query_code,
            reserve,
        },
    )
}

fn query_resp() -> impl Strategy<Value = QueryResp> {
    (
        octets::<8>(),
        any::<u8>(),
        octets::<10>(),
        any::<[u32; 8]>(),
    )
        .prop_map(|(time, query_type, query_code, c)| QueryResp {
            time,
            query_type,
            query_code,
            mt_tlmsg: c[0],
            mt_tlusr: c[1],
            mt_scs: c[2],
            mt_wt: c[3],
            mt_fl: c[4],
            mo_scs: c[5],
            mo_wt: c[6],
            mo_fl: c[7],
        })
}

/// Command ids that decode as `Body::Unknown`.
fn unknown_id() -> impl Strategy<Value = u32> {
    any::<u32>().prop_filter("a typed command", |id| {
        !matches!(id & 0x7fff_ffff, 1 | 2 | 4 | 5 | 6 | 7 | 8)
    })
}

fn body(v: Version) -> impl Strategy<Value = Body> {
    prop_oneof![
        connect().prop_map(Body::Connect),
        connect_resp(v).prop_map(Body::ConnectResp),
        Just(Body::Terminate),
        Just(Body::TerminateResp),
        submit(v).prop_map(Body::Submit),
        (msg_id(), result(v))
            .prop_map(|(msg_id, result)| Body::SubmitResp(SubmitResp { msg_id, result })),
        deliver(v).prop_map(Body::Deliver),
        (msg_id(), result(v))
            .prop_map(|(msg_id, result)| Body::DeliverResp(DeliverResp { msg_id, result })),
        query().prop_map(Body::Query),
        query_resp().prop_map(Body::QueryResp),
        msg_id().prop_map(|msg_id| Body::Cancel(Cancel { msg_id })),
        result(v).prop_map(|success_id| Body::CancelResp(CancelResp { success_id })),
        Just(Body::ActiveTest),
        any::<u8>().prop_map(|reserved| Body::ActiveTestResp(ActiveTestResp { reserved })),
        (unknown_id(), bytes(64)).prop_map(|(command_id, body)| Body::Unknown { command_id, body }),
    ]
}

fn pdu() -> impl Strategy<Value = (Version, Pdu)> {
    version().prop_flat_map(|v| {
        (
            Just(v),
            (any::<u32>(), body(v)).prop_map(|(seq, b)| Pdu::new(seq, b)),
        )
    })
}

/// Anything `decode` accepts must re-encode to the same bytes and decode to the same
/// PDU. The one deliberate exception: a 60-byte status report in a 3.0 DELIVER
/// (gocmpp's form) is re-emitted in the 71-byte spec form.
fn assert_stable(v: Version, frame: &Bytes) {
    if let Ok(pdu) = decode(v, frame) {
        let again = pdu.to_bytes(v).expect("a decoded PDU re-encodes");
        assert_eq!(decode(v, &again).as_ref(), Ok(&pdu));
        let normalised = v == Version::V30
            && matches!(&pdu.body, Body::Deliver(d) if d.report().is_some())
            && again.len() == frame.len() + 11;
        if !normalised {
            assert_eq!(&again, frame, "re-encoding is byte-exact");
        }
        let _ = pdu.to_json(v);
    }
}

proptest! {
    #[test]
    fn every_pdu_round_trips((v, pdu) in pdu()) {
        let bytes = pdu.to_bytes(v).unwrap();
        prop_assert_eq!(bytes.len(), pdu.encoded_len(v));
        prop_assert_eq!(u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(decode(v, &bytes), Ok(pdu.clone()));
        // JSON never panics and always names the command.
        let json = pdu.to_json(v);
        prop_assert_eq!(json["command"].as_str(), Some(pdu.command_name()));
    }

    #[test]
    fn group_send_round_trips(v in version(), n in 1usize..=100) {
        let ids: DestTerminalIds = (0..n).map(|i| Octets::new(format!("1380013{i:04}").as_bytes()).unwrap()).collect();
        let pdu = Pdu::new(1, Body::Submit(Submit { dest_terminal_ids: ids, ..Default::default() }));
        let bytes = pdu.to_bytes(v).unwrap();
        prop_assert_eq!(decode(v, &bytes), Ok(pdu));
    }

    #[test]
    fn decode_arbitrary_bytes_never_panics(v in version(), raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let frame = Bytes::from(raw);
        assert_stable(v, &frame);
    }

    #[test]
    fn decode_arbitrary_body_behind_valid_header_never_panics(
        v in version(),
        id in prop_oneof![
            (1u32..=9).prop_map(|c| c),
            (1u32..=9).prop_map(|c| c | 0x8000_0000),
            any::<u32>(),
        ],
        seq in any::<u32>(),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut buf = BytesMut::new();
        buf.put_u32((12 + body.len()) as u32);
        buf.put_u32(id);
        buf.put_u32(seq);
        buf.put_slice(&body);
        assert_stable(v, &buf.freeze());
    }

    #[test]
    fn decode_mutated_valid_frames_never_panics((v, pdu) in pdu(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut raw = pdu.encode_to_vec(v).unwrap();
        for (at, byte) in flips {
            let i = 12 + at % raw.len().saturating_sub(12).max(1);
            if let Some(b) = raw.get_mut(i) {
                *b = byte;
            }
        }
        assert_stable(v, &Bytes::from(raw));
    }

    #[test]
    fn codec_over_arbitrary_chunks_never_panics(
        v in version(),
        raw in proptest::collection::vec(any::<u8>(), 0..600),
        cut in any::<usize>(),
    ) {
        let mut codec = CmppCodec::with_max_frame(v, 512);
        let mut buf = BytesMut::new();
        let cut = cut % (raw.len() + 1);
        for chunk in [&raw[..cut], &raw[cut..]] {
            buf.put_slice(chunk);
            loop {
                let before = buf.len();
                match codec.decode(&mut buf) {
                    Ok(Some(_)) => prop_assert!(buf.len() < before),
                    Ok(None) => break,
                    // Frame errors leave the buffer (the stream is dead); decode errors consume the frame.
                    Err(wire::CodecError::Frame(_)) => break,
                    Err(_) => prop_assert!(buf.len() < before),
                }
            }
        }
    }

    #[test]
    fn codec_reassembles_split_stream((v, pdu) in pdu(), cut in any::<usize>()) {
        let bytes = pdu.to_bytes(v).unwrap();
        let mut codec = CmppCodec::new(v);
        let mut buf = BytesMut::new();
        let cut = cut % (bytes.len() + 1);
        buf.put_slice(&bytes[..cut]);
        let first = codec.decode(&mut buf).unwrap();
        if cut < bytes.len() {
            prop_assert_eq!(first, None);
            buf.put_slice(&bytes[cut..]);
            prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(pdu));
        } else {
            prop_assert_eq!(first, Some(pdu));
        }
    }
}
