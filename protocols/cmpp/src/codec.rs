//! tokio-util framing: [`CmppCodec`] turns a TCP byte stream into [`Pdu`]s and back.
//!
//! Frames are cut on Total_Length, which is checked against the 12-byte header and the
//! configured maximum *before* any memory is reserved. A frame that is complete but
//! does not decode is consumed before the error is returned, so the byte stream stays
//! aligned on the next PDU; [`CmppCodec::decode_frame`] hands such a frame back with its
//! header, so a session can answer it ([`crate::undecodable`]) and go on.

use bytes::BytesMut;
/// The tokio-util traits, re-exported so callers need no direct tokio-util dependency.
pub use tokio_util::codec::{Decoder, Encoder};
use wire::frame::FrameLimits;
use wire::{CodecError, FrameError, Undecodable};

use crate::header::{HEADER_LEN, Header};
use crate::pdu::{Pdu, decode};
use crate::version::Version;

/// Default largest accepted frame: a 3.0 SUBMIT to 100 recipients with 255 content
/// bytes is 3618 bytes, so 4096 fits every legal PDU.
pub const DEFAULT_MAX_FRAME: usize = 4096;

/// Length-delimited CMPP codec for one session's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmppCodec {
    version: Version,
    limits: FrameLimits,
}

impl CmppCodec {
    /// A codec for `version` accepting frames up to [`DEFAULT_MAX_FRAME`].
    pub fn new(version: Version) -> Self {
        Self::with_max_frame(version, DEFAULT_MAX_FRAME)
    }

    /// A codec accepting frames up to `max_frame` bytes (at least the 12-byte header).
    pub fn with_max_frame(version: Version, max_frame: usize) -> Self {
        Self {
            version,
            limits: FrameLimits {
                min: HEADER_LEN,
                max: max_frame.max(HEADER_LEN),
            },
        }
    }

    /// The version bodies are decoded and encoded with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Switch version, e.g. a gateway that learns the account's version from its
    /// CONNECT (whose layout is the same in both).
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// Largest accepted frame.
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
        Ok(Some(decode(self.version, &frame).map_err(|error| {
            Undecodable {
                // The frame holds at least the header (`limits.min`).
                header: Header::parse(&frame).unwrap_or(Header {
                    total_length: 0,
                    command_id: 0,
                    sequence_id: 0,
                }),
                frame,
                error,
            }
        })))
    }
}

impl Decoder for CmppCodec {
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

impl Encoder<&Pdu> for CmppCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: &Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        pdu.encode(self.version, dst)?;
        Ok(())
    }
}

impl Encoder<Pdu> for CmppCodec {
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
    use crate::session::ActiveTestResp;
    use crate::submit::SubmitResp;

    fn active_test(seq: u32) -> Pdu {
        Pdu::new(seq, Body::ActiveTest)
    }

    #[test]
    fn waits_for_a_partial_frame_and_reserves_the_rest() {
        let mut codec = CmppCodec::new(Version::V30);
        let bytes = Pdu::new(
            2,
            Body::SubmitResp(SubmitResp {
                msg_id: crate::MsgId(9),
                result: 8,
            }),
        )
        .to_bytes(Version::V30)
        .unwrap();
        let mut buf = BytesMut::new();
        buf.put_slice(&bytes[..3]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.put_slice(&bytes[3..10]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() >= bytes.len());
        buf.put_slice(&bytes[10..]);
        let pdu = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(
            pdu.body,
            Body::SubmitResp(SubmitResp {
                msg_id: crate::MsgId(9),
                result: 8
            })
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn two_frames_in_one_buffer() {
        let mut codec = CmppCodec::new(Version::V20);
        let mut buf = BytesMut::new();
        codec.encode(active_test(1), &mut buf).unwrap();
        codec
            .encode(
                &Pdu::new(1, Body::ActiveTestResp(ActiveTestResp::default())),
                &mut buf,
            )
            .unwrap();
        assert_eq!(buf.len(), 25);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(active_test(1)));
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Pdu::new(1, Body::ActiveTestResp(ActiveTestResp::default())))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn too_short_length_is_rejected_without_allocating() {
        let mut codec = CmppCodec::new(Version::V30);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 11, 0, 0, 0, 8][..]);
        let cap = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            CodecError::Frame(FrameError::TooShort {
                declared: 11,
                min: 12
            })
        ));
        assert_eq!(buf.capacity(), cap);
    }

    #[test]
    fn too_long_length_is_rejected_without_allocating() {
        let mut codec = CmppCodec::with_max_frame(Version::V30, 100);
        let mut buf = BytesMut::from(&[0xffu8, 0xff, 0xff, 0xff, 0, 0, 0, 4][..]);
        let cap = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            CodecError::Frame(FrameError::TooLong {
                declared: u32::MAX,
                max: 100
            })
        ));
        assert_eq!(buf.capacity(), cap);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 101][..]);
        assert!(codec.decode(&mut buf).is_err());
        assert_eq!(CmppCodec::new(Version::V20).max_frame(), DEFAULT_MAX_FRAME);
    }

    #[test]
    fn bad_body_is_consumed_so_the_next_frame_decodes() {
        let mut codec = CmppCodec::new(Version::V20);
        let mut buf = BytesMut::new();
        // A 3.0 SUBMIT_RESP on a 2.0 session, then an ACTIVE_TEST.
        buf.put_slice(
            &wire::hex::decode("000000188000000400000002110c414134fd000100000008").unwrap(),
        );
        codec.encode(active_test(3), &mut buf).unwrap();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(err, CodecError::Decode(ref e) if e.pdu == "CMPP_SUBMIT_RESP"));
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(active_test(3)));
    }

    #[test]
    fn unknown_command_round_trips() {
        let mut codec = CmppCodec::new(Version::V30);
        let pdu = Pdu::new(
            5,
            Body::Unknown {
                command_id: 0x13,
                body: Bytes::from_static(b"route"),
            },
        );
        let mut buf = BytesMut::new();
        codec.encode(&pdu, &mut buf).unwrap();
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(pdu));
    }

    #[test]
    fn encode_error_is_reported_and_writes_nothing() {
        let mut codec = CmppCodec::new(Version::V20);
        let mut buf = BytesMut::new();
        let pdu = Pdu::new(
            1,
            Body::SubmitResp(SubmitResp {
                result: 1000,
                ..Default::default()
            }),
        );
        assert!(matches!(
            codec.encode(pdu, &mut buf),
            Err(CodecError::Encode(_))
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn version_can_be_switched() {
        let mut codec = CmppCodec::new(Version::V20);
        codec.set_version(Version::V30);
        assert_eq!(codec.version(), Version::V30);
    }
}
