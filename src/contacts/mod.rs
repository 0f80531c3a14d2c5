//! Group messaging by staff: an address book of contacts in groups, filled from CSV files,
//! and messages to whole groups — at once or scheduled, from a draft or not.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`parse_csv`] | `csv_import.rs` | CSV bytes (UTF-8 or GBK) → good rows, bad rows with line and reason, merged duplicates; no I/O |
//! | [`import_csv`] | `import.rs` | parse, then store the good rows in one transaction |
//! | [`compose::send`], [`compose::preview`] | `compose.rs` | typed numbers + groups → one job (or its preview); the console's 写短信 |
//! | [`group_send`], [`send_draft`] | `group_send.rs` | the groups' distinct numbers → one job through the [`Submitter`](crate::dispatch::Submitter) |
//! | [`group_send_progress`] | `group_send.rs` | how far a group send is, per recipient |
//!
//! The contacts, groups and drafts themselves are in the store
//! ([`StoreHandle::contacts_list`](crate::store::StoreHandle::contacts_list),
//! [`groups_list`](crate::store::StoreHandle::groups_list),
//! [`draft_save`](crate::store::StoreHandle::draft_save), …); the inbox of replies is
//! [`StoreHandle::inbox_list`](crate::store::StoreHandle::inbox_list).
//!
//! Numbers are read with the router's rules ([`crate::route::normalize`] and its segment
//! table), so a number the address book accepts is one the submitter can route, and a
//! number it refuses is refused for the same reason a send would give.

pub mod compose;
pub mod csv_import;
mod group_send;
mod import;

pub use csv_import::{
    BadRow, ContactRow, CsvImportError, Field, ImportPlan, MAX_NAME_CHARS, SourceEncoding,
    parse_csv,
};
pub use group_send::{
    GroupSend, GroupSendError, GroupSendOutcome, GroupSendProgress, RecipientProgress, group_send,
    group_send_progress, group_send_progress_page, send_draft,
};
pub use import::{ContactImportError, ImportReport, import_csv};
