//! `[alerts]`: the conditions that reach a person, their thresholds, pacing, and the
//! on-call numbers. Every key has a default an operator of a production gateway can keep;
//! [`Alerts::validate`] names the key of any value that cannot work.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::load::ConfigError;

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Evaluate the conditions at all (default true).
    pub enabled: bool,
    /// How often the conditions are evaluated (default 30s).
    #[serde(with = "super::duration")]
    pub evaluate_every: Duration,
    /// Mobile numbers that get an SMS for each notice (default none: log, webhook,
    /// `/metrics` and `/v1/alerts` only).
    pub on_call: Vec<String>,
    /// The signature of the on-call SMS (default `【鸿雁告警】`).
    pub signature: String,
    /// At most this many on-call SMS in any hour, all alerts together (default 10).
    pub sms_per_hour: u32,
    /// A firing alert is repeated this often while it lasts (default 1h).
    #[serde(with = "super::duration")]
    pub repeat_every: Duration,
    /// At most this many notices (firing and repeats) per alert in any 24 hours
    /// (default 6).
    pub max_notices_per_day: u32,
    /// An alert resolves once its condition was clear on this many evaluations in a row
    /// (default 2)…
    pub resolve_after_evaluations: u32,
    /// …and for at least this long (default 2m).
    #[serde(with = "super::duration")]
    pub resolve_after: Duration,
    /// `link_down`: a link without a logged-in connection this long (default 5m).
    #[serde(with = "super::duration")]
    pub link_down_after: Duration,
    /// `queue_stuck`: the oldest due message has waited this long (default 10m).
    #[serde(with = "super::duration")]
    pub queue_age: Duration,
    /// `reports_missing`: a segment submitted this long ago should have its report
    /// (default 30m)…
    #[serde(with = "super::duration")]
    pub reports_after: Duration,
    /// …looking at the segments submitted in this window before that (default 1h)…
    #[serde(with = "super::duration")]
    pub reports_window: Duration,
    /// …fires when more than this percentage of them has none (default 20)…
    pub reports_missing_percent: u8,
    /// …and the window holds at least this many (default 20).
    pub reports_min_segments: u64,
    /// `webhook_backlog`: the webhook outbox has grown for this long (default 10m).
    #[serde(with = "super::duration")]
    pub webhook_growing_for: Duration,
    /// `disk_low`: free space on the data directory's filesystem below this percentage
    /// (default 5)…
    pub disk_free_percent: u8,
    /// …or below this many MiB (default 1024).
    pub disk_free_mib: u64,
    /// `store_stalled`: the store's writer has not finished a command this long while
    /// one waits (default 1m).
    #[serde(with = "super::duration")]
    pub store_stalled_after: Duration,
}

impl Default for Alerts {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(60 * n);
        Self {
            enabled: true,
            evaluate_every: Duration::from_secs(30),
            on_call: Vec::new(),
            signature: "【鸿雁告警】".to_owned(),
            sms_per_hour: 10,
            repeat_every: m(60),
            max_notices_per_day: 6,
            resolve_after_evaluations: 2,
            resolve_after: m(2),
            link_down_after: m(5),
            queue_age: m(10),
            reports_after: m(30),
            reports_window: m(60),
            reports_missing_percent: 20,
            reports_min_segments: 20,
            webhook_growing_for: m(10),
            disk_free_percent: 5,
            disk_free_mib: 1024,
            store_stalled_after: m(1),
        }
    }
}

impl Alerts {
    /// Checks every key; the first bad one is named.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let s = Duration::from_secs;
        let range = |key: &str, v: Duration, min: Duration, max: Duration| {
            if v < min || v > max {
                return Err(ConfigError::invalid(
                    format!("alerts.{key}"),
                    format!(
                        "{} is outside {} to {}",
                        humantime::format_duration(v),
                        humantime::format_duration(min),
                        humantime::format_duration(max)
                    ),
                ));
            }
            Ok(())
        };
        let int = |key: &str, v: u64, min: u64, max: u64| {
            if v < min || v > max {
                return Err(ConfigError::invalid(
                    format!("alerts.{key}"),
                    format!("{v} is outside {min} to {max}"),
                ));
            }
            Ok(())
        };
        range("evaluate_every", self.evaluate_every, s(1), s(600))?;
        range(
            "repeat_every",
            self.repeat_every,
            self.evaluate_every,
            s(7 * 86_400),
        )?;
        range("resolve_after", self.resolve_after, s(0), s(86_400))?;
        range("link_down_after", self.link_down_after, s(0), s(86_400))?;
        range("queue_age", self.queue_age, s(60), s(7 * 86_400))?;
        range("reports_after", self.reports_after, s(60), s(7 * 86_400))?;
        range("reports_window", self.reports_window, s(60), s(7 * 86_400))?;
        range(
            "webhook_growing_for",
            self.webhook_growing_for,
            s(60),
            s(7 * 86_400),
        )?;
        range(
            "store_stalled_after",
            self.store_stalled_after,
            s(5),
            s(3600),
        )?;
        int("sms_per_hour", self.sms_per_hour.into(), 1, 1000)?;
        int(
            "max_notices_per_day",
            self.max_notices_per_day.into(),
            1,
            1000,
        )?;
        int(
            "resolve_after_evaluations",
            self.resolve_after_evaluations.into(),
            1,
            100,
        )?;
        int(
            "reports_missing_percent",
            self.reports_missing_percent.into(),
            1,
            99,
        )?;
        int(
            "reports_min_segments",
            self.reports_min_segments,
            1,
            1_000_000,
        )?;
        int("disk_free_percent", self.disk_free_percent.into(), 0, 50)?;
        let sig = self.signature.trim();
        let inner = sig
            .strip_prefix('【')
            .and_then(|x| x.strip_suffix('】'))
            .unwrap_or("");
        if inner.is_empty() || inner.contains(['【', '】']) || inner.chars().count() > 18 {
            return Err(ConfigError::invalid(
                "alerts.signature",
                format!("{sig:?}: one 【signature】 of 1 to 18 characters, e.g. 【鸿雁告警】"),
            ));
        }
        for (i, n) in self.on_call.iter().enumerate() {
            if let Err(e) = crate::route::normalize(n) {
                return Err(ConfigError::invalid(
                    format!("alerts.on_call[{i}]"),
                    format!("{n:?}: {e}"),
                ));
            }
        }
        Ok(())
    }
}
