//! MO (mobile-originated) messages the simulator delivers: what a test asks for
//! ([`MoSpec`]) and the Deliver parts it becomes — one, or a long message cut with the
//! concatenation UDH, optionally out of order and with one part twice.

use bytes::Bytes;
use wire::coding::Coding;
use wire::encode::{CodingPolicy, CodingUse, encode_text};
use wire::segment::{ConcatOptions, SplitOptions, split};

use super::SimError;
use super::shared::{MoPart, Outbound};

/// The coding of an MO's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MoCoding {
    /// UCS-2 (8), what handsets send for Chinese text.
    #[default]
    Ucs2,
    /// GBK (15).
    Gbk,
    /// ASCII (0).
    Ascii,
}

/// How a long MO is cut and sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MoSplit {
    /// 16-bit reference UDH (`06 08 04 …`) instead of the 8-bit one (`05 00 03 …`).
    pub udh16: bool,
    /// Send the parts last first.
    pub out_of_order: bool,
    /// Send the first part a second time, after the others.
    pub duplicate_one: bool,
}

/// An MO message to deliver to the SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoSpec {
    /// Account whose connection gets it; `None`: the first configured account.
    pub account: Option<String>,
    /// Sender MSISDN (SGIP: with `86`).
    pub from: String,
    /// The number the user sent to: the SP's service code plus any extension.
    pub to: String,
    /// Message text.
    pub text: String,
    /// Coding of the text.
    pub coding: MoCoding,
    /// `None`: one Deliver without UDH (the text must fit 140 bytes). `Some`: cut into
    /// concatenated parts (a text that fits one message still goes as one part).
    pub split: Option<MoSplit>,
}

impl MoSpec {
    /// A single UCS-2 MO from `from` to `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            account: None,
            from: from.into(),
            to: to.into(),
            text: text.into(),
            coding: MoCoding::Ucs2,
            split: None,
        }
    }

    /// Cut into concatenated parts as `split` says (builder style).
    pub fn split(mut self, split: MoSplit) -> Self {
        self.split = Some(split);
        self
    }

    /// In another coding (builder style).
    pub fn coding(mut self, coding: MoCoding) -> Self {
        self.coding = coding;
        self
    }

    fn policy(&self) -> CodingPolicy {
        let mut p = CodingPolicy {
            ascii: CodingUse::Never,
            gbk: CodingUse::Never,
            ..CodingPolicy::default()
        };
        match self.coding {
            MoCoding::Ucs2 => {}
            MoCoding::Gbk => p.gbk = CodingUse::Always,
            MoCoding::Ascii => p.ascii = CodingUse::Always,
        }
        p
    }

    /// The Deliver parts for `account`, with concatenation `reference`.
    pub(crate) fn parts(&self, account: usize, reference: u16) -> Result<Vec<Outbound>, SimError> {
        let part = |coding: Coding, udhi: bool, content: Vec<u8>| {
            Outbound::Mo(MoPart {
                account,
                from: self.from.clone(),
                to: self.to.clone(),
                coding: coding.as_u8(),
                udhi,
                content: Bytes::from(content),
                deliver_id: None,
            })
        };
        let policy = self.policy();
        let Some(how) = self.split else {
            let (coding, bytes) =
                encode_text(&self.text, &policy).map_err(|e| SimError::Mo(e.to_string()))?;
            if bytes.len() > 140 {
                return Err(SimError::Mo(format!(
                    "{} bytes do not fit one MO; ask for a split",
                    bytes.len()
                )));
            }
            return Ok(vec![part(coding, false, bytes)]);
        };
        let opts = SplitOptions {
            policy,
            concat: ConcatOptions {
                wide_reference: how.udh16,
                ..ConcatOptions::default()
            },
            signature: None,
        };
        let cut = split(&self.text, &opts, reference).map_err(|e| SimError::Mo(e.to_string()))?;
        let mut parts: Vec<Outbound> = cut
            .segments
            .into_iter()
            .map(|seg| part(cut.coding, seg.concat.is_some(), seg.content))
            .collect();
        if how.out_of_order {
            parts.reverse();
        }
        if how.duplicate_one
            && let Some(first) = parts.last().filter(|_| how.out_of_order).or(parts.first())
        {
            let again = first.clone();
            parts.push(again);
        }
        Ok(parts)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn contents(parts: &[Outbound]) -> Vec<(bool, Vec<u8>)> {
        parts
            .iter()
            .map(|p| match p {
                Outbound::Mo(m) => (m.udhi, m.content.to_vec()),
                Outbound::Report(_) => panic!("not an MO"),
            })
            .collect()
    }

    #[test]
    fn short_text_is_one_part_without_udh() {
        let parts = MoSpec::new("13800138000", "1069012388", "TD")
            .parts(0, 1)
            .unwrap();
        assert_eq!(contents(&parts), vec![(false, vec![0, b'T', 0, b'D'])]);
        let gbk = MoSpec::new("1", "2", "退订")
            .coding(MoCoding::Gbk)
            .parts(0, 1)
            .unwrap();
        assert_eq!(contents(&gbk), vec![(false, vec![0xcd, 0xcb, 0xb6, 0xa9])]);
    }

    #[test]
    fn long_text_needs_a_split() {
        let long = "长".repeat(100);
        assert!(MoSpec::new("1", "2", &long).parts(0, 1).is_err());
        let parts = MoSpec::new("1", "2", &long)
            .split(MoSplit::default())
            .parts(0, 7)
            .unwrap();
        let c = contents(&parts);
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|(udhi, _)| *udhi));
        assert_eq!(&c[0].1[..6], &[5, 0, 3, 7, 2, 1]);
        assert_eq!(&c[1].1[..6], &[5, 0, 3, 7, 2, 2]);
    }

    #[test]
    fn out_of_order_wide_reference_and_duplicate() {
        let long = "长".repeat(150);
        let how = MoSplit {
            udh16: true,
            out_of_order: true,
            duplicate_one: true,
        };
        let parts = MoSpec::new("1", "2", &long)
            .split(how)
            .parts(0, 0x1234)
            .unwrap();
        let c = contents(&parts);
        assert_eq!(c.len(), 4, "three parts and one repeated");
        let numbers: Vec<u8> = c.iter().map(|(_, b)| b[6]).collect();
        assert_eq!(numbers, vec![3, 2, 1, 1]);
        assert_eq!(&c[0].1[..5], &[6, 8, 4, 0x12, 0x34]);
    }
}
