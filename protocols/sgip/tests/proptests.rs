//! Property tests: every PDU type round-trips encode → decode → equal, and decoding
//! arbitrary bytes — raw, or behind a valid header with a matching length — never
//! panics; whatever does decode re-encodes to exactly the input bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use sgip::command;
use sgip::{
    Bind, Body, Deliver, LoginType, NodeIdWidth, Pdu, Report, ReportState, Resp, SequenceNumber,
    SgipCodec, Submit, Trace, TraceRecord, TraceResp, UserNumbers, Userrpt, decode,
};
use tokio_util::codec::{Decoder, Encoder};
use wire::Octets;

/// Command ids with a typed body.
const TYPED: [u32; 14] = [
    command::BIND,
    command::BIND_RESP,
    command::UNBIND,
    command::UNBIND_RESP,
    command::SUBMIT,
    command::SUBMIT_RESP,
    command::DELIVER,
    command::DELIVER_RESP,
    command::REPORT,
    command::REPORT_RESP,
    command::USERRPT,
    command::USERRPT_RESP,
    command::TRACE,
    command::TRACE_RESP,
];

/// Ids to put in front of arbitrary bodies: every typed one plus a few that are in
/// the command table but kept raw.
const HEADER_IDS: [u32; 18] = [
    TYPED[0],
    TYPED[1],
    TYPED[2],
    TYPED[3],
    TYPED[4],
    TYPED[5],
    TYPED[6],
    TYPED[7],
    TYPED[8],
    TYPED[9],
    TYPED[10],
    TYPED[11],
    TYPED[12],
    TYPED[13],
    command::ADDSP,
    command::MODIFYSMG_RESP,
    command::CHECKUSER,
    command::DELETESMG,
];

fn octets<const N: usize>() -> impl Strategy<Value = Octets<N>> {
    prop::array::uniform::<_, N>(any::<u8>()).prop_map(Octets)
}

fn sequence() -> impl Strategy<Value = SequenceNumber> {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(node_id, timestamp, counter)| {
        SequenceNumber {
            node_id,
            timestamp,
            counter,
        }
    })
}

fn content(max: usize) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn resp() -> impl Strategy<Value = Resp> {
    (any::<u8>(), octets::<8>()).prop_map(|(result, reserve)| Resp { result, reserve })
}

fn bind() -> impl Strategy<Value = Bind> {
    (any::<u8>(), octets::<16>(), octets::<16>(), octets::<8>()).prop_map(
        |(t, name, pw, reserve)| Bind {
            login_type: LoginType::from_u8(t),
            login_name: name,
            login_password: pw,
            reserve,
        },
    )
}

fn submit() -> impl Strategy<Value = Submit> {
    (
        (
            octets::<21>(),
            octets::<21>(),
            prop::collection::vec(octets::<21>(), 1..=100),
        ),
        (
            octets::<5>(),
            octets::<10>(),
            any::<u8>(),
            octets::<6>(),
            octets::<6>(),
        ),
        (any::<[u8; 3]>(), octets::<16>(), octets::<16>()),
        (any::<[u8; 5]>(), content(300), octets::<8>()),
    )
        .prop_map(|(numbers, fees, flags, tail)| {
            let (sp_number, charge_number, users) = numbers;
            let (corp_id, service_type, fee_type, fee_value, given_value) = fees;
            let ([agent_flag, morelateto_mt_flag, priority], expire_time, schedule_time) = flags;
            let (
                [report_flag, tp_pid, tp_udhi, message_coding, message_type],
                message_content,
                reserve,
            ) = tail;
            Submit {
                sp_number,
                charge_number,
                user_numbers: UserNumbers::from(users),
                corp_id,
                service_type,
                fee_type,
                fee_value,
                given_value,
                agent_flag,
                morelateto_mt_flag,
                priority,
                expire_time,
                schedule_time,
                report_flag,
                tp_pid,
                tp_udhi,
                message_coding,
                message_type,
                message_content,
                reserve,
            }
        })
}

fn deliver() -> impl Strategy<Value = Deliver> {
    (
        octets::<21>(),
        octets::<21>(),
        any::<[u8; 3]>(),
        content(300),
        octets::<8>(),
    )
        .prop_map(
            |(
                user_number,
                sp_number,
                [tp_pid, tp_udhi, message_coding],
                message_content,
                reserve,
            )| {
                Deliver {
                    user_number,
                    sp_number,
                    tp_pid,
                    tp_udhi,
                    message_coding,
                    message_content,
                    reserve,
                }
            },
        )
}

fn report() -> impl Strategy<Value = Report> {
    (
        sequence(),
        any::<u8>(),
        octets::<21>(),
        any::<u8>(),
        any::<u8>(),
        octets::<8>(),
    )
        .prop_map(
            |(submit_sequence, report_type, user_number, state, error_code, reserve)| Report {
                submit_sequence,
                report_type,
                user_number,
                state: ReportState::from_u8(state),
                error_code,
                reserve,
            },
        )
}

fn userrpt() -> impl Strategy<Value = Userrpt> {
    (octets::<21>(), octets::<21>(), any::<u8>(), octets::<8>()).prop_map(
        |(sp_number, user_number, user_condition, reserve)| Userrpt {
            sp_number,
            user_number,
            user_condition,
            reserve,
        },
    )
}

fn trace() -> impl Strategy<Value = Trace> {
    (sequence(), octets::<21>(), octets::<8>()).prop_map(
        |(submit_sequence, user_number, reserve)| Trace {
            submit_sequence,
            user_number,
            reserve,
        },
    )
}

fn trace_resp() -> impl Strategy<Value = TraceResp> {
    let record = (
        any::<u8>(),
        octets::<10>(),
        octets::<16>(),
        octets::<16>(),
        octets::<8>(),
    )
        .prop_map(
            |(result, node_id, receive_time, send_time, reserve)| TraceRecord {
                result,
                node_id,
                receive_time,
                send_time,
                reserve,
            },
        );
    (any::<bool>(), prop::collection::vec(record, 0..6)).prop_map(|(six, mut records)| {
        let node_id_width = if six {
            NodeIdWidth::Six
        } else {
            NodeIdWidth::Ten
        };
        if six {
            // The 6-byte form has nowhere to put bytes 6..10.
            for r in &mut records {
                r.node_id.0[6..].fill(0);
            }
        }
        // A Count of 0 carries no width information; it decodes as the spec form.
        let node_id_width = if records.is_empty() {
            NodeIdWidth::Ten
        } else {
            node_id_width
        };
        TraceResp {
            node_id_width,
            records,
        }
    })
}

fn unknown() -> impl Strategy<Value = Body> {
    (
        any::<u32>().prop_filter("typed id", |id| !TYPED.contains(id)),
        content(64),
    )
        .prop_map(|(command_id, body)| Body::Unknown { command_id, body })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        bind().prop_map(Body::Bind),
        resp().prop_map(Body::BindResp),
        Just(Body::Unbind),
        Just(Body::UnbindResp),
        submit().prop_map(Body::Submit),
        resp().prop_map(Body::SubmitResp),
        deliver().prop_map(Body::Deliver),
        resp().prop_map(Body::DeliverResp),
        report().prop_map(Body::Report),
        resp().prop_map(Body::ReportResp),
        userrpt().prop_map(Body::Userrpt),
        resp().prop_map(Body::UserrptResp),
        trace().prop_map(Body::Trace),
        trace_resp().prop_map(Body::TraceResp),
        unknown(),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu> {
    (sequence(), body()).prop_map(|(sequence, body)| Pdu { sequence, body })
}

/// A frame with a valid header (matching length) for `command_id` around `body`.
fn framed(command_id: u32, seq: SequenceNumber, body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(20 + body.len());
    out.extend_from_slice(&((20 + body.len()) as u32).to_be_bytes());
    out.extend_from_slice(&command_id.to_be_bytes());
    out.extend_from_slice(&seq.to_bytes());
    out.extend_from_slice(body);
    Bytes::from(out)
}

proptest! {
    #[test]
    fn every_pdu_round_trips(pdu in pdu()) {
        let bytes = pdu.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), pdu.encoded_len());
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(&back, &pdu);
        prop_assert!(back.to_json().is_object());
    }

    #[test]
    fn decode_of_arbitrary_bytes_never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
        let bytes = Bytes::from(data);
        if let Ok(pdu) = decode(&bytes) {
            prop_assert_eq!(pdu.to_bytes().unwrap(), bytes);
        }
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        pick in 0..HEADER_IDS.len(),
        seq in sequence(),
        body in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let bytes = framed(HEADER_IDS[pick], seq, &body);
        if let Ok(pdu) = decode(&bytes) {
            // Whatever decodes re-encodes byte-exactly.
            prop_assert_eq!(pdu.to_bytes().unwrap(), bytes);
            let _ = pdu.to_json();
        }
    }

    #[test]
    fn near_valid_bodies_never_panic(
        pdu in pdu(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        // Take a valid body, then either truncate it or flip one byte, and reframe it.
        let bytes = pdu.to_bytes().unwrap();
        let body = &bytes[20..];
        let truncated = &body[..cut.index(body.len() + 1)];
        let _ = decode(&framed(pdu.command_id(), pdu.sequence, truncated));
        if !body.is_empty() {
            let mut flipped = body.to_vec();
            flipped[flip.index(body.len())] ^= xor;
            let reframed = framed(pdu.command_id(), pdu.sequence, &flipped);
            if let Ok(back) = decode(&reframed) {
                prop_assert_eq!(back.to_bytes().unwrap(), reframed);
            }
        }
    }

    #[test]
    fn codec_over_arbitrary_bytes_never_panics(
        data in prop::collection::vec(any::<u8>(), 0..600),
        chunk in 1..64usize,
    ) {
        let mut codec = SgipCodec::new(512);
        let mut buf = BytesMut::new();
        'feed: for piece in data.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    // A frame error means the stream cannot be resynchronised.
                    Err(wire::CodecError::Frame(_)) => break 'feed,
                    Err(_) => continue,
                }
            }
        }
    }

    #[test]
    fn codec_reassembles_pdus_split_anywhere(
        pdus in prop::collection::vec(pdu(), 1..4),
        chunk in 1..97usize,
    ) {
        let mut codec = SgipCodec::default();
        let mut wire_bytes = BytesMut::new();
        for p in &pdus {
            codec.encode(p, &mut wire_bytes).unwrap();
        }
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in wire_bytes.chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(p) = codec.decode(&mut buf).unwrap() {
                out.push(p);
            }
        }
        prop_assert_eq!(out, pdus);
        prop_assert!(buf.is_empty());
    }
}
