//! The query parameters list routes share: the page (`limit`, `before`), a time range
//! (`since`, `until`, RFC 3339 with any offset), numbers in any usual spelling, and
//! states by name. Each bad value is 422 `invalid` naming its parameter; a parameter the
//! route does not take never gets here (see [`ROUTES`](super::ROUTES)).

use serde::de::DeserializeOwned;

use super::body::page_limit;
use super::error::ApiError;
use super::times::parse_rfc3339;
use crate::route::normalize;
use crate::store::{TimeRange, Window};

/// `limit` (default `default`, at most `max`) and `before`.
pub fn window(
    limit: Option<usize>,
    before: Option<i64>,
    default: usize,
    max: usize,
) -> Result<Window, ApiError> {
    Ok(Window {
        before,
        limit: page_limit(limit, default, max)?,
    })
}

/// `since` and `until` as unix ms; `until` must be after `since`.
pub fn time_range(since: Option<&str>, until: Option<&str>) -> Result<TimeRange, ApiError> {
    let parse = |field: &str, v: Option<&str>| {
        v.map(|s| parse_rfc3339(s).map_err(|e| ApiError::invalid(field, e)))
            .transpose()
    };
    let range = TimeRange {
        since: parse("since", since)?,
        until: parse("until", until)?,
    };
    if let (Some(s), Some(u)) = (range.since, range.until) {
        if u <= s {
            return Err(ApiError::invalid("until", "is not after since"));
        }
    }
    Ok(range)
}

/// A number as the store keeps it (normalised), from any usual spelling.
pub fn number(field: &str, input: &str) -> Result<String, ApiError> {
    normalize(input)
        .map(|n| n.to_string())
        .map_err(|e| ApiError::invalid(field, e))
}

/// A state by its snake_case name; a wrong one is refused with the names it can be.
pub fn state<T: DeserializeOwned>(field: &str, input: &str, names: &[&str]) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(input.to_owned())).map_err(|_| {
        ApiError::invalid(
            field,
            format!("{input:?} is not one of {}", names.join(", ")),
        )
    })
}

/// The names of a job's states, as the API writes them.
pub const JOB_STATES: &[&str] = &[
    "scheduled",
    "queued",
    "sending",
    "submitted",
    "delivered",
    "partly_delivered",
    "failed",
    "expired",
    "unconfirmed",
    "cancelled",
    "unreported",
];

/// The names of an approval request's states.
pub const APPROVAL_STATES: &[&str] = &["pending", "approved", "rejected", "expired"];

/// The names of a reminder's states.
pub const REMINDER_STATES: &[&str] = &[
    "scheduled",
    "sending",
    "sent",
    "cancelled",
    "replied",
    "failed",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::JobState;

    #[test]
    fn every_job_state_name_parses_and_a_wrong_one_is_named() {
        for name in JOB_STATES {
            let s: JobState = state("state", name, JOB_STATES).unwrap();
            assert_eq!(s.as_str(), *name);
        }
        let e = state::<JobState>("state", "done", JOB_STATES).unwrap_err();
        assert_eq!(e.code, "invalid");
        assert!(e.message.starts_with("state:") && e.message.contains("partly_delivered"));
    }

    #[test]
    fn times_take_any_offset_and_must_be_in_order() {
        let r = time_range(
            Some("2026-12-03T15:00:00+08:00"),
            Some("2026-12-03T07:00:01Z"),
        )
        .unwrap();
        assert_eq!(r.until.unwrap() - r.since.unwrap(), 1_000);
        let e = time_range(Some("yesterday"), None).unwrap_err();
        assert!(e.message.starts_with("since:"), "{}", e.message);
        let e = time_range(
            Some("2026-12-03T15:00:00+08:00"),
            Some("2026-12-03T15:00:00+08:00"),
        )
        .unwrap_err();
        assert!(e.message.starts_with("until:"), "{}", e.message);
        assert_eq!(
            number("number", "+86 138-0013-8000").unwrap(),
            "13800138000"
        );
        assert!(
            number("sender", "12")
                .unwrap_err()
                .message
                .starts_with("sender:")
        );
    }
}
