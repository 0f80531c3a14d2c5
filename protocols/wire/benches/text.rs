//! Criterion benches of the text layer: splitting a 1,000-character message (CJK
//! with an emoji → UCS-2, 16 segments; ASCII → 7 segments of 153 characters with
//! ASCII long messages enabled), the cheap count, and reassembling the 16 UCS-2
//! segments pushed in reverse order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use wire::encode::{CodingPolicy, CodingUse};
use wire::reassembly::{MoPart, Reassembler, ReassemblyConfig};
use wire::segment::{SplitOptions, count, split};

fn cjk_1000() -> String {
    let sample =
        "【鸿雁物流】尊敬的客户，您的包裹已到达小区驿站，请凭取件码8866于今日18点前领取。😀";
    sample.chars().cycle().take(1000).collect()
}

fn bench_split(c: &mut Criterion) {
    let text = cjk_1000();
    let opts = SplitOptions::default();
    assert_eq!(split(&text, &opts, 1).unwrap().segments.len(), 16);
    c.bench_function("split 1000 chars CJK+emoji (UCS-2)", |b| {
        b.iter(|| split(black_box(&text), &opts, 0x5a))
    });
    c.bench_function("count 1000 chars CJK+emoji (UCS-2)", |b| {
        b.iter(|| count(black_box(&text), &opts))
    });

    let ascii: String = "Your parcel is at the locker, code 8866. "
        .chars()
        .cycle()
        .take(1000)
        .collect();
    let ascii_opts = SplitOptions {
        policy: CodingPolicy {
            ascii: CodingUse::Always,
            ascii_max_len: 159,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(split(&ascii, &ascii_opts, 1).unwrap().segments.len(), 7);
    c.bench_function("split 1000 chars ASCII (7-bit long)", |b| {
        b.iter(|| split(black_box(&ascii), &ascii_opts, 0x5a))
    });
}

fn bench_reassembly(c: &mut Criterion) {
    let s = split(&cjk_1000(), &SplitOptions::default(), 0x5a).unwrap();
    let parts: Vec<MoPart> = s
        .segments
        .iter()
        .rev()
        .map(|seg| MoPart {
            sender: "13800138000".into(),
            destination: "106901238866".into(),
            coding: s.coding.as_u8(),
            tp_udhi: seg.tp_udhi(),
            content: seg.content.clone(),
        })
        .collect();
    let now = Instant::now();
    c.bench_function("reassemble 16 parts in reverse order", |b| {
        b.iter_batched(
            || (Reassembler::new(ReassemblyConfig::default()), parts.clone()),
            |(mut r, parts)| {
                let mut out = Vec::new();
                for p in parts {
                    out.extend(r.push(p, now));
                }
                assert_eq!(out.len(), 1);
                out
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! { name = benches; config = config(); targets = bench_split, bench_reassembly }
criterion_main!(benches);
