//! The Dest_terminal_Id list of a SUBMIT: up to 100 numbers, stored without a heap
//! allocation in the usual single-recipient case.
//!
//! Each number is kept as a 32-byte octet string (the 3.0 width); under 2.0 only the
//! first 21 bytes exist on the wire.

use std::fmt;

use wire::{EncodeError, Octets};

/// Recipient numbers of a CMPP_SUBMIT, in wire order.
///
/// The first number lives inline; a `Vec` is only allocated for a group send.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct DestTerminalIds {
    // Invariant: `rest` is empty whenever `first` is `None`, so equal lists compare equal.
    first: Option<Octets<32>>,
    rest: Vec<Octets<32>>,
}

impl DestTerminalIds {
    /// Most recipients one SUBMIT may carry. The spec says "< 100"; gateways and
    /// libraries accept 100, so we do too.
    pub const MAX: usize = 100;

    /// An empty list.
    pub const fn new() -> Self {
        Self {
            first: None,
            rest: Vec::new(),
        }
    }

    /// A single recipient.
    pub const fn one(number: Octets<32>) -> Self {
        Self {
            first: Some(number),
            rest: Vec::new(),
        }
    }

    /// Build from numbers such as `"13800138000"`; fails if one is longer than 32 bytes
    /// or there are more than [`MAX`](Self::MAX). The version's 21-byte limit for 2.0 is
    /// checked when encoding.
    pub fn from_numbers<I, S>(numbers: I) -> Result<Self, EncodeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut out = Self::new();
        for n in numbers {
            if out.len() == Self::MAX {
                return Err(EncodeError::new(
                    "CMPP_SUBMIT",
                    "DestUsr_tl",
                    format!("more than {} destination numbers", Self::MAX),
                ));
            }
            out.push(Octets::for_field(
                "CMPP_SUBMIT",
                "Dest_terminal_Id",
                n.as_ref(),
            )?);
        }
        Ok(out)
    }

    /// Append a number.
    pub fn push(&mut self, number: Octets<32>) {
        if self.first.is_none() {
            self.first = Some(number);
        } else {
            self.rest.push(number);
        }
    }

    /// Make room for `additional` more numbers (decoding a group send).
    pub(crate) fn reserve(&mut self, additional: usize) {
        let inline_free = usize::from(self.first.is_none());
        self.rest.reserve(additional.saturating_sub(inline_free));
    }

    /// Number of recipients (DestUsr_tl).
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// True when there is no recipient.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The `index`-th number.
    pub fn get(&self, index: usize) -> Option<&Octets<32>> {
        match index {
            0 => self.first.as_ref(),
            i => self.rest.get(i - 1),
        }
    }

    /// The numbers in wire order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Octets<32>> + '_ {
        let first = self.first.iter();
        // Chain is not ExactSizeIterator; both halves know their length, so wrap it.
        Exact {
            inner: first.chain(self.rest.iter()),
            len: self.len(),
        }
    }
}

struct Exact<I> {
    inner: I,
    len: usize,
}

impl<I: Iterator> Iterator for Exact<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        if item.is_some() {
            self.len -= 1;
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<I: Iterator> ExactSizeIterator for Exact<I> {}

impl FromIterator<Octets<32>> for DestTerminalIds {
    fn from_iter<T: IntoIterator<Item = Octets<32>>>(iter: T) -> Self {
        let mut out = Self::new();
        for n in iter {
            out.push(n);
        }
        out
    }
}

impl From<Octets<32>> for DestTerminalIds {
    fn from(number: Octets<32>) -> Self {
        Self::one(number)
    }
}

impl fmt::Debug for DestTerminalIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn one_number_is_inline_and_lists_compare_by_content() {
        let a = DestTerminalIds::from_numbers(["13800138000"]).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a.rest.capacity(), 0);
        assert_eq!(a.get(0).map(|o| o.value()), Some(&b"13800138000"[..]));
        assert_eq!(
            a,
            DestTerminalIds::one(Octets::new(b"13800138000").unwrap())
        );
        assert_eq!(format!("{a:?}"), "[\"13800138000\"]");
    }

    #[test]
    fn many_numbers_keep_order() {
        let nums = ["1", "2", "3"];
        let l = DestTerminalIds::from_numbers(nums).unwrap();
        let got: Vec<&[u8]> = l.iter().map(|o| o.value()).collect();
        assert_eq!(got, vec![&b"1"[..], b"2", b"3"]);
        assert_eq!(l.iter().len(), 3);
        assert_eq!(l.get(3), None);
        let collected: DestTerminalIds = l.iter().copied().collect();
        assert_eq!(collected, l);
    }

    #[test]
    fn limits() {
        assert!(DestTerminalIds::from_numbers(vec!["1"; 100]).is_ok());
        let err = DestTerminalIds::from_numbers(vec!["1"; 101]).unwrap_err();
        assert_eq!(err.field, "DestUsr_tl");
        let err = DestTerminalIds::from_numbers(["1".repeat(33)]).unwrap_err();
        assert_eq!(err.field, "Dest_terminal_Id");
        assert!(DestTerminalIds::new().is_empty());
    }
}
