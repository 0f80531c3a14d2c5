//! Trace / Trace_Resp: the SP asks which nodes an earlier Submit passed through
//! (on a test connection, Login Type 11); the answer lists one record per node.
//!
//! Trace_Resp's NodeId is 6 bytes in some implementations and 10 in the spec text
//! (reference disagreement 15); both are accepted, 10 is emitted — see [`TraceResp`].

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, octets_narrow, put_padded, u8_be};
use wire::{DecodeError, EncodeError, Octets};

use crate::sequence::SequenceNumber;
use crate::status;

const PDU: &str = "SGIP_TRACE";
const RESP_PDU: &str = "SGIP_TRACE_RESP";

/// Body size of a Trace.
pub const TRACE_BODY_LEN: usize = 41;

/// SGIP_TRACE body.
///
/// Trace — Message Length 61:
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 12 | SubmitSequenceNumber | sequence number of the traced Submit |
/// | 32 | 21 | UserNumber | the MT's recipient |
/// | 53 | 8 | Reserve | |
///
/// Example (Trace of Submit `3010012345-0102030405-2` to 8613012345678; the test
/// fixture in `tests/disagreements.rs`):
///
/// ```text
/// 00000000  00 00 00 3d 00 00 10 00  b3 69 24 b9 06 14 dc 45
/// 00000010  00 00 00 05 b3 69 24 b9  06 14 dc 45 00 00 00 02
/// 00000020  38 36 31 33 30 31 32 33  34 35 36 37 38 00 00 00
/// 00000030  00 00 00 00 00 00 00 00  00 00 00 00 00
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Trace {
    /// SubmitSequenceNumber: the Submit being traced.
    pub submit_sequence: SequenceNumber,
    /// UserNumber: the MT's recipient.
    pub user_number: Octets<21>,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl Trace {
    /// A Trace of the Submit numbered `submit_sequence` to `user_number`.
    pub fn new(submit_sequence: SequenceNumber, user_number: &str) -> Result<Self, EncodeError> {
        Ok(Self {
            submit_sequence,
            user_number: Octets::for_field(PDU, "UserNumber", user_number.as_bytes())?,
            reserve: Octets::EMPTY,
        })
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        finish(PDU, true, trace_parser(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.submit_sequence.put(buf);
        self.user_number.put(buf);
        self.reserve.put(buf);
    }
}

fn trace_parser(i: &[u8]) -> PResult<'_, Trace> {
    let (i, submit_sequence) = SequenceNumber::parse("SubmitSequenceNumber")(i)?;
    let (i, user_number) = octets::<21>("UserNumber")(i)?;
    let (i, reserve) = octets::<8>("Reserve")(i)?;
    Ok((
        i,
        Trace {
            submit_sequence,
            user_number,
            reserve,
        },
    ))
}

/// Width of the NodeId field in Trace_Resp records (reference disagreement 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NodeIdWidth {
    /// 6 bytes, 47-byte records (SMSGate, feiying_sgip).
    Six,
    /// 10 bytes, 51-byte records (SGIP 1.3 specification text); what we emit.
    #[default]
    Ten,
}

impl NodeIdWidth {
    /// NodeId size in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Self::Six => 6,
            Self::Ten => 10,
        }
    }

    /// Size of one record with this NodeId width.
    pub fn record_len(self) -> usize {
        1 + self.bytes() + 16 + 16 + 8
    }
}

/// One node a traced message passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceRecord {
    /// Result at this node: 0 received, 1 waiting, else an error code.
    pub result: u8,
    /// NodeId as text; with [`NodeIdWidth::Six`] only the first 6 bytes are used.
    pub node_id: Octets<10>,
    /// ReceiveTime `yymmddhhmmss`.
    pub receive_time: Octets<16>,
    /// SendTime `yymmddhhmmss`.
    pub send_time: Octets<16>,
    /// Reserve, kept raw.
    pub reserve: Octets<8>,
}

impl TraceRecord {
    /// What Result means for this node.
    pub fn result_meaning(&self) -> &'static str {
        status::trace_result_meaning(self.result)
    }

    /// NodeId as a number, when it is decimal text that fits a `u32`.
    pub fn node_id_number(&self) -> Option<u32> {
        std::str::from_utf8(self.node_id.value()).ok()?.parse().ok()
    }
}

/// SGIP_TRACE_RESP body.
///
/// Trace_Resp — Message Length 21 + Count × record:
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 20 | 1 | Count | number of records |
/// | 21 | 1 | Result | 0 received at this node, 1 waiting, else an error code |
/// | 22 | 6 or 10 | NodeId | node id as text |
/// | … | 16 | ReceiveTime | `yymmddhhmmss` |
/// | … | 16 | SendTime | `yymmddhhmmss` |
/// | … | 8 | Reserve | |
///
/// **NodeId width** (reference disagreement 15): SMSGate and feiying_sgip read 6
/// bytes (47-byte records); the SGIP 1.3 specification text says 10 (51-byte
/// records). Decoding accepts both, telling them apart by the body length, and keeps
/// the width so the PDU re-encodes byte-exactly. New responses use **10**, the
/// specification form: it is the only normative text we have, and only 10 bytes can
/// hold every node id class of spec §3.4 — an SP id `3AAAAQQQQQ` (e.g. 3010012345)
/// has 10 digits, so a 6-byte field could not name the SP node a Submit starts at.
/// Use [`NodeIdWidth::Six`] to talk to a peer that expects the 6-byte form.
///
/// Example (10-byte NodeId; SMG 101001 received it, SMSC 201001 is waiting):
///
/// ```text
/// 00000000  00 00 00 7b 80 00 10 00  b3 69 24 b9 06 14 dc 45
/// 00000010  00 00 00 05 02 00 31 30  31 30 30 31 00 00 00 00
/// 00000020  32 35 30 31 30 32 30 33  30 34 30 35 00 00 00 00
/// 00000030  32 35 30 31 30 32 30 33  30 34 30 36 00 00 00 00
/// 00000040  00 00 00 00 00 00 00 00  01 32 30 31 30 30 31 00
/// 00000050  00 00 00 32 35 30 31 30  32 30 33 30 34 30 35 00
/// 00000060  00 00 00 32 35 30 31 30  32 30 33 30 34 30 36 00
/// 00000070  00 00 00 00 00 00 00 00  00 00 00
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TraceResp {
    /// NodeId width used on the wire (kept from decoding; [`NodeIdWidth::Ten`] by default).
    pub node_id_width: NodeIdWidth,
    /// One record per node; Count is their number (at most 255).
    pub records: Vec<TraceRecord>,
}

impl TraceResp {
    /// Encoded body size.
    pub fn encoded_len(&self) -> usize {
        1 + self.records.len() * self.node_id_width.record_len()
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (&count, records) = body
            .split_first()
            .ok_or_else(|| DecodeError::truncated(RESP_PDU, "Count", 1, 0))?;
        let count = usize::from(count);
        let node_id_width = if count == 0 {
            NodeIdWidth::default()
        } else if records.len() == count * NodeIdWidth::Ten.record_len() {
            NodeIdWidth::Ten
        } else if records.len() == count * NodeIdWidth::Six.record_len() {
            NodeIdWidth::Six
        } else {
            return Err(DecodeError::invalid(
                RESP_PDU,
                "Count",
                format!("{count} record(s) in {} byte(s)", records.len()),
                "records must be 47 bytes (6-byte NodeId) or 51 bytes (10-byte NodeId) each",
            ));
        };
        let parsed = finish(
            RESP_PDU,
            true,
            records_parser(records, count, node_id_width),
        )?;
        Ok(Self {
            node_id_width,
            records: parsed,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let count = u8::try_from(self.records.len()).map_err(|_| {
            EncodeError::new(
                RESP_PDU,
                "Count",
                format!("{} records; at most 255", self.records.len()),
            )
        })?;
        buf.put_u8(count);
        for r in &self.records {
            buf.put_u8(r.result);
            put_padded(
                buf,
                RESP_PDU,
                "NodeId",
                r.node_id.raw(),
                self.node_id_width.bytes(),
            )?;
            r.receive_time.put(buf);
            r.send_time.put(buf);
            r.reserve.put(buf);
        }
        Ok(())
    }
}

fn records_parser(mut i: &[u8], count: usize, width: NodeIdWidth) -> PResult<'_, Vec<TraceRecord>> {
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        let (rest, result) = u8_be("Result")(i)?;
        let (rest, node_id) = octets_narrow::<10>("NodeId", width.bytes())(rest)?;
        let (rest, receive_time) = octets::<16>("ReceiveTime")(rest)?;
        let (rest, send_time) = octets::<16>("SendTime")(rest)?;
        let (rest, reserve) = octets::<8>("Reserve")(rest)?;
        records.push(TraceRecord {
            result,
            node_id,
            receive_time,
            send_time,
            reserve,
        });
        i = rest;
    }
    Ok((i, records))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn record(node: &str) -> TraceRecord {
        TraceRecord {
            result: 0,
            node_id: Octets::new(node.as_bytes()).unwrap(),
            receive_time: Octets::new(b"250102030405").unwrap(),
            send_time: Octets::new(b"250102030406").unwrap(),
            reserve: Octets::EMPTY,
        }
    }

    fn encode(r: &TraceResp) -> BytesMut {
        let mut buf = BytesMut::new();
        r.encode(&mut buf).unwrap();
        buf
    }

    #[test]
    fn trace_round_trips() {
        let seq = SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 102_030_405,
            counter: 2,
        };
        let t = Trace::new(seq, "8613012345678").unwrap();
        let mut buf = BytesMut::new();
        t.encode(&mut buf);
        assert_eq!(buf.len(), TRACE_BODY_LEN);
        assert_eq!(Trace::decode(&buf).unwrap(), t);
        assert_eq!(Trace::decode(&buf[..40]).unwrap_err().field, "Reserve");
    }

    #[test]
    fn emits_the_10_byte_spec_form_by_default() {
        let r = TraceResp {
            records: vec![record("101001"), record("3010012345")],
            ..Default::default()
        };
        let buf = encode(&r);
        assert_eq!(buf.len(), 1 + 2 * 51);
        assert_eq!(r.encoded_len(), buf.len());
        assert_eq!(buf[0], 2);
        assert_eq!(&buf[2..12], b"101001\0\0\0\0");
        let back = TraceResp::decode(&buf).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.records[1].node_id_number(), Some(3_010_012_345));
        assert_eq!(back.records[0].result_meaning(), "received at this node");
    }

    #[test]
    fn accepts_and_keeps_the_6_byte_form() {
        let r = TraceResp {
            node_id_width: NodeIdWidth::Six,
            records: vec![record("101001"); 3],
        };
        let buf = encode(&r);
        assert_eq!(buf.len(), 1 + 3 * 47);
        assert_eq!(&buf[2..8], b"101001");
        assert_eq!(&buf[8..20], b"250102030405");
        let back = TraceResp::decode(&buf).unwrap();
        assert_eq!(back.node_id_width, NodeIdWidth::Six);
        assert_eq!(back, r);
        assert_eq!(&encode(&back)[..], &buf[..]);
    }

    #[test]
    fn a_10_digit_node_id_does_not_fit_the_6_byte_form() {
        let r = TraceResp {
            node_id_width: NodeIdWidth::Six,
            records: vec![record("3010012345")],
        };
        let err = r.encode(&mut BytesMut::new()).unwrap_err();
        assert_eq!((err.pdu, err.field), (RESP_PDU, "NodeId"));
    }

    #[test]
    fn empty_and_malformed_bodies() {
        let empty = TraceResp::decode(&[0]).unwrap();
        assert_eq!(empty, TraceResp::default());
        assert_eq!(&encode(&empty)[..], &[0]);
        assert_eq!(
            TraceResp::decode(&[]).unwrap_err(),
            DecodeError::truncated(RESP_PDU, "Count", 1, 0)
        );
        assert_eq!(
            TraceResp::decode(&[0, 1]).unwrap_err(),
            DecodeError::trailing(RESP_PDU, 1)
        );
        let err = TraceResp::decode(&[1; 50]).unwrap_err();
        assert_eq!(err.field, "Count");
        let too_many = TraceResp {
            records: vec![TraceRecord::default(); 256],
            ..Default::default()
        };
        assert_eq!(
            too_many.encode(&mut BytesMut::new()).unwrap_err().field,
            "Count"
        );
    }
}
