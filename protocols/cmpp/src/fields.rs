//! Version-dependent encoding checks: the Status / Result / Success_Id integer that is one
//! byte in CMPP 2.0 and four in 3.0, and the bytes that exist only in 3.0.

use bytes::{BufMut, BytesMut};
use wire::{EncodeError, Octets};

use crate::version::Version;

/// Write a result-like integer at the version's width; fails if it does not fit.
pub(crate) fn put_result(
    buf: &mut BytesMut,
    version: Version,
    pdu: &'static str,
    field: &'static str,
    value: u32,
) -> Result<(), EncodeError> {
    match version {
        Version::V20 => {
            let byte = u8::try_from(value).map_err(|_| {
                EncodeError::new(
                    pdu,
                    field,
                    format!("{value} does not fit the 1-byte CMPP 2.0 field"),
                )
            })?;
            buf.put_u8(byte);
        }
        Version::V30 => buf.put_u32(value),
    }
    Ok(())
}

/// Write the first `width` bytes of an `N`-byte slot (2.0's 21-byte numbers kept in the
/// 32-byte 3.0 slot, 2.0's 8-byte Reserve in the 20-byte LinkID slot). The bytes beyond
/// `width` must be zero padding, so a value that does not fit fails instead of being
/// cut; raw bytes after a NUL inside `width` are kept for byte-exact re-encoding.
#[inline(always)]
pub(crate) fn put_narrow<const N: usize>(
    buf: &mut BytesMut,
    pdu: &'static str,
    field: &'static str,
    value: &Octets<N>,
    width: usize,
) -> Result<(), EncodeError> {
    let raw = value.raw();
    let Some((head, tail)) = raw.split_at_checked(width) else {
        // A slot narrower than the field: pad it out.
        buf.put_slice(raw);
        buf.put_bytes(0, width - N);
        return Ok(());
    };
    if tail.iter().any(|&b| b != 0) {
        let used = raw.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        return Err(EncodeError::new(
            pdu,
            field,
            format!("{used} bytes do not fit the {width}-byte field"),
        ));
    }
    buf.put_slice(head);
    Ok(())
}

/// Check that a 3.0-only byte is 0 when encoding 2.0, so a value set by the caller is
/// never dropped silently.
pub(crate) fn check_v30_only(
    version: Version,
    pdu: &'static str,
    field: &'static str,
    value: u8,
) -> Result<(), EncodeError> {
    if version == Version::V20 && value != 0 {
        return Err(EncodeError::new(
            pdu,
            field,
            format!("{value}: field exists only in CMPP 3.0, must be 0 for 2.0"),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn result_is_written_at_the_version_width() {
        let mut buf = BytesMut::new();
        assert!(put_result(&mut buf, Version::V20, "P", "Result", 8).is_ok());
        assert!(put_result(&mut buf, Version::V30, "P", "Result", 8).is_ok());
        assert_eq!(&buf[..], &[8, 0, 0, 0, 8]);
    }

    #[test]
    fn wide_value_does_not_fit_2_0() {
        let mut buf = BytesMut::new();
        let err = put_result(&mut buf, Version::V20, "CMPP_SUBMIT_RESP", "Result", 256);
        assert_eq!(err.map_err(|e| e.field), Err("Result"));
        assert!(buf.is_empty());
    }

    #[test]
    fn narrow_put_keeps_raw_bytes_and_rejects_overflow() {
        let mut buf = BytesMut::new();
        let v = Octets::<8>(*b"13\0x\0\0\0\0");
        assert!(put_narrow(&mut buf, "P", "Num", &v, 4).is_ok());
        assert!(put_narrow(&mut buf, "P", "Num", &v, 8).is_ok());
        assert_eq!(&buf[..], b"13\0x13\0x\0\0\0\0");
        let err = put_narrow(&mut buf, "P", "Num", &v, 3).unwrap_err();
        assert_eq!(
            err,
            EncodeError::new("P", "Num", "4 bytes do not fit the 3-byte field")
        );
        assert_eq!(buf.len(), 12);
        let mut buf = BytesMut::new();
        assert!(put_narrow(&mut buf, "P", "Num", &Octets::<2>(*b"ab"), 4).is_ok());
        assert_eq!(&buf[..], b"ab\0\0");
    }

    #[test]
    fn v30_only_bytes_must_be_zero_in_2_0() {
        assert!(check_v30_only(Version::V20, "P", "Fee_terminal_type", 0).is_ok());
        assert!(check_v30_only(Version::V30, "P", "Fee_terminal_type", 1).is_ok());
        assert!(check_v30_only(Version::V20, "P", "Fee_terminal_type", 1).is_err());
    }
}
