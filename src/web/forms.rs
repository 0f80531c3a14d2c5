//! Small helpers the console's forms and links share: percent-encoding a query value,
//! and the `next=` rule (only a path on this site, never another site's address).

/// `s` percent-encoded for a query value (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after a login or a language switch: `next` if it is a path on this site,
/// else the dashboard. `//evil.example` and `/\evil.example` are other sites to a browser.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/",
    }
}

/// The start of a day given as `YYYY-MM-DD`, in China time (unix ms); `None` if `s` is
/// not such a date.
pub fn day_start(s: &str) -> Option<crate::store::Millis> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.trim(), &fmt).ok()?;
    let offset =
        time::UtcOffset::from_whole_seconds(i32::try_from(crate::clock::CST_OFFSET_SECS).ok()?)
            .ok()?;
    let t = date.midnight().assume_offset(offset);
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A time as people read it here: `2026-12-07 14:03:05`, China time.
pub fn show_time(ms: crate::store::Millis) -> String {
    let t = crate::clock::ChinaTime::from_unix(ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/outbox?page=2")), "/outbox?page=2");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn days_start_at_china_midnight_and_times_show_in_china_time() {
        // 2026-12-07 00:00 +08:00 is 2026-12-06 16:00 UTC.
        assert_eq!(day_start("2026-12-07"), Some(1_796_572_800_000));
        assert_eq!(day_start("2026-13-01"), None);
        assert_eq!(day_start("yesterday"), None);
        assert_eq!(show_time(1_796_572_800_000 + 5_000), "2026-12-07 00:00:05");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode("/outbox?state=failed&q=王"),
            "/outbox%3Fstate%3Dfailed%26q%3D%E7%8E%8B"
        );
    }
}
