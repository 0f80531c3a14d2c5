//! `[console]`: the staff web console's sessions and login throttling. Every key has a
//! default a production gateway can keep; [`Console::validate`] names a key whose value
//! cannot work.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::load::ConfigError;

/// `[console]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Console {
    /// A session unused this long ends (default 30m).
    #[serde(with = "super::duration")]
    pub idle_timeout: Duration,
    /// A session ends this long after its login, used or not (default 12h).
    #[serde(with = "super::duration")]
    pub absolute_timeout: Duration,
    /// Mark the session cookie `Secure` (sent over HTTPS only). Set it when the console
    /// is served through a TLS-terminating proxy (default false: the daemon itself speaks
    /// plain HTTP, and a Secure cookie would never come back over it).
    pub secure_cookie: bool,
    /// Failed logins for one account name before it is locked for a while (default 5);
    /// each further failure doubles the lock, up to `lockout_max`.
    pub max_failures_per_account: u32,
    /// Failed logins from one address before it is locked (default 20: an office behind
    /// one NAT address shares it).
    pub max_failures_per_address: u32,
    /// The first lock's length (default 1m).
    #[serde(with = "super::duration")]
    pub lockout: Duration,
    /// The longest lock (default 15m).
    #[serde(with = "super::duration")]
    pub lockout_max: Duration,
}

impl Default for Console {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            secure_cookie: false,
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            lockout: Duration::from_secs(60),
            lockout_max: Duration::from_secs(15 * 60),
        }
    }
}

impl Console {
    /// Checks every key; the first bad one is named.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let range = |key: &str, v: Duration, min: Duration, max: Duration| {
            if v < min || v > max {
                return Err(ConfigError::invalid(
                    format!("console.{key}"),
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
        let s = Duration::from_secs;
        range("idle_timeout", self.idle_timeout, s(60), s(7 * 86_400))?;
        range(
            "absolute_timeout",
            self.absolute_timeout,
            self.idle_timeout,
            s(30 * 86_400),
        )?;
        range("lockout", self.lockout, s(1), s(86_400))?;
        range("lockout_max", self.lockout_max, self.lockout, s(7 * 86_400))?;
        for (key, v) in [
            ("max_failures_per_account", self.max_failures_per_account),
            ("max_failures_per_address", self.max_failures_per_address),
        ] {
            if !(1..=1000).contains(&v) {
                return Err(ConfigError::invalid(
                    format!("console.{key}"),
                    format!("{v} is outside 1 to 1000"),
                ));
            }
        }
        Ok(())
    }
}
