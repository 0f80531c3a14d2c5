//! The 8-byte Msg_Id (cmpp.md §9): a big-endian u64 packing the gateway's clock,
//! its gateway code and a per-message sequence.
//!
//! | Bits (MSB first) | Width | Content |
//! |---|---:|---|
//! | 63–60 | 4 | month 1–12 |
//! | 59–55 | 5 | day 1–31 |
//! | 54–50 | 5 | hour 0–23 |
//! | 49–44 | 6 | minute 0–59 |
//! | 43–38 | 6 | second 0–59 |
//! | 37–16 | 22 | ISMG (gateway) code, e.g. `079101` → 79101 |
//! | 15–0 | 16 | sequence, +1 per message, wraps |
//!
//! Example: 01-02 03:04:05, gateway 79101, sequence 1 → `110c414134fd0001`
//! (1228428546682978305). Correlate on the raw value; the parts are for humans.

use std::fmt;

use crate::timestamp::Timestamp;

/// A CMPP Msg_Id. Unsigned: never parse it as a signed integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MsgId(pub u64);

/// The unpacked fields of a [`MsgId`]. Values come straight from the bits, so a
/// gateway's malformed id can show e.g. month 15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgIdParts {
    /// Month, 4 bits.
    pub month: u8,
    /// Day, 5 bits.
    pub day: u8,
    /// Hour, 5 bits.
    pub hour: u8,
    /// Minute, 6 bits.
    pub minute: u8,
    /// Second, 6 bits.
    pub second: u8,
    /// Gateway (ISMG) code, 22 bits.
    pub gateway: u32,
    /// Sequence, 16 bits.
    pub sequence: u16,
}

/// A part does not fit its bit field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Msg_Id {part} {value} does not fit {bits} bits")]
pub struct MsgIdError {
    /// Which part.
    pub part: &'static str,
    /// Its value.
    pub value: u32,
    /// Width of its bit field.
    pub bits: u32,
}

const MONTH_SHIFT: u32 = 60;
const DAY_SHIFT: u32 = 55;
const HOUR_SHIFT: u32 = 50;
const MINUTE_SHIFT: u32 = 44;
const SECOND_SHIFT: u32 = 38;
const GATEWAY_SHIFT: u32 = 16;

impl MsgId {
    /// Zero: what an SP puts in SUBMIT (the gateway assigns the id).
    pub const ZERO: Self = Self(0);
    /// Largest gateway code (22 bits).
    pub const MAX_GATEWAY: u32 = 0x3F_FFFF;

    /// Pack a gateway-side id from the gateway's clock, its code and a sequence.
    pub fn new(time: Timestamp, gateway: u32, sequence: u16) -> Result<Self, MsgIdError> {
        Self::from_parts(MsgIdParts {
            month: time.month(),
            day: time.day(),
            hour: time.hour(),
            minute: time.minute(),
            second: time.second(),
            gateway,
            sequence,
        })
    }

    /// Pack parts, checking each fits its bit field.
    pub fn from_parts(p: MsgIdParts) -> Result<Self, MsgIdError> {
        let check = |part, value: u32, bits: u32| {
            if value >> bits == 0 {
                Ok(u64::from(value))
            } else {
                Err(MsgIdError { part, value, bits })
            }
        };
        let id = check("month", p.month.into(), 4)? << MONTH_SHIFT
            | check("day", p.day.into(), 5)? << DAY_SHIFT
            | check("hour", p.hour.into(), 5)? << HOUR_SHIFT
            | check("minute", p.minute.into(), 6)? << MINUTE_SHIFT
            | check("second", p.second.into(), 6)? << SECOND_SHIFT
            | check("gateway", p.gateway, 22)? << GATEWAY_SHIFT
            | u64::from(p.sequence);
        Ok(Self(id))
    }

    /// Unpack into parts.
    pub const fn parts(self) -> MsgIdParts {
        let v = self.0;
        MsgIdParts {
            month: (v >> MONTH_SHIFT & 0xF) as u8,
            day: (v >> DAY_SHIFT & 0x1F) as u8,
            hour: (v >> HOUR_SHIFT & 0x1F) as u8,
            minute: (v >> MINUTE_SHIFT & 0x3F) as u8,
            second: (v >> SECOND_SHIFT & 0x3F) as u8,
            gateway: (v >> GATEWAY_SHIFT & 0x3F_FFFF) as u32,
            sequence: (v & 0xFFFF) as u16,
        }
    }

    /// The 64-bit value.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The eight wire bytes (big-endian).
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// From the eight wire bytes.
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(u64::from_be_bytes(bytes))
    }

    /// The id of recipient `index` of a group send: the SUBMIT_RESP id denotes the range
    /// `id … id + n − 1`, one per recipient in order (cmpp.md §6.3).
    pub const fn nth_recipient(self, index: u64) -> Self {
        Self(self.0.wrapping_add(index))
    }

    /// Sixteen lower-case hex digits, e.g. `110c414134fd0001`.
    pub fn to_hex(self) -> String {
        format!("{self:x}")
    }
}

impl fmt::Display for MsgId {
    /// The unsigned decimal value, e.g. `1228428546682978305`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::LowerHex for MsgId {
    /// Sixteen zero-padded hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::UpperHex for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", self.0)
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgId({:016x})", self.0)
    }
}

impl From<u64> for MsgId {
    fn from(v: u64) -> Self {
        Self(v)
    }
}

impl From<MsgId> for u64 {
    fn from(id: MsgId) -> Self {
        id.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reference_example_packs() {
        let id = MsgId::new(Timestamp::new(1, 2, 3, 4, 5).unwrap(), 79_101, 1).unwrap();
        assert_eq!(id, MsgId(0x110C_4141_34FD_0001));
        assert_eq!(id.value(), 1_228_428_546_682_978_305);
        assert_eq!(
            id.to_bytes(),
            [0x11, 0x0c, 0x41, 0x41, 0x34, 0xfd, 0x00, 0x01]
        );
        assert_eq!(id.to_string(), "1228428546682978305");
        assert_eq!(id.to_hex(), "110c414134fd0001");
        assert_eq!(format!("{id:X}"), "110C414134FD0001");
    }

    #[test]
    fn unpacks_every_part() {
        let p = MsgId(0x110C_5181_34FD_0002).parts();
        assert_eq!(
            (p.month, p.day, p.hour, p.minute, p.second),
            (1, 2, 3, 5, 6)
        );
        assert_eq!((p.gateway, p.sequence), (79_101, 2));
        let p = MsgId(0x110C_4141_34FD_0001).parts();
        assert_eq!(
            (
                p.month, p.day, p.hour, p.minute, p.second, p.gateway, p.sequence
            ),
            (1, 2, 3, 4, 5, 79_101, 1)
        );
    }

    #[test]
    fn extremes_round_trip() {
        for v in [0, u64::MAX, 1 << 63, 0x8000_0000_0000_0001] {
            assert_eq!(MsgId::from_parts(MsgId(v).parts()), Ok(MsgId(v)));
        }
        assert_eq!(MsgId::from_bytes(MsgId(42).to_bytes()), MsgId(42));
        assert_eq!(MsgId(0).to_hex(), "0000000000000000");
    }

    #[test]
    fn out_of_range_parts_are_rejected() {
        let err = MsgId::new(
            Timestamp::new(1, 1, 0, 0, 0).unwrap(),
            MsgId::MAX_GATEWAY + 1,
            0,
        )
        .unwrap_err();
        assert_eq!(
            err,
            MsgIdError {
                part: "gateway",
                value: 0x40_0000,
                bits: 22
            }
        );
        let err = MsgId::from_parts(MsgIdParts {
            month: 16,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.part, "month");
        assert_eq!(err.to_string(), "Msg_Id month 16 does not fit 4 bits");
    }

    #[test]
    fn group_send_ids_are_consecutive() {
        let id = MsgId(0x110C_4141_34FD_0001);
        assert_eq!(id.nth_recipient(2), MsgId(0x110C_4141_34FD_0003));
        assert_eq!(MsgId(u64::MAX).nth_recipient(1), MsgId(0));
    }
}
