//! tokio-util codec: frames SGIP PDUs on the 4-byte Message Length.
//!
//! The length is checked against the 20-byte header and the configured maximum
//! before anything is reserved, so a corrupt or hostile peer cannot make us allocate
//! a huge buffer or spin on an empty frame. A frame whose body fails to decode is
//! consumed before the error is returned, so the stream stays in sync and the
//! session can answer the bad command and go on: [`SgipCodec::decode_frame`] hands it
//! back with its header, and [`crate::undecodable`] says what to answer.

use bytes::BytesMut;
/// Re-exported so users of the codec (the link layer, the fuzz target) need no
/// direct tokio-util dependency to call `decode` / `encode`.
pub use tokio_util::codec::{Decoder, Encoder};
use wire::frame::FrameLimits;
use wire::{CodecError, EncodeError, FrameError, Undecodable};

use crate::header::{HEADER_LEN, Header};
use crate::pdu::{Pdu, decode};
use crate::sequence::SequenceNumber;

/// Default largest frame accepted and sent.
///
/// The spec caps a PDU at 2 KB, but a Submit to 100 recipients (which the spec also
/// allows) is 2 243 bytes before any content, so the default leaves room for that.
pub const DEFAULT_MAX_FRAME: usize = 4096;

/// Encoder / decoder of SGIP frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SgipCodec {
    limits: FrameLimits,
}

impl Default for SgipCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

impl SgipCodec {
    /// A codec accepting frames of up to `max_frame` bytes (at least the header).
    pub fn new(max_frame: usize) -> Self {
        Self {
            limits: FrameLimits {
                min: HEADER_LEN,
                max: max_frame.max(HEADER_LEN),
            },
        }
    }

    /// The largest frame accepted and sent.
    pub fn max_frame(&self) -> usize {
        self.limits.max
    }

    /// The next frame: `Ok(None)` until it is complete, then the PDU — or, when its body
    /// does not decode, the frame (consumed) with its header. `Err` only for a length
    /// prefix out of bounds, after which the stream cannot be trusted.
    pub fn decode_frame(
        &mut self,
        src: &mut BytesMut,
    ) -> Result<Option<Result<Pdu, Undecodable<Header>>>, FrameError> {
        let Some(frame) = self.limits.next_frame(src)? else {
            return Ok(None);
        };
        Ok(Some(decode(&frame).map_err(|error| {
            Undecodable {
                // The frame holds at least the header (`limits.min`).
                header: Header::parse(&frame).unwrap_or(Header {
                    length: 0,
                    command_id: 0,
                    sequence: SequenceNumber {
                        node_id: 0,
                        timestamp: 0,
                        counter: 0,
                    },
                }),
                frame,
                error,
            }
        })))
    }
}

impl Decoder for SgipCodec {
    type Item = Pdu;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Pdu>, CodecError> {
        match self.decode_frame(src)? {
            None => Ok(None),
            Some(Ok(pdu)) => Ok(Some(pdu)),
            Some(Err(bad)) => Err(bad.error.into()),
        }
    }
}

impl Encoder<&Pdu> for SgipCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: &Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        let len = pdu.encoded_len();
        if len > self.limits.max {
            return Err(EncodeError::new(
                pdu.command_name(),
                "Message Length",
                format!(
                    "{len} bytes exceed the maximum frame size {}",
                    self.limits.max
                ),
            )
            .into());
        }
        pdu.encode(dst)?;
        Ok(())
    }
}

impl Encoder<Pdu> for SgipCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        Encoder::<&Pdu>::encode(self, &pdu, dst)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use bytes::{BufMut, Bytes};
    use wire::FrameError;

    use super::*;
    use crate::pdu::Body;
    use crate::resp::Resp;
    use crate::sequence::SequenceNumber;
    use crate::submit::Submit;

    fn seq(counter: u32) -> SequenceNumber {
        SequenceNumber {
            node_id: 3_010_012_345,
            timestamp: 102_030_405,
            counter,
        }
    }

    fn submit() -> Pdu {
        let s = Submit::new(
            "10655012345",
            "8613012345678",
            8,
            Bytes::from_static(&[0x4f, 0x60]),
        )
        .unwrap();
        Pdu::new(seq(2), Body::Submit(s))
    }

    #[test]
    fn partial_frames_wait_and_reserve_the_rest() {
        let bytes = submit().to_bytes().unwrap();
        let mut codec = SgipCodec::default();
        let mut buf = BytesMut::new();
        for (k, b) in bytes.iter().enumerate() {
            buf.put_u8(*b);
            if k + 1 < bytes.len() {
                assert_eq!(
                    codec.decode(&mut buf).unwrap(),
                    None,
                    "after {} bytes",
                    k + 1
                );
                if k >= 3 {
                    assert!(
                        buf.capacity() >= bytes.len(),
                        "reserved for the whole frame"
                    );
                }
            }
        }
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(submit()));
        assert!(buf.is_empty());
    }

    #[test]
    fn two_frames_in_one_buffer() {
        let mut codec = SgipCodec::default();
        let mut buf = BytesMut::new();
        let resp = Pdu::new(seq(2), Body::SubmitResp(Resp::new(11)));
        codec.encode(submit(), &mut buf).unwrap();
        codec.encode(&resp, &mut buf).unwrap();
        buf.put_slice(&[0, 0]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(submit()));
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(resp));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 2);
    }

    #[test]
    fn too_short_length_is_rejected_without_allocating() {
        let mut codec = SgipCodec::default();
        let mut buf = BytesMut::with_capacity(8);
        buf.put_slice(&[0, 0, 0, 19, 0, 0, 0, 2]);
        let cap = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            CodecError::Frame(FrameError::TooShort {
                declared: 19,
                min: 20
            })
        ));
        assert_eq!(buf.capacity(), cap);
        let mut zero = BytesMut::from(&[0u8, 0, 0, 0][..]);
        assert!(matches!(
            codec.decode(&mut zero),
            Err(CodecError::Frame(FrameError::TooShort { .. }))
        ));
    }

    #[test]
    fn too_long_length_is_rejected_before_reserving() {
        let mut codec = SgipCodec::new(1024);
        let mut buf = BytesMut::with_capacity(8);
        buf.put_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3]);
        let cap = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            CodecError::Frame(FrameError::TooLong {
                declared: u32::MAX,
                max: 1024
            })
        ));
        assert_eq!(buf.capacity(), cap);
        let mut buf = BytesMut::from(&1025u32.to_be_bytes()[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(CodecError::Frame(FrameError::TooLong { .. }))
        ));
    }

    #[test]
    fn a_bad_body_is_consumed_and_the_stream_goes_on() {
        let mut codec = SgipCodec::default();
        let mut buf = BytesMut::new();
        // A Bind_Resp one byte short: length 28.
        let mut bad = Pdu::new(seq(1), Body::BindResp(Resp::ok()))
            .encode_to_vec()
            .unwrap();
        bad.pop();
        bad[3] = 28;
        buf.put_slice(&bad);
        codec
            .encode(&Pdu::new(seq(3), Body::Unbind), &mut buf)
            .unwrap();
        let err = codec.decode(&mut buf).unwrap_err();
        let CodecError::Decode(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!((e.pdu, e.field), ("SGIP_BIND_RESP", "Reserve"));
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Pdu::new(seq(3), Body::Unbind))
        );
    }

    #[test]
    fn unknown_commands_round_trip_through_the_codec() {
        let mut codec = SgipCodec::default();
        let pdu = Pdu::new(
            seq(4),
            Body::Unknown {
                command_id: 0x0000_0009,
                body: Bytes::from_static(b"route?"),
            },
        );
        let mut buf = BytesMut::new();
        codec.encode(&pdu, &mut buf).unwrap();
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(pdu));
    }

    #[test]
    fn oversized_outbound_pdus_are_refused() {
        let mut codec = SgipCodec::new(100);
        assert_eq!(codec.max_frame(), 100);
        let mut buf = BytesMut::new();
        let err = codec.encode(submit(), &mut buf).unwrap_err();
        let CodecError::Encode(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!((e.pdu, e.field), ("SGIP_SUBMIT", "Message Length"));
        assert!(buf.is_empty());
        assert_eq!(SgipCodec::new(3).max_frame(), HEADER_LEN);
    }

    #[test]
    fn encode_errors_leave_the_buffer_untouched() {
        let mut codec = SgipCodec::default();
        let mut buf = BytesMut::from(&b"keep"[..]);
        let empty = Pdu::new(seq(2), Body::Submit(Submit::default()));
        let err = codec.encode(&empty, &mut buf).unwrap_err();
        assert!(matches!(err, CodecError::Encode(ref e) if e.field == "UserCount"));
        assert_eq!(&buf[..], b"keep");
    }
}
