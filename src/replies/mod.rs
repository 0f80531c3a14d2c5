//! Replies: what comes back from the phones the notifications went to.
//!
//! Pure decisions on top of the store (see ARCHITECTURE.md): this module never speaks SQL
//! and never touches a link.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`parse_reply`] | `parse.rs` | reads a reply text as approve / reject (with an optional comment) or unclear |
//! | [`extension`] | `extension.rs` | extended numbers: service code + extension, and splitting an MO destination back into them |
//!
//! Allocating and releasing extensions is durable state, so it lives in the store
//! ([`StoreHandle::allocate_extension`](crate::store::StoreHandle::allocate_extension)).

pub mod approval;
pub mod extension;
mod parse;
pub mod routing;

pub use parse::{Reply, parse_reply};
