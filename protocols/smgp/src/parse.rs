//! Glue between the nom field parsers of `wire::field` and this crate's decoders.

use wire::DecodeError;
use wire::field::PResult;

/// Like `wire::field::finish` with `strict = false`, but hands back the unparsed rest
/// (the TLV area of Submit / Deliver) instead of dropping it.
pub(crate) fn with_rest<'a, T>(
    pdu: &'static str,
    result: PResult<'a, T>,
) -> Result<(&'a [u8], T), DecodeError> {
    result.map_err(|e| match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => DecodeError {
            pdu,
            field: e.field,
            kind: e.kind,
        },
        nom::Err::Incomplete(_) => DecodeError::truncated(pdu, "(end)", 1, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::field::u16_be;

    #[test]
    fn keeps_the_rest_and_names_the_field() {
        assert_eq!(with_rest("P", u16_be("A")(&[0, 1, 2])), Ok((&[2u8][..], 1)));
        assert_eq!(
            with_rest("P", u16_be("A")(&[0])),
            Err(DecodeError::truncated("P", "A", 2, 1))
        );
    }
}
