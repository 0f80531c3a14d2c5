//! Login / Login_Resp: the first exchange of every connection (SMGP §5).

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be, u32_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::auth::{self, ClientIdForm, StatusHashForm, Timestamp};
use crate::version::Version;

pub(crate) const LOGIN_PDU: &str = "SMGP_LOGIN";
pub(crate) const LOGIN_RESP_PDU: &str = "SMGP_LOGIN_RESP";

/// What a connection carries, chosen by the client at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LoginMode {
    /// 0: SP → SMGW Submit only (MT).
    Send,
    /// 1: SMGW → SP Deliver only (MO and status reports).
    Receive,
    /// 2: both directions on one connection.
    #[default]
    Transmit,
    /// Any other value, kept so the PDU re-encodes byte-exactly.
    Other(u8),
}

impl From<u8> for LoginMode {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::Send,
            1 => Self::Receive,
            2 => Self::Transmit,
            other => Self::Other(other),
        }
    }
}

impl From<LoginMode> for u8 {
    fn from(m: LoginMode) -> u8 {
        match m {
            LoginMode::Send => 0,
            LoginMode::Receive => 1,
            LoginMode::Transmit => 2,
            LoginMode::Other(v) => v,
        }
    }
}

/// Login (RequestID 0x00000001), PacketLength 42.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | ClientID | account, ≤ 8 chars, 0x00 padded |
/// | 20 | 16 | AuthenticatorClient | MD5(ClientID ‖ 7×00 ‖ secret ‖ MMDDHHMMSS) |
/// | 36 | 1 | LoginMode | 0 send, 1 receive, 2 transmit |
/// | 37 | 4 | TimeStamp | MMDDHHMMSS as a decimal integer |
/// | 41 | 1 | ClientVersion | 0x30 = SMGP 3.0 |
///
/// ```text
/// 0000002a 00000001 00000001 3132333435363738 3a6a2cc92a23726643dbdfeeeb7c2b96 02 0614dc45 30
/// ```
/// (ClientID `12345678`, secret `pass1234`, 01-02 03:04:05, transmit mode.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// ClientID.
    pub client_id: Octets<8>,
    /// AuthenticatorClient.
    pub authenticator_client: [u8; 16],
    /// LoginMode.
    pub login_mode: LoginMode,
    /// TimeStamp as on the wire (`MMDDHHMMSS` read as a decimal number).
    pub timestamp: u32,
    /// ClientVersion byte.
    pub client_version: u8,
}

impl Default for Login {
    fn default() -> Self {
        Self {
            client_id: Octets::EMPTY,
            authenticator_client: [0; 16],
            login_mode: LoginMode::Transmit,
            timestamp: 0,
            client_version: Version::V30.as_u8(),
        }
    }
}

impl Login {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 30;

    /// A login for `client_id` with the digest computed from `secret` and `timestamp`.
    /// Fails when the id does not fit its 8 bytes.
    pub fn new(
        client_id: &str,
        secret: &[u8],
        login_mode: LoginMode,
        timestamp: Timestamp,
        version: Version,
    ) -> Result<Self, EncodeError> {
        let id = Octets::for_field(LOGIN_PDU, "ClientID", client_id.as_bytes())?;
        let ts = timestamp.to_wire();
        Ok(Self {
            client_id: id,
            authenticator_client: auth::authenticator_client(id.value(), secret, ts),
            login_mode,
            timestamp: ts,
            client_version: version.as_u8(),
        })
    }

    /// The timestamp, if the wire value is a valid `MMDDHHMMSS`.
    pub fn timestamp(&self) -> Option<Timestamp> {
        Timestamp::from_wire(self.timestamp).ok()
    }

    /// The client's version, if it is one this crate knows.
    pub fn version(&self) -> Option<Version> {
        Version::from_u8(self.client_version)
    }

    /// Server side: check the digest against `secret` (either ClientID form).
    pub fn verify(&self, secret: &[u8]) -> Option<ClientIdForm> {
        auth::verify_authenticator_client(
            &self.client_id,
            secret,
            self.timestamp,
            &self.authenticator_client,
        )
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, Login> {
            let (i, client_id) = octets::<8>("ClientID")(i)?;
            let (i, auth) = octets::<16>("AuthenticatorClient")(i)?;
            let (i, mode) = u8_be("LoginMode")(i)?;
            let (i, timestamp) = u32_be("TimeStamp")(i)?;
            let (i, client_version) = u8_be("ClientVersion")(i)?;
            Ok((
                i,
                Login {
                    client_id,
                    authenticator_client: auth.0,
                    login_mode: mode.into(),
                    timestamp,
                    client_version,
                },
            ))
        }
        finish(LOGIN_PDU, true, parse(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.client_id.put(buf);
        buf.put_slice(&self.authenticator_client);
        buf.put_u8(self.login_mode.into());
        buf.put_u32(self.timestamp);
        buf.put_u8(self.client_version);
    }
}

/// Login_Resp (RequestID 0x80000001), PacketLength 33.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 4 | Status | 0 success, else [`crate::status::status_meaning`] |
/// | 16 | 16 | AuthenticatorServer | MD5(Status ‖ AuthenticatorClient ‖ secret) |
/// | 32 | 1 | ServerVersion | highest version the server supports |
///
/// ```text
/// 00000021 80000001 00000001 00000000 bc8eddfa52301420d5a9b9047af5b196 30
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginResp {
    /// Status.
    pub status: u32,
    /// AuthenticatorServer.
    pub authenticator_server: [u8; 16],
    /// ServerVersion byte.
    pub server_version: u8,
}

impl LoginResp {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 21;

    /// Server side: answer `login` with `status`, hashing Status as 4 bytes big-endian
    /// (see [`StatusHashForm`] for why).
    pub fn new(status: u32, login: &Login, secret: &[u8], server_version: Version) -> Self {
        Self {
            status,
            authenticator_server: auth::authenticator_server(
                status,
                &login.authenticator_client,
                secret,
            ),
            server_version: server_version.as_u8(),
        }
    }

    /// Client side: check the server digest; accepts every Status form seen in the wild.
    pub fn verify(&self, authenticator_client: &[u8; 16], secret: &[u8]) -> Option<StatusHashForm> {
        auth::verify_authenticator_server(
            self.status,
            authenticator_client,
            secret,
            &self.authenticator_server,
        )
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, LoginResp> {
            let (i, status) = u32_be("Status")(i)?;
            let (i, auth) = octets::<16>("AuthenticatorServer")(i)?;
            let (i, server_version) = u8_be("ServerVersion")(i)?;
            Ok((
                i,
                LoginResp {
                    status,
                    authenticator_server: auth.0,
                    server_version,
                },
            ))
        }
        finish(LOGIN_RESP_PDU, true, parse(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.status);
        buf.put_slice(&self.authenticator_server);
        buf.put_u8(self.server_version);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn login_mode_round_trips_every_byte() {
        for v in 0..=u8::MAX {
            assert_eq!(u8::from(LoginMode::from(v)), v);
        }
        assert_eq!(LoginMode::from(1), LoginMode::Receive);
        assert_eq!(LoginMode::from(7), LoginMode::Other(7));
    }

    #[test]
    fn new_login_verifies_and_rejects_long_ids() {
        let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
        let login = Login::new("sp01", b"k", LoginMode::Send, ts, Version::V30).unwrap();
        assert_eq!(login.verify(b"k"), Some(ClientIdForm::Unpadded));
        assert_eq!(login.verify(b"other"), None);
        assert_eq!(login.timestamp(), Some(ts));
        assert_eq!(login.version(), Some(Version::V30));
        let err = Login::new("123456789", b"k", LoginMode::Send, ts, Version::V30).unwrap_err();
        assert_eq!(err.field, "ClientID");
    }

    #[test]
    fn login_resp_verifies_against_its_login() {
        let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
        let login = Login::new(
            "12345678",
            b"pass1234",
            LoginMode::Transmit,
            ts,
            Version::V30,
        )
        .unwrap();
        let resp = LoginResp::new(0, &login, b"pass1234", Version::V30);
        assert_eq!(
            resp.verify(&login.authenticator_client, b"pass1234"),
            Some(StatusHashForm::U32Be)
        );
        assert_eq!(resp.verify(&login.authenticator_client, b"nope"), None);
    }

    #[test]
    fn decode_errors_name_the_field() {
        let err = Login::decode(&[0; 29]).unwrap_err();
        assert_eq!((err.pdu, err.field), (LOGIN_PDU, "ClientVersion"));
        let err = LoginResp::decode(&[0; 22]).unwrap_err();
        assert_eq!(err, DecodeError::trailing(LOGIN_RESP_PDU, 1));
        let err = LoginResp::decode(&[0; 3]).unwrap_err();
        assert_eq!(err.field, "Status");
    }
}
