//! When a status report says its message was submitted, as the gateway wrote it, and the
//! window of unix time that can mean.
//!
//! The time is in China time (UTC+8) and coarse: CMPP `Submit_time` and SMGP
//! `submit date` are `YYMMDDHHMM` (the minute, by the gateway's clock); a CMPP Msg_Id
//! holds month, day, hour, minute and second; an SGIP Report names the submit's sequence
//! number, whose `MMDDHHMMSS` is the SP's own clock. Without a year, the year is the one
//! that puts the time nearest to when the report came. The store uses the window to
//! recognise the segment a report is about when its message id is unknown (a submit
//! response lost to a crash): see `store/unconfirmed.rs`.

use crate::clock::CST_OFFSET_SECS;

/// A report's submit time as the protocol carries it (China time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportTime {
    /// Two-digit year, when the protocol carries one.
    pub year: Option<u8>,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
}

impl ReportTime {
    /// Reads `YYMMDDHHMM` (CMPP `Submit_time`, SMGP `submit date`); `None` when it is not
    /// ten digits making a plausible date.
    pub fn from_yymmddhhmm(text: &[u8]) -> Option<Self> {
        let digits: &[u8; 10] = text.get(..10)?.try_into().ok()?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| (digits[i] - b'0') * 10 + (digits[i + 1] - b'0');
        Self {
            year: Some(two(0)),
            month: two(2),
            day: two(4),
            hour: two(6),
            minute: two(8),
        }
        .valid()
    }

    /// From `MMDDHHMMSS` as a number (an SGIP sequence number's time); `None` when it is
    /// not a plausible date.
    pub fn from_mmddhhmmss(value: u32) -> Option<Self> {
        let part = |div: u32| u8::try_from(value / div % 100).ok();
        Self {
            year: None,
            month: part(100_000_000)?,
            day: part(1_000_000)?,
            hour: part(10_000)?,
            minute: part(100)?,
        }
        .valid()
    }

    /// From month, day, hour, minute (a CMPP Msg_Id's time); `None` when implausible.
    pub fn from_parts(month: u8, day: u8, hour: u8, minute: u8) -> Option<Self> {
        Self {
            year: None,
            month,
            day,
            hour,
            minute,
        }
        .valid()
    }

    fn valid(self) -> Option<Self> {
        ((1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60)
            .then_some(self)
    }

    /// The start of that minute in unix milliseconds; without a year, in the year that
    /// puts it nearest to `now_ms` (a report sent just after New Year for a message
    /// submitted just before it).
    pub fn start_millis(&self, now_ms: i64) -> i64 {
        let now_year = crate::clock::ChinaTime::from_unix(now_ms.div_euclid(1000)).year;
        let at = |year: i32| {
            let days = days_from_civil(year, self.month, self.day);
            let local = days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60;
            (local - CST_OFFSET_SECS) * 1000
        };
        match self.year {
            // The protocols postdate 2000.
            Some(yy) => at(2000 + i32::from(yy)),
            None => [now_year - 1, now_year, now_year + 1]
                .into_iter()
                .map(at)
                .min_by_key(|t| (t - now_ms).abs())
                .unwrap_or_else(|| at(now_year)),
        }
    }
}

/// (year, month, day) → days since 1970-01-01, proleptic Gregorian (the inverse of the
/// clock's civil-from-days).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::ChinaTime;

    #[test]
    fn minutes_read_in_china_time_round_trip_through_the_clock() {
        // 2026-12-07 09:41 China time = 01:41 UTC.
        let t = ReportTime::from_yymmddhhmm(b"2612070941").unwrap();
        let ms = t.start_millis(0);
        let back = ChinaTime::from_unix(ms / 1000);
        assert_eq!(
            (back.year, back.month, back.day, back.hour, back.minute),
            (2026, 12, 7, 9, 41)
        );
        assert_eq!(back.second, 0);
    }

    #[test]
    fn a_time_without_year_takes_the_year_nearest_the_report() {
        let now = ReportTime::from_yymmddhhmm(b"2701010005")
            .unwrap()
            .start_millis(0);
        // Submitted 31 December, reported just after midnight: last year.
        let t = ReportTime::from_mmddhhmmss(1_231_235_959).unwrap();
        let at = ChinaTime::from_unix(t.start_millis(now) / 1000);
        assert_eq!((at.year, at.month, at.day, at.minute), (2026, 12, 31, 59));
        let t = ReportTime::from_parts(1, 1, 0, 4).unwrap();
        assert_eq!(ChinaTime::from_unix(t.start_millis(now) / 1000).year, 2027);
    }

    #[test]
    fn implausible_times_are_none() {
        assert!(ReportTime::from_yymmddhhmm(b"26130709").is_none());
        assert!(ReportTime::from_yymmddhhmm(b"2613070941").is_none());
        assert!(ReportTime::from_yymmddhhmm(b"26120709xx").is_none());
        assert!(ReportTime::from_mmddhhmmss(0).is_none());
        assert!(ReportTime::from_parts(2, 30, 24, 0).is_none());
    }
}
