//! One segment of a split message into a SUBMIT: `Msg_Fmt`, `TP_udhi`, `Pk_total`,
//! `Pk_number` and `Msg_Content`, consistent with the segment's UDH
//! (sms-encoding.md §3.3: in practice Pk_total/Pk_number mirror the UDH's TT/SS).

use bytes::Bytes;
use wire::coding::Coding;
use wire::segment::Segment;

use crate::submit::Submit;

impl Submit {
    /// Put `segment` (coded as `coding`) into this SUBMIT.
    pub fn set_segment(&mut self, coding: Coding, segment: &Segment) {
        self.msg_fmt = coding.as_u8();
        self.tp_udhi = segment.tp_udhi();
        self.pk_total = segment.pk_total();
        self.pk_number = segment.pk_number();
        self.msg_content = Bytes::copy_from_slice(&segment.content);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use wire::segment::{SplitOptions, split};

    use super::*;
    use crate::{Body, Pdu, Version, decode};

    /// sms-encoding.md §3.4, segment 1 and 2 content.
    const SEG1: &str = "0500035a0201301079 3a4f8b79d16280 30115c0a656c76845ba26237ff0c60a8 672c670876848d2653555df27ecf751f 6210ff0c5e947f3491d1989d4e3a0031 003200380 02e0035 00305143ff0c6700 540e7f348d3965e5671f4e3a672c6708 0032003565e53002 59825df27f348d39 8bf75ffd7565672c77ed4fe13002611f 8c2260a87684652f6301ff0c";
    const SEG2: &str = "0500035a0202795d60a8751f6d3b61095feb ff01";

    #[test]
    fn reference_long_message_fills_the_pk_fields_and_content() {
        let text = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
        let split = split(text, &SplitOptions::default(), 0x5a).unwrap();
        let expected = [SEG1, SEG2].map(|h| wire::hex::decode(h).unwrap());
        for version in [Version::V20, Version::V30] {
            for (i, seg) in split.segments.iter().enumerate() {
                let mut submit = Submit {
                    dest_terminal_ids: crate::DestTerminalIds::from_numbers(["13800138000"])
                        .unwrap(),
                    ..Default::default()
                };
                submit.set_segment(split.coding, seg);
                let bytes = Pdu::new(7, Body::Submit(submit)).to_bytes(version).unwrap();
                let Body::Submit(back) = decode(version, &bytes).unwrap().body else {
                    panic!("a SUBMIT")
                };
                assert_eq!(
                    (back.pk_total, back.pk_number, back.tp_udhi, back.msg_fmt),
                    (2, i as u8 + 1, 1, 8)
                );
                assert_eq!(&back.msg_content[..], &expected[i][..], "segment {}", i + 1);
            }
        }
    }

    #[test]
    fn single_message_resets_the_pk_fields() {
        let mut submit = Submit {
            pk_total: 3,
            pk_number: 2,
            tp_udhi: 1,
            ..Default::default()
        };
        let split = split("TD", &SplitOptions::default(), 0).unwrap();
        submit.set_segment(split.coding, &split.segments[0]);
        assert_eq!(
            (
                submit.pk_total,
                submit.pk_number,
                submit.tp_udhi,
                submit.msg_fmt
            ),
            (1, 1, 0, 0)
        );
        assert_eq!(&submit.msg_content[..], b"TD");
    }
}
