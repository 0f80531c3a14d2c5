//! The notification workflows on top of the queue: approval requests whose approvers
//! answer by SMS, reminders that can be cancelled until they go (and repeated until the
//! recipient replies), templates, and the routing of every inbound reply to the item it
//! answers.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`rules`] | `rules.rs` | pure approval rules: states, what a stage's answers add up to |
//! | [`template`] | `template.rs` | `{name}` templates; missing variables named up front |
//! | [`Workflow`] | `engine.rs` | the engine task and its handle (create, decide, resend, cancel) |
//! | routing | `routing.rs` | which item an MO message answers, and whether its sender may |
//! | wording | `texts.rs` | the SMS texts |
//!
//! Durability: every decision is state in the store first ([`crate::store`] holds the
//! tables and applies the rules in one transaction); SMS go out through the ordinary
//! queue with idempotency keys derived from the item, so an engine that dies between
//! "decided" and "SMS queued" sends that SMS after the restart, exactly once.

mod engine;
pub mod template;
pub mod texts;

pub use engine::{
    ApprovalCreated, ApprovalRequest, ReminderOutcome, ReminderRequest, StageRequest, Workflow,
    WorkflowError, WorkflowEvent,
};
pub use crate::replies::routing::{Routed, route_destination};
/// The approval rules moved to [`crate::replies::approval`]; this alias keeps the old
/// path working for callers not yet moved.
pub use crate::replies::approval as rules;
