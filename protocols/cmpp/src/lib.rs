//! CMPP 2.0 / 3.0 (China Mobile Peer to Peer) — the SP ⇄ ISMG protocol, sans I/O:
//! bytes in, typed PDUs out.
//!
//! * [`decode`] a complete frame and [`Pdu::encode`] one, with the [`Version`] as a
//!   parameter: the account is provisioned as 2.0 or 3.0 and a dozen field widths follow.
//! * [`CmppCodec`](crate::codec::CmppCodec) frames a byte stream for tokio-util.
//! * [`auth`] computes and checks the login digests, [`msg_id`] packs and unpacks the
//!   8-byte Msg_Id, [`status`] names every result code and report Stat.
//!
//! The crate has no clock, no logging and no runtime: times are passed in as
//! [`Timestamp`] values.

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
pub mod session;
pub mod status;
pub mod submit;
pub mod timestamp;
pub mod version;

pub use cancel::{Cancel, CancelResp};
pub use codec::{CmppCodec, DEFAULT_MAX_FRAME};
pub use connect::{Connect, ConnectResp};
pub use deliver::{Deliver, DeliverContent, DeliverResp};
pub use dest_ids::DestTerminalIds;
pub use header::{HEADER_LEN, Header};
pub use msg_id::{MsgId, MsgIdParts};
pub use pdu::{Body, Pdu, decode};
pub use query::{Query, QueryResp};
pub use report::StatusReport;
pub use session::ActiveTestResp;
pub use status::is_flow_control;
pub use submit::{Submit, SubmitResp};
pub use timestamp::Timestamp;
pub use version::Version;
