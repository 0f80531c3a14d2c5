//! Mainland mobile numbers: turning what users type or paste into an 11-digit MSISDN, and
//! saying precisely why when it is not one.
//!
//! Numbers reach hongyan from API calls, CSV files and spreadsheets pasted out of Chinese
//! documents, so [`normalize`] is forgiving about decoration and strict about the number:
//!
//! * dropped: spaces (including the ideographic space U+3000 and no-break space), dashes
//!   (`-`, `‐`, `–`, `—`, `−`, full-width `－`), dots (`.`, `．`), parentheses (`()`, `（）`)
//!   and invisible zero-width characters / BOMs that copy-paste drags along;
//! * converted: full-width digits `０`–`９` (U+FF10–U+FF19) and the full-width plus `＋`
//!   (U+FF0B);
//! * country prefix removed: `+86`, `0086`, and a bare `86` only when exactly 13 digits
//!   remain (so an 11-digit number that happens to start `86…` is never cut);
//! * rejected, with a reason a user can act on ([`NumberError`]): empty input, any other
//!   character (named, with its position), foreign numbers, fixed-line numbers (leading 0
//!   area code, or after a country code the area code without its 0, as in
//!   `+86 10 1234 5678`), mobile numbers written with a long-distance `0` in front, service and SP
//!   codes (`10086`, `95588`, `106…`, `12345`, `400…`), numbers not starting with 1, and
//!   the wrong number of digits.
//!
//! Whether the 3–4 digit segment belongs to a carrier is the prefix table's decision
//! (`prefixes.rs`), which reports [`NumberError::UnknownPrefix`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Digits in a mainland mobile number, without country code.
pub const MSISDN_DIGITS: usize = 11;

/// Error details quote at most this many digits of a bad number.
const QUOTED_DIGITS: usize = 20;

/// An 11-digit mainland mobile number, stored without any prefix (`13800138000`).
///
/// Only [`normalize`] (and the `FromStr` / serde impls built on it) make one, so every
/// value is 11 ASCII digits starting with `1`. The segment is *not* guaranteed to be
/// allocated — that is for the prefix table to say.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn([u8; MSISDN_DIGITS]);

impl Msisdn {
    /// Builds from exactly 11 ASCII digits starting with `1`.
    fn from_digits(digits: &[u8]) -> Option<Msisdn> {
        let array: [u8; MSISDN_DIGITS] = digits.try_into().ok()?;
        (array[0] == b'1' && array.iter().all(u8::is_ascii_digit)).then_some(Msisdn(array))
    }

    /// The number as 11 digits, e.g. `13800138000` (CMPP and SMGP destination form).
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The number's 11 ASCII digits.
    pub fn as_bytes(&self) -> &[u8; MSISDN_DIGITS] {
        &self.0
    }

    /// The number with the `86` country code, e.g. `8613800138000` — the form SGIP
    /// requires in UserNumber and ChargeNumber.
    pub fn with_country_code(&self) -> String {
        format!("86{}", self.as_str())
    }

    /// The number with the middle four digits hidden (`138****8000`), for logs and
    /// messages that should not carry a full subscriber number.
    pub fn masked(&self) -> String {
        let s = self.as_str();
        format!(
            "{}****{}",
            s.get(..3).unwrap_or_default(),
            s.get(7..).unwrap_or_default()
        )
    }

    /// The first `len` digits (all 11 if `len` is larger).
    pub fn leading(&self, len: usize) -> &str {
        let s = self.as_str();
        s.get(..len).unwrap_or(s)
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msisdn({})", self.as_str())
    }
}

impl FromStr for Msisdn {
    type Err = NumberError;

    /// Same as [`normalize`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        normalize(s)
    }
}

impl Serialize for Msisdn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Msisdn {
    /// Accepts any form [`normalize`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        normalize(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a string is not a mainland mobile number. Display is a sentence for the user who
/// typed it; [`NumberError::code`] is a stable identifier for APIs and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Nothing but spaces and separators (or nothing at all).
    #[error("the number is empty")]
    Empty,
    /// A character that is neither a digit nor an accepted separator; `position` counts
    /// characters from 1.
    #[error(
        "the number contains {} at position {position}; only digits, spaces, dashes, dots, \
         parentheses and a leading + are allowed",
        describe_char(*ch)
    )]
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its position in the input, counting characters from 1.
        position: usize,
    },
    /// An international number for another country (`+` or `00` not followed by 86).
    #[error("+{digits} is not a mainland China number; only +86 mobile numbers can be reached")]
    NotMainland {
        /// The digits after the `+` or `00`.
        digits: String,
    },
    /// Starts with 0 after the country code is removed: an area code, so a fixed line.
    #[error(
        "{digits} is a fixed-line number (it starts with an area code); text messages need a \
         mobile number"
    )]
    Landline {
        /// The digits, country code removed.
        digits: String,
    },
    /// A mobile number with a long-distance `0` in front (`013800138000`).
    #[error("{digits} has a 0 in front of a mobile number; write the 11 digits without it")]
    LeadingZero {
        /// The digits as given, with the extra 0.
        digits: String,
    },
    /// A carrier or public service number, SP access code or hotline: 10086, 95588,
    /// 106…, 12345, 110, 400….
    #[error("{digits} is a service number or SP code, not a subscriber's mobile number")]
    ServiceCode {
        /// The digits, country code removed.
        digits: String,
    },
    /// Does not start with 1, so it cannot be a mainland mobile number.
    #[error("{digits} is not a mobile number (mainland mobile numbers start with 1)")]
    NotMobile {
        /// The digits, country code removed.
        digits: String,
    },
    /// Starts like a mobile number but has the wrong number of digits.
    #[error("the number has {digits} digits; a mainland mobile number has 11")]
    WrongLength {
        /// How many digits it has, country code removed.
        digits: usize,
    },
    /// Well-formed, but no carrier is known for its prefix (号段). Its API code stays
    /// `unknown_segment`, as published.
    #[error(
        "no carrier is known for numbers starting {prefix}; if it is a newly allocated \
         prefix, add it to [routing.prefixes] in the config"
    )]
    UnknownPrefix {
        /// The shortest leading digits that no table entry covers.
        prefix: String,
    },
}

impl NumberError {
    /// A stable snake_case identifier of the reason, for API responses and metrics.
    pub const fn code(&self) -> &'static str {
        match self {
            NumberError::Empty => "empty",
            NumberError::InvalidCharacter { .. } => "invalid_character",
            NumberError::NotMainland { .. } => "not_mainland",
            NumberError::Landline { .. } => "landline",
            NumberError::LeadingZero { .. } => "leading_zero",
            NumberError::ServiceCode { .. } => "service_code",
            NumberError::NotMobile { .. } => "not_mobile",
            NumberError::WrongLength { .. } => "wrong_length",
            NumberError::UnknownPrefix { .. } => "unknown_segment",
        }
    }
}

/// Names a character for an error message; invisible ones by code point.
fn describe_char(ch: char) -> String {
    if ch.is_alphabetic() {
        format!("the letter '{ch}'")
    } else if ch.is_control() || ch.is_whitespace() || ch.is_ascii() && !ch.is_ascii_graphic() {
        format!("the character U+{:04X}", u32::from(ch))
    } else {
        format!("the character '{ch}' (U+{:04X})", u32::from(ch))
    }
}

/// Characters that decorate a number and carry no digits.
fn is_separator(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '-' | '\u{2010}' // hyphen
                | '\u{2011}' // non-breaking hyphen
                | '\u{2012}' // figure dash
                | '\u{2013}' // en dash
                | '\u{2014}' // em dash
                | '\u{2212}' // minus sign
                | '\u{FF0D}' // full-width hyphen-minus
                | '.'
                | '\u{FF0E}' // full-width full stop
                | '('
                | ')'
                | '\u{FF08}' // full-width (
                | '\u{FF09}' // full-width )
                | '\u{200B}' // zero-width space
                | '\u{200C}' // zero-width non-joiner
                | '\u{200D}' // zero-width joiner
                | '\u{2060}' // word joiner
                | '\u{FEFF}' // BOM / zero-width no-break space
        )
}

/// The ASCII digit for an ASCII or full-width digit.
fn digit_of(ch: char) -> Option<u8> {
    match ch {
        '0'..='9' => u8::try_from(ch).ok(),
        '\u{FF10}'..='\u{FF19}' => u8::try_from(u32::from(ch) - 0xFF10 + u32::from(b'0')).ok(),
        _ => None,
    }
}

/// Quotes digits for an error message, shortening very long garbage.
fn quote(digits: &[u8]) -> String {
    let shown = digits.get(..QUOTED_DIGITS).unwrap_or(digits);
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if digits.len() > QUOTED_DIGITS {
        text.push('…');
    }
    text
}

/// Reads a mainland mobile number from user input: see the module docs for what is
/// accepted, dropped and rejected.
///
/// ```
/// use hongyan::route::normalize;
/// let n = normalize("+86 138-0013-8000").unwrap();
/// assert_eq!(n.as_str(), "13800138000");
/// assert_eq!(n.with_country_code(), "8613800138000");
/// assert!(normalize("010-12345678").is_err()); // a Beijing landline
/// ```
pub fn normalize(input: &str) -> Result<Msisdn, NumberError> {
    let mut digits: Vec<u8> = Vec::with_capacity(16);
    let mut plus = false;
    for (index, ch) in input.chars().enumerate() {
        if let Some(d) = digit_of(ch) {
            digits.push(d);
        } else if (ch == '+' || ch == '\u{FF0B}') && digits.is_empty() && !plus {
            plus = true;
        } else if !is_separator(ch) {
            return Err(NumberError::InvalidCharacter {
                ch,
                position: index + 1,
            });
        }
    }

    let (national, international) = national_part(&digits, plus)?;
    if international && is_international_landline(national) {
        return Err(NumberError::Landline {
            digits: quote(national),
        });
    }
    classify(national)
}

/// Removes the country code, or rejects a foreign one. Also says whether there was a
/// country code, since a landline written after one has lost its trunk 0.
fn national_part(digits: &[u8], plus: bool) -> Result<(&[u8], bool), NumberError> {
    if digits.is_empty() {
        return Err(NumberError::Empty);
    }
    let national = if plus {
        digits
            .strip_prefix(b"86")
            .ok_or_else(|| NumberError::NotMainland {
                digits: quote(digits),
            })?
    } else if let Some(rest) = digits.strip_prefix(b"0086") {
        rest
    } else if let Some(rest) = digits.strip_prefix(b"00") {
        return Err(NumberError::NotMainland {
            digits: quote(rest),
        });
    } else if digits.len() == MSISDN_DIGITS + 2 {
        digits.strip_prefix(b"86").unwrap_or(digits)
    } else {
        digits
    };
    if national.is_empty() {
        return Err(NumberError::Empty);
    }
    Ok((national, national.len() != digits.len()))
}

/// A fixed-line number in international form (`+86 10 1234 5678`, `+86 755 …`): area
/// code without its trunk 0, then a 7–8 digit local number.
fn is_international_landline(d: &[u8]) -> bool {
    match d {
        // Beijing: 10 + 8 digits.
        [b'1', b'0', ..] => d.len() == 10,
        // 400 / 800 hotlines keep their own reason.
        [b'4' | b'8', b'0', b'0', ..] => false,
        [b'2'..=b'9', ..] => (9..=11).contains(&d.len()),
        _ => false,
    }
}

/// Decides what kind of number the national digits are.
fn classify(d: &[u8]) -> Result<Msisdn, NumberError> {
    let quoted = || quote(d);
    match d {
        // 0 + a plausible mobile number: no area code starts 013–019 (Beijing is 010).
        [b'0', b'1', b'3'..=b'9', rest @ ..] if rest.len() == MSISDN_DIGITS - 2 => {
            Err(NumberError::LeadingZero { digits: quoted() })
        }
        [b'0', ..] => Err(NumberError::Landline { digits: quoted() }),
        // 10xxx carrier services and 106… SP codes, 12xxx public hotlines; 110, 119, 120…
        [b'1', b'0' | b'2', ..] => Err(NumberError::ServiceCode { digits: quoted() }),
        [b'1', ..] if d.len() <= 5 => Err(NumberError::ServiceCode { digits: quoted() }),
        [b'1', ..] => Msisdn::from_digits(d).ok_or(NumberError::WrongLength { digits: d.len() }),
        // 95xxx / 96xxx service numbers; 400 / 800 hotlines are 10 digits.
        [b'9', b'5' | b'6', ..] => Err(NumberError::ServiceCode { digits: quoted() }),
        [b'4' | b'8', b'0', b'0', ..] if d.len() == 10 => {
            Err(NumberError::ServiceCode { digits: quoted() })
        }
        _ => Err(NumberError::NotMobile { digits: quoted() }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str) -> String {
        normalize(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .to_string()
    }

    #[test]
    fn plain_number_is_kept() {
        assert_eq!(ok("13800138000"), "13800138000");
    }

    #[test]
    fn country_prefixes_are_removed() {
        assert_eq!(ok("+8613800138000"), "13800138000");
        assert_eq!(ok("008613800138000"), "13800138000");
        assert_eq!(ok("8613800138000"), "13800138000");
        assert_eq!(ok("+86 138 0013 8000"), "13800138000");
        assert_eq!(ok("(+86) 138-0013-8000"), "13800138000");
        assert_eq!(ok("0086-138.0013.8000"), "13800138000");
    }

    #[test]
    fn bare_86_only_strips_at_13_digits() {
        // An 11-digit number is left alone even though it starts 86: it is then not mobile.
        assert_eq!(
            normalize("86138001380"),
            Err(NumberError::NotMobile {
                digits: "86138001380".into()
            })
        );
        // 12 digits starting 86 is not "86 + number" either.
        assert_eq!(
            normalize("861380013800"),
            Err(NumberError::NotMobile {
                digits: "861380013800".into()
            })
        );
    }

    #[test]
    fn separators_and_invisible_characters_are_dropped() {
        assert_eq!(ok(" 138 0013 8000 "), "13800138000");
        assert_eq!(ok("138\t0013\u{3000}8000"), "13800138000");
        assert_eq!(ok("138\u{00A0}0013\u{2013}8000"), "13800138000");
        assert_eq!(ok("\u{FEFF}138\u{200B}00138000"), "13800138000");
        assert_eq!(ok("(138)0013—8000"), "13800138000");
        assert_eq!(ok("138．0013－8000"), "13800138000");
        assert_eq!(ok("（138）00138000"), "13800138000");
    }

    #[test]
    fn full_width_digits_and_plus_are_converted() {
        assert_eq!(ok("１３８００１３８０００"), "13800138000");
        assert_eq!(ok("＋８６　１３８ ００１３ ８０００"), "13800138000");
        assert_eq!(ok("＋86-138-0013-8000"), "13800138000");
        assert_eq!(ok("００８６１３８００１３８０００"), "13800138000");
    }

    #[test]
    fn empty() {
        for input in ["", "   ", " - ( ) ", "+", "+86", "0086", "\u{3000}"] {
            assert_eq!(normalize(input), Err(NumberError::Empty), "{input:?}");
        }
        assert_eq!(NumberError::Empty.to_string(), "the number is empty");
    }

    #[test]
    fn invalid_characters_are_named_with_their_position() {
        let err = normalize("138a0013800").unwrap_err();
        assert_eq!(
            err,
            NumberError::InvalidCharacter {
                ch: 'a',
                position: 4
            }
        );
        assert_eq!(
            err.to_string(),
            "the number contains the letter 'a' at position 4; only digits, spaces, \
             dashes, dots, parentheses and a leading + are allowed"
        );
        // Positions count characters, not bytes.
        assert_eq!(
            normalize("１３８#"),
            Err(NumberError::InvalidCharacter {
                ch: '#',
                position: 4
            })
        );
        let err = normalize("138/0013/8000").unwrap_err();
        assert!(
            err.to_string().contains("the character '/' (U+002F)"),
            "{err}"
        );
        let err = normalize("138\u{7}").unwrap_err();
        assert!(err.to_string().contains("the character U+0007"), "{err}");
        let err = normalize("电话13800138000").unwrap_err();
        assert!(err.to_string().contains("the letter '电'"), "{err}");
        assert_eq!(err.code(), "invalid_character");
    }

    #[test]
    fn plus_only_at_the_start() {
        assert_eq!(
            normalize("86+13800138000"),
            Err(NumberError::InvalidCharacter {
                ch: '+',
                position: 3
            })
        );
        assert_eq!(
            normalize("++8613800138000"),
            Err(NumberError::InvalidCharacter {
                ch: '+',
                position: 2
            })
        );
        assert_eq!(
            normalize("+＋8613800138000"),
            Err(NumberError::InvalidCharacter {
                ch: '＋',
                position: 2
            })
        );
    }

    #[test]
    fn foreign_numbers() {
        let err = normalize("+44 7700 900123").unwrap_err();
        assert_eq!(
            err,
            NumberError::NotMainland {
                digits: "447700900123".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "+447700900123 is not a mainland China number; only +86 mobile numbers can be reached"
        );
        // Hong Kong via the 00 international prefix.
        assert_eq!(
            normalize("00852 6123 4567"),
            Err(NumberError::NotMainland {
                digits: "85261234567".into()
            })
        );
        assert_eq!(err.code(), "not_mainland");
    }

    #[test]
    fn landlines() {
        for (input, digits) in [
            ("010-12345678", "01012345678"),
            ("0755 8888 8888", "075588888888"),
            ("(0571) 8765 4321", "057187654321"),
            ("+86 0755 88888888", "075588888888"),
            // International form drops the trunk 0 of the area code.
            ("+86 10 12345678", "1012345678"),
            ("0086 21 6123 4567", "2161234567"),
            ("+86 755 8888 8888", "75588888888"),
            ("+86 931 888 8888", "9318888888"),
        ] {
            assert_eq!(
                normalize(input),
                Err(NumberError::Landline {
                    digits: digits.into()
                }),
                "{input}"
            );
        }
        // Without a country code, 21… / 755… are not landlines, just not mobile numbers.
        assert_eq!(normalize("2161234567").unwrap_err().code(), "not_mobile");
        assert_eq!(normalize("1012345678").unwrap_err().code(), "service_code");
        let text = normalize("010-12345678").unwrap_err().to_string();
        assert_eq!(
            text,
            "01012345678 is a fixed-line number (it starts with an area code); text messages \
             need a mobile number"
        );
    }

    #[test]
    fn mobile_with_long_distance_zero() {
        let err = normalize("013800138000").unwrap_err();
        assert_eq!(
            err,
            NumberError::LeadingZero {
                digits: "013800138000".into()
            }
        );
        assert!(err.to_string().contains("without it"), "{err}");
        // 010 + 9 digits is Beijing, not a mobile number with a 0.
        assert_eq!(normalize("010123456789").unwrap_err().code(), "landline");
    }

    #[test]
    fn service_codes() {
        for input in [
            "10086",
            "10010",
            "10000",
            "1069012345678",
            "106900000000000000",
            "10690000000",
            "12345",
            "12306",
            "110",
            "119",
            "95588",
            "95555123",
            "96777",
            "400-820-8820",
            "800 810 8888",
            "+86 10086",
            "+86 400 820 8820",
            "0086 95588",
        ] {
            let err = normalize(input).unwrap_err();
            assert!(
                matches!(err, NumberError::ServiceCode { .. }),
                "{input}: {err:?}"
            );
        }
        assert_eq!(
            normalize("10086").unwrap_err().to_string(),
            "10086 is a service number or SP code, not a subscriber's mobile number"
        );
    }

    #[test]
    fn not_starting_with_one() {
        let err = normalize("23800138000").unwrap_err();
        assert_eq!(
            err,
            NumberError::NotMobile {
                digits: "23800138000".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "23800138000 is not a mobile number (mainland mobile numbers start with 1)"
        );
        // 400 only counts as a hotline at 10 digits.
        assert_eq!(normalize("40012").unwrap_err().code(), "not_mobile");
    }

    #[test]
    fn wrong_lengths_say_how_many_digits() {
        assert_eq!(
            normalize("1380013800"),
            Err(NumberError::WrongLength { digits: 10 })
        );
        assert_eq!(
            normalize("138001380001"),
            Err(NumberError::WrongLength { digits: 12 })
        );
        assert_eq!(
            normalize("+86 138001380"),
            Err(NumberError::WrongLength { digits: 9 })
        );
        // 13 digits that do not start 86 are not stripped.
        assert_eq!(
            normalize("1440012345678"),
            Err(NumberError::WrongLength { digits: 13 })
        );
        assert_eq!(
            NumberError::WrongLength { digits: 10 }.to_string(),
            "the number has 10 digits; a mainland mobile number has 11"
        );
    }

    #[test]
    fn unknown_prefix_message() {
        let err = NumberError::UnknownPrefix {
            prefix: "1741".into(),
        };
        assert!(
            err.to_string()
                .starts_with("no carrier is known for numbers starting 1741;"),
            "{err}"
        );
        assert!(err.to_string().contains("[routing.prefixes]"), "{err}");
        assert_eq!(err.code(), "unknown_segment");
    }

    #[test]
    fn long_garbage_is_quoted_short() {
        let input = "2".repeat(500);
        let NumberError::NotMobile { digits } = normalize(&input).unwrap_err() else {
            panic!("expected NotMobile");
        };
        assert_eq!(digits, format!("{}…", "2".repeat(QUOTED_DIGITS)));
    }

    #[test]
    fn msisdn_forms() {
        let n = normalize("13800138000").unwrap();
        assert_eq!(n.as_str(), "13800138000");
        assert_eq!(n.as_bytes(), b"13800138000");
        assert_eq!(n.with_country_code(), "8613800138000");
        assert_eq!(n.masked(), "138****8000");
        assert_eq!(n.leading(3), "138");
        assert_eq!(n.leading(99), "13800138000");
        assert_eq!(format!("{n:?}"), "Msisdn(13800138000)");
        assert_eq!("+86 13800138000".parse::<Msisdn>().unwrap(), n);
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"13800138000\"");
        assert_eq!(
            serde_json::from_str::<Msisdn>("\"+86 138-0013-8000\"").unwrap(),
            n
        );
        assert!(serde_json::from_str::<Msisdn>("\"10086\"").is_err());
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            NumberError::Empty,
            NumberError::InvalidCharacter {
                ch: 'x',
                position: 1,
            },
            NumberError::NotMainland {
                digits: String::new(),
            },
            NumberError::Landline {
                digits: String::new(),
            },
            NumberError::LeadingZero {
                digits: String::new(),
            },
            NumberError::ServiceCode {
                digits: String::new(),
            },
            NumberError::NotMobile {
                digits: String::new(),
            },
            NumberError::WrongLength { digits: 0 },
            NumberError::UnknownPrefix {
                prefix: String::new(),
            },
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(NumberError::code).collect();
        assert_eq!(codes.len(), all.len());
    }

    /// A decorated rendering of `digits`: a prefix, separators between digits, some digits
    /// full-width.
    fn decorate(digits: &str, prefix: &str, seps: &[(usize, &str)], wide: &[bool]) -> String {
        let mut out = String::from(prefix);
        for (i, ch) in digits.chars().enumerate() {
            for (at, sep) in seps {
                if *at == i {
                    out.push_str(sep);
                }
            }
            if wide.get(i).copied().unwrap_or(false) {
                out.push(char::from_u32(u32::from(ch) - u32::from('0') + 0xFF10).unwrap());
            } else {
                out.push(ch);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(input in any::<String>()) {
            let _ = normalize(&input);
        }

        #[test]
        fn never_panics_on_number_like_strings(
            input in "[0-9０-９+＋ ()（）.\\-8６x]{0,40}"
        ) {
            if let Ok(n) = normalize(&input) {
                prop_assert_eq!(n.as_str().len(), MSISDN_DIGITS);
                prop_assert!(n.as_str().starts_with('1'));
            }
        }

        #[test]
        fn every_decorated_form_normalises_back(
            digits in "1[3-9][0-9]{9}",
            prefix in prop::sample::select(vec![
                "", "+86", "+86 ", "0086", "0086-", "86", "86 ", "(+86) ", "＋86", "＋８６ ",
            ]),
            seps in prop::collection::vec(
                (0usize..11, prop::sample::select(vec![" ", "-", ".", "　", " - ", "－", "\u{200B}"])),
                0..6,
            ),
            wide in prop::collection::vec(any::<bool>(), 11),
        ) {
            let n = normalize(&digits).unwrap();
            let decorated = decorate(&digits, prefix, &seps, &wide);
            prop_assert_eq!(normalize(&decorated), Ok(n), "{}", decorated);
            prop_assert_eq!(normalize(&n.with_country_code()), Ok(n));
            prop_assert_eq!(normalize(&format!("+{}", n.with_country_code())), Ok(n));
        }
    }
}
