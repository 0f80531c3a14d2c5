//! What the three carrier protocols (CMPP, SMGP, SGIP) share on the wire.
//!
//! * [`error`] — typed decode / frame / codec errors that name the PDU and field.
//! * [`field`] — fixed-size octet-string fields and nom parsers for big-endian
//!   integers, each failing with the name of the field it was reading.
//! * [`frame`] — length-prefixed framing checked against a minimum and maximum
//!   before anything is allocated.
//! * [`hex`] — hex encoding / decoding for logs, fixtures and the `decode` CLI.
//! * [`coding`] — the coding byte (ASCII / UCS-2 / GBK / binary) and text decoding.
//! * [`udh`] — GSM 03.40 user data headers and the concatenation element.
//! * [`describe`] — JSON rendering of message content for the CLI and debug logs.
//! * [`encode`] — choosing the coding of an outbound text and encoding it.
//! * [`signature`] — enterprise signatures (`【…】`), added once or reserved.
//! * [`segment`] — long-message segmentation and the per-segment content.
//! * [`reference`] — concatenation references unique per recipient.
//! * [`reassembly`] — inbound long MO messages put back together.
//! * [`text_error`] — the error type of the outbound text layer.
//!
//! Nothing here does I/O: bytes in, values out.

pub mod coding;
pub mod describe;
pub mod encode;
pub mod error;
pub mod field;
pub mod frame;
pub mod hex;
pub mod reassembly;
pub mod reference;
pub mod segment;
pub mod signature;
pub mod text_error;
pub mod udh;
pub mod undecodable;

pub use error::{CodecError, DecodeError, DecodeErrorKind, EncodeError, FrameError};
pub use field::Octets;
pub use undecodable::Undecodable;
