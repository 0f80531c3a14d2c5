//! The messaging policy as the intake applies it: pure decisions over one request, the
//! links it would use and what the store says about its numbers. [`Submitter::send`]
//! (super::Submitter::send) calls them in this order:
//!
//! 1. [`check_signature`]: a job's own signature passes the signature rules, and the
//!    text carries no second 【…】 at its start or end (refused, naming the rule);
//! 2. [`text_as_sent`]: a marketing text gets the opt-out suffix once — before the
//!    segments are counted, so its cost shows it;
//! 3. routing picks, per recipient, a link of its carrier that takes the category (none:
//!    skipped, `no_link_for_category`);
//! 4. [`judge_words`]: a sensitive word refuses the job (`refuse`) or holds it for review
//!    (`review`), the stricter of the policy and the links it would use;
//! 5. [`skip_reason`] per recipient: opted out, then the daily caps (marketing only);
//! 6. [`quiet_wait`]: a marketing job due inside quiet hours waits for their end.

use crate::config;
use crate::policy::{
    Category, Hit, Policy, SensitiveMode, SentToday, SignatureError, SkipReason, WordList,
};
use crate::store::Millis;

/// Checks a job's own signature (when it has one) and its text against the signature
/// rules; the error names the rule and whether the signature or the text broke it.
pub fn check_signature(
    policy: &Policy,
    signature: Option<&str>,
    text: &str,
) -> Result<(), (&'static str, SignatureError)> {
    if let Some(sig) = signature {
        policy
            .signature
            .check_signature(sig)
            .map_err(|e| ("signature", e))?;
    }
    policy.signature.check_text(text).map_err(|e| ("text", e))
}

/// The text the job stores and sends (without signature): a marketing text with the
/// opt-out suffix once; a notice as given.
pub fn text_as_sent(policy: &Policy, category: Category, text: &str) -> String {
    match category {
        Category::Marketing => {
            crate::policy::suffix::with_suffix(text, &policy.opt_out_suffix).into_owned()
        }
        Category::Notice => text.to_owned(),
    }
}

/// What the recipient reads: the signature (the job's, else the link's) where the link
/// puts it, and the text.
pub fn composed(link: &config::Link, signature: Option<&str>, text: &str) -> String {
    let sig = signature
        .filter(|s| !s.is_empty())
        .or(link.signature.as_deref())
        .unwrap_or("");
    match link.signature_position {
        config::SignaturePlace::Prefix => format!("{sig}{text}"),
        config::SignaturePlace::Suffix => format!("{text}{sig}"),
    }
}

/// A link's own sensitive-word rules (`[[link]] sensitive`, `sensitive_words`).
#[derive(Debug, Clone, Copy)]
pub struct LinkWords<'a> {
    /// The link's name.
    pub link: &'a str,
    /// Its mode, overriding the policy's.
    pub mode: Option<SensitiveMode>,
    /// Its own extra list.
    pub words: Option<&'a WordList>,
}

/// What the sensitive words do to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordVerdict {
    /// No banned word.
    Clear,
    /// Held for review because of this word.
    Hold(Hit),
    /// Refused because of this word (and the link whose rules refused it, if one did).
    Refuse(Hit, Option<String>),
}

/// Judges `text` against the policy's list and the lists of the links it would go
/// through: any link (or, with none, the policy) whose mode is `refuse` and that finds a
/// word refuses the job; otherwise a word found holds it.
pub fn judge_words(policy: &Policy, text: &str, links: &[LinkWords<'_>]) -> WordVerdict {
    let common = policy.words.find(text);
    if links.is_empty() {
        return match (common, policy.sensitive) {
            (None, _) => WordVerdict::Clear,
            (Some(hit), SensitiveMode::Refuse) => WordVerdict::Refuse(hit, None),
            (Some(hit), SensitiveMode::Review) => WordVerdict::Hold(hit),
        };
    }
    let mut hold = None;
    for l in links {
        let hit = common
            .clone()
            .or_else(|| l.words.and_then(|w| w.find(text)));
        let Some(hit) = hit else { continue };
        match l.mode.unwrap_or(policy.sensitive) {
            SensitiveMode::Refuse => return WordVerdict::Refuse(hit, Some(l.link.to_owned())),
            SensitiveMode::Review => hold = hold.or(Some(hit)),
        }
    }
    hold.map_or(WordVerdict::Clear, WordVerdict::Hold)
}

/// Why one recipient of a job must be skipped, if it must: an opted-out number first
/// (marketing only), then the daily caps.
pub fn skip_reason(
    policy: &Policy,
    category: Category,
    opted_out: bool,
    today: SentToday,
) -> Option<SkipReason> {
    if category != Category::Marketing {
        return None;
    }
    if opted_out {
        return Some(SkipReason::OptedOut);
    }
    match policy.caps.decide(category, today) {
        crate::policy::CapVerdict::Allow => None,
        crate::policy::CapVerdict::Skip(reason) => Some(reason),
    }
}

/// When a job of `category` due at `start` may go: `Some(end of quiet hours)` for
/// marketing due inside them, `None` when nothing holds it back.
pub fn quiet_wait(policy: &Policy, category: Category, start: Millis) -> Option<Millis> {
    (category == Category::Marketing && policy.quiet_hours.contains(start))
        .then(|| policy.quiet_hours.next_end(start))
}

/// Whether a link may claim marketing at `now`, given that what it claims now goes out
/// within `ahead_ms` (its claimed-ahead messages at its rate): not inside quiet hours,
/// nor so close to their start that a claimed message would go after it.
pub fn marketing_claimable(policy: &Policy, now: Millis, ahead_ms: i64) -> bool {
    let quiet = &policy.quiet_hours;
    if quiet.contains(now) {
        return false;
    }
    quiet
        .next_start(now)
        .is_none_or(|start| now.saturating_add(ahead_ms) < start)
}

/// A stable 64-bit hash of a text (FNV-1a), for the identical-text cap: the same on
/// every run and version, unlike the standard library's hasher.
pub fn text_hash(text: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::policy::Caps;

    /// 2026-12-07 00:00 China time, unix ms.
    const MIDNIGHT: Millis = 1_796_572_800_000;
    const HOUR: Millis = 3_600_000;

    fn policy(words: &str, mode: SensitiveMode) -> Policy {
        Policy {
            words: std::sync::Arc::new(WordList::parse(words).unwrap()),
            sensitive: mode,
            ..Policy::default()
        }
    }

    #[test]
    fn the_signature_and_the_text_each_name_the_rule_they_break() {
        let p = Policy::default();
        assert!(check_signature(&p, Some("【鸿雁物流】"), "您的快递已到").is_ok());
        assert!(check_signature(&p, None, "您的快递已到").is_ok());
        let (field, e) = check_signature(&p, Some("鸿雁物流"), "hi").unwrap_err();
        assert_eq!((field, e.code()), ("signature", "signature_not_bracketed"));
        let (field, e) = check_signature(&p, Some("【鸿雁物流】"), "【别家】五折").unwrap_err();
        assert_eq!((field, e.code()), ("text", "second_signature"));
        let (_, e) = check_signature(&p, None, "五折【别家】").unwrap_err();
        assert_eq!(e.code(), "second_signature");
    }

    #[test]
    fn marketing_gets_the_suffix_once_and_notices_none() {
        let p = Policy::default();
        assert_eq!(
            text_as_sent(&p, Category::Marketing, "全场五折"),
            "全场五折回T退订"
        );
        assert_eq!(
            text_as_sent(&p, Category::Marketing, "全场五折回T退订"),
            "全场五折回T退订"
        );
        assert_eq!(text_as_sent(&p, Category::Notice, "快递已到"), "快递已到");
    }

    #[test]
    fn words_refuse_or_hold_by_the_strictest_rule_of_the_links_used() {
        let refuse = policy("赌博\n", SensitiveMode::Refuse);
        let review = policy("赌博\n", SensitiveMode::Review);
        assert_eq!(judge_words(&refuse, "周末愉快", &[]), WordVerdict::Clear);
        let WordVerdict::Refuse(hit, None) = judge_words(&refuse, "来赌 博吧", &[]) else {
            panic!()
        };
        assert_eq!((hit.word.as_str(), hit.start, hit.end), ("赌博", 1, 4));
        assert!(matches!(
            judge_words(&review, "来赌博吧", &[]),
            WordVerdict::Hold(_)
        ));
        // A stricter link refuses what the policy would only hold…
        let strict = LinkWords {
            link: "mobile",
            mode: Some(SensitiveMode::Refuse),
            words: None,
        };
        let lax = LinkWords {
            link: "telecom",
            mode: None,
            words: None,
        };
        assert_eq!(
            judge_words(&review, "来赌博吧", &[lax, strict]),
            WordVerdict::Refuse(
                review.words.find("来赌博吧").unwrap(),
                Some("mobile".into())
            )
        );
        assert!(matches!(
            judge_words(&review, "来赌博吧", &[lax]),
            WordVerdict::Hold(_)
        ));
        // …and its own list finds words the common one does not.
        let own = WordList::parse("彩票\n").unwrap();
        let with_list = LinkWords {
            link: "mobile",
            mode: None,
            words: Some(&own),
        };
        assert!(matches!(
            judge_words(&refuse, "买彩票", &[with_list]),
            WordVerdict::Refuse(_, Some(_))
        ));
        assert_eq!(judge_words(&refuse, "买彩票", &[lax]), WordVerdict::Clear);
    }

    #[test]
    fn opted_out_comes_first_then_the_caps_and_notices_are_never_skipped() {
        let p = Policy {
            caps: Caps {
                marketing_per_day: 3,
                identical_per_day: 1,
            },
            ..Policy::default()
        };
        let none = SentToday::default();
        let over = SentToday {
            marketing: 3,
            identical: 1,
        };
        assert_eq!(skip_reason(&p, Category::Marketing, false, none), None);
        assert_eq!(
            skip_reason(&p, Category::Marketing, true, over),
            Some(SkipReason::OptedOut)
        );
        assert_eq!(
            skip_reason(&p, Category::Marketing, false, over),
            Some(SkipReason::FrequencyCap)
        );
        let same_text = SentToday {
            marketing: 1,
            identical: 1,
        };
        assert_eq!(
            skip_reason(&p, Category::Marketing, false, same_text),
            Some(SkipReason::IdenticalCap)
        );
        assert_eq!(skip_reason(&p, Category::Notice, true, over), None);
    }

    #[test]
    fn marketing_waits_out_quiet_hours_and_stops_claiming_before_they_start() {
        let p = Policy::default(); // 21:00-08:00
        let at = |h: Millis, ms: Millis| MIDNIGHT + h * HOUR + ms;
        assert_eq!(quiet_wait(&p, Category::Marketing, at(12, 0)), None);
        assert_eq!(
            quiet_wait(&p, Category::Marketing, at(21, 0)),
            Some(at(32, 0)),
            "21:00 is inside; it waits until 08:00 the next day"
        );
        assert_eq!(
            quiet_wait(&p, Category::Marketing, at(7, HOUR - 1)),
            Some(at(8, 0))
        );
        assert_eq!(quiet_wait(&p, Category::Notice, at(23, 0)), None);
        // Claimed-ahead messages must go before 21:00.
        assert!(marketing_claimable(&p, at(20, 0), 2_000));
        assert!(marketing_claimable(&p, at(21, -2_001), 2_000));
        assert!(!marketing_claimable(&p, at(21, -2_000), 2_000));
        assert!(!marketing_claimable(&p, at(23, 0), 0));
        assert!(marketing_claimable(&p, at(32, 0), 2_000));
        let off = Policy {
            quiet_hours: crate::policy::QuietHours::OFF,
            ..Policy::default()
        };
        assert!(marketing_claimable(&off, at(23, 0), 2_000));
        assert_eq!(quiet_wait(&off, Category::Marketing, at(23, 0)), None);
    }

    #[test]
    fn the_text_hash_is_stable_and_tells_texts_apart() {
        // FNV-1a of "a": the published test vector, so it never changes between builds.
        assert_eq!(
            text_hash("a"),
            i64::from_ne_bytes(0xaf63_dc4c_8601_ec8c_u64.to_ne_bytes())
        );
        assert_ne!(text_hash("全场五折"), text_hash("全场六折"));
    }

    #[test]
    fn the_signature_goes_where_the_link_puts_it() {
        let mut link: config::Link = crate::config::parse(
            "[[link]]\nname = \"m\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\n\
             secret = \"s\"\nservice_code = \"10690123\"\nsignature = \"【鸿雁】\"\n",
        )
        .unwrap()
        .links
        .remove(0);
        assert_eq!(composed(&link, None, "hi"), "【鸿雁】hi");
        assert_eq!(composed(&link, Some("【别家】"), "hi"), "【别家】hi");
        link.signature_position = config::SignaturePlace::Suffix;
        assert_eq!(composed(&link, None, "hi"), "hi【鸿雁】");
    }
}
