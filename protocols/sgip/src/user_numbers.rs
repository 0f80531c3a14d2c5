//! The Submit recipient list (`UserCount` × 21-byte `UserNumber`).
//!
//! Almost every Submit has exactly one recipient (Unicom's SGIP 1.3 even rejects
//! more), so one number is stored inline and a list only allocates from the second
//! number on: decoding the common Submit does not touch the heap for its recipients.

use std::fmt;
use std::ops::Deref;

use wire::{EncodeError, Octets};

/// A recipient number field: 21 bytes, `86`-prefixed MSISDN.
pub type UserNumber = Octets<21>;

/// Most recipients one Submit may carry (`UserCount` 1–100).
pub const MAX_USER_COUNT: usize = 100;

/// The recipients of a Submit, in wire order.
#[derive(Clone, Default)]
pub struct UserNumbers(Repr);

#[derive(Clone)]
enum Repr {
    One(UserNumber),
    Many(Vec<UserNumber>),
}

impl Default for Repr {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl UserNumbers {
    /// No recipients (must be filled before encoding).
    pub fn new() -> Self {
        Self::default()
    }

    /// Exactly one recipient, stored inline.
    pub fn one(number: UserNumber) -> Self {
        Self(Repr::One(number))
    }

    /// From text numbers; fails (naming `UserNumber`) when one exceeds 21 bytes.
    pub fn parse<S: AsRef<str>>(numbers: &[S]) -> Result<Self, EncodeError> {
        numbers
            .iter()
            .map(|n| Octets::for_field("SGIP_SUBMIT", "UserNumber", n.as_ref().as_bytes()))
            .collect()
    }

    /// The numbers as a slice.
    pub fn as_slice(&self) -> &[UserNumber] {
        match &self.0 {
            Repr::One(n) => std::slice::from_ref(n),
            Repr::Many(v) => v,
        }
    }

    /// Append a recipient.
    pub fn push(&mut self, number: UserNumber) {
        let repr = std::mem::take(&mut self.0);
        self.0 = match repr {
            Repr::One(first) => Repr::Many(vec![first, number]),
            Repr::Many(v) if v.is_empty() => Repr::One(number),
            Repr::Many(mut v) => {
                v.push(number);
                Repr::Many(v)
            }
        };
    }
}

impl Deref for UserNumbers {
    type Target = [UserNumber];

    fn deref(&self) -> &[UserNumber] {
        self.as_slice()
    }
}

impl PartialEq for UserNumbers {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for UserNumbers {}

impl std::hash::Hash for UserNumbers {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for UserNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl From<UserNumber> for UserNumbers {
    fn from(n: UserNumber) -> Self {
        Self::one(n)
    }
}

impl From<Vec<UserNumber>> for UserNumbers {
    fn from(v: Vec<UserNumber>) -> Self {
        if v.len() == 1 {
            v.into_iter().collect()
        } else {
            Self(Repr::Many(v))
        }
    }
}

impl FromIterator<UserNumber> for UserNumbers {
    fn from_iter<I: IntoIterator<Item = UserNumber>>(iter: I) -> Self {
        let mut out = Self::new();
        for n in iter {
            out.push(n);
        }
        out
    }
}

impl<'a> IntoIterator for &'a UserNumbers {
    type Item = &'a UserNumber;
    type IntoIter = std::slice::Iter<'a, UserNumber>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn num(s: &str) -> UserNumber {
        Octets::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn one_number_is_inline_and_more_grow_a_list() {
        let mut list = UserNumbers::new();
        assert!(list.is_empty());
        list.push(num("8613012345678"));
        assert!(matches!(list.0, Repr::One(_)));
        list.push(num("8613012345679"));
        list.push(num("8613012345670"));
        assert_eq!(list.len(), 3);
        assert_eq!(list[2].value(), b"8613012345670");
        assert_eq!(
            list.iter().filter(|n| n.value().starts_with(b"86")).count(),
            3
        );
    }

    #[test]
    fn equality_ignores_representation() {
        let a = UserNumbers::one(num("861"));
        let b = UserNumbers(Repr::Many(vec![num("861")]));
        assert_eq!(a, b);
        assert_eq!(UserNumbers::from(vec![num("861")]), a);
        assert!(matches!(
            UserNumbers::from(vec![num("861")]).0,
            Repr::One(_)
        ));
        assert_ne!(a, UserNumbers::new());
        assert_eq!(format!("{a:?}"), "[\"861\"]");
    }

    #[test]
    fn parse_names_the_field_when_too_long() {
        let ok = UserNumbers::parse(&["8613012345678", "8613012345679"]).unwrap();
        assert_eq!(ok.len(), 2);
        let err = UserNumbers::parse(&["8".repeat(22)]).unwrap_err();
        assert_eq!((err.pdu, err.field), ("SGIP_SUBMIT", "UserNumber"));
    }
}
