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
//! | [`RateLimiter`] | `rate.rs` | messages per second (token bucket) with AIMD back-off on flow-control answers |
//! | [`Backoff`] | `backoff.rs` | reconnect delays: exponential, full jitter, long floor after a refused login |
//! | [`KeepAlive`] | `keepalive.rs` | idle probes (ACTIVE_TEST / Active_Test) and the N-missed → reconnect rule |
//! | [`IdleTimer`] | `idle.rs` | when a connect-on-demand (SGIP) link has been quiet long enough to Unbind |
//! | [`ReportMatcher`] | `reports.rs` | status reports joined to submits by msg id, early reports held, orphans handed back |
//!
//! # How the driver composes them
//!
//! One task per connection runs one `select!` loop. Reading is its own branch (or its own
//! task feeding a channel) and never waits on writing: outbound PDUs are encoded into a
//! buffer and flushed once per loop turn, so a burst of resends and answers costs one
//! write. The intake branch — the only place new messages enter — is guarded by
//! `!window.is_full()` and `rate.check(now).is_ok()`: when either says no, the loop simply
//! stops receiving from the queue (backpressure for free) and sleeps until the next
//! deadline instead.
//!
//! ```text
//! loop {
//!     let now = Instant::now();
//!     let intake = !closing && !window.is_full() && rate.check(now).is_ok();
//!     let wake = min(window.next_deadline(), keepalive.next_deadline(),
//!                    reports.next_deadline(), rate.check(now).err(), close_deadline);
//!     select! {
//!         _ = shutdown.recv() => { closing = true; close_deadline = now + grace }
//!         pdu = reader.next() => {
//!             keepalive.on_inbound(now);                  // any inbound PDU is proof of life
//!             match protocol.classify(pdu) {
//!                 Response { seq, Ok(msg_id) } => if let Some(msg) = window.complete(seq) {
//!                     report submit ok; reports.submitted(msg_id, msg.key, now) → matched
//!                 },                                       // None: unknown/duplicate, counted
//!                 Response { seq, FlowControl } => if let Some(msg) = window.complete(seq) {
//!                     rate.throttled(now); requeue msg at the front   // not a failure
//!                 },
//!                 Response { seq, Err(code) } => window.complete(seq) → report failure,
//!                 Report { msg_id, r } => reports.report(msg_id, r, now) → matched / held,
//!                 ActiveTest => write the answer,
//!                 Terminate / Exit / Unbind => answer, then reconnect,
//!             }
//!         }
//!         msg = intake_rx.recv(), if intake => {
//!             rate.try_take(now)?; let seq = seqs.next_free(|s| window.contains(s))?;
//!             write(encode(seq, &msg)); window.insert(seq, msg, now)?;
//!         }
//!         _ = sleep_until(wake) => {
//!             for e in window.expired(now) { Resend → write again | Failed → report failure }
//!             match keepalive.poll(now) { SendProbe → write probe, Reconnect → break, None }
//!             reports.expire(now) → orphans to the store
//!             if closing && (window.is_empty() || now >= close_deadline) → TERMINATE / Exit / Unbind
//!         }
//!     }
//!     writer.flush();
//! }
//! // connection over: window.drain() → requeue every payload (nothing in flight is lost),
//! // sleep backoff.next_delay(Failure::…), reconnect; backoff.reset() after a good login.
//! ```
//!
//! Other rules the driver keeps:
//! * **Long messages**: the dispatcher gives all parts of one long message to one link,
//!   and the link takes them only when [`Window::free_slots`] can hold them all.
//! * **Several connections per account** each have their own window, sequence ids and
//!   keep-alive, but share the account's [`RateLimiter`] and [`ReportMatcher`] (a report may
//!   arrive on another connection than its submit).
//! * **SGIP** has no probe PDU: instead of [`KeepAlive`] it connects on demand and Unbinds
//!   when [`IdleTimer::is_idle`] and nothing is queued or in flight.
//! * **Graceful close**: stop intake, wait for in-flight responses until the close
//!   deadline, send TERMINATE / Exit / Unbind, then [`Window::drain`] whatever is left.

mod backoff;
pub mod bench;
mod cmpp;
mod config;
mod deadline;
mod dedupe;
mod driver;
#[cfg(test)]
mod driver_tests;
mod event;
mod idle;
mod keepalive;
mod message;
mod protocol;
mod rate;
mod reports;
mod sequence;
mod session;
mod sgip;
mod sgip_listener;
mod shared;
mod smgp;
#[cfg(test)]
mod tests;
mod window;

pub use backoff::{Backoff, BackoffConfig, Failure};
pub use cmpp::CmppProtocol;
pub use config::{LinkConfig, ProtocolConfig, SgipConfig, SgipListenerConfig};
pub use driver::{Link, LinkHandle, LinkStatus, Submitter};
pub use event::{LinkError, LinkEvent, SubmitError};
pub use idle::IdleTimer;
pub use keepalive::{KeepAlive, KeepAliveAction, KeepAliveConfig};
pub use message::{CarrierMsgId, DeliveryReport, OutboundMessage, OutboundPart, ReportMatch};
pub use protocol::{Classified, Inbound, LinkProtocol, LoginOutcome, SubmitOutcome};
pub use rate::{RateConfig, RateLimiter};
pub use reports::{Matched, Orphan, ReportConfig, ReportMatcher, ReportOutcome};
pub use sequence::{SequenceError, SequenceIds, ZeroId};
pub use sgip::SgipProtocol;
pub use smgp::SmgpProtocol;
pub use window::{Expired, InsertError, Window, WindowConfig};
