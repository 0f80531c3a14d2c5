//! The alerts' part of a config reload (SIGHUP): every `[alerts]` key but `enabled`
//! (which starts or stops the evaluator, so needs a restart) goes to the running
//! evaluator, which takes it before its next evaluation. Alerts firing stay firing: the
//! new thresholds only decide whether their conditions still hold, and one that no
//! longer does resolves through the usual hold.

use tokio::sync::watch;

use crate::config::{self, Config};
use crate::daemon::reload::{ConfigReload, ReloadError};

/// The `[alerts]` keys the evaluator takes while it runs: all but `alerts.enabled`.
pub const KEYS: &[&str] = &[
    "alerts.evaluate_every",
    "alerts.on_call",
    "alerts.signature",
    "alerts.sms_per_hour",
    "alerts.repeat_every",
    "alerts.max_notices_per_day",
    "alerts.resolve_after_evaluations",
    "alerts.resolve_after",
    "alerts.link_down_after",
    "alerts.queue_age",
    "alerts.reports_after",
    "alerts.reports_window",
    "alerts.reports_missing_percent",
    "alerts.reports_min_segments",
    "alerts.webhook_growing_for",
    "alerts.disk_free_percent",
    "alerts.disk_free_mib",
    "alerts.store_stalled_after",
];

/// Hands reloaded `[alerts]` settings to the running evaluator; cheap to clone.
#[derive(Debug, Clone)]
pub struct AlertsReload(std::sync::Arc<watch::Sender<config::Alerts>>);

impl AlertsReload {
    /// A reload part and the receiver the evaluator watches, starting at `now`.
    pub(super) fn channel(now: config::Alerts) -> (Self, watch::Receiver<config::Alerts>) {
        let (tx, rx) = watch::channel(now);
        (Self(std::sync::Arc::new(tx)), rx)
    }
}

impl ConfigReload for AlertsReload {
    fn keys(&self) -> &'static [&'static str] {
        KEYS
    }

    fn reload(&self, new: &Config) -> Result<(), ReloadError> {
        // `enabled` is not this part's to change: the evaluator runs, so it stays on.
        let alerts = config::Alerts {
            enabled: true,
            ..new.alerts.clone()
        };
        // Taken even if the evaluator has stopped (shutting down): nothing to refuse.
        self.0.send_replace(alerts);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_alerts_key_but_enabled_is_taken() {
        let serde_json::Value::Object(keys) =
            serde_json::to_value(config::Alerts::default()).unwrap()
        else {
            panic!("[alerts] is a table")
        };
        let mut all: Vec<String> = keys
            .keys()
            .filter(|k| *k != "enabled")
            .map(|k| format!("alerts.{k}"))
            .collect();
        all.sort();
        let mut taken: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
        taken.sort();
        assert_eq!(taken, all, "a new [alerts] key: reloadable, or say why not");
    }

    #[test]
    fn the_evaluator_sees_the_new_settings_and_enabled_is_left_alone() {
        let (part, mut rx) = AlertsReload::channel(config::Alerts::default());
        let mut new = Config::embedded_default().unwrap();
        new.alerts.queue_age = Duration::from_secs(3600);
        new.alerts.enabled = false;
        part.reload(&new).unwrap();
        assert!(rx.has_changed().unwrap());
        let seen = rx.borrow_and_update().clone();
        assert_eq!(seen.queue_age, Duration::from_secs(3600));
        assert!(seen.enabled);
        let outcome = crate::daemon::reload::classify(&["alerts.enabled".into()], part.keys());
        assert_eq!(outcome.restart, ["alerts.enabled"]);
    }
}
