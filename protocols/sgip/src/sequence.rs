//! The SGIP sequence number: three big-endian uint32s — source node id, the time the
//! originating node created the command as the decimal integer `MMDDHHMMSS`, and a
//! per-node counter.
//!
//! The triple is the identity of a command network-wide: a response carries its
//! request's sequence number unchanged, and a Report or Trace refers to an earlier
//! Submit by copying the Submit's full sequence number (SGIP has no message id).
//! Nothing here reads a clock; the caller passes the time in as a [`Timestamp`].

use std::fmt;

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, u32_be};

/// Wire size of a sequence number (3 × uint32).
pub const SEQUENCE_LEN: usize = 12;

/// Month, day, hour, minute and second of the moment a command was created.
///
/// SGIP carries it as the decimal integer `MMDDHHMMSS` (e.g. 11-20 20:32:25 →
/// 1120203225); there is no year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp {
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59 (60 is tolerated for a leap second).
    pub second: u8,
}

impl Timestamp {
    /// Build a timestamp, or `None` when a part is out of its calendar range.
    pub fn new(month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let ts = Self {
            month,
            day,
            hour,
            minute,
            second,
        };
        ts.is_valid().then_some(ts)
    }

    /// True when every part is inside its calendar range (the day is not checked
    /// against the month: there is no year to know February's length).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60
    }

    /// The wire integer `MMDDHHMMSS`.
    ///
    /// Parts above 99 cannot be represented; each part is taken modulo 100 so the
    /// result always fits a `u32` (99 12 31 … = 9 912 315 959 would not, so the
    /// arithmetic wraps for such nonsense input instead of panicking).
    pub fn to_u32(&self) -> u32 {
        [self.day, self.hour, self.minute, self.second]
            .iter()
            .fold(u32::from(self.month % 100), |acc, &part| {
                acc.wrapping_mul(100).wrapping_add(u32::from(part % 100))
            })
    }

    /// Split a wire integer into its parts. Never fails; the result may be invalid
    /// (see [`Timestamp::is_valid`]) when a peer sends nonsense. A month above 255
    /// cannot occur: `u32::MAX / 10^8` is 42.
    pub fn from_u32(value: u32) -> Self {
        // Each part is < 100 after `% 100` and the month is ≤ 42, so `as u8` is exact.
        let part = |div: u32| ((value / div) % 100) as u8;
        Self {
            month: (value / 100_000_000) as u8,
            day: part(1_000_000),
            hour: part(10_000),
            minute: part(100),
            second: part(1),
        }
    }
}

impl fmt::Display for Timestamp {
    /// `MM-DD HH:MM:SS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}-{:02} {:02}:{:02}:{:02}",
            self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The 12-byte SGIP sequence number.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 0 | 4 | node id | source node, e.g. SP `3AAAAQQQQQ`, SMG `1AAAAX` |
/// | 4 | 4 | timestamp | `MMDDHHMMSS` as a decimal integer |
/// | 8 | 4 | counter | +1 per command, wraps |
///
/// `b3 69 24 b9 06 14 dc 45 00 00 00 01` = node 3010012345, time 0102030405 (01-02
/// 03:04:05), counter 1; displayed as `3010012345-0102030405-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SequenceNumber {
    /// Source node id.
    pub node_id: u32,
    /// Creation time `MMDDHHMMSS` as a decimal integer.
    pub timestamp: u32,
    /// Per-node counter.
    pub counter: u32,
}

impl SequenceNumber {
    /// Build a sequence number from its three parts.
    pub fn new(node_id: u32, timestamp: Timestamp, counter: u32) -> Self {
        Self {
            node_id,
            timestamp: timestamp.to_u32(),
            counter,
        }
    }

    /// The time part split into month, day, hour, minute and second.
    pub fn time(&self) -> Timestamp {
        Timestamp::from_u32(self.timestamp)
    }

    /// The 12 wire bytes.
    pub fn to_bytes(&self) -> [u8; SEQUENCE_LEN] {
        let mut out = [0u8; SEQUENCE_LEN];
        out[..4].copy_from_slice(&self.node_id.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..].copy_from_slice(&self.counter.to_be_bytes());
        out
    }

    /// Append the 12 wire bytes to `buf`.
    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_u32(self.node_id);
        buf.put_u32(self.timestamp);
        buf.put_u32(self.counter);
    }

    /// Parse 12 bytes; `field` names the field in errors (header vs
    /// `SubmitSequenceNumber`).
    pub(crate) fn parse(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, Self> {
        move |i| {
            let (i, node_id) = u32_be(field)(i)?;
            let (i, timestamp) = u32_be(field)(i)?;
            let (i, counter) = u32_be(field)(i)?;
            Ok((
                i,
                Self {
                    node_id,
                    timestamp,
                    counter,
                },
            ))
        }
    }
}

impl fmt::Display for SequenceNumber {
    /// `node-MMDDHHMMSS-counter`, the time zero-padded to 10 digits so the month
    /// stays readable: `3010012345-0102030405-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:010}-{}",
            self.node_id, self.timestamp, self.counter
        )
    }
}

/// Hands out sequence numbers for one node: fixed node id, caller-supplied time, and
/// a counter that starts at 0 and wraps (spec §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceGenerator {
    node_id: u32,
    next: u32,
}

impl SequenceGenerator {
    /// A generator for `node_id` whose first counter value is 0.
    pub fn new(node_id: u32) -> Self {
        Self { node_id, next: 0 }
    }

    /// A generator that continues from `counter` (e.g. persisted across restarts so
    /// numbers stay unique for the gateway's duplicate detection).
    pub fn starting_at(node_id: u32, counter: u32) -> Self {
        Self {
            node_id,
            next: counter,
        }
    }

    /// The node id stamped into every number.
    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// The next sequence number, created at `now`.
    pub fn next(&mut self, now: Timestamp) -> SequenceNumber {
        let counter = self.next;
        self.next = self.next.wrapping_add(1);
        SequenceNumber::new(self.node_id, now, counter)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_packs_as_decimal_mmddhhmmss() {
        let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
        assert_eq!(ts.to_u32(), 102_030_405);
        assert_eq!(ts.to_u32(), 0x0614_dc45);
        assert_eq!(
            Timestamp::new(11, 20, 20, 32, 25).unwrap().to_u32(),
            1_120_203_225
        );
        assert_eq!(
            Timestamp::new(12, 31, 23, 59, 59).unwrap().to_u32(),
            1_231_235_959
        );
    }

    #[test]
    fn timestamp_splits_back_into_parts() {
        let ts = Timestamp::from_u32(1_231_235_959);
        assert_eq!(
            ts,
            Timestamp {
                month: 12,
                day: 31,
                hour: 23,
                minute: 59,
                second: 59
            }
        );
        assert!(ts.is_valid());
        assert_eq!(ts.to_string(), "12-31 23:59:59");
        assert_eq!(
            Timestamp::from_u32(102_030_405).to_string(),
            "01-02 03:04:05"
        );
    }

    #[test]
    fn nonsense_timestamps_are_reported_not_panicking() {
        let ts = Timestamp::from_u32(u32::MAX);
        assert_eq!(ts.month, 42);
        assert!(!ts.is_valid());
        assert_eq!(Timestamp::new(13, 1, 0, 0, 0), None);
        assert_eq!(Timestamp::new(1, 0, 0, 0, 0), None);
        assert_eq!(Timestamp::new(1, 1, 24, 0, 0), None);
        // Parts above 99 are reduced, and the arithmetic wraps instead of overflowing.
        let silly = Timestamp {
            month: 255,
            day: 255,
            hour: 255,
            minute: 255,
            second: 255,
        };
        let _ = silly.to_u32();
    }

    #[test]
    fn sequence_number_display_and_bytes() {
        let seq = SequenceNumber::new(3_010_012_345, Timestamp::new(1, 2, 3, 4, 5).unwrap(), 1);
        assert_eq!(seq.to_string(), "3010012345-0102030405-1");
        assert_eq!(
            seq.to_bytes(),
            [0xb3, 0x69, 0x24, 0xb9, 0x06, 0x14, 0xdc, 0x45, 0, 0, 0, 1]
        );
        let brief = SequenceNumber {
            node_id: 3_053_112_345,
            timestamp: 1_231_235_959,
            counter: 1,
        };
        assert_eq!(brief.to_string(), "3053112345-1231235959-1");
        assert_eq!(brief.time().month, 12);
        let mut buf = BytesMut::new();
        seq.put(&mut buf);
        assert_eq!(&buf[..], &seq.to_bytes());
        let (rest, parsed) = SequenceNumber::parse("SequenceNumber")(&buf).unwrap();
        assert!(rest.is_empty());
        assert_eq!(parsed, seq);
    }

    #[test]
    fn parse_names_the_field_on_truncation() {
        let err = SequenceNumber::parse("SubmitSequenceNumber")(&[0; 11]).unwrap_err();
        match err {
            nom::Err::Error(e) => assert_eq!(e.field, "SubmitSequenceNumber"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn generator_counts_from_zero_and_wraps() {
        let now = Timestamp::new(1, 2, 3, 4, 5).unwrap();
        let mut g = SequenceGenerator::new(101_001);
        assert_eq!(g.next(now).counter, 0);
        assert_eq!(g.next(now).counter, 1);
        let mut g = SequenceGenerator::starting_at(101_001, u32::MAX);
        let last = g.next(now);
        assert_eq!((last.node_id, last.counter), (101_001, u32::MAX));
        assert_eq!(g.next(now).counter, 0);
        assert_eq!(g.node_id(), 101_001);
    }
}
