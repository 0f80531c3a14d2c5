//! tokio-util framing for SMGP: frames on the 4-byte PacketLength and decodes each
//! frame with [`crate::decode`].
//!
//! The length prefix is checked against the header size and the configured maximum
//! *before* any memory is reserved, so a corrupt or hostile peer cannot make the
//! reader allocate a huge buffer or spin on a zero-length frame. A frame whose body
//! fails to decode is consumed before the error is returned: the byte stream stays in
//! sync and a caller that chooses to log and carry on can do so —
//! [`SmgpCodec::decode_frame`] hands such a frame back with its header, so a session can
//! answer it ([`crate::undecodable`]).

use bytes::BytesMut;
/// Re-exported so callers (tests, the fuzz target) can drive the codec without naming
/// tokio-util themselves.
pub use tokio_util::codec::{Decoder, Encoder};
use wire::frame::FrameLimits;
use wire::{CodecError, FrameError, Undecodable};

use crate::header::{HEADER_LEN, Header};
use crate::pdu::{Pdu, decode};
use crate::version::Version;

/// Default largest accepted frame. The largest legal Submit is 126 + 100 × 21 + 255
/// bytes plus TLVs (≈ 2.8 KiB with every TLV present); 4 KiB leaves room for gateways
/// that add vendor TLVs.
pub const DEFAULT_MAX_FRAME: usize = 4096;

/// SMGP codec for `tokio_util::codec::Framed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmgpCodec {
    version: Version,
    limits: FrameLimits,
}

impl Default for SmgpCodec {
    fn default() -> Self {
        Self::new(Version::V30, DEFAULT_MAX_FRAME)
    }
}

impl SmgpCodec {
    /// A codec for `version` accepting frames up to `max_frame` bytes (at least the
    /// 12-byte header).
    pub fn new(version: Version, max_frame: usize) -> Self {
        Self {
            version,
            limits: FrameLimits {
                min: HEADER_LEN,
                max: max_frame.max(HEADER_LEN),
            },
        }
    }

    /// The version PDUs are decoded and encoded with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Switch version, e.g. once Login_Resp has said what the server speaks.
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
                    packet_length: 0,
                    request_id: 0,
                    sequence_id: 0,
                }),
                frame,
                error,
            }
        })))
    }
}

impl Decoder for SmgpCodec {
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

impl Encoder<&Pdu> for SmgpCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: &Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        pdu.encode(self.version, dst)?;
        Ok(())
    }
}

impl Encoder<Pdu> for SmgpCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        <Self as Encoder<&Pdu>>::encode(self, &pdu, dst)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::pdu::Body;
    use bytes::{BufMut, Bytes};
    use wire::FrameError;

    const ACTIVE_TEST: &[u8] = &[0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 0, 9];
    const SUBMIT_RESP: &str = "0000001a80000002000000020100610102130400000100000000";

    fn hex(s: &str) -> Vec<u8> {
        wire::hex::decode(s).unwrap()
    }

    #[test]
    fn waits_for_a_whole_frame_and_reserves_the_rest() {
        let mut codec = SmgpCodec::default();
        let full = hex(SUBMIT_RESP);
        let mut buf = BytesMut::new();
        for (i, b) in full.iter().enumerate() {
            assert!(codec.decode(&mut buf).unwrap().is_none(), "after {i} bytes");
            if buf.len() >= 4 {
                assert!(buf.capacity() >= full.len(), "reserved for the whole frame");
            }
            buf.put_u8(*b);
        }
        let pdu = codec.decode(&mut buf).unwrap().unwrap();
        assert!(matches!(pdu.body, Body::SubmitResp(_)));
        assert!(buf.is_empty());
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn two_frames_in_one_buffer() {
        let mut codec = SmgpCodec::default();
        let mut buf = BytesMut::from(&hex(SUBMIT_RESP)[..]);
        buf.extend_from_slice(ACTIVE_TEST);
        buf.extend_from_slice(&ACTIVE_TEST[..5]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap().sequence_id, 2);
        assert_eq!(
            codec.decode(&mut buf).unwrap().unwrap(),
            Pdu::new(9, Body::ActiveTest)
        );
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert_eq!(buf.len(), 5);
    }

    #[test]
    fn too_short_length_is_rejected() {
        let mut codec = SmgpCodec::default();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 11, 0, 0, 0, 4][..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                CodecError::Frame(FrameError::TooShort {
                    declared: 11,
                    min: 12
                })
            ),
            "{err}"
        );
    }

    #[test]
    fn too_long_length_is_rejected_without_allocating() {
        let mut codec = SmgpCodec::new(Version::V30, 1024);
        let mut buf = BytesMut::with_capacity(8);
        buf.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 2]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                CodecError::Frame(FrameError::TooLong { max: 1024, .. })
            ),
            "{err}"
        );
        assert!(buf.capacity() < 1024, "capacity {} grew", buf.capacity());
    }

    #[test]
    fn bad_body_is_consumed_so_the_stream_stays_in_sync() {
        let mut codec = SmgpCodec::default();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 13, 0, 0, 0, 4, 0, 0, 0, 1, 0xff][..]);
        buf.extend_from_slice(ACTIVE_TEST);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(err, CodecError::Decode(ref e) if e.pdu == "SMGP_ACTIVE_TEST"),
            "{err}"
        );
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap().sequence_id, 9);
    }

    #[test]
    fn unknown_command_round_trips_through_the_codec() {
        let mut codec = SmgpCodec::default();
        let pdu = Pdu::new(
            77,
            Body::Unknown {
                command_id: 0x0000_0042,
                body: Bytes::from_static(b"abc"),
            },
        );
        let mut buf = BytesMut::new();
        codec.encode(&pdu, &mut buf).unwrap();
        codec.encode(pdu.clone(), &mut buf).unwrap();
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), pdu);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), pdu);
        assert!(buf.is_empty());
    }

    #[test]
    fn encode_errors_surface_and_leave_the_buffer_alone() {
        let mut codec = SmgpCodec::default();
        let bad = Pdu::new(
            1,
            Body::Submit(crate::submit::Submit {
                msg_content: Bytes::from(vec![0; 300]),
                ..Default::default()
            }),
        );
        let mut buf = BytesMut::from(&b"keep"[..]);
        let err = codec.encode(&bad, &mut buf).unwrap_err();
        assert!(
            matches!(err, CodecError::Encode(ref e) if e.field == "MsgLength"),
            "{err}"
        );
        assert_eq!(&buf[..], b"keep");
    }

    #[test]
    fn version_and_limits_are_settable() {
        let mut codec = SmgpCodec::new(Version::V13, 3);
        assert_eq!(codec.max_frame(), HEADER_LEN);
        codec.set_version(Version::V30);
        assert_eq!(codec.version(), Version::V30);
    }
}
