//! A cursor over a PDU body that reads fixed-width fields with the shared nom field
//! parsers of `wire::field` and names the PDU and field it fails on — the decode hot
//! path.
//!
//! Decoders read field after field (`r.u8("Pk_total")?`) instead of threading the
//! remaining input through every line; each read is one of `wire::field`'s nom parsers,
//! inlined, so once a decoder is specialised for a version a SUBMIT decodes as a
//! handful of fixed-size copies (the target is 5 M SUBMIT decodes per second
//! per core). Errors are built out of line, only when a field is bad.

use wire::field::{self, FieldError, PResult};
use wire::{DecodeError, Octets};

/// Reads fields front to back from one PDU body.
pub(crate) struct Reader<'a> {
    pdu: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Start reading `body` of the PDU named `pdu` (used in errors).
    #[inline(always)]
    pub(crate) fn new(pdu: &'static str, body: &'a [u8]) -> Self {
        Self { pdu, rest: body }
    }

    /// Run one nom field parser on the rest of the body.
    #[inline(always)]
    fn run<T>(&mut self, result: PResult<'a, T>) -> Result<T, DecodeError> {
        match result {
            Ok((rest, value)) => {
                self.rest = rest;
                Ok(value)
            }
            Err(e) => Err(self.lift(e)),
        }
    }

    /// The next `n` bytes.
    #[inline(always)]
    pub(crate) fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        let input = self.rest;
        self.run(field::take(field, n)(input))
    }

    /// The next `N` bytes as an array.
    #[inline(always)]
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<&'a [u8; N], DecodeError> {
        let head = self.take(field, N)?;
        // `take` returned exactly N bytes, so this conversion cannot fail.
        head.try_into()
            .map_err(|_| DecodeError::truncated(self.pdu, field, N, head.len()))
    }

    /// A one-byte unsigned integer.
    #[inline(always)]
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let input = self.rest;
        self.run(field::u8_be(field)(input))
    }

    /// A four-byte big-endian unsigned integer.
    #[inline(always)]
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let input = self.rest;
        self.run(field::u32_be(field)(input))
    }

    /// An eight-byte big-endian unsigned integer.
    #[inline(always)]
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let input = self.rest;
        self.run(field::u64_be(field)(input))
    }

    /// An `N`-byte octet string.
    #[inline(always)]
    pub(crate) fn octets<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<Octets<N>, DecodeError> {
        let input = self.rest;
        self.run(field::octets::<N>(field)(input))
    }

    /// A `width`-byte octet string stored in a wider `Octets<N>` (2.0's 21-byte numbers
    /// in the 32-byte 3.0 slot; 2.0's 8-byte Reserve in the 20-byte LinkID slot).
    #[inline(always)]
    pub(crate) fn narrow<const N: usize>(
        &mut self,
        field: &'static str,
        width: usize,
    ) -> Result<Octets<N>, DecodeError> {
        let input = self.rest;
        self.run(field::octets_narrow::<N>(field, width)(input))
    }

    /// A result-like integer: 1 byte in CMPP 2.0, 4 in 3.0.
    #[inline(always)]
    pub(crate) fn result(
        &mut self,
        version: crate::Version,
        field: &'static str,
    ) -> Result<u32, DecodeError> {
        match version {
            crate::Version::V20 => self.u8(field).map(u32::from),
            crate::Version::V30 => self.u32(field),
        }
    }

    /// The body must end here: fixed layouts have no trailing bytes.
    #[inline(always)]
    pub(crate) fn end(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::trailing(self.pdu, self.rest.len()))
        }
    }

    /// A field value the protocol does not allow.
    #[cold]
    #[inline(never)]
    pub(crate) fn invalid(
        &self,
        field: &'static str,
        value: usize,
        reason: &'static str,
    ) -> DecodeError {
        DecodeError::invalid(self.pdu, field, value, reason)
    }

    /// A nom field error with this reader's PDU name.
    #[cold]
    #[inline(never)]
    fn lift(&self, err: nom::Err<FieldError>) -> DecodeError {
        field::finish::<()>(self.pdu, false, Err(err))
            .err()
            .unwrap_or_else(|| DecodeError::truncated(self.pdu, "(end)", 1, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_fields_in_order() {
        let body = [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', 0, 9];
        let mut r = Reader::new("P", &body);
        assert_eq!(r.u8("A"), Ok(1));
        assert_eq!(r.u32("B"), Ok(2));
        assert_eq!(r.u64("C"), Ok(3));
        assert_eq!(r.octets::<3>("D").map(|o| *o.raw()), Ok(*b"ab\0"));
        assert_eq!(r.take("E", 1), Ok(&[9u8][..]));
        assert_eq!(r.end(), Ok(()));
    }

    #[test]
    fn errors_name_pdu_and_field() {
        let mut r = Reader::new("CMPP_X", &[1, 2]);
        assert_eq!(
            r.u32("Result"),
            Err(DecodeError::truncated("CMPP_X", "Result", 4, 2))
        );
        assert_eq!(r.end(), Err(DecodeError::trailing("CMPP_X", 2)));
        assert_eq!(
            r.take("Msg_Content", 3),
            Err(DecodeError::truncated("CMPP_X", "Msg_Content", 3, 2))
        );
    }

    #[test]
    fn result_width_follows_version() {
        let mut r = Reader::new("P", &[8, 0, 0, 0, 8]);
        assert_eq!(r.result(crate::Version::V20, "Result"), Ok(8));
        assert_eq!(r.result(crate::Version::V30, "Result"), Ok(8));
        assert_eq!(r.end(), Ok(()));
    }

    #[test]
    fn narrow_fills_the_wide_slot() {
        let mut r = Reader::new("P", b"1380");
        let o = r.narrow::<8>("Num", 4);
        assert_eq!(o.map(|o| *o.raw()), Ok(*b"1380\0\0\0\0"));
    }
}
