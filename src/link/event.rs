//! What a link tells its owner, and how it fails.

use std::time::Duration;

use thiserror::Error;
use wire::reassembly::MoMessage;

use super::ack::Ack;
use super::failure::{FailReason, SessionEnd, Unreachable};
use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, ReportMatch};

/// Something that happened on a link.
///
/// A [`Report`](LinkEvent::Report) or [`Mo`](LinkEvent::Mo) carries the [`Ack`] of the
/// DELIVERs it came in: the gateway gets its answers only when the consumer calls
/// [`Ack::answer`], once what the event carried is stored.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connection `conn` is logged in.
    Up {
        /// Connection index, `0..connections`.
        conn: usize,
    },
    /// Connection `conn` closed; its unacknowledged parts are sent again on the next
    /// connection.
    Down {
        /// Connection index.
        conn: usize,
        /// Why.
        reason: SessionEnd,
    },
    /// Connection `conn` could not be opened, or the login got no usable answer
    /// (refused, timed out, closed); the link waits (a back-off) and tries again.
    Unreachable {
        /// Connection index.
        conn: usize,
        /// Why (its `Display` is the words, e.g. `connection refused (10.0.0.1:7890)`).
        reason: Unreachable,
    },
    /// The gateway refused the login; the link waits (a long back-off) and tries again.
    LoginRefused {
        /// Connection index.
        conn: usize,
        /// The carrier's status code.
        status: u32,
        /// What it means.
        meaning: &'static str,
    },
    /// The gateway accepted one part of a message.
    Submitted {
        /// The message's id.
        id: u64,
        /// The part number.
        part: u8,
        /// The carrier's id for it (for recipient `i` of a group send:
        /// [`CarrierMsgId::for_recipient`]).
        msg_id: CarrierMsgId,
        /// From the first send of the part to its response.
        latency: Duration,
    },
    /// The gateway refused one part, or never answered it.
    Failed {
        /// The message's id.
        id: u64,
        /// The part number.
        part: u8,
        /// Why (the carrier's code is in [`FailReason::Rejected`]).
        reason: FailReason,
    },
    /// A status report: matched to its submit, or (`matched: None`) for the store to
    /// match by msg id — the submit is older than this link remembers, or its response
    /// never came.
    Report {
        /// The report.
        report: DeliveryReport,
        /// The submit it is about, when known here.
        matched: Option<ReportMatch>,
        /// Answers the DELIVER once the report is stored.
        ack: Ack,
    },
    /// A mobile-originated message, long ones reassembled (or delivered incomplete
    /// after the reassembly timeout).
    Mo {
        /// The message.
        message: MoMessage,
        /// Answers the DELIVER of every part once the message is stored.
        ack: Ack,
    },
    /// The gateway sent a PDU whose content could not be read (it was answered).
    Unparsed {
        /// Which PDU.
        pdu: &'static str,
        /// Why.
        reason: wire::DecodeError,
    },
}

/// How a link fails to start or take a message.
#[derive(Debug, Error)]
pub enum LinkError {
    /// The SGIP listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration cannot work.
    #[error("invalid link configuration: {0}")]
    Config(String),
}

/// [`LinkHandle::submit`](super::LinkHandle::submit) refused a message: the link is
/// shutting down. The message comes back.
#[derive(Debug, Error)]
#[error("link is shutting down")]
pub struct SubmitError(pub OutboundMessage);
