//! Times at the API edge: requests give RFC 3339 (`2026-12-03T15:00:00+08:00`, any
//! offset, or `Z`); responses show every `…_at` field as RFC 3339 in China Standard
//! Time, whatever the server's zone. Inside hongyan a time is unix milliseconds.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::clock::CST_OFFSET_SECS;
use crate::store::Millis;

/// A request time that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not RFC 3339.
    #[error("{text:?} is not an RFC 3339 time like 2026-12-03T15:00:00+08:00 ({reason})")]
    NotRfc3339 {
        /// The text as given.
        text: String,
        /// What the parser said.
        reason: time::error::Parse,
    },
    /// RFC 3339, but beyond what unix milliseconds hold.
    #[error("{text:?} is out of range")]
    OutOfRange {
        /// The text as given.
        text: String,
    },
}

/// Unix ms of an RFC 3339 time.
pub fn parse_rfc3339(s: &str) -> Result<Millis, TimeError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|reason| TimeError::NotRfc3339 {
        text: s.to_owned(),
        reason,
    })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| TimeError::OutOfRange { text: s.to_owned() })
}

/// RFC 3339 in UTC+8 of unix ms (milliseconds shown only when not zero).
pub fn format_cst(ms: Millis) -> String {
    let Ok(offset) = UtcOffset::from_whole_seconds(CST_OFFSET_SECS as i32) else {
        return ms.to_string();
    };
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    let t = t.to_offset(offset);
    let t = if ms % 1000 == 0 {
        t.replace_millisecond(0).unwrap_or(t)
    } else {
        t
    };
    t.format(&Rfc3339).unwrap_or_else(|_| ms.to_string())
}

/// Replaces, in a request body, each RFC 3339 string under one of `keys` (at any
/// depth) by its unix ms; the error names the field.
pub fn times_in(value: &mut Value, keys: &[&str], path: &str) -> Result<(), (String, String)> {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if keys.contains(&k.as_str()) {
                    match v {
                        Value::Null => {}
                        Value::String(s) => {
                            let ms = parse_rfc3339(s).map_err(|e| (here.clone(), e.to_string()))?;
                            *v = Value::from(ms);
                        }
                        _ => {
                            return Err((
                                here,
                                "must be an RFC 3339 time string like 2026-12-03T15:00:00+08:00"
                                    .into(),
                            ));
                        }
                    }
                } else {
                    times_in(v, keys, &here)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                times_in(v, keys, &format!("{path}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rewrites, in a response body, every integer `…_at` field as RFC 3339 (UTC+8).
pub fn times_out(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k.ends_with("_at") {
                    if let Some(ms) = v.as_i64() {
                        *v = Value::String(format_cst(ms));
                        continue;
                    }
                }
                times_out(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(times_out),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn offsets_and_zulu() {
        let a = parse_rfc3339("2026-12-03T15:00:00+08:00").unwrap();
        let b = parse_rfc3339("2026-12-03T07:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, 1_796_281_200_000);
        assert_eq!(parse_rfc3339("2026-12-03T07:00:00.250Z").unwrap(), a + 250);
        assert!(parse_rfc3339("2026-12-03 15:00").is_err());
        assert!(matches!(
            parse_rfc3339("tomorrow"),
            Err(TimeError::NotRfc3339 { text, .. }) if text == "tomorrow"
        ));
        assert!(
            parse_rfc3339("tomorrow")
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
    }

    #[test]
    fn output_is_china_time() {
        assert_eq!(format_cst(1_796_281_200_000), "2026-12-03T15:00:00+08:00");
        assert_eq!(
            format_cst(1_796_281_200_250),
            "2026-12-03T15:00:00.25+08:00"
        );
        let a = parse_rfc3339(&format_cst(1_796_281_200_250)).unwrap();
        assert_eq!(a, 1_796_281_200_250);
    }

    #[test]
    fn request_times_name_the_field() {
        let mut v = json!({"send_at": "2026-12-03T15:00:00+08:00", "x": {"expires_at": null}});
        times_in(&mut v, &["send_at", "expires_at"], "").unwrap();
        assert_eq!(v["send_at"], 1_796_281_200_000i64);
        let mut v = json!({"items": [{"send_at": 5}]});
        let (field, _) = times_in(&mut v, &["send_at"], "").unwrap_err();
        assert_eq!(field, "items[0].send_at");
        let mut v = json!({"send_at": "soon"});
        assert_eq!(times_in(&mut v, &["send_at"], "").unwrap_err().0, "send_at");
    }

    #[test]
    fn response_times_rewritten_at_any_depth() {
        let mut v = json!({"created_at": 1_796_281_200_000i64, "n": 3, "r": [{"updated_at": 1_796_281_200_000i64, "send_at": null}]});
        times_out(&mut v);
        assert_eq!(v["created_at"], "2026-12-03T15:00:00+08:00");
        assert_eq!(v["r"][0]["updated_at"], "2026-12-03T15:00:00+08:00");
        assert_eq!(v["r"][0]["send_at"], Value::Null);
        assert_eq!(v["n"], 3);
    }
}
