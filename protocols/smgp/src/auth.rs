//! Login authentication digests (SMGP §5) and the login timestamp.
//!
//! * `AuthenticatorClient = MD5(ClientID ‖ 7 × 0x00 ‖ shared_secret ‖ MMDDHHMMSS)` where
//!   the timestamp is the 10-digit, zero-padded decimal form of Login.TimeStamp.
//! * `AuthenticatorServer = MD5(Status ‖ AuthenticatorClient ‖ shared_secret)`.
//!
//! Two details are not settled between implementations, so verification accepts every
//! form seen and generation emits one documented form:
//!
//! * **ClientID width in the client digest.** SMSGate and go_smgp hash the configured
//!   id unpadded; gosmgp hashes the 8-byte field padded with 0x00. With the usual
//!   8-character ClientID the two agree. [`authenticator_client`] hashes the id as given
//!   (the reference's §5.1 rule); [`verify_authenticator_client`] accepts both and says
//!   which matched ([`ClientIdForm`]).
//! * **Status width in the server digest** (README disagreement 8): 4 bytes big-endian
//!   (SMSGate), 1 byte (gosmgp's packer) or 8 bytes little-endian (gosmgp's helper).
//!   See [`StatusHashForm`].
//!
//! No clock here: the caller passes the [`Timestamp`]. Gateways generally do not check
//! it against their clock (Huawei's SMProxy always sends `0008080808`, README
//! disagreement 20), which is why [`Timestamp::from_wire`] accepts month and day 0.

use std::fmt;

use md5::{Digest, Md5};
use wire::Octets;

/// Number of zero bytes between ClientID and the secret in the client digest.
const CLIENT_PAD: [u8; 7] = [0; 7];

/// The login time `MMDDHHMMSS`, carried on the wire as a decimal integer
/// (e.g. 01-02 03:04:05 → `0102030405` → 102030405).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp {
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

/// A [`Timestamp`] component is out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {field} {value} is out of range")]
pub struct TimestampError {
    /// Which component: `month`, `day`, `hour`, `minute` or `second`.
    pub field: &'static str,
    /// The rejected value.
    pub value: u32,
}

impl Timestamp {
    /// Build a timestamp. Month 0–12, day 0–31 (0 accepted because real clients send
    /// placeholder dates such as `0008080808`), hour 0–23, minute and second 0–59.
    pub fn new(
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, TimestampError> {
        let check = |field, value: u8, max: u8| {
            if value > max {
                Err(TimestampError {
                    field,
                    value: u32::from(value),
                })
            } else {
                Ok(())
            }
        };
        check("month", month, 12)?;
        check("day", day, 31)?;
        check("hour", hour, 23)?;
        check("minute", minute, 59)?;
        check("second", second, 59)?;
        Ok(Self {
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Read the wire integer back into its components.
    pub fn from_wire(value: u32) -> Result<Self, TimestampError> {
        if value > 12_31_23_59_59 {
            return Err(TimestampError {
                field: "month",
                value: value / 100_000_000,
            });
        }
        let part = |div: u32| ((value / div) % 100) as u8;
        Self::new(
            part(100_000_000),
            part(1_000_000),
            part(10_000),
            part(100),
            part(1),
        )
    }

    /// The wire integer `MMDDHHMMSS`.
    pub fn to_wire(self) -> u32 {
        u32::from(self.month) * 100_000_000
            + u32::from(self.day) * 1_000_000
            + u32::from(self.hour) * 10_000
            + u32::from(self.minute) * 100
            + u32::from(self.second)
    }

    /// Month (0–12).
    pub fn month(self) -> u8 {
        self.month
    }
    /// Day of month (0–31).
    pub fn day(self) -> u8 {
        self.day
    }
    /// Hour (0–23).
    pub fn hour(self) -> u8 {
        self.hour
    }
    /// Minute (0–59).
    pub fn minute(self) -> u8 {
        self.minute
    }
    /// Second (0–59).
    pub fn second(self) -> u8 {
        self.second
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.to_wire())
    }
}

/// The 10 ASCII digits of a wire timestamp, zero-padded on the left (the digest input).
pub fn timestamp_digits(wire: u32) -> [u8; 10] {
    let mut out = [b'0'; 10];
    let mut v = wire;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out
}

/// AuthenticatorClient for `client_id` (as configured, without padding), `secret` and
/// the wire timestamp.
pub fn authenticator_client(client_id: &[u8], secret: &[u8], timestamp: u32) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(client_id);
    h.update(CLIENT_PAD);
    h.update(secret);
    h.update(timestamp_digits(timestamp));
    h.finalize().into()
}

/// How the ClientID entered a client digest that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdForm {
    /// The id up to its first 0x00 (SMSGate, go_smgp; what this crate emits).
    Unpadded,
    /// The whole 8-byte field including 0x00 padding (gosmgp).
    Padded,
}

/// Server side: does `received` match the client digest for this ClientID field, secret
/// and timestamp? Returns the form that matched, trying the unpadded one first.
pub fn verify_authenticator_client(
    client_id: &Octets<8>,
    secret: &[u8],
    timestamp: u32,
    received: &[u8; 16],
) -> Option<ClientIdForm> {
    if authenticator_client(client_id.value(), secret, timestamp) == *received {
        return Some(ClientIdForm::Unpadded);
    }
    if client_id.value().len() < 8
        && authenticator_client(client_id.raw(), secret, timestamp) == *received
    {
        return Some(ClientIdForm::Padded);
    }
    None
}

/// How Login_Resp.Status is laid out inside the AuthenticatorServer digest.
///
/// [`StatusHashForm::U32Be`] is the form this crate emits: it is the Status field's own
/// wire form (Integer 4, big-endian), it is what SMSGate — the most widely deployed of
/// the implementations consulted — hashes, and the reference recommends it for a
/// simulator. The other two come only from gosmgp and are accepted on verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusHashForm {
    /// 4 bytes big-endian (spec field width; SMSGate). Emitted.
    U32Be,
    /// 1 byte (the low byte of Status; gosmgp's packer).
    U8,
    /// 8 bytes little-endian (gosmgp's helper function).
    U64Le,
}

impl StatusHashForm {
    /// Every form, in the order verification tries them.
    pub const ALL: [Self; 3] = [Self::U32Be, Self::U8, Self::U64Le];
}

/// AuthenticatorServer in the emitted form ([`StatusHashForm::U32Be`]).
pub fn authenticator_server(
    status: u32,
    authenticator_client: &[u8; 16],
    secret: &[u8],
) -> [u8; 16] {
    authenticator_server_as(StatusHashForm::U32Be, status, authenticator_client, secret)
}

/// AuthenticatorServer with Status hashed in the given form.
pub fn authenticator_server_as(
    form: StatusHashForm,
    status: u32,
    authenticator_client: &[u8; 16],
    secret: &[u8],
) -> [u8; 16] {
    let mut h = Md5::new();
    match form {
        StatusHashForm::U32Be => h.update(status.to_be_bytes()),
        StatusHashForm::U8 => h.update([status as u8]),
        StatusHashForm::U64Le => h.update(u64::from(status).to_le_bytes()),
    }
    h.update(authenticator_client);
    h.update(secret);
    h.finalize().into()
}

/// Client side: does the server's digest match any known form? Returns the form that
/// matched. (Most clients never check; a mismatch is worth a log line, not a hang-up.)
pub fn verify_authenticator_server(
    status: u32,
    authenticator_client: &[u8; 16],
    secret: &[u8],
    received: &[u8; 16],
) -> Option<StatusHashForm> {
    StatusHashForm::ALL.into_iter().find(|&form| {
        authenticator_server_as(form, status, authenticator_client, secret) == *received
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Reference §12: ClientID 12345678, secret pass1234, time 0102030405.
    const CLIENT: [u8; 16] = [
        0x3a, 0x6a, 0x2c, 0xc9, 0x2a, 0x23, 0x72, 0x66, 0x43, 0xdb, 0xdf, 0xee, 0xeb, 0x7c, 0x2b,
        0x96,
    ];
    const SERVER_U32: [u8; 16] = [
        0xbc, 0x8e, 0xdd, 0xfa, 0x52, 0x30, 0x14, 0x20, 0xd5, 0xa9, 0xb9, 0x04, 0x7a, 0xf5, 0xb1,
        0x96,
    ];
    const SERVER_U8: [u8; 16] = [
        0x2b, 0x4d, 0x76, 0xac, 0x6f, 0xcd, 0x82, 0xaa, 0x23, 0x72, 0xdf, 0x85, 0xe6, 0x70, 0xd1,
        0x62,
    ];

    #[test]
    fn client_digest_matches_the_reference() {
        let ts = Timestamp::new(1, 2, 3, 4, 5).unwrap();
        assert_eq!(ts.to_wire(), 102_030_405);
        assert_eq!(
            authenticator_client(b"12345678", b"pass1234", ts.to_wire()),
            CLIENT
        );
    }

    #[test]
    fn server_digest_matches_both_reference_forms() {
        assert_eq!(authenticator_server(0, &CLIENT, b"pass1234"), SERVER_U32);
        assert_eq!(
            authenticator_server_as(StatusHashForm::U8, 0, &CLIENT, b"pass1234"),
            SERVER_U8
        );
    }

    #[test]
    fn server_verification_accepts_every_status_form() {
        for form in StatusHashForm::ALL {
            let digest = authenticator_server_as(form, 21, &CLIENT, b"s");
            assert_eq!(
                verify_authenticator_server(21, &CLIENT, b"s", &digest),
                Some(form)
            );
        }
        assert_eq!(
            verify_authenticator_server(0, &CLIENT, b"wrong", &SERVER_U32),
            None
        );
        // The forms really differ, so the detection above means something.
        let d4 = authenticator_server_as(StatusHashForm::U32Be, 21, &CLIENT, b"s");
        let d8 = authenticator_server_as(StatusHashForm::U64Le, 21, &CLIENT, b"s");
        assert_ne!(d4, d8);
    }

    #[test]
    fn client_verification_accepts_padded_and_unpadded_ids() {
        let id = Octets::<8>::new(b"sp01").unwrap();
        let unpadded = authenticator_client(b"sp01", b"k", 1);
        let padded = authenticator_client(b"sp01\0\0\0\0", b"k", 1);
        assert_ne!(unpadded, padded);
        assert_eq!(
            verify_authenticator_client(&id, b"k", 1, &unpadded),
            Some(ClientIdForm::Unpadded)
        );
        assert_eq!(
            verify_authenticator_client(&id, b"k", 1, &padded),
            Some(ClientIdForm::Padded)
        );
        assert_eq!(verify_authenticator_client(&id, b"x", 1, &unpadded), None);
        assert_eq!(verify_authenticator_client(&id, b"k", 2, &unpadded), None);
    }

    #[test]
    fn timestamp_digits_keep_the_leading_zero() {
        assert_eq!(&timestamp_digits(102_030_405), b"0102030405");
        assert_eq!(&timestamp_digits(0), b"0000000000");
        assert_eq!(&timestamp_digits(u32::MAX), b"4294967295");
        assert_eq!(
            Timestamp::new(1, 2, 3, 4, 5).unwrap().to_string(),
            "0102030405"
        );
    }

    #[test]
    fn timestamp_wire_round_trip_and_range_checks() {
        let ts = Timestamp::new(12, 31, 23, 59, 59).unwrap();
        assert_eq!(Timestamp::from_wire(ts.to_wire()), Ok(ts));
        // Huawei SMProxy's constant placeholder.
        let huawei = Timestamp::from_wire(8_080_808).unwrap();
        assert_eq!((huawei.month(), huawei.day(), huawei.hour()), (0, 8, 8));
        assert_eq!(
            Timestamp::new(13, 1, 0, 0, 0),
            Err(TimestampError {
                field: "month",
                value: 13
            })
        );
        assert_eq!(
            Timestamp::new(1, 1, 24, 0, 0),
            Err(TimestampError {
                field: "hour",
                value: 24
            })
        );
        assert_eq!(
            Timestamp::from_wire(102_036_005).map_err(|e| e.field),
            Err("minute")
        );
        assert!(Timestamp::from_wire(u32::MAX).is_err());
    }
}
