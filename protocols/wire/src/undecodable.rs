//! A complete frame whose body did not decode, handed back with its header so a session
//! can answer it and go on.
//!
//! All three protocols delimit a PDU by the length in its header, so once that length is
//! plausible the frame can be cut off the stream whatever its body holds: the next frame
//! still starts in the right place. A codec's `decode_frame` therefore returns
//! [`Undecodable`] for a bad body (the frame consumed) and keeps errors for a length
//! prefix that cannot be trusted — the only case that must end a session.

use bytes::Bytes;

use crate::error::{DecodeError, DecodeErrorKind};

/// A frame cut on its length prefix whose body failed to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable<H> {
    /// The frame's header (command id, sequence), which always decodes.
    pub header: H,
    /// The whole frame, header included, as received.
    pub frame: Bytes,
    /// Why the body did not decode.
    pub error: DecodeError,
}

impl DecodeError {
    /// Whether the failure is about lengths — a field or the frame running short or long,
    /// or a length field (`Msg_Length`, `MsgLength`, `MessageLength`, …) that disagrees
    /// with the bytes — rather than a value the protocol does not allow. The protocols
    /// answer the two with different error results.
    pub fn is_length_error(&self) -> bool {
        match self.kind {
            DecodeErrorKind::Truncated { .. } | DecodeErrorKind::TrailingBytes(_) => true,
            DecodeErrorKind::Invalid { .. } => self.field.ends_with("Length"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_errors_are_told_from_bad_values() {
        assert!(DecodeError::truncated("CMPP_DELIVER", "Msg_Content", 9, 3).is_length_error());
        assert!(DecodeError::trailing("SMGP_DELIVER", 2).is_length_error());
        assert!(
            DecodeError::invalid("SGIP_DELIVER", "MessageLength", 9, "past the frame")
                .is_length_error()
        );
        assert!(
            !DecodeError::invalid("CMPP_DELIVER", "Registered_Delivery", 7, "0 or 1")
                .is_length_error()
        );
    }
}
