//! Messaging policy: what may be sent, to whom and when — categories, opt-outs (退订),
//! quiet hours, signatures, sensitive words and frequency caps. Pure decisions: no
//! tokio, no SQL, no logging. The intake applies them to a send (dispatch), the reply
//! side to an inbound keyword (workflow), the API and console show their reasons.
//!
//! * [`normalise`] — width, case and inserted punctuation, shared by the matchers;
//! * [`opt_out`] — opt-out and re-subscribe keywords, and where that test stands among
//!   a reply's other uses ([`opt_out::reply_owner`]);
//! * [`quiet_hours`], [`day`] — China time (fixed UTC+8) and the nightly pause;
//! * [`signature`] — 【】 signatures and the one-signature rule;
//! * [`sensitive`] — the banned-word list (Aho–Corasick over normalised text);
//! * [`caps`] — daily caps per number;
//! * [`suffix`] — the opt-out suffix of marketing texts;
//! * [`Policy`] bundles them as configured, [`PolicyHandle`] is the daemon's current
//!   one, replaced on reload.

pub mod caps;
pub mod day;
pub mod normalise;
pub mod opt_out;
pub mod quiet_hours;
pub mod sensitive;
pub mod signature;
pub mod suffix;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

pub use caps::{CapVerdict, Caps, SentToday};
pub use opt_out::{Keywords, OptOutWord, ReplyOwner, ReplyReach};
pub use quiet_hours::QuietHours;
pub use sensitive::{Hit, WordList, WordListError};
pub use signature::{SignatureError, SignatureRules};

/// What kind of message a job is. Carriers treat them differently: marketing needs
/// consent, an opt-out, daytime hours and often its own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// 通知: shipping, payment reminders, approvals, internal notices. The default.
    #[default]
    Notice,
    /// 营销: offers and promotions.
    Marketing,
}

impl Category {
    /// Every category, in order.
    pub const ALL: [Category; 2] = [Category::Notice, Category::Marketing];

    /// `notice` or `marketing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Notice => "notice",
            Category::Marketing => "marketing",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A category name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category {0:?}: use \"notice\" or \"marketing\"")]
pub struct CategoryError(pub String);

impl FromStr for Category {
    type Err = CategoryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| CategoryError(s.to_owned()))
    }
}

/// Why a recipient of an accepted job is not sent to. Stable codes: they appear in the
/// job status, metrics labels and webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The number is on the opt-out list and the job is marketing.
    OptedOut,
    /// The number already had `marketing_per_day` marketing messages today.
    FrequencyCap,
    /// The number already had `identical_per_day` messages with this text today.
    IdenticalCap,
    /// No link of the number's carrier takes the job's category.
    NoLinkForCategory,
}

impl SkipReason {
    /// Every reason, in order (for metrics that list zeros too).
    pub const ALL: [SkipReason; 4] = [
        SkipReason::OptedOut,
        SkipReason::FrequencyCap,
        SkipReason::IdenticalCap,
        SkipReason::NoLinkForCategory,
    ];

    /// The stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            SkipReason::OptedOut => "opted_out",
            SkipReason::FrequencyCap => "frequency_cap",
            SkipReason::IdenticalCap => "identical_cap",
            SkipReason::NoLinkForCategory => "no_link_for_category",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SkipReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SkipReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown skip reason {s:?}"))
    }
}

/// What happens to a job whose text holds a sensitive word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SensitiveMode {
    /// Refused at once (422 `sensitive_word`). The default.
    #[default]
    Refuse,
    /// Accepted but held until an admin releases or rejects it.
    Review,
}

impl SensitiveMode {
    /// `refuse` or `review`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SensitiveMode::Refuse => "refuse",
            SensitiveMode::Review => "review",
        }
    }
}

/// The policy in force: the `[policy]` table made usable, with its word list.
#[derive(Debug, Clone)]
pub struct Policy {
    /// When marketing waits.
    pub quiet_hours: QuietHours,
    /// Opt-out and re-subscribe keywords.
    pub keywords: Keywords,
    /// Added once to marketing texts (never empty after validation).
    pub opt_out_suffix: String,
    /// The SMS answering an opt-out, without signature; `None`: no answer.
    pub opt_out_confirmation: Option<String>,
    /// Signature bounds.
    pub signature: SignatureRules,
    /// Banned words.
    pub words: Arc<WordList>,
    /// What a banned word does to a job.
    pub sensitive: SensitiveMode,
    /// Daily caps per number.
    pub caps: Caps,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::from_config(&crate::config::PolicyConfig::default(), WordList::empty())
    }
}

impl Policy {
    /// The policy of a `[policy]` table and its loaded word list. The table was validated
    /// when the file was loaded (`config::validate`), which refuses bad quiet hours or
    /// keywords naming the key; should an unvalidated table still hold them, the defaults
    /// stand in for that part, the stricter choice for marketing.
    pub fn from_config(c: &crate::config::PolicyConfig, words: WordList) -> Policy {
        Policy {
            quiet_hours: c
                .quiet_hours
                .parse()
                .unwrap_or_else(|_| QuietHours::from_minutes(21 * 60, 8 * 60).unwrap_or_default()),
            keywords: Keywords::new(&c.opt_out_keywords, &c.resubscribe_keywords)
                .unwrap_or_default(),
            opt_out_suffix: c.opt_out_suffix.clone(),
            opt_out_confirmation: Some(c.opt_out_confirmation.trim())
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            signature: SignatureRules {
                min: c.signature_min,
                max: c.signature_max,
            },
            words: Arc::new(words),
            sensitive: c.sensitive,
            caps: Caps {
                marketing_per_day: c.marketing_per_day,
                identical_per_day: c.identical_per_day,
            },
        }
    }
}

/// The daemon's current policy, shared by the intake, the reply side and the API, and
/// replaced whole on reload (SIGHUP): a reader keeps the `Arc<Policy>` it took for the
/// job at hand, so one job is judged by one policy.
#[derive(Debug, Clone)]
pub struct PolicyHandle(Arc<RwLock<Arc<Policy>>>);

impl PolicyHandle {
    /// A handle holding `policy`.
    pub fn new(policy: Policy) -> PolicyHandle {
        PolicyHandle(Arc::new(RwLock::new(Arc::new(policy))))
    }

    /// The policy in force now.
    pub fn current(&self) -> Arc<Policy> {
        // A writer that panicked mid-replace cannot leave a half-written Arc: the
        // value is swapped in one assignment, so a poisoned lock still holds a whole one.
        match self.0.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `policy` in force for everything that asks from now on.
    pub fn replace(&self, policy: Policy) {
        let new = Arc::new(policy);
        match self.0.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

impl Default for PolicyHandle {
    fn default() -> Self {
        PolicyHandle::new(Policy::default())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_reasons_have_stable_names() {
        assert_eq!(Category::default(), Category::Notice);
        assert_eq!("marketing".parse::<Category>(), Ok(Category::Marketing));
        let e = "promo".parse::<Category>().unwrap_err();
        assert!(e.to_string().contains("\"promo\""), "{e}");
        assert_eq!(
            serde_json::to_string(&Category::Marketing).unwrap(),
            "\"marketing\""
        );
        assert_eq!(
            serde_json::from_str::<Category>("\"notice\"").unwrap(),
            Category::Notice
        );
        for r in SkipReason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
            assert_eq!(r.as_str().parse::<SkipReason>(), Ok(r));
        }
        assert_eq!(
            SkipReason::ALL.map(SkipReason::as_str),
            [
                "opted_out",
                "frequency_cap",
                "identical_cap",
                "no_link_for_category"
            ]
        );
    }

    #[test]
    fn the_default_policy_is_the_documented_one() {
        let p = Policy::default();
        assert_eq!(p.quiet_hours.to_string(), "21:00-08:00");
        assert_eq!(p.keywords, Keywords::default());
        assert_eq!(p.opt_out_suffix, "回T退订");
        assert_eq!(p.opt_out_confirmation, None);
        assert_eq!(p.signature, SignatureRules { min: 2, max: 12 });
        assert_eq!(p.caps, Caps::default());
        assert_eq!(p.sensitive, SensitiveMode::Refuse);
        assert!(p.words.is_empty());
    }

    #[test]
    fn a_replaced_policy_is_seen_by_the_next_reader_only() {
        let h = PolicyHandle::default();
        let before = h.current();
        let mut next = Policy::default();
        next.caps.marketing_per_day = 9;
        h.clone().replace(next);
        assert_eq!(before.caps.marketing_per_day, 3);
        assert_eq!(h.current().caps.marketing_per_day, 9);
    }
}
