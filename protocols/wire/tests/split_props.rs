//! Property tests of the outbound text layer and its round trip through reassembly:
//! any text (CJK, ASCII, emoji, mixed, empty, up to 10,000 characters) split, then
//! reassembled in any order with duplicates, gives the original text; every segment
//! fits 140 bytes with its UDH; the segment count is minimal; a surrogate pair or a
//! GBK character is never split; `count` agrees with `split`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use proptest::prelude::*;
use wire::coding::{Coding, decode_text};
use wire::encode::{CodingPolicy, CodingUse, encode_as, encode_gbk};
use wire::reassembly::{MoMessage, MoPart, Reassembler, ReassemblyConfig};
use wire::segment::{ConcatOptions, Split, SplitOptions, capacity, count, split, split_binary};
use wire::signature::{Signature, SignaturePosition};
use wire::text_error::TextError;

fn cjk() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\u{4e00}', '\u{9fa5}'),
        proptest::sample::select(vec![
            '，', '。', '！', '？', '【', '】', '“', '”', '、', '：'
        ]),
    ]
}

fn emoji() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\u{1f300}', '\u{1f64f}'),
        proptest::char::range('\u{1f900}', '\u{1f9ff}')
    ]
}

fn ascii() -> impl Strategy<Value = char> {
    prop_oneof![proptest::char::range(' ', '~'), Just('\n')]
}

fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![ascii(), cjk(), emoji(), any::<char>()]
}

/// Texts of one alphabet or mixed, from empty to a few hundred characters.
fn text(max: usize) -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        proptest::collection::vec(ascii(), 0..max),
        proptest::collection::vec(cjk(), 0..max),
        proptest::collection::vec(emoji(), 0..max),
        proptest::collection::vec(any_char(), 0..max),
    ];
    chars.prop_map(|v| v.into_iter().collect())
}

fn options() -> impl Strategy<Value = SplitOptions> {
    let policy = prop_oneof![
        Just(CodingPolicy::default()),
        Just(CodingPolicy {
            ascii: CodingUse::Never,
            ..Default::default()
        }),
        Just(CodingPolicy {
            ascii: CodingUse::Always,
            ascii_max_len: 140,
            ..Default::default()
        }),
        Just(CodingPolicy {
            gbk: CodingUse::Always,
            gbk_fallback_ucs2: true,
            ..Default::default()
        }),
        Just(CodingPolicy {
            gbk: CodingUse::SingleOnly,
            gbk_fallback_ucs2: true,
            ..Default::default()
        }),
    ];
    (policy, any::<bool>()).prop_map(|(policy, wide_reference)| SplitOptions {
        policy,
        concat: ConcatOptions {
            wide_reference,
            max_segments: 255,
        },
        signature: None,
    })
}

fn mo(split: &Split, index: usize) -> MoPart {
    let seg = &split.segments[index];
    MoPart {
        sender: "13800138000".into(),
        destination: "1069012388".into(),
        coding: split.coding.as_u8(),
        tp_udhi: seg.tp_udhi(),
        content: seg.content.clone(),
    }
}

/// Push every segment in a shuffled order with some repeated; return what came out.
fn reassemble(split: &Split, seed: u64, dups: &[prop::sample::Index]) -> Vec<MoMessage> {
    let n = split.segments.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.extend(dups.iter().map(|d| d.index(n)));
    // Fisher–Yates with a small LCG: deterministic per seed, any permutation reachable.
    let mut state = seed | 1;
    for i in (1..order.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        order.swap(i, j);
    }
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let mut out = Vec::new();
    for i in order {
        out.extend(r.push(mo(split, i), now));
    }
    assert_eq!(r.pending(), 0, "a set was left pending");
    out
}

/// The checks every successful split must pass.
fn check_split(text: &str, opts: &SplitOptions, s: &Split) {
    let cap = capacity(s.coding, &opts.policy, opts.concat.wide_reference);
    let n = s.segments.len();
    assert!(n >= 1);
    let joined: String = s.segments.iter().map(|g| g.text.as_str()).collect();
    assert_eq!(joined, text, "segment texts do not join to the text");
    let total_bytes: usize = s.segments.iter().map(|g| g.payload().len()).sum();
    for (i, seg) in s.segments.iter().enumerate() {
        assert!(
            seg.content.len() <= 140,
            "segment {} is {} bytes",
            i + 1,
            seg.content.len()
        );
        match seg.concat {
            None => assert_eq!(n, 1),
            Some(c) => {
                assert_eq!((usize::from(c.total), usize::from(c.number)), (n, i + 1));
                assert_eq!(c.wide, opts.concat.wide_reference);
                assert_eq!(seg.content[..6 + usize::from(c.wide)], c.to_bytes()[..]);
            }
        }
        assert_eq!(
            (seg.pk_total() as usize, seg.pk_number() as usize),
            (n, i + 1)
        );
        assert_eq!(seg.tp_udhi(), u8::from(n > 1));
        // Each payload decodes on its own to exactly its text: no torn character.
        assert_eq!(
            decode_text(s.coding, seg.payload()).as_deref(),
            Some(seg.text.as_str())
        );
        if s.coding == Coding::Ucs2 {
            let p = seg.payload();
            assert_eq!(p.len() % 2, 0);
            if let [.., hi, _] = p {
                assert!(
                    !(0xd8..=0xdb).contains(hi),
                    "segment {} ends inside a surrogate pair",
                    i + 1
                );
            }
        }
    }
    // Minimal: one message iff everything fits one; otherwise no segment could have
    // taken the first character of the next one (greedy certificate).
    if n == 1 {
        assert!(total_bytes <= cap.single);
    } else {
        assert!(total_bytes > cap.single);
        for pair in s.segments.windows(2) {
            let next_char = pair[1].text.chars().next().unwrap();
            let width = encode_as(next_char.encode_utf8(&mut [0; 4]), s.coding)
                .unwrap()
                .len();
            assert!(
                pair[0].payload().len() + width > cap.segment,
                "segment could have held one more character"
            );
        }
    }
    let c = count(text, opts).unwrap();
    assert_eq!((c.segments, c.coding, c.bytes), (n, s.coding, total_bytes));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn split_then_reassemble_gives_the_text(
        text in text(400),
        opts in options(),
        reference in any::<u16>(),
        seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let s = split(&text, &opts, reference).unwrap();
        check_split(&text, &opts, &s);
        let out = reassemble(&s, seed, &dups);
        // A repeated long-message part is dropped; a repeated single message has no
        // key to recognise it by and comes out again (the link dedupes by message id).
        let expected = if s.segments.len() > 1 { 1 } else { 1 + dups.len() };
        prop_assert_eq!(out.len(), expected, "got {:?}", out);
        for m in &out {
            prop_assert_eq!(m.text.as_deref(), Some(text.as_str()));
            prop_assert!(m.is_complete(), "{:?}", m.note);
        }
    }

    #[test]
    fn signatures_appear_once_whole_and_count_agrees(
        body in text(300),
        suffix in any::<bool>(),
        by_carrier in any::<bool>(),
        already in any::<bool>(),
        wide in any::<bool>(),
    ) {
        let sig_text = "【鸿雁物流】";
        let position = if suffix { SignaturePosition::Suffix } else { SignaturePosition::Prefix };
        let body = if already { format!("{sig_text}{body}") } else { body };
        let signature = Signature { text: sig_text.into(), position, added_by_carrier: by_carrier };
        let opts = SplitOptions {
            signature: Some(signature),
            concat: ConcatOptions { wide_reference: wide, max_segments: 255 },
            ..SplitOptions::default()
        };
        let s = split(&body, &opts, 7).unwrap();
        let cap = capacity(s.coding, &opts.policy, wide);
        let sent: String = s.segments.iter().map(|g| g.text.as_str()).collect();
        let shown = if by_carrier {
            // What the handset shows once the carrier adds it to the first / last segment.
            if suffix { format!("{sent}{sig_text}") } else { format!("{sig_text}{sent}") }
        } else {
            sent.clone()
        };
        let at_end = body.trim_start().starts_with(sig_text) || body.trim_end().ends_with(sig_text);
        let in_body = body.matches(sig_text).count();
        let expected = if by_carrier { in_body - usize::from(at_end) + 1 } else { in_body + usize::from(!at_end) };
        prop_assert_eq!(shown.matches(sig_text).count(), expected, "signature not present exactly once more");
        if by_carrier || !at_end {
            let placed = if suffix { shown.ends_with(sig_text) } else { shown.starts_with(sig_text) };
            prop_assert!(placed, "signature not at its end: {:?}", shown);
        }
        if !by_carrier {
            // Ours sits whole inside one segment.
            prop_assert!(s.segments.iter().any(|g| g.text.contains(sig_text)));
        }
        prop_assert_eq!(count(&body, &opts).unwrap().segments, s.segments.len());
        let sig_bytes = encode_as(sig_text, s.coding).unwrap().len();
        let n = s.segments.len();
        let limit = if n > 1 { cap.segment } else { cap.single };
        for (i, seg) in s.segments.iter().enumerate() {
            let carrier_adds = by_carrier && ((suffix && i + 1 == n) || (!suffix && i == 0));
            let on_air = seg.payload().len() + if carrier_adds { sig_bytes } else { 0 };
            prop_assert!(on_air <= limit, "segment {} would be {} bytes on the air", i + 1, on_air);
        }
    }

    #[test]
    fn gbk_round_trip(
        chars in proptest::collection::vec(prop_oneof![cjk(), ascii(), Just('€')], 0..400),
        wide in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let text: String = chars.into_iter().collect();
        let bytes = encode_gbk(&text).unwrap();
        let decoded = decode_text(Coding::Gbk, &bytes);
        prop_assert_eq!(decoded.as_deref(), Some(text.as_str()));
        let opts = SplitOptions {
            policy: CodingPolicy { ascii: CodingUse::Never, gbk: CodingUse::Always, ..Default::default() },
            concat: ConcatOptions { wide_reference: wide, max_segments: 255 },
            signature: None,
        };
        let s = split(&text, &opts, 3).unwrap();
        prop_assert_eq!(s.coding, Coding::Gbk);
        check_split(&text, &opts, &s);
        let out = reassemble(&s, seed, &[]);
        prop_assert_eq!(out[0].text.as_deref(), Some(text.as_str()));
    }

    #[test]
    fn gbk_without_fallback_fails_on_exactly_the_first_unmappable(text in text(200)) {
        let opts = SplitOptions {
            policy: CodingPolicy { ascii: CodingUse::Never, gbk: CodingUse::Always, gbk_fallback_ucs2: false, ..Default::default() },
            ..SplitOptions::default()
        };
        match split(&text, &opts, 1) {
            Ok(s) => prop_assert_eq!(s.coding, Coding::Gbk),
            Err(TextError::GbkUnmappable { ch, index }) => {
                prop_assert_eq!(text.chars().nth(index), Some(ch));
                prop_assert!(encode_gbk(ch.encode_utf8(&mut [0; 4])).is_err());
                let before: String = text.chars().take(index).collect();
                prop_assert!(encode_gbk(&before).is_ok());
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn binary_split_round_trips(data in proptest::collection::vec(any::<u8>(), 0..2000), wide in any::<bool>(), seed in any::<u64>()) {
        let s = split_binary(&data, &ConcatOptions { wide_reference: wide, max_segments: 255 }, 9).unwrap();
        prop_assert!(s.segments.iter().all(|g| g.content.len() <= 140));
        if data.len() <= 140 {
            prop_assert_eq!(&s.segments[0].content, &data);
        }
        let out = reassemble(&s, seed, &[]);
        prop_assert_eq!(out.len(), 1);
        prop_assert_eq!(out[0].coding, Coding::Binary);
        prop_assert_eq!(out[0].text.as_deref(), None);
        prop_assert_eq!(&out[0].payload, &data);
    }
}

proptest! {
    // 10,000-character texts: fewer cases, the same checks.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ten_thousand_characters(
        alphabet in 0..4usize,
        text_seed in any::<u64>(),
        wide in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let text = generated(alphabet, text_seed, 10_000);
        prop_assert_eq!(text.chars().count(), 10_000);
        let opts = SplitOptions { concat: ConcatOptions { wide_reference: wide, max_segments: 255 }, ..Default::default() };
        let c = count(&text, &opts).unwrap();
        match split(&text, &opts, 0x4242) {
            Ok(s) => {
                check_split(&text, &opts, &s);
                let out = reassemble(&s, seed, &[]);
                prop_assert_eq!(out[0].text.as_deref(), Some(text.as_str()));
            }
            Err(TextError::TooManySegments { needed, max }) => {
                // 10,000 emoji are 40,000 bytes: ~300 segments, more than a UDH can number.
                prop_assert_eq!((needed, max), (c.segments, 255));
                prop_assert!(needed > 255);
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

/// `len` characters of one alphabet (ASCII, CJK, emoji) or of all of Unicode,
/// drawn from a seeded generator: a proptest value tree of 10,000 characters would
/// cost more than the checks themselves.
fn generated(alphabet: usize, seed: u64, len: usize) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 32) as u32
    };
    (0..len)
        .map(|_| {
            let r = next();
            let kind = if alphabet < 3 {
                alphabet
            } else {
                r as usize % 4
            };
            let v = next();
            let c = match kind {
                0 => char::from_u32(0x20 + v % 0x5f),
                1 => char::from_u32(0x4e00 + v % 0x51a6),
                2 => char::from_u32(0x1f300 + v % 0x150),
                _ => char::from_u32(v % 0x11_0000),
            };
            c.unwrap_or('\u{fffd}')
        })
        .collect()
}

#[test]
fn empty_text_round_trips() {
    let s = split("", &SplitOptions::default(), 0).unwrap();
    let out = reassemble(&s, 1, &[]);
    assert_eq!(out[0].text.as_deref(), Some(""));
}
