//! The worked examples of the protocol reference (../shared/protocols/), as
//! `tests/fixtures/reference_examples.txt` holds them: `protocol | command | title | hex`.

const FIXTURES: &str = include_str!("../../fixtures/reference_examples.txt");

/// One worked example.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// `cmpp2`, `cmpp3`, `smgp` or `sgip`, as `hongyan decode -p` takes it.
    pub protocol: &'static str,
    /// The command, as `hongyan decode` names it.
    pub command: &'static str,
    /// Its title in the reference.
    pub title: &'static str,
    /// Its bytes in hex.
    pub hex: &'static str,
}

/// Every example, in the order of the file.
pub fn examples() -> Vec<Example> {
    FIXTURES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(cols.len(), 4, "bad fixture line {l}");
            Example {
                protocol: cols[0],
                command: cols[1],
                title: cols[2],
                hex: cols[3],
            }
        })
        .collect()
}

/// The example whose title starts with `title`.
pub fn find_example(title: &str) -> Example {
    examples()
        .into_iter()
        .find(|e| e.title.starts_with(title))
        .unwrap_or_else(|| panic!("no reference example {title}"))
}

/// The bytes of the example whose title starts with `title`.
pub fn example(title: &str) -> Vec<u8> {
    let hex = find_example(title).hex;
    wire::hex::decode(hex).unwrap_or_else(|e| panic!("{title}: bad hex: {e}"))
}
