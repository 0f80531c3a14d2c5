//! Encode / decode speed of the SGIP PDUs on the hot path: a Submit of 70 UCS-2
//! characters to one recipient, an MO Deliver, and a Report.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-sgip cargo bench -p hongyan-sgip`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, criterion_group, criterion_main};
use sgip::submit::CHARGE_SP;
use sgip::{Body, Deliver, Pdu, Report, ReportState, SequenceNumber, Submit, Timestamp, decode};
use wire::Octets;

fn ucs2(text: &str) -> Bytes {
    text.encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect::<Vec<u8>>()
        .into()
}

fn seq(node_id: u32, counter: u32) -> SequenceNumber {
    SequenceNumber::new(node_id, Timestamp::new(1, 2, 3, 4, 5).unwrap(), counter)
}

/// 70 UCS-2 characters (140 bytes): a full single SMS.
fn submit() -> Pdu {
    let text = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
    let content = ucs2(&text.chars().take(70).collect::<String>());
    assert_eq!(content.len(), 140);
    let s = Submit {
        charge_number: CHARGE_SP,
        corp_id: Octets::new(b"12345").unwrap(),
        service_type: Octets::new(b"NOTICE").unwrap(),
        fee_type: 1,
        fee_value: Octets::new(b"0").unwrap(),
        given_value: Octets::new(b"0").unwrap(),
        report_flag: 1,
        ..Submit::new("1065501234588", "8613012345678", 8, content).unwrap()
    };
    Pdu::new(seq(3_010_012_345, 2), Body::Submit(s))
}

fn deliver() -> Pdu {
    let d = Deliver::new(
        "8613012345678",
        "1065501234588",
        8,
        ucs2("好的，明天上午十点见"),
    )
    .unwrap();
    Pdu::new(seq(101_001, 77), Body::Deliver(d))
}

fn report() -> Pdu {
    let r = Report::for_submit(
        seq(3_010_012_345, 2),
        "8613012345678",
        ReportState::Delivered,
        0,
    )
    .unwrap();
    Pdu::new(seq(101_001, 78), Body::Report(r))
}

fn bench(c: &mut Criterion) {
    for (name, pdu) in [
        ("submit", submit()),
        ("deliver", deliver()),
        ("report", report()),
    ] {
        let frame = pdu.to_bytes().unwrap();
        c.bench_function(&format!("sgip_{name}_decode"), |b| {
            b.iter(|| decode(black_box(&frame)).unwrap())
        });
        let mut buf = BytesMut::with_capacity(frame.len());
        c.bench_function(&format!("sgip_{name}_encode"), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&pdu).encode(&mut buf).unwrap();
                black_box(buf.len())
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
