//! Quiet hours: the daily period, China time, in which marketing is not sent (default
//! 21:00–08:00). Written `"HH:MM-HH:MM"`; `""` means none. The start is inclusive and
//! the end exclusive, so with `21:00-08:00` a message may go at 20:59:59.999 and again at
//! 08:00:00.000. A period whose start is later than its end spans midnight.

use std::fmt;
use std::str::FromStr;

use super::day::{DAY_MS, china_ms_of_day};

/// A parsed quiet-hours setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuietHours {
    /// `(start, end)` in ms since midnight China time; `None`: no quiet hours.
    span: Option<(i64, i64)>,
}

/// Why a quiet-hours setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    /// Not `HH:MM-HH:MM`.
    #[error("{0:?} is not HH:MM-HH:MM (China time), e.g. \"21:00-08:00\"; \"\" for none")]
    Format(String),
    /// An hour above 23 or a minute above 59.
    #[error("{0:?} is not a time of day (00:00 to 23:59)")]
    Time(String),
    /// Start and end the same: an empty period or the whole day, either way a mistake.
    #[error("start and end are both {0}; use \"\" for no quiet hours")]
    Empty(String),
}

impl QuietHours {
    /// No quiet hours.
    pub const OFF: QuietHours = QuietHours { span: None };

    /// Quiet from `start` to `end` minutes after midnight China time.
    pub fn from_minutes(start: u32, end: u32) -> Result<QuietHours, QuietHoursError> {
        if start >= 24 * 60 || end >= 24 * 60 {
            return Err(QuietHoursError::Time(format!("{start}/{end} minutes")));
        }
        if start == end {
            return Err(QuietHoursError::Empty(hhmm(i64::from(start) * 60_000)));
        }
        Ok(QuietHours {
            span: Some((i64::from(start) * 60_000, i64::from(end) * 60_000)),
        })
    }

    /// True when any quiet hours are set.
    pub fn is_on(&self) -> bool {
        self.span.is_some()
    }

    /// True when `unix_ms` falls inside quiet hours (start inclusive, end exclusive).
    pub fn contains(&self, unix_ms: i64) -> bool {
        let Some((start, end)) = self.span else {
            return false;
        };
        let m = china_ms_of_day(unix_ms);
        if start < end {
            start <= m && m < end
        } else {
            m >= start || m < end
        }
    }

    /// When the quiet period holding `unix_ms` ends (the first instant a marketing
    /// message may go again); `unix_ms` itself when it is not inside one.
    pub fn next_end(&self, unix_ms: i64) -> i64 {
        match self.span {
            Some((_, end)) if self.contains(unix_ms) => {
                unix_ms + (end - china_ms_of_day(unix_ms)).rem_euclid(DAY_MS)
            }
            _ => unix_ms,
        }
    }

    /// The first instant at or after `unix_ms` at which a quiet period starts (`unix_ms`
    /// itself when it is exactly a start); `None` without quiet hours. A job running at
    /// `unix_ms` outside quiet hours pauses then.
    pub fn next_start(&self, unix_ms: i64) -> Option<i64> {
        let (start, _) = self.span?;
        Some(unix_ms + (start - china_ms_of_day(unix_ms)).rem_euclid(DAY_MS))
    }
}

fn hhmm(ms_of_day: i64) -> String {
    let m = ms_of_day / 60_000;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn parse_time(s: &str) -> Result<u32, QuietHoursError> {
    let s = s.trim();
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| QuietHoursError::Time(s.to_owned()))?;
    let digits = |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || m.len() != 2 || !digits(m) {
        return Err(QuietHoursError::Time(s.to_owned()));
    }
    let (h, m): (u32, u32) = (
        h.parse().map_err(|_| QuietHoursError::Time(s.to_owned()))?,
        m.parse().map_err(|_| QuietHoursError::Time(s.to_owned()))?,
    );
    if h > 23 || m > 59 {
        return Err(QuietHoursError::Time(s.to_owned()));
    }
    Ok(h * 60 + m)
}

impl FromStr for QuietHours {
    type Err = QuietHoursError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(QuietHours::OFF);
        }
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| QuietHoursError::Format(s.to_owned()))?;
        QuietHours::from_minutes(parse_time(a)?, parse_time(b)?)
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            None => Ok(()),
            Some((s, e)) => write!(f, "{}-{}", hhmm(s), hhmm(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-12-07 00:00:00.000 China time.
    const DAY0: i64 = 1_796_572_800_000;
    const H: i64 = 3_600_000;

    fn at(h: i64, m: i64, s: i64, ms: i64) -> i64 {
        DAY0 + h * H + m * 60_000 + s * 1000 + ms
    }

    fn night() -> QuietHours {
        "21:00-08:00".parse().unwrap()
    }

    #[test]
    fn boundaries_of_a_period_spanning_midnight() {
        let q = night();
        for (t, quiet) in [
            (at(20, 59, 59, 999), false),
            (at(21, 0, 0, 0), true),
            (at(23, 59, 59, 999), true),
            (at(0, 0, 0, 0), true),
            (at(7, 59, 59, 999), true),
            (at(8, 0, 0, 0), false),
            (at(12, 0, 0, 0), false),
        ] {
            assert_eq!(q.contains(t), quiet, "{}", t - DAY0);
        }
    }

    #[test]
    fn boundaries_of_a_period_within_one_day() {
        let q: QuietHours = "12:00-13:30".parse().unwrap();
        assert!(!q.contains(at(11, 59, 59, 999)));
        assert!(q.contains(at(12, 0, 0, 0)));
        assert!(q.contains(at(13, 29, 59, 999)));
        assert!(!q.contains(at(13, 30, 0, 0)));
        assert_eq!(q.next_end(at(12, 10, 0, 0)), at(13, 30, 0, 0));
        assert_eq!(
            q.next_start(at(13, 30, 0, 0)),
            Some(at(12, 0, 0, 0) + 24 * H)
        );
        assert_eq!(q.next_start(at(9, 0, 0, 0)), Some(at(12, 0, 0, 0)));
    }

    #[test]
    fn a_job_queued_at_20_59_50_pauses_at_21_00_and_resumes_at_08_00() {
        let q = night();
        let queued = at(20, 59, 50, 0);
        assert!(!q.contains(queued));
        let pause = q.next_start(queued).unwrap();
        assert_eq!(pause, at(21, 0, 0, 0));
        assert!(q.contains(pause));
        assert_eq!(q.next_end(pause), at(8, 0, 0, 0) + 24 * H);
        // Inside, before midnight and after: the same end.
        assert_eq!(q.next_end(at(23, 0, 0, 0)), at(8, 0, 0, 0) + 24 * H);
        assert_eq!(q.next_end(at(7, 59, 59, 999)), at(8, 0, 0, 0));
        // Outside: nothing to wait for.
        assert_eq!(q.next_end(at(8, 0, 0, 0)), at(8, 0, 0, 0));
        assert_eq!(q.next_start(at(21, 0, 0, 0)), Some(at(21, 0, 0, 0)));
    }

    #[test]
    fn the_server_zone_does_not_matter_only_utc_plus_8() {
        // DAY0 + 8h is midnight UTC; 13:00 UTC is 21:00 in China: quiet, whatever TZ
        // the process has (the rules take unix ms and never read the local zone).
        let utc_midnight = DAY0 + 8 * H;
        assert!(night().contains(utc_midnight + 13 * H));
        assert!(!night().contains(utc_midnight + 13 * H - 1));
        // The next 00:00 UTC is 08:00 in China: the end.
        assert!(night().contains(utc_midnight + 24 * H - 1));
        assert!(!night().contains(utc_midnight + 24 * H));
    }

    #[test]
    fn settings_are_parsed_and_shown_back() {
        assert_eq!("".parse::<QuietHours>().unwrap(), QuietHours::OFF);
        assert_eq!("  ".parse::<QuietHours>().unwrap(), QuietHours::OFF);
        assert_eq!(night().to_string(), "21:00-08:00");
        assert_eq!(
            "9:05 - 7:00".parse::<QuietHours>().unwrap().to_string(),
            "09:05-07:00"
        );
        for bad in [
            "21:00",
            "21-08",
            "24:00-08:00",
            "21:60-08:00",
            "21:0-08:00",
            "aa:bb-cc:dd",
        ] {
            assert!(bad.parse::<QuietHours>().is_err(), "{bad}");
        }
        assert!(matches!(
            "08:00-08:00".parse::<QuietHours>(),
            Err(QuietHoursError::Empty(_))
        ));
        let off = QuietHours::OFF;
        assert!(!off.contains(at(22, 0, 0, 0)));
        assert_eq!(off.next_end(5), 5);
        assert_eq!(off.next_start(5), None);
    }

    proptest! {
        #[test]
        fn next_end_is_the_first_instant_outside(
            start in 0u32..1440, end in 0u32..1440, t in DAY0 - 400 * 86_400_000..DAY0 + 400 * 86_400_000,
        ) {
            prop_assume!(start != end);
            let q = QuietHours::from_minutes(start, end).unwrap();
            let e = q.next_end(t);
            prop_assert!(e >= t && e - t < 86_400_000);
            prop_assert!(!q.contains(e));
            if e > t {
                prop_assert!(q.contains(t));
                prop_assert!(q.contains(e - 1));
                // A minute before the end (but after t) is still quiet.
                prop_assert!(q.contains((e - 60_000).max(t)));
            }
        }

        #[test]
        fn next_start_is_the_first_quiet_instant_after_an_open_one(
            start in 0u32..1440, end in 0u32..1440, t in DAY0 - 400 * 86_400_000..DAY0 + 400 * 86_400_000,
        ) {
            prop_assume!(start != end);
            let q = QuietHours::from_minutes(start, end).unwrap();
            let s = q.next_start(t).unwrap();
            prop_assert!(s >= t && s - t < 86_400_000);
            prop_assert!(q.contains(s));
            if !q.contains(t) {
                prop_assert!(!q.contains(s - 1));
                // Open all the way from t to s: check the minute marks in between.
                let mut x = t;
                while x < s {
                    prop_assert!(!q.contains(x));
                    x += 60_000;
                }
            }
        }
    }
}
