//! Poll answers: which option a reply names ([`recognise`]), what becomes of a reply to
//! a poll's extension ([`judge`]), and whether a reply spec a send asks for is sound
//! ([`validate_spec`]). Pure: the workflow asks the store the facts and applies the
//! verdict.
//!
//! A reply names an option by its key or its text, however the phone wrote it:
//!
//! * full-width forms (`１`, `Ａ`, `（１）`), circled digits (`①`), case (`a` for `A`);
//! * spaces anywhere (`1 `, ` 满 意`);
//! * a lead-in `选`, `选项`, `选择`, `答`, `回复` (`选1`, `选项 2`);
//! * brackets around the key (`(1)`, `（1）`, `[1]`, `【1】`);
//! * punctuation after it (`1.`, `1、`, `1。`, `1!`);
//! * the key and the text together (`1 满意`, `1.满意`, `1、满意`) when both name the
//!   same option.
//!
//! Anything else — a sentence, two options, an option text inside a longer text — is a
//! comment: kept with the recipient, counted as no option. Matching is exact after this
//! normalisation, so `不满意` is never read as `满意`.

use crate::store::{PollOption, PollUnmatched, ReplyMode, ReplySpec};

/// What becomes of a reply to a poll's extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Kept with the recipient: the option it names (`None` for a comment, or in a
    /// collection), and whether it is a poll reply that names no option.
    Attribute {
        /// The option's key.
        option: Option<String>,
        /// A poll reply naming no option.
        comment: bool,
    },
    /// Not attributed, with the reason.
    Unmatched(PollUnmatched),
}

/// The facts about a reply the store knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyFacts {
    /// The poll was open when the reply arrived.
    pub open: bool,
    /// The sender is one of the poll's recipients.
    pub is_recipient: bool,
}

/// The verdict on `text` sent to a poll asking `spec`. A closed poll takes no reply, from
/// anyone; an open one only its recipients'.
pub fn judge(spec: &ReplySpec, facts: ReplyFacts, text: &str) -> Verdict {
    if !facts.open {
        return Verdict::Unmatched(PollUnmatched::PollClosed);
    }
    if !facts.is_recipient {
        return Verdict::Unmatched(PollUnmatched::NotARecipient);
    }
    match spec.mode {
        ReplyMode::Collect => Verdict::Attribute {
            option: None,
            comment: false,
        },
        ReplyMode::Poll => match recognise(&spec.options, text) {
            Some(o) => Verdict::Attribute {
                option: Some(o.key.clone()),
                comment: false,
            },
            None => Verdict::Attribute {
                option: None,
                comment: true,
            },
        },
    }
}

/// The option `text` names, if exactly one (see the [module docs](self)).
pub fn recognise<'a>(options: &'a [PollOption], text: &str) -> Option<&'a PollOption> {
    let folded = fold(text);
    let core = strip_frame(&folded);
    if core.is_empty() {
        return None;
    }
    let by_key = options.iter().find(|o| fold(&o.key) == core);
    if by_key.is_some() {
        return by_key;
    }
    // A text is compared whole as well as unframed: an option's own text may begin
    // like a lead-in (`选择困难`).
    let whole = folded.trim_matches(is_separator);
    let by_text = options
        .iter()
        .find(|o| fold(&o.text) == whole)
        .or_else(|| options.iter().find(|o| fold(&o.text) == core));
    if by_text.is_some() {
        return by_text;
    }
    // Key and text together: `1满意`, `1.满意`, `(1)满意`.
    options.iter().find(|o| {
        let key = fold(&o.key);
        let text = fold(&o.text);
        let Some(rest) = strip_key(core, &key) else {
            return false;
        };
        rest.trim_start_matches(is_separator) == text
    })
}

/// `s` after the key `key`, allowing it bracketed; `None` if it does not start with it.
fn strip_key<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix(key) {
        return Some(rest);
    }
    let mut chars = s.chars();
    let open = chars.next()?;
    let close = closing_of(open)?;
    chars.as_str().strip_prefix(key)?.strip_prefix(close)
}

/// Lead-ins that only announce the choice.
const LEAD_INS: [&str; 5] = ["选项", "选择", "回复", "选", "答"];

/// The reply without its lead-in, brackets and trailing punctuation.
fn strip_frame(s: &str) -> &str {
    let mut s = s.trim_end_matches(is_separator);
    for lead in LEAD_INS {
        if let Some(rest) = s.strip_prefix(lead) {
            s = rest.trim_start_matches(is_separator);
            break;
        }
    }
    let mut chars = s.chars();
    if let (Some(open), Some(last)) = (chars.next(), chars.next_back()) {
        if closing_of(open) == Some(last) {
            s = chars.as_str().trim_matches(is_separator);
        }
    }
    s
}

/// Folded form: half-width, lower case, circled digits as digits, no white space.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{2460}'..='\u{2468}' => char::from_u32(u32::from(c) - 0x2460 + 0x31).unwrap_or(c),
            c => c,
        })
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn closing_of(open: char) -> Option<char> {
    Some(match open {
        '(' => ')',
        '[' => ']',
        '【' => '】',
        '「' => '」',
        '〔' => '〕',
        '<' => '>',
        _ => return None,
    })
}

/// Punctuation that separates or ends a key (folded, so full-width forms are covered).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '-'
            | '~'
            | '、'
            | '。'
            | '，'
            | '：'
            | '；'
            | '！'
            | '？'
            | '～'
            | '·'
            | '…'
    )
}

/// Why a reply spec cannot be used; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// A poll with no options.
    #[error("a poll needs at least one option")]
    NoOptions,
    /// Options given to a collection.
    #[error("only a poll has options (mode is collect)")]
    OptionsInCollect,
    /// An empty key or text.
    #[error("option {index} has an empty {what}")]
    EmptyOption {
        /// Position (1-based) in the options.
        index: usize,
        /// `key` or `text`.
        what: &'static str,
    },
    /// Two options a reply could not tell apart.
    #[error("{first:?} and {second:?} read the same in a reply")]
    Ambiguous {
        /// One option's key or text.
        first: String,
        /// The other's.
        second: String,
    },
    /// An option whose key or text is an opt-out or re-subscribe keyword of the policy
    /// in effect: such a reply is taken as the keyword, so the option could never be
    /// chosen.
    #[error(
        "option {option:?} is an opt-out (退订) or re-subscribe keyword: a reply of it changes \
         the sender's subscription instead of answering; use another key or text"
    )]
    OptOutKeyword {
        /// The option's key or text that is a keyword, as given.
        option: String,
    },
    /// A closing time not in the future.
    #[error("is not in the future")]
    ClosesInThePast {
        /// The time given (unix ms).
        closes_at: i64,
    },
}

impl SpecError {
    /// The request field at fault.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::ClosesInThePast { .. } => "replies.closes_at",
            _ => "replies.options",
        }
    }
}

/// Checks a spec before anything is sent: a poll has options, keys and texts are
/// non-empty and no two of them read the same after folding (`1` and `１`, `A` and `a`,
/// one option's text and another's key), and `closes_at` is after `now`.
pub fn validate_spec(spec: &ReplySpec, now: i64) -> Result<(), SpecError> {
    match spec.mode {
        ReplyMode::Poll if spec.options.is_empty() => return Err(SpecError::NoOptions),
        ReplyMode::Collect if !spec.options.is_empty() => {
            return Err(SpecError::OptionsInCollect);
        }
        _ => {}
    }
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (i, o) in spec.options.iter().enumerate() {
        for (what, value) in [("key", &o.key), ("text", &o.text)] {
            let folded = fold(value);
            let core = if what == "key" {
                strip_frame(&folded)
            } else {
                folded.trim_matches(is_separator)
            }
            .to_string();
            if core.is_empty() {
                return Err(SpecError::EmptyOption { index: i + 1, what });
            }
            if what == "text" && fold(&o.key) == core {
                // An option whose text is its key (`{"Y": "Y"}`) is one answer.
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(f, _)| *f == core) {
                return Err(SpecError::Ambiguous {
                    first: (*first).to_string(),
                    second: value.clone(),
                });
            }
            seen.push((core, value));
        }
    }
    if let Some(closes_at) = spec.closes_at {
        if closes_at <= now {
            return Err(SpecError::ClosesInThePast { closes_at });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Accept;
    use proptest::prelude::*;

    fn options(pairs: &[(&str, &str)]) -> Vec<PollOption> {
        pairs
            .iter()
            .map(|(k, t)| PollOption {
                key: (*k).into(),
                text: (*t).into(),
            })
            .collect()
    }

    fn survey() -> Vec<PollOption> {
        options(&[
            ("1", "高度满意"),
            ("2", "一般满意"),
            ("3", "无意见"),
            ("4", "有些不满意"),
            ("5", "极不满意"),
        ])
    }

    fn key_of(opts: &[PollOption], text: &str) -> Option<String> {
        recognise(opts, text).map(|o| o.key.clone())
    }

    #[test]
    fn every_spelling_of_a_key_or_text_names_its_option() {
        let opts = survey();
        let table: &[(&str, &str)] = &[
            ("1", "1"),
            ("１", "1"),
            (" 1 ", "1"),
            ("1.", "1"),
            ("1。", "1"),
            ("1、", "1"),
            ("1!", "1"),
            ("选1", "1"),
            ("选 1", "1"),
            ("选项2", "2"),
            ("选择3", "3"),
            ("回复4", "4"),
            ("(1)", "1"),
            ("（1）", "1"),
            ("（１）", "1"),
            ("[5]", "5"),
            ("【5】", "5"),
            ("①", "1"),
            ("③", "3"),
            ("高度满意", "1"),
            ("高 度 满 意", "1"),
            ("极不满意。", "5"),
            ("1 高度满意", "1"),
            ("1.高度满意", "1"),
            ("1、高度满意", "1"),
            ("(2)一般满意", "2"),
            ("选4", "4"),
        ];
        for (reply, want) in table {
            assert_eq!(key_of(&opts, reply).as_deref(), Some(*want), "{reply:?}");
        }
    }

    #[test]
    fn latin_keys_and_texts_ignore_case_and_width() {
        let opts = options(&[("Y", "Yes"), ("N", "No")]);
        for (reply, want) in [
            ("y", "Y"),
            ("Ｙ", "Y"),
            ("ｙ", "Y"),
            ("yes", "Y"),
            ("YES", "Y"),
            ("Ｎｏ", "N"),
            ("n.", "N"),
        ] {
            assert_eq!(key_of(&opts, reply).as_deref(), Some(want), "{reply:?}");
        }
    }

    #[test]
    fn anything_else_is_a_comment() {
        let opts = survey();
        for reply in [
            "",
            "   ",
            "12",
            "1 2",
            "1和2",
            "满意",
            "不满意",
            "我选1吧",
            "1 一般满意",
            "高度满意，谢谢",
            "谢谢",
            "0",
            "6",
            "(1",
            "选",
        ] {
            assert_eq!(key_of(&opts, reply), None, "{reply:?}");
        }
    }

    #[test]
    fn a_closed_poll_or_a_stranger_is_unmatched_and_a_collection_keeps_any_text() {
        let poll = ReplySpec {
            mode: ReplyMode::Poll,
            options: survey(),
            accept: Accept::First,
            closes_at: None,
        };
        let open = ReplyFacts {
            open: true,
            is_recipient: true,
        };
        assert_eq!(
            judge(&poll, open, "选2"),
            Verdict::Attribute {
                option: Some("2".into()),
                comment: false
            }
        );
        assert_eq!(
            judge(&poll, open, "下次吧"),
            Verdict::Attribute {
                option: None,
                comment: true
            }
        );
        let stranger = ReplyFacts {
            open: true,
            is_recipient: false,
        };
        assert_eq!(
            judge(&poll, stranger, "1"),
            Verdict::Unmatched(PollUnmatched::NotARecipient)
        );
        for is_recipient in [true, false] {
            let closed = ReplyFacts {
                open: false,
                is_recipient,
            };
            assert_eq!(
                judge(&poll, closed, "1"),
                Verdict::Unmatched(PollUnmatched::PollClosed)
            );
        }
        let collect = ReplySpec {
            mode: ReplyMode::Collect,
            options: Vec::new(),
            ..poll
        };
        assert_eq!(
            judge(&collect, open, "能来"),
            Verdict::Attribute {
                option: None,
                comment: false
            }
        );
    }

    #[test]
    fn a_spec_is_checked_field_by_field() {
        let mut spec = ReplySpec {
            mode: ReplyMode::Poll,
            options: survey(),
            accept: Accept::Last,
            closes_at: Some(2_000),
        };
        assert_eq!(validate_spec(&spec, 1_000), Ok(()));
        let late = validate_spec(&spec, 2_000).unwrap_err();
        assert_eq!(late, SpecError::ClosesInThePast { closes_at: 2_000 });
        assert_eq!(late.field(), "replies.closes_at");
        spec.options.push(PollOption {
            key: "１".into(),
            text: "again".into(),
        });
        let err = validate_spec(&spec, 0).unwrap_err();
        assert!(matches!(err, SpecError::Ambiguous { .. }), "{err:?}");
        assert_eq!(err.field(), "replies.options");
        spec.options = options(&[("1", "A"), ("A", "B")]);
        assert!(matches!(
            validate_spec(&spec, 0),
            Err(SpecError::Ambiguous { .. })
        ));
        spec.options = options(&[("Y", "Y"), ("N", "n")]);
        assert_eq!(validate_spec(&spec, 0), Ok(()));
        spec.options = options(&[("1", " ")]);
        assert_eq!(
            validate_spec(&spec, 0),
            Err(SpecError::EmptyOption {
                index: 1,
                what: "text"
            })
        );
        spec.options.clear();
        assert_eq!(validate_spec(&spec, 0), Err(SpecError::NoOptions));
        spec.mode = ReplyMode::Collect;
        assert_eq!(validate_spec(&spec, 0), Ok(()));
        spec.options = survey();
        assert_eq!(validate_spec(&spec, 0), Err(SpecError::OptionsInCollect));
    }

    /// Full-width form of an ASCII string (what a Chinese IME types).
    fn wide(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
                ' ' => '\u{3000}',
                c => c,
            })
            .collect()
    }

    proptest! {
        /// Any key, written in any of the accepted ways, names its option; and the
        /// verdict never depends on surrounding white space or width.
        #[test]
        fn any_dressing_of_a_key_names_its_option(
            n in 1usize..=9,
            pick in 0usize..9,
            style in 0usize..8,
            pad_l in " {0,3}",
            pad_r in " {0,3}",
            widen in any::<bool>(),
        ) {
            let opts: Vec<PollOption> = (1..=n)
                .map(|i| PollOption { key: i.to_string(), text: format!("选项文字{i}号") })
                .collect();
            let key = (pick % n + 1).to_string();
            let dressed = match style {
                0 => key.clone(),
                1 => format!("{key}."),
                2 => format!("{key}、"),
                3 => format!("选{key}"),
                4 => format!("（{key}）"),
                5 => format!("({key})"),
                6 => format!("选项文字{key}号"),
                _ => format!("{key} 选项文字{key}号"),
            };
            let mut reply = format!("{pad_l}{dressed}{pad_r}");
            if widen {
                reply = wide(&reply);
            }
            prop_assert_eq!(key_of(&opts, &reply), Some(key));
        }

        /// Recognition never panics and only ever answers with an offered option.
        #[test]
        fn recognition_is_total(text in "\\PC{0,12}") {
            let opts = survey();
            if let Some(o) = recognise(&opts, &text) {
                prop_assert!(opts.contains(o));
            }
        }
    }
}
