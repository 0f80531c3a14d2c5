//! Bind: the first command on every SGIP connection, sent by the connection's client.
//!
//! SGIP connections are one-way: the SP connects to the SMG with Login Type 1 to send
//! Submits; the SMG connects to the SP's own listener with Login Type 2 to send
//! Delivers, Reports and UserRpts. The password travels in **plain text** — there is
//! no digest in SGIP.
//!
//! Bind_Resp is the common [`crate::Resp`] body; Unbind and Unbind_Resp have no body.

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be};
use wire::{DecodeError, EncodeError, Octets};

/// Body size of a Bind.
pub const BIND_BODY_LEN: usize = 41;

const PDU: &str = "SGIP_BIND";

/// Bind `Login Type`: which direction the connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LoginType {
    /// 1: SP → SMG; the SP sends Submit / Trace.
    #[default]
    SpToSmg,
    /// 2: SMG → SP; the SMG sends Deliver / Report / UserRpt to the SP's listener.
    SmgToSp,
    /// 3: SMG ⇄ SMG.
    SmgToSmg,
    /// 4: SMG → GNS.
    SmgToGns,
    /// 5: GNS → SMG.
    GnsToSmg,
    /// 6: primary ⇄ backup GNS.
    GnsToGns,
    /// 11: test connection (Trace).
    Test,
    /// Any other value (reserved by the spec), kept as received.
    Other(u8),
}

impl LoginType {
    /// From the wire byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::SpToSmg,
            2 => Self::SmgToSp,
            3 => Self::SmgToSmg,
            4 => Self::SmgToGns,
            5 => Self::GnsToSmg,
            6 => Self::GnsToGns,
            11 => Self::Test,
            other => Self::Other(other),
        }
    }

    /// To the wire byte.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::SpToSmg => 1,
            Self::SmgToSp => 2,
            Self::SmgToSmg => 3,
            Self::SmgToGns => 4,
            Self::GnsToSmg => 5,
            Self::GnsToGns => 6,
            Self::Test => 11,
            Self::Other(v) => v,
        }
    }

    /// Human meaning.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::SpToSmg => "SP to SMG (SP sends commands)",
            Self::SmgToSp => "SMG to SP (SMG sends commands)",
            Self::SmgToSmg => "SMG to SMG",
            Self::SmgToGns => "SMG to GNS",
            Self::GnsToSmg => "GNS to SMG",
            Self::GnsToGns => "primary to backup GNS",
            Self::Test => "test connection (Trace)",
            Self::Other(_) => "reserved login type",
        }
    }
}

/// SGIP_BIND body.
///
/// Bind — Message Length 61:
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 1 | Login Type | [`LoginType`] |
/// | 21 | 16 | Login Name | account issued by the server side |
/// | 37 | 16 | Login Password | plain text |
/// | 53 | 8 | Reserve | |
///
/// Example (Login Type 1, `spuser` / `sppass`, sequence `3010012345-0102030405-1`):
///
/// ```text
/// 00000000  00 00 00 3d 00 00 00 01  b3 69 24 b9 06 14 dc 45
/// 00000010  00 00 00 01 01 73 70 75  73 65 72 00 00 00 00 00
/// 00000020  00 00 00 00 00 73 70 70  61 73 73 00 00 00 00 00
/// 00000030  00 00 00 00 00 00 00 00  00 00 00 00 00
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bind {
    /// Login Type.
    pub login_type: LoginType,
    /// Login Name.
    pub login_name: Octets<16>,
    /// Login Password (plain text).
    pub login_password: Octets<16>,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl Bind {
    /// A Bind with the given credentials; fails when a value exceeds 16 bytes.
    pub fn new(login_type: LoginType, name: &str, password: &str) -> Result<Self, EncodeError> {
        Ok(Self {
            login_type,
            login_name: Octets::for_field(PDU, "Login Name", name.as_bytes())?,
            login_password: Octets::for_field(PDU, "Login Password", password.as_bytes())?,
            reserve: Octets::EMPTY,
        })
    }

    /// The SP's Bind on its outbound (MT) connection to the SMG: Login Type 1.
    pub fn sp_to_smg(name: &str, password: &str) -> Result<Self, EncodeError> {
        Self::new(LoginType::SpToSmg, name, password)
    }

    /// The SMG's Bind on the SP's listener (MO and reports): Login Type 2.
    pub fn smg_to_sp(name: &str, password: &str) -> Result<Self, EncodeError> {
        Self::new(LoginType::SmgToSp, name, password)
    }

    /// Check presented credentials against the configured ones, comparing the
    /// logical values (up to the first NUL) in constant time over the field width so
    /// a listener does not leak how much of a password matched.
    pub fn credentials_match(&self, name: &[u8], password: &[u8]) -> bool {
        let name_ok = ct_eq_field(self.login_name.value(), name);
        let password_ok = ct_eq_field(self.login_password.value(), password);
        name_ok & password_ok
    }

    /// Result code a server should answer this Bind with, given the Login Type it
    /// expects on this listener and the configured credentials: 0, 4 (wrong Login
    /// Type) or 1 (illegal login).
    pub fn check(&self, expected: LoginType, name: &[u8], password: &[u8]) -> u8 {
        if self.login_type != expected {
            4
        } else if !self.credentials_match(name, password) {
            1
        } else {
            0
        }
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, Self::parser(body))
    }

    fn parser(i: &[u8]) -> PResult<'_, Self> {
        let (i, login_type) = u8_be("Login Type")(i)?;
        let (i, login_name) = octets::<16>("Login Name")(i)?;
        let (i, login_password) = octets::<16>("Login Password")(i)?;
        let (i, reserve) = octets::<8>("Reserve")(i)?;
        let login_type = LoginType::from_u8(login_type);
        Ok((
            i,
            Self {
                login_type,
                login_name,
                login_password,
                reserve,
            },
        ))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.login_type.as_u8());
        self.login_name.put(buf);
        self.login_password.put(buf);
        self.reserve.put(buf);
    }
}

/// Constant-time equality of two logical values of a 16-byte field. Lengths differ
/// only when the values differ, and both are padded into 16 bytes before comparing
/// so the running time does not depend on where they diverge.
fn ct_eq_field(a: &[u8], b: &[u8]) -> bool {
    if a.len() > 16 || b.len() > 16 {
        return false;
    }
    let mut pa = [0u8; 16];
    let mut pb = [0u8; 16];
    pa[..a.len()].copy_from_slice(a);
    pb[..b.len()].copy_from_slice(b);
    let diff = pa
        .iter()
        .zip(pb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0 && a.len() == b.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn login_types_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(LoginType::from_u8(v).as_u8(), v);
        }
        assert_eq!(LoginType::from_u8(1), LoginType::SpToSmg);
        assert_eq!(LoginType::from_u8(2), LoginType::SmgToSp);
        assert_eq!(LoginType::from_u8(11), LoginType::Test);
        assert_eq!(LoginType::from_u8(7), LoginType::Other(7));
        assert_eq!(LoginType::Other(7).meaning(), "reserved login type");
    }

    #[test]
    fn builds_and_round_trips_a_bind() {
        let bind = Bind::sp_to_smg("spuser", "sppass").unwrap();
        let mut buf = BytesMut::new();
        bind.encode(&mut buf);
        assert_eq!(buf.len(), BIND_BODY_LEN);
        assert_eq!(buf[0], 1);
        assert_eq!(&buf[1..7], b"spuser");
        assert_eq!(Bind::decode(&buf).unwrap(), bind);
        assert_eq!(Bind::smg_to_sp("a", "b").unwrap().login_type.as_u8(), 2);
    }

    #[test]
    fn overlong_credentials_are_rejected_naming_the_field() {
        let err = Bind::sp_to_smg("a-name-longer-than-16", "x").unwrap_err();
        assert_eq!(err.field, "Login Name");
        let err = Bind::sp_to_smg("x", "a-password-longer-than-16").unwrap_err();
        assert_eq!(err.field, "Login Password");
    }

    #[test]
    fn credential_check_compares_logical_values() {
        let bind = Bind::smg_to_sp("smg", "secret").unwrap();
        assert!(bind.credentials_match(b"smg", b"secret"));
        assert!(!bind.credentials_match(b"smg", b"secreT"));
        assert!(!bind.credentials_match(b"smg", b"secret\0"));
        assert!(!bind.credentials_match(b"smg", b"secre"));
        assert!(!bind.credentials_match(b"smgx", b"secret"));
        assert!(!bind.credentials_match(b"smg", b"a-password-longer-than-16"));
        assert_eq!(bind.check(LoginType::SmgToSp, b"smg", b"secret"), 0);
        assert_eq!(bind.check(LoginType::SpToSmg, b"smg", b"secret"), 4);
        assert_eq!(bind.check(LoginType::SmgToSp, b"smg", b"wrong"), 1);
    }

    #[test]
    fn bad_bind_bodies_are_errors() {
        let err = Bind::decode(&[1; 20]).unwrap_err();
        assert_eq!(err, DecodeError::truncated(PDU, "Login Password", 16, 3));
        let err = Bind::decode(&[1; 42]).unwrap_err();
        assert_eq!(err, DecodeError::trailing(PDU, 1));
    }
}
