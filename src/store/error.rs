//! The store's error type.
//!
//! Two kinds of error live here and the writer treats them differently:
//!
//! * **refusals** ([`StoreError::is_refusal`]): the request itself cannot be done — an
//!   unknown id, a job that is already sending, an idempotency key reused for another
//!   request. Every operation finds these *before its first write*, so a refusal leaves
//!   the open transaction untouched and the other commands of the same batch commit
//!   normally.
//! * **failures**: SQLite itself failed (disk full, I/O error, a corrupt row). The writer
//!   rolls the whole batch back and runs its commands again one transaction each, so one
//!   bad command cannot take its neighbours down with it.

use super::model::Millis;
use super::state::DeliveryState;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// The database was written by a newer hongyan: its schema version is above the newest
    /// migration this build knows, so opening it could misread or damage it.
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); \
         run a hongyan at least as new as the one that last wrote it"
    )]
    NewerSchema {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },

    /// SQLite would not switch the database to write-ahead logging (for example on a
    /// network file system); the store's crash-safety argument depends on WAL.
    #[error("the database could not be put in WAL mode (journal_mode is {0:?})")]
    NoWal(String),

    /// A new job is malformed; nothing was written.
    #[error("invalid job: {0}")]
    InvalidJob(&'static str),

    /// The idempotency key was used before, for a request with a different body.
    #[error("idempotency key {key:?} already belongs to job {job_id}, which has a different body")]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The job that owns it.
        job_id: i64,
    },

    /// No row with that id.
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked for ("job", "segment", "inbox message").
        what: &'static str,
        /// The id.
        id: i64,
    },

    /// A segment is not in a state that allows the operation (for example a submit
    /// response for a segment that is not in flight).
    #[error("segment {segment_id} is {state}; {operation} needs it {expected}")]
    WrongState {
        /// The segment.
        segment_id: i64,
        /// Its state now.
        state: DeliveryState,
        /// The operation refused.
        operation: &'static str,
        /// The states the operation accepts.
        expected: &'static str,
    },

    /// A column holds a value this build does not understand (a state code from a future
    /// version, or a damaged file).
    #[error("column {column} holds {value}, which this build does not understand")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// The value found.
        value: i64,
    },

    /// Every extension of that length is held by an open item of the carrier or still in
    /// its quarantine after release; nothing was allocated.
    #[error(
        "no free {length}-digit extension for carrier {carrier}: {live} held by open items, \
         {quarantined} in quarantine{}",
        next_free(*.next_free_at)
    )]
    ExtensionsExhausted {
        /// The carrier.
        carrier: String,
        /// Digits of the extensions asked for.
        length: u8,
        /// Extensions held by open items.
        live: u64,
        /// Extensions released but still in quarantine.
        quarantined: u64,
        /// When the first of those leaves quarantine (unix ms), if any.
        next_free_at: Option<Millis>,
    },

    /// An extension length the store cannot represent (the space is 10^length numbers).
    #[error("extension length {0} is outside 1..=18")]
    ExtensionLength(u8),

    /// Groups named by a request that do not exist (each listed once, in request order).
    #[error("unknown group{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    UnknownGroups(Vec<String>),

    /// A contact, group or draft the request describes is not acceptable.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was refused ("contact", "group name", …).
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// An internal invariant did not hold; the transaction is rolled back.
    #[error("store invariant broken: {0}")]
    Internal(&'static str),

    /// The writer thread has stopped (the store was closed, or the thread could not be
    /// started); nothing was written.
    #[error("the store writer has stopped")]
    Closed,

    /// The approval is decided or expired: nobody is waiting to be asked again.
    #[error("approval {approval_id} is closed ({state}); nobody is asked again")]
    ApprovalClosed {
        /// The request.
        approval_id: i64,
        /// How it ended.
        state: super::approvals::ApprovalState,
    },

    /// A database file could not be created or made private to its owner (0600).
    #[error("{path}: cannot make it readable by its owner only: {source}")]
    FileMode {
        /// The file (the database, or its `-wal` / `-shm`).
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A console account with that login name exists already.
    #[error("an account named {0:?} exists already")]
    AccountExists(String),
}

impl StoreError {
    /// True for errors that are about the request, found before anything was written: the
    /// rest of a batch may still commit.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::InvalidJob(_)
                | Self::IdempotencyConflict { .. }
                | Self::NotFound { .. }
                | Self::WrongState { .. }
                | Self::ExtensionsExhausted { .. }
                | Self::ExtensionLength(_)
                | Self::UnknownGroups(_)
                | Self::Invalid { .. }
                | Self::ApprovalClosed { .. }
                | Self::AccountExists(_)
        )
    }
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The tail of the exhaustion message: when waiting would help, say until when.
fn next_free(at: Option<Millis>) -> String {
    at.map(|at| format!("; the next leaves quarantine at {at} (unix ms)"))
        .unwrap_or_default()
}
