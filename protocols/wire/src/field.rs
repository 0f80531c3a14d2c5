//! Field-level building blocks: fixed-size octet strings and nom parsers that name
//! the field they fail on.
//!
//! Every protocol here lays PDUs out as fixed-width fields: big-endian integers and
//! "octet strings" that are left-aligned and padded with 0x00 (a value that fills the
//! field has no terminator). [`Octets`] keeps the raw bytes, so a decoded PDU
//! re-encodes byte-for-byte even when a gateway leaves garbage after the NUL, and
//! offers the logical value (up to the first NUL) for everything else.
//!
//! Parsers return [`PResult`]; [`finish`] turns the outcome into a [`DecodeError`]
//! naming the PDU and field.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};
use nom::IResult;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

/// A fixed-size octet string of exactly `N` bytes as it appears on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Octets<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Octets<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> Octets<N> {
    /// The all-zero (empty) value.
    pub const EMPTY: Self = Self([0; N]);

    /// Left-align `value` and pad with 0x00. Fails if `value` is longer than `N`.
    pub fn new(value: &[u8]) -> Result<Self, usize> {
        if value.len() > N {
            return Err(value.len());
        }
        let mut raw = [0u8; N];
        raw[..value.len()].copy_from_slice(value);
        Ok(Self(raw))
    }

    /// Like [`Octets::new`] but names the PDU and field when the value is too long.
    pub fn for_field(
        pdu: &'static str,
        field: &'static str,
        value: &[u8],
    ) -> Result<Self, EncodeError> {
        Self::new(value).map_err(|len| {
            EncodeError::new(
                pdu,
                field,
                format!("{len} bytes do not fit the {N}-byte field"),
            )
        })
    }

    /// Copy exactly `N` raw bytes (as read from the wire).
    pub fn from_raw(raw: &[u8; N]) -> Self {
        Self(*raw)
    }

    /// The raw `N` bytes, padding included.
    pub fn raw(&self) -> &[u8; N] {
        &self.0
    }

    /// The logical value: bytes up to (not including) the first 0x00.
    pub fn value(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// The logical value as text (invalid UTF-8 replaced).
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.value())
    }

    /// True when the logical value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.first().is_none_or(|&b| b == 0)
    }

    /// Append the raw bytes to `buf`.
    pub fn put(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.0);
    }
}

impl<const N: usize> fmt::Debug for Octets<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

/// Parser error: which field failed and why. Converted into a [`DecodeError`] by
/// [`finish`] once the PDU name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Spec name of the field.
    pub field: &'static str,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl FieldError {
    /// The field holds a value the protocol does not allow.
    pub fn invalid(
        field: &'static str,
        value: impl fmt::Display,
        reason: &'static str,
    ) -> nom::Err<Self> {
        nom::Err::Error(Self {
            field,
            kind: DecodeErrorKind::Invalid {
                value: value.to_string(),
                reason,
            },
        })
    }
}

impl<'a> nom::error::ParseError<&'a [u8]> for FieldError {
    fn from_error_kind(input: &'a [u8], kind: nom::error::ErrorKind) -> Self {
        Self {
            field: "(unnamed)",
            kind: DecodeErrorKind::Invalid {
                value: format!("{kind:?} with {} byte(s) left", input.len()),
                reason: "malformed",
            },
        }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result type of every field parser.
pub type PResult<'a, T> = IResult<&'a [u8], T, FieldError>;

#[inline(always)]
fn need(field: &'static str, input: &[u8], n: usize) -> Result<(), nom::Err<FieldError>> {
    if input.len() < n {
        Err(nom::Err::Error(FieldError {
            field,
            kind: DecodeErrorKind::Truncated {
                needed: n,
                available: input.len(),
            },
        }))
    } else {
        Ok(())
    }
}

/// Take exactly `n` bytes for `field`.
#[inline]
pub fn take(field: &'static str, n: usize) -> impl Fn(&[u8]) -> PResult<'_, &[u8]> {
    #[inline(always)]
    move |input| {
        need(field, input, n)?;
        let (bytes, rest) = input.split_at(n);
        Ok((rest, bytes))
    }
}

/// A one-byte unsigned integer.
#[inline]
pub fn u8_be(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u8> {
    #[inline(always)]
    move |input| {
        need(field, input, 1)?;
        Ok((&input[1..], input[0]))
    }
}

/// A two-byte big-endian unsigned integer.
#[inline]
pub fn u16_be(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u16> {
    #[inline(always)]
    move |input| {
        need(field, input, 2)?;
        Ok((&input[2..], u16::from_be_bytes([input[0], input[1]])))
    }
}

/// A four-byte big-endian unsigned integer.
#[inline]
pub fn u32_be(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u32> {
    #[inline(always)]
    move |input| {
        need(field, input, 4)?;
        Ok((
            &input[4..],
            u32::from_be_bytes([input[0], input[1], input[2], input[3]]),
        ))
    }
}

/// An eight-byte big-endian unsigned integer.
#[inline]
pub fn u64_be(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u64> {
    #[inline(always)]
    move |input| {
        need(field, input, 8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&input[..8]);
        Ok((&input[8..], u64::from_be_bytes(raw)))
    }
}

/// A fixed-size octet string of `N` bytes.
#[inline]
pub fn octets<const N: usize>(field: &'static str) -> impl Fn(&[u8]) -> PResult<'_, Octets<N>> {
    #[inline(always)]
    move |input| {
        need(field, input, N)?;
        let mut raw = [0u8; N];
        raw.copy_from_slice(&input[..N]);
        Ok((&input[N..], Octets(raw)))
    }
}

/// A `width`-byte octet string stored in a wider [`Octets<N>`] (for fields whose size
/// depends on the protocol version, e.g. CMPP 2.0's 21-byte vs 3.0's 32-byte numbers).
#[inline]
pub fn octets_narrow<const N: usize>(
    field: &'static str,
    width: usize,
) -> impl Fn(&[u8]) -> PResult<'_, Octets<N>> {
    debug_assert!(width <= N);
    #[inline(always)]
    move |input| {
        need(field, input, width)?;
        let mut raw = [0u8; N];
        raw[..width].copy_from_slice(&input[..width]);
        Ok((&input[width..], Octets(raw)))
    }
}

/// Write `value` into a `width`-byte field (left-aligned, 0x00 padded).
/// Fails, naming the field, when the *logical* value is longer than `width`.
pub fn put_padded(
    buf: &mut BytesMut,
    pdu: &'static str,
    field: &'static str,
    value: &[u8],
    width: usize,
) -> Result<(), EncodeError> {
    // Keep raw bytes after the logical end when they fit, so that decode → encode is
    // byte-exact; only zero padding beyond `width` may be dropped.
    let used = value.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    if used > width {
        return Err(EncodeError::new(
            pdu,
            field,
            format!("{used} bytes do not fit the {width}-byte field"),
        ));
    }
    buf.put_slice(&value[..used]);
    buf.put_bytes(0, width - used);
    Ok(())
}

/// Turn a parser outcome into a [`DecodeError`] for `pdu`. With `strict`, bytes left
/// after the last field are an error; otherwise they are ignored.
pub fn finish<T>(
    pdu: &'static str,
    strict: bool,
    result: PResult<'_, T>,
) -> Result<T, DecodeError> {
    match result {
        Ok((rest, value)) => {
            if strict && !rest.is_empty() {
                Err(DecodeError::trailing(pdu, rest.len()))
            } else {
                Ok(value)
            }
        }
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(DecodeError {
            pdu,
            field: e.field,
            kind: e.kind,
        }),
        Err(nom::Err::Incomplete(_)) => Err(DecodeError {
            pdu,
            field: "(end)",
            kind: DecodeErrorKind::Truncated {
                needed: 1,
                available: 0,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octets_value_stops_at_first_nul_but_keeps_raw() {
        let o = Octets::<6>::from_raw(b"ab\0cd\0");
        assert_eq!(o.value(), b"ab");
        assert_eq!(o.raw(), b"ab\0cd\0");
        assert!(!o.is_empty());
        assert!(Octets::<4>::EMPTY.is_empty());
    }

    #[test]
    fn octets_new_rejects_long_values() {
        assert_eq!(Octets::<2>::new(b"abc"), Err(3));
        assert_eq!(Octets::<4>::new(b"ab").map(|o| o.0), Ok(*b"ab\0\0"));
    }

    #[test]
    fn parsers_name_the_field_on_truncation() {
        let r = finish("TEST_PDU", true, u32_be("Result")(&[0, 1]));
        assert_eq!(r, Err(DecodeError::truncated("TEST_PDU", "Result", 4, 2)));
        let err = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "TEST_PDU.Result: truncated: needs 4 byte(s), 2 left in the frame"
        );
    }

    #[test]
    fn strict_finish_rejects_trailing_bytes() {
        assert_eq!(
            finish("P", true, u8_be("A")(&[1, 2])),
            Err(DecodeError::trailing("P", 1))
        );
        assert_eq!(finish("P", false, u8_be("A")(&[1, 2])), Ok(1));
    }

    #[test]
    fn narrow_octets_and_padded_put_round_trip() {
        let input = [b'1', b'3', 0, 0, 0];
        let (rest, o) = octets_narrow::<8>("Num", 5)(&input)
            .map_err(|_| ())
            .unwrap_or((&[], Octets::EMPTY));
        assert!(rest.is_empty());
        assert_eq!(o.value(), b"13");
        let mut buf = BytesMut::new();
        assert!(put_padded(&mut buf, "P", "Num", o.raw(), 5).is_ok());
        assert_eq!(&buf[..], &input);
        let err = put_padded(&mut buf, "P", "Num", b"123456", 5);
        assert_eq!(
            err,
            Err(EncodeError::new(
                "P",
                "Num",
                "6 bytes do not fit the 5-byte field"
            ))
        );
    }

    #[test]
    fn integers_are_big_endian() {
        assert_eq!(u16_be("x")(&[1, 2]).map(|r| r.1), Ok(0x0102));
        assert_eq!(u64_be("x")(&[0, 0, 0, 0, 0, 0, 1, 0]).map(|r| r.1), Ok(256));
    }
}
