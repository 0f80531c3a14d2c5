//! Times as the console's forms and tables write them: China time (UTC+8), minutes.
//! `<input type="datetime-local">` sends `2026-12-07T15:00`; a date filter sends
//! `2026-12-07`. Shown as `2026-12-07 15:00`.

use crate::api::{format_cst, parse_rfc3339};
use crate::store::Millis;

/// One day in milliseconds.
const DAY_MS: Millis = 86_400_000;

/// Unix ms of a `datetime-local` value read as China time; `None` when it is not one.
pub fn parse_local(s: &str) -> Option<Millis> {
    let s = s.trim();
    // With or without seconds.
    let full = if s.len() == 16 {
        format!("{s}:00+08:00")
    } else {
        format!("{s}+08:00")
    };
    parse_rfc3339(&full).ok()
}

/// Unix ms of the start of a `YYYY-MM-DD` day in China time.
pub fn parse_day(s: &str) -> Option<Millis> {
    parse_rfc3339(&format!("{}T00:00:00+08:00", s.trim())).ok()
}

/// The end (exclusive) of the China-time day `s`.
pub fn day_end(s: &str) -> Option<Millis> {
    parse_day(s).map(|d| d + DAY_MS)
}

/// `2026-12-07 15:00` in China time.
pub fn show(ms: Millis) -> String {
    let t = format_cst(ms);
    // `2026-12-07T15:00:00+08:00` → date and minutes.
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm}"),
        _ => t,
    }
}

/// The `datetime-local` value of `ms` (`2026-12-07T15:00`).
pub fn input_value(ms: Millis) -> String {
    show(ms).replacen(' ', "T", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_in_and_out() {
        let ms = parse_local("2026-12-07T15:00").unwrap();
        assert_eq!(ms, parse_rfc3339("2026-12-07T07:00:00Z").unwrap());
        assert_eq!(show(ms), "2026-12-07 15:00");
        assert_eq!(input_value(ms), "2026-12-07T15:00");
        assert_eq!(parse_local("2026-12-07T15:00:30"), Some(ms + 30_000));
        assert_eq!(parse_local("tomorrow"), None);
        let day = parse_day("2026-12-07").unwrap();
        assert_eq!(day, parse_rfc3339("2026-12-06T16:00:00Z").unwrap());
        assert_eq!(day_end("2026-12-07"), Some(day + DAY_MS));
        assert_eq!(parse_day("2026-13-01"), None);
    }
}
