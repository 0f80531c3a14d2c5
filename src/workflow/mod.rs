//! The notification workflows on top of the queue: approval requests whose approvers
//! answer by SMS, reminders that can be cancelled until they go (and repeated until the
//! recipient replies), templates, and the routing of every inbound reply to the item it
//! answers. The decisions themselves are pure and live in [`crate::replies`]; this is the
//! engine that applies them.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`Workflow`] | `engine.rs` | the engine task and its loop: when a pass runs, what it does in which order |
//! | requests | `requests.rs` | what a user asks ([`ApprovalRequest`], [`ReminderRequest`]) and its checks |
//! | approvals | `approvals.rs` | create, decide, resend; expiries, asks and outcomes in a pass |
//! | reminders | `reminders.rs` | create, cancel; sending and closing in a pass |
//! | [`poll_resend`] | `poll_resend.rs` | a poll sent again to those who have not answered, as a new job for the same poll |
//! | inbound | `inbound.rs` | every stored reply to its item, or kept as unclear / unmatched |
//! | polls | `polls.rs` | replies to bulk sends: attributed to their recipient or unmatched with the reason; closing at `closes_at` |
//! | opt-out | `opt_out.rs` | keyword replies onto / off the opt-out list, the confirmation SMS; hand-made changes |
//! | sending | `sending.rs` | one SMS through the queue, from an extension allocated for its item |
//! | [`WorkflowEvent`] | `events.rs` | what the engine did, for subscribers |
//! | errors | `error.rs` | [`WorkflowError`] (a refused request names the field), [`Unsendable`] |
//! | [`template`] | `template.rs` | `{name}` templates; missing variables named up front |
//! | wording | `texts.rs` | the SMS texts |
//!
//! Durability: every decision is state in the store first ([`crate::store`] holds the
//! tables and applies the transitions in one transaction); SMS go out through the ordinary
//! queue with idempotency keys derived from the item, so an engine that dies between
//! "decided" and "SMS queued" sends that SMS after the restart, exactly once.

mod approvals;
mod engine;
mod error;
mod events;
mod inbound;
pub mod opt_out;
pub mod poll_resend;
mod polls;
mod reminders;
mod requests;
mod sending;
pub mod template;
#[cfg(test)]
mod testutil;
pub mod texts;

pub use engine::Workflow;
pub use error::{Unsendable, WorkflowError};
pub use events::WorkflowEvent;
pub use requests::{
    ApprovalCreated, ApprovalRequest, ReminderOutcome, ReminderRequest, StageRequest,
};
