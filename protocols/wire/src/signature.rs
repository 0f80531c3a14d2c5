//! Enterprise signatures such as `【鸿雁物流】` (sms-encoding.md §4): ordinary text at
//! the start or the end of the content, counted in the segment arithmetic, present
//! exactly once.
//!
//! Two cases:
//!
//! * **We add it** (`added_by_carrier: false`): it is written into the content, unless
//!   the text already starts or ends with it (surrounding whitespace ignored).
//! * **The carrier adds it** (`added_by_carrier: true`): the segment arithmetic is
//!   done on the text *with* the signature — so the count matches what the carrier
//!   bills and the carrier's copy never spills into an extra segment or gets cut —
//!   but the signature's characters are left out of what we send. A copy already in
//!   the text is removed, so the handset still sees it once.

use std::borrow::Cow;
use std::ops::Range;

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignaturePosition {
    /// At the very start of the text (first segment of a long message).
    Prefix,
    /// At the very end (last segment).
    Suffix,
}

/// A link's or a sender's signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The signature exactly as it appears, brackets included: `【鸿雁物流】`.
    pub text: String,
    /// Start or end.
    pub position: SignaturePosition,
    /// The carrier writes it itself; reserve its room but do not send it.
    pub added_by_carrier: bool,
}

/// A text laid out with its signature: `full` is what the handset will show (and
/// what is counted and split), `sent` the byte range of `full` that we transmit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed<'a> {
    /// Text as the handset shows it, signature included once.
    pub full: Cow<'a, str>,
    /// Byte range of `full` that goes into the content (all of it unless the carrier
    /// adds the signature).
    pub sent: Range<usize>,
    /// Byte range of the signature in `full`, when there is one; segmentation keeps
    /// it whole.
    pub signature: Option<Range<usize>>,
}

impl Signature {
    /// A signature we write into the content.
    pub fn new(text: impl Into<String>, position: SignaturePosition) -> Self {
        Self {
            text: text.into(),
            position,
            added_by_carrier: false,
        }
    }

    /// A signature the carrier writes itself.
    pub fn by_carrier(text: impl Into<String>, position: SignaturePosition) -> Self {
        Self {
            text: text.into(),
            position,
            added_by_carrier: true,
        }
    }

    /// Lay `body` out with this signature.
    pub fn compose<'a>(&self, body: &'a str) -> Composed<'a> {
        let sig = self.text.as_str();
        if sig.is_empty() {
            return Composed {
                full: Cow::Borrowed(body),
                sent: 0..body.len(),
                signature: None,
            };
        }
        let existing = find_at_ends(body, sig);
        if !self.added_by_carrier {
            if let Some(at) = existing {
                let signature = Some(at..at + sig.len());
                return Composed {
                    full: Cow::Borrowed(body),
                    sent: 0..body.len(),
                    signature,
                };
            }
            let (full, signature) = match self.position {
                SignaturePosition::Prefix => (format!("{sig}{body}"), 0..sig.len()),
                SignaturePosition::Suffix => {
                    (format!("{body}{sig}"), body.len()..body.len() + sig.len())
                }
            };
            let len = full.len();
            return Composed {
                full: Cow::Owned(full),
                sent: 0..len,
                signature: Some(signature),
            };
        }
        // The carrier adds it: drop our copy, then reserve its room.
        let stripped: Cow<'a, str> = match existing {
            Some(at) => {
                let mut s = String::with_capacity(body.len() - sig.len());
                s.push_str(body.get(..at).unwrap_or_default());
                s.push_str(body.get(at + sig.len()..).unwrap_or_default());
                Cow::Owned(s)
            }
            None => Cow::Borrowed(body),
        };
        let n = stripped.len();
        let (full, sent, signature) = match self.position {
            SignaturePosition::Prefix => (
                format!("{sig}{stripped}"),
                sig.len()..sig.len() + n,
                0..sig.len(),
            ),
            SignaturePosition::Suffix => (format!("{stripped}{sig}"), 0..n, n..n + sig.len()),
        };
        Composed {
            full: Cow::Owned(full),
            sent,
            signature: Some(signature),
        }
    }
}

/// Compose with an optional signature.
pub fn compose<'a>(body: &'a str, signature: Option<&Signature>) -> Composed<'a> {
    match signature {
        Some(s) => s.compose(body),
        None => Composed {
            full: Cow::Borrowed(body),
            sent: 0..body.len(),
            signature: None,
        },
    }
}

/// Byte offset of `sig` when `body` starts or ends with it, whitespace around the
/// text ignored.
fn find_at_ends(body: &str, sig: &str) -> Option<usize> {
    let lead = body.len() - body.trim_start().len();
    if body.trim_start().starts_with(sig) {
        return Some(lead);
    }
    let trimmed_end = body.trim_end();
    if trimmed_end.ends_with(sig) {
        return Some(trimmed_end.len() - sig.len());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "【鸿雁物流】";

    fn sent<'a>(c: &'a Composed<'_>) -> &'a str {
        c.full.get(c.sent.clone()).unwrap_or("<bad range>")
    }

    #[test]
    fn prefix_and_suffix_added_once() {
        let p = Signature::new(SIG, SignaturePosition::Prefix).compose("您的包裹已到");
        assert_eq!(p.full, "【鸿雁物流】您的包裹已到");
        assert_eq!(sent(&p), "【鸿雁物流】您的包裹已到");
        let s = Signature::new(SIG, SignaturePosition::Suffix).compose("您的包裹已到");
        assert_eq!(s.full, "您的包裹已到【鸿雁物流】");
        assert_eq!(s.signature, Some(18..36));
        assert_eq!(p.signature, Some(0..18));
    }

    #[test]
    fn never_twice_when_already_present_at_either_end() {
        let prefix = Signature::new(SIG, SignaturePosition::Prefix);
        assert_eq!(prefix.compose("【鸿雁物流】到了").full, "【鸿雁物流】到了");
        assert_eq!(
            prefix.compose("到了【鸿雁物流】\n").full,
            "到了【鸿雁物流】\n"
        );
        assert_eq!(
            prefix.compose(" 【鸿雁物流】到了").full,
            " 【鸿雁物流】到了"
        );
        assert_eq!(prefix.compose(" 【鸿雁物流】到了").signature, Some(1..19));
        // In the middle it does not count as a signature.
        assert_eq!(
            prefix.compose("到【鸿雁物流】了").full,
            "【鸿雁物流】到【鸿雁物流】了"
        );
    }

    #[test]
    fn carrier_signature_is_reserved_not_sent() {
        let c = Signature::by_carrier(SIG, SignaturePosition::Suffix).compose("到了");
        assert_eq!(c.full, "到了【鸿雁物流】");
        assert_eq!(sent(&c), "到了");
        let c = Signature::by_carrier(SIG, SignaturePosition::Prefix).compose("到了");
        assert_eq!(c.full, "【鸿雁物流】到了");
        assert_eq!(sent(&c), "到了");
    }

    #[test]
    fn carrier_signature_removes_our_copy() {
        let c = Signature::by_carrier(SIG, SignaturePosition::Suffix).compose("【鸿雁物流】到了");
        assert_eq!(c.full, "到了【鸿雁物流】");
        assert_eq!(sent(&c), "到了");
        let c = Signature::by_carrier(SIG, SignaturePosition::Prefix).compose(SIG);
        assert_eq!(c.full, SIG);
        assert_eq!(sent(&c), "");
    }

    #[test]
    fn empty_or_absent_signature_changes_nothing() {
        assert_eq!(
            Signature::new("", SignaturePosition::Prefix)
                .compose("x")
                .full,
            "x"
        );
        assert_eq!(compose("x", None).sent, 0..1);
    }
}
