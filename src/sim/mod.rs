//! Carrier gateway simulators: CMPP 2.0, CMPP 3.0, SMGP 3.0 and SGIP 1.2 gateways that
//! tests start in-process on `127.0.0.1:0`, that `hongyan simulate` runs for a user, and
//! that the load bench pushes 150 000 messages a second through.
//!
//! A simulator behaves like a carrier's gateway toward an SP:
//!
//! * it checks logins the way a carrier does — the login PDU first, the digest (CMPP
//!   AuthenticatorSource, SMGP AuthenticatorClient) or the plain SGIP name and password,
//!   the version, the per-account connection limit — and closes after a refusal;
//! * it answers every submit with a real message id (CMPP `Msg_Id`, one per recipient;
//!   SMGP BCD `MsgID`; SGIP: the Submit's own sequence number) and sends status reports
//!   after [`SimConfig::report_delay`], failing a seeded share of them;
//! * it delivers MO messages to any extended number, long ones in parts, out of order on
//!   request ([`SimHandle::deliver_mo`]);
//! * it injects faults on demand ([`Faults`]): refused logins, flow-control answers,
//!   slow or dropped responses, a close in the middle of a window, malformed bytes, a
//!   network cut;
//! * the SGIP simulator connects back to the SP's own listener (Bind login type 2) for
//!   Deliver and Report, as a real SMG does, and Unbinds when idle.
//!
//! # What an SP sees
//!
//! * **Ids**: CMPP answers a SUBMIT to n recipients with `Msg_Id` m and reports each
//!   recipient under m, m+1, …, m+n−1 (in recipient order). SMGP answers with one
//!   `MsgID` and every recipient's report carries it (the recipient in `SrcTermID`).
//!   SGIP has no id: each Report names the Submit's 12-byte sequence number and the
//!   recipient. Ids stay unique at any rate (see `ids.rs`).
//! * **Order**: with `report_delay` zero a report follows its response in the same
//!   write; when several submits arrive in one read, their responses come first, then
//!   their reports. [`Faults::reports_before_responses`] reverses that.
//! * **At least once**: a Deliver (report or MO) not answered when its connection ends
//!   is sent again on the account's next connection
//!   ([`SimConfig::resend_unacked_delivers`], counted in `reports_resent` / `mo_resent`)
//!   under the Deliver id it first had (CMPP `Msg_Id`, SMGP `MsgID`, SGIP sequence
//!   number), and a report due while the account has no connection waits for one — so a
//!   client may see a Deliver twice and must deduplicate, as with a real gateway.
//!   [`Faults::cut_connections`] makes such a resend happen on demand.
//! * **Faults** apply to the next PDUs on any connection; a dropped response still
//!   means the message was accepted (it gets its report, under the id the client never
//!   saw); a throttled submit was not accepted.
//! * **Codes**: bad digest CMPP 3 / SMGP 21 / SGIP 1; unknown account CMPP 2 / SMGP 21 /
//!   SGIP 1; wrong version CMPP 4 / SMGP 22; wrong SGIP login type 4; too many
//!   connections CMPP 5 / SMGP 2 / SGIP 3; flow control CMPP 8 / SMGP 1 / SGIP 11.
//!
//! | file | holds |
//! |---|---|
//! | `config.rs` | [`SimConfig`], [`SimProtocol`], [`Account`] |
//! | `faults.rs` | [`Faults`]: the fault-injection switches |
//! | `stats.rs` | [`SimStats`] and the atomic counters behind it, with change notification |
//! | `ids.rs` | message-id clocks (unique ids at any rate), the per-batch wall clock, the seeded failure draw |
//! | `shared.rs` | state shared by all connections: accounts, open connections, duplicate keys |
//! | `session.rs` | the per-connection task: reading, batching writes, timers, faults |
//! | `cmpp.rs`, `smgp.rs`, `sgip.rs` | each protocol's login, submit and deliver PDUs |
//! | `reverse.rs` | the SGIP SMG → SP connection for Deliver and Report |
//! | `mo.rs` | [`MoSpec`]: an MO message and how it is cut into parts |
//! | `handle.rs` | [`Simulator::start`] and [`SimHandle`] |

mod cmpp;
mod config;
mod faults;
mod handle;
mod ids;
mod mo;
mod reverse;
mod session;
mod sgip;
mod shared;
mod smgp;
mod stats;

pub use config::{Account, SimConfig, SimProtocol};
pub use faults::Faults;
pub use handle::{SimHandle, Simulator};
pub use mo::{MoCoding, MoSpec, MoSplit};
pub use shared::{ReceivedSubmit, SimMsgId};
pub use stats::SimStats;

/// What can go wrong starting or driving a simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listener could not be bound, or another socket operation failed.
    #[error("simulator i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration cannot work (named field and why).
    #[error("simulator config: {field}: {reason}")]
    Config {
        /// The offending field.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// An MO message could not be built (text not encodable, number too long, …).
    #[error("MO message: {0}")]
    Mo(String),
    /// No open connection of the account can take a Deliver (CMPP / SMGP: the SP is not
    /// logged in, or only in send mode).
    #[error("no open connection of account {0} can take a Deliver")]
    NoConnection(String),
    /// [`SimHandle::wait_until`] ran out of time; the last statistics are attached.
    #[error("timed out waiting for the simulator; counters then: {0}")]
    Timeout(Box<SimStats>),
    /// The simulator has been shut down.
    #[error("the simulator has been shut down")]
    Shutdown,
}
