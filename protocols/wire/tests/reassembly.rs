//! Reassembly of inbound long MO messages: order, duplicates, mixed UDH forms, extra
//! information elements, interleaved senders, the timeout, the pending-set cap, and
//! arbitrary bytes (never a panic, nothing left behind).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use wire::coding::Coding;
use wire::encode::{encode_gbk, encode_ucs2};
use wire::reassembly::{MoPart, Reassembler, ReassemblyConfig};

const SENDER: &str = "13800138000";
const DEST: &str = "106901238866";

fn ucs2(udh: &[u8], text: &str) -> MoPart {
    let mut content = udh.to_vec();
    content.extend(encode_ucs2(text));
    MoPart {
        sender: SENDER.into(),
        destination: DEST.into(),
        coding: 8,
        tp_udhi: 1,
        content,
    }
}

fn config(timeout_secs: u64, max_pending: usize) -> ReassemblyConfig {
    ReassemblyConfig {
        timeout: Duration::from_secs(timeout_secs),
        max_pending,
    }
}

#[test]
fn every_order_of_four_parts_with_duplicates() {
    let texts = ["一", "二", "三", "四"];
    let orders = [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [0, 1, 2, 3]];
    for order in orders {
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let now = Instant::now();
        let mut out = Vec::new();
        for &i in order.iter().chain(order.iter().take(2)) {
            let n = i as u8 + 1;
            out.extend(r.push(ucs2(&[5, 0, 3, 0x77, 4, n], texts[i]), now));
        }
        assert_eq!(out.len(), 1, "order {order:?}");
        assert_eq!(out[0].text.as_deref(), Some("一二三四"));
        assert_eq!(out[0].received, vec![1, 2, 3, 4]);
    }
}

#[test]
fn tp_udhi_0x40_is_accepted() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let a = MoPart {
        tp_udhi: 0x40,
        ..ucs2(&[5, 0, 3, 1, 2, 1], "你")
    };
    let b = ucs2(&[5, 0, 3, 1, 2, 2], "好");
    assert!(r.push(a, now).is_empty());
    assert_eq!(r.push(b, now)[0].text.as_deref(), Some("你好"));
}

#[test]
fn mixed_udh_forms_and_extra_elements() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    // Part 1: 16-bit reference after a port-addressing IE; part 2: plain 8-bit form.
    let wide_with_ports = [
        0x0c, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x08, 0x04, 0x00, 0x2a, 0x02, 0x01,
    ];
    assert!(r.push(ucs2(&wide_with_ports, "甲"), now).is_empty());
    let m = r.push(ucs2(&[5, 0, 3, 0x2a, 2, 2], "乙"), now);
    assert_eq!(m[0].text.as_deref(), Some("甲乙"));
    assert_eq!(m[0].reference, Some(0x2a));
    assert_eq!(m[0].elements.len(), 1);
    assert_eq!(m[0].elements[0].iei, 0x05);
}

#[test]
fn key_separates_sender_destination_reference_and_total() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let other_sender = MoPart {
        sender: "13900139000".into(),
        ..ucs2(&[5, 0, 3, 1, 2, 2], "X")
    };
    let other_dest = MoPart {
        destination: "106901238899".into(),
        ..ucs2(&[5, 0, 3, 1, 2, 2], "Y")
    };
    let other_total = ucs2(&[5, 0, 3, 1, 3, 2], "Z");
    let other_ref = ucs2(&[5, 0, 3, 2, 2, 2], "W");
    for p in [other_sender, other_dest, other_total, other_ref] {
        assert!(r.push(p, now).is_empty());
    }
    assert!(r.push(ucs2(&[5, 0, 3, 1, 2, 2], "乙"), now).is_empty());
    let m = r.push(ucs2(&[5, 0, 3, 1, 2, 1], "甲"), now);
    assert_eq!(m[0].text.as_deref(), Some("甲乙"));
    assert_eq!(r.pending(), 4);
}

#[test]
fn timeout_with_the_last_part_missing() {
    let mut r = Reassembler::new(config(30, 16));
    let t = Instant::now();
    r.push(ucs2(&[5, 0, 3, 5, 4, 2], "乙"), t);
    r.push(ucs2(&[5, 0, 3, 5, 4, 1], "甲"), t + Duration::from_secs(20));
    // The timeout runs from the last new part: not yet at 30 s after the first.
    assert!(r.expire(t + Duration::from_secs(30)).is_empty());
    let m = r.expire(t + Duration::from_secs(50));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].text.as_deref(), Some("甲乙[missing parts 3-4/4]"));
    assert_eq!(m[0].missing, vec![3, 4]);
    assert_eq!(
        m[0].note.as_deref(),
        Some("timed out after 30s: missing parts 3, 4 of 4")
    );
    assert_eq!(r.pending(), 0);
    assert_eq!(r.next_deadline(), None);
}

#[test]
fn a_duplicate_does_not_extend_the_timeout() {
    let mut r = Reassembler::new(config(30, 16));
    let t = Instant::now();
    r.push(ucs2(&[5, 0, 3, 5, 2, 1], "甲"), t);
    r.push(ucs2(&[5, 0, 3, 5, 2, 1], "甲"), t + Duration::from_secs(25));
    assert_eq!(r.expire(t + Duration::from_secs(30)).len(), 1);
}

#[test]
fn expired_sets_come_out_oldest_first() {
    let mut r = Reassembler::new(config(10, 16));
    let t = Instant::now();
    r.push(ucs2(&[5, 0, 3, 1, 2, 1], "一"), t);
    r.push(ucs2(&[5, 0, 3, 2, 2, 1], "二"), t + Duration::from_secs(1));
    r.push(ucs2(&[5, 0, 3, 3, 2, 1], "三"), t + Duration::from_secs(2));
    let refs: Vec<_> = r
        .expire(t + Duration::from_secs(60))
        .iter()
        .map(|m| m.reference)
        .collect();
    assert_eq!(refs, vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn pending_cap_delivers_the_oldest_incomplete() {
    let mut r = Reassembler::new(config(600, 3));
    let t = Instant::now();
    for reference in 1..=3u8 {
        assert!(
            r.push(ucs2(&[5, 0, 3, reference, 2, 2], "尾"), t)
                .is_empty()
        );
    }
    let m = r.push(ucs2(&[5, 0, 3, 4, 2, 2], "尾"), t);
    assert_eq!(r.pending(), 3);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].reference, Some(1));
    assert_eq!(m[0].text.as_deref(), Some("[missing part 1/2]尾"));
    assert_eq!(
        m[0].note.as_deref(),
        Some("pushed out by the pending-set cap (3): missing part 1 of 2")
    );
    // A part of a set still held completes it without pushing anything out.
    let done = r.push(ucs2(&[5, 0, 3, 2, 2, 1], "头"), t);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].text.as_deref(), Some("头尾"));
}

#[test]
fn gbk_long_mo_with_a_character_split_across_parts() {
    let bytes = encode_gbk("你好").unwrap(); // c4 e3 ba c3
    let mut a = vec![5, 0, 3, 8, 2, 1];
    a.extend(&bytes[..3]);
    let mut b = vec![5, 0, 3, 8, 2, 2];
    b.extend(&bytes[3..]);
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let part = |content| MoPart {
        sender: SENDER.into(),
        destination: DEST.into(),
        coding: 15,
        tp_udhi: 1,
        content,
    };
    r.push(part(b), now);
    let m = r.push(part(a), now);
    assert_eq!(m[0].coding, Coding::Gbk);
    assert_eq!(m[0].text.as_deref(), Some("你好"));
}

#[test]
fn udh_without_concat_is_a_single_message_minus_its_header() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let m = r.push(
        ucs2(&[0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0], "端口"),
        Instant::now(),
    );
    assert_eq!(m[0].text.as_deref(), Some("端口"));
    assert_eq!(m[0].elements[0].iei, 0x05);
    assert!(m[0].is_complete());
}

#[test]
fn truncated_udh_is_delivered_raw_with_a_note() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let m = r.push(
        MoPart {
            content: vec![0x05, 0x00, 0x03],
            ..ucs2(&[], "")
        },
        Instant::now(),
    );
    assert_eq!(m[0].payload, vec![0x05, 0x00, 0x03]);
    assert!(
        m[0].note.as_deref().unwrap().contains("UDHL 5 exceeds"),
        "{:?}",
        m[0].note
    );
}

/// One arbitrary inbound part: few senders and references so sets collide.
fn arbitrary_part() -> impl Strategy<Value = (MoPart, u64)> {
    (
        0..3u8,
        prop_oneof![Just(0u8), Just(4), Just(8), Just(15), any::<u8>()],
        prop_oneof![Just(0u8), Just(1), Just(0x40), any::<u8>()],
        prop_oneof![
            // Well-formed concat header with small numbers, then arbitrary bytes.
            (
                0..3u8,
                0..4u8,
                0..4u8,
                proptest::collection::vec(any::<u8>(), 0..20)
            )
                .prop_map(|(r, t, n, rest)| [vec![5, 0, 3, r, t, n], rest].concat()),
            (
                0..3u8,
                0..4u8,
                0..4u8,
                proptest::collection::vec(any::<u8>(), 0..20)
            )
                .prop_map(|(r, t, n, rest)| [vec![6, 8, 4, 0, r, t, n], rest].concat()),
            proptest::collection::vec(any::<u8>(), 0..40),
        ],
        0..90u64,
    )
        .prop_map(|(s, coding, tp_udhi, content, dt)| {
            let part = MoPart {
                sender: format!("1380013800{s}"),
                destination: DEST.into(),
                coding,
                tp_udhi,
                content,
            };
            (part, dt)
        })
}

proptest! {
    #[test]
    fn arbitrary_parts_never_panic_and_nothing_stays_behind(
        parts in proptest::collection::vec(arbitrary_part(), 0..60),
        cap in 1..5usize,
    ) {
        let mut r = Reassembler::new(config(60, cap));
        let mut now = Instant::now();
        let mut out = Vec::new();
        for (part, dt) in parts {
            now += Duration::from_secs(dt);
            out.extend(r.expire(now));
            out.extend(r.push(part, now));
            prop_assert!(r.pending() <= cap);
        }
        out.extend(r.expire(now + Duration::from_secs(3600)));
        prop_assert_eq!(r.pending(), 0);
        for m in out {
            let mut all: Vec<u8> = m.received.iter().chain(&m.missing).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (1..=m.total).collect::<Vec<_>>());
            prop_assert_eq!(m.is_complete(), m.missing.is_empty() && m.note.is_none());
        }
    }
}
