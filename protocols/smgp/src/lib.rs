//! SMGP 3.0 — China Telecom's Short Message Gateway Protocol — as a sans-IO codec:
//! bytes in, typed PDUs out, and back.
//!
//! * [`decode`] turns one complete frame into a [`Pdu`]; [`Pdu::encode`] writes one.
//! * [`SmgpCodec`]: tokio-util framing on PacketLength with a maximum frame size.
//! * [`login`], [`auth`]: Login / Login_Resp and the MD5 authenticators.
//! * [`submit`], [`msg_id`], [`tlv`]: Submit / Submit_Resp, the BCD MsgID, TLVs.
//! * [`deliver`], [`report`]: Deliver / Deliver_Resp and the 122-byte status report.
//! * [`query`]: Query / Query_Resp (traffic statistics).
//! * [`Pdu::to_json`] ([`json`]): one JSON object per PDU for `hongyan decode`.
//! * [`command`]: RequestIDs and their spec names; other ids decode as [`Body::Unknown`].
//! * [`status`]: Status, report `stat` / `err` and enumeration meanings.
//! * [`version`]: the 1.3 / 2.0 / 3.0 layout switch.
//!
//! Nothing here does I/O, reads a clock or logs: times are passed in as values.
//!
//! ```
//! use bytes::Bytes;
//! use smgp::{Body, LoginMode, Pdu, Timestamp, Version};
//!
//! // SP side: log in (reference Example 1) ...
//! let ts = Timestamp::new(1, 2, 3, 4, 5)?;
//! let login = smgp::Login::new("12345678", b"pass1234", LoginMode::Transmit, ts, Version::V30)?;
//! let frame = Pdu::new(1, Body::Login(login)).to_bytes(Version::V30)?;
//! assert_eq!(frame.len(), 42);
//!
//! // ... gateway side: decode, check the digest, answer.
//! let pdu = smgp::decode(Version::V30, &frame)?;
//! let Body::Login(login) = &pdu.body else { unreachable!() };
//! assert!(login.verify(b"pass1234").is_some());
//! let resp = smgp::LoginResp::new(0, login, b"pass1234", Version::V30);
//! assert_eq!(resp.verify(&login.authenticator_client, b"pass1234"), Some(smgp::auth::StatusHashForm::U32Be));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod auth;
pub mod codec;
pub mod command;
pub mod deliver;
pub mod header;
pub mod json;
pub mod login;
pub mod msg_id;
mod parse;
mod pdu;
pub mod query;
pub mod report;
pub mod segment;
pub mod status;
pub mod submit;
pub mod tlv;
pub mod undecodable;
pub mod version;

pub use auth::Timestamp;
pub use codec::{DEFAULT_MAX_FRAME, SmgpCodec};
pub use deliver::{Deliver, DeliverResp};
pub use header::{HEADER_LEN, Header};
pub use login::{Login, LoginMode, LoginResp};
pub use msg_id::{MsgId, MsgIdParts, MsgIdTime};
pub use pdu::{Body, Pdu, decode};
pub use query::{Query, QueryResp};
pub use report::StatusReport;
pub use submit::{Submit, SubmitResp};
pub use tlv::{Tlv, Tlvs};
pub use version::Version;
