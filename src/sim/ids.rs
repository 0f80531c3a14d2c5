//! Message ids that stay unique at any rate, and the seeded failure draw.
//!
//! A CMPP `Msg_Id` holds the time to the second and a 16-bit sequence, an SMGP `MsgID`
//! the time to the minute and a 6-digit sequence: a real gateway can hand out only
//! 65 536 (CMPP) or 1 000 000 (SMGP) ids per time unit. At bench rates (150 000 a second)
//! the sequence would wrap within its second, so [`IdClock`] lets the id's time run
//! ahead of the wall clock by one unit whenever the sequence is used up, and falls back
//! to the wall clock once the load drops. Ids stay unique and well-formed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::clock::ChinaTime;

/// Hands out blocks of sequence numbers under a time stamp in units of `unit_secs`.
#[derive(Debug)]
pub(crate) struct IdClock {
    unit_secs: u64,
    capacity: u32,
    state: Mutex<(u64, u32)>,
}

impl IdClock {
    pub(crate) fn new(unit_secs: u64, capacity: u32) -> Self {
        Self {
            unit_secs: unit_secs.max(1),
            capacity,
            state: Mutex::new((0, 0)),
        }
    }

    /// `n` consecutive sequence numbers at `now`: the China time they carry and the
    /// first one.
    pub(crate) fn alloc(&self, n: u32, now: &Now) -> (ChinaTime, u32) {
        let now_unit = now.unix / self.unit_secs;
        let n = n.clamp(1, self.capacity);
        let (unit, first) = {
            let mut st = match self.state.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            if now_unit > st.0 {
                *st = (now_unit, 0);
            }
            if st.1.saturating_add(n) > self.capacity {
                // Sequence used up in this unit: move on to the next one.
                *st = (st.0 + 1, 0);
            }
            let first = st.1;
            st.1 += n;
            (st.0, first)
        };
        let secs = i64::try_from(unit.saturating_mul(self.unit_secs)).unwrap_or(i64::MAX);
        (ChinaTime::from_unix(secs), first)
    }
}

/// The wall clock, read once per batch of PDUs rather than once per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Now {
    /// Unix seconds.
    pub(crate) unix: u64,
    /// The same second in China time.
    pub(crate) china: ChinaTime,
}

impl Now {
    pub(crate) fn read() -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            unix,
            china: ChinaTime::from_unix(i64::try_from(unix).unwrap_or(i64::MAX)),
        }
    }
}

/// `YYMMDDHHMM` as ten ASCII digits, without allocating (a status report carries two).
pub(crate) fn yymmddhhmm(t: &ChinaTime) -> [u8; 10] {
    let pairs = [
        t.year.rem_euclid(100) as u8,
        t.month,
        t.day,
        t.hour,
        t.minute,
    ];
    let mut out = [b'0'; 10];
    for (pair, v) in out.chunks_exact_mut(2).zip(pairs) {
        if let [tens, ones] = pair {
            *tens = b'0' + v / 10 % 10;
            *ones = b'0' + v % 10;
        }
    }
    out
}

/// SplitMix64: one well-mixed 64-bit value per counter value.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seeded draw deciding which reports fail: the n-th draw depends only on the
/// seed and n, so a run with the same seed and order fails the same reports.
#[derive(Debug)]
pub(crate) struct FailureDraw {
    seed: u64,
    ratio: f64,
    n: AtomicU64,
}

/// What a report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Delivered,
    /// `UNDELIV` (SGIP State 2, ErrorCode 25)
    Undeliverable,
    /// `EXPIRED` (SGIP State 2, ErrorCode 21)
    Expired,
}

impl FailureDraw {
    pub(crate) fn new(seed: u64, ratio: f64) -> Self {
        Self {
            seed,
            ratio,
            n: AtomicU64::new(0),
        }
    }

    pub(crate) fn draw(&self) -> Outcome {
        if self.ratio <= 0.0 {
            return Outcome::Delivered;
        }
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let x = splitmix64(self.seed ^ splitmix64(n));
        // 53 random bits as a float in [0, 1).
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.ratio {
            Outcome::Delivered
        } else if x & 1 == 0 {
            Outcome::Undeliverable
        } else {
            Outcome::Expired
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn yymmddhhmm_matches_the_clock_format() {
        for secs in [0, 1_700_000_000, 1_735_689_599, 4_102_444_800] {
            let t = ChinaTime::from_unix(secs);
            assert_eq!(yymmddhhmm(&t).as_slice(), t.yymmddhhmm().as_bytes());
        }
    }

    #[test]
    fn id_clock_moves_to_the_next_unit_when_the_sequence_is_used_up() {
        let clock = IdClock::new(1, 10);
        let now = Now::read();
        let (t1, a) = clock.alloc(4, &now);
        let (t2, b) = clock.alloc(4, &now);
        let (t3, c) = clock.alloc(4, &now);
        assert_eq!((a, b), (0, 4));
        assert_eq!(t1, t2);
        // 8 + 4 > 10: a fresh unit, starting again at 0, one second later at least.
        assert_eq!(c, 0);
        assert!(t3 > t2);
    }

    #[test]
    fn failure_draw_is_deterministic_and_close_to_the_ratio() {
        let a = FailureDraw::new(7, 0.25);
        let b = FailureDraw::new(7, 0.25);
        let xs: Vec<_> = (0..4000).map(|_| a.draw()).collect();
        let ys: Vec<_> = (0..4000).map(|_| b.draw()).collect();
        assert_eq!(xs, ys);
        let failed = xs.iter().filter(|o| **o != Outcome::Delivered).count();
        assert!((800..1200).contains(&failed), "{failed} of 4000 failed");
        assert!(xs.contains(&Outcome::Expired) && xs.contains(&Outcome::Undeliverable));
        let never = FailureDraw::new(7, 0.0);
        assert!((0..100).all(|_| never.draw() == Outcome::Delivered));
        let always = FailureDraw::new(7, 1.0);
        assert!((0..100).all(|_| always.draw() != Outcome::Delivered));
    }
}
