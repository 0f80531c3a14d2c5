//! The per-protocol part of a link: how to log in, submit, keep alive, close, and what an
//! inbound PDU means. Everything else — windowing, retry, rate, reconnection — is shared
//! and lives in the driver.
//!
//! An implementation is a small value holding the session's settings (version, account
//! ids); it builds request PDUs for a given 32-bit sequence id and classifies every PDU the
//! gateway sends into an [`Inbound`] plus, for requests, its answer. The driver writes the
//! answer at once, except for a report or an MO: that answer waits until the link's
//! consumer has stored what the DELIVER carried (see [`Ack`](super::Ack)).

use bytes::{Bytes, BytesMut};
use cmpp::codec::Decoder;
use wire::reassembly::MoPart;
use wire::{CodecError, DecodeError, EncodeError, FrameError};

use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart};
use super::sequence::ZeroId;

/// The gateway's answer to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in.
    Accepted,
    /// Refused: the status code and what it means.
    Refused {
        /// The carrier's status code.
        status: u32,
        /// Its meaning from the protocol's table.
        meaning: &'static str,
    },
}

/// What a submit response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitAnswer {
    /// Accepted under this id.
    Accepted(CarrierMsgId),
    /// "Too fast": send again later, more slowly. Never a failure.
    FlowControl {
        /// The carrier's code.
        code: u32,
        /// What it means.
        meaning: &'static str,
    },
    /// Refused for good.
    Rejected {
        /// The carrier's code.
        code: u32,
        /// What it means.
        meaning: &'static str,
    },
}

/// What an inbound PDU means to the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// The response to a submit we sent under `seq`.
    SubmitResp {
        /// The sequence id the response echoes.
        seq: u32,
        /// What it says.
        outcome: SubmitAnswer,
    },
    /// A status report.
    Report {
        /// The id of the PDU that carried it, for dropping repeats.
        deliver_id: Option<CarrierMsgId>,
        /// The report.
        report: DeliveryReport,
    },
    /// One part of a mobile-originated message, for reassembly.
    Mo {
        /// The id of the PDU that carried it, for dropping repeats.
        deliver_id: Option<CarrierMsgId>,
        /// The part.
        part: MoPart,
    },
    /// The gateway's keep-alive probe (answered).
    KeepAlive,
    /// The answer to our probe.
    KeepAliveResp,
    /// The gateway ends the session (answered); the connection closes.
    Close,
    /// The answer to our close request.
    CloseResp,
    /// A login response outside the login phase.
    LoginResp(LoginOutcome),
    /// A DELIVER that decoded as a frame but whose content is not what its flags claim
    /// (answered, logged, handed on as an event).
    Unparsed {
        /// Which PDU.
        pdu: &'static str,
        /// Why it could not be read (names the PDU and the field).
        reason: DecodeError,
    },
    /// Anything else (answered when the protocol has a generic answer).
    Other {
        /// The command's name.
        command: &'static str,
    },
}

/// A frame cut off the stream on its length prefix.
#[derive(Debug)]
pub enum Frame<P> {
    /// A PDU.
    Pdu(P),
    /// A frame whose body did not decode: consumed, so the stream stays in sync.
    Undecodable(BadFrame<P>),
}

/// A complete frame whose body did not decode, with what to answer it.
#[derive(Debug)]
pub struct BadFrame<P> {
    /// Whether it is a response (the answer to something we sent) rather than a request.
    pub response: bool,
    /// The protocol's error answer (a DELIVER's DELIVER_RESP with an error result), if
    /// the frame is a request that gets one.
    pub answer: Option<P>,
    /// The frame as received, header included.
    pub frame: Bytes,
    /// Why the body did not decode (it names the PDU and the field).
    pub error: DecodeError,
}

/// Whether a command id is a response's: every protocol here sets the top bit.
pub(crate) fn is_response(command_id: u32) -> bool {
    command_id & 0x8000_0000 != 0
}

/// An inbound PDU classified, with its answer (DELIVER_RESP, ACTIVE_TEST_RESP,
/// TERMINATE_RESP, …): written at once, or for a report or MO once it is stored.
#[derive(Debug)]
pub struct Classified<P> {
    /// What it means.
    pub inbound: Inbound,
    /// What to write back, if anything.
    pub answer: Option<P>,
}

/// One wire protocol as the link driver sees it.
pub trait ProtocolAdapter: Send + Sync + 'static {
    /// The protocol's PDU type.
    type Pdu: Send + std::fmt::Debug + 'static;
    /// The framing decoder (the protocol crate's codec).
    type Codec: Decoder<Item = Self::Pdu, Error = CodecError> + Send + 'static;

    /// Short name for logs: `cmpp2`, `cmpp3`, `smgp`, `sgip`.
    fn name(&self) -> &'static str;
    /// A fresh decoder for one connection.
    fn codec(&self) -> Self::Codec;
    /// The next frame in `src` (`None` until one is complete): a PDU, or a frame whose
    /// body did not decode with its error answer.
    ///
    /// # Errors
    /// The length prefix is out of bounds: the stream cannot be trusted any more.
    fn next_frame(
        &self,
        codec: &mut Self::Codec,
        src: &mut BytesMut,
    ) -> Result<Option<Frame<Self::Pdu>>, FrameError>;
    /// The sequence id a frame's header carries, as the window keys its requests — for a
    /// response whose body cannot be decoded, to tell which request it answers. CMPP and
    /// SMGP: the third 4-byte word; SGIP overrides it (the counter of its 12-byte number).
    fn frame_seq(&self, frame: &[u8]) -> Option<u32> {
        let b: [u8; 4] = frame.get(8..12)?.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }
    /// Whether sequence id 0 may be used.
    fn zero_id(&self) -> ZeroId;
    /// Append the encoded `pdu` to `buf`.
    ///
    /// # Errors
    /// A field does not fit its width.
    fn encode(&self, pdu: &Self::Pdu, buf: &mut BytesMut) -> Result<(), EncodeError>;
    /// The login request.
    ///
    /// # Errors
    /// The account id does not fit its field.
    fn login(&self, seq: u32, account: &str, secret: &str) -> Result<Self::Pdu, EncodeError>;
    /// If `pdu` is the login response, what it says.
    fn login_response(&self, pdu: &Self::Pdu) -> Option<LoginOutcome>;
    /// For an accepted login: does the gateway's answer prove that it knows the shared
    /// secret (CMPP AuthenticatorISMG, SMGP AuthenticatorServer), in any of the forms the
    /// sources disagree on? `None`: the protocol carries no such proof (SGIP), or `login`
    /// and `answer` are not a login and its answer.
    fn gateway_proven(
        &self,
        _login: &Self::Pdu,
        _answer: &Self::Pdu,
        _secret: &str,
    ) -> Option<bool> {
        None
    }
    /// The submit for one part of `msg` to all its recipients.
    ///
    /// # Errors
    /// A number or code does not fit its field, or there are too many recipients.
    fn submit(
        &self,
        seq: u32,
        msg: &OutboundMessage,
        part: &OutboundPart,
        service_id: &str,
    ) -> Result<Self::Pdu, EncodeError>;
    /// What an inbound PDU means, and the answer to write.
    fn classify(&self, pdu: Self::Pdu) -> Classified<Self::Pdu>;
    /// The keep-alive probe; `None` for a protocol without one (SGIP).
    fn probe(&self, seq: u32) -> Option<Self::Pdu>;
    /// The request that ends the session (TERMINATE / Exit / Unbind).
    fn close(&self, seq: u32) -> Self::Pdu;
}
