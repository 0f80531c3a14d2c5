//! The opt-out suffix of marketing messages (default `回T退订`): added once, so a text
//! whose author already ended it with the suffix (in any width, case or punctuation) is
//! not given a second.

use std::borrow::Cow;

use super::normalise::normalise;

/// `text` with `suffix` at its end: borrowed unchanged when the suffix is empty or the
/// text already ends with it (compared in normal form, so `回t退订。` counts).
pub fn with_suffix<'a>(text: &'a str, suffix: &str) -> Cow<'a, str> {
    let want = normalise(suffix);
    if want.is_empty() || normalise(text).ends_with(&want) {
        return Cow::Borrowed(text);
    }
    let body = text.trim_end();
    let mut out = String::with_capacity(body.len() + suffix.len());
    out.push_str(body);
    out.push_str(suffix);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_suffix_is_added_once() {
        assert_eq!(
            with_suffix("双十二全场五折", "回T退订"),
            "双十二全场五折回T退订"
        );
        assert_eq!(
            with_suffix("双十二全场五折 \n", "回T退订"),
            "双十二全场五折回T退订"
        );
        assert!(matches!(
            with_suffix("五折，回T退订", "回T退订"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            with_suffix("五折，回t退订。", "回T退订"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            with_suffix("五折 回Ｔ退订", "回T退订"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(with_suffix("五折", ""), Cow::Borrowed(_)));
        // Mentioning it elsewhere is not ending with it.
        assert_eq!(
            with_suffix("回T退订的规则变了", "回T退订"),
            "回T退订的规则变了回T退订"
        );
    }

    proptest! {
        #[test]
        fn adding_is_idempotent(text in "\\PC{0,40}", suffix in prop::sample::select(vec!["回T退订", "拒收请回复R", " 回TD退订"])) {
            let once = with_suffix(&text, suffix).into_owned();
            prop_assert!(normalise(&once).ends_with(&normalise(suffix)));
            prop_assert_eq!(with_suffix(&once, suffix).into_owned(), once);
        }
    }
}
