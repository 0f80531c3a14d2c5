//! `[policy]`: the messaging rules carriers enforce on an SP's account — opt-out
//! keywords and suffix, quiet hours, signature bounds, sensitive words, daily caps. The
//! table holds them as written; [`crate::policy::Policy::from_config`] makes them usable
//! and [`PolicyConfig::validate`] refuses at load whatever could not work, naming the key.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::load::ConfigError;
use crate::policy::opt_out::{DEFAULT_OPT_OUT, DEFAULT_RESUBSCRIBE, KeywordError, Keywords};
use crate::policy::{QuietHours, SensitiveMode};

/// Longest signature the bounds may allow: carriers register signatures of a few
/// characters, and every one of them costs room in each segment.
pub const SIGNATURE_MAX_CHARS: usize = 20;

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// When marketing is not sent, China time, `"HH:MM-HH:MM"` (default `21:00-08:00`;
    /// `""`: never quiet). Notices go any time.
    pub quiet_hours: String,
    /// Replies that put the sender on the opt-out list when they are the whole reply (any
    /// case, width, spacing). Default `T`, `TD`, `退订`, `R`, `拒收`.
    pub opt_out_keywords: Vec<String>,
    /// Replies that take the sender off the list again. Default `订阅`, `恢复订阅`.
    pub resubscribe_keywords: Vec<String>,
    /// Added once to the end of every marketing text (default `回T退订`).
    pub opt_out_suffix: String,
    /// The SMS answering an opt-out reply, sent once with the workflow signature;
    /// `""` (default): none.
    pub opt_out_confirmation: String,
    /// A file of banned words, one per line (optional category after a tab or comma),
    /// read at start and on every reload. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitive_words: Option<PathBuf>,
    /// A job whose text holds a banned word: `refuse` (default, 422 `sensitive_word`) or
    /// `review` (held until an admin releases or rejects it).
    pub sensitive: SensitiveMode,
    /// Marketing messages per number per China day (default 3; 0: no limit).
    pub marketing_per_day: u32,
    /// Messages with the same text per number per China day, for marketing (default 1;
    /// 0: no limit).
    pub identical_per_day: u32,
    /// Fewest characters inside a signature's 【】 (default 2).
    pub signature_min: usize,
    /// Most characters inside a signature's 【】 (default 12).
    pub signature_max: usize,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let list = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        PolicyConfig {
            quiet_hours: "21:00-08:00".to_owned(),
            opt_out_keywords: list(DEFAULT_OPT_OUT),
            resubscribe_keywords: list(DEFAULT_RESUBSCRIBE),
            opt_out_suffix: "回T退订".to_owned(),
            opt_out_confirmation: String::new(),
            sensitive_words: None,
            sensitive: SensitiveMode::Refuse,
            marketing_per_day: 3,
            identical_per_day: 1,
            signature_min: 2,
            signature_max: 12,
        }
    }
}

impl PolicyConfig {
    /// Checks every key; the first bad one is named.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: String| ConfigError::invalid(format!("policy.{key}"), reason);
        if let Err(e) = self.quiet_hours.parse::<QuietHours>() {
            return Err(bad("quiet_hours", e.to_string()));
        }
        if let Err(e) = Keywords::new(&self.opt_out_keywords, &self.resubscribe_keywords) {
            let key = match &e {
                KeywordError::Empty(w) if self.resubscribe_keywords.contains(w) => {
                    "resubscribe_keywords"
                }
                KeywordError::Both(_) => "resubscribe_keywords",
                _ => "opt_out_keywords",
            };
            return Err(bad(key, e.to_string()));
        }
        if crate::policy::normalise::normalise(&self.opt_out_suffix).is_empty() {
            return Err(bad(
                "opt_out_suffix",
                "is empty: every marketing message must say how to refuse, e.g. \"回T退订\"".into(),
            ));
        }
        if self.opt_out_suffix.contains(['【', '】']) {
            return Err(bad(
                "opt_out_suffix",
                "holds 【 or 】: at the end of a text it would read as a second signature".into(),
            ));
        }
        if self.opt_out_confirmation.contains(['【', '】']) {
            return Err(bad(
                "opt_out_confirmation",
                "holds 【 or 】: hongyan adds the one signature itself".into(),
            ));
        }
        if self
            .sensitive_words
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(bad(
                "sensitive_words",
                "is empty; leave the key out for no word list".into(),
            ));
        }
        if self.signature_min < 1 || self.signature_min > SIGNATURE_MAX_CHARS {
            return Err(bad(
                "signature_min",
                format!(
                    "{} is outside 1 to {SIGNATURE_MAX_CHARS}",
                    self.signature_min
                ),
            ));
        }
        if self.signature_max < self.signature_min || self.signature_max > SIGNATURE_MAX_CHARS {
            return Err(bad(
                "signature_max",
                format!(
                    "{} is outside signature_min ({}) to {SIGNATURE_MAX_CHARS}",
                    self.signature_max, self.signature_min
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<PolicyConfig, String> {
        let c: PolicyConfig = toml::from_str(body).map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = parse("").unwrap();
        assert_eq!(c, PolicyConfig::default());
        assert_eq!(c.quiet_hours, "21:00-08:00");
        assert_eq!(c.opt_out_keywords, ["T", "TD", "退订", "R", "拒收"]);
        assert_eq!(c.opt_out_suffix, "回T退订");
        assert_eq!((c.marketing_per_day, c.identical_per_day), (3, 1));
        assert_eq!((c.signature_min, c.signature_max), (2, 12));
        assert_eq!(c.sensitive, SensitiveMode::Refuse);
    }

    #[test]
    fn values_are_read() {
        let c = parse(
            "quiet_hours = \"\"\nopt_out_keywords = [\"STOP\"]\nresubscribe_keywords = []\n\
             sensitive = \"review\"\nsensitive_words = \"words.txt\"\nmarketing_per_day = 0\n\
             opt_out_confirmation = \"您已退订\"\n",
        )
        .unwrap();
        assert_eq!(c.quiet_hours, "");
        assert_eq!(c.sensitive, SensitiveMode::Review);
        assert_eq!(c.sensitive_words, Some(PathBuf::from("words.txt")));
        assert_eq!(c.marketing_per_day, 0);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (body, key) in [
            ("quiet_hours = \"21-08\"", "policy.quiet_hours"),
            ("quiet_hours = \"08:00-08:00\"", "policy.quiet_hours"),
            ("opt_out_keywords = []", "policy.opt_out_keywords"),
            (
                "opt_out_keywords = [\"T\", \" \"]",
                "policy.opt_out_keywords",
            ),
            (
                "resubscribe_keywords = [\"。\"]",
                "policy.resubscribe_keywords",
            ),
            (
                "resubscribe_keywords = [\"td\"]",
                "policy.resubscribe_keywords",
            ),
            ("opt_out_suffix = \"\"", "policy.opt_out_suffix"),
            ("opt_out_suffix = \"【退订】\"", "policy.opt_out_suffix"),
            (
                "opt_out_confirmation = \"【鸿雁】已退订\"",
                "policy.opt_out_confirmation",
            ),
            ("sensitive_words = \"\"", "policy.sensitive_words"),
            ("signature_min = 0", "policy.signature_min"),
            ("signature_max = 1", "policy.signature_max"),
            ("signature_max = 21", "policy.signature_max"),
        ] {
            let e = parse(body).unwrap_err();
            assert!(e.starts_with(key), "{body}: {e}");
        }
        let e = parse("sensitive = \"ban\"").unwrap_err();
        assert!(e.contains("refuse") && e.contains("review"), "{e}");
        let e = parse("quiet = \"21:00-08:00\"").unwrap_err();
        assert!(e.contains("quiet"), "an unknown key is named: {e}");
    }
}
