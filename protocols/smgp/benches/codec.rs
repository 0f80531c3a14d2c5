//! Encode / decode cost of the PDUs that carry the traffic: a SUBMIT with 70 UCS-2
//! characters to one recipient, a DELIVER MO with a LinkID, a DELIVER status report
//! (decode includes parsing the 122-byte report).
//!
//! Run: `CARGO_TARGET_DIR=/work/target-smgp cargo bench -p hongyan-smgp`

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, criterion_group, criterion_main};
use smgp::tlv::{Tlv, Tlvs};
use smgp::{Body, Deliver, MsgId, Pdu, StatusReport, Submit, Version, decode};
use wire::Octets;

fn submit() -> Pdu {
    // 70 UCS-2 characters: "测试" repeated.
    let content: Vec<u8> = [0x6d, 0x4b, 0x8b, 0xd5]
        .iter()
        .copied()
        .cycle()
        .take(140)
        .collect();
    let s = Submit {
        service_id: Octets(*b"TEST\0\0\0\0\0\0"),
        ..Submit::mt("10659012345", &["13300000000"], 8, Bytes::from(content)).unwrap_or_default()
    };
    Pdu::new(2, Body::Submit(s))
}

fn deliver_mo() -> Pdu {
    let d = Deliver {
        msg_id: "01006101021306000003".parse().unwrap_or_default(),
        recv_time: Octets(*b"20240102130600"),
        src_term_id: Octets::new(b"13300000000").unwrap_or_default(),
        dest_term_id: Octets::new(b"1065901234566").unwrap_or_default(),
        msg_content: Bytes::from_static(b"TD"),
        tlvs: Tlvs(vec![Tlv::LinkId(Octets(*b"12345678901234567890"))]),
        ..Deliver::default()
    };
    Pdu::new(201, Body::Deliver(d))
}

fn deliver_report() -> Pdu {
    let mut text = [0u8; 20];
    text[..7].copy_from_slice(&[b'0', b'0', b'4', 0x4f, 0x60, 0x59, 0x7d]);
    let r = StatusReport {
        msg_id: "01006101021304000001".parse().unwrap_or_default(),
        submit_date: Octets(*b"2401021304"),
        done_date: Octets(*b"2401021305"),
        text,
        ..StatusReport::default()
    };
    let d = Deliver {
        recv_time: Octets(*b"20240102130500"),
        src_term_id: Octets::new(b"13300000000").unwrap_or_default(),
        dest_term_id: Octets::new(b"10659012345").unwrap_or_default(),
        ..Deliver::for_report("01006101021305000002".parse().unwrap_or(MsgId::ZERO), &r)
    };
    Pdu::new(200, Body::Deliver(d))
}

fn frame(pdu: &Pdu) -> Bytes {
    pdu.to_bytes(Version::V30).unwrap_or_default()
}

fn bench_encode(c: &mut Criterion, name: &str, pdu: &Pdu) {
    let mut buf = BytesMut::with_capacity(512);
    c.bench_function(name, |b| {
        b.iter(|| {
            buf.clear();
            let _ = black_box(pdu).encode(Version::V30, &mut buf);
            black_box(buf.len())
        })
    });
}

fn benches(c: &mut Criterion) {
    let s = submit();
    let submit_frame = frame(&s);
    assert!(
        submit_frame.len() == 126 + 21 + 140,
        "benchmark SUBMIT is {} bytes",
        submit_frame.len()
    );
    c.bench_function("smgp_submit_decode", |b| {
        b.iter(|| decode(Version::V30, black_box(&submit_frame)))
    });
    bench_encode(c, "smgp_submit_encode", &s);

    let mo = deliver_mo();
    let mo_frame = frame(&mo);
    c.bench_function("smgp_deliver_mo_decode", |b| {
        b.iter(|| decode(Version::V30, black_box(&mo_frame)))
    });
    bench_encode(c, "smgp_deliver_mo_encode", &mo);

    let rpt = deliver_report();
    let rpt_frame = frame(&rpt);
    assert!(
        matches!(decode(Version::V30, &rpt_frame), Ok(Pdu { body: Body::Deliver(ref d), .. }) if matches!(d.report(), Some(Ok(_))))
    );
    c.bench_function("smgp_deliver_report_decode", |b| {
        b.iter(|| match decode(Version::V30, black_box(&rpt_frame)) {
            Ok(Pdu {
                body: Body::Deliver(d),
                ..
            }) => d.report().map(|r| r.is_ok()),
            _ => None,
        })
    });
    bench_encode(c, "smgp_deliver_report_encode", &rpt);
}

criterion_group! {
    name = codec;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(codec);
