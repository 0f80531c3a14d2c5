//! Text → bytes: which coding a text goes out in under a link's [`CodingPolicy`], and
//! the encoders for ASCII, UCS-2 (UTF-16 big-endian, no BOM) and GBK.
//!
//! The choice, in order (sms-encoding.md §1, §3.2):
//!
//! 1. **ASCII (0)** when every character is GSM-safe ASCII (see [`is_gsm_ascii`]) and
//!    the link allows it: always for a single message up to
//!    [`CodingPolicy::ascii_max_len`] bytes; for a long message only with
//!    [`CodingUse::Always`], because gateway support for 7-bit UDH packing varies.
//! 2. **GBK (15)** when the link is configured for it: single messages up to 140
//!    bytes, long ones only with [`CodingUse::Always`] (GBK long-message handling is
//!    not standardised). A character GBK cannot hold is an error unless
//!    [`CodingPolicy::gbk_fallback_ucs2`] lets the text go as UCS-2.
//! 3. **UCS-2 (8)** otherwise — every gateway accepts it, single or long.

use crate::coding::Coding;
use crate::text_error::TextError;

/// Largest `Msg_Length` for UCS-2, GBK and binary content, UDH included (CMPP / SMGP).
pub const MAX_CONTENT: usize = 140;

/// Upper bound for [`CodingPolicy::ascii_max_len`]: 160 GSM 7-bit characters.
pub const ASCII_MAX_LEN_LIMIT: usize = 160;

/// Lower bound for [`CodingPolicy::ascii_max_len`]: a 16-bit-reference UDH (7 bytes)
/// must leave room for at least one character.
pub const ASCII_MAX_LEN_MIN: usize = 8;

/// When a link may use a coding other than UCS-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodingUse {
    /// Never; the text goes as UCS-2.
    Never,
    /// For texts that fit one message; longer texts go as UCS-2.
    SingleOnly,
    /// For single and long (concatenated) messages.
    Always,
}

/// A link's rules for choosing the coding of outbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodingPolicy {
    /// ASCII (Msg_Fmt 0) for GSM-safe ASCII texts. Default [`CodingUse::SingleOnly`]:
    /// a long ASCII text goes as UCS-2 (67 characters a segment instead of 134–153),
    /// which costs more segments but is understood by every gateway.
    pub ascii: CodingUse,
    /// Largest ASCII `Msg_Length` in bytes, UDH included; a segment carries this
    /// minus the UDH. Default 140, which SMGP (MT ≤ 140) and CMPP (< 160) both
    /// accept; CMPP links whose gateway packs 7-bit may raise it to 159 (153 / 152
    /// characters per segment, sms-encoding.md §3.2). Valid range 8..=160.
    pub ascii_max_len: usize,
    /// GBK (15). Default [`CodingUse::Never`].
    pub gbk: CodingUse,
    /// With GBK enabled, send a text GBK cannot hold as UCS-2 instead of failing.
    /// Default false: the caller gets [`TextError::GbkUnmappable`].
    pub gbk_fallback_ucs2: bool,
}

impl Default for CodingPolicy {
    fn default() -> Self {
        Self {
            ascii: CodingUse::SingleOnly,
            ascii_max_len: MAX_CONTENT,
            gbk: CodingUse::Never,
            gbk_fallback_ucs2: false,
        }
    }
}

impl CodingPolicy {
    /// Check the numeric limits.
    pub fn validate(&self) -> Result<(), TextError> {
        if !(ASCII_MAX_LEN_MIN..=ASCII_MAX_LEN_LIMIT).contains(&self.ascii_max_len) {
            return Err(TextError::InvalidOptions(
                "ascii_max_len must be between 8 and 160",
            ));
        }
        Ok(())
    }
}

/// True for the ASCII characters that are one septet of the GSM 03.38 default
/// alphabet: printable ASCII except `` ` `` (absent from GSM) and `[ \ ] ^ { | } ~`
/// (escape-table characters that take two septets), plus LF and CR.
///
/// Only texts made of these go out as ASCII: the gateway converts Msg_Fmt 0 to GSM
/// 7-bit, and with them one byte is exactly one character on the air, so the
/// segment arithmetic holds. A text with `{` or a tab goes as UCS-2 instead.
pub fn is_gsm_ascii(c: char) -> bool {
    matches!(c, '\n' | '\r' | ' '..='~')
        && !matches!(c, '`' | '[' | '\\' | ']' | '^' | '{' | '|' | '}' | '~')
}

/// Choose the coding for `text` under `policy` and encode all of it.
///
/// This is the choice [`crate::segment::split`] makes; it does not split.
pub fn encode_text(text: &str, policy: &CodingPolicy) -> Result<(Coding, Vec<u8>), TextError> {
    policy.validate()?;
    if policy.ascii != CodingUse::Never && text.chars().all(is_gsm_ascii) {
        let fits = text.len() <= policy.ascii_max_len;
        if fits || policy.ascii == CodingUse::Always {
            return Ok((Coding::Ascii, text.as_bytes().to_vec()));
        }
    }
    if policy.gbk != CodingUse::Never {
        match encode_gbk(text) {
            Ok(bytes) => {
                if bytes.len() <= MAX_CONTENT || policy.gbk == CodingUse::Always {
                    return Ok((Coding::Gbk, bytes));
                }
            }
            Err(e) => {
                // Under SingleOnly a text too long for one GBK message goes as UCS-2
                // anyway, so a character GBK cannot hold does not matter for it.
                let would_use_gbk =
                    policy.gbk == CodingUse::Always || gbk_len_estimate(text) <= MAX_CONTENT;
                if would_use_gbk && !policy.gbk_fallback_ucs2 {
                    return Err(e);
                }
            }
        }
    }
    Ok((Coding::Ucs2, encode_ucs2(text)))
}

/// Encode `text` under a given coding. ASCII fails on a non-ASCII character, GBK on
/// a character GBK cannot hold; UCS-2 always succeeds. Binary and other codings
/// carry no text: they get the UTF-8 bytes unchanged.
pub fn encode_as(text: &str, coding: Coding) -> Result<Vec<u8>, TextError> {
    match coding {
        Coding::Ascii => match text.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
            Some((index, ch)) => Err(TextError::NotAscii { ch, index }),
            None => Ok(text.as_bytes().to_vec()),
        },
        Coding::Ucs2 => Ok(encode_ucs2(text)),
        Coding::Gbk => encode_gbk(text),
        Coding::Binary | Coding::SimWrite | Coding::Other(_) => Ok(text.as_bytes().to_vec()),
    }
}

/// UTF-16 big-endian without BOM; a character outside the BMP becomes a surrogate
/// pair (4 bytes).
pub fn encode_ucs2(text: &str) -> Vec<u8> {
    // UTF-16 never needs more units than UTF-8 has bytes.
    let mut out = Vec::with_capacity(text.len() * 2);
    for unit in text.encode_utf16() {
        let [hi, lo] = unit.to_be_bytes();
        out.push(hi);
        out.push(lo);
    }
    out
}

/// GBK via encoding_rs (one byte for ASCII and `€`, two for the rest); the first
/// character GBK cannot hold is reported with its character index.
pub fn encode_gbk(text: &str) -> Result<Vec<u8>, TextError> {
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    if !had_errors {
        return Ok(bytes.into_owned());
    }
    let mut buf = [0u8; 4];
    let first_bad = text
        .chars()
        .enumerate()
        .find(|(_, c)| encoding_rs::GBK.encode(c.encode_utf8(&mut buf)).2);
    match first_bad {
        Some((index, ch)) => Err(TextError::GbkUnmappable { ch, index }),
        // encoding_rs flagged an error no single character reproduces; report the
        // first non-ASCII character rather than sending numeric character references.
        None => {
            let (index, ch) = text
                .chars()
                .enumerate()
                .find(|(_, c)| !c.is_ascii())
                .unwrap_or((0, '\u{fffd}'));
            Err(TextError::GbkUnmappable { ch, index })
        }
    }
}

/// GBK length of a text that holds unmappable characters, counting each of those
/// as two bytes (what a mappable non-ASCII character would take).
fn gbk_len_estimate(text: &str) -> usize {
    let mut buf = [0u8; 4];
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                return 1;
            }
            let (bytes, _, bad) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
            if bad { 2 } else { bytes.len() }
        })
        .sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn gbk_policy(gbk: CodingUse, fallback: bool) -> CodingPolicy {
        CodingPolicy {
            gbk,
            gbk_fallback_ucs2: fallback,
            ..CodingPolicy::default()
        }
    }

    #[test]
    fn pure_ascii_single_goes_as_ascii() {
        let (c, b) = encode_text("Your code is 1234.", &CodingPolicy::default()).unwrap();
        assert_eq!(c, Coding::Ascii);
        assert_eq!(b, b"Your code is 1234.");
    }

    #[test]
    fn ascii_at_the_limit_and_one_past() {
        let p = CodingPolicy::default();
        assert_eq!(encode_text(&"a".repeat(140), &p).unwrap().0, Coding::Ascii);
        // 141 ASCII characters are a long message: UCS-2 unless the link enables ASCII long.
        let (c, b) = encode_text(&"a".repeat(141), &p).unwrap();
        assert_eq!((c, b.len()), (Coding::Ucs2, 282));
        let long = CodingPolicy {
            ascii: CodingUse::Always,
            ..p
        };
        assert_eq!(
            encode_text(&"a".repeat(141), &long).unwrap().0,
            Coding::Ascii
        );
    }

    #[test]
    fn non_gsm_ascii_goes_as_ucs2() {
        for text in ["a{b}", "tab\there", "x~y", "back`tick", "[x]"] {
            assert_eq!(
                encode_text(text, &CodingPolicy::default()).unwrap().0,
                Coding::Ucs2,
                "{text}"
            );
        }
        assert!(is_gsm_ascii('@') && is_gsm_ascii('$') && is_gsm_ascii('_') && is_gsm_ascii('\n'));
        assert!(!is_gsm_ascii('\t') && !is_gsm_ascii('\0') && !is_gsm_ascii('é'));
    }

    #[test]
    fn ascii_never_sends_ucs2() {
        let p = CodingPolicy {
            ascii: CodingUse::Never,
            ..CodingPolicy::default()
        };
        assert_eq!(
            encode_text("TD", &p).unwrap(),
            (Coding::Ucs2, vec![0, b'T', 0, b'D'])
        );
    }

    #[test]
    fn chinese_is_ucs2_big_endian() {
        let (c, b) = encode_text("【示例科技】", &CodingPolicy::default()).unwrap();
        assert_eq!(c, Coding::Ucs2);
        assert_eq!(crate::hex::encode(&b), "3010793a4f8b79d162803011");
    }

    #[test]
    fn emoji_is_a_surrogate_pair() {
        assert_eq!(encode_ucs2("😀"), vec![0xd8, 0x3d, 0xde, 0x00]);
    }

    #[test]
    fn gbk_encodes_signature_brackets_and_round_trips() {
        let (c, b) = encode_text(
            "【鸿雁物流】你好",
            &gbk_policy(CodingUse::SingleOnly, false),
        )
        .unwrap();
        assert_eq!(c, Coding::Gbk);
        assert_eq!(&b[..2], &[0xa1, 0xbe]);
        assert_eq!(
            crate::coding::decode_text(Coding::Gbk, &b).as_deref(),
            Some("【鸿雁物流】你好")
        );
    }

    #[test]
    fn gbk_unmappable_is_an_error_naming_the_character() {
        let err = encode_text("你好😀", &gbk_policy(CodingUse::SingleOnly, false)).unwrap_err();
        assert_eq!(
            err,
            TextError::GbkUnmappable {
                ch: '😀', index: 2
            }
        );
        assert!(err.to_string().contains("U+1F600"), "{err}");
    }

    #[test]
    fn gbk_unmappable_falls_back_when_allowed() {
        let (c, _) = encode_text("你好😀", &gbk_policy(CodingUse::SingleOnly, true)).unwrap();
        assert_eq!(c, Coding::Ucs2);
    }

    #[test]
    fn gbk_single_only_sends_long_text_as_ucs2_even_with_unmappable() {
        let text = format!("{}😀", "你".repeat(80));
        assert_eq!(
            encode_text(&text, &gbk_policy(CodingUse::SingleOnly, false))
                .unwrap()
                .0,
            Coding::Ucs2
        );
        assert!(encode_text(&text, &gbk_policy(CodingUse::Always, false)).is_err());
        let fits = format!("{}😀", "你".repeat(60));
        assert!(encode_text(&fits, &gbk_policy(CodingUse::SingleOnly, false)).is_err());
    }

    #[test]
    fn gbk_long_only_when_always() {
        let text = "你".repeat(71); // 142 GBK bytes
        assert_eq!(
            encode_text(&text, &gbk_policy(CodingUse::SingleOnly, false))
                .unwrap()
                .0,
            Coding::Ucs2
        );
        let (c, b) = encode_text(&text, &gbk_policy(CodingUse::Always, false)).unwrap();
        assert_eq!((c, b.len()), (Coding::Gbk, 142));
    }

    #[test]
    fn encode_as_forced_codings() {
        assert_eq!(
            encode_as("é", Coding::Ascii),
            Err(TextError::NotAscii { ch: 'é', index: 0 })
        );
        assert_eq!(encode_as("{x}", Coding::Ascii).unwrap(), b"{x}");
        assert_eq!(encode_as("€", Coding::Gbk).unwrap(), vec![0x80]);
        assert_eq!(encode_as("ab", Coding::Binary).unwrap(), b"ab");
    }

    #[test]
    fn ascii_max_len_is_validated() {
        for bad in [0, 7, 161] {
            let p = CodingPolicy {
                ascii_max_len: bad,
                ..CodingPolicy::default()
            };
            assert!(
                matches!(encode_text("x", &p), Err(TextError::InvalidOptions(_))),
                "{bad}"
            );
        }
    }
}
