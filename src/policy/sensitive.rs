//! Sensitive (banned) words: a list an operator keeps — carriers suspend an account over
//! a single word — matched in a message's text after [`normalise`](super::normalise) on
//! both sides, so `赌 博`, `赌.博` and `ＸＸ` cannot slip past `赌博` and `xx`.
//!
//! The file: one word per line, optionally followed by a tab or a comma and a category
//! (`赌博\tgambling`); `#` starts a comment line; blank lines are ignored; UTF-8. A word
//! that is empty once normalised (only punctuation) is an error naming its line.
//!
//! Matching is one pass of an Aho–Corasick automaton (the `aho-corasick` crate) over the
//! normalised text, leftmost-longest; the hit's offsets are mapped back to characters of
//! the original text, so an error can point at what the author wrote.

use std::collections::HashSet;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::normalise::{normal_char, normalise};

/// A compiled word list. Cheap to share behind an `Arc`; immutable.
#[derive(Debug, Clone, Default)]
pub struct WordList {
    /// `None` for an empty list (nothing to match).
    automaton: Option<AhoCorasick>,
    /// Pattern index → the word as listed and its category.
    entries: Vec<(String, Option<String>)>,
}

/// A banned word found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The word as listed in the file.
    pub word: String,
    /// Its category, if the file gave one.
    pub category: Option<String>,
    /// Offset of its first character in the original text, in characters.
    pub start: usize,
    /// Offset just past its last character in the original text, in characters.
    pub end: usize,
}

/// A word list that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WordListError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read the sensitive-word list {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a usable entry.
    #[error("{}line {line}: {reason}", path.as_deref().map(|p| format!("{p}, ")).unwrap_or_default())]
    Line {
        /// The file, when read from one.
        path: Option<String>,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The automaton could not be built (far beyond any real list's size).
    #[error("the sensitive-word list cannot be compiled: {0}")]
    Build(String),
}

impl WordList {
    /// An empty list: nothing is ever found.
    pub fn empty() -> WordList {
        WordList::default()
    }

    /// Parses a list (see the module documentation for the format).
    pub fn parse(text: &str) -> Result<WordList, WordListError> {
        let mut entries = Vec::new();
        let mut patterns = Vec::new();
        let mut seen = HashSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_start_matches('\u{FEFF}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, category) = match line.split_once(['\t', ',']) {
                Some((w, c)) => (w.trim(), Some(c.trim())),
                None => (line, None),
            };
            let bad = |reason: String| WordListError::Line {
                path: None,
                line: i + 1,
                reason,
            };
            let pattern = normalise(word);
            if pattern.is_empty() {
                return Err(bad(format!(
                    "{word:?} is empty once spaces and punctuation are removed; \
                     a word needs a letter, digit or character"
                )));
            }
            let category = match category {
                Some("") => {
                    return Err(bad(format!(
                        "{word:?} has a separator but no category after it"
                    )));
                }
                Some(c) => Some(c.to_owned()),
                None => None,
            };
            // The first listing of a word wins; a repeat adds nothing to match.
            if seen.insert(pattern.clone()) {
                patterns.push(pattern);
                entries.push((word.to_owned(), category));
            }
        }
        if patterns.is_empty() {
            return Ok(WordList::empty());
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| WordListError::Build(e.to_string()))?;
        Ok(WordList {
            automaton: Some(automaton),
            entries,
        })
    }

    /// Reads and parses the list at `path`; errors name the file (and the line).
    pub fn load(path: &Path) -> Result<WordList, WordListError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| WordListError::Io {
            path: shown.clone(),
            source,
        })?;
        WordList::parse(&text).map_err(|e| match e {
            WordListError::Line { line, reason, .. } => WordListError::Line {
                path: Some(shown),
                line,
                reason,
            },
            other => other,
        })
    }

    /// How many distinct words the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the list holds no word.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first (leftmost, then longest) listed word in `text`, if any.
    pub fn find(&self, text: &str) -> Option<Hit> {
        let automaton = self.automaton.as_ref()?;
        let normal = normalise(text);
        let m = automaton.find(normal.as_str())?;
        let (word, category) = self.entries.get(m.pattern().as_usize())?.clone();
        let (start, end) = original_span(text, m.start(), m.end())?;
        Some(Hit {
            word,
            category,
            start,
            end,
        })
    }
}

/// The character offsets in `text` of the normalised bytes `from..to`: walks the text
/// again, only for a hit, so the common case (no hit) builds no offset map.
fn original_span(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    let mut pos = 0;
    let mut start = None;
    for (i, c) in text.chars().enumerate() {
        let Some(n) = normal_char(c) else { continue };
        if pos == from {
            start = Some(i);
        }
        pos += n.len_utf8();
        if pos == to {
            return Some((start?, i + 1));
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list() -> WordList {
        WordList::parse(
            "# 示例\n\
             赌博\tgambling\n\
             \n\
             发票,fraud\n\
             代开发票\n\
             XX\n",
        )
        .unwrap()
    }

    fn hit(text: &str) -> Option<(String, usize, usize)> {
        list().find(text).map(|h| (h.word, h.start, h.end))
    }

    #[test]
    fn evasions_are_found_with_offsets_in_the_original_text() {
        for (text, want) in [
            ("网上赌博", Some(("赌博", 2, 4))),
            ("网上赌 博", Some(("赌博", 2, 5))),
            ("网上赌.博", Some(("赌博", 2, 5))),
            ("网上赌-博", Some(("赌博", 2, 5))),
            ("网上赌_博", Some(("赌博", 2, 5))),
            ("网上赌\u{3000}博！", Some(("赌博", 2, 5))),
            ("ｘｘ", Some(("XX", 0, 2))),
            ("a x.X b", Some(("XX", 2, 5))),
            ("您的快递已到", None),
            ("", None),
        ] {
            assert_eq!(
                hit(text),
                want.map(|(w, s, e)| (w.to_owned(), s, e)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_longest_word_at_the_leftmost_place_is_reported_with_its_category() {
        let l = list();
        let h = l.find("可代开发票").unwrap();
        assert_eq!((h.word.as_str(), h.start, h.end), ("代开发票", 1, 5));
        assert_eq!(h.category, None);
        let h = l.find("开发票").unwrap();
        assert_eq!(h.word, "发票");
        assert_eq!(h.category.as_deref(), Some("fraud"));
        assert_eq!(
            l.find("赌博").unwrap().category.as_deref(),
            Some("gambling")
        );
        assert_eq!(l.len(), 4);
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = WordList::parse("赌博\n\n  。。 \n").unwrap_err();
        assert!(matches!(e, WordListError::Line { line: 3, .. }), "{e}");
        assert!(e.to_string().starts_with("line 3: "), "{e}");
        let e = WordList::parse("赌博,\n").unwrap_err();
        assert!(e.to_string().contains("no category"), "{e}");
    }

    #[test]
    fn a_file_is_loaded_and_its_errors_name_it() {
        let dir = crate::testutil::TempDir::new("words");
        let path = dir.path().join("words.txt");
        std::fs::write(&path, "\u{FEFF}赌博\n毒品\tdrugs\n").unwrap();
        let l = WordList::load(&path).unwrap();
        assert_eq!(l.find("贩 毒 品").unwrap().word, "毒品");
        std::fs::write(&path, "赌博\n#\n-\n").unwrap();
        let e = WordList::load(&path).unwrap_err().to_string();
        assert!(e.contains("words.txt, line 3"), "{e}");
        let e = WordList::load(&dir.path().join("missing.txt")).unwrap_err();
        assert!(matches!(e, WordListError::Io { .. }));
        assert!(e.to_string().contains("missing.txt"), "{e}");
    }

    #[test]
    fn an_empty_list_finds_nothing() {
        assert!(WordList::empty().find("赌博").is_none());
        let l = WordList::parse("# only comments\n\n").unwrap();
        assert!(l.is_empty());
        assert!(l.find("anything").is_none());
    }

    proptest! {
        #[test]
        fn a_word_spread_by_separators_is_found_where_it_was_put(
            // No `x`: the list also bans "XX", which "xx" around the word would be.
            before in "[a-wyz您好的]{0,10}", after in "[a-wyz您好的]{0,10}",
            sep in prop::sample::select(vec!["", " ", ".", "-", "_", "\u{3000}", "·", "、"]),
        ) {
            let spread = ["赌", "博"].join(sep);
            let text = format!("{before}{spread}{after}");
            let h = list().find(&text).unwrap();
            prop_assert_eq!(h.word, "赌博");
            let chars: Vec<char> = text.chars().collect();
            let found: String = chars[h.start..h.end].iter().collect();
            prop_assert_eq!(found, spread);
        }

        #[test]
        fn hits_point_inside_the_text(text in "\\PC{0,60}") {
            if let Some(h) = list().find(&text) {
                prop_assert!(h.start < h.end && h.end <= text.chars().count());
                let part: String = text.chars().skip(h.start).take(h.end - h.start).collect();
                prop_assert_eq!(normalise(&part), normalise(&h.word));
            }
        }
    }
}
