//! The 10-byte SMGP MsgID (§7): twenty decimal digits packed two per byte (BCD, high
//! nibble first).
//!
//! | Bytes | Digits | Content |
//! |---|---:|---|
//! | 0–2 | 6 | SMGW code: 3-digit area code + 2-digit device type (`06` = SMGW) + 1-digit serial |
//! | 3–6 | 8 | time `MMDDHHMM` |
//! | 7–9 | 6 | sequence 000000–999999, +1 per message, wraps |
//!
//! Spec example: gateway `010061`, 16 Jan 17:00, sequence 012345 →
//! `01 00 61 01 16 17 00 01 23 45`.
//!
//! Because every nibble of a BCD id is 0–9, the lowercase hex of the bytes *is* the
//! digit string, so [`MsgId`]'s `Display` prints 20 hex digits for every id. Not every
//! gateway sends BCD (gosmgp packs `%06x` hex fields, others put ASCII digits here —
//! README disagreement 11): such ids are kept as 10 opaque bytes, still compare and
//! print, and simply have no [`MsgId::parts`]. (ASCII digits have decimal nibbles and
//! therefore pass as BCD with meaningless parts; correlate reports by the bytes.)

use std::fmt;
use std::str::FromStr;

/// A MsgID as 10 raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct MsgId(pub [u8; 10]);

/// The `MMDDHHMM` time inside a MsgID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgIdTime {
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
}

impl fmt::Display for MsgIdTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}{:02}",
            self.month, self.day, self.hour, self.minute
        )
    }
}

/// The unpacked parts of a BCD MsgID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgIdParts {
    /// SMGW code, 0–999999 (6 digits with leading zeros, e.g. 010061).
    pub smgw: u32,
    /// Time `MMDDHHMM`.
    pub time: MsgIdTime,
    /// Sequence, 0–999999.
    pub sequence: u32,
}

/// A MsgID part is out of range, or a MsgID string is not 20 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsgIdError {
    /// A numeric part does not fit its digits / range.
    #[error("MsgID {part} {value} is out of range")]
    Range {
        /// `smgw`, `month`, `day`, `hour`, `minute` or `sequence`.
        part: &'static str,
        /// The rejected value.
        value: u32,
    },
    /// Text form is not exactly 20 hex digits.
    #[error("MsgID text {0:?} is not 20 hex digits")]
    Text(String),
}

/// Largest sequence / SMGW code: six digits.
pub const MAX_SIX_DIGITS: u32 = 999_999;

/// The sequence after `seq`, wrapping from 999999 to 0.
pub fn next_sequence(seq: u32) -> u32 {
    if seq >= MAX_SIX_DIGITS { 0 } else { seq + 1 }
}

fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

impl MsgId {
    /// All zero bytes (what an SP puts where it does not know the id).
    pub const ZERO: Self = Self([0; 10]);

    /// Pack `parts` as BCD, checking every range.
    pub fn new(parts: MsgIdParts) -> Result<Self, MsgIdError> {
        let range = |part, value: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(MsgIdError::Range { part, value })
            }
        };
        let t = parts.time;
        range("smgw", parts.smgw, 0, MAX_SIX_DIGITS)?;
        range("month", t.month.into(), 1, 12)?;
        range("day", t.day.into(), 1, 31)?;
        range("hour", t.hour.into(), 0, 23)?;
        range("minute", t.minute.into(), 0, 59)?;
        range("sequence", parts.sequence, 0, MAX_SIX_DIGITS)?;
        let six = |v: u32| {
            [
                bcd((v / 10_000) as u8),
                bcd((v / 100 % 100) as u8),
                bcd((v % 100) as u8),
            ]
        };
        let [g0, g1, g2] = six(parts.smgw);
        let [s0, s1, s2] = six(parts.sequence);
        Ok(Self([
            g0,
            g1,
            g2,
            bcd(t.month),
            bcd(t.day),
            bcd(t.hour),
            bcd(t.minute),
            s0,
            s1,
            s2,
        ]))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// True when every nibble is a decimal digit.
    pub fn is_bcd(&self) -> bool {
        self.0.iter().all(|&b| b >> 4 <= 9 && b & 0x0f <= 9)
    }

    /// The 20 decimal digits, when the id is BCD.
    pub fn digits(&self) -> Option<String> {
        self.is_bcd().then(|| self.to_string())
    }

    /// Unpack a BCD id. Values are returned as found (a gateway's odd month is not
    /// rejected here); `None` when the id is not BCD.
    pub fn parts(&self) -> Option<MsgIdParts> {
        if !self.is_bcd() {
            return None;
        }
        let two = |b: u8| (b >> 4) * 10 + (b & 0x0f);
        let six = |a: u8, b: u8, c: u8| {
            u32::from(two(a)) * 10_000 + u32::from(two(b)) * 100 + u32::from(two(c))
        };
        let [g0, g1, g2, mo, d, h, mi, s0, s1, s2] = self.0;
        Some(MsgIdParts {
            smgw: six(g0, g1, g2),
            time: MsgIdTime {
                month: two(mo),
                day: two(d),
                hour: two(h),
                minute: two(mi),
            },
            sequence: six(s0, s1, s2),
        })
    }
}

impl From<[u8; 10]> for MsgId {
    fn from(raw: [u8; 10]) -> Self {
        Self(raw)
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgId({self})")
    }
}

impl FromStr for MsgId {
    type Err = MsgIdError;

    /// Parse 20 hex digits: the digit string of a BCD id, or the hex of any other id.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MsgIdError::Text(s.to_string());
        if s.len() != 20 {
            return Err(bad());
        }
        let raw = wire::hex::decode(s).map_err(|_| bad())?;
        raw.try_into().map(Self).map_err(|_| bad())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn parts(smgw: u32, month: u8, day: u8, hour: u8, minute: u8, sequence: u32) -> MsgIdParts {
        MsgIdParts {
            smgw,
            time: MsgIdTime {
                month,
                day,
                hour,
                minute,
            },
            sequence,
        }
    }

    #[test]
    fn spec_example_packs_and_unpacks() {
        let id = MsgId::new(parts(10_061, 1, 16, 17, 0, 12_345)).unwrap();
        assert_eq!(
            id.0,
            [0x01, 0x00, 0x61, 0x01, 0x16, 0x17, 0x00, 0x01, 0x23, 0x45]
        );
        assert_eq!(id.to_string(), "01006101161700012345");
        assert_eq!(id.digits().as_deref(), Some("01006101161700012345"));
        assert_eq!(id.parts(), Some(parts(10_061, 1, 16, 17, 0, 12_345)));
        assert_eq!(id.parts().unwrap().time.to_string(), "01161700");
        assert_eq!("01006101161700012345".parse::<MsgId>(), Ok(id));
    }

    #[test]
    fn ranges_are_checked_when_packing() {
        let err = |p| MsgId::new(p).unwrap_err();
        assert_eq!(
            err(parts(1_000_000, 1, 1, 0, 0, 0)),
            MsgIdError::Range {
                part: "smgw",
                value: 1_000_000
            }
        );
        assert_eq!(
            err(parts(0, 13, 1, 0, 0, 0)),
            MsgIdError::Range {
                part: "month",
                value: 13
            }
        );
        assert_eq!(
            err(parts(0, 1, 0, 0, 0, 0)),
            MsgIdError::Range {
                part: "day",
                value: 0
            }
        );
        assert_eq!(
            err(parts(0, 1, 1, 24, 0, 0)),
            MsgIdError::Range {
                part: "hour",
                value: 24
            }
        );
        assert_eq!(
            err(parts(0, 1, 1, 0, 60, 0)),
            MsgIdError::Range {
                part: "minute",
                value: 60
            }
        );
        assert_eq!(
            err(parts(0, 1, 1, 0, 0, 1_000_000)),
            MsgIdError::Range {
                part: "sequence",
                value: 1_000_000
            }
        );
        assert!(MsgId::new(parts(999_999, 12, 31, 23, 59, 999_999)).is_ok());
    }

    #[test]
    fn non_bcd_ids_are_opaque_but_printable() {
        // gosmgp-style %06x fields: 0x0f423f is not BCD.
        let id: MsgId = "0f423f011617000abcde".parse().unwrap();
        assert!(!id.is_bcd());
        assert_eq!(id.parts(), None);
        assert_eq!(id.digits(), None);
        assert_eq!(id.to_string(), "0f423f011617000abcde");
        // ASCII digits in the field (gosmgp's example server): 0x31.. has decimal
        // nibbles, so it *looks* like BCD and unpacks to nonsense parts — harmless,
        // because ids are matched as bytes, never by their parts.
        let ascii = MsgId(*b"1287856485");
        assert!(ascii.is_bcd());
        assert_eq!(ascii.parts().map(|p| p.smgw), Some(313_238));
        assert_eq!(ascii.to_string(), "31323837383536343835");
        assert_eq!(format!("{ascii:?}"), "MsgId(31323837383536343835)");
    }

    #[test]
    fn text_form_must_be_20_hex_digits() {
        assert!("0100610116170001234".parse::<MsgId>().is_err());
        assert!("0100610116170001234x".parse::<MsgId>().is_err());
        assert!("010061011617000123456".parse::<MsgId>().is_err());
        assert_eq!(
            "0F423F011617000ABCDE".parse::<MsgId>().map(|m| m.0[0]),
            Ok(0x0f)
        );
    }

    #[test]
    fn sequence_wraps_after_six_digits() {
        assert_eq!(next_sequence(0), 1);
        assert_eq!(next_sequence(999_998), 999_999);
        assert_eq!(next_sequence(999_999), 0);
        assert_eq!(next_sequence(u32::MAX), 0);
    }
}
