//! `systemctl reload hongyan` (SIGHUP): the config file is read and validated again;
//! what can change while the daemon runs is applied, and every other changed key is
//! named in one warning as needing a restart. A file that no longer validates changes
//! nothing: the daemon keeps running on what it has, and the error names the key.
//!
//! A part of the daemon that can take new settings implements [`ConfigReload`] (the API
//! tokens, the routing with its portability file, the alert thresholds) and is passed to
//! [`apply`]. A part may refuse what it is given (a portability file with a bad row):
//! its settings in effect then stay, and the refusal names the key. A part that reads a
//! file of its own ([`ConfigReload::rereads`]) is reloaded on every SIGHUP, since that
//! file can change while the config does not.
//!
//! Changes are measured against [`InEffect`]: the config the daemon started with, with
//! each part's keys as it last took them — so a key changed and later changed back is
//! applied back, and a key that needs a restart is named until it is restarted or
//! reverted. The decisions — which keys changed, which part takes which — are pure
//! ([`changed_keys`], [`classify`], [`due`]) and tested without a daemon.

use serde_json::Value;

use crate::config::Config;

/// A part of the running daemon that takes new settings without a restart.
pub trait ConfigReload: Send + Sync {
    /// The keys it takes, as the file spells them: `api.token` covers every
    /// `api.token[i].…`.
    fn keys(&self) -> &'static [&'static str];

    /// The key of a file this part reads besides the config (`routing.portability_file`)
    /// when `new` names one: the part is then reloaded on every SIGHUP, changed keys or
    /// not. None by default.
    fn rereads(&self, _new: &Config) -> Option<&'static str> {
        None
    }

    /// Applies the new (validated) config; called only when one of [`Self::keys`]
    /// changed or [`Self::rereads`] names a file. An error leaves the part's settings in
    /// effect as they were.
    fn reload(&self, new: &Config) -> Result<(), ReloadError>;
}

/// A part refused a reloaded config; its settings in effect stay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct ReloadError {
    /// The key at fault, as the file spells it.
    pub key: String,
    /// Why, for people (a file's line, a link that is not running).
    pub reason: String,
}

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Changed keys some part took, and the files re-read (by key).
    pub applied: Vec<String>,
    /// Changed keys that take effect only after a restart.
    pub restart: Vec<String>,
    /// Parts that refused what they were given: the key and why.
    pub refused: Vec<ReloadError>,
}

/// The settings in effect, in the config's serialized form: what the daemon started
/// with, and for each part that took a reload, that part's keys as it took them.
#[derive(Debug, Clone)]
pub struct InEffect(Value);

impl InEffect {
    /// The config the daemon started with.
    pub fn new(started: &Config) -> Self {
        // Config always serializes; if it ever did not, every key reads as changed
        // ("(file)") rather than none.
        Self(serde_json::to_value(started).unwrap_or(Value::Null))
    }

    /// Takes `new`'s value at `key` (a part's key: dot-separated names, no index).
    fn adopt(&mut self, new: &Value, key: &str) {
        let mut names = key.split('.').peekable();
        let mut here = &mut self.0;
        let mut there = Some(new);
        while let Some(name) = names.next() {
            let Value::Object(map) = here else { return };
            there = there.and_then(|v| v.get(name));
            if names.peek().is_none() {
                match there {
                    Some(v) => {
                        map.insert(name.to_owned(), v.clone());
                    }
                    None => {
                        map.remove(name);
                    }
                }
                return;
            }
            here = map
                .entry(name.to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
        }
    }
}

/// The keys (file spelling: `link[0].window`, `api.token[1].token`) whose values differ
/// between `old` and `new`. A list whose length changed is named whole (`link`).
pub fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        // Config always serializes; if it ever did not, say "everything" rather than
        // claim nothing changed.
        return vec!["(file)".into()];
    };
    changed_values(&a, &b)
}

fn changed_values(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("", a, b, &mut out);
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

/// The keys a part with `keys` takes now: the changed ones under its keys, then the file
/// it re-reads (`reread`) unless already among them; `None` when it need not reload.
pub fn due(changed: &[String], keys: &[&str], reread: Option<&str>) -> Option<Vec<String>> {
    let mut mine: Vec<String> = changed
        .iter()
        .filter(|k| keys.iter().any(|p| under(k, p)))
        .cloned()
        .collect();
    if let Some(file) = reread {
        if !mine.iter().any(|k| k == file) {
            mine.push(file.to_owned());
        }
    }
    (!mine.is_empty()).then_some(mine)
}

/// Compares the settings `in_effect` with `new`, hands `new` to each part that is
/// [`due`], and records in `in_effect` what each part took.
pub fn apply(in_effect: &mut InEffect, new: &Config, parts: &[&dyn ConfigReload]) -> Outcome {
    let Ok(new_value) = serde_json::to_value(new) else {
        return Outcome {
            restart: vec!["(file)".into()],
            ..Outcome::default()
        };
    };
    let changed = changed_values(&in_effect.0, &new_value);
    let taken: Vec<&str> = parts
        .iter()
        .flat_map(|p| p.keys().iter().copied())
        .collect();
    let mut outcome = Outcome {
        restart: classify(&changed, &taken).restart,
        ..Outcome::default()
    };
    for part in parts {
        let Some(keys) = due(&changed, part.keys(), part.rereads(new)) else {
            continue;
        };
        match part.reload(new) {
            Ok(()) => {
                for key in part.keys() {
                    in_effect.adopt(&new_value, key);
                }
                outcome.applied.extend(keys);
            }
            Err(e) => outcome.refused.push(e),
        }
    }
    outcome
}

/// Reads the config file at `path` again, lets `adjust` apply the command line's
/// overrides (as at start), and applies it against `in_effect`; logs what changed, what
/// needs a restart, what a part refused, or why the file was not taken.
pub fn reload_file(
    path: &std::path::Path,
    in_effect: &mut InEffect,
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
    let outcome = apply(in_effect, &new, parts);
    if outcome.applied.is_empty() && outcome.restart.is_empty() && outcome.refused.is_empty() {
        tracing::info!(file = %path.display(), "config reloaded: nothing changed");
    } else if !outcome.applied.is_empty() {
        tracing::info!(file = %path.display(), keys = %outcome.applied.join(", "), "config reloaded");
    }
    for e in &outcome.refused {
        tracing::error!(file = %path.display(), key = %e.key, error = %e, "config reload not applied to this part; its settings in effect stay");
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

    /// Takes `api.token`, counts its reloads, keeps the first token's name it was given,
    /// and refuses a token named "refuse".
    #[derive(Default)]
    struct Recorder {
        reloads: Mutex<usize>,
        name: Mutex<String>,
    }

    impl ConfigReload for Recorder {
        fn keys(&self) -> &'static [&'static str] {
            &["api.token"]
        }
        fn reload(&self, new: &Config) -> Result<(), ReloadError> {
            *self.reloads.lock().unwrap() += 1;
            let name = new.api.tokens[0].name.clone();
            if name == "refuse" {
                return Err(ReloadError {
                    key: "api.token[0].name".into(),
                    reason: "refused".into(),
                });
            }
            *self.name.lock().unwrap() = name;
            Ok(())
        }
    }

    impl Recorder {
        fn reloads(&self) -> usize {
            *self.reloads.lock().unwrap()
        }
        fn name(&self) -> String {
            self.name.lock().unwrap().clone()
        }
    }

    #[test]
    fn a_part_is_reloaded_only_when_its_keys_changed() {
        let old = config("");
        let mut in_effect = InEffect::new(&old);
        let part = Recorder::default();
        let mut new = old.clone();
        new.queue.resend_unconfirmed = true;
        let out = apply(&mut in_effect, &new, &[&part]);
        assert_eq!(part.reloads(), 0);
        assert_eq!(out.restart, ["queue.resend_unconfirmed"]);
        new.api.tokens[0].name = "erp2".into();
        let out = apply(&mut in_effect, &new, &[&part]);
        assert_eq!(part.reloads(), 1);
        assert_eq!(out.applied, ["api.token[0].name"]);
        // Still needing a restart: named again.
        assert_eq!(out.restart, ["queue.resend_unconfirmed"]);
    }

    #[test]
    fn a_key_changed_and_changed_back_is_applied_back() {
        let old = config("");
        let mut in_effect = InEffect::new(&old);
        let part = Recorder::default();
        let mut new = old.clone();
        new.api.tokens[0].name = "erp2".into();
        apply(&mut in_effect, &new, &[&part]);
        assert_eq!(part.name(), "erp2");
        // The file as it was at start: the part must go back to it, and a second
        // reload of the same file changes nothing.
        let out = apply(&mut in_effect, &old, &[&part]);
        assert_eq!(out.applied, ["api.token[0].name"]);
        assert_eq!(part.name(), "erp");
        assert_eq!(apply(&mut in_effect, &old, &[&part]), Outcome::default());
        assert_eq!(part.reloads(), 2);
    }

    #[test]
    fn a_refused_reload_keeps_the_settings_in_effect_and_is_tried_again() {
        let old = config("");
        let mut in_effect = InEffect::new(&old);
        let part = Recorder::default();
        let mut new = old.clone();
        new.api.tokens[0].name = "refuse".into();
        let out = apply(&mut in_effect, &new, &[&part]);
        assert!(out.applied.is_empty() && out.restart.is_empty(), "{out:?}");
        assert_eq!(out.refused[0].key, "api.token[0].name");
        // Not taken, so the same file is due again (the operator may fix what the part
        // reads, e.g. a portability file, and send SIGHUP again).
        let out = apply(&mut in_effect, &new, &[&part]);
        assert_eq!(out.refused.len(), 1);
        assert_eq!(part.reloads(), 2);
    }

    struct Rereader(Mutex<usize>);
    impl ConfigReload for Rereader {
        fn keys(&self) -> &'static [&'static str] {
            &["routing"]
        }
        fn rereads(&self, new: &Config) -> Option<&'static str> {
            new.routing
                .portability_file
                .as_ref()
                .map(|_| "routing.portability_file")
        }
        fn reload(&self, _: &Config) -> Result<(), ReloadError> {
            *self.0.lock().unwrap() += 1;
            Ok(())
        }
    }

    #[test]
    fn a_part_that_reads_a_file_is_reloaded_on_every_reload() {
        let old = config("[routing]\nportability_file = \"ported.csv\"\n");
        let mut in_effect = InEffect::new(&old);
        let part = Rereader(Mutex::new(0));
        let out = apply(&mut in_effect, &old, &[&part]);
        assert_eq!(out.applied, ["routing.portability_file"]);
        assert_eq!(*part.0.lock().unwrap(), 1);
        let without = config("");
        let out = apply(&mut in_effect, &without, &[&part]);
        assert_eq!(
            out.applied,
            ["routing.portability_file"],
            "dropped: reloaded"
        );
        assert_eq!(
            apply(&mut in_effect, &without, &[&part]),
            Outcome::default()
        );
        assert_eq!(*part.0.lock().unwrap(), 2);
    }

    #[test]
    fn due_names_the_changed_keys_and_the_file_once() {
        let changed: Vec<String> = ["routing.prefixes.1700", "routing.portability_file", "x"]
            .map(String::from)
            .into();
        assert_eq!(
            due(&changed, &["routing"], Some("routing.portability_file")).unwrap(),
            ["routing.prefixes.1700", "routing.portability_file"]
        );
        assert_eq!(
            due(&[], &["routing"], Some("routing.portability_file")).unwrap(),
            ["routing.portability_file"]
        );
        assert_eq!(due(&changed, &["alerts"], None), None);
    }
}
