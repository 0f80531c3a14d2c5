//! The send side of the messaging policy in the store: a job's category and the text as
//! it goes out, recipients the policy skipped (with the reason), holds for review
//! (release / reject), marketing sends per number and China day for the frequency caps,
//! and parking queued marketing while quiet hours hold.
//!
//! The decisions themselves are made above the store (`dispatch::policy_gate` with the
//! pure `policy` module); this file only records them, in the same transaction as the
//! job, with their webhook events.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::{Cache, Store};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::jobs::enqueue_job;
use super::model::{EnqueueOutcome, JobId, Millis, NewJob};
use super::read::job_state_of;
use super::sql_states::{dispatch_state, job_phase, segment_state};
use super::state::{DeliveryState, JobPhase, JobState};
use super::webhooks::{WebhookEvent, queue};

/// `jobs.hold` of a job waiting for an admin's review.
const HELD: &str = "held";
/// `jobs.hold` once an admin let it go.
const RELEASED: &str = "released";
/// `jobs.hold` once an admin refused it (the job is cancelled).
const REJECTED: &str = "rejected";
/// `jobs.wait_reason` of a marketing job kept back by quiet hours.
pub const QUIET_HOURS: &str = "quiet_hours";
/// Numbers per `IN (…)` list: well under SQLite's bound-parameter limit.
const CHUNK: usize = 500;

/// What the policy decided about a job, recorded with it by
/// [`enqueue_with_policy`](Store::enqueue_with_policy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPolicy {
    /// `notice` or `marketing` (the store does not interpret it beyond the claim filter).
    pub category: String,
    /// The text as the recipient sees it: signature and opt-out suffix included.
    pub sent_text: Option<String>,
    /// Held for review because of this (e.g. the sensitive word found); `None`: not held.
    pub hold_reason: Option<String>,
    /// Why the job waits although its own send time has come (`quiet_hours`).
    pub wait_reason: Option<String>,
    /// Recipients not sent to, each with its reason code.
    pub skips: Vec<SkippedRecipient>,
    /// Count every accepted recipient as one marketing send on the China day starting
    /// at this time, with the text's hash (for the identical-text cap).
    pub count: Option<(Millis, i64)>,
}

/// A recipient the policy skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRecipient {
    /// Normalised number.
    pub number: String,
    /// Stable reason code (`opted_out`, `frequency_cap`, …).
    pub reason: String,
}

/// Marketing sends one number had on one China day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DailyCounts {
    /// All marketing messages.
    pub marketing: u32,
    /// Those with the same text.
    pub identical: u32,
}

/// A job's policy facts as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobPolicyView {
    /// `notice` or `marketing`.
    pub category: String,
    /// The text as sent (signature and suffix included).
    pub sent_text: Option<String>,
    /// `held`, `released` or `rejected`; `None` for a job never held.
    pub hold: Option<String>,
    /// Why it was held.
    pub hold_reason: Option<String>,
    /// Why it waits (`quiet_hours`), while it does.
    pub wait_reason: Option<String>,
    /// Recipients skipped, with reasons.
    pub skipped: Vec<SkippedRecipient>,
}

/// A job waiting for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldJob {
    /// The job.
    pub job_id: JobId,
    /// `notice` or `marketing`.
    pub category: String,
    /// The text as it would go out.
    pub sent_text: Option<String>,
    /// Why it is held.
    pub hold_reason: Option<String>,
    /// Recipients it holds.
    pub recipients: i64,
    /// Accepted at.
    pub created_at: Millis,
}

/// What releasing or rejecting a held job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum HoldOutcome {
    /// Released: it goes at its send time (now, if that has passed).
    Released {
        /// The job's state now.
        state: JobState,
    },
    /// Rejected: cancelled, nothing of it is sent.
    Rejected {
        /// Recipients that will not be sent.
        recipients: u64,
    },
    /// The job is not held (never was, or was released or rejected before).
    NotHeld {
        /// Its hold state (`released`, `rejected`, or none).
        hold: Option<&'static str>,
    },
}

impl Store {
    /// [`enqueue`](Store::enqueue) with what the policy decided: category, text as sent,
    /// a hold, the skipped recipients and the daily counts, in the one transaction.
    pub fn enqueue_with_policy(
        &mut self,
        job: &NewJob,
        policy: &JobPolicy,
        now: Millis,
    ) -> Result<EnqueueOutcome> {
        self.write(|c, cache| enqueue_with_policy(c, cache, job, policy, now))
    }

    /// Marketing sends today (the China day starting at `day`) per number of `numbers`,
    /// and of those with the text hashed to `text_hash`. Numbers with none are absent.
    pub fn daily_counts(
        &self,
        numbers: &[String],
        day: Millis,
        text_hash: i64,
    ) -> Result<HashMap<String, DailyCounts>> {
        daily_counts(self.conn(), numbers, day, text_hash)
    }

    /// Releases a held job.
    pub fn release_hold(&mut self, job_id: JobId, now: Millis) -> Result<HoldOutcome> {
        self.write(|c, cache| release_hold(c, cache, job_id, now))
    }

    /// Rejects a held job: it is cancelled.
    pub fn reject_hold(&mut self, job_id: JobId, now: Millis) -> Result<HoldOutcome> {
        self.write(|c, cache| reject_hold(c, cache, job_id, now))
    }

    /// Moves the queued recipients of released marketing jobs back to scheduled until
    /// `until` (the end of quiet hours), marking them `quiet_hours`; returns the jobs.
    pub fn park_marketing(&mut self, until: Millis, now: Millis) -> Result<Vec<JobId>> {
        self.write(|c, cache| park_marketing(c, cache, until, now))
    }
}

impl StoreHandle {
    /// [`Store::enqueue_with_policy`].
    pub async fn enqueue_with_policy(
        &self,
        job: NewJob,
        policy: JobPolicy,
        now: Millis,
    ) -> Result<EnqueueOutcome> {
        self.call(move |s| s.enqueue_with_policy(&job, &policy, now))
            .await
    }

    /// [`Store::daily_counts`], on the read connection.
    pub async fn daily_counts(
        &self,
        numbers: Vec<String>,
        day: Millis,
        text_hash: i64,
    ) -> Result<HashMap<String, DailyCounts>> {
        self.read(move |c| daily_counts(c, &numbers, day, text_hash))
            .await
    }

    /// [`Store::release_hold`].
    pub async fn release_hold(&self, job_id: JobId, now: Millis) -> Result<HoldOutcome> {
        self.call(move |s| s.release_hold(job_id, now)).await
    }

    /// [`Store::reject_hold`].
    pub async fn reject_hold(&self, job_id: JobId, now: Millis) -> Result<HoldOutcome> {
        self.call(move |s| s.reject_hold(job_id, now)).await
    }

    /// [`Store::park_marketing`].
    pub async fn park_marketing(&self, until: Millis, now: Millis) -> Result<Vec<JobId>> {
        self.call(move |s| s.park_marketing(until, now)).await
    }

    /// A job's category, text as sent, hold and skipped recipients; `None`: no such job.
    pub async fn job_policy(&self, job_id: JobId) -> Result<Option<JobPolicyView>> {
        self.read(move |c| job_policy(c, job_id)).await
    }

    /// The job holding idempotency key `key`, if one does, on the read connection.
    pub async fn job_by_idempotency_key(&self, key: String) -> Result<Option<JobId>> {
        self.read(move |c| {
            Ok(c.prepare_cached(super::jobs::BY_IDEMPOTENCY_KEY)?
                .query_row([&key], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    /// Jobs waiting for review, oldest first, at most `limit`.
    pub async fn held_jobs(&self, limit: usize) -> Result<Vec<HeldJob>> {
        self.read(move |c| held_jobs(c, limit)).await
    }
}

fn enqueue_with_policy(
    c: &Connection,
    cache: &mut Cache,
    job: &NewJob,
    policy: &JobPolicy,
    now: Millis,
) -> Result<EnqueueOutcome> {
    let out = enqueue_job(c, cache, job, now, policy.hold_reason.is_some())?;
    if out.created {
        record_policy(c, cache, job, out.job_id, policy, now)?;
    }
    Ok(out)
}

/// Writes what the policy decided for a job just created (category, text as sent, hold,
/// skips, the day's marketing counts) and queues its webhook events, in the caller's
/// transaction: [`enqueue_with_policy`], and a send that asks for replies
/// (`polls.rs`), which is enqueued with its poll.
pub(crate) fn record_policy(
    c: &Connection,
    cache: &mut Cache,
    job: &NewJob,
    job_id: JobId,
    policy: &JobPolicy,
    now: Millis,
) -> Result<()> {
    let held = policy.hold_reason.is_some();
    c.prepare_cached(
        "UPDATE jobs SET category = ?2, sent_text = ?3, hold = ?4, hold_reason = ?5,
                hold_send_at = ?6, wait_reason = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        job_id,
        policy.category,
        policy.sent_text,
        held.then_some(HELD),
        policy.hold_reason,
        if held { job.send_at } else { None },
        policy.wait_reason,
    ])?;
    let mut skip = c.prepare_cached(
        "INSERT OR IGNORE INTO job_skips (job_id, number, reason, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for s in &policy.skips {
        skip.execute(params![job_id, s.number, s.reason, now])?;
    }
    if let Some((day, hash)) = policy.count {
        // Yesterday's counts of a number go when it is counted again: the table holds
        // about one day of marketing numbers, with no sweep.
        let mut prune =
            c.prepare_cached("DELETE FROM marketing_day_counts WHERE number = ?1 AND day < ?2")?;
        let mut add = c.prepare_cached(
            "INSERT INTO marketing_day_counts (number, day, text_hash, sends) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (number, day, text_hash) DO UPDATE SET sends = sends + 1",
        )?;
        for r in &job.recipients {
            prune.execute(params![r.number, day])?;
            add.execute(params![r.number, day, hash])?;
        }
    }
    if !policy.skips.is_empty() {
        let data = serde_json::json!({
            "job_id": job_id,
            "category": policy.category,
            "skipped": policy.skips,
        });
        queue(c, &cache.webhooks, WebhookEvent::Skipped, data, now)?;
    }
    if held {
        let data = serde_json::json!({
            "job_id": job_id,
            "category": policy.category,
            "hold": HELD,
            "reason": policy.hold_reason,
            "recipients": job.recipients.len(),
        });
        queue(c, &cache.webhooks, WebhookEvent::Held, data, now)?;
    }
    Ok(())
}

fn daily_counts(
    c: &Connection,
    numbers: &[String],
    day: Millis,
    text_hash: i64,
) -> Result<HashMap<String, DailyCounts>> {
    let mut out: HashMap<String, DailyCounts> = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT number, text_hash, sends FROM marketing_day_counts
             WHERE day = ?1 AND number IN ({marks})"
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let mut bound: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() + 1);
        bound.push(&day);
        for n in chunk {
            bound.push(n);
        }
        let mut rows = stmt.query(bound.as_slice())?;
        while let Some(r) = rows.next()? {
            let sends = u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX);
            let e = out.entry(r.get(0)?).or_default();
            e.marketing = e.marketing.saturating_add(sends);
            if r.get::<_, i64>(1)? == text_hash {
                e.identical = e.identical.saturating_add(sends);
            }
        }
    }
    Ok(out)
}

/// The ranges of a job and its hold state.
struct HoldRow {
    phase: JobPhase,
    hold: Option<String>,
    hold_send_at: Option<Millis>,
}

fn hold_row(c: &Connection, job_id: JobId) -> Result<HoldRow> {
    c.prepare_cached("SELECT state, hold, hold_send_at FROM jobs WHERE id = ?1")?
        .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .map(
            |(phase, hold, hold_send_at): (i64, Option<String>, Option<Millis>)| {
                Ok::<_, StoreError>(HoldRow {
                    phase: JobPhase::from_code(phase)?,
                    hold,
                    hold_send_at,
                })
            },
        )
        .transpose()?
        .ok_or(StoreError::NotFound {
            what: "job",
            id: job_id,
        })
}

fn not_held(hold: Option<&str>) -> HoldOutcome {
    HoldOutcome::NotHeld {
        hold: match hold {
            Some(RELEASED) => Some(RELEASED),
            Some(REJECTED) => Some(REJECTED),
            _ => None,
        },
    }
}

fn release_hold(
    c: &Connection,
    cache: &mut Cache,
    job_id: JobId,
    now: Millis,
) -> Result<HoldOutcome> {
    let row = hold_row(c, job_id)?;
    if row.hold.as_deref() != Some(HELD) || row.phase != JobPhase::Scheduled {
        return Ok(not_held(row.hold.as_deref()));
    }
    // Its own send time, or now: the scheduler's promotion (below, at once when due)
    // moves it to the queue like any scheduled job, so expiry and cancel still apply.
    let send_at = row.hold_send_at.unwrap_or(now);
    c.prepare_cached(
        "UPDATE jobs SET hold = ?2, send_at = ?3, hold_send_at = NULL, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![job_id, RELEASED, send_at, now])?;
    if send_at <= now {
        super::jobs::promote_due_now(c, cache, now)?;
    }
    Ok(HoldOutcome::Released {
        state: job_state_of(c, job_id)?,
    })
}

fn reject_hold(
    c: &Connection,
    cache: &mut Cache,
    job_id: JobId,
    now: Millis,
) -> Result<HoldOutcome> {
    let row = hold_row(c, job_id)?;
    if row.hold.as_deref() != Some(HELD) {
        return Ok(not_held(row.hold.as_deref()));
    }
    c.prepare_cached("UPDATE jobs SET hold = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![job_id, REJECTED, now])?;
    match super::jobs::cancel_job(c, cache, job_id, now)? {
        super::model::CancelOutcome::Cancelled { recipients } => {
            Ok(HoldOutcome::Rejected { recipients })
        }
        // A held job never started; already cancelled means nothing is left to send.
        _ => Ok(HoldOutcome::Rejected { recipients: 0 }),
    }
}

/// Queued recipients' jobs that are released marketing (uses `recipients_claim`'s
/// condition: the queued rows are few next to history).
const QUEUED_MARKETING: &str = concat!(
    "SELECT j.id, j.first_recipient, j.recipients, j.first_segment, j.segments
     FROM jobs j
     WHERE j.category = 'marketing' AND j.state = ",
    job_phase!(released),
    " AND j.id IN (SELECT DISTINCT job_id FROM recipients WHERE state = ",
    dispatch_state!(queued),
    ")"
);

fn park_marketing(
    c: &Connection,
    cache: &mut Cache,
    until: Millis,
    now: Millis,
) -> Result<Vec<JobId>> {
    let jobs: Vec<(JobId, i64, i64, i64, i64)> = c
        .prepare_cached(QUEUED_MARKETING)?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut job = c.prepare_cached(concat!(
        "UPDATE jobs SET state = ",
        job_phase!(scheduled),
        ", send_at = ?2, wait_reason = ?3, updated_at = ?4 WHERE id = ?1"
    ))?;
    let mut recipients = c.prepare_cached(concat!(
        "UPDATE recipients SET state = ",
        dispatch_state!(scheduled),
        ", updated_at = ?3 WHERE id BETWEEN ?1 AND ?2 AND state = ",
        dispatch_state!(queued)
    ))?;
    let mut segments = c.prepare_cached(concat!(
        "UPDATE segments SET state = ",
        segment_state!(scheduled),
        ", updated_at = ?3 WHERE id BETWEEN ?1 AND ?2 AND state = ",
        segment_state!(queued)
    ))?;
    let mut out = Vec::with_capacity(jobs.len());
    for (id, fr, nr, fs, ns) in jobs {
        job.execute(params![id, until, QUIET_HOURS, now])?;
        recipients.execute(params![fr, fr + nr - 1, now])?;
        let n = segments.execute(params![fs, fs + ns - 1, now])?;
        cache
            .counts
            .moved(DeliveryState::Queued, DeliveryState::Scheduled, n);
        out.push(id);
    }
    Ok(out)
}

fn job_policy(c: &Connection, job_id: JobId) -> Result<Option<JobPolicyView>> {
    let row = c
        .prepare_cached(
            "SELECT category, sent_text, hold, hold_reason, wait_reason FROM jobs WHERE id = ?1",
        )?
        .query_row([job_id], |r| {
            Ok(JobPolicyView {
                category: r.get(0)?,
                sent_text: r.get(1)?,
                hold: r.get(2)?,
                hold_reason: r.get(3)?,
                wait_reason: r.get(4)?,
                skipped: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut view) = row else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT number, reason FROM job_skips WHERE job_id = ?1 ORDER BY created_at, number",
    )?;
    view.skipped = stmt
        .query_map([job_id], |r| {
            Ok(SkippedRecipient {
                number: r.get(0)?,
                reason: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(view))
}

fn held_jobs(c: &Connection, limit: usize) -> Result<Vec<HeldJob>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, category, sent_text, hold_reason, recipients, created_at
         FROM jobs WHERE hold = 'held' ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(HeldJob {
                job_id: r.get(0)?,
                category: r.get(1)?,
                sent_text: r.get(2)?,
                hold_reason: r.get(3)?,
                recipients: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;
    use crate::store::{ClaimRequest, NewRecipient, Priority, StoreOptions};

    fn job(numbers: &[&str]) -> NewJob {
        NewJob {
            sender: None,
            idempotency_key: None,
            priority: Priority::Bulk,
            text: "新品上市回T退订".into(),
            signature: "【鸿雁】".into(),
            source_ext: None,
            send_at: None,
            expires_at: None,
            recipients: numbers
                .iter()
                .map(|n| NewRecipient {
                    number: (*n).into(),
                    carrier: "cmcc".into(),
                    segments: 1,
                    reference: None,
                })
                .collect(),
        }
    }

    fn marketing() -> JobPolicy {
        JobPolicy {
            category: "marketing".into(),
            sent_text: Some("【鸿雁】新品上市回T退订".into()),
            ..JobPolicy::default()
        }
    }

    fn claim_all(s: &mut Store, now: Millis) -> Vec<String> {
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "l".into(),
            connection: 0,
            max_segments: 100,
        };
        s.claim(&req, now)
            .unwrap()
            .into_iter()
            .map(|m| m.number)
            .collect()
    }

    #[test]
    fn skips_category_and_sent_text_are_kept_with_the_job() {
        let db = TempDb::new("policy-skips");
        let mut s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        let mut p = marketing();
        p.skips = vec![SkippedRecipient {
            number: "13800000009".into(),
            reason: "opted_out".into(),
        }];
        let out = s
            .enqueue_with_policy(&job(&["13800000001"]), &p, 1_000)
            .unwrap();
        let view = job_policy(s.conn(), out.job_id).unwrap().unwrap();
        assert_eq!(view.category, "marketing");
        assert_eq!(view.sent_text.as_deref(), Some("【鸿雁】新品上市回T退订"));
        assert_eq!(view.skipped, p.skips);
        assert_eq!(view.hold, None);
    }

    #[test]
    fn daily_counts_sum_marketing_and_identical_texts_per_day() {
        let db = TempDb::new("policy-daily");
        let mut s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        let day = 86_400_000;
        let mut p = marketing();
        p.count = Some((day, 7));
        s.enqueue_with_policy(&job(&["13800000001", "13800000002"]), &p, day + 1)
            .unwrap();
        p.count = Some((day, 8));
        s.enqueue_with_policy(&job(&["13800000001"]), &p, day + 2)
            .unwrap();
        let numbers = vec!["13800000001".to_owned(), "13800000002".to_owned()];
        let got = s.daily_counts(&numbers, day, 7).unwrap();
        assert_eq!(
            got["13800000001"],
            DailyCounts {
                marketing: 2,
                identical: 1
            }
        );
        assert_eq!(
            got["13800000002"],
            DailyCounts {
                marketing: 1,
                identical: 1
            }
        );
        // The next day starts from nothing, and counting there drops the old day.
        let next = 2 * day;
        assert!(s.daily_counts(&numbers, next, 7).unwrap().is_empty());
        p.count = Some((next, 7));
        s.enqueue_with_policy(&job(&["13800000001"]), &p, next + 1)
            .unwrap();
        assert!(s.daily_counts(&numbers[..1], day, 7).unwrap().is_empty());
        // A notice (no count) adds nothing.
        s.enqueue_with_policy(&job(&["13800000002"]), &JobPolicy::default(), next + 2)
            .unwrap();
        assert!(s.daily_counts(&numbers[1..], next, 7).unwrap().is_empty());
    }

    #[test]
    fn a_held_job_is_never_claimed_until_released_and_a_rejected_one_never() {
        let db = TempDb::new("policy-hold");
        let mut s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        let mut p = marketing();
        p.hold_reason = Some("赌博".into());
        let held = s
            .enqueue_with_policy(&job(&["13800000001"]), &p, 1_000)
            .unwrap();
        assert_eq!(held.state, JobState::Scheduled);
        let other = s
            .enqueue_with_policy(&job(&["13800000002"]), &p, 1_000)
            .unwrap();
        assert_eq!(s.promote_due(10_000_000).unwrap(), Vec::<JobId>::new());
        assert!(claim_all(&mut s, 2_000).is_empty());
        let listed: Vec<JobId> = held_jobs(s.conn(), 10)
            .unwrap()
            .iter()
            .map(|h| h.job_id)
            .collect();
        assert_eq!(listed, [held.job_id, other.job_id]);

        let out = s.release_hold(held.job_id, 3_000).unwrap();
        assert_eq!(
            out,
            HoldOutcome::Released {
                state: JobState::Queued
            }
        );
        assert_eq!(claim_all(&mut s, 3_000), ["13800000001"]);
        assert_eq!(
            s.release_hold(held.job_id, 3_000).unwrap(),
            HoldOutcome::NotHeld {
                hold: Some(RELEASED)
            }
        );

        let out = s.reject_hold(other.job_id, 4_000).unwrap();
        assert_eq!(out, HoldOutcome::Rejected { recipients: 1 });
        assert!(claim_all(&mut s, 5_000).is_empty());
        assert_eq!(
            s.release_hold(other.job_id, 5_000).unwrap(),
            HoldOutcome::NotHeld {
                hold: Some(REJECTED)
            }
        );
        assert!(held_jobs(s.conn(), 10).unwrap().is_empty());
        assert!(matches!(
            s.release_hold(999, 5_000),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn a_held_job_with_a_later_send_time_waits_for_it_after_release() {
        let db = TempDb::new("policy-hold-later");
        let mut s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        let mut p = marketing();
        p.hold_reason = Some("赌博".into());
        let mut j = job(&["13800000001"]);
        j.send_at = Some(50_000);
        let held = s.enqueue_with_policy(&j, &p, 1_000).unwrap();
        assert_eq!(
            s.release_hold(held.job_id, 2_000).unwrap(),
            HoldOutcome::Released {
                state: JobState::Scheduled
            }
        );
        assert!(claim_all(&mut s, 2_000).is_empty());
        assert_eq!(s.promote_due(50_000).unwrap(), [held.job_id]);
        assert_eq!(claim_all(&mut s, 50_000), ["13800000001"]);
    }

    #[test]
    fn parking_takes_queued_marketing_back_until_the_end_and_leaves_notices() {
        let db = TempDb::new("policy-park");
        let mut s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        let m = s
            .enqueue_with_policy(&job(&["13800000001", "13800000002"]), &marketing(), 1_000)
            .unwrap();
        let notice = JobPolicy {
            category: "notice".into(),
            ..JobPolicy::default()
        };
        s.enqueue_with_policy(&job(&["13800000003"]), &notice, 1_000)
            .unwrap();
        // One marketing message already went before the boundary.
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "l".into(),
            connection: 0,
            max_segments: 1,
        };
        assert_eq!(s.claim(&req, 1_500).unwrap()[0].number, "13800000001");
        assert_eq!(s.park_marketing(90_000, 2_000).unwrap(), [m.job_id]);
        assert_eq!(
            s.park_marketing(90_000, 2_500).unwrap(),
            Vec::<JobId>::new()
        );
        let view = job_policy(s.conn(), m.job_id).unwrap().unwrap();
        assert_eq!(view.wait_reason.as_deref(), Some(QUIET_HOURS));
        assert_eq!(claim_all(&mut s, 3_000), ["13800000003"]);
        assert!(s.promote_due(89_999).unwrap().is_empty());
        assert_eq!(s.promote_due(90_000).unwrap(), [m.job_id]);
        assert_eq!(claim_all(&mut s, 90_000), ["13800000002"]);
        let view = job_policy(s.conn(), m.job_id).unwrap().unwrap();
        assert_eq!(view.wait_reason, None);
    }
}
