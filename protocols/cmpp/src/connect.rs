//! Login: CMPP_CONNECT and CMPP_CONNECT_RESP (cmpp.md §5).

use bytes::{BufMut, BytesMut};
use wire::{DecodeError, EncodeError, Octets};

use crate::auth;
use crate::fields::put_result;
use crate::reader::Reader;
use crate::status::connect_status_meaning;
use crate::timestamp::Timestamp;
use crate::version::Version;

pub(crate) const CONNECT_PDU: &str = "CMPP_CONNECT";
pub(crate) const CONNECT_RESP_PDU: &str = "CMPP_CONNECT_RESP";

/// CMPP_CONNECT body, SP → ISMG (same layout in 2.0 and 3.0; Total_Length 39).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 6 | Source_Addr | SP_Id, e.g. `901234` |
/// | 18 | 16 | AuthenticatorSource | MD5(Source_Addr ‖ 9×00 ‖ secret ‖ MMDDHHMMSS), see [`auth`] |
/// | 34 | 1 | Version | 0x20 / 0x21 = 2.x, 0x30 = 3.0 |
/// | 35 | 4 | Timestamp | MMDDHHMMSS as a decimal integer |
///
/// Example (SP 901234, secret `Sec@2024`, 01-02 03:04:05, CMPP 3.0, sequence 1):
/// `00000027 00000001 00000001 393031323334 091080a465f383be4cdceeced3b91795 30 0614dc45`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect {
    /// SP_Id (six digits), or the gateway code between gateways.
    pub source_addr: Octets<6>,
    /// MD5 login digest.
    pub authenticator_source: [u8; 16],
    /// Requested version byte as sent (0x20, 0x21, 0x30, or anything a peer sends).
    pub version: u8,
    /// `MMDDHHMMSS` as a decimal integer.
    pub timestamp: u32,
}

impl Connect {
    pub(crate) const BODY_LEN: usize = 27;

    /// A login request for `version` signed with `secret` at `timestamp` (China local time).
    pub fn new(
        version: Version,
        source_addr: &str,
        secret: &[u8],
        timestamp: Timestamp,
    ) -> Result<Self, EncodeError> {
        Self::with_wire_timestamp(version, source_addr, secret, timestamp.to_wire())
    }

    /// Like [`Connect::new`] with the Timestamp field given as its wire integer, for
    /// clients that log in with a constant such as Huawei's 8080808 (`0008080808`).
    pub fn with_wire_timestamp(
        version: Version,
        source_addr: &str,
        secret: &[u8],
        timestamp: u32,
    ) -> Result<Self, EncodeError> {
        let source_addr = Octets::for_field(CONNECT_PDU, "Source_Addr", source_addr.as_bytes())?;
        Ok(Self {
            authenticator_source: auth::authenticator_source(
                source_addr.value(),
                secret,
                timestamp,
            ),
            source_addr,
            version: version.byte(),
            timestamp,
        })
    }

    /// The version the client asks for, if it is one CMPP defines.
    pub fn requested_version(&self) -> Option<Version> {
        Version::from_byte(self.version)
    }

    /// The Timestamp field as a date-time, if it is a valid `MMDDHHMMSS`.
    pub fn timestamp(&self) -> Option<Timestamp> {
        Timestamp::from_wire(self.timestamp)
    }

    /// Server side: is AuthenticatorSource right for this `secret`?
    pub fn verify(&self, secret: &[u8]) -> bool {
        auth::verify_authenticator_source(
            self.source_addr.value(),
            secret,
            self.timestamp,
            &self.authenticator_source,
        )
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(CONNECT_PDU, body);
        let source_addr = r.octets::<6>("Source_Addr")?;
        let authenticator_source = *r.array::<16>("AuthenticatorSource")?;
        let version = r.u8("Version")?;
        let timestamp = r.u32("Timestamp")?;
        r.end()?;
        Ok(Self {
            source_addr,
            authenticator_source,
            version,
            timestamp,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.source_addr.put(buf);
        buf.put_slice(&self.authenticator_source);
        buf.put_u8(self.version);
        buf.put_u32(self.timestamp);
    }
}

/// CMPP_CONNECT_RESP body, ISMG → SP. Status is 1 byte in 2.0 (Total_Length 30) and
/// 4 bytes in 3.0 (Total_Length 33).
///
/// | Offset | Size 2.0 / 3.0 | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 1 / 4 | Status | 0 OK, 1 structure, 2 source address, 3 auth, 4 version too high ([`connect_status_meaning`]) |
/// | 13 / 16 | 16 | AuthenticatorISMG | MD5(Status ‖ AuthenticatorSource ‖ secret); zeros on failure |
/// | 29 / 32 | 1 | Version | highest version the server supports |
///
/// Example (3.0, status 0): `00000021 80000001 00000001 00000000 ade4f350510c84558bdd31c4703873ba 30`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectResp {
    /// Login result; must fit one byte for 2.0.
    pub status: u32,
    /// MD5 answer digest (all zeros when the login failed).
    pub authenticator_ismg: [u8; 16],
    /// Highest version the server supports, as sent.
    pub version: u8,
}

impl ConnectResp {
    /// The server's answer to `connect`: with status 0 the digest is computed at the wire
    /// width of `version`; otherwise it is left empty (zeros), as the spec asks.
    pub fn answer(version: Version, status: u32, connect: &Connect, secret: &[u8]) -> Self {
        let authenticator_ismg = if status == 0 {
            auth::authenticator_ismg(version, status, &connect.authenticator_source, secret)
        } else {
            [0; 16]
        };
        Self {
            status,
            authenticator_ismg,
            version: version.byte(),
        }
    }

    /// Client side: does AuthenticatorISMG prove the server knows `secret`? Accepts both
    /// status widths (README disagreement 1).
    pub fn verify(&self, version: Version, connect: &Connect, secret: &[u8]) -> bool {
        auth::verify_authenticator_ismg(
            version,
            self.status,
            &connect.authenticator_source,
            secret,
            &self.authenticator_ismg,
        )
    }

    /// Human-readable Status.
    pub fn status_meaning(&self) -> &'static str {
        connect_status_meaning(self.status)
    }

    pub(crate) fn body_len(version: Version) -> usize {
        version.result_width() + 17
    }

    pub(crate) fn decode(version: Version, body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(CONNECT_RESP_PDU, body);
        let status = r.result(version, "Status")?;
        let authenticator_ismg = *r.array::<16>("AuthenticatorISMG")?;
        let ver = r.u8("Version")?;
        r.end()?;
        Ok(Self {
            status,
            authenticator_ismg,
            version: ver,
        })
    }

    pub(crate) fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_result(buf, version, CONNECT_RESP_PDU, "Status", self.status)?;
        buf.put_slice(&self.authenticator_ismg);
        buf.put_u8(self.version);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn login() -> Connect {
        Connect::new(
            Version::V30,
            "901234",
            b"Sec@2024",
            Timestamp::new(1, 2, 3, 4, 5).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn connect_new_signs_and_verifies() {
        let c = login();
        assert_eq!(
            wire::hex::encode(&c.authenticator_source),
            "091080a465f383be4cdceeced3b91795"
        );
        assert_eq!(c.timestamp, 102_030_405);
        assert_eq!(c.version, 0x30);
        assert!(c.verify(b"Sec@2024"));
        assert!(!c.verify(b"Sec@2025"));
        assert_eq!(c.requested_version(), Some(Version::V30));
        assert_eq!(c.timestamp(), Timestamp::new(1, 2, 3, 4, 5));
    }

    #[test]
    fn source_addr_longer_than_six_bytes_is_rejected() {
        let err = Connect::with_wire_timestamp(Version::V20, "9012345", b"x", 0).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_CONNECT", "Source_Addr"));
    }

    #[test]
    fn answer_digest_only_on_success() {
        let c = login();
        let ok = ConnectResp::answer(Version::V20, 0, &c, b"Sec@2024");
        assert_eq!(
            wire::hex::encode(&ok.authenticator_ismg),
            "65587cf23139d5e89104dc4a9ebb6624"
        );
        assert!(ok.verify(Version::V20, &c, b"Sec@2024"));
        assert!(!ok.verify(Version::V20, &c, b"other"));
        let failed = ConnectResp::answer(Version::V30, 3, &c, b"Sec@2024");
        assert_eq!(failed.authenticator_ismg, [0; 16]);
        assert_eq!(failed.status_meaning(), "authentication error");
    }

    #[test]
    fn connect_resp_status_width() {
        let r = ConnectResp {
            status: 300,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        assert!(r.encode(Version::V30, &mut buf).is_ok());
        assert_eq!(buf.len(), ConnectResp::body_len(Version::V30));
        let err = r.encode(Version::V20, &mut BytesMut::new()).unwrap_err();
        assert_eq!(err.field, "Status");
    }

    #[test]
    fn truncated_connect_names_the_field() {
        let err = Connect::decode(&[0x39; 20]).unwrap_err();
        assert_eq!(
            (err.pdu, err.field),
            ("CMPP_CONNECT", "AuthenticatorSource")
        );
    }
}
