//! Signature rules: carriers accept only a registered signature in 【】 at the start or
//! end of a message, and reject a message carrying two. A job's signature must be one
//! 【…】 with a configured number of characters inside (default 2 to 12), and its text
//! must not carry a second one at its start or end, where a phone would show it as the
//! sender. A 【】 in the middle of a text is ordinary punctuation and allowed.

/// The configured signature bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureRules {
    /// Fewest characters inside the brackets.
    pub min: usize,
    /// Most characters inside the brackets.
    pub max: usize,
}

impl Default for SignatureRules {
    fn default() -> Self {
        SignatureRules { min: 2, max: 12 }
    }
}

/// Where a text carries a signature of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEnd {
    /// At its start.
    Start,
    /// At its end.
    End,
}

impl TextEnd {
    /// `start` or `end`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TextEnd::Start => "start",
            TextEnd::End => "end",
        }
    }
}

/// A rule a signature or text breaks; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Empty.
    #[error(
        "the signature is missing: it must be the sender's registered name in 【】, e.g. 【鸿雁物流】"
    )]
    Missing,
    /// Not wrapped in 【 】, or characters outside them.
    #[error(
        "the signature {0:?} must be one name in 【】 with nothing outside the brackets, e.g. 【鸿雁物流】"
    )]
    NotBracketed(String),
    /// 【 or 】 inside the brackets.
    #[error(
        "the signature {0:?} holds another 【 or 】 inside its brackets; it must be exactly one 【…】"
    )]
    Nested(String),
    /// Fewer characters inside than allowed.
    #[error(
        "the signature {sig:?} has {chars} character(s) inside 【】; at least {min} are required"
    )]
    TooShort {
        /// The signature.
        sig: String,
        /// Characters inside the brackets.
        chars: usize,
        /// The configured minimum.
        min: usize,
    },
    /// More characters inside than allowed.
    #[error("the signature {sig:?} has {chars} characters inside 【】; at most {max} are allowed")]
    TooLong {
        /// The signature.
        sig: String,
        /// Characters inside the brackets.
        chars: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The text carries a 【…】 of its own where carriers read a signature.
    #[error("the text carries its own signature {found} at its {}; carriers reject a message with two — put the sender's name only in the signature", at.as_str())]
    SecondSignature {
        /// Start or end of the text.
        at: TextEnd,
        /// The bracketed part found.
        found: String,
    },
}

impl SignatureError {
    /// A stable code per rule, for API errors and metrics.
    pub const fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "signature_missing",
            SignatureError::NotBracketed(_) => "signature_not_bracketed",
            SignatureError::Nested(_) => "signature_nested",
            SignatureError::TooShort { .. } => "signature_too_short",
            SignatureError::TooLong { .. } => "signature_too_long",
            SignatureError::SecondSignature { .. } => "second_signature",
        }
    }
}

const OPEN: char = '【';
const CLOSE: char = '】';

impl SignatureRules {
    /// Checks a job's signature: one 【…】, `min..=max` characters inside, nothing
    /// outside, no bracket inside.
    pub fn check_signature(&self, sig: &str) -> Result<(), SignatureError> {
        if sig.trim().is_empty() {
            return Err(SignatureError::Missing);
        }
        let Some(inner) = sig
            .strip_prefix(OPEN)
            .and_then(|rest| rest.strip_suffix(CLOSE))
        else {
            return Err(SignatureError::NotBracketed(sig.to_owned()));
        };
        if inner.contains([OPEN, CLOSE]) {
            return Err(SignatureError::Nested(sig.to_owned()));
        }
        let chars = inner.chars().count();
        if inner.trim().is_empty() || chars < self.min {
            return Err(SignatureError::TooShort {
                sig: sig.to_owned(),
                chars,
                min: self.min,
            });
        }
        if chars > self.max {
            return Err(SignatureError::TooLong {
                sig: sig.to_owned(),
                chars,
                max: self.max,
            });
        }
        Ok(())
    }

    /// Checks a text sent under a signature: no 【…】 at its start or end (white space
    /// around it ignored).
    pub fn check_text(&self, text: &str) -> Result<(), SignatureError> {
        let t = text.trim();
        if t.starts_with(OPEN) {
            if let Some(close) = t.find(CLOSE) {
                return Err(SignatureError::SecondSignature {
                    at: TextEnd::Start,
                    found: t[..close + CLOSE.len_utf8()].to_owned(),
                });
            }
        }
        if t.ends_with(CLOSE) {
            if let Some(open) = t.rfind(OPEN) {
                return Err(SignatureError::SecondSignature {
                    at: TextEnd::End,
                    found: t[open..].to_owned(),
                });
            }
        }
        Ok(())
    }

    /// True when `text` (a system text hongyan composed, signature included) carries
    /// exactly one 【…】, at its start or its end, that passes [`check_signature`]
    /// (Self::check_signature).
    pub fn is_signed_once(&self, text: &str) -> bool {
        let t = text.trim();
        if t.matches(OPEN).count() != 1 || t.matches(CLOSE).count() != 1 {
            return false;
        }
        let (Some(open), Some(close)) = (t.find(OPEN), t.find(CLOSE)) else {
            return false;
        };
        let at_edge = open == 0 || close + CLOSE.len_utf8() == t.len();
        at_edge
            && close > open
            && self
                .check_signature(&t[open..close + CLOSE.len_utf8()])
                .is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn signatures_table() {
        let r = SignatureRules::default();
        assert_eq!(r.check_signature("【鸿雁物流】"), Ok(()));
        assert_eq!(r.check_signature("【ab】"), Ok(()));
        assert_eq!(r.check_signature("【一二三四五六七八九十一二】"), Ok(()));
        for (sig, code) in [
            ("", "signature_missing"),
            ("  ", "signature_missing"),
            ("鸿雁物流", "signature_not_bracketed"),
            ("[鸿雁物流]", "signature_not_bracketed"),
            ("【鸿雁物流", "signature_not_bracketed"),
            ("鸿雁】", "signature_not_bracketed"),
            (" 【鸿雁物流】", "signature_not_bracketed"),
            ("【鸿雁物流】x", "signature_not_bracketed"),
            ("【鸿雁】【物流】", "signature_nested"),
            ("【鸿【雁】物流】", "signature_nested"),
            ("【鸿】", "signature_too_short"),
            ("【】", "signature_too_short"),
            ("【   】", "signature_too_short"),
            ("【一二三四五六七八九十一二三】", "signature_too_long"),
        ] {
            let err = r.check_signature(sig).unwrap_err();
            assert_eq!(err.code(), code, "{sig:?}: {err}");
        }
    }

    #[test]
    fn errors_say_the_rule_in_words() {
        let r = SignatureRules { min: 3, max: 5 };
        let e = r.check_signature("【ab】").unwrap_err().to_string();
        assert!(e.contains("at least 3"), "{e}");
        let e = r.check_signature("【abcdef】").unwrap_err().to_string();
        assert!(e.contains("at most 5"), "{e}");
        let e = r.check_text("【别家】您好").unwrap_err().to_string();
        assert!(e.contains("【别家】") && e.contains("start"), "{e}");
    }

    #[test]
    fn a_text_may_not_carry_a_second_signature_at_either_end() {
        let r = SignatureRules::default();
        assert_eq!(r.check_text("您的快递已到。"), Ok(()));
        assert_eq!(r.check_text("请查看【附件】后回复。"), Ok(()));
        assert_eq!(r.check_text("结尾是】但没有开头"), Ok(()));
        assert_eq!(
            r.check_text(" 【顺丰】您的快递已到"),
            Err(SignatureError::SecondSignature {
                at: TextEnd::Start,
                found: "【顺丰】".into()
            })
        );
        assert_eq!(
            r.check_text("您的快递已到【顺丰】\n"),
            Err(SignatureError::SecondSignature {
                at: TextEnd::End,
                found: "【顺丰】".into()
            })
        );
    }

    #[test]
    fn signed_once_means_one_valid_bracket_at_an_edge() {
        let r = SignatureRules::default();
        assert!(r.is_signed_once("【鸿雁物流】您的申请已通过。"));
        assert!(r.is_signed_once("您的申请已通过。【鸿雁物流】"));
        assert!(!r.is_signed_once("【鸿雁物流】【待审批提醒】李四的申请"));
        assert!(!r.is_signed_once("您的申请已通过。"));
        assert!(!r.is_signed_once("您的【鸿雁物流】申请"));
        assert!(!r.is_signed_once("【鸿】您的申请"));
    }

    proptest! {
        #[test]
        fn any_name_within_bounds_in_brackets_passes(name in "[a-z鸿雁物流通知]{2,12}") {
            let sig = format!("【{name}】");
            prop_assert_eq!(SignatureRules::default().check_signature(&sig), Ok(()));
        }

        #[test]
        fn a_valid_signature_at_the_start_of_a_text_is_refused(
            name in "[a-z鸿雁物流]{2,12}", body in "[a-z0-9您好，。]{0,30}",
        ) {
            let text = format!("【{name}】{body}");
            prop_assert!(SignatureRules::default().check_text(&text).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let r = SignatureRules::default();
            let _ = r.check_signature(&s);
            let _ = r.check_text(&s);
            let _ = r.is_signed_once(&s);
        }
    }
}
