//! Text normalisation shared by the opt-out keyword test and the sensitive-word check:
//! what a person can vary without changing what they wrote — character width, case,
//! and spaces or punctuation slipped between characters (`赌 博`, `赌.博`, `ＴＤ`).
//!
//! What counts as *punctuation* here (removed wherever it appears):
//! * every Unicode white space, including the ideographic space U+3000;
//! * ASCII punctuation and symbols (`!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`), also in their
//!   full-width forms (U+FF01–U+FF0F, U+FF1A–U+FF20, U+FF3B–U+FF40, U+FF5B–U+FF5E),
//!   which are mapped to ASCII first;
//! * CJK symbols and punctuation (U+3001–U+303F: `、。〃「」『』【】〔〕…`), general
//!   punctuation (U+2000–U+206F: `‘’“”…—·` and the zero-width characters), the
//!   half-width CJK forms U+FF5F–U+FF65, CJK compatibility forms U+FE30–U+FE4F, the small
//!   form variants U+FE50–U+FE6F, the middle dot U+00B7 and the Katakana middle dot
//!   U+30FB, and the other Unicode punctuation of the Latin-1 block (`¡¿«»`…).
//!
//! Letters, digits, Han characters and everything else are kept; letters are
//! lower-cased (a mapping to several characters, which only a few non-ASCII letters
//! have, keeps the letter as it was so positions map one to one).

/// The normal form of `text`: full-width → half-width, lower case, without white space
/// or punctuation.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(n) = normal_char(c) {
            out.push(n);
        }
    }
    out
}

/// One character's normal form, or `None` when it is white space or punctuation.
#[inline]
pub fn normal_char(c: char) -> Option<char> {
    // Han characters, most of a Chinese text, have no case and are no punctuation: they
    // skip the case table's search (the check runs on every text sent).
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c) {
        return Some(c);
    }
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Some(c.to_ascii_lowercase())
        } else {
            // ASCII white space, controls, punctuation and symbols.
            None
        };
    }
    let c = half_width(c);
    if c.is_ascii() {
        return normal_char(c);
    }
    if is_punctuation(c) {
        return None;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => Some(l),
        _ => Some(c),
    }
}

/// The half-width form of a full-width ASCII character (U+FF01–U+FF5E) or the
/// ideographic space; any other character unchanged.
#[inline]
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Non-ASCII white space and punctuation (see the module documentation).
#[inline]
fn is_punctuation(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00A1}'..='\u{00BF}' // Latin-1 punctuation and symbols (¡ « · » ¿ …)
            | '\u{2000}'..='\u{206F}' // general punctuation, zero-width characters
            | '\u{3001}'..='\u{303F}' // CJK symbols and punctuation
            | '\u{30FB}' // katakana middle dot
            | '\u{FE30}'..='\u{FE6F}' // CJK compatibility forms, small form variants
            | '\u{FF5F}'..='\u{FF65}' // half-width CJK punctuation
            | '\u{FEFF}' // byte order mark / zero-width no-break space
        )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn evasions_of_a_word_come_out_as_the_word() {
        for (input, want) in [
            ("赌博", "赌博"),
            ("赌 博", "赌博"),
            ("赌.博", "赌博"),
            ("赌-博", "赌博"),
            ("赌_博", "赌博"),
            ("赌\u{3000}博", "赌博"),
            ("赌、博", "赌博"),
            ("赌·博", "赌博"),
            ("赌\u{200B}博", "赌博"),
            ("赌＊博", "赌博"),
            ("ＴＤ", "td"),
            ("Ｔ Ｄ", "td"),
            ("ｔｄ", "td"),
            ("１２３", "123"),
            (" 退订 ", "退订"),
            ("退订。", "退订"),
            ("【鸿雁】", "鸿雁"),
            ("ÀÉ", "àé"),
            ("", ""),
            (" .,;!", ""),
        ] {
            assert_eq!(normalise(input), want, "{input:?}");
        }
    }

    #[test]
    fn the_han_shortcut_answers_what_the_general_rules_would() {
        for c in ('\u{3400}'..='\u{4DBF}').chain('\u{4E00}'..='\u{9FFF}') {
            let mut lower = c.to_lowercase();
            assert_eq!((lower.next(), lower.next()), (Some(c), None), "{c}");
            assert!(!is_punctuation(c) && !c.is_ascii(), "{c}");
            assert_eq!(normal_char(c), Some(c));
        }
    }

    #[test]
    fn letters_digits_and_han_are_kept() {
        assert_eq!(normalise("T恤123abc"), "t恤123abc");
        assert_eq!(normalise("取消订单"), "取消订单");
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,40}") {
            let once = normalise(&s);
            prop_assert_eq!(normalise(&once), once.clone());
        }

        #[test]
        fn full_width_ascii_normalises_like_ascii(s in "[!-~]{0,30}") {
            let wide: String = s.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
            prop_assert_eq!(normalise(&wide), normalise(&s));
        }

        #[test]
        fn spaces_and_punctuation_between_characters_vanish(
            s in "[a-z赌博彩票0-9]{1,10}",
            sep in prop::sample::select(vec![" ", ".", "-", "_", "\u{3000}", "、", "*", "·"]),
        ) {
            let spread: Vec<String> = s.chars().map(String::from).collect();
            prop_assert_eq!(normalise(&spread.join(sep)), s);
        }

        #[test]
        fn at_most_one_char_out_per_char_in(s in "\\PC{0,40}") {
            prop_assert!(normalise(&s).chars().count() <= s.chars().count());
        }
    }
}
