//! The answer to a request whose body did not decode ([`SgipCodec::decode_frame`]): a
//! Deliver, Report or UserRpt gets its response with an error Result (sgip.md §11), so the
//! SMG stops sending it and the connection goes on.
//!
//! | Result | meaning | when |
//! |---:|---|---|
//! | 8 | message length error | a field or the frame runs short or long, or `MessageLength` disagrees with the bytes |
//! | 5 | parameter format error | a field holds a value SGIP does not allow |
//!
//! [`SgipCodec::decode_frame`]: crate::SgipCodec::decode_frame

use wire::{DecodeError, Undecodable};

use crate::command;
use crate::header::Header;
use crate::pdu::Pdu;

/// Result 5: parameter format error.
pub const RESULT_FORMAT: u8 = 5;
/// Result 8: message length error.
pub const RESULT_LENGTH: u8 = 8;

/// The error Result for a body that failed to decode this way.
pub fn error_result(error: &DecodeError) -> u8 {
    if error.is_length_error() {
        RESULT_LENGTH
    } else {
        RESULT_FORMAT
    }
}

/// The answer to an undecodable frame: the response to a Deliver, Report or UserRpt with
/// the error Result, carrying the request's sequence number. `None` for anything else — a
/// response needs no answer, and the other requests are not the SMG's to send to an SP.
pub fn answer(bad: &Undecodable<Header>) -> Option<Pdu> {
    match bad.header.command_id {
        command::DELIVER | command::REPORT | command::USERRPT => {
            Pdu::response_to_header(&bad.header, error_result(&bad.error))
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::*;
    use crate::codec::Decoder;
    use crate::{Body, Deliver, HEADER_LEN, Resp, SequenceNumber, SgipCodec};

    fn seq(counter: u32) -> SequenceNumber {
        SequenceNumber {
            node_id: 0,
            timestamp: 1_207_010_203,
            counter,
        }
    }

    /// A Deliver whose MessageLength says 200 while 2 content bytes follow, then an
    /// Unbind: the first comes back undecodable and answered with Result 8, the second
    /// decodes.
    #[test]
    fn a_deliver_with_a_wrong_message_length_is_answered_with_result_8() {
        let d = Deliver::new("8613012345678", "10655", 15, Bytes::from_static(b"hi")).unwrap();
        let mut raw = BytesMut::from(&Pdu::new(seq(1), Body::Deliver(d)).to_bytes().unwrap()[..]);
        // MessageLength (4 bytes) sits 2 content + 8 reserve + 4 before the end.
        let at = raw.len() - 2 - 8 - 4;
        raw[at..at + 4].copy_from_slice(&200u32.to_be_bytes());
        Pdu::new(seq(2), Body::Unbind).encode(&mut raw).unwrap();
        let mut codec = SgipCodec::default();
        let bad = codec.decode_frame(&mut raw).unwrap().unwrap().unwrap_err();
        assert!(bad.frame.len() > HEADER_LEN);
        let resp = answer(&bad).unwrap();
        assert_eq!(resp.sequence, seq(1));
        assert_eq!(resp.body, Body::DeliverResp(Resp::new(RESULT_LENGTH)));
        assert_eq!(
            codec.decode(&mut raw).unwrap().unwrap(),
            Pdu::new(seq(2), Body::Unbind)
        );
    }

    #[test]
    fn responses_get_no_answer_and_bad_values_result_5() {
        let bad = Undecodable {
            header: Header {
                length: 21,
                command_id: command::SUBMIT_RESP,
                sequence: seq(1),
            },
            frame: Bytes::from_static(&[0; 21]),
            error: DecodeError::truncated("SGIP_SUBMIT_RESP", "Result", 1, 0),
        };
        assert!(answer(&bad).is_none());
        let e = DecodeError::invalid("SGIP_DELIVER", "TP_udhi", 7, "0 or 1");
        assert_eq!(error_result(&e), RESULT_FORMAT);
    }
}
