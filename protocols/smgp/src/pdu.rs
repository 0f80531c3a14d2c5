//! The PDU envelope: header sequence number plus a typed body, and the frame-level
//! [`decode`] / [`Pdu::encode`] that dispatch on the RequestID.

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError};

use crate::command;
use crate::deliver::{Deliver, DeliverResp};
use crate::header::{HEADER_LEN, Header};
use crate::login::{Login, LoginResp};
use crate::query::{Query, QueryResp};
use crate::submit::{SUBMIT_RESP_PDU, Submit, SubmitResp};
use crate::version::Version;

/// One SMGP PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Header SequenceID (a response echoes its request's).
    pub sequence_id: u32,
    /// The typed body; its variant determines the RequestID.
    pub body: Body,
}

/// Every PDU body this crate models, plus [`Body::Unknown`] for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Login (0x00000001).
    Login(Login),
    /// Login_Resp (0x80000001).
    LoginResp(LoginResp),
    /// Submit (0x00000002).
    Submit(Submit),
    /// Submit_Resp (0x80000002).
    SubmitResp(SubmitResp),
    /// Deliver (0x00000003): an MO or a status report.
    Deliver(Deliver),
    /// Deliver_Resp (0x80000003).
    DeliverResp(DeliverResp),
    /// Active_Test (0x00000004): keep-alive from either side, header only
    /// (PacketLength 12), e.g. `0000000c 00000004 00000009`.
    ActiveTest,
    /// Active_Test_Resp (0x80000004), header only: `0000000c 80000004 00000009`.
    ActiveTestResp,
    /// Exit (0x00000006): close the session, header only: `0000000c 00000006 0000000a`.
    Exit,
    /// Exit_Resp (0x80000006), header only: `0000000c 80000006 0000000a`.
    ExitResp,
    /// Query (0x00000007).
    Query(Query),
    /// Query_Resp (0x80000007).
    QueryResp(QueryResp),
    /// Any other RequestID (Forward, the route commands, vendor extensions, …): the raw
    /// body is kept so the session can answer and the PDU re-encodes byte-exactly.
    Unknown {
        /// RequestID as received.
        command_id: u32,
        /// Body bytes after the header.
        body: Bytes,
    },
}

impl Body {
    /// RequestID of this body.
    pub fn command_id(&self) -> u32 {
        match self {
            Self::Login(_) => command::LOGIN,
            Self::LoginResp(_) => command::LOGIN_RESP,
            Self::Submit(_) => command::SUBMIT,
            Self::SubmitResp(_) => command::SUBMIT_RESP,
            Self::Deliver(_) => command::DELIVER,
            Self::DeliverResp(_) => command::DELIVER_RESP,
            Self::ActiveTest => command::ACTIVE_TEST,
            Self::ActiveTestResp => command::ACTIVE_TEST_RESP,
            Self::Exit => command::EXIT,
            Self::ExitResp => command::EXIT_RESP,
            Self::Query(_) => command::QUERY,
            Self::QueryResp(_) => command::QUERY_RESP,
            Self::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Body length in bytes (what PacketLength adds to the header).
    pub fn body_len(&self, version: Version) -> usize {
        match self {
            Self::Submit(b) => b.body_len(version),
            Self::SubmitResp(_) => SubmitResp::BODY_LEN,
            Self::Deliver(b) => b.body_len(),
            Self::DeliverResp(_) => DeliverResp::BODY_LEN,
            Self::Login(_) => Login::BODY_LEN,
            Self::LoginResp(_) => LoginResp::BODY_LEN,
            Self::ActiveTest | Self::ActiveTestResp | Self::Exit | Self::ExitResp => 0,
            Self::Query(_) => Query::BODY_LEN,
            Self::QueryResp(_) => QueryResp::BODY_LEN,
            Self::Unknown { body, .. } => body.len(),
        }
    }

    fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            Self::Submit(b) => return b.encode(version, buf),
            Self::SubmitResp(b) => b.encode(buf),
            Self::Deliver(b) => return b.encode(buf),
            Self::DeliverResp(b) => b.encode(buf),
            Self::Login(b) => b.encode(buf),
            Self::LoginResp(b) => b.encode(buf),
            Self::ActiveTest | Self::ActiveTestResp | Self::Exit | Self::ExitResp => {}
            Self::Query(b) => b.encode(buf),
            Self::QueryResp(b) => b.encode(buf),
            Self::Unknown { body, .. } => buf.put_slice(body),
        }
        Ok(())
    }
}

impl Pdu {
    /// A PDU with this sequence number and body.
    pub fn new(sequence_id: u32, body: Body) -> Self {
        Self { sequence_id, body }
    }

    /// RequestID.
    pub fn command_id(&self) -> u32 {
        self.body.command_id()
    }

    /// Spec name of the command (SMGP 3.0 names), e.g. `SMGP_SUBMIT`; unknown ids give
    /// `SMGP_UNKNOWN` / `SMGP_UNKNOWN_RESP`.
    pub fn command_name(&self) -> &'static str {
        command::display_name(Version::V30, self.command_id())
    }

    /// Is this a response (RequestID top bit set)?
    pub fn is_response(&self) -> bool {
        command::is_response(self.command_id())
    }

    /// Append the encoded PDU (header included) to `buf`. On error `buf` is left as it
    /// was.
    pub fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.reserve(HEADER_LEN + self.body.body_len(version));
        Header {
            packet_length: 0,
            request_id: self.command_id(),
            sequence_id: self.sequence_id,
        }
        .put(buf);
        if let Err(e) = self.body.encode(version, buf) {
            buf.truncate(start);
            return Err(e);
        }
        let Ok(len) = u32::try_from(buf.len() - start) else {
            buf.truncate(start);
            return Err(EncodeError::new(
                self.command_name(),
                "PacketLength",
                "PDU longer than 4 GiB",
            ));
        };
        buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    /// Encode into a fresh `Vec` (tests, CLI).
    pub fn encode_to_vec(&self, version: Version) -> Result<Vec<u8>, EncodeError> {
        self.to_bytes(version).map(|b| b.to_vec())
    }

    /// Encode into a fresh frozen buffer.
    pub fn to_bytes(&self, version: Version) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        self.encode(version, &mut buf)?;
        Ok(buf.freeze())
    }
}

fn no_body(pdu: impl Fn() -> &'static str, body: &[u8]) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::trailing(pdu(), body.len()))
    }
}

/// Decode one complete frame (header included). PacketLength must equal the frame
/// length. Content and unknown bodies are sliced from `frame`, not copied.
pub fn decode(version: Version, frame: &Bytes) -> Result<Pdu, DecodeError> {
    let header = Header::parse(frame)?;
    // The name is only needed for errors; looking it up costs a table scan.
    let name = || command::display_name(version, header.request_id);
    if header.packet_length as usize != frame.len() {
        return Err(DecodeError::invalid(
            name(),
            "PacketLength",
            format!("{} (frame is {} bytes)", header.packet_length, frame.len()),
            "must equal the frame length",
        ));
    }
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let decoded = match header.request_id {
        command::LOGIN => Body::Login(Login::decode(body)?),
        command::LOGIN_RESP => Body::LoginResp(LoginResp::decode(body)?),
        command::SUBMIT => Body::Submit(Submit::decode(version, frame, body)?),
        command::SUBMIT_RESP => Body::SubmitResp(SubmitResp::decode(SUBMIT_RESP_PDU, body)?),
        command::DELIVER => Body::Deliver(Deliver::decode(frame, body)?),
        command::DELIVER_RESP => Body::DeliverResp(DeliverResp::decode(body)?),
        command::ACTIVE_TEST => no_body(name, body).map(|()| Body::ActiveTest)?,
        command::ACTIVE_TEST_RESP => no_body(name, body).map(|()| Body::ActiveTestResp)?,
        command::EXIT => no_body(name, body).map(|()| Body::Exit)?,
        command::EXIT_RESP => no_body(name, body).map(|()| Body::ExitResp)?,
        command::QUERY => Body::Query(Query::decode(body)?),
        command::QUERY_RESP => Body::QueryResp(QueryResp::decode(body)?),
        command_id => Body::Unknown {
            command_id,
            body: frame.slice(HEADER_LEN..),
        },
    };
    Ok(Pdu {
        sequence_id: header.sequence_id,
        body: decoded,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn frame(hex: &str) -> Bytes {
        Bytes::from(wire::hex::decode(hex).unwrap())
    }

    #[test]
    fn length_field_must_match_the_frame() {
        let err = decode(Version::V30, &frame("0000000d0000000400000009")).unwrap_err();
        assert_eq!((err.pdu, err.field), ("SMGP_ACTIVE_TEST", "PacketLength"));
        let err = decode(Version::V30, &frame("0000000c00000004000000")).unwrap_err();
        assert_eq!(err.field, "PacketLength");
    }

    #[test]
    fn bodyless_pdus_reject_a_body() {
        let err = decode(Version::V30, &frame("0000000d000000040000000900")).unwrap_err();
        assert_eq!(err, DecodeError::trailing("SMGP_ACTIVE_TEST", 1));
    }

    #[test]
    fn unknown_command_round_trips_byte_exactly() {
        let raw = frame("0000001000000099000000070a0b0c0d");
        let pdu = decode(Version::V30, &raw).unwrap();
        assert_eq!(
            pdu.body,
            Body::Unknown {
                command_id: 0x99,
                body: Bytes::from_static(&[10, 11, 12, 13])
            }
        );
        assert_eq!(pdu.command_name(), "SMGP_UNKNOWN");
        assert!(!pdu.is_response());
        assert_eq!(pdu.to_bytes(Version::V30).unwrap(), raw);
    }

    #[test]
    fn known_but_unmodelled_ids_keep_their_names() {
        let raw = frame("0000000e80000008000000070102");
        let pdu = decode(Version::V30, &raw).unwrap();
        assert!(matches!(
            pdu.body,
            Body::Unknown {
                command_id: 0x8000_0008,
                ..
            }
        ));
        assert_eq!(pdu.command_name(), "SMGP_QUERY_TE_ROUTE_RESP");
        assert!(pdu.is_response());
        assert_eq!(pdu.to_bytes(Version::V20).unwrap(), raw);
    }

    #[test]
    fn route_and_payment_commands_are_named_unknowns() {
        let ids = [
            0x05u32, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
        ];
        for id in ids
            .into_iter()
            .flat_map(|id| [id, id | command::RESPONSE_BIT])
        {
            let pdu = Pdu::new(
                3,
                Body::Unknown {
                    command_id: id,
                    body: Bytes::from_static(b"\x01\x02"),
                },
            );
            let raw = pdu.to_bytes(Version::V30).unwrap();
            let back = decode(Version::V30, &raw).unwrap();
            assert_eq!(back, pdu);
            assert_ne!(back.command_name(), "SMGP_UNKNOWN", "{id:#x}");
            assert_ne!(back.command_name(), "SMGP_UNKNOWN_RESP", "{id:#x}");
        }
    }

    #[test]
    fn query_frames_round_trip() {
        let raw = frame("0000001f0000000700000005323032343031303201544553540000000000 00");
        let pdu = decode(Version::V30, &raw).unwrap();
        let Body::Query(q) = &pdu.body else {
            panic!("not a query: {pdu:?}")
        };
        assert_eq!(
            (q.query_time.value(), q.query_type, q.query_code.value()),
            (&b"20240102"[..], 1, &b"TEST"[..])
        );
        assert_eq!(pdu.command_name(), "SMGP_QUERY");
        assert_eq!(pdu.to_bytes(Version::V30).unwrap(), raw);
        let resp = Pdu::new(
            5,
            Body::QueryResp(QueryResp {
                mo_fl: 7,
                ..QueryResp::default()
            }),
        );
        let bytes = resp.to_bytes(Version::V30).unwrap();
        assert_eq!(bytes.len(), 71);
        assert_eq!(decode(Version::V30, &bytes).unwrap(), resp);
    }

    #[test]
    fn encode_appends_after_existing_bytes() {
        let mut buf = BytesMut::from(&b"xy"[..]);
        Pdu::new(9, Body::ActiveTest)
            .encode(Version::V30, &mut buf)
            .unwrap();
        assert_eq!(wire::hex::encode(&buf), "78790000000c0000000400000009");
    }
}
