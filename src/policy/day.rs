//! China time for the policy rules: a fixed UTC+8 offset (China has kept no daylight
//! saving time since 1991), independent of the server's time zone. Every function takes
//! and returns unix milliseconds, so the rules are the same on a server set to UTC.

/// UTC+8 in milliseconds.
pub const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Milliseconds since midnight China time of the instant `unix_ms`.
pub fn china_ms_of_day(unix_ms: i64) -> i64 {
    (unix_ms + CHINA_OFFSET_MS).rem_euclid(DAY_MS)
}

/// The unix ms of midnight China time that starts the China calendar day holding
/// `unix_ms`: the start of "today" for the daily caps.
pub fn china_day_start(unix_ms: i64) -> i64 {
    unix_ms - china_ms_of_day(unix_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-12-07 00:00:00 China time = 2026-12-06 16:00:00 UTC.
    const MIDNIGHT: i64 = 1_796_572_800_000;

    #[test]
    fn the_china_day_starts_at_16_00_utc() {
        assert_eq!(china_day_start(MIDNIGHT), MIDNIGHT);
        assert_eq!(china_day_start(MIDNIGHT + DAY_MS - 1), MIDNIGHT);
        assert_eq!(china_day_start(MIDNIGHT - 1), MIDNIGHT - DAY_MS);
        // 23:59 UTC is already 07:59 the next morning in China.
        assert_eq!(china_ms_of_day(MIDNIGHT + 8 * 3_600_000), 8 * 3_600_000);
        assert_eq!(china_day_start(0), -CHINA_OFFSET_MS);
    }

    proptest! {
        #[test]
        fn every_instant_lies_in_its_day(t in -4_000_000_000_000i64..8_000_000_000_000) {
            let start = china_day_start(t);
            prop_assert!(start <= t && t < start + DAY_MS);
            prop_assert_eq!((start + CHINA_OFFSET_MS).rem_euclid(DAY_MS), 0);
            prop_assert_eq!(china_day_start(start), start);
        }
    }
}
