//! Encode / decode throughput of the PDUs that carry the traffic: a CMPP 3.0 SUBMIT with
//! 70 UCS-2 characters to one recipient (335 bytes — the 5 M decodes/s target),
//! a DELIVER MO and a DELIVER status report, plus the 2.0 SUBMIT for comparison.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-cmpp cargo bench -p hongyan-cmpp`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cmpp::{
    Body, Deliver, DeliverContent, DestTerminalIds, MsgId, Pdu, StatusReport, Submit, Version,
    decode,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wire::Octets;

/// 70 UCS-2 characters (140 bytes): a full single Chinese SMS.
fn ucs2_70() -> Bytes {
    let text = "【示例科技】您的验证码是123456，五分钟内有效。请勿将验证码告诉他人，如非本人操作请忽略本短信，谢谢配合。感谢您的使用，祝您生活愉快！！";
    let units: Vec<u16> = text.encode_utf16().take(70).collect();
    assert_eq!(units.len(), 70, "sample text must have 70 UTF-16 units");
    Bytes::from(
        units
            .iter()
            .flat_map(|u| u.to_be_bytes())
            .collect::<Vec<u8>>(),
    )
}

fn submit() -> Pdu {
    Pdu::new(
        42,
        Body::Submit(Submit {
            registered_delivery: 1,
            service_id: Octets::new(b"MNOTIFY").unwrap(),
            fee_user_type: 2,
            msg_fmt: 8,
            msg_src: Octets::new(b"901234").unwrap(),
            fee_type: Octets::new(b"01").unwrap(),
            fee_code: Octets::new(b"000000").unwrap(),
            src_id: Octets::new(b"1069012388").unwrap(),
            dest_terminal_ids: DestTerminalIds::from_numbers(["13800138000"]).unwrap(),
            msg_content: ucs2_70(),
            ..Default::default()
        }),
    )
}

fn deliver_mo() -> Pdu {
    let reply: Vec<u8> = "好的，收到，谢谢"
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    Pdu::new(
        43,
        Body::Deliver(Deliver {
            msg_id: MsgId(0x110C_5181_34FD_0003),
            dest_id: Octets::new(b"106901238866").unwrap(),
            service_id: Octets::new(b"MNOTIFY").unwrap(),
            msg_fmt: 8,
            src_terminal_id: Octets::new(b"13800138000").unwrap(),
            content: DeliverContent::Message(Bytes::from(reply)),
            ..Default::default()
        }),
    )
}

fn deliver_report() -> Pdu {
    Pdu::new(
        44,
        Body::Deliver(Deliver {
            msg_id: MsgId(0x110C_5181_34FD_0002),
            dest_id: Octets::new(b"1069012388").unwrap(),
            service_id: Octets::new(b"MNOTIFY").unwrap(),
            src_terminal_id: Octets::new(b"13800138000").unwrap(),
            registered_delivery: 1,
            content: DeliverContent::Report(StatusReport {
                msg_id: MsgId(0x110C_4141_34FD_0001),
                stat: Octets::new(b"DELIVRD").unwrap(),
                submit_time: Octets::new(b"2401020304").unwrap(),
                done_time: Octets::new(b"2401020305").unwrap(),
                dest_terminal_id: Octets::new(b"13800138000").unwrap(),
                smsc_sequence: 0,
            }),
            ..Default::default()
        }),
    )
}

fn bench_pdu(
    c: &mut Criterion,
    name: &str,
    version: Version,
    pdu: &Pdu,
    expected_len: Option<usize>,
) {
    let frame = pdu.to_bytes(version).unwrap();
    if let Some(len) = expected_len {
        assert_eq!(frame.len(), len, "{name}: wrong sample size");
    }
    assert_eq!(&decode(version, &frame).unwrap(), pdu);

    let mut group = c.benchmark_group("cmpp");
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("{name}_decode_{}b", frame.len()), |b| {
        b.iter(|| decode(version, black_box(&frame)))
    });
    let mut buf = BytesMut::with_capacity(4096);
    group.bench_function(format!("{name}_encode_{}b", frame.len()), |b| {
        b.iter(|| {
            buf.clear();
            black_box(pdu).encode(version, &mut buf).unwrap();
            black_box(buf.len())
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_pdu(c, "cmpp3_submit", Version::V30, &submit(), Some(335));
    bench_pdu(
        c,
        "cmpp2_submit",
        Version::V20,
        &submit(),
        Some(138 + 21 + 140),
    );
    bench_pdu(c, "cmpp3_deliver_mo", Version::V30, &deliver_mo(), None);
    bench_pdu(
        c,
        "cmpp3_deliver_report",
        Version::V30,
        &deliver_report(),
        Some(180),
    );
}

criterion_group! {
    name = codec;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(codec);
