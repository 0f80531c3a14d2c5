//! Opening a database file: connection settings, and the schema with its migrations.
//!
//! The schema version is `PRAGMA user_version`; [`MIGRATIONS`] lists the steps in order,
//! step *i* taking a file from version *i* to *i + 1*. Opening a file runs the steps it is
//! missing, each in its own transaction together with the version bump, so a crash in the
//! middle leaves the file at a whole version. A file with a version above the newest step
//! was written by a newer build and is refused ([`StoreError::NewerSchema`]).
//!
//! Only ever append a step; never edit one that has shipped.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use super::error::{Result, StoreError};
use super::sql_states::{dispatch_state, job_phase, segment_state};

/// Schema steps; step *i* takes `user_version` from *i* to *i + 1*.
///
/// Notes on version 1:
/// * states are integers (see [`DeliveryState`](super::DeliveryState));
/// * the ids of one job's recipients, and of one job's segments, are contiguous (a job is
///   inserted by one statement sequence in one transaction of the only writer), so a job
///   finds its recipients, and a recipient its segments, by id range — no index on
///   `recipients(job_id)` or `segments(recipient_id)` to maintain on the hot path;
/// * `recipients.state` is the recipient's *dispatch* state, not its delivery state: 0
///   scheduled, 1 queued (claimable), 2 taken (claimed; nothing of it queued), 6 expired,
///   8 cancelled. It changes only when the recipient enters or leaves the queue, so the
///   submit response and the report of a one-part message touch one row, its segment.
///   A recipient's delivery state and last error are derived from its segments on read;
/// * the claim, expiry, due and in-flight indexes are *partial*: a row is in them only
///   while it is in the state they serve, so they stay small however big history grows;
/// * `priority`, `carrier` and `expires_at` are copied onto recipients (and `carrier`,
///   `job_id`, `parts` onto segments) so the hot statements touch one table.
///
/// Notes on version 2:
/// * `extensions` has one row per extension a carrier has ever handed out (not one per
///   allocation): its current holder while `released_at` is NULL or in the future, else
///   its last one. Rows are never deleted, so the unique `(carrier, digits, extension)`
///   index makes an extension unique among live items by construction, and the extensions
///   never used are exactly those above the highest one of that length (allocation takes
///   them in order) — found by one index seek instead of a search of the space;
/// * `digits` is the extension's length, so spaces of different lengths (after a change of
///   `extension_length`) do not mix; `item_kind` is an integer like the states
///   (1 approval step, 2 reminder);
/// * `extensions_reusable` holds only released rows, ordered by release time: the least
///   recently released past its quarantine is its first entry; `extensions_item` holds
///   only live rows, for the holder's own look-ups.
pub const MIGRATIONS: &[&str] = &[
    concat!(
        r#"
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT,
    priority         INTEGER NOT NULL,
    text             TEXT NOT NULL,
    signature        TEXT NOT NULL,
    source_ext       TEXT,
    send_at          INTEGER,
    expires_at       INTEGER,
    state            INTEGER NOT NULL,
    first_recipient  INTEGER NOT NULL,
    recipients       INTEGER NOT NULL,
    first_segment    INTEGER NOT NULL,
    segments         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    cancelled_at     INTEGER
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs(idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs(send_at) WHERE state = "#,
        job_phase!(scheduled),
        r#";

CREATE TABLE recipients (
    id             INTEGER PRIMARY KEY,
    job_id         INTEGER NOT NULL REFERENCES jobs(id),
    number         TEXT NOT NULL,
    carrier        TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    expires_at     INTEGER,
    state          INTEGER NOT NULL,
    parts          INTEGER NOT NULL,
    reference      INTEGER,
    first_segment  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX recipients_claim ON recipients(carrier, priority, id) WHERE state = "#,
        dispatch_state!(queued),
        r#";
CREATE INDEX recipients_expiry ON recipients(expires_at)
    WHERE state IN ("#,
        dispatch_state!(scheduled, queued),
        r#") AND expires_at IS NOT NULL;

CREATE TABLE segments (
    id            INTEGER PRIMARY KEY,
    recipient_id  INTEGER NOT NULL REFERENCES recipients(id),
    job_id        INTEGER NOT NULL,
    carrier       TEXT NOT NULL,
    part          INTEGER NOT NULL,
    parts         INTEGER NOT NULL,
    state         INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    link          TEXT,
    connection    INTEGER,
    msg_id        TEXT,
    result        INTEGER,
    report_stat   TEXT,
    report_err    TEXT,
    last_error    TEXT,
    claimed_at    INTEGER,
    submitted_at  INTEGER,
    reported_at   INTEGER,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX segments_msg ON segments(carrier, msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX segments_in_flight ON segments(state) WHERE state = "#,
        segment_state!(in_flight),
        r#";

CREATE TABLE orphan_reports (
    id           INTEGER PRIMARY KEY,
    carrier      TEXT NOT NULL,
    msg_id       TEXT NOT NULL,
    status       INTEGER NOT NULL,
    stat         TEXT NOT NULL,
    err          TEXT NOT NULL,
    raw          TEXT,
    received_at  INTEGER NOT NULL
);
CREATE INDEX orphan_reports_msg ON orphan_reports(carrier, msg_id);

CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    sender       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    text         TEXT NOT NULL,
    coding       INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    link         TEXT NOT NULL,
    item_id      INTEGER,
    read         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_unread ON inbox(id) WHERE read = 0;
"#
    ),
    // Version 2: extended numbers (see `extensions.rs`).
    r#"
CREATE TABLE extensions (
    id            INTEGER PRIMARY KEY,
    carrier       TEXT NOT NULL,
    extension     TEXT NOT NULL,
    digits        INTEGER NOT NULL,
    item_kind     INTEGER NOT NULL,
    item_id       INTEGER NOT NULL,
    recipient     TEXT NOT NULL,
    allocated_at  INTEGER NOT NULL,
    released_at   INTEGER
);
CREATE UNIQUE INDEX extensions_slot ON extensions(carrier, digits, extension);
CREATE INDEX extensions_reusable ON extensions(carrier, digits, released_at)
    WHERE released_at IS NOT NULL;
CREATE INDEX extensions_item ON extensions(item_kind, item_id) WHERE released_at IS NULL;
"#,
    // Version 3: approval workflows, reminders, and reply routing of the inbox (see
    // `approvals.rs`, `reminders.rs`). `inbox.route` is NULL until the reply router has
    // looked at the message; rows from before this version count as looked at.
    r#"
CREATE TABLE approvals (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    applicant_name   TEXT NOT NULL,
    applicant_phone  TEXT NOT NULL,
    details          TEXT NOT NULL,
    state            INTEGER NOT NULL,
    stage            INTEGER NOT NULL,
    stages           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    decided_at       INTEGER,
    outcome_sent     INTEGER NOT NULL DEFAULT 0,
    idem_key         TEXT UNIQUE
);
CREATE INDEX approvals_open ON approvals(expires_at) WHERE state = 0;
CREATE INDEX approvals_outcome ON approvals(id) WHERE state <> 0 AND outcome_sent = 0;

CREATE TABLE approval_steps (
    id              INTEGER PRIMARY KEY,
    approval_id     INTEGER NOT NULL REFERENCES approvals(id),
    stage           INTEGER NOT NULL,
    rule            INTEGER NOT NULL,
    approver_name   TEXT NOT NULL,
    approver_phone  TEXT NOT NULL,
    state           INTEGER NOT NULL,
    comment         TEXT,
    decided_at      INTEGER,
    decided_via     TEXT,
    asks            INTEGER NOT NULL DEFAULT 0,
    ask_due         INTEGER NOT NULL DEFAULT 0,
    asked_at        INTEGER,
    reminded_at     INTEGER,
    extension       TEXT,
    last_job        INTEGER
);
CREATE INDEX approval_steps_of ON approval_steps(approval_id, stage);
CREATE INDEX approval_steps_ask ON approval_steps(id) WHERE ask_due = 1;
CREATE INDEX approval_steps_pending ON approval_steps(asked_at) WHERE state = 1;

CREATE TABLE reminders (
    id            INTEGER PRIMARY KEY,
    recipient     TEXT NOT NULL,
    text          TEXT NOT NULL,
    signature     TEXT,
    state         INTEGER NOT NULL,
    send_at       INTEGER NOT NULL,
    next_at       INTEGER NOT NULL,
    repeat_every  INTEGER,
    max_sends     INTEGER NOT NULL,
    sends         INTEGER NOT NULL DEFAULT 0,
    extension     TEXT,
    last_job      INTEGER,
    reply         TEXT,
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    idem_key      TEXT UNIQUE
);
CREATE INDEX reminders_due ON reminders(next_at) WHERE state = 0;

ALTER TABLE inbox ADD COLUMN route TEXT;
UPDATE inbox SET route = 'before_routing';
CREATE INDEX inbox_unrouted ON inbox(id) WHERE route IS NULL;
"#,
    // Version 4: the webhook outbox (see `webhooks.rs`).
    r#"
CREATE TABLE webhook_outbox (
    id          INTEGER PRIMARY KEY,
    webhook     TEXT NOT NULL,
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at);
"#,
    // Version 5: contacts, groups and drafts for group messaging (see `contacts.rs`).
    // `contacts.phone` is the normalised 11-digit number, unique: an import merges into the
    // contact it names. `tags` and `drafts.groups` are JSON arrays of strings. A group's
    // members are found by the primary key, a contact's groups by `group_members_contact`.
    r#"
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    phone       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX group_members_contact ON group_members(contact_id);

CREATE TABLE drafts (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    signature   TEXT,
    groups      TEXT NOT NULL DEFAULT '[]',
    send_at     INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
"#,
    // Version 6: segments still waiting for their status report, oldest submit first, so
    // the report deadline (`queue.report_timeout`) finds those past it with one index
    // seek (see `reports::expire_reports`).
    concat!(
        r#"
CREATE INDEX segments_awaiting_report ON segments(submitted_at) WHERE state = "#,
        segment_state!(submitted),
        r#";
"#
    ),
    // Version 7: the gateway's DELIVER ids of an MO message's parts, so a resend of a
    // message stored just before a crash (its DELIVERs were never answered) is
    // recognised and not stored again (see `inbox::inbox_receive`).
    r#"
ALTER TABLE inbox ADD COLUMN deliver_key TEXT;
CREATE INDEX inbox_deliver ON inbox(link, deliver_key) WHERE deliver_key IS NOT NULL;
"#,
    // Version 8: segments per state, kept by the writer (one upsert per changed state per
    // commit, see `db::CountDeltas`), so the queue depth on status pages and `/metrics`
    // costs ten rows instead of a scan of all history. Filled from the segments once here.
    r#"
CREATE TABLE segment_counts (
    state  INTEGER PRIMARY KEY,
    n      INTEGER NOT NULL
);
INSERT INTO segment_counts (state, n) SELECT state, count(*) FROM segments GROUP BY state;
"#,
    // Indexes for the list filters of the API (see `lists.rs`): jobs by a recipient's
    // number and by the time they were accepted; the inbox by sender, matched item and
    // arrival time; approvals and reminders by creation time, reminders by recipient.
    // Each answers a filter with a seek instead of a walk through all history. `IF NOT
    // EXISTS`: a file set back to an older version (as a test does) re-runs this step.
    r#"
CREATE INDEX IF NOT EXISTS recipients_number ON recipients(number, job_id);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
CREATE INDEX IF NOT EXISTS inbox_sender ON inbox(sender);
CREATE INDEX IF NOT EXISTS inbox_item ON inbox(item_id) WHERE item_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_received ON inbox(received_at);
CREATE INDEX IF NOT EXISTS approvals_created ON approvals(created_at);
CREATE INDEX IF NOT EXISTS reminders_created ON reminders(created_at);
CREATE INDEX IF NOT EXISTS reminders_recipient ON reminders(recipient);
"#,
    // Webhook delivery ids are never reused. The outbox row id is the
    // `X-Hongyan-Delivery` a receiver drops repeats by, and rows are deleted once
    // delivered; a plain rowid then hands the same id to the next event. AUTOINCREMENT
    // keeps the highest id ever issued in `sqlite_sequence`, across deletes, retention and
    // restarts. The rows waiting keep their ids, and the sequence starts above them.
    r#"
CREATE TABLE webhook_outbox_v9 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook     TEXT NOT NULL,
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
INSERT INTO webhook_outbox_v9 (id, webhook, event, body, created_at, next_at, attempts, last_error)
    SELECT id, webhook, event, body, created_at, next_at, attempts, last_error FROM webhook_outbox;
DROP TABLE webhook_outbox;
ALTER TABLE webhook_outbox_v9 RENAME TO webhook_outbox;
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at);
"#,
    // A report whose message id names no segment keeps the link it came on, the number
    // it is about and the submit time it gives, so it can settle an unconfirmed segment
    // (its submit response lost to a crash) that it identifies — or, with the others of
    // that number and minute, several (see `unconfirmed.rs`). Unconfirmed segments are
    // few: an index finds them without a scan of all history.
    concat!(
        r#"
ALTER TABLE orphan_reports ADD COLUMN link TEXT;
ALTER TABLE orphan_reports ADD COLUMN recipient TEXT;
ALTER TABLE orphan_reports ADD COLUMN submitted_at INTEGER;
CREATE INDEX orphan_reports_identity ON orphan_reports(link, recipient, submitted_at)
    WHERE link IS NOT NULL;
CREATE INDEX segments_unconfirmed ON segments(link) WHERE state = "#,
        segment_state!(unconfirmed),
        r#";
"#
    ),
    // Alerts: the notices given (firing, repeat, resolved), so `/v1/alerts` shows the
    // recent history after a restart (see `alerts.rs`).
    r#"
CREATE TABLE IF NOT EXISTS alert_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert     TEXT NOT NULL,
    subject   TEXT NOT NULL,
    state     TEXT NOT NULL,
    text      TEXT NOT NULL,
    since     INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    notified  INTEGER NOT NULL,
    sms       TEXT
);
"#,
    // The staff console: accounts (argon2id PHC hashes, never the password), their
    // sessions (only a SHA-256 of the cookie's id is stored, so a copy of the file logs
    // nobody in) and the audit log of every state-changing console request (see
    // `accounts.rs`, `sessions.rs`, `audit.rs`).
    r#"
CREATE TABLE IF NOT EXISTS accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL,
    phone          TEXT,
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    password_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,
    address     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_account ON sessions(account_id);
CREATE TABLE IF NOT EXISTS audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    account_id  INTEGER,
    username    TEXT NOT NULL,
    address     TEXT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    detail      TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
"#,
    // The staff console (see `drafts.rs`, `templates.rs`, `lists.rs`): who sent a job
    // (`web:<account>` or `api:<token name>`; NULL for the daemon's own sends and jobs
    // from before), indexed for the outbox's sender filter; drafts that name numbers
    // and the console account that saved them; signatures and templates kept
    // server-side for the console and the API.
    r#"
ALTER TABLE jobs ADD COLUMN sender TEXT;
CREATE INDEX IF NOT EXISTS jobs_sender ON jobs(sender, id) WHERE sender IS NOT NULL;
ALTER TABLE drafts ADD COLUMN numbers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE drafts ADD COLUMN owner INTEGER;
CREATE TABLE IF NOT EXISTS signatures (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS templates (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
"#,
    // The staff console's pages (see `console_approvals.rs`, `contact_uploads.rs`,
    // `daily_sends.rs`): who created an approval on the console (staff see theirs), an
    // approver's steps by number ("waiting for me"), a contact file kept between its
    // preview and the confirm that imports exactly it, and the per-day send counts of days
    // whose outcome is settled, so the dashboard's 30 days do not re-count all history.
    r#"
CREATE TABLE IF NOT EXISTS approval_owners (
    approval_id  INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_owners_account ON approval_owners(account_id, approval_id);
CREATE INDEX IF NOT EXISTS approval_steps_phone ON approval_steps(approver_phone, approval_id);
CREATE TABLE IF NOT EXISTS contact_uploads (
    id          TEXT PRIMARY KEY,
    account_id  INTEGER,
    file_name   TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_sends_days (
    day          INTEGER PRIMARY KEY,
    computed_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_sends (
    day          INTEGER NOT NULL,
    carrier      TEXT NOT NULL,
    segments     INTEGER NOT NULL,
    sent         INTEGER NOT NULL,
    delivered    INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    unreported   INTEGER NOT NULL,
    PRIMARY KEY (day, carrier)
) WITHOUT ROWID;
"#,
    // Replies to bulk sends: polls and collections (see `polls.rs`). A poll is asked by
    // one job and its resends (`jobs.poll_id`); it holds one extension per carrier
    // (`poll_extensions`, also held in `extensions` under item kind 3, recipient ''), which
    // the claim sends from instead of `jobs.source_ext`. A reply from one of its jobs'
    // recipients is a `poll_replies` row (one per inbox message); any other reply to its
    // extension is a `poll_unmatched` row with the reason. `options` and `groups` are JSON.
    r#"
CREATE TABLE polls (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER UNIQUE,
    mode        TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '[]',
    accept      TEXT NOT NULL,
    closes_at   INTEGER,
    closed_at   INTEGER,
    groups      TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
);
CREATE INDEX polls_closing ON polls(closes_at)
    WHERE closed_at IS NULL AND closes_at IS NOT NULL;
ALTER TABLE jobs ADD COLUMN poll_id INTEGER;
CREATE INDEX jobs_poll ON jobs(poll_id) WHERE poll_id IS NOT NULL;

CREATE TABLE poll_extensions (
    poll_id    INTEGER NOT NULL REFERENCES polls(id),
    carrier    TEXT NOT NULL,
    extension  TEXT NOT NULL,
    PRIMARY KEY (poll_id, carrier)
) WITHOUT ROWID;

CREATE TABLE poll_replies (
    id            INTEGER PRIMARY KEY,
    poll_id       INTEGER NOT NULL REFERENCES polls(id),
    inbox_id      INTEGER NOT NULL UNIQUE,
    number        TEXT NOT NULL,
    contact_name  TEXT,
    option_key    TEXT,
    text          TEXT NOT NULL,
    comment       INTEGER NOT NULL,
    superseded    INTEGER NOT NULL DEFAULT 0,
    received_at   INTEGER NOT NULL,
    link          TEXT NOT NULL
);
CREATE INDEX poll_replies_number ON poll_replies(poll_id, number);
CREATE INDEX poll_replies_option ON poll_replies(poll_id, option_key)
    WHERE superseded = 0 AND option_key IS NOT NULL;

CREATE TABLE poll_unmatched (
    id           INTEGER PRIMARY KEY,
    poll_id      INTEGER NOT NULL REFERENCES polls(id),
    inbox_id     INTEGER NOT NULL UNIQUE,
    number       TEXT NOT NULL,
    text         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    link         TEXT NOT NULL
);
CREATE INDEX poll_unmatched_poll ON poll_unmatched(poll_id, reason);
"#,
    // Poll results: which contact groups each recipient of a group send was asked as a
    // member of, kept at send time so a poll's tally per group stays what it was asked
    // as when contacts later move (see `poll_results.rs`).
    r#"
CREATE TABLE IF NOT EXISTS job_group_members (
    job_id  INTEGER NOT NULL,
    grp     TEXT NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (job_id, number, grp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS job_group_members_group ON job_group_members(job_id, grp);
"#,
    // The opt-out (退订) list and its history. `opt_outs` holds who is on the list now
    // (one row per normalised number; the rowid orders the list newest first);
    // `opt_out_history` every add and remove with who, why, and the reply that did it,
    // kept as long as message history (`storage.retention`, by `at`).
    r#"
CREATE TABLE opt_outs (
    id      INTEGER PRIMARY KEY,
    number  TEXT NOT NULL UNIQUE,
    since   INTEGER NOT NULL,
    source  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    link    TEXT,
    text    TEXT,
    note    TEXT
);
CREATE TABLE opt_out_history (
    id        INTEGER PRIMARY KEY,
    number    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    action    TEXT NOT NULL,
    source    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    note      TEXT,
    link      TEXT,
    text      TEXT,
    inbox_id  INTEGER
);
CREATE INDEX opt_out_history_number ON opt_out_history (number, id);
CREATE INDEX opt_out_history_at ON opt_out_history (at);
"#,
    // Messaging policy on the send side (see `policy.rs`): a job's category, the text as
    // it goes out, a hold for review, why a due job still waits (quiet hours); recipients
    // the policy skipped, with the reason; marketing sends per number and China day, so
    // the frequency caps are one indexed read per job.
    r#"
ALTER TABLE jobs ADD COLUMN category TEXT NOT NULL DEFAULT 'notice';
ALTER TABLE jobs ADD COLUMN sent_text TEXT;
ALTER TABLE jobs ADD COLUMN hold TEXT;
ALTER TABLE jobs ADD COLUMN hold_reason TEXT;
ALTER TABLE jobs ADD COLUMN hold_send_at INTEGER;
ALTER TABLE jobs ADD COLUMN wait_reason TEXT;
CREATE INDEX jobs_held ON jobs(id) WHERE hold = 'held';
CREATE TABLE IF NOT EXISTS job_skips (
    job_id     INTEGER NOT NULL,
    number     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marketing_day_counts (
    number    TEXT NOT NULL,
    day       INTEGER NOT NULL,
    text_hash INTEGER NOT NULL,
    sends     INTEGER NOT NULL,
    PRIMARY KEY (number, day, text_hash)
) WITHOUT ROWID;
"#,
    // A poll's counted answer per number, for attributing a reply: whether the sender's
    // answer already counts (accept first) or stops counting (accept last) is one seek
    // here. Without it SQLite answers those from `poll_replies_option`, whose partial
    // WHERE matches theirs, walking every counted answer of the poll for each reply —
    // quadratic in a poll's replies (~5 ms a reply at 30 000). Unique: at most one
    // answer per number counts, which attribution keeps and the tally relies on.
    r#"
CREATE UNIQUE INDEX IF NOT EXISTS poll_replies_counted ON poll_replies(poll_id, number)
    WHERE superseded = 0 AND option_key IS NOT NULL;
-- The tally per group and option walks the counted answers with their numbers: with
-- `number` in the index that walk reads no table row.
DROP INDEX IF EXISTS poll_replies_option;
CREATE INDEX poll_replies_option ON poll_replies(poll_id, option_key, number)
    WHERE superseded = 0 AND option_key IS NOT NULL;
"#,
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// How hard SQLite works to make a commit durable (`PRAGMA synchronous`).
///
/// In WAL mode a commit appends the transaction to the `-wal` file:
/// * [`Normal`](Self::Normal) (the default) does not fsync that append. A committed
///   transaction is in the OS page cache, so it survives the *process* dying at any moment
///   (kill -9, panic, OOM kill) — which is the crash-safety promise for accepted jobs. A
///   power cut or kernel crash can lose the last transactions not yet checkpointed; the
///   file stays consistent.
/// * [`Full`](Self::Full) fsyncs the WAL on every commit: accepted jobs also survive power
///   loss, at the cost of one fsync per batch (the writer's batching keeps that to one per
///   group of concurrent callers, not one per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Synchronous {
    /// `synchronous = NORMAL`: survives process crashes; power loss can lose the last
    /// commits.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is on disk before it is acknowledged.
    Full,
}

/// Connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOptions {
    /// Commit durability.
    pub synchronous: Synchronous,
    /// How long a statement waits for a lock held by another connection.
    pub busy_timeout: Duration,
    /// SQLite page cache of each reading connection, in KiB.
    pub cache_kib: u32,
    /// SQLite page cache of the writer's connection, in KiB. Kept small on purpose: when
    /// a write transaction ends SQLite drops cached pages past the end of the file, and
    /// after a B-tree split (which parks a page at a temporary number far past the end)
    /// that means walking the cache's whole hash table — every commit, at a cost that
    /// grows with the cache. With 16 MiB that walk was a tenth of the writer's time. The
    /// writer's working set is the right-hand edges of the queue's tables and indexes
    /// and the recently sent segments, which a small cache holds; what falls out comes
    /// back from the operating system's cache.
    pub writer_cache_kib: u32,
    /// Most commands the writer runs in one transaction.
    pub max_batch: usize,
    /// Commands that may wait for the writer before callers are held back.
    pub queue_capacity: usize,
    /// Copy the write-ahead log back into the database from a separate thread (every
    /// 100 ms) instead of in the middle of a writer commit, so the writer never waits for
    /// the checkpoint's copying and fsync. Only [`StoreHandle`](super::StoreHandle) has
    /// that thread; a bare [`Store`](super::Store) checkpoints as SQLite does by default.
    pub background_checkpoint: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
            cache_kib: 16 * 1024,
            writer_cache_kib: 2 * 1024,
            max_batch: 4096,
            queue_capacity: 65_536,
            background_checkpoint: true,
        }
    }
}

/// Opens (creating if needed) the file for writing: WAL, settings, migrations.
pub(crate) fn open_writer(path: &Path, options: &StoreOptions) -> Result<Connection> {
    super::files::make_private(path)?;
    let conn = Connection::open(path)?;
    configure(&conn, options, options.writer_cache_kib)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal(mode));
    }
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    // The log and its index exist now (SQLite made them with the main file's bits).
    super::files::make_private(path)?;
    let sync = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    migrate(&conn, MIGRATIONS)?;
    Ok(conn)
}

/// Bytes the write-ahead log is cut back to each time it starts over after a complete
/// checkpoint (`PRAGMA journal_size_limit`). Without it the file keeps the largest size
/// it ever reached (67 MB seen after a crash run), though only its start is in use.
pub(crate) const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// WAL pages after which the writer checkpoints by itself. With the background
/// checkpointer running this is only a backstop (it keeps the log far smaller); without
/// it, SQLite's default.
pub(crate) const WRITER_AUTOCHECKPOINT_BACKSTOP: i64 = 16_384;

/// Opens the connection of the background checkpointer.
pub(crate) fn open_checkpointer(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(options.busy_timeout)?;
    check_version(&conn, MIGRATIONS)?;
    Ok(conn)
}

/// Opens an existing, already migrated file for reading only.
pub(crate) fn open_reader(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, options, options.cache_kib)?;
    check_version(&conn, MIGRATIONS)?;
    Ok(conn)
}

fn configure(conn: &Connection, options: &StoreOptions, cache_kib: u32) -> Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -i64::from(cache_kib))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

fn check_version(conn: &Connection, steps: &[&str]) -> Result<i64> {
    let found = user_version(conn)?;
    let supported = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    if found > supported || found < 0 {
        return Err(StoreError::NewerSchema { found, supported });
    }
    Ok(found)
}

/// Brings the file up to `steps.len()`; returns the version it had.
pub(crate) fn migrate(conn: &Connection, steps: &[&str]) -> Result<i64> {
    let found = check_version(conn, steps)?;
    let from = usize::try_from(found).unwrap_or(0);
    for (i, step) in steps.iter().enumerate().skip(from) {
        let to = i + 1;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = conn
            .execute_batch(step)
            .and_then(|()| conn.execute_batch(&format!("PRAGMA user_version = {to}")))
            .and_then(|()| conn.execute_batch("COMMIT"));
        if let Err(e) = applied {
            // The step failed: leave the file at the last whole version.
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        tracing::info!(version = to, "store schema migrated");
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    #[test]
    fn a_new_file_is_migrated_from_version_0_and_in_wal_mode() {
        let db = TempDb::new("migrate-new");
        let conn = Connection::open(db.path()).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 0);
        drop(conn);
        let conn = open_writer(db.path(), &StoreOptions::default()).unwrap();
        assert_eq!(user_version(&conn).unwrap(), current_version());
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
        for table in [
            "jobs",
            "recipients",
            "segments",
            "orphan_reports",
            "inbox",
            "extensions",
            "contacts",
            "groups",
            "group_members",
            "drafts",
        ] {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{table}");
        }
        // Opening again migrates nothing and keeps the version.
        drop(conn);
        let conn = open_writer(db.path(), &StoreOptions::default()).unwrap();
        assert_eq!(user_version(&conn).unwrap(), current_version());
    }

    #[test]
    fn a_version_1_file_keeps_its_rows_and_gains_the_later_tables() {
        let db = TempDb::new("migrate-v1");
        let conn = Connection::open(db.path()).unwrap();
        migrate(&conn, &MIGRATIONS[..1]).unwrap();
        conn.execute(
            "INSERT INTO inbox (sender, destination, text, coding, received_at, link)
             VALUES ('13800000001', '106900011', '同意', 8, 1, 'l')",
            [],
        )
        .unwrap();
        drop(conn);
        let conn = open_writer(db.path(), &StoreOptions::default()).unwrap();
        assert_eq!(user_version(&conn).unwrap(), current_version());
        let (text, route): (String, Option<String>) = conn
            .query_row("SELECT text, route FROM inbox", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(text, "同意");
        // An old reply is not routed to whatever item holds its extension today.
        assert_eq!(route.as_deref(), Some("before_routing"));
        let indexes: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name = 'extensions' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            indexes,
            ["extensions_item", "extensions_reusable", "extensions_slot"]
        );
    }

    #[test]
    fn full_synchronous_is_applied() {
        let db = TempDb::new("migrate-full");
        let options = StoreOptions {
            synchronous: Synchronous::Full,
            ..StoreOptions::default()
        };
        let conn = open_writer(db.path(), &options).unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
    }

    #[test]
    fn the_writer_and_the_readers_get_their_own_page_cache_sizes() {
        let db = TempDb::new("cache-sizes");
        let options = StoreOptions {
            cache_kib: 4096,
            writer_cache_kib: 512,
            ..StoreOptions::default()
        };
        let cache =
            |c: &Connection| -> i64 { c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap() };
        let writer = open_writer(db.path(), &options).unwrap();
        let reader = open_reader(db.path(), &options).unwrap();
        assert_eq!(cache(&writer), -512, "KiB, as SQLite takes a negative size");
        assert_eq!(cache(&reader), -4096);
    }

    #[test]
    fn a_version_7_file_gets_its_segment_counts_from_its_segments() {
        use crate::store::DeliveryState;
        let db = TempDb::new("migrate-v7");
        {
            let mut s = crate::store::Store::open(db.path(), &StoreOptions::default()).unwrap();
            s.check_counts = false;
            for n in ["13800000001", "13800000002", "13800000003"] {
                s.enqueue(&crate::store::testutil::one(n), 1).unwrap();
            }
            s.claim(&crate::store::testutil::claim_req("cmcc", 1), 1)
                .unwrap();
        }
        // Back to version 7, as a file written before the counts existed, and step 8
        // alone (the later steps are already in the file and are not run again).
        let conn = Connection::open(db.path()).unwrap();
        conn.execute_batch("DROP TABLE segment_counts; PRAGMA user_version = 7;")
            .unwrap();
        migrate(&conn, &MIGRATIONS[..8]).unwrap();
        let count = |state: DeliveryState| -> i64 {
            conn.query_row(
                "SELECT coalesce(sum(n), 0) FROM segment_counts WHERE state = ?1",
                [state.code()],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(
            (count(DeliveryState::Queued), count(DeliveryState::InFlight)),
            (2, 1)
        );
    }

    #[test]
    fn the_write_ahead_log_is_cut_back_after_a_checkpoint() {
        let db = TempDb::new("wal-limit");
        let s = crate::store::Store::open(db.path(), &StoreOptions::default()).unwrap();
        let c = s.conn();
        c.execute_batch("CREATE TABLE big (x BLOB)").unwrap();
        // One transaction far larger than the limit: the log grows to hold it.
        let mb = 1024 * 1024;
        let rows = WAL_SIZE_LIMIT / mb + 8;
        c.execute_batch("BEGIN").unwrap();
        for _ in 0..rows {
            c.execute("INSERT INTO big VALUES (randomblob(?1))", [mb])
                .unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
        let wal = std::path::PathBuf::from(format!("{}-wal", db.path().display()));
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > WAL_SIZE_LIMIT as u64, "{grown}");
        // Everything copied into the database; the next commit starts the log over.
        c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .unwrap();
        c.execute("DELETE FROM big WHERE rowid = 1", []).unwrap();
        let after = std::fs::metadata(&wal).unwrap().len();
        assert!(after <= WAL_SIZE_LIMIT as u64, "{grown} -> {after}");
        drop(s);
    }

    #[test]
    fn an_older_file_gets_only_the_missing_steps() {
        let db = TempDb::new("migrate-older");
        let conn = Connection::open(db.path()).unwrap();
        let steps = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"];
        assert_eq!(migrate(&conn, &steps[..1]).unwrap(), 0);
        conn.execute("INSERT INTO a VALUES (7)", []).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 1);
        // Step 1 again would fail (table a exists); only step 2 may run.
        assert_eq!(migrate(&conn, &steps).unwrap(), 1);
        assert_eq!(user_version(&conn).unwrap(), 2);
        let x: i64 = conn.query_row("SELECT x FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 7);
        conn.execute("INSERT INTO b VALUES (1)", []).unwrap();
    }

    #[test]
    fn a_failing_step_leaves_the_last_whole_version() {
        let db = TempDb::new("migrate-fail");
        let conn = Connection::open(db.path()).unwrap();
        let steps = [
            "CREATE TABLE a (x INTEGER)",
            "CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER)",
        ];
        assert!(matches!(migrate(&conn, &steps), Err(StoreError::Sqlite(_))));
        assert_eq!(user_version(&conn).unwrap(), 1);
        let c: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'c'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(c, 0, "the failed step's first statement was rolled back");
    }

    #[test]
    fn a_newer_file_is_refused_by_writer_and_reader() {
        let db = TempDb::new("migrate-newer");
        let conn = Connection::open(db.path()).unwrap();
        let newer = current_version() + 1;
        conn.execute_batch(&format!("PRAGMA user_version = {newer}"))
            .unwrap();
        drop(conn);
        let err = open_writer(db.path(), &StoreOptions::default()).unwrap_err();
        match &err {
            StoreError::NewerSchema { found, supported } => {
                assert_eq!(*found, newer);
                assert_eq!(*supported, current_version());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("newer than this build supports"));
        assert!(matches!(
            open_reader(db.path(), &StoreOptions::default()),
            Err(StoreError::NewerSchema { .. })
        ));
        // Untouched.
        let conn = Connection::open(db.path()).unwrap();
        assert_eq!(user_version(&conn).unwrap(), newer);
    }
}
