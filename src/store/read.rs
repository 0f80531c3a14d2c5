//! Reading state back: one job with its recipients and segments, the most recent jobs,
//! and queue depth.
//!
//! These are free functions over a connection so both the writer's [`Store`] and the
//! handle's read-only connection use them.

use rusqlite::{Connection, OptionalExtension, Row};

use super::db::{Store, narrow};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::{JobId, JobStatus, JobSummary, QueueDepth, RecipientStatus, SegmentStatus};
use super::state::{
    DeliveryState, JobPhase, JobState, Priority, StateCounts, job_state, recipient_state,
};

impl Store {
    /// A job with every recipient and segment, or `None` for an unknown id.
    pub fn job_status(&self, job_id: JobId) -> Result<Option<JobStatus>> {
        job_status(self.conn(), job_id)
    }

    /// Segments per state and the number of orphan reports. Scans the segments table.
    pub fn queue_depth(&self) -> Result<QueueDepth> {
        queue_depth(self.conn())
    }
}

impl StoreHandle {
    /// A job with one page of its recipients (those after recipient `after`, at most
    /// `limit`) and the `after` of the next page, on the read connection; counts and
    /// state cover every recipient.
    pub async fn job_status_page(
        &self,
        job_id: JobId,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Option<(JobStatus, Option<i64>)>> {
        self.read(move |c| super::read::job_status_page(c, job_id, after, limit))
            .await
    }

    /// [`Store::job_status`], on the read connection.
    pub async fn job_status(&self, job_id: JobId) -> Result<Option<JobStatus>> {
        self.read(move |c| super::read::job_status(c, job_id)).await
    }

    /// A read of the schema page on the read connection: the store answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.read(|c| {
            c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    /// The most recent jobs (ids below `before`), newest first, on the read connection.
    pub async fn jobs_recent(
        &self,
        before: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<super::model::JobSummary>> {
        self.read(move |c| super::read::jobs_recent(c, before, limit))
            .await
    }

    /// [`Store::queue_depth`], on the read connection.
    pub async fn queue_depth(&self) -> Result<QueueDepth> {
        self.read(super::read::queue_depth).await
    }
}

/// The most recent jobs, newest first: those with an id below `before` (all when
/// `None`), at most `limit`. Each one's state is derived from its segments.
pub(crate) fn jobs_recent(
    c: &Connection,
    before: Option<JobId>,
    limit: usize,
) -> Result<Vec<JobSummary>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, priority, text, signature, send_at, recipients, segments, created_at, sender
         FROM jobs WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut jobs: Vec<JobSummary> = stmt
        .query_map(rusqlite::params![before.unwrap_or(i64::MAX), limit], |r| {
            let summary = JobSummary {
                job_id: r.get(0)?,
                // Derived below, once the statement is done.
                state: JobState::Queued,
                priority: Priority::Notification,
                text: r.get(2)?,
                signature: r.get(3)?,
                send_at: r.get(4)?,
                recipients: r.get::<_, i64>(5)?.try_into().unwrap_or(0),
                segments: r.get::<_, i64>(6)?.try_into().unwrap_or(0),
                created_at: r.get(7)?,
                sender: r.get(8)?,
            };
            Ok((summary, r.get::<_, i64>(1)?))
        })?
        .map(|row| {
            let (mut j, priority) = row?;
            j.priority = Priority::from_code(priority)?;
            Ok(j)
        })
        .collect::<Result<_>>()?;
    drop(stmt);
    for j in &mut jobs {
        j.state = job_state_of(c, j.job_id)?;
    }
    Ok(jobs)
}

/// A job's derived state: each recipient's state from its segments, the job's from those.
pub(crate) fn job_state_of(c: &Connection, job_id: JobId) -> Result<JobState> {
    let (phase, first, count): (i64, i64, i64) = c
        .prepare_cached("SELECT state, first_segment, segments FROM jobs WHERE id = ?1")?
        .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(StoreError::NotFound {
            what: "job",
            id: job_id,
        })?;
    let (counts, started) = recipient_counts(c, first, count)?;
    Ok(job_state(JobPhase::from_code(phase)?, &counts, started))
}

/// Recipients per derived state over a job's segments `first..first + count`, and
/// whether any segment left the queue. Streams the segments: memory stays the same
/// however many recipients the job has.
fn recipient_counts(c: &Connection, first: i64, count: i64) -> Result<(StateCounts, bool)> {
    let mut stmt = c.prepare_cached(
        "SELECT recipient_id, state FROM segments WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query([first, first + count - 1])?;
    let mut counts = StateCounts::default();
    let mut started = false;
    let mut current: Option<(i64, Vec<DeliveryState>)> = None;
    while let Some(r) = rows.next()? {
        let recipient: i64 = r.get(0)?;
        let state = DeliveryState::from_code(r.get(1)?, "segments.state")?;
        started |= !matches!(state, DeliveryState::Scheduled | DeliveryState::Queued);
        match &mut current {
            Some((id, states)) if *id == recipient => states.push(state),
            _ => {
                if let Some((_, states)) = current.take() {
                    counts.add(recipient_state(states), 1);
                }
                current = Some((recipient, vec![state]));
            }
        }
    }
    if let Some((_, states)) = current {
        counts.add(recipient_state(states), 1);
    }
    Ok((counts, started))
}

/// A job with every recipient and segment (see [`job_status_page`] for one page).
pub(crate) fn job_status(c: &Connection, job_id: JobId) -> Result<Option<JobStatus>> {
    Ok(job_status_page(c, job_id, None, usize::MAX)?.map(|(status, _)| status))
}

/// A job with its counts and state over all recipients, but only the recipients after
/// `after` (a recipient id), at most `limit`, with their segments; and the recipient id
/// to pass as `after` for the next page (`None`: this was the last). What one request
/// holds in memory is one page, however many recipients the job has.
pub(crate) fn job_status_page(
    c: &Connection,
    job_id: JobId,
    after: Option<i64>,
    limit: usize,
) -> Result<Option<(JobStatus, Option<i64>)>> {
    let mut stmt = c.prepare_cached(
        "SELECT idempotency_key, priority, text, signature, source_ext, send_at, expires_at,
                state, first_recipient, recipients, first_segment, segments,
                created_at, updated_at, cancelled_at
         FROM jobs WHERE id = ?1",
    )?;
    let mut rows = stmt.query([job_id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let phase = JobPhase::from_code(r.get(7)?)?;
    let (first_recipient, n_recipients): (i64, i64) = (r.get(8)?, r.get(9)?);
    let (first_segment, n_segments): (i64, i64) = (r.get(10)?, r.get(11)?);
    let mut status = JobStatus {
        job_id,
        state: JobState::Queued,
        idempotency_key: r.get(0)?,
        priority: Priority::from_code(r.get(1)?)?,
        text: r.get(2)?,
        signature: r.get(3)?,
        source_ext: r.get(4)?,
        send_at: r.get(5)?,
        expires_at: r.get(6)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        cancelled_at: r.get(14)?,
        counts: StateCounts::default(),
        recipients: Vec::new(),
    };
    drop(rows);
    drop(stmt);
    let (counts, started) = recipient_counts(c, first_segment, n_segments)?;
    status.counts = counts;
    status.state = job_state(phase, &status.counts, started);

    let last_recipient = first_recipient + n_recipients - 1;
    let from = after.map_or(first_recipient, |a| {
        a.saturating_add(1).max(first_recipient)
    });
    let mut stmt = c.prepare_cached(
        "SELECT id, number, carrier, parts, reference, created_at, updated_at, first_segment
         FROM recipients WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3",
    )?;
    let mut rows = stmt.query(rusqlite::params![
        from,
        last_recipient,
        i64::try_from(limit).unwrap_or(i64::MAX)
    ])?;
    let mut segment_range: Option<(i64, i64)> = None;
    while let Some(r) = rows.next()? {
        let reference: Option<i64> = r.get(4)?;
        let parts: u8 = narrow(r.get(3)?, "recipients.parts")?;
        let seg_first: i64 = r.get(7)?;
        let seg_last = seg_first + i64::from(parts) - 1;
        segment_range = Some(segment_range.map_or((seg_first, seg_last), |(lo, hi)| {
            (lo.min(seg_first), hi.max(seg_last))
        }));
        status.recipients.push(RecipientStatus {
            recipient_id: r.get(0)?,
            number: r.get(1)?,
            carrier: r.get(2)?,
            // Derived from the segments below.
            state: DeliveryState::Queued,
            parts,
            reference: reference
                .map(|v| narrow(v, "recipients.reference"))
                .transpose()?,
            last_error: None,
            created_at: r.get(5)?,
            updated_at: r.get(6)?,
            segments: Vec::new(),
        });
    }
    drop(rows);
    drop(stmt);

    if let Some((lo, hi)) = segment_range {
        let mut stmt = c.prepare_cached(
            "SELECT id, recipient_id, part, state, attempts, link, connection, msg_id, result,
                    report_stat, report_err, last_error, claimed_at, submitted_at, reported_at,
                    updated_at
             FROM segments WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query([lo, hi])?;
        // Segments come in recipient order, so a cursor over recipients suffices.
        let mut at = 0usize;
        while let Some(r) = rows.next()? {
            let recipient_id: i64 = r.get(1)?;
            while status
                .recipients
                .get(at)
                .is_some_and(|x| x.recipient_id != recipient_id)
            {
                at += 1;
            }
            let Some(recipient) = status.recipients.get_mut(at) else {
                return Err(StoreError::Internal("segment outside its job's recipients"));
            };
            recipient.segments.push(segment_status(r)?);
        }
    }
    for recipient in &mut status.recipients {
        derive_recipient(recipient);
    }
    let next_after = status
        .recipients
        .last()
        .map(|r| r.recipient_id)
        .filter(|id| status.recipients.len() == limit && *id < last_recipient);
    Ok(Some((status, next_after)))
}

/// A recipient's state, last error and last change, from its segments.
fn derive_recipient(recipient: &mut RecipientStatus) {
    recipient.state = recipient_state(recipient.segments.iter().map(|s| s.state));
    let mut latest: Option<&SegmentStatus> = None;
    for seg in &recipient.segments {
        recipient.updated_at = recipient.updated_at.max(seg.updated_at);
        if seg.last_error.is_some() && latest.is_none_or(|l| seg.updated_at >= l.updated_at) {
            latest = Some(seg);
        }
    }
    recipient.last_error = latest.and_then(|s| s.last_error.clone());
}

fn segment_status(r: &Row<'_>) -> Result<SegmentStatus> {
    Ok(SegmentStatus {
        segment_id: r.get(0)?,
        part: narrow(r.get(2)?, "segments.part")?,
        state: DeliveryState::from_code(r.get(3)?, "segments.state")?,
        attempts: narrow(r.get(4)?, "segments.attempts")?,
        link: r.get(5)?,
        connection: r.get(6)?,
        msg_id: r.get(7)?,
        result: r.get(8)?,
        report_stat: r.get(9)?,
        report_err: r.get(10)?,
        last_error: r.get(11)?,
        claimed_at: r.get(12)?,
        submitted_at: r.get(13)?,
        reported_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

pub(crate) fn queue_depth(c: &Connection) -> Result<QueueDepth> {
    let mut depth = QueueDepth::default();
    // Kept by the writer (see `db::CountDeltas`): ten rows, not a count of all history.
    let mut stmt = c.prepare_cached("SELECT state, n FROM segment_counts WHERE n <> 0")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let state = DeliveryState::from_code(r.get(0)?, "segments.state")?;
        depth.segments.add(state, narrow(r.get(1)?, "count")?);
    }
    drop(rows);
    drop(stmt);
    depth.orphan_reports = c
        .prepare_cached("SELECT count(*) FROM orphan_reports")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))?;
    Ok(depth)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, job, one};

    #[test]
    fn unknown_job_reads_as_none() {
        let db = TempDb::new("read-none");
        let s = db.open();
        assert_eq!(s.job_status(1).unwrap(), None);
        assert!(matches!(
            job_state_of(s.conn(), 1),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn recent_jobs_come_newest_first_and_page_by_id() {
        let db = TempDb::new("read-recent");
        let mut s = db.open();
        let a = s
            .enqueue(&job(Priority::Bulk, &[("1", 3), ("2", 1)]), 0)
            .unwrap();
        let mut later = one("3");
        later.send_at = Some(100);
        let b = s.enqueue(&later, 5).unwrap();
        let all = jobs_recent(s.conn(), None, 10).unwrap();
        assert_eq!(
            all.iter().map(|j| j.job_id).collect::<Vec<_>>(),
            [b.job_id, a.job_id]
        );
        assert_eq!((all[1].recipients, all[1].segments), (2, 4));
        assert_eq!(all[0].state, JobState::Scheduled);
        assert_eq!(all[0].send_at, Some(100));
        let page = jobs_recent(s.conn(), Some(b.job_id), 10).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].job_id, a.job_id);
        assert_eq!(jobs_recent(s.conn(), None, 1).unwrap().len(), 1);
    }

    #[test]
    fn queue_depth_counts_segments_per_state() {
        let db = TempDb::new("read-depth");
        let mut s = db.open();
        s.enqueue(&job(Priority::Bulk, &[("1", 3), ("2", 1)]), 0)
            .unwrap();
        let mut later = one("3");
        later.send_at = Some(100);
        s.enqueue(&later, 0).unwrap();
        let d = s.queue_depth().unwrap();
        assert_eq!(d.segments.queued, 4);
        assert_eq!(d.segments.scheduled, 1);
        assert_eq!(d.segments.total(), 5);
        assert_eq!(d.orphan_reports, 0);
        let claimed = s.claim(&claim_req("cmcc", 3), 1).unwrap();
        assert_eq!(claimed.len(), 1);
        let d = s.queue_depth().unwrap();
        assert_eq!(d.segments.in_flight, 3);
        assert_eq!(d.segments.queued, 1);
    }

    #[test]
    fn corrupt_state_codes_are_reported_not_panicked_on() {
        let db = TempDb::new("read-corrupt");
        let mut s = db.open();
        let id = s.enqueue(&one("1"), 0).unwrap().job_id;
        s.check_counts = false;
        s.conn()
            .execute_batch("UPDATE segments SET state = 42; UPDATE segment_counts SET state = 42")
            .unwrap();
        assert!(matches!(
            s.job_status(id),
            Err(StoreError::Corrupt { value: 42, .. })
        ));
        assert!(matches!(
            s.queue_depth(),
            Err(StoreError::Corrupt { value: 42, .. })
        ));
    }
}
