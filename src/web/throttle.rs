//! Login throttling, per account name and per client address. After
//! `max_failures_per_*` failures in a row the key is locked for `lockout`; each further
//! failure doubles the lock, up to `lockout_max`. A success clears the account's count
//! (not the address's: one right password must not reset a guesser's other attempts).
//!
//! Unknown account names are counted like real ones, so the answer (and the lock) does
//! not tell whether an account exists. Counts live in memory: a restart forgets them,
//! which costs an attacker a daemon restart per window — not something they control.
//! The table is bounded ([`MAX_KEYS`]); past that, entries with no lock are dropped
//! first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::Console;
use crate::store::Millis;

/// Most keys remembered (names and addresses together).
pub const MAX_KEYS: usize = 10_000;

/// One key's record: pure state, the decisions below work on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures in a row.
    pub count: u32,
    /// Locked until then (unix ms), if locked.
    pub locked_until: Option<Millis>,
}

/// The rule for one kind of key.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Failures before the first lock.
    pub max_failures: u32,
    /// The first lock.
    pub lockout: Duration,
    /// The longest lock.
    pub lockout_max: Duration,
}

impl Failures {
    /// Until when the key is locked at `now`, if it is.
    pub fn locked_at(&self, now: Millis) -> Option<Millis> {
        self.locked_until.filter(|&until| until > now)
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(self, now: Millis, rule: Rule) -> Self {
        let count = self.count.saturating_add(1);
        if count < rule.max_failures {
            return Self {
                count,
                locked_until: self.locked_until,
            };
        }
        let doublings = (count - rule.max_failures).min(20);
        let lock = rule
            .lockout
            .saturating_mul(1u32 << doublings)
            .min(rule.lockout_max);
        let lock_ms = i64::try_from(lock.as_millis()).unwrap_or(i64::MAX);
        Self {
            count,
            locked_until: Some(now.saturating_add(lock_ms)),
        }
    }
}

/// What a login attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Check the password.
    Open,
    /// Refuse without checking, until then (unix ms).
    LockedUntil(Millis),
}

/// The counts of one daemon.
#[derive(Debug)]
pub struct Throttle {
    account: Rule,
    address: Rule,
    keys: Mutex<HashMap<Key, Failures>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(String),
}

impl Throttle {
    /// Counts by `[console]`'s rules.
    pub fn new(c: &Console) -> Self {
        Self {
            account: Rule {
                max_failures: c.max_failures_per_account,
                lockout: c.lockout,
                lockout_max: c.lockout_max,
            },
            address: Rule {
                max_failures: c.max_failures_per_address,
                lockout: c.lockout,
                lockout_max: c.lockout_max,
            },
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        // A panic while holding the lock leaves plain counts behind: still usable.
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a login for `username` from `address` may be tried at `now`.
    pub fn gate(&self, username: &str, address: Option<&str>, now: Millis) -> Gate {
        let keys = self.keys();
        let mut until = keys
            .get(&Key::Account(username.to_owned()))
            .and_then(|f| f.locked_at(now));
        if let Some(a) = address {
            let by_address = keys
                .get(&Key::Address(a.to_owned()))
                .and_then(|f| f.locked_at(now));
            until = until.max(by_address);
        }
        until.map_or(Gate::Open, Gate::LockedUntil)
    }

    /// Counts a failed login.
    pub fn failed(&self, username: &str, address: Option<&str>, now: Millis) {
        let mut keys = self.keys();
        if keys.len() >= MAX_KEYS {
            keys.retain(|_, f| f.locked_at(now).is_some());
            if keys.len() >= MAX_KEYS {
                // Every entry is locked: forget the one whose lock ends first.
                if let Some(k) = keys
                    .iter()
                    .min_by_key(|(_, f)| f.locked_until)
                    .map(|(k, _)| k.clone())
                {
                    keys.remove(&k);
                }
            }
        }
        let account = keys.entry(Key::Account(username.to_owned())).or_default();
        *account = account.after_failure(now, self.account);
        if let Some(a) = address {
            let addr = keys.entry(Key::Address(a.to_owned())).or_default();
            *addr = addr.after_failure(now, self.address);
        }
    }

    /// Clears the account's count after a successful login.
    pub fn succeeded(&self, username: &str) {
        self.keys().remove(&Key::Account(username.to_owned()));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule {
            max_failures: 3,
            lockout: Duration::from_secs(60),
            lockout_max: Duration::from_secs(200),
        }
    }

    #[test]
    fn the_lock_starts_at_the_limit_and_doubles_up_to_the_maximum() {
        let mut f = Failures::default();
        f = f.after_failure(0, rule()).after_failure(0, rule());
        assert_eq!(f.locked_at(0), None);
        f = f.after_failure(1_000, rule());
        assert_eq!(f.locked_at(1_000), Some(61_000));
        assert_eq!(f.locked_at(61_000), None, "a lock ends");
        f = f.after_failure(61_000, rule());
        assert_eq!(f.locked_until, Some(61_000 + 120_000));
        f = f.after_failure(200_000, rule());
        assert_eq!(f.locked_until, Some(400_000), "capped at lockout_max");
    }

    #[test]
    fn names_and_addresses_are_counted_apart_and_success_clears_the_name() {
        let c = Console {
            max_failures_per_account: 2,
            max_failures_per_address: 3,
            ..Console::default()
        };
        let t = Throttle::new(&c);
        t.failed("li", Some("10.0.0.1"), 0);
        assert_eq!(t.gate("li", Some("10.0.0.1"), 0), Gate::Open);
        t.failed("li", Some("10.0.0.2"), 0);
        assert_eq!(t.gate("li", Some("10.0.0.9"), 0), Gate::LockedUntil(60_000));
        assert_eq!(t.gate("wang", Some("10.0.0.1"), 0), Gate::Open);
        t.failed("wang", Some("10.0.0.1"), 0);
        t.failed("zhao", Some("10.0.0.1"), 0);
        assert_eq!(
            t.gate("qian", Some("10.0.0.1"), 0),
            Gate::LockedUntil(60_000),
            "the address has failed three times"
        );
        t.succeeded("li");
        assert_eq!(t.gate("li", Some("10.0.0.9"), 0), Gate::Open);
    }

    #[test]
    fn the_table_stays_bounded() {
        let t = Throttle::new(&Console::default());
        for i in 0..(MAX_KEYS + 50) {
            t.failed(&format!("user{i}"), None, 0);
        }
        assert!(t.keys().len() <= MAX_KEYS);
    }
}
