//! The messaging policy at start and on reload: `[policy]` with its sensitive-word file
//! made into a [`Policy`] and put in the daemon's [`PolicyHandle`]. The word file is read
//! again on every SIGHUP (it changes without the config changing); a file that cannot be
//! used keeps the policy in effect, and the refusal names the key and the line.

use crate::config::{Config, PolicyConfig};
use crate::policy::{Policy, PolicyHandle, WordList, WordListError};

use super::reload::{ConfigReload, ReloadError};

/// The key of the word file, as the config spells it.
const WORDS_KEY: &str = "policy.sensitive_words";

/// The policy `[policy]` describes, with its word list read from disk.
pub fn load(c: &PolicyConfig) -> Result<Policy, WordListError> {
    let words = match &c.sensitive_words {
        Some(path) => WordList::load(path)?,
        None => WordList::empty(),
    };
    Ok(Policy::from_config(c, words))
}

/// The start-up policy, or the key and reason that stop the daemon.
pub(super) fn at_start(config: &Config) -> Result<PolicyHandle, super::DaemonError> {
    let policy = load(&config.policy).map_err(|e| super::DaemonError::Config {
        key: WORDS_KEY.into(),
        reason: e.to_string(),
    })?;
    if let Some(path) = &config.policy.sensitive_words {
        tracing::info!(file = %path.display(), words = policy.words.len(), "sensitive-word list loaded");
    }
    Ok(PolicyHandle::new(policy))
}

/// The reload part: takes every `policy.*` key and re-reads the word file.
#[derive(Debug, Clone)]
pub struct PolicyReload(pub PolicyHandle);

impl ConfigReload for PolicyReload {
    fn keys(&self) -> &'static [&'static str] {
        &["policy"]
    }

    fn rereads(&self, new: &Config) -> Option<&'static str> {
        new.policy.sensitive_words.as_ref().map(|_| WORDS_KEY)
    }

    fn reload(&self, new: &Config) -> Result<(), ReloadError> {
        let policy = load(&new.policy).map_err(|e| ReloadError {
            key: WORDS_KEY.into(),
            reason: e.to_string(),
        })?;
        if let Some(path) = &new.policy.sensitive_words {
            tracing::info!(file = %path.display(), words = policy.words.len(), "sensitive-word list reloaded");
        }
        self.0.replace(policy);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::reload::{InEffect, apply};
    use super::*;

    fn config(extra: &str) -> Config {
        crate::config::parse(&format!(
            "[[link]]\nname = \"m\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\n\
             secret = \"s\"\nservice_code = \"10690123\"\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn a_changed_word_file_is_taken_and_a_bad_one_keeps_the_list_in_effect() {
        let dir = crate::testutil::TempDir::new("policy-reload");
        let words = dir.path().join("words.txt");
        std::fs::write(&words, "赌博\n").unwrap();
        let c = config(&format!(
            "[policy]\nsensitive_words = {:?}\n",
            words.display().to_string()
        ));
        let handle = at_start(&c).unwrap();
        assert!(handle.current().words.find("赌 博").is_some());
        let part = PolicyReload(handle.clone());
        let mut in_effect = InEffect::new(&c);

        // Same config, new file content: re-read.
        std::fs::write(&words, "赌博\n发票\n").unwrap();
        let out = apply(&mut in_effect, &c, &[&part]);
        assert_eq!(out.applied, [WORDS_KEY]);
        assert!(handle.current().words.find("开发票").is_some());

        // A bad line: refused, naming the key and the line; the old list stays.
        std::fs::write(&words, "赌博\n。\n").unwrap();
        let out = apply(&mut in_effect, &c, &[&part]);
        assert_eq!(out.refused.len(), 1, "{out:?}");
        assert_eq!(out.refused[0].key, WORDS_KEY);
        assert!(
            out.refused[0].reason.contains("line 2"),
            "{}",
            out.refused[0].reason
        );
        assert!(handle.current().words.find("开发票").is_some());
    }

    #[test]
    fn changed_policy_keys_are_applied_without_a_restart() {
        let c = config("");
        let handle = at_start(&c).unwrap();
        let part = PolicyReload(handle.clone());
        let mut in_effect = InEffect::new(&c);
        let new = config("[policy]\nmarketing_per_day = 5\nquiet_hours = \"\"\n");
        let out = apply(&mut in_effect, &new, &[&part]);
        assert!(out.restart.is_empty(), "{out:?}");
        assert_eq!(
            out.applied,
            ["policy.quiet_hours", "policy.marketing_per_day"]
        );
        assert_eq!(handle.current().caps.marketing_per_day, 5);
        assert!(!handle.current().quiet_hours.is_on());
    }

    #[test]
    fn a_missing_word_file_stops_the_start_naming_the_key() {
        let c = config("[policy]\nsensitive_words = \"/nonexistent/words.txt\"\n");
        match at_start(&c) {
            Err(super::super::DaemonError::Config { key, reason }) => {
                assert_eq!(key, WORDS_KEY);
                assert!(reason.contains("/nonexistent/words.txt"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
