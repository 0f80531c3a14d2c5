//! CMPP 2.0 / 3.0 (China Mobile Peer to Peer) — the SP ⇄ ISMG protocol, sans I/O:
//! bytes in, typed PDUs out.
//!
//! * [`decode`] a complete frame and [`Pdu::encode`] one, with the [`Version`] as a
//!   parameter: the account is provisioned as 2.0 or 3.0 and a dozen field widths follow.
//! * [`CmppCodec`] frames a byte stream for tokio-util.
//! * [`auth`] computes and checks the login digests, [`msg_id`] packs and unpacks the
//!   8-byte Msg_Id, [`status`] names every result code and report Stat.
//! * [`Pdu::to_json`] renders a PDU for `hongyan decode`.
//!
//! The crate has no clock, no logging and no runtime: times are passed in as
//! [`Timestamp`] values.
//!
//! ```
//! use bytes::Bytes;
//! use cmpp::{Body, Version, decode};
//!
//! // CMPP 2.0 SUBMIT_RESP, Result 8 (cmpp.md example 4b).
//! let frame = Bytes::from_static(&[
//!     0, 0, 0, 0x15, 0x80, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 8,
//! ]);
//! let pdu = decode(Version::V20, &frame)?;
//! let Body::SubmitResp(resp) = &pdu.body else { unreachable!() };
//! assert!(resp.is_flow_control());
//! assert_eq!(resp.result_meaning(), "flow control error");
//! assert_eq!(pdu.to_bytes(Version::V20)?, frame);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Decoding is strict about sizes: a body must be exactly its layout's length, because
//! a 2.0 and a 3.0 peer disagree on field widths and the wrong layout would otherwise
//! misread fields silently (a 3.0 Result 8 read as 2.0 is Result 0). Where sources
//! disagree on a form (README disagreements 1, 5, 6, 7) every seen form is accepted and
//! the spec form emitted.

pub mod auth;
pub mod cancel;
pub mod codec;
pub mod command;
pub mod connect;
pub mod deliver;
pub mod dest_ids;
mod fields;
pub mod header;
mod json;
pub mod msg_id;
pub mod pdu;
pub mod query;
mod reader;
pub mod report;
pub mod segment;
pub mod session;
pub mod status;
pub mod submit;
pub mod timestamp;
pub mod undecodable;
pub mod version;

pub use cancel::{Cancel, CancelResp};
pub use codec::{CmppCodec, DEFAULT_MAX_FRAME};
pub use connect::{Connect, ConnectResp};
pub use deliver::{Deliver, DeliverContent, DeliverResp};
pub use dest_ids::DestTerminalIds;
pub use header::{HEADER_LEN, Header};
pub use msg_id::{MsgId, MsgIdError, MsgIdParts};
pub use pdu::{Body, Pdu, decode};
pub use query::{Query, QueryResp};
pub use report::StatusReport;
pub use session::ActiveTestResp;
pub use status::is_flow_control;
pub use submit::{Submit, SubmitResp};
pub use timestamp::Timestamp;
pub use version::Version;
