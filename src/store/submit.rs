//! Recording the carrier's answer to a submit: accepted with a message id (applying a
//! report that overtook the answer), or refused.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::db::{Cache, Store, orphans_may_exist};
use super::error::{Result, StoreError};
use super::handle::{Deferred, StoreHandle};
use super::model::{JobId, Millis, RecipientId, SegmentId, StoredReport, SubmitOutcome};
use super::place::{Located, SegmentPlace, locate, settle};
use super::sql_states::segment_state;
use super::state::{DeliveryState, ReportStatus};

/// What [`Store::mark_failed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailOutcome {
    /// The recipient of the segment.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
    /// The recipient's state now.
    pub recipient_state: DeliveryState,
}

impl Store {
    /// Records the carrier's acceptance of a segment and its message id. A report for that
    /// id that arrived earlier (kept as an orphan) is applied at once and returned.
    ///
    /// Accepted for segments `in_flight`, and for `unconfirmed` ones (a late answer is still
    /// the truth); anything else is [`StoreError::WrongState`].
    pub fn mark_submitted(
        &mut self,
        segment_id: SegmentId,
        msg_id: &str,
        now: Millis,
    ) -> Result<SubmitOutcome> {
        self.write(|c, cache| mark_submitted(c, cache, segment_id, msg_id, now))
    }

    /// [`mark_submitted`](Store::mark_submitted) for a segment whose place the caller
    /// knows (it claimed it): the usual answer — no orphan report waiting, segment in
    /// flight — then costs one row update instead of a read and an update. Anything else
    /// takes the full path, with the same outcome and errors.
    pub fn mark_submitted_at(
        &mut self,
        at: &SegmentPlace,
        msg_id: &str,
        now: Millis,
    ) -> Result<SubmitOutcome> {
        self.write(|c, cache| {
            if !orphans_may_exist(c, cache)? {
                let changed = c
                    .prepare_cached(MARK_SUBMITTED_IN_FLIGHT)?
                    .execute(params![at.segment_id, msg_id, now])?;
                if changed == 1 {
                    cache
                        .counts
                        .moved(DeliveryState::InFlight, DeliveryState::Submitted, changed);
                    let recipient_state = settle(c, at, DeliveryState::Submitted, now)?;
                    return Ok(SubmitOutcome {
                        recipient_id: at.recipient_id,
                        job_id: at.job_id,
                        recipient_state,
                        matched_report: None,
                    });
                }
            }
            mark_submitted(c, cache, at.segment_id, msg_id, now)
        })
    }

    /// Records that the carrier refused a segment (`code` is the protocol's result code).
    /// Same accepted states as [`mark_submitted`](Store::mark_submitted).
    pub fn mark_failed(
        &mut self,
        segment_id: SegmentId,
        code: i64,
        reason: &str,
        now: Millis,
    ) -> Result<FailOutcome> {
        self.write(|c, cache| mark_failed(c, cache, segment_id, code, reason, now))
    }
}

impl StoreHandle {
    /// [`Store::mark_submitted`].
    pub async fn mark_submitted(
        &self,
        segment_id: SegmentId,
        msg_id: String,
        now: Millis,
    ) -> Result<SubmitOutcome> {
        self.call(move |s| s.mark_submitted(segment_id, &msg_id, now))
            .await
    }

    /// [`Store::mark_submitted_at`], queued now and answered through the [`Deferred`].
    pub async fn mark_submitted_deferred(
        &self,
        at: SegmentPlace,
        msg_id: String,
        now: Millis,
    ) -> Result<Deferred<SubmitOutcome>> {
        self.call_deferred(move |s| s.mark_submitted_at(&at, &msg_id, now))
            .await
    }

    /// [`Store::mark_failed`].
    pub async fn mark_failed(
        &self,
        segment_id: SegmentId,
        code: i64,
        reason: String,
        now: Millis,
    ) -> Result<FailOutcome> {
        self.call(move |s| s.mark_failed(segment_id, code, &reason, now))
            .await
    }
}

/// Orphan reports waiting for a message id (uses `orphan_reports_msg`).
pub(crate) const ORPHANS_BY_MSG_ID: &str =
    "SELECT id, status, stat, err, received_at FROM orphan_reports
             WHERE carrier = ?1 AND msg_id = ?2";

/// The segment, if it can take a submit response (in flight, or unconfirmed: a late
/// answer is still the truth); otherwise the refusal.
fn answerable(c: &Connection, segment_id: SegmentId, operation: &'static str) -> Result<Located> {
    match locate(c, segment_id)? {
        None => Err(StoreError::NotFound {
            what: "segment",
            id: segment_id,
        }),
        Some(seg)
            if matches!(
                seg.state,
                DeliveryState::InFlight | DeliveryState::Unconfirmed
            ) =>
        {
            Ok(seg)
        }
        Some(seg) => Err(StoreError::WrongState {
            segment_id,
            state: seg.state,
            operation,
            expected: "in_flight or unconfirmed",
        }),
    }
}

/// A segment in one of `$states` accepted under a message id, no report yet. The states
/// are literals: a bound state would make SQLite prepare the statement again at every
/// call (see [`CLAIM_CANDIDATES`](super::claim::CLAIM_CANDIDATES)).
macro_rules! mark_submitted {
    ($($states:ident),+) => {
        concat!(
            "UPDATE segments
             SET state = ",
            segment_state!(submitted),
            ", msg_id = ?2, result = 0, submitted_at = ?3, updated_at = ?3
             WHERE id = ?1 AND state IN (",
            segment_state!($($states),+),
            ")"
        )
    };
}

/// The full path: in flight or unconfirmed, as `answerable` found it.
const MARK_SUBMITTED: &str = mark_submitted!(in_flight, unconfirmed);

/// The fast path: in flight only, so the segment counts know the state it left; an
/// unconfirmed segment (answered late) takes the full path.
const MARK_SUBMITTED_IN_FLIGHT: &str = mark_submitted!(in_flight);

fn mark_submitted(
    c: &Connection,
    cache: &mut Cache,
    segment_id: SegmentId,
    msg_id: &str,
    now: Millis,
) -> Result<SubmitOutcome> {
    let seg = answerable(c, segment_id, "mark_submitted")?;

    // A report that beat this response has been waiting as an orphan: apply it now.
    let mut orphans: Vec<(i64, StoredReport)> = Vec::new();
    if orphans_may_exist(c, cache)? {
        orphans = c
            .prepare_cached(ORPHANS_BY_MSG_ID)?
            .query_map(params![seg.carrier, msg_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?
            .map(|row| {
                let (id, status, stat, err, received_at) = row?;
                Ok((
                    id,
                    StoredReport {
                        status: ReportStatus::from_code(status)?,
                        stat,
                        err,
                        received_at,
                    },
                ))
            })
            .collect::<Result<_>>()?;
    }
    orphans.sort_unstable_by_key(|(id, _)| *id);
    if orphans.len() > 1 {
        // Same rule as for reports on a known segment: the first one stands.
        tracing::info!(
            segment = segment_id,
            msg_id,
            duplicates = orphans.len() - 1,
            "duplicate orphan reports matched; the first one applies"
        );
    }
    let matched_report = orphans.into_iter().next().map(|(_, report)| report);
    let state = match &matched_report {
        None => {
            let n = c
                .prepare_cached(MARK_SUBMITTED)?
                .execute(params![segment_id, msg_id, now])?;
            cache.counts.moved(seg.state, DeliveryState::Submitted, n);
            DeliveryState::Submitted
        }
        Some(report) => {
            c.prepare_cached("DELETE FROM orphan_reports WHERE carrier = ?1 AND msg_id = ?2")?
                .execute(params![seg.carrier, msg_id])?;
            // Maybe that was the last one; look again when next needed.
            cache.orphans = None;
            let n = c
                .prepare_cached(
                    "UPDATE segments
                     SET state = ?4, msg_id = ?2, result = 0, submitted_at = ?3,
                         updated_at = ?3, report_stat = ?5, report_err = ?6, reported_at = ?7
                     WHERE id = ?1",
                )?
                .execute(params![
                    segment_id,
                    msg_id,
                    now,
                    report.status.code(),
                    report.stat,
                    report.err,
                    report.received_at,
                ])?;
            let state = report.status.segment_state();
            cache.counts.moved(seg.state, state, n);
            state
        }
    };
    let recipient_state = settle(c, &seg.at, state, now)?;
    if let Some(report) = &matched_report {
        super::webhooks::report_event(
            c,
            &cache.webhooks,
            &seg.at,
            msg_id,
            report.status,
            &report.stat,
            &report.err,
            now,
        )?;
    }
    // No longer a candidate a kept report may be about: what it held back may settle.
    if orphans_may_exist(c, cache)? {
        super::unconfirmed::settle_orphans_beside(c, cache, segment_id, now)?;
    }
    Ok(SubmitOutcome {
        recipient_id: seg.at.recipient_id,
        job_id: seg.at.job_id,
        recipient_state,
        matched_report,
    })
}

fn mark_failed(
    c: &Connection,
    cache: &mut Cache,
    segment_id: SegmentId,
    code: i64,
    reason: &str,
    now: Millis,
) -> Result<FailOutcome> {
    let seg = answerable(c, segment_id, "mark_failed")?;
    let n = c
        .prepare_cached(concat!(
            "UPDATE segments SET state = ",
            segment_state!(failed),
            ", result = ?2, last_error = ?3, updated_at = ?4
             WHERE id = ?1"
        ))?
        .execute(params![segment_id, code, reason, now])?;
    cache.counts.moved(seg.state, DeliveryState::Failed, n);
    let recipient_state = settle(c, &seg.at, DeliveryState::Failed, now)?;
    // Refused: no report will be about it, so one kept for a part beside it may settle.
    if orphans_may_exist(c, cache)? {
        super::unconfirmed::settle_orphans_beside(c, cache, segment_id, now)?;
    }
    Ok(FailOutcome {
        recipient_id: seg.at.recipient_id,
        job_id: seg.at.job_id,
        recipient_state,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, enqueue_with, job};
    use crate::store::{JobState, Priority};

    #[test]
    fn submitted_then_reported_settles_recipient_and_job() {
        let db = TempDb::new("submit");
        let mut s = db.open();
        let id = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 2), ("2", 1)]), 0);
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let long = &claimed[0];
        let out = s
            .mark_submitted(long.segments[0].segment_id, "m-1", 2)
            .unwrap();
        assert_eq!(out.job_id, id);
        assert_eq!(out.recipient_id, long.recipient_id);
        assert_eq!(
            out.recipient_state,
            DeliveryState::InFlight,
            "part 2 still out"
        );
        assert_eq!(out.matched_report, None);
        let out = s
            .mark_submitted(long.segments[1].segment_id, "m-2", 3)
            .unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Submitted);
        let seg = &s.job_status(id).unwrap().unwrap().recipients[0].segments[1];
        assert_eq!(seg.msg_id.as_deref(), Some("m-2"));
        assert_eq!(seg.result, Some(0));
        assert_eq!(seg.submitted_at, Some(3));
        // Answered twice is refused.
        assert!(matches!(
            s.mark_submitted(long.segments[1].segment_id, "m-2", 4),
            Err(StoreError::WrongState {
                state: DeliveryState::Submitted,
                operation: "mark_submitted",
                ..
            })
        ));
        assert!(matches!(
            s.mark_submitted(9_999, "x", 4),
            Err(StoreError::NotFound {
                what: "segment",
                ..
            })
        ));
        let short = &claimed[1];
        s.mark_submitted(short.segments[0].segment_id, "m-3", 5)
            .unwrap();
        assert_eq!(
            s.job_status(id).unwrap().unwrap().state,
            JobState::Submitted
        );
    }

    #[test]
    fn refused_segment_fails_its_recipient() {
        let db = TempDb::new("fail");
        let mut s = db.open();
        let id = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 2), ("2", 1)]), 0);
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let out = s
            .mark_failed(claimed[0].segments[1].segment_id, 8, "flow rejected", 2)
            .unwrap();
        assert_eq!(out.job_id, id);
        assert_eq!(
            out.recipient_state,
            DeliveryState::InFlight,
            "part 1 still out"
        );
        let out = s
            .mark_submitted(claimed[0].segments[0].segment_id, "m", 3)
            .unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Failed);
        s.mark_failed(claimed[1].segments[0].segment_id, 13, "bad number", 4)
            .unwrap();
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.state, JobState::Failed);
        assert_eq!(
            st.recipients[0].last_error.as_deref(),
            Some("flow rejected")
        );
        let seg = &st.recipients[1].segments[0];
        assert_eq!(seg.state, DeliveryState::Failed);
        assert_eq!(seg.result, Some(13));
        assert_eq!(seg.last_error.as_deref(), Some("bad number"));
        assert!(matches!(
            s.mark_failed(seg.segment_id, 1, "again", 5),
            Err(StoreError::WrongState { .. })
        ));
        assert!(matches!(
            s.mark_failed(12_345, 1, "x", 5),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn a_late_answer_for_an_unconfirmed_segment_is_recorded() {
        let db = TempDb::new("late-answer");
        let mut s = db.open();
        enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 1), ("2", 1)]), 0);
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let unconfirmed = s.recover_on_start(false, 2).unwrap();
        assert_eq!(unconfirmed.len(), 2);
        let out = s
            .mark_submitted(claimed[0].segments[0].segment_id, "late", 3)
            .unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Submitted);
        let out = s
            .mark_failed(claimed[1].segments[0].segment_id, 9, "late refusal", 3)
            .unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Failed);
    }

    #[test]
    fn a_submit_answer_at_a_known_place_records_what_the_full_path_records() {
        use crate::store::testutil::report;
        let db = TempDb::new("submit-at");
        let mut s = db.open();
        let id = enqueue_with(
            &mut s,
            &job(Priority::Bulk, &[("1", 2), ("2", 1), ("3", 1)]),
            0,
        );
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let places: Vec<Vec<SegmentPlace>> = claimed
            .iter()
            .map(|m| {
                m.segments
                    .iter()
                    .map(|seg| SegmentPlace::of(m, seg))
                    .collect()
            })
            .collect();
        assert_eq!(places[0][1].part, 2);
        assert_eq!(places[0][1].parts, 2);

        // In flight, part 1 of 2: the recipient waits for part 2.
        let out = s.mark_submitted_at(&places[0][0], "m-1", 2).unwrap();
        assert_eq!(out.job_id, id);
        assert_eq!(out.recipient_id, claimed[0].recipient_id);
        assert_eq!(out.recipient_state, DeliveryState::InFlight);
        let out = s.mark_submitted_at(&places[0][1], "m-2", 3).unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Submitted);
        let seg = &s.job_status(id).unwrap().unwrap().recipients[0].segments[1];
        assert_eq!(
            (
                seg.state,
                seg.msg_id.as_deref(),
                seg.result,
                seg.submitted_at
            ),
            (DeliveryState::Submitted, Some("m-2"), Some(0), Some(3))
        );
        // Answered twice: refused, as on the full path, and nothing changed.
        assert!(matches!(
            s.mark_submitted_at(&places[0][1], "m-9", 4),
            Err(StoreError::WrongState {
                state: DeliveryState::Submitted,
                operation: "mark_submitted",
                ..
            })
        ));
        let seg = &s.job_status(id).unwrap().unwrap().recipients[0].segments[1];
        assert_eq!(seg.msg_id.as_deref(), Some("m-2"));
        // A place whose segment does not exist.
        let mut ghost = places[1][0];
        ghost.segment_id = 9_999;
        assert!(matches!(
            s.mark_submitted_at(&ghost, "x", 4),
            Err(StoreError::NotFound { .. })
        ));

        // A report that came before the answer is applied by it.
        assert!(matches!(
            s.record_report(&report("m-3", ReportStatus::Delivered), 4)
                .unwrap(),
            super::super::model::ReportOutcome::Orphaned { .. }
        ));
        let out = s.mark_submitted_at(&places[1][0], "m-3", 5).unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Delivered);
        assert_eq!(
            out.matched_report.map(|r| r.status),
            Some(ReportStatus::Delivered)
        );

        // Unconfirmed after a restart: a late answer still counts.
        s.recover_on_start(false, 6).unwrap();
        let out = s.mark_submitted_at(&places[2][0], "m-4", 7).unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Submitted);
        assert_eq!(
            s.job_status(id).unwrap().unwrap().state,
            JobState::Submitted
        );
    }
}
