//! `systemctl reload hongyan` (SIGHUP): the config file is read and validated again;
//! what can change while the daemon runs is applied, and every other changed key is
//! named in one warning as needing a restart. A file that no longer validates changes
//! nothing: the daemon keeps running on what it has, and the error names the key.
//!
//! A part of the daemon that can take new settings implements [`ConfigReload`] (the API
//! tokens do; alert thresholds can plug in the same way) and is passed to [`apply`].
//! The decision — which keys changed, which of them some part takes — is pure
//! ([`changed_keys`], [`classify`]) and tested without a daemon.

use serde_json::Value;

use crate::config::Config;

/// A part of the running daemon that takes new settings without a restart.
pub trait ConfigReload: Send + Sync {
    /// The keys it takes, as the file spells them: `api.token` covers every
    /// `api.token[i].…`.
    fn keys(&self) -> &'static [&'static str];

    /// Applies the new (validated) config; called only when one of [`Self::keys`]
    /// changed.
    fn reload(&self, new: &Config);
}

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Changed keys some part took.
    pub applied: Vec<String>,
    /// Changed keys that take effect only after a restart.
    pub restart: Vec<String>,
}

/// The keys (file spelling: `link[0].window`, `api.token[1].token`) whose values differ
/// between `old` and `new`. A list whose length changed is named whole (`link`).
pub fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        // Config always serializes; if it ever did not, say "everything" rather than
        // claim nothing changed.
        return vec!["(file)".into()];
    };
    let mut out = Vec::new();
    diff("", &a, &b, &mut out);
    out
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff(&join(k), va, vb, out),
                    None => out.push(join(k)),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(join(k));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(if path.is_empty() {
            "(file)".into()
        } else {
            path.to_owned()
        }),
        _ => {}
    }
}

/// True when `key` is `prefix` or lies under it (`api.token[0].token` under `api.token`).
fn under(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Splits `changed` into the keys one of `reloadable` takes and the rest.
pub fn classify(changed: &[String], reloadable: &[&str]) -> Outcome {
    let mut out = Outcome::default();
    for key in changed {
        if reloadable.iter().any(|p| under(key, p)) {
            out.applied.push(key.clone());
        } else {
            out.restart.push(key.clone());
        }
    }
    out
}

/// Compares `running` (what the daemon started with) with `new` and hands `new` to each
/// part one of whose keys changed.
pub fn apply(running: &Config, new: &Config, parts: &[&dyn ConfigReload]) -> Outcome {
    let changed = changed_keys(running, new);
    let keys: Vec<&str> = parts
        .iter()
        .flat_map(|p| p.keys().iter().copied())
        .collect();
    let outcome = classify(&changed, &keys);
    for part in parts {
        if changed
            .iter()
            .any(|k| part.keys().iter().any(|p| under(k, p)))
        {
            part.reload(new);
        }
    }
    outcome
}

/// Reads the config file at `path` again, lets `adjust` apply the command line's
/// overrides (as at start), and applies it against `running`; logs what changed, what
/// needs a restart, or why the file was not taken.
pub fn reload_file(
    path: &std::path::Path,
    running: &Config,
    adjust: impl FnOnce(&mut Config),
    parts: &[&dyn ConfigReload],
) -> Result<Outcome, crate::config::ConfigError> {
    let mut new = match crate::config::load_file(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(file = %path.display(), error = %e, "config reload refused; running on the config in effect");
            return Err(e);
        }
    };
    adjust(&mut new);
    let outcome = apply(running, &new, parts);
    if outcome.applied.is_empty() && outcome.restart.is_empty() {
        tracing::info!(file = %path.display(), "config reloaded: nothing changed");
    } else if !outcome.applied.is_empty() {
        tracing::info!(file = %path.display(), keys = %outcome.applied.join(", "), "config reloaded");
    }
    if !outcome.restart.is_empty() {
        tracing::warn!(file = %path.display(), keys = %outcome.restart.join(", "), "changed in the config file but take effect only after a restart");
    }
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn config(extra: &str) -> Config {
        crate::config::parse(&format!(
            "[[api.token]]\nname = \"erp\"\ntoken = \"erp-token-0123456789\"\nscopes = [\"all\"]\n\
             [[link]]\nname = \"m\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\n\
             secret = \"s\"\nservice_code = \"10690123\"\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn changed_keys_are_named_as_the_file_spells_them() {
        let old = config("");
        let mut new = old.clone();
        new.api.tokens[0].token = Some(crate::config::Secret("erp-token-NEW-456789".into()));
        new.queue.resend_unconfirmed = true;
        assert_eq!(
            changed_keys(&old, &new),
            ["api.token[0].token", "queue.resend_unconfirmed"]
        );
        assert!(changed_keys(&old, &old).is_empty());
        let mut more = old.clone();
        more.api.tokens.push(more.api.tokens[0].clone());
        assert_eq!(changed_keys(&old, &more), ["api.token"]);
    }

    #[test]
    fn reloadable_keys_are_applied_and_the_rest_need_a_restart() {
        let changed: Vec<String> = ["api.token[0].token", "api.tokenish", "link[0].window"]
            .map(String::from)
            .into();
        let out = classify(&changed, &["api.token"]);
        assert_eq!(out.applied, ["api.token[0].token"]);
        assert_eq!(out.restart, ["api.tokenish", "link[0].window"]);
    }

    struct Recorder(Mutex<usize>);
    impl ConfigReload for Recorder {
        fn keys(&self) -> &'static [&'static str] {
            &["api.token"]
        }
        fn reload(&self, _: &Config) {
            *self.0.lock().unwrap() += 1;
        }
    }

    #[test]
    fn a_part_is_reloaded_only_when_its_keys_changed() {
        let old = config("");
        let part = Recorder(Mutex::new(0));
        let mut new = old.clone();
        new.queue.resend_unconfirmed = true;
        let out = apply(&old, &new, &[&part]);
        assert_eq!(*part.0.lock().unwrap(), 0);
        assert_eq!(out.restart, ["queue.resend_unconfirmed"]);
        new.api.tokens[0].name = "erp2".into();
        let out = apply(&old, &new, &[&part]);
        assert_eq!(*part.0.lock().unwrap(), 1);
        assert_eq!(out.applied, ["api.token[0].name"]);
    }
}
