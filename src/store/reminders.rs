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
//!
//! This file holds the SQL and the [`StoreHandle`] methods that run it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::extensions::release_item;
use super::handle::StoreHandle;
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

/// The async forms, for the workflow engine and the API.
impl StoreHandle {
    /// [`Store::reminder_create`].
    pub async fn reminder_create(&self, new: NewReminder, now: Millis) -> Result<(i64, bool)> {
        self.call(move |s| s.reminder_create(&new, now)).await
    }

    /// [`Store::reminder_cancel`].
    pub async fn reminder_cancel(&self, id: i64, now: Millis) -> Result<ReminderCancel> {
        self.call(move |s| s.reminder_cancel(id, now)).await
    }

    /// [`Store::reminder_claim`].
    pub async fn reminder_claim(&self, id: i64, now: Millis) -> Result<bool> {
        self.call(move |s| s.reminder_claim(id, now)).await
    }

    /// [`Store::reminder_sent`].
    pub async fn reminder_sent(
        &self,
        id: i64,
        job_id: i64,
        extension: Option<String>,
        now: Millis,
    ) -> Result<()> {
        self.call(move |s| s.reminder_sent(id, job_id, extension.as_deref(), now))
            .await
    }

    /// [`Store::reminder_close`].
    pub async fn reminder_close(
        &self,
        id: i64,
        state: ReminderState,
        reason: Option<String>,
        now: Millis,
    ) -> Result<()> {
        self.call(move |s| s.reminder_close(id, state, reason.as_deref(), now))
            .await
    }

    /// [`Store::reminder_replied`].
    pub async fn reminder_replied(
        &self,
        id: i64,
        text: String,
        inbox_id: i64,
        now: Millis,
    ) -> Result<bool> {
        self.call(move |s| s.reminder_replied(id, &text, inbox_id, now))
            .await
    }

    /// Reminders to act on at `now`, on the read connection.
    pub async fn reminders_due(&self, now: Millis, limit: usize) -> Result<Vec<DueReminder>> {
        self.read(move |c| reminders_due(c, now, limit)).await
    }

    /// A reminder, on the read connection.
    pub async fn reminder_get(&self, id: i64) -> Result<Option<ReminderView>> {
        self.read(move |c| reminder_get(c, id)).await
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::ExtensionRequest;
    use crate::store::testutil::{TempDb, inbound};

    const NOW: Millis = 1_000_000;
    const HOUR: Millis = 3_600_000;

    fn new(repeat_every: Option<Millis>, max_sends: u32) -> NewReminder {
        NewReminder {
            recipient: "13900139000".into(),
            text: "下午三点开会".into(),
            signature: None,
            send_at: NOW + HOUR,
            repeat_every,
            max_sends,
            idempotency_key: None,
        }
    }

    fn state(s: &Store, id: i64) -> ReminderState {
        reminder_get(s.conn(), id).unwrap().unwrap().state
    }

    fn inbox(s: &mut Store) -> i64 {
        s.inbox_insert(&inbound("13900139000", "1065000001", "收到", NOW))
            .unwrap()
    }

    #[test]
    fn a_reminder_is_stored_once_per_key_and_checked() {
        let db = TempDb::new("rem-create");
        let mut s = db.open();
        let mut r = new(None, 1);
        r.idempotency_key = Some("k:13900139000".into());
        let (id, created) = s.reminder_create(&r, NOW).unwrap();
        assert!(created);
        assert_eq!(s.reminder_create(&r, NOW).unwrap(), (id, false));
        let view = reminder_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (
                view.state,
                view.send_at,
                view.next_at,
                view.sends,
                view.max_sends
            ),
            (ReminderState::Scheduled, NOW + HOUR, NOW + HOUR, 0, 1)
        );
        assert!(matches!(
            s.reminder_create(&new(None, 2), NOW),
            Err(StoreError::InvalidJob(_))
        ));
        assert!(matches!(
            s.reminder_create(&new(Some(HOUR), 0), NOW),
            Err(StoreError::InvalidJob(_))
        ));
        assert_eq!(reminder_get(s.conn(), id + 99).unwrap(), None);
    }

    #[test]
    fn a_one_off_is_due_at_its_time_claimed_once_and_closed_when_sent() {
        let db = TempDb::new("rem-oneoff");
        let mut s = db.open();
        let (id, _) = s.reminder_create(&new(None, 1), NOW).unwrap();
        assert_eq!(next_due(s.conn()).unwrap(), Some(NOW + HOUR));
        assert!(reminders_due(s.conn(), NOW, 10).unwrap().is_empty());
        assert!(!s.reminder_claim(id, NOW).unwrap(), "not due yet");
        let due = reminders_due(s.conn(), NOW + HOUR, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert!(!due[0].finished && !due[0].expects_reply);
        assert!(s.reminder_claim(id, NOW + HOUR).unwrap());
        assert_eq!(state(&s, id), ReminderState::Sending);
        // A claim left by a crash is due again, and can be taken again.
        assert_eq!(reminders_due(s.conn(), NOW, 10).unwrap().len(), 1);
        assert!(s.reminder_claim(id, NOW).unwrap());
        s.reminder_sent(id, 5, None, NOW + HOUR).unwrap();
        let view = reminder_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (view.state, view.sends, view.last_job),
            (ReminderState::Sent, 1, Some(5))
        );
        assert_eq!(next_due(s.conn()).unwrap(), None);
        assert!(matches!(
            s.reminder_sent(id + 99, 5, None, NOW),
            Err(StoreError::NotFound {
                what: "reminder",
                ..
            })
        ));
    }

    #[test]
    fn a_cancel_wins_before_the_claim_and_is_too_late_after() {
        let db = TempDb::new("rem-cancel");
        let mut s = db.open();
        let (early, _) = s.reminder_create(&new(None, 1), NOW).unwrap();
        assert_eq!(
            s.reminder_cancel(early, NOW).unwrap(),
            ReminderCancel::Cancelled
        );
        assert!(
            !s.reminder_claim(early, NOW + HOUR).unwrap(),
            "a cancelled one is not sent"
        );
        assert!(reminders_due(s.conn(), NOW + HOUR, 10).unwrap().is_empty());
        let (late, _) = s.reminder_create(&new(None, 1), NOW).unwrap();
        assert!(s.reminder_claim(late, NOW + HOUR).unwrap());
        assert_eq!(
            s.reminder_cancel(late, NOW + HOUR).unwrap(),
            ReminderCancel::TooLate {
                state: ReminderState::Sending
            }
        );
        assert!(matches!(
            s.reminder_cancel(999, NOW),
            Err(StoreError::NotFound {
                what: "reminder",
                id: 999
            })
        ));
    }

    #[test]
    fn repeats_wait_an_interval_after_each_send_and_close_as_sent_without_a_reply() {
        let db = TempDb::new("rem-repeat");
        let mut s = db.open();
        let (id, _) = s.reminder_create(&new(Some(HOUR), 2), NOW).unwrap();
        for (n, at) in [(1, NOW + HOUR), (2, NOW + 2 * HOUR)] {
            let due = reminders_due(s.conn(), at, 10).unwrap();
            assert!(due[0].expects_reply && !due[0].finished);
            assert!(s.reminder_claim(id, at).unwrap());
            s.reminder_sent(id, n, Some("456"), at).unwrap();
            let view = reminder_get(s.conn(), id).unwrap().unwrap();
            assert_eq!(
                (
                    view.state,
                    view.sends,
                    view.next_at,
                    view.extension.as_deref()
                ),
                (
                    ReminderState::Scheduled,
                    u32::try_from(n).unwrap(),
                    at + HOUR,
                    Some("456")
                )
            );
        }
        let due = reminders_due(s.conn(), NOW + 3 * HOUR, 10).unwrap();
        assert!(due[0].finished, "every send has gone: only closing remains");
        s.reminder_close(id, ReminderState::Sent, None, NOW + 3 * HOUR)
            .unwrap();
        assert_eq!(state(&s, id), ReminderState::Sent);
        assert!(
            reminders_due(s.conn(), NOW + 9 * HOUR, 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_reply_stops_the_repeats_releases_the_extension_and_routes_the_message() {
        let db = TempDb::new("rem-reply");
        let mut s = db.open();
        let (id, _) = s.reminder_create(&new(Some(HOUR), 3), NOW).unwrap();
        let ext = s
            .allocate_extension(
                &ExtensionRequest {
                    carrier: "mobile".into(),
                    length: 3,
                    item_kind: ItemKind::Reminder,
                    item_id: id,
                    recipient: "13900139000".into(),
                },
                NOW,
                Duration::from_secs(3600),
            )
            .unwrap();
        assert!(s.reminder_claim(id, NOW + HOUR).unwrap());
        s.reminder_sent(id, 1, Some(&ext), NOW + HOUR).unwrap();
        let m = inbox(&mut s);
        assert!(s.reminder_replied(id, "收到", m, NOW + HOUR + 5).unwrap());
        let view = reminder_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (view.state, view.reply.as_deref()),
            (ReminderState::Replied, Some("收到"))
        );
        assert!(
            reminders_due(s.conn(), NOW + 9 * HOUR, 10)
                .unwrap()
                .is_empty()
        );
        assert!(
            s.lookup_extension("mobile", &ext, NOW + HOUR + 6)
                .unwrap()
                .is_none(),
            "released"
        );
        let routed = s.inbox_list(false, 10).unwrap();
        assert_eq!(routed[0].route.as_deref(), Some("reminder"));
        // A second reply only records its route.
        let again = inbox(&mut s);
        assert!(
            !s.reminder_replied(id, "再次收到", again, NOW + HOUR + 9)
                .unwrap()
        );
        assert_eq!(
            reminder_get(s.conn(), id)
                .unwrap()
                .unwrap()
                .reply
                .as_deref(),
            Some("收到")
        );
    }

    #[test]
    fn a_failed_reminder_keeps_its_reason_and_everything_survives_a_reopen() {
        let db = TempDb::new("rem-fail");
        let id = {
            let mut s = db.open();
            let (id, _) = s.reminder_create(&new(Some(HOUR), 2), NOW).unwrap();
            assert!(s.reminder_claim(id, NOW + HOUR).unwrap());
            s.reminder_close(
                id,
                ReminderState::Failed,
                Some("no link for 中国电信"),
                NOW + HOUR,
            )
            .unwrap();
            id
        };
        let s = db.open();
        let view = reminder_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (view.state, view.reply.as_deref()),
            (ReminderState::Failed, Some("no link for 中国电信"))
        );
        s.conn()
            .execute("UPDATE reminders SET state = 8 WHERE id = ?1", [id])
            .unwrap();
        assert!(matches!(
            reminder_get(s.conn(), id),
            Err(StoreError::Corrupt {
                column: "reminders.state",
                value: 8
            })
        ));
    }

    #[tokio::test]
    async fn the_handle_runs_the_same_operations() {
        let db = TempDb::new("rem-handle");
        let h = db.handle();
        let (id, _) = h.reminder_create(new(None, 1), NOW).await.unwrap();
        assert_eq!(h.reminders_due(NOW + HOUR, 10).await.unwrap().len(), 1);
        assert!(h.reminder_claim(id, NOW + HOUR).await.unwrap());
        h.reminder_sent(id, 3, None, NOW + HOUR).await.unwrap();
        assert_eq!(
            h.reminder_get(id).await.unwrap().unwrap().state,
            ReminderState::Sent
        );
        assert_eq!(
            h.reminder_cancel(id, NOW).await.unwrap(),
            ReminderCancel::TooLate {
                state: ReminderState::Sent
            }
        );
        let (other, _) = h.reminder_create(new(None, 1), NOW).await.unwrap();
        h.reminder_close(other, ReminderState::Failed, Some("x".into()), NOW)
            .await
            .unwrap();
        assert_eq!(h.workflow_next_due(None).await.unwrap(), None);
        h.close().await.unwrap();
    }
}
