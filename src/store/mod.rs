//! The durable store: every accepted job, every segment's fate, delivery reports and inbound
//! messages, in one SQLite file. The only code in hongyan that speaks SQL.
//!
//! # Shape
//!
//! * [`Store`] is the synchronous core on one `rusqlite::Connection`. Every operation is a
//!   short sequence of cached prepared statements; when called outside a transaction it
//!   runs in its own, inside one (the writer's batch) it joins it.
//! * [`StoreHandle`] is what async code uses: a cloneable handle to **one dedicated OS
//!   thread** that owns the write connection. Commands arrive on a bounded channel, each
//!   with a oneshot reply; the thread takes everything waiting (up to
//!   [`StoreOptions::max_batch`]), runs it in **one transaction**, commits, and only then
//!   replies. Many concurrent callers therefore cost one commit, and no caller hears
//!   "done" before its change is committed. If SQLite fails inside a batch, the batch is
//!   rolled back and its commands rerun one transaction each, so only the failing one
//!   fails. Reads (status, lists, depth) use a second, read-only connection, so they never
//!   wait behind a write batch; a third connection checkpoints the WAL in the background.
//! * One file per topic holds that topic's SQL (on [`Store`]) *and* its async wrapper (an
//!   `impl StoreHandle` block): jobs.rs (accept, cancel, release, expire), claim.rs (the
//!   claim of queued segments), submit.rs (submit answers), requeue.rs (back to the
//!   queue, or unconfirmed), reports.rs, recovery.rs, inbox.rs, extensions.rs,
//!   webhooks.rs, read.rs and lists.rs (queries), retention.rs; place.rs is what the
//!   segment paths share. handle.rs is only the writer thread.
//! * SQL names queue states (`segment_state!(in_flight)`, see `sql_states.rs`); the
//!   macros expand to the stored codes, so the statements stay literal for the partial
//!   indexes.
//!
//! # How the daemon uses it
//!
//! 1. `StoreHandle::open` once; then [`StoreHandle::recover_on_start_with`] once, with
//!    the on-the-wire journal's ids, before anything is claimed (it settles what the
//!    previous run left in flight).
//! 2. API / scheduler: [`enqueue`](StoreHandle::enqueue) (idempotent by key),
//!    [`cancel`](StoreHandle::cancel).
//! 3. Dispatcher, on a timer: [`promote_due`](StoreHandle::promote_due) and
//!    [`expire`](StoreHandle::expire); per link with free window:
//!    [`claim`](StoreHandle::claim); per submit response:
//!    [`mark_submitted`](StoreHandle::mark_submitted) or
//!    [`mark_failed`](StoreHandle::mark_failed); on flow control, or for submits that
//!    surely never reached the carrier: [`requeue`](StoreHandle::requeue) (not a failure,
//!    no retry storm: the parts wait in the queue until the link claims again); for
//!    submits on the wire when a connection dropped:
//!    [`mark_unconfirmed`](StoreHandle::mark_unconfirmed) (the restart rule: no blind
//!    resend), or `requeue` when `resend_unconfirmed` is configured. Per delivery report:
//!    [`record_report`](StoreHandle::record_report).
//! 4. MO messages: [`inbox_receive`](StoreHandle::inbox_receive) with the gateway's
//!    DELIVER ids (a resend of a message stored before a crash is recognised, not stored
//!    twice), [`inbox_insert`](StoreHandle::inbox_insert) without; read with
//!    [`inbox_list`](StoreHandle::inbox_list).
//! 5. Replies: [`allocate_extension`](StoreHandle::allocate_extension) for each item that
//!    expects one, [`lookup_extension`](StoreHandle::lookup_extension) when an MO message
//!    arrives, [`release_item_extensions`](StoreHandle::release_item_extensions) (or
//!    [`release_extension`](StoreHandle::release_extension)) when the item closes.
//! 6. Housekeeping, every few minutes: [`purge`](StoreHandle::purge) of finished history
//!    older than the retention window, in bounded passes; it runs alone, between batches.
//!
//! # Tables
//!
//! | table | one row per | notes |
//! |-------|-------------|-------|
//! | `jobs` | send request | idempotency key (unique), priority, text, signature, source extension, send_at, expires_at, lifecycle state, id ranges of its recipients and segments |
//! | `recipients` | job × number | number, carrier, dispatch state, parts, concat reference, id of its first segment |
//! | `segments` | recipient × part | state, attempts, link + connection while in flight, carrier msg id (TEXT), submit result, report stat/err, timestamps |
//! | `segment_counts` | segment state | how many segments are in it now (kept by the writer at each commit) |
//! | `orphan_reports` | report with no segment yet | carrier, msg id, status, stat, err, raw JSON, received_at |
//! | `inbox` | inbound (MO) message | sender, destination (extended number), text, coding, received_at, link, matched item, read flag |
//! | `approvals` | approval request | title, applicant, details, state, current stage, expiry, whether the applicant was told the outcome, idempotency key |
//! | `approval_steps` | request × approver | stage, rule, state, comment, how decided, asks sent, whether an ask is due (the outbox), extension |
//! | `reminders` | reminder × recipient | text, state, next send, repeats, extension, reply |
//! | `webhook_outbox` | event × webhook not yet delivered | body as sent, attempts, next attempt, last error |
//! | `alert_events` | alert notice (firing, repeat, resolved) | alert, subject, text, since, at, whether people were told, what became of the on-call SMS; the last 1000 kept |
//! | `extensions` | carrier × extension ever handed out | digits, current (or last) holder: item kind + id, recipient; allocated_at, released_at (NULL while live) |
//! | `contacts` | address-book entry | normalised phone (unique), name, tags (JSON) |
//! | `groups` | contact group | name (unique) |
//! | `group_members` | group × contact | primary key both; index by contact |
//! | `drafts` | unsent group message | title, text, signature, groups (JSON), send_at, numbers (JSON), owner (console account) |
//! | `signatures`, `templates` | stored signature / message template | name (unique), text |
//! | `polls`, `poll_extensions`, `poll_replies`, `poll_unmatched` | send asking for replies; its extension per carrier; attributed reply; unattributed reply | see `polls.rs`; `jobs.poll_id` names a job's poll |
//! | `opt_outs` | number on the opt-out (退订) list | number (unique), since, source, actor, link, the reply's text, note |
//! | `opt_out_history` | change to the list | number, at, added/removed, source, actor, note or reason, link, text, inbox id |
//!
//! Times are unix milliseconds (UTC). States are integers ([`DeliveryState`]). The schema
//! is versioned with `PRAGMA user_version` ([`schema::MIGRATIONS`]); an older file is
//! migrated on open, a newer one refused.
//!
//! # Segment states
//!
//! ```text
//!             enqueue (send_at in the future)          enqueue (now)
//!                       │                                    │
//!                       ▼          promote_due               ▼
//!                  [scheduled] ──────────────────────▶ [queued] ◀──────────────┐
//!                    │     │                          │  │   │                 │
//!             cancel │     │ expire           cancel  │  │   │ expire          │ requeue (flow control,
//!                    ▼     ▼                          ▼  │   ▼                 │ submit surely not sent,
//!             [cancelled] [expired]         [cancelled]  │ [expired]           │ or resend wanted), or
//!                                                        │ claim               │ recover_on_start: never
//!                                                        ▼ (attempts + 1)      │ written, or resend_unconfirmed
//!                                                   [in_flight] ───────────────┘
//!                                                    │   │   │
//!                               mark_submitted(msg id)│   │   │ recover_on_start
//!                                                    │   │   ▼ (default), mark_unconfirmed
//!                                                    │   │ [unconfirmed] ── mark_submitted / mark_failed
//!                                        mark_failed │   │                  (a late answer is still recorded)
//!                                                    ▼   ▼
//!                                            [submitted] [failed]
//!                                             │   │   │
//!                        record_report (or an │   │   │
//!                        orphan matched by    ▼   ▼   ▼
//!                        mark_submitted) [delivered] [failed] [expired]
//!                                         │
//!                         expire_reports  ▼ (no report within queue.report_timeout;
//!                                   [unreported]   a late report still applies)
//! ```
//!
//! A recipient's delivery state is derived from its segments ([`state::recipient_state`]):
//! work still to do first (in flight, queued), then the worst outcome (unconfirmed, failed,
//! expired, cancelled, submitted, unreported), delivered only when every part is; its last error is its
//! segments' latest. A job's state ([`JobState`]) is derived from its recipients' states.
//! Both are computed when read ([`Store::job_status`]) and returned by the operations that
//! change them (`recipient_state` in [`SubmitOutcome`], [`ReportOutcome`], [`FailOutcome`]).
//! What is *stored* on a recipient is only its dispatch state (waiting, queued, taken,
//! expired, cancelled — see [`schema::MIGRATIONS`]) and on a job only scheduled / released /
//! cancelled: the submit response and the report of a one-part message then write one row,
//! and a 100 000-recipient bulk job is not rewritten once per segment.
//!
//! Jobs are claimed **by recipient**: [`Store::claim`] takes whole messages (all queued
//! parts of one recipient) for one carrier, highest priority first, then oldest, so a long
//! message goes out through one connection.
//!
//! # Crash safety
//!
//! * An accepted job is acknowledged only after the transaction holding it has committed.
//!   In WAL mode a commit is in the `-wal` file before `COMMIT` returns, so it survives the
//!   process being killed at any moment — also with `synchronous = NORMAL`, the default.
//!   `NORMAL` skips the fsync per commit: a power cut or kernel crash can lose the last
//!   transactions (never corrupt the file). [`Synchronous::Full`] fsyncs every commit (one
//!   per batch, not per message) and also survives power loss.
//! * A segment is `in_flight` from its claim until an answer is recorded — claimed ahead,
//!   so it may still be waiting inside the process, or its submit may be on the wire. On
//!   start, [`Store::recover_on_start_with`] queues again every such segment the
//!   on-the-wire journal does not name (never written; the claim's attempt given back),
//!   and turns those it names (or all, without a journal) into `unconfirmed` and reports
//!   them (default: nobody receives a duplicate; an operator decides), or, with
//!   `resend_unconfirmed = true`, back into `queued`.
//! * A delivery report whose message id matches no segment yet — it beat the submit
//!   response, or the id is unknown — is kept in `orphan_reports` and applied when a submit
//!   response with that id is recorded, also after a restart. Nothing is dropped.
//!
//! # Scale
//!
//! The hot statements use partial indexes (rows enter them only while queued, in flight,
//! scheduled, or expirable) and id ranges instead of foreign-key indexes; see
//! [`schema::MIGRATIONS`]. Tests pin their query plans and check that none is re-prepared
//! per run. On the 2-core development machine one message costs the writer thread about
//! 14 µs of CPU for enqueue + claim + submit response + report (about 13 µs of that is
//! SQLite running 10–11 statements), so the writer alone could carry ~70 000 messages/s.
//! Measured end to end (`benches/store.rs`: 64 concurrent producers, up to 8 192 messages
//! between claim and report, `synchronous = NORMAL`): 52 000–53 000 messages/s over
//! 200 000 and 500 000 messages with one other build running, 40 000–50 000/s with three
//! or four. With `synchronous = FULL` the fsync per batch bounds it (15 000–31 000/s
//! here, depending on the disk's mood).
//!
//! `queue_depth` reads `segment_counts`, which the writer keeps per state (one upsert
//! per changed state per commit), so a status page or a Prometheus scrape costs ten rows
//! however long history is. `claim` skips recipients past their expiry but leaves them queued for `expire`,
//! which reports them, so call `expire` regularly. [`Store::purge`] deletes finished
//! history older than a cutoff in bounded steps (the daemon runs it for
//! `storage.retention`; see `retention.rs`). Only one process may write a store file at a
//! time.

mod accounts;
pub mod alerts;
mod approvals;
mod audit;
pub mod backup;
mod claim;
mod console_approvals;
mod contact_pages;
mod contact_uploads;
mod contacts;
mod daily_sends;
mod db;
mod error;
mod extensions;
mod files;
pub mod fill;
mod handle;
mod inbox;
mod inbox_view;
mod jobs;
pub mod lists;
mod model;
pub mod opt_outs;
mod place;
pub mod policy;
mod poll_results;
mod poll_retention;
mod polls;
mod read;
mod recovery;
mod reminders;
mod reports;
mod requeue;
mod reschedule;
mod retention;
pub mod schema;
mod sessions;
mod sql_states;
pub mod state;
mod submit;
pub mod templates;
mod unconfirmed;
#[cfg(test)]
mod unconfirmed_tests;

#[cfg(test)]
mod count_tests;
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod loadgen;
#[cfg(test)]
mod plans;
#[cfg(test)]
pub(crate) mod testutil;
#[cfg(test)]
mod throughput;
pub mod webhooks;

pub use accounts::{Account, NewAccount};
pub use alerts::{AlertEvent, NewAlertEvent};
pub use approvals::{
    ApprovalState, ApprovalView, Approver, DecideOutcome, DecideRule, DecideState, Decision,
    NewApproval, NewStage, OutcomeToSend, StageRule, StepContext, StepState, StepToAsk, StepView,
    Transition,
};
pub use audit::{AuditEntry, AuditQuery, NewAuditEntry};
pub use claim::ClaimFilter;
pub use console_approvals::{ApprovalScope, TimelineEntry};
pub use contact_pages::{COUNT_CAP, ContactQuery, ContactRows};
pub use contact_uploads::{ContactUpload, UPLOAD_TTL_MS};
pub use contacts::{
    ContactPage, ContactUpsert, ContactView, DraftView, GroupView, ImportCounts, MAX_LABEL_CHARS,
    NewContact, NewDraft,
};
pub use daily_sends::{DaySends, OldestWaiting, REFRESH_MS};
pub use db::Store;
pub use error::{Result, StoreError};
pub use handle::{Deferred, StoreHandle};
pub use inbox::{InboxRoute, MoReceived};
pub use inbox_view::{
    AnswerKind, Answered, INBOX_SCAN, InboxCursor, InboxQuery, InboxRow, InboxRows, ReadFilter,
};
pub use lists::{InboxFilter, ItemFilter, JobFilter, JobReplies, Page, TimeRange, Window};
pub use model::*;
pub use opt_outs::{OptOutAction, OptOutChange, OptOutEntry, OptOutRecord, OptOutSource};
pub use place::SegmentPlace;
pub use policy::{
    DailyCounts, HeldJob, HoldOutcome, JobPolicy, JobPolicyView, QUIET_HOURS, SkippedRecipient,
};
pub use poll_results::{
    AttributedReply, GroupTally, OptionCount, PollRead, PollTally, ReplyFilter, ResendBasis,
    UnansweredRow, Unmatched,
};
pub use polls::{
    Accept, NewPoll, NewPollReply, NewPollUnmatched, PollOption, PollReplyRecorded, PollReplyRow,
    PollTarget, PollUnmatched, PollView, ReplyMode, ReplySpec,
};
pub use reminders::{DueReminder, NewReminder, ReminderCancel, ReminderState, ReminderView};
pub use reports::UnreportedSegment;
pub use requeue::SegmentsMoved;
pub use reschedule::RescheduleOutcome;
pub use retention::PurgeOutcome;
pub use schema::{StoreOptions, Synchronous};
pub use sessions::SessionRow;
pub use state::{DeliveryState, JobState, Priority, ReportStatus, StateCounts};
pub use submit::FailOutcome;
pub use templates::{Snippet, SnippetKind};
pub use webhooks::{Subscriptions, WebhookDelivery, WebhookEvent};
