//! A whole PDU (header + typed body): [`decode`] one complete frame and
//! [`Pdu::encode`] one back, for a given [`Version`].

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError};

use crate::cancel::{Cancel, CancelResp};
use crate::command;
use crate::connect::{Connect, ConnectResp};
use crate::deliver::{Deliver, DeliverResp};
use crate::header::{HEADER_LEN, HEADER_PDU, Header};
use crate::query::{Query, QueryResp};
use crate::session::{ActiveTestResp, expect_empty};
use crate::submit::{Submit, SubmitResp};
use crate::version::Version;

/// One CMPP PDU: the header's Sequence_Id and the typed body (Command_Id and
/// Total_Length follow from the body when encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Sequence_Id; a response carries its request's.
    pub sequence_id: u32,
    /// The typed body.
    pub body: Body,
}

/// The body of a PDU, one variant per command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// CMPP_CONNECT (0x00000001), SP → ISMG login.
    Connect(Connect),
    /// CMPP_CONNECT_RESP (0x80000001).
    ConnectResp(ConnectResp),
    /// CMPP_TERMINATE (0x00000002): header only, either side.
    /// Example (sequence 8): `0000000c 00000002 00000008`.
    Terminate,
    /// CMPP_TERMINATE_RESP (0x80000002): header only.
    /// Example (sequence 8): `0000000c 80000002 00000008`.
    TerminateResp,
    /// CMPP_SUBMIT (0x00000004), SP → ISMG mobile-terminated message.
    Submit(Submit),
    /// CMPP_SUBMIT_RESP (0x80000004).
    SubmitResp(SubmitResp),
    /// CMPP_DELIVER (0x00000005), ISMG → SP MO message or status report.
    Deliver(Deliver),
    /// CMPP_DELIVER_RESP (0x80000005).
    DeliverResp(DeliverResp),
    /// CMPP_QUERY (0x00000006), SP → ISMG daily statistics.
    Query(Query),
    /// CMPP_QUERY_RESP (0x80000006).
    QueryResp(QueryResp),
    /// CMPP_CANCEL (0x00000007), SP → ISMG delete a pending MT.
    Cancel(Cancel),
    /// CMPP_CANCEL_RESP (0x80000007).
    CancelResp(CancelResp),
    /// CMPP_ACTIVE_TEST (0x00000008): header only, either side.
    /// Example (sequence 7): `0000000c 00000008 00000007`.
    ActiveTest,
    /// CMPP_ACTIVE_TEST_RESP (0x80000008).
    ActiveTestResp(ActiveTestResp),
    /// Any other command id (CMPP_FWD, the route commands, vendor extensions): kept as
    /// raw body bytes so a session can answer it and re-encode it byte for byte.
    Unknown {
        /// Command_Id as received.
        command_id: u32,
        /// The body after the 12-byte header.
        body: Bytes,
    },
}

impl Body {
    /// Command_Id of this body.
    pub fn command_id(&self) -> u32 {
        match self {
            Self::Connect(_) => command::CONNECT,
            Self::ConnectResp(_) => command::CONNECT_RESP,
            Self::Terminate => command::TERMINATE,
            Self::TerminateResp => command::TERMINATE_RESP,
            Self::Submit(_) => command::SUBMIT,
            Self::SubmitResp(_) => command::SUBMIT_RESP,
            Self::Deliver(_) => command::DELIVER,
            Self::DeliverResp(_) => command::DELIVER_RESP,
            Self::Query(_) => command::QUERY,
            Self::QueryResp(_) => command::QUERY_RESP,
            Self::Cancel(_) => command::CANCEL,
            Self::CancelResp(_) => command::CANCEL_RESP,
            Self::ActiveTest => command::ACTIVE_TEST,
            Self::ActiveTestResp(_) => command::ACTIVE_TEST_RESP,
            Self::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Length of the encoded body (without the header) for `version`.
    pub fn encoded_len(&self, version: Version) -> usize {
        match self {
            Self::Connect(_) => Connect::BODY_LEN,
            Self::ConnectResp(_) => ConnectResp::body_len(version),
            Self::Terminate | Self::TerminateResp | Self::ActiveTest => 0,
            Self::Submit(b) => b.body_len(version),
            Self::SubmitResp(_) => SubmitResp::body_len(version),
            Self::Deliver(b) => b.body_len(version),
            Self::DeliverResp(_) => DeliverResp::body_len(version),
            Self::Query(_) => Query::BODY_LEN,
            Self::QueryResp(_) => QueryResp::BODY_LEN,
            Self::Cancel(_) => Cancel::BODY_LEN,
            Self::CancelResp(_) => CancelResp::body_len(version),
            Self::ActiveTestResp(_) => ActiveTestResp::BODY_LEN,
            Self::Unknown { body, .. } => body.len(),
        }
    }

    fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            Self::Connect(b) => b.encode(buf),
            Self::ConnectResp(b) => b.encode(version, buf)?,
            Self::Terminate | Self::TerminateResp | Self::ActiveTest => {}
            Self::Submit(b) => b.encode(version, buf)?,
            Self::SubmitResp(b) => b.encode(version, buf)?,
            Self::Deliver(b) => b.encode(version, buf)?,
            Self::DeliverResp(b) => b.encode(version, buf)?,
            Self::Query(b) => b.encode(buf),
            Self::QueryResp(b) => b.encode(buf),
            Self::Cancel(b) => b.encode(buf),
            Self::CancelResp(b) => b.encode(version, buf)?,
            Self::ActiveTestResp(b) => b.encode(buf),
            Self::Unknown { body, .. } => buf.put_slice(body),
        }
        Ok(())
    }
}

impl Pdu {
    /// A PDU from its parts.
    pub fn new(sequence_id: u32, body: Body) -> Self {
        Self { sequence_id, body }
    }

    /// Command_Id, e.g. 0x00000004 for CMPP_SUBMIT.
    pub fn command_id(&self) -> u32 {
        self.body.command_id()
    }

    /// Spec name of the command, e.g. `CMPP_SUBMIT`; `UNKNOWN` for ids CMPP does not define.
    pub fn command_name(&self) -> &'static str {
        command::name(self.command_id()).unwrap_or("UNKNOWN")
    }

    /// True for responses (Command_Id has the top bit set).
    pub fn is_response(&self) -> bool {
        command::is_response(self.command_id())
    }

    /// Total_Length this PDU encodes to under `version`.
    pub fn encoded_len(&self, version: Version) -> usize {
        HEADER_LEN + self.body.encoded_len(version)
    }

    /// Append the encoded PDU to `buf`. On error `buf` is left as it was.
    pub fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.encoded_len(version);
        let total_length = u32::try_from(len).map_err(|_| {
            EncodeError::new(
                self.command_name(),
                "Total_Length",
                format!("{len} bytes exceed the 32-bit length field"),
            )
        })?;
        let start = buf.len();
        buf.reserve(len);
        Header {
            total_length,
            command_id: self.command_id(),
            sequence_id: self.sequence_id,
        }
        .put(buf);
        if let Err(e) = self.body.encode(version, buf) {
            buf.truncate(start);
            return Err(e);
        }
        debug_assert_eq!(buf.len() - start, len, "encoded_len disagrees with encode");
        Ok(())
    }

    /// Encode into a fresh buffer.
    pub fn to_bytes(&self, version: Version) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::with_capacity(self.encoded_len(version));
        self.encode(version, &mut buf)?;
        Ok(buf.freeze())
    }

    /// Encode into a `Vec` (tests, CLI).
    pub fn encode_to_vec(&self, version: Version) -> Result<Vec<u8>, EncodeError> {
        self.to_bytes(version).map(Vec::from)
    }
}

/// Decode one complete frame (header included) under `version`.
///
/// Total_Length must equal the frame length. Fixed-layout bodies must be exactly their
/// size: a 2.0 peer and a 3.0 peer disagree on a dozen field widths, and reading one
/// with the other's layout would otherwise turn e.g. a 4-byte Result 8 ("flow control")
/// into a 1-byte Result 0 ("success"). Message content and unknown bodies are
/// [`Bytes::slice_ref`]s of `frame`, not copies.
pub fn decode(version: Version, frame: &Bytes) -> Result<Pdu, DecodeError> {
    let header = Header::parse(frame)?;
    let id = header.command_id;
    if header.total_length as usize != frame.len() {
        return Err(DecodeError::invalid(
            command::name(id).unwrap_or(HEADER_PDU),
            "Total_Length",
            format!("{} (frame is {} bytes)", header.total_length, frame.len()),
            "must equal the frame length",
        ));
    }
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let body = match id {
        command::CONNECT => Body::Connect(Connect::decode(body)?),
        command::CONNECT_RESP => Body::ConnectResp(ConnectResp::decode(version, body)?),
        command::TERMINATE => expect_empty("CMPP_TERMINATE", body).map(|()| Body::Terminate)?,
        command::TERMINATE_RESP => {
            expect_empty("CMPP_TERMINATE_RESP", body).map(|()| Body::TerminateResp)?
        }
        // The traffic PDUs return the whole Pdu so their large bodies are written once,
        // in place, instead of being moved into `Body` and then into `Pdu`.
        command::SUBMIT => return Submit::decode_pdu(version, header.sequence_id, frame, body),
        command::SUBMIT_RESP => Body::SubmitResp(SubmitResp::decode(version, body)?),
        command::DELIVER => return Deliver::decode_pdu(version, header.sequence_id, frame, body),
        command::DELIVER_RESP => Body::DeliverResp(DeliverResp::decode(version, body)?),
        command::QUERY => Body::Query(Query::decode(body)?),
        command::QUERY_RESP => Body::QueryResp(QueryResp::decode(body)?),
        command::CANCEL => Body::Cancel(Cancel::decode(body)?),
        command::CANCEL_RESP => Body::CancelResp(CancelResp::decode(version, body)?),
        command::ACTIVE_TEST => {
            expect_empty("CMPP_ACTIVE_TEST", body).map(|()| Body::ActiveTest)?
        }
        command::ACTIVE_TEST_RESP => Body::ActiveTestResp(ActiveTestResp::decode(body)?),
        _ => Body::Unknown {
            command_id: id,
            body: frame.slice_ref(body),
        },
    };
    Ok(Pdu {
        sequence_id: header.sequence_id,
        body,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use wire::DecodeErrorKind;

    #[test]
    fn total_length_must_match_frame() {
        let frame = Bytes::from_static(&[0, 0, 0, 13, 0, 0, 0, 8, 0, 0, 0, 7]);
        let err = decode(Version::V30, &frame).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_ACTIVE_TEST", "Total_Length"));
    }

    #[test]
    fn short_frame_is_truncated_header() {
        let err = decode(Version::V20, &Bytes::from_static(&[0, 0, 0, 12])).unwrap_err();
        assert_eq!(err.pdu, "CMPP_HEADER");
        assert!(matches!(err.kind, DecodeErrorKind::Truncated { .. }));
    }

    #[test]
    fn unknown_command_round_trips_byte_exactly() {
        let frame = Bytes::from_static(&[0, 0, 0, 15, 0, 0, 0, 0x10, 0, 0, 0, 9, 1, 2, 3]);
        let pdu = decode(Version::V30, &frame).unwrap();
        assert_eq!(
            pdu.body,
            Body::Unknown {
                command_id: 0x10,
                body: Bytes::from_static(&[1, 2, 3])
            }
        );
        assert_eq!(pdu.command_name(), "CMPP_MT_ROUTE");
        assert!(!pdu.is_response());
        assert_eq!(pdu.to_bytes(Version::V30).unwrap(), frame);
        let vendor = Pdu::new(
            1,
            Body::Unknown {
                command_id: 0x8000_0099,
                body: Bytes::new(),
            },
        );
        assert_eq!(vendor.command_name(), "UNKNOWN");
        assert!(vendor.is_response());
    }

    #[test]
    fn failed_encode_leaves_buffer_untouched() {
        let mut buf = BytesMut::from(&b"xy"[..]);
        let pdu = Pdu::new(
            1,
            Body::ConnectResp(ConnectResp {
                status: 256,
                ..Default::default()
            }),
        );
        assert!(pdu.encode(Version::V20, &mut buf).is_err());
        assert_eq!(&buf[..], b"xy");
    }
}
