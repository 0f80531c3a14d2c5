//! Hex helpers for fixtures, logs and the `hongyan decode` CLI.

use std::fmt::Write;

/// Lower-case hex of `bytes`, no separators.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Error from [`decode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is not a hex digit (after removing white space).
    #[error("not a hex digit {ch:?} at position {pos}")]
    BadDigit {
        /// The offending character.
        ch: char,
        /// Its position among the hex digits.
        pos: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({0})")]
    OddLength(usize),
}

/// Decode hex, ignoring ASCII white space, an optional `0x` prefix, and `:`/`-` separators.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let digits: Vec<char> = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && *c != ':' && *c != '-')
        .collect();
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength(digits.len()));
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for (i, pair) in digits.chunks(2).enumerate() {
        let hi = pair[0].to_digit(16).ok_or(HexError::BadDigit {
            ch: pair[0],
            pos: 2 * i,
        })?;
        let lo = pair[1].to_digit(16).ok_or(HexError::BadDigit {
            ch: pair[1],
            pos: 2 * i + 1,
        })?;
        out.push((hi * 16 + lo) as u8);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_spaces() {
        assert_eq!(decode("00 0c ff").as_deref(), Ok(&[0u8, 12, 255][..]));
        assert_eq!(encode(&[0, 12, 255]), "000cff");
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(decode("0g"), Err(HexError::BadDigit { ch: 'g', pos: 1 }));
        assert_eq!(decode("abc"), Err(HexError::OddLength(3)));
    }
}
