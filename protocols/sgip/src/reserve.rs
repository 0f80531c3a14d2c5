//! The 8-byte `Reserve` fields and the LinkID convention.
//!
//! SGIP 1.2 defines every Reserve as unused, but Unicom carries the **LinkID** of
//! on-demand services there: the SMG puts it in the Reserve of an MO Deliver and the
//! SP copies it into the Reserve of the Submits that answer that MO (Huawei SMProxy;
//! SGIP 1.3 errors 17 and 38 refer to it). The PDUs keep Reserve raw so it
//! re-encodes byte-exactly; this is the shared reading of it.

use wire::Octets;

/// The LinkID in a Reserve field: its logical value (up to the first NUL), or
/// `None` when the field is empty.
pub fn link_id(reserve: &Octets<8>) -> Option<&[u8]> {
    let value = reserve.value();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_reserve_has_no_link_id() {
        assert_eq!(link_id(&Octets::EMPTY), None);
        assert_eq!(link_id(&Octets(*b"\0garbage")), None);
        assert_eq!(link_id(&Octets(*b"12345678")), Some(&b"12345678"[..]));
        assert_eq!(link_id(&Octets(*b"ab\0\0\0\0\0\0")), Some(&b"ab"[..]));
    }
}
