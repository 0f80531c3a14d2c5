//! One segment of a split message into a Submit: `MsgFormat`, `MsgContent` and the
//! TLVs TP_udhi / PkTotal / PkNumber set consistently with the segment's UDH
//! (sms-encoding.md §3.3).

use bytes::Bytes;
use wire::coding::Coding;
use wire::segment::Segment;

use crate::submit::Submit;
use crate::tlv::{Tlv, tag};

impl Submit {
    /// Put `segment` (coded as `coding`) into this Submit.
    ///
    /// A segment of a long message carries TP_udhi = 1, PkTotal and PkNumber (added in
    /// that order, after any other TLVs, or replacing earlier values in place); a
    /// single message carries none of the three, so a reused Submit never keeps stale
    /// segment TLVs.
    pub fn set_segment(&mut self, coding: Coding, segment: &Segment) {
        self.msg_format = coding.as_u8();
        self.msg_content = Bytes::copy_from_slice(&segment.content);
        match segment.concat {
            Some(concat) => {
                self.tlvs.set(Tlv::udhi());
                self.tlvs.set(Tlv::PkTotal(concat.total));
                self.tlvs.set(Tlv::PkNumber(concat.number));
            }
            None => {
                self.tlvs.remove(tag::TP_UDHI);
                self.tlvs.remove(tag::PK_TOTAL);
                self.tlvs.remove(tag::PK_NUMBER);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use wire::segment::{SplitOptions, split};

    use super::*;
    use crate::{Body, Pdu, Version, decode};

    /// smgp.md Example 3b: segment 1 of 2, UDH 05 00 03 2a 02 01 + "第一段", TLVs
    /// TP_udhi / PkTotal / PkNumber.
    const EXAMPLE_3B: &str = "000000ae00000002000000030601015445535400000000000030303030303030303030303030300800000000000000000000000000000000000000000000000000000000000000000000313036353930313233343500000000000000000000000000000000000000000000000000000000000000013133333030303030303030000000000000000000000c0500032a02017b2c4e006bb5000000000000000000020001010009000102000a000101";

    #[test]
    fn rebuilding_example_3b_from_its_segment_gives_the_same_bytes() {
        let bytes = Bytes::from(wire::hex::decode(EXAMPLE_3B).unwrap());
        let Body::Submit(original) = decode(Version::V30, &bytes).unwrap().body else {
            panic!("example 3b is a Submit")
        };
        let segment = Segment {
            concat: Some(wire::udh::Concat {
                reference: 0x2a,
                wide: false,
                total: 2,
                number: 1,
            }),
            content: wire::hex::decode("0500032a02017b2c4e006bb5").unwrap(),
            text: "第一段".into(),
        };
        let mut rebuilt = Submit {
            msg_content: Bytes::new(),
            msg_format: 0,
            tlvs: crate::Tlvs::new(),
            ..original.clone()
        };
        rebuilt.set_segment(Coding::Ucs2, &segment);
        assert_eq!(rebuilt, original);
        let pdu = Pdu::new(3, Body::Submit(rebuilt));
        assert_eq!(pdu.encode_to_vec(Version::V30).unwrap(), bytes.to_vec());
    }

    #[test]
    fn segments_of_the_reference_long_message_carry_matching_tlvs() {
        let text = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
        let split = split(text, &SplitOptions::default(), 0x5a).unwrap();
        for (i, seg) in split.segments.iter().enumerate() {
            let mut submit = Submit::default();
            submit.set_segment(split.coding, seg);
            assert_eq!(submit.msg_format, 8);
            assert_eq!(submit.tlvs.tp_udhi(), Some(1));
            assert_eq!(submit.tlvs.pk_total(), Some(2));
            assert_eq!(submit.tlvs.pk_number(), Some(i as u8 + 1));
            assert_eq!(&submit.msg_content[..6], &[5, 0, 3, 0x5a, 2, i as u8 + 1]);
        }
    }

    #[test]
    fn a_single_message_clears_stale_segment_tlvs() {
        let mut submit = Submit {
            tlvs: crate::Tlvs::segment(3, 2),
            ..Default::default()
        };
        submit.tlvs.push(Tlv::link_id(b"abc").unwrap());
        let split = split("hi", &SplitOptions::default(), 1).unwrap();
        submit.set_segment(split.coding, &split.segments[0]);
        assert_eq!(submit.msg_format, 0);
        assert!(!submit.tlvs.udhi());
        assert_eq!(submit.tlvs.len(), 1, "only the LinkID stays");
        assert_eq!(&submit.msg_content[..], b"hi");
    }
}
