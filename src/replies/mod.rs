//! Replies: what comes back from the phones the notifications went to.
//!
//! Pure decisions on top of the store (see ARCHITECTURE.md): this module never speaks SQL
//! and never touches a link.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`parse_reply`] | `parse.rs` | reads a reply text as approve / reject (with an optional comment) or unclear |
//! | [`extension`] | `extension.rs` | extended numbers: service code + extension, and splitting an MO destination back into them |
//! | [`routing`] | `routing.rs` | which item a reply addresses, whether its sender may answer it, and what it says (decision, unclear, reminder reply) |
//! | [`poll`] | `poll.rs` | poll answers: which option a reply names (key or text, any width or dressing), what becomes of a reply to a poll, and whether a reply spec is sound |
//! | [`approval`] | `approval.rs` | the approval state machine: [`approval::decide`] turns a step's state and an answer into a [`Transition`](crate::store::Transition) |
//!
//! Allocating and releasing extensions is durable state, so it lives in the store
//! ([`StoreHandle::allocate_extension`](crate::store::StoreHandle::allocate_extension)),
//! and so do the approval states: the store owns them as the plain data it keeps, loads
//! them, and applies the transition [`approval::decide`] chooses in the same
//! transaction. The workflow engine (`crate::workflow`) is what calls these decisions.

pub mod approval;
pub mod extension;
mod parse;
pub mod poll;
pub mod routing;

pub use parse::{Reply, parse_reply};
