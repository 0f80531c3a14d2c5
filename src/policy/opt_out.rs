//! Opt-out (退订) by reply: which replies mean "stop sending me marketing" or "start
//! again", and where that test stands among the other uses of a reply.
//!
//! A reply is a keyword only when the **whole** reply is one, after white space,
//! punctuation, width and case are normalised ([`normalise`]): `td`, `ＴＤ`, ` 退订 `
//! and `退订。` are; `T恤`, `TD123` and `取消` (which a customer writes to cancel an
//! order) are not. Defaults: opt-out `T`, `TD`, `退订`, `R`, `拒收`; re-subscribe `订阅`,
//! `恢复订阅`.

use super::normalise::normalise;

/// Default opt-out keywords.
pub const DEFAULT_OPT_OUT: &[&str] = &["T", "TD", "退订", "R", "拒收"];
/// Default re-subscribe keywords.
pub const DEFAULT_RESUBSCRIBE: &[&str] = &["订阅", "恢复订阅"];

/// What a keyword reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptOutWord {
    /// Put the sender on the opt-out list.
    OptOut,
    /// Take the sender off it.
    Resubscribe,
}

/// A keyword list that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    /// Nothing left after normalising: it would match an empty or punctuation-only reply.
    #[error("keyword {0:?} is empty once spaces and punctuation are removed")]
    Empty(String),
    /// The same word in both lists.
    #[error("keyword {0:?} is both an opt-out and a re-subscribe keyword")]
    Both(String),
    /// No opt-out keyword at all: nobody could refuse by reply.
    #[error("no opt-out keyword: a recipient must be able to refuse by reply")]
    NoOptOut,
}

/// The configured keywords, in normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    opt_out: Vec<String>,
    resubscribe: Vec<String>,
}

impl Default for Keywords {
    fn default() -> Self {
        let norm = |l: &[&str]| l.iter().map(|w| normalise(w)).collect();
        Keywords {
            opt_out: norm(DEFAULT_OPT_OUT),
            resubscribe: norm(DEFAULT_RESUBSCRIBE),
        }
    }
}

impl Keywords {
    /// Keywords from the configured lists; errors name the offending keyword.
    pub fn new<S: AsRef<str>>(opt_out: &[S], resubscribe: &[S]) -> Result<Keywords, KeywordError> {
        let norm = |list: &[S]| {
            list.iter()
                .map(|w| {
                    let n = normalise(w.as_ref());
                    if n.is_empty() {
                        Err(KeywordError::Empty(w.as_ref().to_owned()))
                    } else {
                        Ok(n)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let opt_out = norm(opt_out)?;
        let resubscribe = norm(resubscribe)?;
        if opt_out.is_empty() {
            return Err(KeywordError::NoOptOut);
        }
        if let Some(both) = resubscribe.iter().find(|w| opt_out.contains(w)) {
            return Err(KeywordError::Both(both.clone()));
        }
        Ok(Keywords {
            opt_out,
            resubscribe,
        })
    }

    /// What the whole reply `text` asks for, if it is a keyword.
    pub fn classify(&self, text: &str) -> Option<OptOutWord> {
        // Keywords are a few characters: skip normalising a long reply.
        if text.len() > 64 {
            return None;
        }
        let n = normalise(text);
        if n.is_empty() {
            None
        } else if self.opt_out.contains(&n) {
            Some(OptOutWord::OptOut)
        } else if self.resubscribe.contains(&n) {
            Some(OptOutWord::Resubscribe)
        } else {
            None
        }
    }

    /// True when `word` (e.g. a poll option) would be read as an opt-out or re-subscribe
    /// keyword: such an option could never be chosen by reply.
    pub fn is_keyword(&self, word: &str) -> bool {
        self.classify(word).is_some()
    }
}

/// What an inbound reply reached before the keyword test, found by the reply router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyReach {
    /// An open approval step or reminder (its extension, or its approver's number).
    ApprovalOrReminder,
    /// An open poll (its extension).
    Poll,
    /// Nothing open.
    Nothing,
}

/// Who gets a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOwner {
    /// The approval or reminder it reached: a person answering a question they were
    /// asked is never mistaken for refusing marketing.
    Item,
    /// The opt-out list.
    OptOut(OptOutWord),
    /// The poll it reached.
    Poll,
    /// Nobody: the inbox keeps it as unmatched.
    Unmatched,
}

/// The order the uses of a reply apply in: approvals and reminders first; then the
/// opt-out keywords — also for a reply to an open poll, where `TD` means "stop", not an
/// answer; then the poll.
pub fn reply_owner(reach: ReplyReach, word: Option<OptOutWord>) -> ReplyOwner {
    match (reach, word) {
        (ReplyReach::ApprovalOrReminder, _) => ReplyOwner::Item,
        (_, Some(w)) => ReplyOwner::OptOut(w),
        (ReplyReach::Poll, None) => ReplyOwner::Poll,
        (ReplyReach::Nothing, None) => ReplyOwner::Unmatched,
    }
}

/// True when a reply to an open poll is taken as an opt-out (or re-subscribe) instead of
/// an answer: exactly when it is a keyword. See [`reply_owner`].
pub fn wins_over_poll(word: Option<OptOutWord>) -> bool {
    reply_owner(ReplyReach::Poll, word) != ReplyOwner::Poll
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keyword_table() {
        let k = Keywords::default();
        for (text, want) in [
            ("T", Some(OptOutWord::OptOut)),
            ("t", Some(OptOutWord::OptOut)),
            ("TD", Some(OptOutWord::OptOut)),
            ("td", Some(OptOutWord::OptOut)),
            ("Td", Some(OptOutWord::OptOut)),
            ("ＴＤ", Some(OptOutWord::OptOut)),
            ("ｔｄ", Some(OptOutWord::OptOut)),
            (" 退订 ", Some(OptOutWord::OptOut)),
            ("\u{3000}退订\n", Some(OptOutWord::OptOut)),
            ("退订。", Some(OptOutWord::OptOut)),
            ("退 订", Some(OptOutWord::OptOut)),
            ("R", Some(OptOutWord::OptOut)),
            ("拒收", Some(OptOutWord::OptOut)),
            ("订阅", Some(OptOutWord::Resubscribe)),
            ("恢复订阅", Some(OptOutWord::Resubscribe)),
            ("取消", None),
            ("T恤", None),
            ("TD123", None),
            ("退订了吗", None),
            ("请退订", None),
            ("同意", None),
            ("", None),
            ("  ", None),
            ("。", None),
            ("TTD", None),
        ] {
            assert_eq!(k.classify(text), want, "{text:?}");
        }
    }

    #[test]
    fn configured_lists_are_checked() {
        let k = Keywords::new(&["STOP", "退订"], &["START"]).unwrap();
        assert_eq!(k.classify("stop"), Some(OptOutWord::OptOut));
        assert_eq!(k.classify("T"), None);
        assert_eq!(k.classify("Start"), Some(OptOutWord::Resubscribe));
        assert_eq!(
            Keywords::new(&["T", "。"], &[]),
            Err(KeywordError::Empty("。".into()))
        );
        assert_eq!(
            Keywords::new(&["T"], &["ｔ"]),
            Err(KeywordError::Both("t".into()))
        );
        assert_eq!(
            Keywords::new::<&str>(&[], &["订阅"]),
            Err(KeywordError::NoOptOut)
        );
        assert!(k.is_keyword("ＳＴＯＰ"));
        assert!(!k.is_keyword("1"));
    }

    #[test]
    fn approvals_first_then_keywords_then_polls() {
        use OptOutWord::*;
        use ReplyOwner as O;
        use ReplyReach as R;
        for (reach, word, want) in [
            (R::ApprovalOrReminder, Some(OptOut), O::Item),
            (R::ApprovalOrReminder, None, O::Item),
            (R::Poll, Some(OptOut), O::OptOut(OptOut)),
            (R::Poll, Some(Resubscribe), O::OptOut(Resubscribe)),
            (R::Poll, None, O::Poll),
            (R::Nothing, Some(OptOut), O::OptOut(OptOut)),
            (R::Nothing, None, O::Unmatched),
        ] {
            assert_eq!(reply_owner(reach, word), want, "{reach:?} {word:?}");
        }
        assert!(wins_over_poll(Some(OptOut)));
        assert!(!wins_over_poll(None));
    }

    proptest! {
        #[test]
        fn keywords_match_in_any_width_case_and_padding(
            kw in prop::sample::select(vec!["T", "TD", "R"]),
            upper in any::<bool>(), wide in any::<bool>(),
            pad in prop::sample::select(vec!["", " ", "\u{3000}", "\n", "  \t"]),
        ) {
            let mut s: String = if upper { kw.to_owned() } else { kw.to_lowercase() };
            if wide {
                s = s.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
            }
            let text = format!("{pad}{s}{pad}");
            prop_assert_eq!(Keywords::default().classify(&text), Some(OptOutWord::OptOut));
        }

        #[test]
        fn a_keyword_with_more_letters_or_digits_is_one_only_if_listed(
            kw in prop::sample::select(vec!["T", "TD", "退订", "R", "拒收"]),
            extra in "[a-z0-9恤单了]{1,5}", before in any::<bool>(),
        ) {
            let text = if before { format!("{extra}{kw}") } else { format!("{kw}{extra}") };
            let n = normalise(&text);
            prop_assert_eq!(
                Keywords::default().classify(&text).is_some(),
                ["t", "td", "退订", "r", "拒收"].contains(&n.as_str())
            );
        }
    }
}
