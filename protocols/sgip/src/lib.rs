//! China Unicom **SGIP 1.2** (Short Message Gateway Interface Protocol), sans-IO:
//! bytes in, typed PDUs out.
//!
//! * [`decode`] turns one complete frame (header included) into a [`Pdu`];
//!   [`Pdu::encode`] writes it back byte-exactly.
//! * [`SequenceNumber`] is SGIP's 12-byte command identity (node id ‖ `MMDDHHMMSS` ‖
//!   counter); a response echoes its request's number, and a Report names the Submit
//!   it reports on by that number — there is no message id.
//! * [`SgipCodec`] frames PDUs on a byte stream (tokio-util `Decoder`/`Encoder`).
//! * [`Pdu::to_json`] renders a PDU for `hongyan decode` and logs.
//! * [`status`] holds the code tables (Result / ErrorCode, Report State, …).
//!
//! SGIP connections are one-way: the SP binds to the SMG with Login Type 1 to send
//! Submits, and the SMG binds to the SP's own listener with Login Type 2 to send
//! Delivers, Reports and UserRpts. There is no keep-alive PDU.
//!
//! Nothing here does I/O or reads a clock: times are passed in as [`Timestamp`]s.

pub mod bind;
pub mod codec;
pub mod command;
pub mod deliver;
pub mod header;
pub mod json;
pub mod pdu;
pub mod report;
pub mod reserve;
pub mod resp;
pub mod segment;
pub mod sequence;
pub mod status;
pub mod submit;
mod submit_check;
pub mod trace;
pub mod undecodable;
pub mod user_numbers;
pub mod userrpt;

pub use bind::{Bind, LoginType};
pub use codec::{DEFAULT_MAX_FRAME, SgipCodec};
pub use deliver::Deliver;
pub use header::{HEADER_LEN, Header};
pub use pdu::{Body, Pdu, decode};
pub use report::Report;
pub use resp::Resp;
pub use sequence::{SequenceGenerator, SequenceNumber, Timestamp};
pub use status::ReportState;
pub use submit::Submit;
pub use submit_check::FieldProblem;
pub use trace::{NodeIdWidth, Trace, TraceRecord, TraceResp};
pub use user_numbers::{UserNumber, UserNumbers};
pub use userrpt::Userrpt;
