//! A whole SGIP PDU: header sequence number plus a typed body, and the entry points
//! that turn one complete frame into a [`Pdu`] and back.
//!
//! The Message Length and Command ID of the header are not stored: they follow from
//! the body when encoding, and are checked against the frame when decoding.

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError};

use crate::bind::{BIND_BODY_LEN, Bind};
use crate::command;
use crate::deliver::Deliver;
use crate::header::{HEADER_LEN, HEADER_PDU, Header};
use crate::report::{REPORT_BODY_LEN, Report};
use crate::resp::{RESP_BODY_LEN, Resp};
use crate::sequence::SequenceNumber;
use crate::submit::Submit;
use crate::trace::{TRACE_BODY_LEN, Trace, TraceResp};
use crate::userrpt::{USERRPT_BODY_LEN, Userrpt};

/// One SGIP PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The 12-byte sequence number. A response carries its request's number.
    pub sequence: SequenceNumber,
    /// The typed body; its variant determines the Command ID.
    pub body: Body,
}

/// The body of a PDU, one variant per command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// SGIP_BIND.
    Bind(Bind),
    /// SGIP_BIND_RESP.
    BindResp(Resp),
    /// SGIP_UNBIND: the connection's client ends the session. No body; Message
    /// Length 20.
    ///
    /// | Offset | Size | Field | Meaning |
    /// |---:|---:|---|---|
    /// | 0 | 20 | header | Command ID 0x00000002 |
    ///
    /// Example (reference 7a): `00000014 00000002 b36924b9 0614dc45 00000003`.
    Unbind,
    /// SGIP_UNBIND_RESP: no body; Message Length 20, the Unbind's sequence number.
    ///
    /// Example (reference 7b): `00000014 80000002 b36924b9 0614dc45 00000003`.
    UnbindResp,
    /// SGIP_SUBMIT.
    Submit(Submit),
    /// SGIP_SUBMIT_RESP.
    SubmitResp(Resp),
    /// SGIP_DELIVER.
    Deliver(Deliver),
    /// SGIP_DELIVER_RESP.
    DeliverResp(Resp),
    /// SGIP_REPORT.
    Report(Report),
    /// SGIP_REPORT_RESP.
    ReportResp(Resp),
    /// SGIP_USERRPT.
    Userrpt(Userrpt),
    /// SGIP_USERRPT_RESP.
    UserrptResp(Resp),
    /// SGIP_TRACE.
    Trace(Trace),
    /// SGIP_TRACE_RESP.
    TraceResp(TraceResp),
    /// Any command without a typed body — including the SMG ⇄ GNS family
    /// (0x06–0x10, named in [`crate::command::TABLE`]) — kept as its raw body so a
    /// session can answer it and carry on. Re-encodes byte-exactly.
    Unknown {
        /// The Command ID as received.
        command_id: u32,
        /// The body after the 20-byte header (a view into the frame, not a copy).
        body: Bytes,
    },
}

impl Body {
    /// Command ID of this body.
    pub fn command_id(&self) -> u32 {
        match self {
            Self::Bind(_) => command::BIND,
            Self::BindResp(_) => command::BIND_RESP,
            Self::Unbind => command::UNBIND,
            Self::UnbindResp => command::UNBIND_RESP,
            Self::Submit(_) => command::SUBMIT,
            Self::SubmitResp(_) => command::SUBMIT_RESP,
            Self::Deliver(_) => command::DELIVER,
            Self::DeliverResp(_) => command::DELIVER_RESP,
            Self::Report(_) => command::REPORT,
            Self::ReportResp(_) => command::REPORT_RESP,
            Self::Userrpt(_) => command::USERRPT,
            Self::UserrptResp(_) => command::USERRPT_RESP,
            Self::Trace(_) => command::TRACE,
            Self::TraceResp(_) => command::TRACE_RESP,
            Self::Unknown { command_id, .. } => *command_id,
        }
    }

    /// Encoded size of the body (header excluded).
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Bind(_) => BIND_BODY_LEN,
            Self::BindResp(_)
            | Self::SubmitResp(_)
            | Self::DeliverResp(_)
            | Self::ReportResp(_)
            | Self::UserrptResp(_) => RESP_BODY_LEN,
            Self::Submit(s) => s.encoded_len(),
            Self::Deliver(d) => d.encoded_len(),
            Self::Report(_) => REPORT_BODY_LEN,
            Self::Userrpt(_) => USERRPT_BODY_LEN,
            Self::Trace(_) => TRACE_BODY_LEN,
            Self::TraceResp(t) => t.encoded_len(),
            Self::Unbind | Self::UnbindResp => 0,
            Self::Unknown { body, .. } => body.len(),
        }
    }

    /// Decode the body of a frame whose header carried `command_id`. `body` must be
    /// a sub-slice of `frame` (content and unknown bodies are `slice_ref`'d from it).
    fn decode(command_id: u32, frame: &Bytes, body: &[u8]) -> Result<Self, DecodeError> {
        Ok(match command_id {
            command::BIND => Self::Bind(Bind::decode(body)?),
            command::BIND_RESP => Self::BindResp(Resp::decode("SGIP_BIND_RESP", body)?),
            command::UNBIND => {
                empty("SGIP_UNBIND", body)?;
                Self::Unbind
            }
            command::UNBIND_RESP => {
                empty("SGIP_UNBIND_RESP", body)?;
                Self::UnbindResp
            }
            command::SUBMIT => Self::Submit(Submit::decode(frame, body)?),
            command::SUBMIT_RESP => Self::SubmitResp(Resp::decode("SGIP_SUBMIT_RESP", body)?),
            command::DELIVER => Self::Deliver(Deliver::decode(frame, body)?),
            command::DELIVER_RESP => Self::DeliverResp(Resp::decode("SGIP_DELIVER_RESP", body)?),
            command::REPORT => Self::Report(Report::decode(body)?),
            command::REPORT_RESP => Self::ReportResp(Resp::decode("SGIP_REPORT_RESP", body)?),
            command::USERRPT => Self::Userrpt(Userrpt::decode(body)?),
            command::USERRPT_RESP => Self::UserrptResp(Resp::decode("SGIP_USERRPT_RESP", body)?),
            command::TRACE => Self::Trace(Trace::decode(body)?),
            command::TRACE_RESP => Self::TraceResp(TraceResp::decode(body)?),
            _ => Self::Unknown {
                command_id,
                body: frame.slice_ref(body),
            },
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            Self::Bind(b) => b.encode(buf),
            Self::BindResp(r)
            | Self::SubmitResp(r)
            | Self::DeliverResp(r)
            | Self::ReportResp(r)
            | Self::UserrptResp(r) => r.encode(buf),
            Self::Submit(s) => s.encode(buf)?,
            Self::Deliver(d) => d.encode(buf)?,
            Self::Report(r) => r.encode(buf),
            Self::Userrpt(u) => u.encode(buf),
            Self::Trace(t) => t.encode(buf),
            Self::TraceResp(t) => t.encode(buf)?,
            Self::Unbind | Self::UnbindResp => {}
            Self::Unknown { body, .. } => buf.put_slice(body),
        }
        Ok(())
    }
}

/// The Result-style response body answering `command_id`.
fn response_body(command_id: u32, result: u8) -> Option<Body> {
    Some(match command_id {
        command::BIND => Body::BindResp(Resp::new(result)),
        command::UNBIND => Body::UnbindResp,
        command::SUBMIT => Body::SubmitResp(Resp::new(result)),
        command::DELIVER => Body::DeliverResp(Resp::new(result)),
        command::REPORT => Body::ReportResp(Resp::new(result)),
        command::USERRPT => Body::UserrptResp(Resp::new(result)),
        _ => return None,
    })
}

fn empty(pdu: &'static str, body: &[u8]) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::trailing(pdu, body.len()))
    }
}

/// Decode one complete frame, header included.
///
/// The header's Message Length must equal the frame length (the error names
/// `Message Length`). Message content and unknown bodies are views into `frame`
/// (`Bytes::slice_ref`), not copies.
pub fn decode(frame: &Bytes) -> Result<Pdu, DecodeError> {
    let header = Header::parse(frame)?;
    let pdu = command::name(header.command_id).unwrap_or(HEADER_PDU);
    if header.length as usize != frame.len() {
        return Err(DecodeError::invalid(
            pdu,
            "Message Length",
            format!("{} (frame is {} bytes)", header.length, frame.len()),
            "must equal the frame length",
        ));
    }
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let body = Body::decode(header.command_id, frame, body)?;
    Ok(Pdu {
        sequence: header.sequence,
        body,
    })
}

impl Pdu {
    /// A PDU from its parts.
    pub fn new(sequence: SequenceNumber, body: Body) -> Self {
        Self { sequence, body }
    }

    /// Decode one complete frame; see [`decode`].
    pub fn decode(frame: &Bytes) -> Result<Self, DecodeError> {
        decode(frame)
    }

    /// Command ID of the body.
    pub fn command_id(&self) -> u32 {
        self.body.command_id()
    }

    /// Spec name of the command, e.g. `SGIP_SUBMIT`; `UNKNOWN` for ids outside the
    /// command table.
    pub fn command_name(&self) -> &'static str {
        command::name_or_unknown(self.command_id())
    }

    /// True for responses (Command ID top bit set).
    pub fn is_response(&self) -> bool {
        command::is_response(self.command_id())
    }

    /// Total encoded length (the Message Length field).
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body.encoded_len()
    }

    /// Append the encoded PDU to `buf`. On error nothing is left appended.
    pub fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let pdu = self.command_name();
        let len = u32::try_from(self.encoded_len())
            .map_err(|_| EncodeError::new(pdu, "Message Length", "PDU exceeds 4 GiB"))?;
        let start = buf.len();
        buf.reserve(self.encoded_len());
        Header {
            length: len,
            command_id: self.command_id(),
            sequence: self.sequence,
        }
        .put(buf);
        if let Err(e) = self.body.encode(buf) {
            buf.truncate(start);
            return Err(e);
        }
        debug_assert_eq!(
            buf.len() - start,
            len as usize,
            "encoded_len out of sync for {pdu}"
        );
        Ok(())
    }

    /// Encode into a fresh buffer.
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }

    /// Encode into a `Vec` (tests, CLI).
    pub fn encode_to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        self.to_bytes().map(Vec::from)
    }

    /// A PDU answering this one with `body`: same sequence number, as SGIP requires
    /// of every response (use for Trace_Resp, or to answer an unknown command).
    pub fn reply(&self, body: Body) -> Pdu {
        Pdu {
            sequence: self.sequence,
            body,
        }
    }

    /// The response answering this request with `result`, carrying the request's
    /// sequence number. `None` for responses and for commands without a
    /// Result-style response (Trace, whose response is built from trace records, and
    /// unknown commands).
    pub fn response(&self, result: u8) -> Option<Pdu> {
        response_body(self.command_id(), result).map(|body| self.reply(body))
    }

    /// The response to a request whose body failed to decode, built from its header
    /// alone (see [`Header::parse`]) — e.g. a gateway answering a malformed Submit
    /// with Result 5. `None` where [`Pdu::response`] would give `None`.
    pub fn response_to_header(header: &Header, result: u8) -> Option<Pdu> {
        response_body(header.command_id, result).map(|body| Pdu {
            sequence: header.sequence,
            body,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use wire::DecodeErrorKind;

    fn seq() -> SequenceNumber {
        SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 102_030_405,
            counter: 3,
        }
    }

    #[test]
    fn length_field_must_match_the_frame() {
        let mut bytes = Pdu::new(seq(), Body::Unbind).encode_to_vec().unwrap();
        bytes.push(0);
        let err = decode(&Bytes::from(bytes)).unwrap_err();
        assert_eq!(err.pdu, "SGIP_UNBIND");
        assert_eq!(err.field, "Message Length");
        assert!(matches!(err.kind, DecodeErrorKind::Invalid { .. }));
    }

    #[test]
    fn unbind_with_a_body_is_rejected() {
        let mut bytes = Pdu::new(seq(), Body::UnbindResp).encode_to_vec().unwrap();
        bytes.push(0);
        bytes[3] = 21;
        let err = decode(&Bytes::from(bytes)).unwrap_err();
        assert_eq!(err, DecodeError::trailing("SGIP_UNBIND_RESP", 1));
    }

    #[test]
    fn short_frames_are_header_errors() {
        let err = decode(&Bytes::from_static(&[0, 0, 0, 20, 0, 0])).unwrap_err();
        assert_eq!(err.pdu, HEADER_PDU);
        assert_eq!(err.field, "Command ID");
    }

    #[test]
    fn unknown_commands_keep_their_body_and_round_trip() {
        let pdu = Pdu::new(
            seq(),
            Body::Unknown {
                command_id: command::ADDSP,
                body: Bytes::from_static(b"\x01\x02\x03"),
            },
        );
        let bytes = pdu.to_bytes().unwrap();
        assert_eq!(bytes.len(), 23);
        let back = decode(&bytes).unwrap();
        assert_eq!(back, pdu);
        assert_eq!(back.command_name(), "SGIP_ADDSP");
        let odd = Pdu::new(
            seq(),
            Body::Unknown {
                command_id: 0x7777,
                body: Bytes::new(),
            },
        );
        assert_eq!(
            decode(&odd.to_bytes().unwrap()).unwrap().command_name(),
            "UNKNOWN"
        );
    }

    #[test]
    fn responses_echo_the_sequence_number() {
        let bind = Pdu::new(seq(), Body::Bind(Bind::sp_to_smg("u", "p").unwrap()));
        let resp = bind.response(1).unwrap();
        assert_eq!(resp.sequence, bind.sequence);
        assert_eq!(resp.body, Body::BindResp(Resp::new(1)));
        assert!(resp.is_response() && !bind.is_response());
        assert_eq!(
            Pdu::new(seq(), Body::Unbind).response(0).unwrap().body,
            Body::UnbindResp
        );
        assert_eq!(resp.response(0), None);
        let trace = Pdu::new(seq(), Body::Trace(crate::trace::Trace::default()));
        assert_eq!(trace.response(0), None);
    }

    #[test]
    fn a_malformed_request_can_be_answered_from_its_header() {
        // A Submit with UserCount 0 (SPNumber 21, ChargeNumber 21, UserCount 1, …).
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 3];
        bytes.extend_from_slice(&seq().to_bytes());
        bytes.extend_from_slice(&[0; 43]);
        let len = bytes.len() as u32;
        bytes[..4].copy_from_slice(&len.to_be_bytes());
        let bytes = Bytes::from(bytes);
        let err = decode(&bytes).unwrap_err();
        assert_eq!((err.pdu, err.field), ("SGIP_SUBMIT", "UserCount"));
        let header = Header::parse(&bytes).unwrap();
        let resp = Pdu::response_to_header(&header, 5).unwrap();
        assert_eq!(resp.sequence, seq());
        assert_eq!(resp.body, Body::SubmitResp(Resp::new(5)));
        let trace_header = Header {
            command_id: command::TRACE,
            ..header
        };
        assert_eq!(Pdu::response_to_header(&trace_header, 5), None);
    }
}
