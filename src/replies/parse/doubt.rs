//! The words that take an answer back: questions, hedges and contradictions in what
//! follows a keyword. Kept apart from the keyword grammar in `parse.rs` so the lists can
//! grow without touching it; the README's word lists mirror these.

use super::{Side, fold};

/// Anywhere in a reply, these make it a question ("同意吗？", "是否可以").
const QUESTION: &[&str] = &["?", "吗", "是否"];

/// Hedges: the answer is not final yet. Matched anywhere in the comment (folded).
const HEDGES_ZH: &[&str] = &[
    "再说",
    "再看",
    "再议",
    "再定",
    "再商量",
    "看看",
    "看一下",
    "看一看",
    "看下",
    "看情况",
    "考虑",
    "想想",
    "想一下",
    "想一想",
    "琢磨",
    "等等",
    "等一下",
    "等下",
    "等会",
    "等我",
    "稍等",
    "稍后",
    "晚点",
    "晚些",
    "回头",
    "改天",
    "先别",
    "先不",
    "别急",
    "暂时",
    "暂缓",
    "暂不",
    "缓一缓",
    "缓缓",
    "商量",
    "讨论",
    "研究",
    "请示",
    "问问",
    "问一下",
    "确认一下",
    "核实",
    "不确定",
    "不一定",
    "说不好",
    "不好说",
    "说不准",
    "没想好",
    "还没定",
    "可能",
    "也许",
    "大概",
    "或许",
    "好像",
    "似乎",
    "但",
    "不过",
    "可是",
    "然而",
    "只是",
    "如果",
    "要是",
    "假如",
    "的话",
    "除非",
    "前提",
    "条件是",
];

/// English hedges, matched as whole words (folded to upper case).
const HEDGES_EN: &[&str] = &[
    "BUT", "WAIT", "LATER", "MAYBE", "PERHAPS", "PROBABLY", "THINK", "CHECK", "CONSIDER", "HOLD",
    "HANG", "UNLESS", "IF", "HOWEVER", "UNSURE", "SEC", "MOMENT", "MINUTE", "ASK", "DISCUSS",
    "REVIEW",
];

/// Emoji that hedge: thinking, shrugging, a question.
const HEDGES_EMOJI: &[char] = &['🤔', '🤷', '❓', '❔'];

/// In an approval's comment, these say no (anywhere, folded).
const NEGATIONS_ZH: &[&str] = &[
    "不同意",
    "拒绝",
    "驳回",
    "不行",
    "不批",
    "不可以",
    "不通过",
    "不准",
    "否决",
    "别批",
    "别同意",
    "别通过",
    "不要批",
    "不要同意",
    "不要通过",
];

/// In an approval's comment, these words say no.
const NEGATIONS_EN: &[&str] = &[
    "NOT", "DON'T", "DONT", "CAN'T", "CANT", "CANNOT", "WON'T", "WONT", "NEVER", "REJECT",
    "REJECTED", "DENY", "DENIED",
];

/// In an approval's comment, these pictures say no.
const NO_EMOJI: &[char] = &['👎', '❌', '✖', '🙅', '⛔', '🚫'];

/// In a rejection's comment, these pictures say yes.
const YES_EMOJI: &[char] = &['👍', '👌', '✅', '✔', '🙆', '🆗'];

/// Whether `text` asks rather than answers.
pub(super) fn is_question(text: &str) -> bool {
    let folded: String = text.chars().map(fold).collect();
    QUESTION.iter().any(|q| folded.contains(q))
}

/// Whether the comment after an answer of `side` hedges or contradicts it.
pub(super) fn takes_back(side: Side, comment: &str) -> bool {
    // ’ as ': "DON’T" is "DON'T".
    let folded: String = comment
        .chars()
        .map(|c| if c == '’' { '\'' } else { fold(c) })
        .collect();
    let words: Vec<&str> = english_words(&folded).collect();
    let has_word = |list: &[&str]| words.iter().any(|w| list.contains(w));
    // "no" says no, except in "no problem".
    let says_no = words
        .iter()
        .enumerate()
        .any(|(i, &w)| w == "NO" && words.get(i + 1) != Some(&"PROBLEM"));
    let has_char = |list: &[char]| folded.contains(list);
    let hedges = HEDGES_ZH.iter().any(|h| folded.contains(h))
        || has_word(HEDGES_EN)
        || has_char(HEDGES_EMOJI);
    let contradicts = match side {
        Side::Approve => {
            NEGATIONS_ZH.iter().any(|n| folded.contains(n))
                || has_word(NEGATIONS_EN)
                || says_no
                || has_char(NO_EMOJI)
        }
        Side::Reject => has_char(YES_EMOJI),
    };
    hedges || contradicts
}

/// The runs of ASCII letters and apostrophes ("DON'T" is one word).
fn english_words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
}
