//! Message codings: the `Msg_Fmt` / `MsgFormat` / `MessageCoding` byte and how text
//! maps to bytes under it (ASCII, UCS-2 big-endian, GBK; binary passes through).

use std::borrow::Cow;

/// The coding byte shared by CMPP `Msg_Fmt`, SMGP `MsgFormat` and SGIP `MessageCoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// 0: ASCII, one byte per character.
    Ascii,
    /// 3: SIM-card write (binary).
    SimWrite,
    /// 4: binary octets.
    Binary,
    /// 8: UCS-2 / UTF-16 big-endian without BOM.
    Ucs2,
    /// 15: GB Chinese (GBK / GB18030), one byte ASCII, two bytes Chinese.
    Gbk,
    /// Any other value (a GSM 03.38 data coding scheme); bytes are kept as they are.
    Other(u8),
}

impl Coding {
    /// From the wire byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Ascii,
            3 => Self::SimWrite,
            4 => Self::Binary,
            8 => Self::Ucs2,
            15 => Self::Gbk,
            other => Self::Other(other),
        }
    }

    /// To the wire byte.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Ascii => 0,
            Self::SimWrite => 3,
            Self::Binary => 4,
            Self::Ucs2 => 8,
            Self::Gbk => 15,
            Self::Other(v) => v,
        }
    }

    /// Short name for logs and JSON: `ascii`, `ucs2`, `gbk`, `binary`, `sim`, `dcs-0xNN`.
    pub fn name(self) -> Cow<'static, str> {
        match self {
            Self::Ascii => "ascii".into(),
            Self::SimWrite => "sim".into(),
            Self::Binary => "binary".into(),
            Self::Ucs2 => "ucs2".into(),
            Self::Gbk => "gbk".into(),
            Self::Other(v) => format!("dcs-0x{v:02x}").into(),
        }
    }

    /// True for codings that carry text (ASCII, UCS-2, GBK).
    pub fn is_text(self) -> bool {
        matches!(self, Self::Ascii | Self::Ucs2 | Self::Gbk)
    }
}

/// Decode `bytes` as text under `coding`. Returns `None` for non-text codings.
///
/// Never fails: bytes that are not valid in the coding become U+FFFD, so a carrier's
/// malformed MO still reaches the inbox. An odd trailing UCS-2 byte becomes U+FFFD.
pub fn decode_text(coding: Coding, bytes: &[u8]) -> Option<String> {
    match coding {
        Coding::Ascii => Some(String::from_utf8_lossy(bytes).into_owned()),
        Coding::Ucs2 => {
            let units = bytes.chunks_exact(2).map(|p| match p {
                &[hi, lo] => u16::from_be_bytes([hi, lo]),
                _ => 0xfffd, // chunks_exact(2) yields pairs only
            });
            let mut s: String = char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            if bytes.len() % 2 == 1 {
                s.push(char::REPLACEMENT_CHARACTER);
            }
            Some(s)
        }
        Coding::Gbk => {
            // GB18030 is a superset of GBK and GB2312; decoding with it accepts all three.
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            Some(text.into_owned())
        }
        Coding::SimWrite | Coding::Binary | Coding::Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(Coding::from_u8(v).as_u8(), v);
        }
    }

    #[test]
    fn decodes_ucs2_gbk_ascii() {
        assert_eq!(
            decode_text(Coding::Ucs2, &[0x4f, 0x60, 0x59, 0x7d]).as_deref(),
            Some("你好")
        );
        assert_eq!(
            decode_text(Coding::Gbk, &[0xc4, 0xe3, 0xba, 0xc3]).as_deref(),
            Some("你好")
        );
        assert_eq!(decode_text(Coding::Ascii, b"TD").as_deref(), Some("TD"));
        assert_eq!(decode_text(Coding::Binary, b"TD"), None);
    }

    #[test]
    fn malformed_ucs2_is_replaced_not_rejected() {
        // Lone high surrogate then an odd byte.
        assert_eq!(
            decode_text(Coding::Ucs2, &[0xd8, 0x3d, 0x00]).as_deref(),
            Some("\u{fffd}\u{fffd}")
        );
    }
}
