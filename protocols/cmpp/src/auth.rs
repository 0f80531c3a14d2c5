//! Login digests of CMPP_CONNECT and CMPP_CONNECT_RESP (cmpp.md §5).
//!
//! * AuthenticatorSource = MD5(Source_Addr ‖ 9 × 0x00 ‖ secret ‖ `MMDDHHMMSS`)
//! * AuthenticatorISMG = MD5(Status ‖ AuthenticatorSource ‖ secret)
//!
//! Which Status bytes enter the second digest is disputed (README disagreement 1): the
//! wire width (1 byte in 2.0, 4 in 3.0; gocmpp) or always 4 bytes (SMSGate). We emit the
//! wire width and [`verify_authenticator_ismg`] accepts both.

use md5::{Digest, Md5};

use crate::timestamp::wire_digits;
use crate::version::Version;

/// AuthenticatorSource of a CONNECT.
///
/// `source_addr` is the SP_Id (normally six digits), `secret` the shared password and
/// `timestamp` the CONNECT Timestamp field; its ten digits are restored with `%010d`.
pub fn authenticator_source(source_addr: &[u8], secret: &[u8], timestamp: u32) -> [u8; 16] {
    Md5::new()
        .chain_update(source_addr)
        .chain_update([0u8; 9])
        .chain_update(secret)
        .chain_update(wire_digits(timestamp))
        .finalize()
        .into()
}

/// Server side: does `received` match the digest of `source_addr`, `secret`, `timestamp`?
pub fn verify_authenticator_source(
    source_addr: &[u8],
    secret: &[u8],
    timestamp: u32,
    received: &[u8; 16],
) -> bool {
    authenticator_source(source_addr, secret, timestamp) == *received
}

/// AuthenticatorISMG of a CONNECT_RESP with the Status hashed at its wire width
/// (the low byte in 2.0, four big-endian bytes in 3.0).
pub fn authenticator_ismg(
    version: Version,
    status: u32,
    authenticator_source: &[u8; 16],
    secret: &[u8],
) -> [u8; 16] {
    let wide = status.to_be_bytes();
    let status_bytes: &[u8] = match version {
        Version::V20 => &wide[3..],
        Version::V30 => &wide,
    };
    ismg_digest(status_bytes, authenticator_source, secret)
}

/// Client side: does `received` match AuthenticatorISMG? Accepts the wire-width form and
/// the always-4-byte form some gateways use for 2.0 (README disagreement 1).
pub fn verify_authenticator_ismg(
    version: Version,
    status: u32,
    authenticator_source: &[u8; 16],
    secret: &[u8],
    received: &[u8; 16],
) -> bool {
    authenticator_ismg(version, status, authenticator_source, secret) == *received
        || ismg_digest(&status.to_be_bytes(), authenticator_source, secret) == *received
}

fn ismg_digest(status: &[u8], authenticator_source: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    Md5::new()
        .chain_update(status)
        .chain_update(authenticator_source)
        .chain_update(secret)
        .finalize()
        .into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn hex16(s: &str) -> [u8; 16] {
        wire::hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn gocmpp_published_vector() {
        // cmpp.md §15 cross-check: 900001 / 888888 / 1021080510.
        let d = authenticator_source(b"900001", b"888888", 1_021_080_510);
        assert_eq!(d, hex16("90d00c1d517abd0b4f65f6bcf8535d16"));
    }

    #[test]
    fn reference_source_digest_restores_leading_zero() {
        let d = authenticator_source(b"901234", b"Sec@2024", 102_030_405);
        assert_eq!(d, hex16("091080a465f383be4cdceeced3b91795"));
        assert!(verify_authenticator_source(
            b"901234",
            b"Sec@2024",
            102_030_405,
            &d
        ));
        assert!(!verify_authenticator_source(
            b"901234",
            b"wrong",
            102_030_405,
            &d
        ));
        // Hashing "102030405" (nine digits) would be the classic bug.
        assert!(!verify_authenticator_source(
            b"901234",
            b"Sec@2024",
            1_020_304_050,
            &d
        ));
    }

    #[test]
    fn ismg_digest_uses_wire_width() {
        let src = hex16("091080a465f383be4cdceeced3b91795");
        assert_eq!(
            authenticator_ismg(Version::V30, 0, &src, b"Sec@2024"),
            hex16("ade4f350510c84558bdd31c4703873ba")
        );
        assert_eq!(
            authenticator_ismg(Version::V20, 0, &src, b"Sec@2024"),
            hex16("65587cf23139d5e89104dc4a9ebb6624")
        );
    }

    #[test]
    fn verify_ismg_accepts_both_status_widths_for_2_0() {
        let src = hex16("091080a465f383be4cdceeced3b91795");
        let one_byte = hex16("65587cf23139d5e89104dc4a9ebb6624");
        let four_bytes = hex16("ade4f350510c84558bdd31c4703873ba");
        assert!(verify_authenticator_ismg(
            Version::V20,
            0,
            &src,
            b"Sec@2024",
            &one_byte
        ));
        assert!(verify_authenticator_ismg(
            Version::V20,
            0,
            &src,
            b"Sec@2024",
            &four_bytes
        ));
        assert!(verify_authenticator_ismg(
            Version::V30,
            0,
            &src,
            b"Sec@2024",
            &four_bytes
        ));
        // 3.0's wire width *is* four bytes; a one-byte digest there is not a seen form.
        assert!(!verify_authenticator_ismg(
            Version::V30,
            0,
            &src,
            b"Sec@2024",
            &one_byte
        ));
        assert!(!verify_authenticator_ismg(
            Version::V20,
            0,
            &src,
            b"other",
            &one_byte
        ));
        assert!(!verify_authenticator_ismg(
            Version::V20,
            3,
            &src,
            b"Sec@2024",
            &one_byte
        ));
    }
}
