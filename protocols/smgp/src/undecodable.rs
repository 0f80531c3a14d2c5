//! The answer to a request whose body did not decode ([`SmgpCodec::decode_frame`]): a
//! Deliver gets its Deliver_Resp with an error Status (smgp.md §9), so the gateway stops
//! sending it and the session goes on.
//!
//! | Status | meaning | when |
//! |---:|---|---|
//! | 36 | illegal MsgLength | `MsgLength` disagrees with the bytes, or the content runs past the frame |
//! | 10 | message structure error | anything else |
//!
//! [`SmgpCodec::decode_frame`]: crate::SmgpCodec::decode_frame

use wire::{DecodeError, Undecodable};

use crate::command;
use crate::deliver::DeliverResp;
use crate::header::{HEADER_LEN, Header};
use crate::msg_id::MsgId;
use crate::pdu::{Body, Pdu};

/// Status 10: message structure error.
pub const STATUS_STRUCTURE: u32 = 10;
/// Status 36: illegal MsgLength.
pub const STATUS_MSG_LENGTH: u32 = 36;

/// The error Status for a body that failed to decode this way.
pub fn error_status(error: &DecodeError) -> u32 {
    if matches!(error.field, "MsgLength" | "MsgContent") {
        STATUS_MSG_LENGTH
    } else {
        STATUS_STRUCTURE
    }
}

/// The answer to an undecodable frame: a Deliver_Resp with the error Status, echoing the
/// Deliver's sequence and (when the frame holds one) its MsgID. `None` for anything but a
/// Deliver — a response needs no answer.
pub fn answer(bad: &Undecodable<Header>) -> Option<Pdu> {
    if bad.header.request_id != command::DELIVER {
        return None;
    }
    let msg_id = bad
        .frame
        .get(HEADER_LEN..HEADER_LEN + 10)
        .and_then(|b| <[u8; 10]>::try_from(b).ok())
        .unwrap_or([0; 10]);
    Some(Pdu::new(
        bad.header.sequence_id,
        Body::DeliverResp(DeliverResp {
            msg_id: MsgId(msg_id),
            status: error_status(&bad.error),
        }),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::*;
    use crate::codec::Decoder;
    use crate::{Deliver, SmgpCodec, Version};

    /// A Deliver whose MsgLength says 200 while 2 content bytes follow, then an
    /// Active_Test: the first comes back undecodable and answered with Status 36, the
    /// second decodes.
    #[test]
    fn a_deliver_with_a_wrong_msg_length_is_answered_with_status_36() {
        let d = Deliver {
            msg_id: MsgId([7; 10]),
            msg_content: Bytes::from_static(b"hi"),
            ..Default::default()
        };
        let v = Version::V30;
        let mut raw = BytesMut::from(&Pdu::new(5, Body::Deliver(d)).to_bytes(v).unwrap()[..]);
        // MsgLength: header 12 + the 69 bytes before it, less its own byte.
        raw[HEADER_LEN + 68] = 200;
        Pdu::new(6, Body::ActiveTest).encode(v, &mut raw).unwrap();
        let mut codec = SmgpCodec::default();
        let bad = codec.decode_frame(&mut raw).unwrap().unwrap().unwrap_err();
        assert_eq!(bad.header.sequence_id, 5);
        let resp = answer(&bad).unwrap();
        assert_eq!(resp.sequence_id, 5);
        assert_eq!(
            resp.body,
            Body::DeliverResp(DeliverResp {
                msg_id: MsgId([7; 10]),
                status: STATUS_MSG_LENGTH,
            })
        );
        assert_eq!(
            codec.decode(&mut raw).unwrap().unwrap(),
            Pdu::new(6, Body::ActiveTest)
        );
    }

    #[test]
    fn responses_get_no_answer_and_other_errors_status_10() {
        let bad = Undecodable {
            header: Header {
                packet_length: 13,
                request_id: command::SUBMIT_RESP,
                sequence_id: 1,
            },
            frame: Bytes::from_static(&[0; 13]),
            error: DecodeError::truncated("SMGP_SUBMIT_RESP", "MsgID", 10, 1),
        };
        assert!(answer(&bad).is_none());
        let e = DecodeError::invalid("SMGP_DELIVER", "IsReport", 7, "0 or 1");
        assert_eq!(error_status(&e), STATUS_STRUCTURE);
    }
}
