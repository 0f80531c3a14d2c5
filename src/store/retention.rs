//! Retention: deleting what is old and finished, so a store that runs for months stays the
//! size of its retention window instead of growing with all history.
//!
//! What goes, once it is older than the cutoff (`storage.retention` before now):
//!
//! * a **job** with its recipients and segments, when every segment is final (delivered,
//!   failed, expired, unconfirmed, cancelled, unreported) and none changed after the
//!   cutoff, and no open approval step or active reminder names it as its last job. A job
//!   still waiting for anything — scheduled, queued, in flight, submitted with its report
//!   still expected — stays, however old;
//! * an **inbox** message the reply router has looked at (`route` set);
//! * an **orphan report** that never found its segment;
//! * a record of the **opt-out history** (a number added to or removed from the list);
//!   the list itself stays, each entry with its reply and note.
//!
//! The newest job and the newest inbox message always stay: ids continue from the highest
//! row, and an id a client was given must never come back naming something else.
//!
//! Contacts, groups, drafts, approvals, reminders and extensions are not touched (they are
//! the users' own data, or small).
//!
//! A job's recipients and segments are whole id ranges (see [`schema::MIGRATIONS`]), so it
//! is deleted by three range deletes. The foreign keys `recipients.job_id` and
//! `segments.recipient_id` have no child index (the hot path would pay for one on every
//! message), and SQLite checks a parent row's deletion by scanning the child table; so the
//! purge runs alone — never inside the writer's batch — with `foreign_keys` off for its
//! own transaction, and deletes only complete ranges, which leaves no child behind by
//! construction (a test checks `PRAGMA foreign_key_check`).
//!
//! One call does a bounded amount of work (`budget`: segments deleted or examined), so the
//! writer is never held for long; [`PurgeOutcome::resume_after`] says where the next call
//! goes on.
//!
//! [`schema::MIGRATIONS`]: super::schema::MIGRATIONS

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::claim::Ranges;
use super::db::{Cache, Store};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::{JobId, Millis};
use super::state::DeliveryState;

/// What one [`Store::purge`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeOutcome {
    /// Jobs deleted, with their recipients and segments.
    pub jobs: u64,
    /// Recipients deleted.
    pub recipients: u64,
    /// Segments deleted.
    pub segments: u64,
    /// Jobs older than the cutoff that were kept: not finished, or still named by an open
    /// approval or reminder.
    pub kept: u64,
    /// Inbox messages deleted.
    pub inbox: u64,
    /// Orphan reports deleted.
    pub orphan_reports: u64,
    /// Opt-out history records deleted.
    pub opt_out_history: u64,
    /// Polls deleted (their jobs all gone), with their replies and extensions.
    pub polls: u64,
    /// `Some(id)`: the budget ran out; call again with `after_job = id` to go on. `None`:
    /// everything older than the cutoff has been looked at.
    pub resume_after: Option<JobId>,
}

impl PurgeOutcome {
    /// Adds another call's counts to these (`resume_after` becomes the other's).
    pub fn add(&mut self, other: &PurgeOutcome) {
        self.jobs += other.jobs;
        self.recipients += other.recipients;
        self.segments += other.segments;
        self.kept += other.kept;
        self.inbox += other.inbox;
        self.orphan_reports += other.orphan_reports;
        self.opt_out_history += other.opt_out_history;
        self.polls += other.polls;
        self.resume_after = other.resume_after;
    }

    /// True when nothing was deleted.
    pub fn is_empty(&self) -> bool {
        self.jobs == 0
            && self.inbox == 0
            && self.orphan_reports == 0
            && self.opt_out_history == 0
            && self.polls == 0
    }
}

impl Store {
    /// Deletes finished jobs created before `cutoff` whose segments all last changed
    /// before it (with their recipients and segments), and inbox messages and orphan
    /// reports received before it; see the [module docs](self). Jobs are taken in id order
    /// from the first one after `after_job` (0: from the start), until about `budget`
    /// segments have been deleted or examined (at least one job).
    ///
    /// Runs in a transaction of its own, with foreign-key enforcement off for it; called
    /// inside an open transaction it refuses ([`StoreError::Internal`]).
    pub fn purge(
        &mut self,
        cutoff: Millis,
        after_job: JobId,
        budget: usize,
    ) -> Result<PurgeOutcome> {
        if !self.conn().is_autocommit() {
            return Err(StoreError::Internal(
                "purge must run outside a transaction (foreign_keys cannot change inside one)",
            ));
        }
        self.conn().pragma_update(None, "foreign_keys", "OFF")?;
        let outcome = self.write(|c, cache| purge(c, cache, cutoff, after_job, budget.max(1)));
        // Back on whatever happened; a failure here would leave the connection unguarded,
        // so it is the error that counts.
        self.conn().pragma_update(None, "foreign_keys", "ON")?;
        outcome
    }
}

impl StoreHandle {
    /// [`Store::purge`]: runs alone, after the batch before it has committed.
    pub async fn purge(
        &self,
        cutoff: Millis,
        after_job: JobId,
        budget: usize,
    ) -> Result<PurgeOutcome> {
        self.call_alone(move |s| s.purge(cutoff, after_job, budget))
            .await
    }
}

/// A job looked at by the purge.
struct OldJob {
    id: JobId,
    first_recipient: i64,
    recipients: i64,
    first_segment: i64,
    segments: i64,
}

/// Jobs in id order after `?1`, with their ranges; the caller stops at the first one
/// created at or after the cutoff (ids grow with creation time), so the scan never walks
/// the jobs still inside the retention window.
pub(crate) const JOBS_FROM: &str =
    "SELECT id, created_at, first_recipient, recipients, first_segment, segments
             FROM jobs WHERE id > ?1 ORDER BY id";

/// Segments of a range that keep their job: not final yet, or changed at or after the
/// cutoff.
const UNFINISHED_IN: &str = "SELECT 1 FROM segments
             WHERE id BETWEEN ?1 AND ?2 AND (state < ?3 OR updated_at >= ?4) LIMIT 1";

fn purge(
    c: &Connection,
    cache: &mut Cache,
    cutoff: Millis,
    after_job: JobId,
    budget: usize,
) -> Result<PurgeOutcome> {
    let named = jobs_still_named(c)?;
    // The newest job is never deleted: ids come from the highest row (jobs have no
    // AUTOINCREMENT; recipients and segments ids continue from their maximum), and an id
    // once handed to a client must never name another job. The newest job holds the
    // highest recipient and segment ids too, so keeping it keeps all three counting up.
    let newest: Option<JobId> = c
        .prepare_cached("SELECT max(id) FROM jobs")?
        .query_row([], |r| r.get(0))?;
    let mut out = PurgeOutcome::default();
    let mut doomed = Vec::new();
    let mut spent = 0usize;
    let mut last = after_job;
    let mut stopped_early = false;
    {
        let mut jobs = c.prepare_cached(JOBS_FROM)?;
        let mut unfinished = c.prepare_cached(UNFINISHED_IN)?;
        let mut rows = jobs.query([after_job])?;
        while let Some(r) = rows.next()? {
            if spent >= budget {
                stopped_early = true;
                break;
            }
            let created_at: Millis = r.get(1)?;
            let id: JobId = r.get(0)?;
            if created_at >= cutoff || Some(id) == newest {
                break;
            }
            let job = OldJob {
                id,
                first_recipient: r.get(2)?,
                recipients: r.get(3)?,
                first_segment: r.get(4)?,
                segments: r.get(5)?,
            };
            last = job.id;
            spent = spent.saturating_add(usize::try_from(job.segments).unwrap_or(0).max(1));
            let keep = named.contains(&job.id)
                || (job.segments > 0
                    && unfinished.exists(params![
                        job.first_segment,
                        job.first_segment + job.segments - 1,
                        FIRST_FINAL,
                        cutoff
                    ])?);
            if keep {
                out.kept += 1;
            } else {
                doomed.push(job);
            }
        }
    }
    delete_jobs(c, cache, &doomed, &mut out)?;
    let rest = budget.saturating_sub(spent).max(1);
    let (inbox, inbox_more) = purge_by_time(c, Table::Inbox, cutoff, rest)?;
    let (orphans, orphans_more) = purge_by_time(c, Table::OrphanReports, cutoff, rest)?;
    // The console's audit log is kept as long as the messages it speaks of.
    let audit = super::audit::purge_before(c, cutoff, rest)?;
    let audit_more = audit >= rest;
    let history = super::opt_outs::purge_opt_out_history(c, cutoff, rest)?;
    let history_more = usize::try_from(history).unwrap_or(usize::MAX) >= rest;
    // After the jobs: a poll goes in the call that deletes the last of its jobs.
    let polls = super::poll_retention::purge_orphaned_polls(c, cutoff, rest)?;
    let polls_more = usize::try_from(polls).unwrap_or(usize::MAX) >= rest;
    out.inbox = inbox;
    out.orphan_reports = orphans;
    out.opt_out_history = history;
    out.polls = polls;
    out.resume_after =
        (stopped_early || inbox_more || orphans_more || audit_more || history_more || polls_more)
            .then_some(last);
    Ok(out)
}

/// The lowest final state code: every state from here up is final (`state.rs` keeps the
/// codes in that order; a test checks it).
const FIRST_FINAL: i64 = DeliveryState::Delivered as i64;

/// Jobs that an open approval step or an active reminder names as its last job: the
/// workflow may still look at them. (Both sets are small: only open items.)
fn jobs_still_named(c: &Connection) -> Result<HashSet<JobId>> {
    let mut named = HashSet::new();
    let mut steps = c.prepare_cached(
        "SELECT s.last_job FROM approvals a JOIN approval_steps s ON s.approval_id = a.id
         WHERE a.state = 0 AND s.last_job IS NOT NULL",
    )?;
    for id in steps.query_map([], |r| r.get::<_, JobId>(0))? {
        named.insert(id?);
    }
    let mut reminders = c.prepare_cached(
        "SELECT last_job FROM reminders WHERE state = 0 AND last_job IS NOT NULL",
    )?;
    for id in reminders.query_map([], |r| r.get::<_, JobId>(0))? {
        named.insert(id?);
    }
    Ok(named)
}

fn delete_jobs(
    c: &Connection,
    cache: &mut Cache,
    doomed: &[OldJob],
    out: &mut PurgeOutcome,
) -> Result<()> {
    let (mut jobs, mut recipients, mut segments) =
        (Ranges::default(), Ranges::default(), Ranges::default());
    for job in doomed {
        jobs.push(job.id, job.id);
        if job.recipients > 0 {
            recipients.push(
                job.first_recipient,
                job.first_recipient + job.recipients - 1,
            );
        }
        if job.segments > 0 {
            segments.push(job.first_segment, job.first_segment + job.segments - 1);
        }
    }
    // Children first, so that no moment of the transaction has a dangling reference.
    let mut states = c.prepare_cached(
        "SELECT state, count(*) FROM segments WHERE id BETWEEN ?1 AND ?2 GROUP BY state",
    )?;
    let mut del = c.prepare_cached("DELETE FROM segments WHERE id BETWEEN ?1 AND ?2")?;
    for (first, last) in segments.0 {
        let mut rows = states.query([first, last])?;
        while let Some(r) = rows.next()? {
            let state = DeliveryState::from_code(r.get(0)?, "segments.state")?;
            cache
                .counts
                .removed(state, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0));
        }
        drop(rows);
        out.segments += count(del.execute([first, last])?);
    }
    let mut del = c.prepare_cached("DELETE FROM recipients WHERE id BETWEEN ?1 AND ?2")?;
    for (first, last) in recipients.0 {
        out.recipients += count(del.execute([first, last])?);
    }
    // The policy's skips go with their job (keyed by job id, so a range delete).
    let mut skips = c.prepare_cached("DELETE FROM job_skips WHERE job_id BETWEEN ?1 AND ?2")?;
    // So do the group memberships a poll's job was asked as (keyed by job id too).
    let mut members =
        c.prepare_cached("DELETE FROM job_group_members WHERE job_id BETWEEN ?1 AND ?2")?;
    for (first, last) in &jobs.0 {
        skips.execute([first, last])?;
        members.execute([first, last])?;
    }
    let mut del = c.prepare_cached("DELETE FROM jobs WHERE id BETWEEN ?1 AND ?2")?;
    for (first, last) in jobs.0 {
        out.jobs += count(del.execute([first, last])?);
    }
    Ok(())
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The tables purged by receive time.
#[derive(Clone, Copy)]
enum Table {
    Inbox,
    OrphanReports,
}

impl Table {
    /// The first row (lowest id) received at or after the cutoff: every row before it is
    /// old. Found by walking from the lowest id, which after earlier purges is old rows
    /// kept for a reason (unrouted inbox) or the boundary itself.
    fn boundary(self) -> &'static str {
        match self {
            Self::Inbox => "SELECT id FROM inbox WHERE received_at >= ?1 ORDER BY id LIMIT 1",
            Self::OrphanReports => {
                "SELECT id FROM orphan_reports WHERE received_at >= ?1 ORDER BY id LIMIT 1"
            }
        }
    }

    /// The highest id of the first `?2` purgeable rows below `?1`. The newest inbox
    /// message stays, so inbox ids (which the API hands out) are never reused.
    fn upto(self) -> &'static str {
        match self {
            Self::Inbox => {
                "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM inbox
                 WHERE id < ?1 AND id < (SELECT max(id) FROM inbox) AND route IS NOT NULL
                 ORDER BY id LIMIT ?2)"
            }
            Self::OrphanReports => {
                "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM orphan_reports
                 WHERE id < ?1 ORDER BY id LIMIT ?2)"
            }
        }
    }

    fn delete(self) -> &'static str {
        match self {
            Self::Inbox => "DELETE FROM inbox WHERE id <= ?1 AND route IS NOT NULL",
            Self::OrphanReports => "DELETE FROM orphan_reports WHERE id <= ?1",
        }
    }
}

/// Deletes up to `limit` purgeable rows of `table` received before `cutoff`; returns how
/// many, and whether more are left.
fn purge_by_time(
    c: &Connection,
    table: Table,
    cutoff: Millis,
    limit: usize,
) -> Result<(u64, bool)> {
    let boundary: i64 = c
        .prepare_cached(table.boundary())?
        .query_row([cutoff], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (upto, found): (Option<i64>, i64) = c
        .prepare_cached(table.upto())?
        .query_row(params![boundary, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let Some(upto) = upto else {
        return Ok((0, false));
    };
    let deleted = c.prepare_cached(table.delete())?.execute([upto])?;
    Ok((count(deleted), found >= limit))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, inbound, job, one, report};
    use crate::store::{InboxRoute, NewReminder, Priority, ReportStatus};

    const DAY: Millis = 86_400_000;

    /// One-part job to `number`, claimed, submitted and delivered at time `at`.
    fn delivered(s: &mut Store, number: &str, at: Millis) -> JobId {
        let id = s.enqueue(&one(number), at).unwrap().job_id;
        let claimed = s.claim(&claim_req("cmcc", 10), at).unwrap();
        for m in &claimed {
            for seg in &m.segments {
                let msg = format!("m{}", seg.segment_id);
                s.mark_submitted(seg.segment_id, &msg, at).unwrap();
                s.record_report(&report(&msg, ReportStatus::Delivered), at)
                    .unwrap();
            }
        }
        id
    }

    fn rows(s: &Store, table: &str) -> i64 {
        s.conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn no_dangling_references(s: &Store) {
        let broken: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(broken, 0);
        let on: i64 = s
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(on, 1, "foreign keys are enforced again after a purge");
    }

    /// A one-recipient poll job to `number` created at `at`, delivered then; its poll id.
    fn delivered_poll(s: &mut Store, number: &str, at: Millis) -> (JobId, i64) {
        use crate::store::{Accept, NewPoll, PollOption, PollTarget, ReplyMode, ReplySpec};
        let target = PollTarget::New(NewPoll {
            spec: ReplySpec {
                mode: ReplyMode::Poll,
                options: vec![PollOption {
                    key: "1".into(),
                    text: "参加".into(),
                }],
                accept: Accept::Last,
                closes_at: None,
            },
            groups: vec!["客户".into()],
        });
        let lengths = [("cmcc".to_string(), 4u8)];
        let quarantine = std::time::Duration::from_millis(1_000);
        let (out, poll) = s
            .enqueue_with_replies(&one(number), &target, &lengths, at, quarantine)
            .unwrap();
        let claimed = s.claim(&claim_req("cmcc", 10), at).unwrap();
        for m in &claimed {
            for seg in &m.segments {
                let msg = format!("p{}", seg.segment_id);
                s.mark_submitted(seg.segment_id, &msg, at).unwrap();
                s.record_report(&report(&msg, ReportStatus::Delivered), at)
                    .unwrap();
            }
        }
        // What the poll collected: an answer, a stray reply, the group it was asked as.
        s.conn()
            .execute(
                "INSERT INTO poll_replies (poll_id, inbox_id, number, option_key, text, comment,
                     received_at, link) VALUES (?1, ?2, ?3, '1', '1', 0, ?4, 'cmcc')",
                params![poll, poll * 10, number, at],
            )
            .unwrap();
        s.conn()
            .execute(
                "INSERT INTO poll_unmatched (poll_id, inbox_id, number, text, reason, received_at,
                     link) VALUES (?1, ?2, '13900000000', '好', 'not_a_recipient', ?3, 'cmcc')",
                params![poll, poll * 10 + 1, at],
            )
            .unwrap();
        s.conn()
            .execute(
                "INSERT INTO job_group_members (job_id, grp, number) VALUES (?1, '客户', ?2)",
                params![out.job_id, number],
            )
            .unwrap();
        (out.job_id, poll)
    }

    fn poll_rows(s: &Store, poll: i64, job: JobId) -> [i64; 6] {
        let count =
            |sql: &str, id: i64| -> i64 { s.conn().query_row(sql, [id], |r| r.get(0)).unwrap() };
        [
            count("SELECT COUNT(*) FROM polls WHERE id = ?1", poll),
            count(
                "SELECT COUNT(*) FROM poll_extensions WHERE poll_id = ?1",
                poll,
            ),
            count("SELECT COUNT(*) FROM poll_replies WHERE poll_id = ?1", poll),
            count(
                "SELECT COUNT(*) FROM poll_unmatched WHERE poll_id = ?1",
                poll,
            ),
            count(
                "SELECT COUNT(*) FROM job_group_members WHERE job_id = ?1",
                job,
            ),
            count(
                "SELECT COUNT(*) FROM extensions WHERE item_kind = 3 AND item_id = ?1",
                poll,
            ),
        ]
    }

    #[test]
    fn a_poll_goes_with_its_jobs_and_takes_its_replies_along() {
        let db = TempDb::new("purge-polls");
        let mut s = db.open();
        let now = 400 * DAY;
        let cutoff = now - 180 * DAY;
        let (old_job, old_poll) = delivered_poll(&mut s, "13800000001", 10 * DAY);
        let (new_job, new_poll) = delivered_poll(&mut s, "13800000002", cutoff + DAY);
        assert_eq!(poll_rows(&s, old_poll, old_job), [1, 1, 1, 1, 1, 1]);

        let out = s.purge(cutoff, 0, 10_000).unwrap();
        assert_eq!(out.jobs, 1);
        assert_eq!(out.polls, 1);
        assert_eq!(out.resume_after, None);
        assert_eq!(
            poll_rows(&s, old_poll, old_job),
            [0; 6],
            "nothing of the purged job's poll is left"
        );
        assert_eq!(
            poll_rows(&s, new_poll, new_job),
            [1, 1, 1, 1, 1, 1],
            "a poll whose job is kept stays whole"
        );
        no_dangling_references(&s);
    }

    #[test]
    fn final_states_are_the_codes_from_delivered_up() {
        for st in DeliveryState::ALL {
            assert_eq!(st.is_final(), st.code() >= FIRST_FINAL, "{st:?}");
        }
    }

    #[test]
    fn old_finished_jobs_go_and_everything_else_stays() {
        let db = TempDb::new("purge-jobs");
        let mut s = db.open();
        let now = 400 * DAY;
        let cutoff = now - 180 * DAY;
        let old = delivered(&mut s, "13800000001", 10 * DAY);
        // Old, but its report never came: still expected.
        let waiting = s.enqueue(&one("13800000002"), 11 * DAY).unwrap().job_id;
        let c = s.claim(&claim_req("cmcc", 10), 11 * DAY).unwrap();
        s.mark_submitted(c[0].segments[0].segment_id, "w", 11 * DAY)
            .unwrap();
        // Old, finished, but a report changed it after the cutoff.
        let late = s.enqueue(&one("13800000003"), 12 * DAY).unwrap().job_id;
        let c = s.claim(&claim_req("cmcc", 10), 12 * DAY).unwrap();
        s.mark_submitted(c[0].segments[0].segment_id, "l", 12 * DAY)
            .unwrap();
        s.record_report(&report("l", ReportStatus::Delivered), cutoff + 1)
            .unwrap();
        // Old, scheduled far ahead.
        let mut later = one("13800000004");
        later.send_at = Some(now + DAY);
        let scheduled = s.enqueue(&later, 13 * DAY).unwrap().job_id;
        // Old, multi-recipient, multi-part, all failed: goes.
        let big = s
            .enqueue(
                &job(Priority::Bulk, &[("13800000005", 3), ("13800000006", 2)]),
                14 * DAY,
            )
            .unwrap()
            .job_id;
        let c = s.claim(&claim_req("cmcc", 10), 14 * DAY).unwrap();
        for m in &c {
            for seg in &m.segments {
                s.mark_failed(seg.segment_id, 13, "refused", 14 * DAY)
                    .unwrap();
            }
        }
        let recent = delivered(&mut s, "13800000007", cutoff + DAY);

        let out = s.purge(cutoff, 0, 10_000).unwrap();
        assert_eq!((out.jobs, out.recipients, out.segments), (2, 3, 6));
        assert_eq!(out.kept, 3);
        assert_eq!(out.resume_after, None);
        for gone in [old, big] {
            assert!(s.job_status(gone).unwrap().is_none(), "job {gone}");
        }
        for kept in [waiting, late, scheduled, recent] {
            assert!(s.job_status(kept).unwrap().is_some(), "job {kept}");
        }
        assert_eq!(rows(&s, "segments"), 4);
        assert_eq!(rows(&s, "recipients"), 4);
        no_dangling_references(&s);

        // The kept ones still work: the waiting one's report is matched, the scheduled one
        // is released and sent.
        let r = s
            .record_report(&report("w", ReportStatus::Delivered), now)
            .unwrap();
        assert!(matches!(r, crate::store::ReportOutcome::Matched { .. }));
        assert_eq!(s.promote_due(now + DAY).unwrap(), vec![scheduled]);
        assert_eq!(s.claim(&claim_req("cmcc", 10), now + DAY).unwrap().len(), 1);
        // Nothing more to do for the same cutoff.
        assert!(s.purge(cutoff, 0, 10_000).unwrap().is_empty());
    }

    #[test]
    fn a_job_named_by_an_active_reminder_stays() {
        let db = TempDb::new("purge-named");
        let mut s = db.open();
        let now = 400 * DAY;
        let reminder = NewReminder {
            recipient: "13800000001".into(),
            text: "pay".into(),
            signature: None,
            send_at: 10 * DAY,
            repeat_every: Some(DAY),
            max_sends: 1000,
            idempotency_key: None,
        };
        let (rid, _) = s.reminder_create(&reminder, 10 * DAY).unwrap();
        let sent = delivered(&mut s, "13800000001", 10 * DAY);
        s.reminder_sent(rid, sent, None, 10 * DAY).unwrap();
        let other = delivered(&mut s, "13800000002", 10 * DAY);
        delivered(&mut s, "13800000003", now);
        let out = s.purge(now - 180 * DAY, 0, 10_000).unwrap();
        assert_eq!((out.jobs, out.kept), (1, 1));
        assert!(s.job_status(sent).unwrap().is_some());
        assert!(s.job_status(other).unwrap().is_none());
    }

    #[test]
    fn the_budget_bounds_one_call_and_the_next_goes_on() {
        let db = TempDb::new("purge-budget");
        let mut s = db.open();
        let ids: Vec<JobId> = (0..10)
            .map(|i| delivered(&mut s, &format!("1380000{i:04}"), DAY))
            .collect();
        let cutoff = 100 * DAY;
        let first = s.purge(cutoff, 0, 4).unwrap();
        assert_eq!(first.jobs, 4);
        assert_eq!(first.resume_after, Some(ids[3]));
        let mut total = first.clone();
        let mut after = first.resume_after;
        while let Some(a) = after {
            let next = s.purge(cutoff, a, 4).unwrap();
            assert!(next.jobs <= 4);
            total.add(&next);
            after = next.resume_after;
        }
        // All but the newest, which keeps the ids counting up.
        assert_eq!(total.jobs, 9);
        assert_eq!(rows(&s, "jobs"), 1);
        assert_eq!(rows(&s, "segments"), 1);
        no_dangling_references(&s);
        let last = s.job_status(ids[9]).unwrap().unwrap();
        let next = s.enqueue(&one("13900000000"), 200 * DAY).unwrap().job_id;
        assert!(next > ids[9], "job id {next} handed out again");
        let st = s.job_status(next).unwrap().unwrap();
        assert!(st.recipients[0].recipient_id > last.recipients[0].recipient_id);
        assert!(
            st.recipients[0].segments[0].segment_id > last.recipients[0].segments[0].segment_id
        );
    }

    #[test]
    fn ids_are_not_handed_out_again_after_a_purge_and_a_reopen() {
        let db = TempDb::new("purge-ids");
        let top = {
            let mut s = db.open();
            for i in 0..3 {
                delivered(&mut s, &format!("1380000{i:04}"), DAY);
            }
            let top = delivered(&mut s, "13800009999", DAY);
            assert_eq!(s.purge(100 * DAY, 0, 100).unwrap().jobs, 3);
            top
        };
        let mut s = db.open();
        let next = s.enqueue(&one("13900000000"), 200 * DAY).unwrap().job_id;
        assert_eq!(next, top + 1);
    }

    #[test]
    fn old_routed_inbox_messages_and_old_orphans_go() {
        let db = TempDb::new("purge-inbox");
        let mut s = db.open();
        let now = 400 * DAY;
        let cutoff = now - 180 * DAY;
        let mo = |at: Millis| inbound("13800000001", "106901230001", "同意", at);
        let routed_old = s.inbox_insert(&mo(DAY)).unwrap();
        let unrouted_old = s.inbox_insert(&mo(2 * DAY)).unwrap();
        let routed_new = s.inbox_insert(&mo(cutoff + DAY)).unwrap();
        for id in [routed_old, routed_new] {
            s.write(|c, _| {
                crate::store::inbox::inbox_set_route(c, id, &InboxRoute::Unmatched("test"))
            })
            .unwrap();
        }
        s.record_report(&report("nobody-1", ReportStatus::Delivered), DAY)
            .unwrap();
        s.record_report(&report("nobody-2", ReportStatus::Delivered), cutoff + DAY)
            .unwrap();

        let out = s.purge(cutoff, 0, 10_000).unwrap();
        assert_eq!((out.inbox, out.orphan_reports), (1, 1));
        let left: Vec<i64> = s
            .conn()
            .prepare("SELECT id FROM inbox ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(left, vec![unrouted_old, routed_new]);
        let orphans = s.orphan_reports(10).unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].msg_id, "nobody-2");
    }

    #[test]
    fn a_purge_inside_a_transaction_is_refused_and_changes_nothing() {
        let db = TempDb::new("purge-txn");
        let mut s = db.open();
        delivered(&mut s, "13800000001", DAY);
        s.begin().unwrap();
        assert!(matches!(
            s.purge(100 * DAY, 0, 10),
            Err(StoreError::Internal(_))
        ));
        s.rollback();
        assert_eq!(rows(&s, "jobs"), 1);
        no_dangling_references(&s);
    }
}
