//! The worked examples of the protocol reference (../shared/protocols/), as
//! `tests/fixtures/reference_examples.txt` holds them: `protocol | command | title | hex`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

const FIXTURES: &str = include_str!("../fixtures/reference_examples.txt");

/// The bytes of the reference example whose title starts with `title`.
pub(crate) fn example(title: &str) -> Vec<u8> {
    let line = FIXTURES
        .lines()
        .find(|l| {
            l.split('|')
                .nth(2)
                .is_some_and(|t| t.trim().starts_with(title))
        })
        .unwrap_or_else(|| panic!("no reference example {title}"));
    let hex = line.rsplit('|').next().unwrap().trim();
    wire::hex::decode(hex).unwrap()
}
