//! China Standard Time (UTC+8, no daylight saving) for carrier timestamps.
//!
//! Login digests, msg ids, SGIP sequence numbers and validity fields are all in
//! China time, whatever zone the server itself runs in; so hongyan never asks the OS
//! for a local time zone. The conversion is the civil-from-days algorithm on the Unix
//! day count, which needs no time-zone database.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds China Standard Time is ahead of UTC.
pub const CST_OFFSET_SECS: i64 = 8 * 3600;

/// A wall-clock moment in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChinaTime {
    /// Full year, e.g. 2026.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
}

impl ChinaTime {
    /// The China time of a Unix timestamp in seconds.
    pub fn from_unix(secs: i64) -> Self {
        let local = secs.saturating_add(CST_OFFSET_SECS);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// The China time of a `SystemTime` (times before 1970 clamp to the epoch).
    pub fn from_system(t: SystemTime) -> Self {
        let secs = t
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Self::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Now, in China.
    pub fn now() -> Self {
        Self::from_system(SystemTime::now())
    }

    /// `MMDDHHMMSS` as the decimal integer CMPP, SMGP and SGIP put on the wire.
    pub fn mmddhhmmss(&self) -> u32 {
        u32::from(self.month) * 100_000_000
            + u32::from(self.day) * 1_000_000
            + u32::from(self.hour) * 10_000
            + u32::from(self.minute) * 100
            + u32::from(self.second)
    }

    /// `YYMMDDHHMM`, the time format of CMPP status reports.
    pub fn yymmddhhmm(&self) -> String {
        format!(
            "{:02}{:02}{:02}{:02}{:02}",
            self.year.rem_euclid(100),
            self.month,
            self.day,
            self.hour,
            self.minute
        )
    }

    /// `YYYYMMDDHHMMSS`, used by SMGP (RecvTime) and in logs.
    pub fn yyyymmddhhmmss(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// Where "now" comes from for code that schedules by wall-clock time (reminders,
/// approval expiry): the system clock in the daemon, or tokio's clock anchored at a
/// wall-clock moment, so tests can run hours of schedule in paused time.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// `base_ms` (unix ms) plus the tokio time elapsed since `base`.
    Tokio {
        /// Wall-clock time at `base`.
        base_ms: i64,
        /// The tokio instant it was anchored at.
        base: tokio::time::Instant,
    },
}

impl Clock {
    /// Tokio's clock, anchored at the wall-clock time now.
    pub fn following_tokio() -> Self {
        Self::Tokio {
            base_ms: unix_millis(SystemTime::now()),
            base: tokio::time::Instant::now(),
        }
    }

    /// Now, in unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        match self {
            Self::System => unix_millis(SystemTime::now()),
            Self::Tokio { base_ms, base } => {
                let elapsed = i64::try_from(base.elapsed().as_millis()).unwrap_or(i64::MAX);
                base_ms.saturating_add(elapsed)
            }
        }
    }

    /// The tokio instant at which this clock shows `at_ms` (now, if that is past).
    pub fn instant_at(&self, at_ms: i64) -> tokio::time::Instant {
        let wait = u64::try_from(at_ms.saturating_sub(self.now_millis())).unwrap_or(0);
        tokio::time::Instant::now() + Duration::from_millis(wait)
    }
}

fn unix_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_is_next_morning_in_china() {
        // 2024-01-01T20:30:05Z = 2024-01-02 04:30:05 CST.
        let t = ChinaTime::from_unix(1_704_141_005);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2024, 1, 2, 4, 30, 5)
        );
        assert_eq!(t.mmddhhmmss(), 102_043_005);
        assert_eq!(t.yymmddhhmm(), "2401020430");
        assert_eq!(t.yyyymmddhhmmss(), "20240102043005");
    }

    #[test]
    fn leap_day_and_year_end() {
        // 2024-02-29T00:00:00+08:00 = 2024-02-28T16:00:00Z.
        let t = ChinaTime::from_unix(1_709_136_000);
        assert_eq!((t.year, t.month, t.day, t.hour), (2024, 2, 29, 0));
        // 2025-12-31T16:00:00Z = 2026-01-01 00:00 CST.
        let t = ChinaTime::from_unix(1_767_196_800);
        assert_eq!((t.year, t.month, t.day, t.hour), (2026, 1, 1, 0));
    }

    #[test]
    fn epoch_and_before() {
        let t = ChinaTime::from_unix(0);
        assert_eq!((t.year, t.month, t.day, t.hour), (1970, 1, 1, 8));
        let t = ChinaTime::from_unix(-9 * 3600);
        assert_eq!((t.year, t.month, t.day, t.hour), (1969, 12, 31, 23));
    }
}
