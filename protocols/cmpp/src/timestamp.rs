//! The `MMDDHHMMSS` login timestamp and the time parts of a Msg_Id.
//!
//! The crate has no clock: callers pass the current China local time (UTC+8) in as a
//! [`Timestamp`]. On the wire CONNECT carries it as the *decimal integer* of the ten
//! digits (`0102030405` → 102030405), so the leading zero of January–September is lost
//! and has to be restored with `%010d` before hashing (cmpp.md §5.1).

use std::fmt;

/// A month-day-hour-minute-second moment as used by CONNECT and Msg_Id.
///
/// Month and day may be 0: Huawei's SMProxy logs in with the constant `0008080808`
/// (README disagreement 20), and gateways accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl Timestamp {
    /// Build a timestamp; `None` when a part is out of range (month > 12, day > 31,
    /// hour > 23, minute or second > 59).
    pub const fn new(month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        if month > 12 || day > 31 || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(Self {
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Month, 1–12 (0 only for constant-timestamp logins).
    pub const fn month(self) -> u8 {
        self.month
    }

    /// Day of month, 1–31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// Hour, 0–23.
    pub const fn hour(self) -> u8 {
        self.hour
    }

    /// Minute, 0–59.
    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// Second, 0–59.
    pub const fn second(self) -> u8 {
        self.second
    }

    /// The CONNECT Timestamp field: `MMDDHHMMSS` as a decimal integer.
    pub const fn to_wire(self) -> u32 {
        self.month as u32 * 100_000_000
            + self.day as u32 * 1_000_000
            + self.hour as u32 * 10_000
            + self.minute as u32 * 100
            + self.second as u32
    }

    /// Split a CONNECT Timestamp field back into its parts; `None` when the ten digits
    /// are not a valid `MMDDHHMMSS`.
    pub const fn from_wire(value: u32) -> Option<Self> {
        if value > 12_31_23_59_59 {
            return None;
        }
        Self::new(
            (value / 100_000_000) as u8,
            (value / 1_000_000 % 100) as u8,
            (value / 10_000 % 100) as u8,
            (value / 100 % 100) as u8,
            (value % 100) as u8,
        )
    }

    /// The ten ASCII digits `MMDDHHMMSS` that enter the login digest.
    pub const fn digits(self) -> [u8; 10] {
        wire_digits(self.to_wire())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}{:02}{:02}",
            self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// `%010d` of a CONNECT Timestamp field: the ten ASCII digits that were hashed.
/// Works for any `u32` (at most ten digits), valid date or not, so a server can verify a
/// login whatever clock the client used.
pub const fn wire_digits(value: u32) -> [u8; 10] {
    let mut out = [b'0'; 10];
    let mut v = value;
    let mut i = 10;
    while i > 0 {
        i -= 1;
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_value_loses_leading_zero_and_digits_restore_it() {
        let t = Timestamp::new(1, 2, 3, 4, 5);
        assert_eq!(t.map(Timestamp::to_wire), Some(102_030_405));
        assert_eq!(t.map(Timestamp::to_wire), Some(0x0614_DC45));
        assert_eq!(t.map(Timestamp::digits), Some(*b"0102030405"));
        assert_eq!(t.map(|t| t.to_string()).as_deref(), Some("0102030405"));
    }

    #[test]
    fn from_wire_round_trips() {
        assert_eq!(
            Timestamp::from_wire(1_021_080_510),
            Timestamp::new(10, 21, 8, 5, 10)
        );
        assert_eq!(
            Timestamp::from_wire(102_030_405),
            Timestamp::new(1, 2, 3, 4, 5)
        );
        assert_eq!(
            Timestamp::from_wire(1_231_235_959).map(Timestamp::to_wire),
            Some(1_231_235_959)
        );
    }

    #[test]
    fn from_wire_rejects_impossible_times() {
        assert_eq!(Timestamp::from_wire(1_301_000_000), None); // month 13
        assert_eq!(Timestamp::from_wire(102_240_000), None); // hour 24
        assert_eq!(Timestamp::from_wire(102_036_000), None); // minute 60
        assert_eq!(Timestamp::from_wire(u32::MAX), None);
    }

    #[test]
    fn huawei_constant_timestamp_is_accepted() {
        let t = Timestamp::from_wire(8_080_808);
        assert_eq!(t, Timestamp::new(0, 8, 8, 8, 8));
        assert_eq!(t.map(Timestamp::digits), Some(*b"0008080808"));
    }

    #[test]
    fn wire_digits_of_any_u32() {
        assert_eq!(wire_digits(0), *b"0000000000");
        assert_eq!(wire_digits(u32::MAX), *b"4294967295");
        assert_eq!(wire_digits(8_080_808), *b"0008080808");
    }
}
