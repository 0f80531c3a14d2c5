//! One segment of a split message into a Submit: `MessageCoding`, `TP_udhi` and
//! `MessageContent`. SGIP has no segment-count fields: the UDH alone carries the
//! total and the number (sms-encoding.md §3.3).

use bytes::Bytes;
use wire::coding::Coding;
use wire::segment::Segment;

use crate::submit::Submit;

impl Submit {
    /// Put `segment` (coded as `coding`) into this Submit, with TP_udhi = 1 exactly
    /// when the segment starts with a concatenation UDH.
    pub fn set_segment(&mut self, coding: Coding, segment: &Segment) {
        self.message_coding = coding.as_u8();
        self.set_udhi(segment.concat.is_some());
        self.message_content = Bytes::copy_from_slice(&segment.content);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use wire::segment::{SplitOptions, split};

    use super::*;

    #[test]
    fn reference_long_message_segments_set_udhi_and_content() {
        let text = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
        let split = split(text, &SplitOptions::default(), 0x5a).unwrap();
        let lengths: Vec<usize> = split
            .segments
            .iter()
            .map(|seg| {
                let mut submit = Submit::default();
                submit.set_segment(split.coding, seg);
                assert_eq!(submit.message_coding, 8);
                assert_eq!(submit.tp_udhi, 1);
                assert_eq!(submit.udh().unwrap().unwrap().0.concat(), seg.concat);
                submit.message_content.len()
            })
            .collect();
        // sms-encoding.md §3.4: MessageLength 140 then 20.
        assert_eq!(lengths, vec![140, 20]);
    }

    #[test]
    fn single_message_clears_udhi() {
        let mut submit = Submit {
            tp_udhi: 1,
            ..Default::default()
        };
        let split = split("您好", &SplitOptions::default(), 0).unwrap();
        submit.set_segment(split.coding, &split.segments[0]);
        assert_eq!((submit.tp_udhi, submit.message_coding), (0, 8));
        assert_eq!(&submit.message_content[..], &[0x60, 0xa8, 0x59, 0x7d]);
    }
}
