//! Reminders: a message to one recipient at a time, cancellable until it goes, optionally
//! repeated until the recipient replies.
//!
//! A reminder row is its own small outbox. `state` moves
//! `scheduled → sending → scheduled (next repeat) … → sent | replied | cancelled | failed`.
//! The workflow engine [claims](Store::reminder_claim) a due reminder (`sending`) before
//! it hands the SMS to the queue, so a cancel that commits first wins and one that comes
//! after is told it came too late — never both "cancelled" and sent. A claim left by a
//! crash is picked up again after the restart and sent with the same idempotency key, so
//! it goes once.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::extensions::release_item;
use super::inbox::{InboxRoute, inbox_set_route};
use super::model::{ItemKind, Millis};

/// Where a reminder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderState {
    /// Waiting for its (next) time.
    Scheduled,
    /// Being handed to the queue now.
    Sending,
    /// Sent (every repeat, if any), no reply.
    Sent,
    /// Cancelled before it went.
    Cancelled,
    /// The recipient replied; no more repeats.
    Replied,
    /// Could not be sent (the reason is logged and in `reply`).
    Failed,
}

impl ReminderState {
    /// The code stored in `reminders.state`.
    pub const fn code(self) -> i64 {
        match self {
            Self::Scheduled => 0,
            Self::Sending => 1,
            Self::Sent => 2,
            Self::Cancelled => 3,
            Self::Replied => 4,
            Self::Failed => 5,
        }
    }

    fn from_code(code: i64) -> Result<Self> {
        Ok(match code {
            0 => Self::Scheduled,
            1 => Self::Sending,
            2 => Self::Sent,
            3 => Self::Cancelled,
            4 => Self::Replied,
            5 => Self::Failed,
            value => {
                return Err(StoreError::Corrupt {
                    column: "reminders.state",
                    value,
                });
            }
        })
    }
}

/// A new reminder for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReminder {
    /// Normalised 11-digit number.
    pub recipient: String,
    /// The text (already rendered from its template).
    pub text: String,
    /// A signature instead of the link's.
    pub signature: Option<String>,
    /// When it goes.
    pub send_at: Millis,
    /// Repeat this often until the recipient replies (`None`: once, no reply expected).
    pub repeat_every: Option<Millis>,
    /// Most sends, counting the first (1 without repeat).
    pub max_sends: u32,
    /// A second request with the same key returns the first reminder.
    pub idempotency_key: Option<String>,
}

/// A reminder as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderView {
    /// Row id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
    /// Where it stands.
    pub state: ReminderState,
    /// First send time.
    pub send_at: Millis,
    /// Next send (or, after the last one, when it stops waiting for a reply).
    pub next_at: Millis,
    /// Sends so far.
    pub sends: u32,
    /// Most sends.
    pub max_sends: u32,
    /// Repeat interval.
    pub repeat_every: Option<Millis>,
    /// Its extension, when it expects a reply.
    pub extension: Option<String>,
    /// The last SMS job.
    pub last_job: Option<i64>,
    /// The reply (or, for a failed one, the reason).
    pub reply: Option<String>,
}

/// A reminder the engine has to act on now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    /// Row id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
    /// Signature.
    pub signature: Option<String>,
    /// Sends so far.
    pub sends: u32,
    /// True when every send has gone and only the wait for a reply remains: close it.
    pub finished: bool,
    /// True when it expects a reply (so needs an extension).
    pub expects_reply: bool,
}

/// What [`Store::reminder_cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ReminderCancel {
    /// It will not be sent (again).
    Cancelled,
    /// Too late: it is being sent, or already closed.
    TooLate {
        /// Its state.
        state: ReminderState,
    },
}

impl Store {
    /// Stores a reminder; returns its id and whether it was created (`false`: the key
    /// named an earlier one).
    pub fn reminder_create(&mut self, new: &NewReminder, now: Millis) -> Result<(i64, bool)> {
        if new.max_sends == 0 || (new.max_sends > 1 && new.repeat_every.is_none()) {
            return Err(StoreError::InvalidJob(
                "max_sends above 1 needs repeat_every",
            ));
        }
        self.write(|c, _| {
            if let Some(key) = &new.idempotency_key {
                let found: Option<i64> = c
                    .prepare_cached("SELECT id FROM reminders WHERE idem_key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?;
                if let Some(id) = found {
                    return Ok((id, false));
                }
            }
            c.prepare_cached(
                "INSERT INTO reminders (recipient, text, signature, state, send_at, next_at,
                     repeat_every, max_sends, created_at, idem_key)
                 VALUES (?1, ?2, ?3, 0, ?4, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                new.recipient,
                new.text,
                new.signature,
                new.send_at,
                new.repeat_every,
                new.max_sends,
                now,
                new.idempotency_key
            ])?;
            Ok((c.last_insert_rowid(), true))
        })
    }

    /// Cancels a scheduled reminder (also between repeats).
    pub fn reminder_cancel(&mut self, id: i64, now: Millis) -> Result<ReminderCancel> {
        self.write(|c, _| {
            let state = reminder_state(c, id)?;
            if state != ReminderState::Scheduled {
                return Ok(ReminderCancel::TooLate { state });
            }
            set_closed(c, id, ReminderState::Cancelled, None, now)?;
            Ok(ReminderCancel::Cancelled)
        })
    }

    /// Takes a due reminder for sending: `true` if it was scheduled and due (it is now
    /// `sending`), or already `sending` (a claim the previous run left); `false`
    /// otherwise (cancelled in the meantime, say).
    pub fn reminder_claim(&mut self, id: i64, now: Millis) -> Result<bool> {
        self.write(|c, _| {
            let n = c
                .prepare_cached(
                    "UPDATE reminders SET state = 1
                     WHERE id = ?1 AND ((state = 0 AND next_at <= ?2) OR state = 1)",
                )?
                .execute(params![id, now])?;
            Ok(n == 1)
        })
    }

    /// Records a send handed to the queue: schedules the next repeat (or the end of the
    /// wait for a reply), or closes a one-off reminder as sent.
    pub fn reminder_sent(
        &mut self,
        id: i64,
        job_id: i64,
        extension: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        self.write(|c, _| {
            let (repeat, _, _): (Option<i64>, u32, u32) = c
                .prepare_cached(
                    "SELECT repeat_every, sends, max_sends FROM reminders WHERE id = ?1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?
                .ok_or(StoreError::NotFound {
                    what: "reminder",
                    id,
                })?;
            match repeat {
                // Expects a reply: wait one interval after every send (the last included).
                Some(every) => c
                    .prepare_cached(
                        "UPDATE reminders SET state = 0, sends = sends + 1, last_job = ?2,
                             extension = COALESCE(?3, extension), next_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, job_id, extension, now.saturating_add(every)])?,
                None => c
                    .prepare_cached(
                        "UPDATE reminders SET state = 2, sends = sends + 1, last_job = ?2,
                             closed_at = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, job_id, now])?,
            };
            Ok(())
        })
    }

    /// Closes a reminder: every send gone and no reply came (`Sent`), or it could not be
    /// sent (`Failed`, with the reason). Its extension is released.
    pub fn reminder_close(
        &mut self,
        id: i64,
        state: ReminderState,
        reason: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        self.write(|c, _| set_closed(c, id, state, reason, now))
    }

    /// Records the recipient's reply: no more repeats, extension released, the inbox
    /// message's route recorded in the same commit. A reply to a closed reminder only
    /// records the route. Returns whether the reminder was still open.
    pub fn reminder_replied(
        &mut self,
        id: i64,
        text: &str,
        inbox_id: i64,
        now: Millis,
    ) -> Result<bool> {
        self.write(|c, _| {
            let state = reminder_state(c, id)?;
            let open = matches!(state, ReminderState::Scheduled | ReminderState::Sending);
            if open {
                set_closed(c, id, ReminderState::Replied, Some(text), now)?;
            }
            inbox_set_route(c, inbox_id, &InboxRoute::Reminder(id))?;
            Ok(open)
        })
    }
}

fn reminder_state(c: &Connection, id: i64) -> Result<ReminderState> {
    let code: i64 = c
        .prepare_cached("SELECT state FROM reminders WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound {
            what: "reminder",
            id,
        })?;
    ReminderState::from_code(code)
}

fn set_closed(
    c: &Connection,
    id: i64,
    state: ReminderState,
    reply: Option<&str>,
    now: Millis,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE reminders SET state = ?2, reply = COALESCE(?3, reply), closed_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, state.code(), reply, now])?;
    release_item(c, ItemKind::Reminder, id, now)?;
    Ok(())
}

/// Reminders to act on at `now`: due scheduled ones and claims left by a previous run.
pub(crate) fn reminders_due(c: &Connection, now: Millis, limit: usize) -> Result<Vec<DueReminder>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, recipient, text, signature, sends, sends >= max_sends, repeat_every IS NOT NULL
         FROM reminders WHERE (state = 0 AND next_at <= ?1) OR state = 1
         ORDER BY next_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok(DueReminder {
                id: r.get(0)?,
                recipient: r.get(1)?,
                text: r.get(2)?,
                signature: r.get(3)?,
                sends: r.get(4)?,
                finished: r.get(5)?,
                expects_reply: r.get(6)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next scheduled reminder is due.
pub(crate) fn next_due(c: &Connection) -> Result<Option<Millis>> {
    Ok(
        c.prepare_cached("SELECT min(next_at) FROM reminders WHERE state IN (0, 1)")?
            .query_row([], |r| r.get(0))?,
    )
}

/// A reminder as stored.
pub(crate) fn reminder_get(c: &Connection, id: i64) -> Result<Option<ReminderView>> {
    let row = c
        .prepare_cached(
            "SELECT id, recipient, text, state, send_at, next_at, sends, max_sends, repeat_every,
                 extension, last_job, reply FROM reminders WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, u32>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<i64>>(10)?,
                r.get::<_, Option<String>>(11)?,
            ))
        })
        .optional()?;
    row.map(
        |(
            id,
            recipient,
            text,
            state,
            send_at,
            next_at,
            sends,
            max_sends,
            repeat_every,
            extension,
            last_job,
            reply,
        )| {
            Ok(ReminderView {
                id,
                recipient,
                text,
                state: ReminderState::from_code(state)?,
                send_at,
                next_at,
                sends,
                max_sends,
                repeat_every,
                extension,
                last_job,
                reply,
            })
        },
    )
    .transpose()
}
