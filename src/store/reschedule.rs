//! Moving a scheduled job to another time (the console's 定时 page): only while nothing
//! of it has been released, and keeping the time it may wait — its expiry moves by as
//! much as its send time, so a job set back a day is not expired on arrival.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::db::{Cache, Store};
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::jobs::job_ranges;
use super::model::{JobId, Millis};
use super::read::job_state_of;
use super::sql_states::dispatch_state;
use super::state::{JobPhase, JobState};

/// What [`Store::reschedule`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum RescheduleOutcome {
    /// The job now goes at `send_at` (a time not after now: at the scheduler's next
    /// tick) and expires at `expires_at`.
    Rescheduled {
        /// The new send time.
        send_at: Millis,
        /// The new expiry (moved by as much as the send time).
        expires_at: Option<Millis>,
    },
    /// The job is not scheduled (any more): released, sending, finished or cancelled.
    NotScheduled {
        /// Its state.
        state: JobState,
    },
}

impl Store {
    /// Moves scheduled job `job_id` to `send_at`; see the [module docs](self).
    pub fn reschedule(
        &mut self,
        job_id: JobId,
        send_at: Millis,
        now: Millis,
    ) -> Result<RescheduleOutcome> {
        self.write(|c, cache| reschedule(c, cache, job_id, send_at, now))
    }
}

impl StoreHandle {
    /// [`Store::reschedule`].
    pub async fn reschedule(
        &self,
        job_id: JobId,
        send_at: Millis,
        now: Millis,
    ) -> Result<RescheduleOutcome> {
        self.call(move |s| s.reschedule(job_id, send_at, now)).await
    }
}

fn reschedule(
    c: &Connection,
    _cache: &mut Cache,
    job_id: JobId,
    send_at: Millis,
    now: Millis,
) -> Result<RescheduleOutcome> {
    let Some(job) = job_ranges(c, job_id)? else {
        return Err(StoreError::NotFound {
            what: "job",
            id: job_id,
        });
    };
    if job.phase != JobPhase::Scheduled {
        return Ok(RescheduleOutcome::NotScheduled {
            state: job_state_of(c, job_id)?,
        });
    }
    let (old_send, old_expiry): (Option<Millis>, Option<Millis>) = c
        .prepare_cached("SELECT send_at, expires_at FROM jobs WHERE id = ?1")?
        .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None));
    // A time already past means "as soon as possible": the next tick releases it.
    let send_at = send_at.max(now);
    let expires_at = old_expiry.map(|e| {
        let shift = send_at.saturating_sub(old_send.unwrap_or(now));
        e.saturating_add(shift).max(send_at.saturating_add(1))
    });
    c.prepare_cached(
        "UPDATE jobs SET send_at = ?2, expires_at = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![job_id, send_at, expires_at, now])?;
    c.prepare_cached(concat!(
        "UPDATE recipients SET expires_at = ?3, updated_at = ?4
         WHERE id BETWEEN ?1 AND ?2 AND state = ",
        dispatch_state!(scheduled)
    ))?
    .execute(params![
        job.first_recipient,
        job.last_recipient,
        expires_at,
        now
    ])?;
    Ok(RescheduleOutcome::Rescheduled {
        send_at,
        expires_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, one};

    #[test]
    fn a_scheduled_job_moves_with_its_expiry_and_is_released_at_the_new_time() {
        let db = TempDb::new("reschedule");
        let mut s = db.open();
        let mut j = one("13800000001");
        j.send_at = Some(10_000);
        j.expires_at = Some(20_000);
        let id = s.enqueue(&j, 1_000).unwrap().job_id;
        let out = s.reschedule(id, 50_000, 2_000).unwrap();
        assert_eq!(
            out,
            RescheduleOutcome::Rescheduled {
                send_at: 50_000,
                expires_at: Some(60_000)
            }
        );
        // Not due at the old time; the expiry moved with it, so it does not expire there.
        assert!(s.promote_due(10_000).unwrap().is_empty());
        assert!(s.expire(20_000).unwrap().is_empty());
        assert_eq!(s.promote_due(50_000).unwrap(), vec![id]);
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.state, JobState::Queued);
        // Released: too late to move.
        assert_eq!(
            s.reschedule(id, 90_000, 51_000).unwrap(),
            RescheduleOutcome::NotScheduled {
                state: JobState::Queued
            }
        );
    }

    #[test]
    fn earlier_and_past_times_and_unknown_or_cancelled_jobs() {
        let db = TempDb::new("reschedule-earlier");
        let mut s = db.open();
        let mut j = one("13800000001");
        j.send_at = Some(100_000);
        j.expires_at = Some(200_000);
        let id = s.enqueue(&j, 1_000).unwrap().job_id;
        // Earlier, into the past: due now, and it keeps a window to be sent in.
        match s.reschedule(id, 500, 2_000).unwrap() {
            RescheduleOutcome::Rescheduled {
                send_at,
                expires_at,
            } => {
                assert_eq!(send_at, 2_000);
                assert!(expires_at.unwrap() > send_at);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.promote_due(2_000).unwrap(), vec![id]);
        let mut k = one("13800000002");
        k.send_at = Some(100_000);
        let cancelled = s.enqueue(&k, 1_000).unwrap().job_id;
        s.cancel(cancelled, 1_500).unwrap();
        assert_eq!(
            s.reschedule(cancelled, 300_000, 2_000).unwrap(),
            RescheduleOutcome::NotScheduled {
                state: JobState::Cancelled
            }
        );
        assert!(matches!(
            s.reschedule(9_999, 1, 1),
            Err(StoreError::NotFound { what: "job", .. })
        ));
    }
}
