//! The session layer: one generic link driver for all three protocols.
//!
//! A link holds a carrier session for months with nobody watching: it logs in, keeps the
//! session alive, pushes messages as fast as the carrier allows and no faster, survives
//! every disconnect and never loses track of a message in flight. CMPP, SMGP and SGIP
//! differ only in their PDUs; everything else is shared and lives here as **sans-IO state**
//! — plain structs that take the current time as an argument and say what to do, never
//! reading the clock or touching a socket, so they are unit-tested on paused tokio time:
//!
//! | piece | file | holds |
//! |---|---|---|
//! | [`SequenceIds`] | `sequence.rs` | wrapping `u32` request ids (0 skipped if the protocol wants), never one still in flight |
//! | [`Window`] | `window.rs` | requests awaiting a response: capacity, response deadlines, resend / fail, drain for requeueing |
//! | [`resend`] | `resend.rs` | where an unanswered submit is resent and when it gives up: the rules the window, the session and the dispatcher call |
//! | [`FailReason`], [`ConnectError`], [`LoginError`], [`SessionEnd`] | `failure.rs` | why things fail, typed; `Display` is the words (never a string contract) |
//! | [`RateLimiter`] | `rate.rs` | messages per second (token bucket) with AIMD back-off on flow-control answers |
//! | [`Backoff`] | `backoff.rs` | reconnect delays: exponential, full jitter, long floor after a refused login |
//! | [`KeepAlive`] | `keepalive.rs` | idle probes (ACTIVE_TEST / Active_Test) and the N-missed → reconnect rule |
//! | [`IdleTimer`] | `idle.rs` | when a connect-on-demand (SGIP) link has been quiet long enough to Unbind |
//! | [`ReportMatcher`] | `reports.rs` | status reports joined to submits by msg id, early reports held, orphans handed back |
//! | [`Ack`], ack book | `ack.rs` | DELIVER answers held until the consumer has stored what they carried; repeats recognised |
//! | `BadFrames` | `undecodable.rs` | how loudly a connection logs the frames it could not decode (answered, never a reason to close) |
//!
//! On top of them, the driver:
//!
//! | piece | file | holds |
//! |---|---|---|
//! | [`ProtocolAdapter`] | `protocol.rs` | the per-protocol trait: login PDU and its answer, submit for one part to all recipients, inbound PDU → [`Inbound`] plus the answer to write, keep-alive probe, close |
//! | [`CmppProtocol`], [`SmgpProtocol`], [`SgipProtocol`] | `cmpp.rs`, `smgp.rs`, `sgip.rs` | the three implementations |
//! | [`LinkDriver`], [`LinkHandle`], [`LinkSender`] | `driver.rs` | starting a link (it stops on a [`Shutdown`](crate::shutdown::Shutdown)); per connection: connect, log in, run a session, back off, reconnect |
//! | `Session` | `session.rs` | one logged-in connection: the `select!` loop |
//! | `AccountState` | `shared.rs` | what the connections of one account share: intake and retry queues, rate limiter, report matcher, MO reassembly, the ack book |
//! | SGIP listener | `sgip_listener.rs` | the gateway's Bind (Login Type 2) checked, Deliver / Report handed on and answered once stored |
//! | [`LinkConfig`], [`LinkEvent`], [`OutboundMessage`], [`CarrierMsgId`] | `config.rs`, `event.rs`, `message.rs` | the public vocabulary |
//! | [`WriteHook`] | `hook.rs` | the owner told which parts are about to be written, before their bytes reach the socket |
//! | `Pending` | `written.rs` | which parts the hook holds as written around one write: whole in the kernel, or taken back |
//!
//! # Using a link
//!
//! ```text
//! let (handle, mut events) = LinkDriver::start(config, Shutdown::new()).await?;      // SGIP: listener bound here
//! tokio::spawn(async move { while let Some(e) = events.recv().await {
//!     /* store; for Report / Mo, once committed: */ ack.answer();
//! } });
//! handle.submit(OutboundMessage::new(id, recipients, src, split.coding, split.segments)).await?;
//! ...
//! let unsent: Vec<OutboundMessage> = handle.shutdown().await; // requeue elsewhere
//! ```
//!
//! Events: `Up` / `Down { reason: SessionEnd }` per connection, `Unreachable { reason }`
//! ([`ConnectError`] or [`LoginError`]) when a connection cannot be opened or logged in,
//! `LoginRefused { status, meaning }`, `Submitted { id, part, msg_id, latency }` and
//! `Failed { id, part, reason: FailReason }` per
//! part, `Report { report, matched, ack }` (matched to `(id, part, recipient_index)`, or
//! `None` for the store to match by msg id), `Mo { message, ack }` after reassembly,
//! `Unparsed` for DELIVER content that could not be read. The event queue is bounded: a
//! consumer that does not keep up makes the link wait, so consume it in its own task.
//!
//! **Ack after commit.** The DELIVER that brought a report or an MO part is answered only
//! when the consumer calls [`Ack::answer`] on the event's ack — once it has stored what
//! the event carried. Dropping the ack (the store failed) leaves the DELIVER unanswered,
//! and the gateway sends it again; so does a kill before the commit. The parts of a long
//! MO are answered together, when the joined message is stored (at the latest the
//! reassembly timeout hands an incomplete one over). See `ack.rs`.
//!
//! # How the driver composes the pieces
//!
//! One task per connection runs one `select!` loop (`session.rs`). The socket is not split
//! into a blocking reader and writer: outbound PDUs are encoded into one buffer and written
//! with non-blocking `try_write` once per loop turn (a burst of submits, resends and
//! answers costs one syscall); what the kernel does not take waits in the buffer for a
//! `writable()` branch. The `readable()` branch is always armed, so **reading never waits
//! on writing**: a gateway that stops reading still has its DELIVERs read and answered
//! (the answers queue; no new message is taken while more than 1 MiB is unsent, and at
//! 64 MiB the gateway is declared dead).
//!
//! ```text
//! loop {
//!     take messages (retry queue first, then intake) while the window has room;
//!     write parts while the window and the rate limiter allow;   // all parts of a message
//!     if closing: TERMINATE / Exit / Unbind once nothing is in flight or grace is over;
//!     flush (try_write); hand the turn's events to the owner;
//!     select! (biased) {
//!         readable        => read ≤ 256 KiB, decode every frame, classify, answer at once
//!                            (reports / MO: hand on, answer held for the ack);
//!         writable        (only with unsent bytes);
//!         reply           => answers whose ack fired, appended to the buffer;
//!         intake.recv()   (only when the window has room and nothing waits to be written);
//!         retry signal    (another connection handed work back);
//!         shutdown        => closing, deadline = now + close grace;
//!         sleep_until(next of: response deadlines, keep-alive, rate token, idle, close)
//!                         => resend / fail expired parts, probe or reconnect, idle Unbind;
//!     }
//! }
//! ```
//!
//! Rules it keeps:
//! * **Responses**: accepted → `Submitted`, the msg id registered for reports (CMPP: one
//!   id per recipient, counting up; SMGP/SGIP: one id, recipient found by number); flow
//!   control (CMPP 8, SMGP 1/103/104/119, SGIP 11/33) → the part goes back to the front of
//!   the queue and the rate limiter halves (without a configured rate: a short pause) —
//!   never a failure; any other code → `Failed`. A response timeout resends the same
//!   bytes (same sequence id) up to `max_attempts`, then `Failed` (`Unanswered`) — the
//!   whole resend story, and the owner's part in it, is in `resend.rs`.
//! * **Every write counts**: a part's sends are counted across connections (and runs,
//!   through [`OutboundPart::sent`]); a part written `max_attempts` times whose
//!   connections all closed before an answer could be read is not written again but
//!   `Failed` (`AttemptsUsed`) — a gateway whose responses cannot be decoded does not get
//!   the same part again and again. A flow-control answer gives its write back.
//! * **Before the bytes**: the owner's [`WriteHook`] hears which parts a burst carries
//!   right before the burst is handed to the socket.
//! * **Nothing in flight is lost**: when a connection ends for any reason its
//!   unacknowledged parts go to the account's retry queue (only those parts; acknowledged
//!   parts of the same message are never sent again) and are sent first on the next
//!   connection; `shutdown` hands back whatever is still queued.
//! * **Long messages**: a message's parts are taken together and written on one connection.
//! * **Reports** that arrive before their response are held and matched when it comes;
//!   repeats (a gateway resending a report we answered too late) are not handed on again,
//!   recognised by (msg id, recipient, status); repeated MO DELIVERs by their DELIVER id.
//!   A repeat is answered when its first copy is stored, never before.
//! * **Malformed bytes** (framing or decode error): logged, the connection closed, its
//!   parts requeued, reconnect after a back-off; never a panic.
//! * **Logins**: CMPP/SMGP digests over China time ([`crate::clock::ChinaTime`]); a refusal
//!   is logged with status and meaning, reported as `LoginRefused`, and retried after the
//!   long back-off floor. Secrets never appear in logs or `Debug` output.
//! * **Several connections per account** share the intake and retry queues, the rate
//!   limiter, the report matcher and the reassembler; each has its own window, sequence ids
//!   (starting at a random point) and keep-alive.
//! * **SGIP** has no probe PDU: connections open when there is work and Unbind after
//!   `idle_unbind` with nothing queued or in flight; Deliver and Report come over the
//!   reverse connection to the SP listener, which shares the account's report matcher.
//! * **Graceful close**: stop taking messages, wait up to `close_grace` for responses and
//!   for the acks of DELIVERs handed on, send TERMINATE / Exit / Unbind, wait briefly for
//!   its answer, hand back the rest.

mod ack;
mod backoff;
mod cmpp;
mod config;
mod deadline;
mod dedupe;
mod driver;
#[cfg(test)]
mod driver_tests;
mod event;
mod failure;
mod hook;
mod idle;
mod keepalive;
#[cfg(test)]
mod malformed_tests;
mod message;
mod protocol;
mod rate;
mod report_time;
mod reports;
pub mod resend;
mod sequence;
mod session;
mod sgip;
#[cfg(test)]
mod sgip_inbound_tests;
mod sgip_listener;
mod shared;
mod smgp;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
mod undecodable;
mod window;
mod written;

pub use ack::Ack;
pub use backoff::{Backoff, BackoffConfig, Failure};
pub use cmpp::CmppProtocol;
pub use config::{LinkConfig, ProtocolConfig, SgipConfig, SgipListenerConfig};
pub use driver::{LinkDriver, LinkHandle, LinkSender, LinkStatus};
pub use event::{LinkError, LinkEvent, SubmitError};
pub use failure::{
    ConnectError, ConnectionLoss, FailReason, IoFailure, LoginError, SessionEnd, Unreachable,
};
pub use hook::WriteHook;
pub use idle::IdleTimer;
pub use keepalive::{KeepAlive, KeepAliveAction, KeepAliveConfig};
pub use message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart, ReportMatch};
pub use protocol::{
    BadFrame, Classified, Frame, Inbound, LoginOutcome, ProtocolAdapter, SubmitAnswer,
};
pub use rate::{RateConfig, RateLimiter};
pub use report_time::ReportTime;
pub use reports::{MatchOutcome, Matched, Orphan, ReportConfig, ReportMatcher};
pub use sequence::{SequenceError, SequenceIds, ZeroId};
pub use sgip::SgipProtocol;
pub use smgp::SmgpProtocol;
pub use window::{Expired, InsertError, Window, WindowConfig};
