//! The answer to a request whose body did not decode ([`CmppCodec::decode_frame`]):
//! a CMPP_DELIVER gets its CMPP_DELIVER_RESP with an error Result (cmpp.md §10.3), so
//! the gateway stops sending it and the session goes on.
//!
//! | Result | meaning | when |
//! |---:|---|---|
//! | 4 | message length error | a field or the frame runs short or long, or `Msg_Length` disagrees with the bytes |
//! | 1 | message structure error | a field holds a value CMPP does not allow |
//!
//! [`CmppCodec::decode_frame`]: crate::CmppCodec::decode_frame

use wire::{DecodeError, Undecodable};

use crate::command;
use crate::deliver::DeliverResp;
use crate::header::{HEADER_LEN, Header};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};

/// Result 1: message structure error.
pub const RESULT_STRUCTURE: u32 = 1;
/// Result 4: message length error.
pub const RESULT_LENGTH: u32 = 4;

/// The error Result for a body that failed to decode this way.
pub fn error_result(error: &DecodeError) -> u32 {
    if error.is_length_error() {
        RESULT_LENGTH
    } else {
        RESULT_STRUCTURE
    }
}

/// The answer to an undecodable frame: a DELIVER_RESP with the error Result, echoing
/// the DELIVER's sequence and (when the frame holds one) its Msg_Id. `None` for anything
/// but a DELIVER — a response needs no answer.
pub fn answer(bad: &Undecodable<Header>) -> Option<Pdu> {
    if bad.header.command_id != command::DELIVER {
        return None;
    }
    let msg_id = bad
        .frame
        .get(HEADER_LEN..HEADER_LEN + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes);
    Some(Pdu::new(
        bad.header.sequence_id,
        Body::DeliverResp(DeliverResp {
            msg_id: MsgId(msg_id),
            result: error_result(&bad.error),
        }),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::codec::Decoder;
    use crate::{CmppCodec, Deliver, DeliverContent, Version};

    /// A 3.0 DELIVER whose Msg_Length says 9 while 2 content bytes follow, then an
    /// ACTIVE_TEST: the first comes back undecodable and answered with Result 4, the
    /// second decodes.
    #[test]
    fn a_deliver_with_a_wrong_msg_length_is_answered_with_result_4() {
        for v in [Version::V20, Version::V30] {
            let d = Deliver {
                msg_id: MsgId(0x1122_3344_5566_7788),
                content: DeliverContent::Message(bytes::Bytes::from_static(b"hi")),
                ..Default::default()
            };
            let mut raw = BytesMut::from(&Pdu::new(7, Body::Deliver(d)).to_bytes(v).unwrap()[..]);
            // Msg_Length sits just before the content.
            let at = raw.len() - 2 - if v == Version::V30 { 20 } else { 8 } - 1;
            raw[at] = 9;
            let mut codec = CmppCodec::new(v);
            Pdu::new(8, Body::ActiveTest).encode(v, &mut raw).unwrap();
            let bad = codec.decode_frame(&mut raw).unwrap().unwrap().unwrap_err();
            assert_eq!(bad.header.sequence_id, 7);
            let resp = answer(&bad).unwrap();
            assert_eq!(resp.sequence_id, 7);
            assert_eq!(
                resp.body,
                Body::DeliverResp(DeliverResp {
                    msg_id: MsgId(0x1122_3344_5566_7788),
                    result: RESULT_LENGTH,
                })
            );
            let next = codec.decode(&mut raw).unwrap().unwrap();
            assert_eq!(next, Pdu::new(8, Body::ActiveTest));
        }
    }

    #[test]
    fn responses_get_no_answer_and_bad_values_result_1() {
        let header = Header {
            total_length: 13,
            command_id: command::SUBMIT_RESP,
            sequence_id: 1,
        };
        let bad = Undecodable {
            header,
            frame: bytes::Bytes::from_static(&[0; 13]),
            error: DecodeError::truncated("CMPP_SUBMIT_RESP", "Msg_Id", 8, 1),
        };
        assert!(answer(&bad).is_none());
        let bad_value = DecodeError::invalid("CMPP_DELIVER", "Registered_Delivery", 7, "0 or 1");
        assert_eq!(error_result(&bad_value), RESULT_STRUCTURE);
    }
}
