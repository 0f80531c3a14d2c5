//! The worked examples of sms-encoding.md, byte for byte: §3.4 (74-character UCS-2
//! message in two segments, 8-bit reference 0x5a; the 16-bit reference variant),
//! §4 (signature bytes in UCS-2 and GBK) and the §3.2 capacity table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use wire::coding::{Coding, decode_text};
use wire::encode::{CodingPolicy, CodingUse, encode_as, encode_text};
use wire::hex;
use wire::reassembly::{MoPart, Reassembler, ReassemblyConfig};
use wire::segment::{ConcatOptions, SplitOptions, count, split};
use wire::udh::{Concat, Udh};

const TEXT: &str = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";

const SEGMENT_1: &str = "\
    0500035a02013010793a4f8b79d16280\
    30115c0a656c76845ba26237ff0c60a8\
    672c670876848d2653555df27ecf751f\
    6210ff0c5e947f3491d1989d4e3a0031\
    00320038002e003500305143ff0c6700\
    540e7f348d3965e5671f4e3a672c6708\
    0032003565e5300259825df27f348d39\
    8bf75ffd7565672c77ed4fe13002611f\
    8c2260a87684652f6301ff0c";

const SEGMENT_2: &str = "\
    0500035a0202795d60a8751f6d3b6109\
    5febff01";

fn unhex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&clean).unwrap()
}

fn mo(content: Vec<u8>) -> MoPart {
    MoPart {
        sender: "13800138000".into(),
        destination: "1069012388".into(),
        coding: 8,
        tp_udhi: 1,
        content,
    }
}

#[test]
fn the_text_is_74_characters_148_bytes() {
    assert_eq!(TEXT.chars().count(), 74);
    assert_eq!(
        encode_text(TEXT, &CodingPolicy::default()).unwrap().1.len(),
        148
    );
}

#[test]
fn two_segment_example_reproduces_the_hex_exactly() {
    let s = split(TEXT, &SplitOptions::default(), 0x5a).unwrap();
    assert_eq!(s.coding, Coding::Ucs2);
    assert_eq!(s.coding.as_u8(), 8);
    assert_eq!(s.segments.len(), 2);
    let (one, two) = (&s.segments[0], &s.segments[1]);
    assert_eq!(one.content, unhex(SEGMENT_1));
    assert_eq!(two.content, unhex(SEGMENT_2));
    // Msg_Length 140 and 20; Pk_total/Pk_number 2/1 and 2/2; TP_udhi 1.
    assert_eq!(
        (
            one.content.len(),
            one.pk_total(),
            one.pk_number(),
            one.tp_udhi()
        ),
        (140, 2, 1, 1)
    );
    assert_eq!(
        (
            two.content.len(),
            two.pk_total(),
            two.pk_number(),
            two.tp_udhi()
        ),
        (20, 2, 2, 1)
    );
    assert_eq!(
        one.concat,
        Some(Concat {
            reference: 0x5a,
            wide: false,
            total: 2,
            number: 1
        })
    );
    assert_eq!(one.text.chars().count(), 67);
    assert_eq!(two.text, "祝您生活愉快！");
}

#[test]
fn two_segment_example_decodes_back() {
    for hex in [SEGMENT_1, SEGMENT_2] {
        let bytes = unhex(hex);
        let (udh, payload) = Udh::parse(&bytes).unwrap();
        assert_eq!(
            udh.concat().map(|c| (c.reference, c.total, c.wide)),
            Some((0x5a, 2, false))
        );
        assert!(decode_text(Coding::Ucs2, payload).is_some_and(|t| TEXT.contains(&t)));
    }
}

#[test]
fn two_segment_example_reassembles_in_either_order() {
    for order in [[SEGMENT_1, SEGMENT_2], [SEGMENT_2, SEGMENT_1]] {
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let now = Instant::now();
        assert!(r.push(mo(unhex(order[0])), now).is_empty());
        let m = r.push(mo(unhex(order[1])), now);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].text.as_deref(), Some(TEXT));
        assert_eq!(m[0].reference, Some(0x5a));
        assert!(m[0].is_complete());
    }
}

#[test]
fn count_of_the_example() {
    let c = count(TEXT, &SplitOptions::default()).unwrap();
    assert_eq!(
        (
            c.coding,
            c.segments,
            c.chars,
            c.bytes,
            c.per_segment,
            c.remaining
        ),
        (Coding::Ucs2, 2, 74, 148, 134, 120)
    );
}

#[test]
fn sixteen_bit_reference_example() {
    let expected = unhex("06 08 04 12 34 03 02 6d 4b 8b d5");
    let concat = Concat {
        reference: 0x1234,
        wide: true,
        total: 3,
        number: 2,
    };
    let mut content = concat.to_bytes();
    content.extend(encode_as("测试", Coding::Ucs2).unwrap());
    assert_eq!(content, expected);
    let (udh, payload) = Udh::parse(&expected).unwrap();
    assert_eq!(udh.concat(), Some(concat));
    assert_eq!(decode_text(Coding::Ucs2, payload).as_deref(), Some("测试"));

    // split writes the same header into segment 2 of a 3-segment message.
    let opts = SplitOptions {
        concat: ConcatOptions {
            wide_reference: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let s = split(&"测".repeat(140), &opts, 0x1234).unwrap();
    assert_eq!(s.segments.len(), 3);
    assert_eq!(&s.segments[1].content[..7], &expected[..7]);
    assert_eq!(s.segments[1].concat, Some(concat));

    // The part joins its siblings in any order.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let mut first = Concat {
        number: 1,
        ..concat
    }
    .to_bytes();
    first.extend(encode_as("这是", Coding::Ucs2).unwrap());
    let mut third = Concat {
        number: 3,
        ..concat
    }
    .to_bytes();
    third.extend(encode_as("！", Coding::Ucs2).unwrap());
    assert!(r.push(mo(third), now).is_empty());
    assert!(r.push(mo(expected), now).is_empty());
    let m = r.push(mo(first), now);
    assert_eq!(m[0].text.as_deref(), Some("这是测试！"));
    assert_eq!(m[0].reference, Some(0x1234));
}

#[test]
fn signature_bytes_in_ucs2_and_gbk() {
    assert_eq!(
        hex::encode(&encode_as("【示例科技】", Coding::Ucs2).unwrap()),
        "3010793a4f8b79d162803011"
    );
    let gbk = encode_as("【】", Coding::Gbk).unwrap();
    assert_eq!(gbk, vec![0xa1, 0xbe, 0xa1, 0xbf]);
    let policy = CodingPolicy {
        gbk: CodingUse::SingleOnly,
        ..Default::default()
    };
    assert_eq!(encode_text("【示例科技】", &policy).unwrap().0, Coding::Gbk);
}

#[test]
fn capacity_table() {
    use wire::segment::{Capacity, capacity};
    let p = CodingPolicy::default();
    let cmpp = CodingPolicy {
        ascii_max_len: 159,
        ..p
    };
    let rows = [
        (Coding::Ucs2, p, false, 140, 134),
        (Coding::Ucs2, p, true, 140, 132),
        (Coding::Ascii, cmpp, false, 159, 153),
        (Coding::Ascii, cmpp, true, 159, 152),
        (Coding::Binary, p, false, 140, 134),
        (Coding::Binary, p, true, 140, 133),
    ];
    for (coding, policy, wide, single, segment) in rows {
        assert_eq!(
            capacity(coding, &policy, wide),
            Capacity { single, segment },
            "{coding:?} wide={wide}"
        );
    }
    // 70 / 67 / 66 UCS-2 characters.
    let wide = SplitOptions {
        concat: ConcatOptions {
            wide_reference: true,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        count(&"字".repeat(70), &SplitOptions::default())
            .unwrap()
            .segments,
        1
    );
    assert_eq!(
        count(&"字".repeat(134), &SplitOptions::default())
            .unwrap()
            .segments,
        2
    );
    assert_eq!(
        count(&"字".repeat(135), &SplitOptions::default())
            .unwrap()
            .segments,
        3
    );
    assert_eq!(count(&"字".repeat(132), &wide).unwrap().segments, 2);
    assert_eq!(count(&"字".repeat(133), &wide).unwrap().segments, 3);
}
