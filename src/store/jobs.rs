//! Accepting jobs and the job-wide transitions: enqueue (idempotent), cancel, release of
//! scheduled jobs when due, expiry of what was never sent.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::{Cache, NextIds, Store, narrow, next_ids};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::{
    CancelOutcome, EnqueueOutcome, ExpiredRecipient, JobId, Millis, NewJob, NewRecipient,
};
use super::read::job_state_of;
use super::sql_states::{dispatch_state, job_phase, segment_state};
use super::state::{DeliveryState, JobPhase, JobState, Priority};

/// Recorded on segments that expire before they were sent.
pub(crate) const EXPIRED_UNSENT: &str = "expired before it could be sent";

impl Store {
    /// Accepts a job: one `jobs` row, one `recipients` row per number, one `segments` row
    /// per part, all in one transaction.
    ///
    /// With an idempotency key already in the store, returns that job (`created: false`)
    /// when the request is the same, and [`StoreError::IdempotencyConflict`] when it is not.
    /// A job with `send_at` after `now` starts `scheduled`, otherwise `queued`.
    pub fn enqueue(&mut self, job: &NewJob, now: Millis) -> Result<EnqueueOutcome> {
        self.write(|c, cache| enqueue(c, cache, job, now))
    }

    /// Cancels a job that has not started sending (every recipient still scheduled or
    /// queued). Says so, with the job's state, when it is too late.
    pub fn cancel(&mut self, job_id: JobId, now: Millis) -> Result<CancelOutcome> {
        self.write(|c, cache| cancel(c, cache, job_id, now))
    }

    /// Moves scheduled jobs whose `send_at` has come to the queue; returns their ids.
    pub fn promote_due(&mut self, now: Millis) -> Result<Vec<JobId>> {
        self.write(|c, cache| promote_due(c, cache, now))
    }

    /// Expires every scheduled or queued recipient whose job's `expires_at` has passed
    /// (their unsent parts become `expired` with that reason); returns them.
    pub fn expire(&mut self, now: Millis) -> Result<Vec<ExpiredRecipient>> {
        self.write(|c, cache| expire(c, cache, now))
    }
}

impl StoreHandle {
    /// [`Store::enqueue`].
    pub async fn enqueue(&self, job: NewJob, now: Millis) -> Result<EnqueueOutcome> {
        self.call(move |s| s.enqueue(&job, now)).await
    }

    /// [`Store::cancel`].
    pub async fn cancel(&self, job_id: JobId, now: Millis) -> Result<CancelOutcome> {
        self.call(move |s| s.cancel(job_id, now)).await
    }

    /// [`Store::promote_due`].
    pub async fn promote_due(&self, now: Millis) -> Result<Vec<JobId>> {
        self.call(move |s| s.promote_due(now)).await
    }

    /// [`Store::expire`].
    pub async fn expire(&self, now: Millis) -> Result<Vec<ExpiredRecipient>> {
        self.call(move |s| s.expire(now)).await
    }
}

/// The job holding an idempotency key (uses `jobs_idempotency`).
pub(crate) const BY_IDEMPOTENCY_KEY: &str = "SELECT id FROM jobs WHERE idempotency_key = ?1";

fn validate(job: &NewJob, now: Millis) -> Result<()> {
    if job.recipients.is_empty() {
        return Err(StoreError::InvalidJob("a job needs at least one recipient"));
    }
    if job.recipients.iter().any(|r| r.segments == 0) {
        return Err(StoreError::InvalidJob(
            "every recipient needs at least one segment",
        ));
    }
    if job.recipients.iter().any(|r| r.carrier.is_empty()) {
        return Err(StoreError::InvalidJob("every recipient needs a carrier"));
    }
    if let Some(expires) = job.expires_at {
        let start = job.send_at.unwrap_or(now).max(now);
        if expires <= start {
            return Err(StoreError::InvalidJob(
                "expires_at is not after the time the job would be sent",
            ));
        }
    }
    Ok(())
}

fn enqueue(c: &Connection, cache: &mut Cache, job: &NewJob, now: Millis) -> Result<EnqueueOutcome> {
    // The key check comes first: a client retrying after the job's expiry must still get
    // its job back, not a validation error.
    if let Some(key) = &job.idempotency_key {
        let existing: Option<JobId> = c
            .prepare_cached(BY_IDEMPOTENCY_KEY)?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if let Some(job_id) = existing {
            if !same_body(c, job_id, job)? {
                return Err(StoreError::IdempotencyConflict {
                    key: key.clone(),
                    job_id,
                });
            }
            return Ok(EnqueueOutcome {
                job_id,
                created: false,
                state: job_state_of(c, job_id)?,
            });
        }
    }
    validate(job, now)?;

    let ids = next_ids(c, cache)?;
    let n_recipients = i64::try_from(job.recipients.len()).map_err(|_| too_big())?;
    let n_segments: i64 = job.recipients.iter().map(|r| i64::from(r.segments)).sum();
    let scheduled = job.send_at.is_some_and(|t| t > now);
    let (phase, state) = if scheduled {
        (JobPhase::Scheduled, DeliveryState::Scheduled)
    } else {
        (JobPhase::Released, DeliveryState::Queued)
    };

    c.prepare_cached(
        "INSERT INTO jobs (idempotency_key, priority, text, signature, source_ext, send_at,
             expires_at, state, first_recipient, recipients, first_segment, segments,
             created_at, updated_at, sender)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)",
    )?
    .execute(params![
        job.idempotency_key,
        job.priority.code(),
        job.text,
        job.signature,
        job.source_ext,
        job.send_at,
        job.expires_at,
        phase.code(),
        ids.recipient,
        n_recipients,
        ids.segment,
        n_segments,
        now,
        job.sender,
    ])?;
    let job_id = c.last_insert_rowid();

    let mut insert_recipient = c.prepare_cached(
        "INSERT INTO recipients (id, job_id, number, carrier, priority, expires_at, state,
             parts, reference, first_segment, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?;
    let mut insert_segment = c.prepare_cached(
        "INSERT INTO segments (id, recipient_id, job_id, carrier, part, parts, state, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut recipient_id = ids.recipient;
    let mut segment_id = ids.segment;
    for r in &job.recipients {
        insert_recipient.execute(params![
            recipient_id,
            job_id,
            r.number,
            r.carrier,
            job.priority.code(),
            job.expires_at,
            state.code(),
            r.segments,
            r.reference,
            segment_id,
            now,
        ])?;
        for part in 1..=r.segments {
            insert_segment.execute(params![
                segment_id,
                recipient_id,
                job_id,
                r.carrier,
                part,
                r.segments,
                state.code(),
                now,
            ])?;
            segment_id += 1;
        }
        recipient_id += 1;
    }
    cache.next = Some(NextIds {
        recipient: recipient_id,
        segment: segment_id,
    });
    cache
        .counts
        .added(state, usize::try_from(n_segments).unwrap_or(0));
    Ok(EnqueueOutcome {
        job_id,
        created: true,
        state: if scheduled {
            JobState::Scheduled
        } else {
            JobState::Queued
        },
    })
}

fn too_big() -> StoreError {
    StoreError::InvalidJob("too many recipients")
}

/// Whether the stored job `job_id` was created from a request equal to `job`.
fn same_body(c: &Connection, job_id: JobId, job: &NewJob) -> Result<bool> {
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
    );
    let row: Row = c
        .prepare_cached(
            "SELECT priority, text, signature, source_ext, send_at, expires_at,
                    first_recipient, recipients
             FROM jobs WHERE id = ?1",
        )?
        .query_row([job_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?;
    let (priority, text, signature, source_ext, send_at, expires_at, first, count) = row;
    if Priority::from_code(priority)? != job.priority
        || text != job.text
        || signature != job.signature
        || source_ext != job.source_ext
        || send_at != job.send_at
        || expires_at != job.expires_at
        || usize::try_from(count).ok() != Some(job.recipients.len())
    {
        return Ok(false);
    }
    let mut stmt = c.prepare_cached(
        "SELECT number, carrier, parts, reference FROM recipients
         WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query([first, first + count - 1])?;
    let mut stored = Vec::with_capacity(job.recipients.len());
    while let Some(r) = rows.next()? {
        let reference: Option<i64> = r.get(3)?;
        stored.push(NewRecipient {
            number: r.get(0)?,
            carrier: r.get(1)?,
            segments: narrow(r.get(2)?, "recipients.parts")?,
            reference: reference
                .map(|v| narrow(v, "recipients.reference"))
                .transpose()?,
        });
    }
    Ok(stored == job.recipients)
}

pub(super) struct JobRanges {
    pub(super) phase: JobPhase,
    pub(super) first_recipient: i64,
    pub(super) last_recipient: i64,
    pub(super) first_segment: i64,
    pub(super) last_segment: i64,
}

pub(super) fn job_ranges(c: &Connection, job_id: JobId) -> Result<Option<JobRanges>> {
    let row = c
        .prepare_cached(
            "SELECT state, first_recipient, recipients, first_segment, segments
             FROM jobs WHERE id = ?1",
        )?
        .query_row([job_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    row.map(|(phase, fr, nr, fs, ns)| {
        Ok(JobRanges {
            phase: JobPhase::from_code(phase)?,
            first_recipient: fr,
            last_recipient: fr + nr - 1,
            first_segment: fs,
            last_segment: fs + ns - 1,
        })
    })
    .transpose()
}

fn cancel(c: &Connection, cache: &mut Cache, job_id: JobId, now: Millis) -> Result<CancelOutcome> {
    let Some(job) = job_ranges(c, job_id)? else {
        return Err(StoreError::NotFound {
            what: "job",
            id: job_id,
        });
    };
    if job.phase == JobPhase::Cancelled {
        return Ok(CancelOutcome::AlreadyCancelled);
    }
    // By segment, not recipient: a recipient back in the queue may have parts out already.
    let started: bool = c
        .prepare_cached(concat!(
            "SELECT EXISTS (SELECT 1 FROM segments
                            WHERE id BETWEEN ?1 AND ?2 AND state NOT IN (",
            segment_state!(scheduled, queued),
            "))"
        ))?
        .query_row([job.first_segment, job.last_segment], |r| r.get(0))?;
    if started {
        return Ok(CancelOutcome::TooLate {
            state: job_state_of(c, job_id)?,
        });
    }
    let cancelled = DeliveryState::Cancelled.code();
    c.prepare_cached(
        "UPDATE jobs SET state = ?2, cancelled_at = ?3, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![job_id, JobPhase::Cancelled.code(), now])?;
    let recipients = c
        .prepare_cached(concat!(
            "UPDATE recipients SET state = ?3, updated_at = ?4
             WHERE id BETWEEN ?1 AND ?2 AND state IN (",
            dispatch_state!(scheduled, queued),
            ")"
        ))?
        .execute(params![
            job.first_recipient,
            job.last_recipient,
            cancelled,
            now
        ])?;
    // One statement per old state, so the segment counts know what moved.
    let mut cancel_segments = c.prepare_cached(
        "UPDATE segments SET state = ?3, updated_at = ?4
         WHERE id BETWEEN ?1 AND ?2 AND state = ?5",
    )?;
    for from in [DeliveryState::Scheduled, DeliveryState::Queued] {
        let n = cancel_segments.execute(params![
            job.first_segment,
            job.last_segment,
            cancelled,
            now,
            from.code()
        ])?;
        cache.counts.moved(from, DeliveryState::Cancelled, n);
    }
    Ok(CancelOutcome::Cancelled {
        recipients: u64::try_from(recipients).unwrap_or(u64::MAX),
    })
}

/// Releases due scheduled jobs (uses `jobs_due`).
pub(crate) const PROMOTE_DUE: &str = concat!(
    "UPDATE jobs SET state = ",
    job_phase!(released),
    ", updated_at = ?1
             WHERE state = ",
    job_phase!(scheduled),
    " AND send_at <= ?1
             RETURNING id, first_recipient, recipients, first_segment, segments"
);

fn promote_due(c: &Connection, cache: &mut Cache, now: Millis) -> Result<Vec<JobId>> {
    let due: Vec<(JobId, i64, i64, i64, i64)> = c
        .prepare_cached(PROMOTE_DUE)?
        .query_map([now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut recipients = c.prepare_cached(concat!(
        "UPDATE recipients SET state = ",
        dispatch_state!(queued),
        ", updated_at = ?3
         WHERE id BETWEEN ?1 AND ?2 AND state = ",
        dispatch_state!(scheduled)
    ))?;
    let mut segments = c.prepare_cached(concat!(
        "UPDATE segments SET state = ",
        segment_state!(queued),
        ", updated_at = ?3
         WHERE id BETWEEN ?1 AND ?2 AND state = ",
        segment_state!(scheduled)
    ))?;
    let mut ids = Vec::with_capacity(due.len());
    for (id, fr, nr, fs, ns) in due {
        recipients.execute(params![fr, fr + nr - 1, now])?;
        let n = segments.execute(params![fs, fs + ns - 1, now])?;
        cache
            .counts
            .moved(DeliveryState::Scheduled, DeliveryState::Queued, n);
        ids.push(id);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Expires waiting recipients past their expiry (uses `recipients_expiry`).
pub(crate) const EXPIRE_DUE: &str = concat!(
    "UPDATE recipients SET state = ",
    dispatch_state!(expired),
    ", updated_at = ?1
             WHERE state IN (",
    dispatch_state!(scheduled, queued),
    ") AND expires_at IS NOT NULL AND expires_at <= ?1
             RETURNING id, job_id, first_segment, parts"
);

fn expire(c: &Connection, cache: &mut Cache, now: Millis) -> Result<Vec<ExpiredRecipient>> {
    let expired: Vec<(i64, i64, i64, i64)> = c
        .prepare_cached(EXPIRE_DUE)?
        .query_map(params![now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut segments = c.prepare_cached(concat!(
        "UPDATE segments SET state = ",
        segment_state!(expired),
        ", last_error = ?3, updated_at = ?4
         WHERE id BETWEEN ?1 AND ?2 AND state = ?5"
    ))?;
    let mut out = Vec::with_capacity(expired.len());
    for (recipient_id, job_id, first, parts) in expired {
        for from in [DeliveryState::Scheduled, DeliveryState::Queued] {
            let n = segments.execute(params![
                first,
                first + parts - 1,
                EXPIRED_UNSENT,
                now,
                from.code()
            ])?;
            cache.counts.moved(from, DeliveryState::Expired, n);
        }
        out.push(ExpiredRecipient {
            recipient_id,
            job_id,
        });
    }
    // A scheduled job with nothing left to schedule is released, so promote_due does not
    // report it later.
    let mut release = c.prepare_cached(concat!(
        "UPDATE jobs SET state = ",
        job_phase!(released),
        ", updated_at = ?2 WHERE id = ?1 AND state = ",
        job_phase!(scheduled)
    ))?;
    out.sort_unstable_by_key(|e| e.recipient_id);
    let mut jobs: Vec<JobId> = out.iter().map(|e| e.job_id).collect();
    jobs.dedup();
    for job_id in jobs {
        release.execute(params![job_id, now])?;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, job, one, segment_states};

    #[test]
    fn enqueue_writes_job_recipients_and_segments() {
        let db = TempDb::new("enqueue");
        let mut s = db.open();
        let mut j = job(
            Priority::Notification,
            &[("13800000001", 1), ("13800000002", 3)],
        );
        j.recipients[1].reference = Some(0x2a);
        let out = s.enqueue(&j, 1_000).unwrap();
        assert!(out.created);
        assert_eq!(out.state, JobState::Queued);
        let st = s.job_status(out.job_id).unwrap().unwrap();
        assert_eq!(st.state, JobState::Queued);
        assert_eq!(st.text, "hello");
        assert_eq!(st.created_at, 1_000);
        assert_eq!(st.recipients.len(), 2);
        assert_eq!(st.recipients[0].number, "13800000001");
        assert_eq!(st.recipients[1].parts, 3);
        assert_eq!(st.recipients[1].reference, Some(0x2a));
        let parts: Vec<u8> = st.recipients[1].segments.iter().map(|s| s.part).collect();
        assert_eq!(parts, [1, 2, 3]);
        assert!(
            st.recipients
                .iter()
                .all(|r| r.state == DeliveryState::Queued)
        );
        // A second job continues the id ranges.
        let out2 = s.enqueue(&one("13800000003"), 1_001).unwrap();
        let st2 = s.job_status(out2.job_id).unwrap().unwrap();
        assert_eq!(
            st2.recipients[0].recipient_id,
            st.recipients[1].recipient_id + 1
        );
        assert_eq!(
            st2.recipients[0].segments[0].segment_id,
            st.recipients[1].segments[2].segment_id + 1
        );
    }

    #[test]
    fn enqueue_refuses_malformed_jobs() {
        let db = TempDb::new("enqueue-invalid");
        let mut s = db.open();
        let mut j = one("1");
        j.recipients.clear();
        assert!(matches!(s.enqueue(&j, 0), Err(StoreError::InvalidJob(_))));
        let mut j = one("1");
        j.recipients[0].segments = 0;
        assert!(matches!(s.enqueue(&j, 0), Err(StoreError::InvalidJob(_))));
        let mut j = one("1");
        j.recipients[0].carrier.clear();
        assert!(matches!(s.enqueue(&j, 0), Err(StoreError::InvalidJob(_))));
        let mut j = one("1");
        j.expires_at = Some(100);
        assert!(matches!(s.enqueue(&j, 100), Err(StoreError::InvalidJob(_))));
        j.send_at = Some(200);
        assert!(matches!(s.enqueue(&j, 50), Err(StoreError::InvalidJob(_))));
        assert_eq!(s.queue_depth().unwrap().segments.total(), 0);
    }

    #[test]
    fn same_idempotency_key_twice_makes_one_job() {
        let db = TempDb::new("idem");
        let mut s = db.open();
        let mut j = one("13800000001");
        j.idempotency_key = Some("k-1".into());
        j.expires_at = Some(5_000);
        let first = s.enqueue(&j, 1_000).unwrap();
        assert!(first.created);
        let again = s.enqueue(&j, 1_500).unwrap();
        assert_eq!(again.job_id, first.job_id);
        assert!(!again.created);
        // Even after the job expired, the retry gets the job back, not an error.
        let late = s.enqueue(&j, 9_000).unwrap();
        assert_eq!(late.job_id, first.job_id);
        assert!(!late.created);
        assert_eq!(s.queue_depth().unwrap().segments.total(), 1);
        // Jobs without a key never collide.
        let a = s.enqueue(&one("1"), 0).unwrap();
        let b = s.enqueue(&one("1"), 0).unwrap();
        assert_ne!(a.job_id, b.job_id);
    }

    #[test]
    fn same_idempotency_key_with_another_body_is_refused() {
        let db = TempDb::new("idem-conflict");
        let mut s = db.open();
        let mut j = one("13800000001");
        j.idempotency_key = Some("k-2".into());
        let first = s.enqueue(&j, 0).unwrap();
        type Change = Box<dyn Fn(&mut NewJob)>;
        let variants: Vec<Change> = vec![
            Box::new(|j| j.text.push('!')),
            Box::new(|j| j.signature.push('x')),
            Box::new(|j| j.priority = Priority::Approval),
            Box::new(|j| j.source_ext = Some("9".into())),
            Box::new(|j| j.send_at = Some(10)),
            Box::new(|j| j.expires_at = Some(99_999)),
            Box::new(|j| j.recipients[0].number.push('0')),
            Box::new(|j| j.recipients[0].carrier.push('x')),
            Box::new(|j| j.recipients[0].segments = 2),
            Box::new(|j| j.recipients[0].reference = Some(1)),
            Box::new(|j| j.recipients.push(j.recipients[0].clone())),
        ];
        for change in variants {
            let mut other = j.clone();
            change(&mut other);
            match s.enqueue(&other, 0) {
                Err(StoreError::IdempotencyConflict { key, job_id }) => {
                    assert_eq!(key, "k-2");
                    assert_eq!(job_id, first.job_id);
                }
                other => panic!("expected a conflict, got {other:?}"),
            }
        }
        assert_eq!(s.queue_depth().unwrap().segments.total(), 1);
    }

    #[test]
    fn scheduled_jobs_wait_until_due() {
        let db = TempDb::new("schedule");
        let mut s = db.open();
        let mut j = job(Priority::Reminder, &[("1", 2), ("2", 1)]);
        j.send_at = Some(10_000);
        let out = s.enqueue(&j, 1_000).unwrap();
        assert_eq!(out.state, JobState::Scheduled);
        assert!(
            segment_states(&s, out.job_id)
                .iter()
                .all(|st| *st == DeliveryState::Scheduled)
        );
        assert!(s.claim(&claim_req("cmcc", 10), 2_000).unwrap().is_empty());
        assert!(s.promote_due(9_999).unwrap().is_empty());
        assert_eq!(s.promote_due(10_000).unwrap(), vec![out.job_id]);
        assert!(s.promote_due(10_001).unwrap().is_empty(), "promoted once");
        assert!(
            segment_states(&s, out.job_id)
                .iter()
                .all(|st| *st == DeliveryState::Queued)
        );
        assert_eq!(
            s.job_status(out.job_id).unwrap().unwrap().state,
            JobState::Queued
        );
        let claimed = s.claim(&claim_req("cmcc", 10), 10_001).unwrap();
        assert_eq!(claimed.len(), 2);
        // send_at in the past means now.
        let mut past = one("3");
        past.send_at = Some(5);
        assert_eq!(s.enqueue(&past, 1_000).unwrap().state, JobState::Queued);
    }

    #[test]
    fn cancel_while_scheduled_or_queued_only() {
        let db = TempDb::new("cancel");
        let mut s = db.open();
        let mut sched = job(Priority::Bulk, &[("1", 1), ("2", 2)]);
        sched.send_at = Some(50_000);
        let a = s.enqueue(&sched, 0).unwrap().job_id;
        let b = s.enqueue(&one("3"), 0).unwrap().job_id;
        let c = s.enqueue(&one("4"), 0).unwrap().job_id;

        assert_eq!(
            s.cancel(a, 10).unwrap(),
            CancelOutcome::Cancelled { recipients: 2 }
        );
        assert_eq!(s.cancel(a, 11).unwrap(), CancelOutcome::AlreadyCancelled);
        let st = s.job_status(a).unwrap().unwrap();
        assert_eq!(st.state, JobState::Cancelled);
        assert_eq!(st.cancelled_at, Some(10));
        assert!(
            segment_states(&s, a)
                .iter()
                .all(|x| *x == DeliveryState::Cancelled)
        );
        // A cancelled scheduled job is never released.
        assert!(s.promote_due(60_000).unwrap().is_empty());

        assert_eq!(
            s.cancel(b, 10).unwrap(),
            CancelOutcome::Cancelled { recipients: 1 }
        );
        // c is claimed: too late.
        let claimed = s.claim(&claim_req("cmcc", 10), 20).unwrap();
        assert_eq!(claimed.len(), 1, "only c is left to claim");
        assert_eq!(claimed[0].job_id, c);
        assert_eq!(
            s.cancel(c, 21).unwrap(),
            CancelOutcome::TooLate {
                state: JobState::Sending
            }
        );
        assert!(matches!(
            s.cancel(999, 0),
            Err(StoreError::NotFound {
                what: "job",
                id: 999
            })
        ));
    }

    #[test]
    fn cancel_is_too_late_once_any_part_went_out() {
        let db = TempDb::new("cancel-partial");
        let mut s = db.open();
        let id = s
            .enqueue(&job(Priority::Bulk, &[("1", 2)]), 0)
            .unwrap()
            .job_id;
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        s.mark_submitted(c[0].segments[0].segment_id, "m", 2)
            .unwrap();
        s.requeue(&[c[0].segments[1].segment_id], "throttled", 3)
            .unwrap();
        // The recipient is back in the queue, but its first part is with the carrier.
        assert_eq!(
            s.cancel(id, 4).unwrap(),
            CancelOutcome::TooLate {
                state: JobState::Sending
            }
        );
        assert_eq!(
            segment_states(&s, id),
            [DeliveryState::Submitted, DeliveryState::Queued]
        );
    }

    #[test]
    fn expire_fails_unsent_parts_with_the_reason() {
        let db = TempDb::new("expire");
        let mut s = db.open();
        let mut q = job(Priority::Notification, &[("1", 2)]);
        q.expires_at = Some(5_000);
        let queued = s.enqueue(&q, 0).unwrap().job_id;
        let mut sc = one("2");
        sc.send_at = Some(3_000);
        sc.expires_at = Some(4_000);
        let scheduled = s.enqueue(&sc, 0).unwrap().job_id;
        let mut sent = one("3");
        sent.expires_at = Some(4_000);
        let sending = s.enqueue(&sent, 0).unwrap().job_id;
        let forever = s.enqueue(&one("4"), 0).unwrap().job_id;
        // Put "sending" in flight: claim everything, requeue the others.
        let all = s.claim(&claim_req("cmcc", 100), 1).unwrap();
        assert_eq!(all.len(), 3, "the scheduled job is not claimable");
        let others: Vec<i64> = all
            .iter()
            .filter(|m| m.job_id != sending)
            .flat_map(|m| m.segments.iter().map(|x| x.segment_id))
            .collect();
        s.requeue(&others, "test", 2).unwrap();

        assert!(s.expire(3_999).unwrap().is_empty());
        let expired = s.expire(4_000).unwrap();
        let jobs: Vec<i64> = expired.iter().map(|e| e.job_id).collect();
        assert_eq!(jobs, vec![scheduled], "in-flight parts are not expired");
        // A scheduled job whose recipients all expired is not released later.
        assert!(s.promote_due(4_000).unwrap().is_empty());
        let expired = s.expire(5_000).unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].job_id, queued);
        let st = s.job_status(queued).unwrap().unwrap();
        assert_eq!(st.state, JobState::Expired);
        assert_eq!(st.recipients[0].last_error.as_deref(), Some(EXPIRED_UNSENT));
        assert!(st.recipients[0].segments.iter().all(|x| {
            x.state == DeliveryState::Expired && x.last_error.as_deref() == Some(EXPIRED_UNSENT)
        }));
        assert_eq!(
            s.job_status(scheduled).unwrap().unwrap().state,
            JobState::Expired
        );
        assert_eq!(
            s.job_status(sending).unwrap().unwrap().state,
            JobState::Sending
        );
        assert_eq!(
            s.job_status(forever).unwrap().unwrap().state,
            JobState::Queued
        );
        assert!(
            s.expire(i64::MAX).unwrap().is_empty(),
            "nothing else expires"
        );
        // Expired parts are never claimed.
        let left = s.claim(&claim_req("cmcc", 100), 6_000).unwrap();
        let left: Vec<i64> = left.iter().map(|m| m.job_id).collect();
        assert_eq!(left, vec![forever]);
    }
}
