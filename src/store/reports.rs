//! Delivery reports: applied to the segment with that carrier message id, or kept as an
//! orphan until a submit response names the id (see `submit::mark_submitted`) — unless
//! the orphan identifies an unconfirmed segment by link, number and submit time
//! (`unconfirmed.rs`).

use rusqlite::{Connection, OptionalExtension, params};

use super::db::{Cache, Store};
use super::error::Result;
use super::handle::{Deferred, StoreHandle};
use super::model::{Millis, NewReport, OrphanReport, ReportOutcome, StoredReport};
use super::place::{SegmentPlace, settle};
use super::sql_states::segment_state;
use super::state::{DeliveryState, ReportStatus};

impl Store {
    /// Applies a delivery report to the segment the carrier gave `msg_id` to.
    ///
    /// * the newest `submitted` segment with that id takes it ([`ReportOutcome::Matched`]);
    /// * a segment with that id that already has a report keeps the first one
    ///   ([`ReportOutcome::Duplicate`]);
    /// * no segment with that id: the report is kept in `orphan_reports`
    ///   ([`ReportOutcome::Orphaned`]) and applied when a submit response with the id is
    ///   recorded — never dropped; or, when its link, number and submit time identify an
    ///   unconfirmed segment (whose response was lost), it settles that segment at once
    ///   ([`ReportOutcome::Matched`]).
    pub fn record_report(&mut self, report: &NewReport, now: Millis) -> Result<ReportOutcome> {
        self.write(|c, cache| record_report(c, cache, report, now))
    }

    /// Settles the unconfirmed segments that orphan reports kept earlier identify (a
    /// report that overtook its submit response, then hongyan stopped before the
    /// response was stored: the segment became unconfirmed after its report came).
    /// Returns how many segments were settled. See `unconfirmed.rs`.
    pub fn settle_unconfirmed_by_orphans(&mut self, now: Millis) -> Result<usize> {
        self.write(|c, cache| super::unconfirmed::settle_orphans(c, cache, now))
    }

    /// Reports still waiting for their segment, oldest first.
    pub fn orphan_reports(&self, limit: usize) -> Result<Vec<OrphanReport>> {
        orphan_reports(self.conn(), limit)
    }

    /// The report deadline: segments submitted at or before `cutoff` and still waiting for
    /// their status report become [`DeliveryState::Unreported`] (final), oldest first, at
    /// most `limit` of them per call so one call never holds the writer for long. A report
    /// that comes later still applies ([`record_report`](Store::record_report)).
    pub fn expire_reports(
        &mut self,
        cutoff: Millis,
        limit: usize,
        now: Millis,
    ) -> Result<Vec<UnreportedSegment>> {
        self.write(|c, cache| expire_reports(c, cache, cutoff, limit, now))
    }
}

impl StoreHandle {
    /// [`Store::expire_reports`].
    pub async fn expire_reports(
        &self,
        cutoff: Millis,
        limit: usize,
        now: Millis,
    ) -> Result<Vec<UnreportedSegment>> {
        self.call(move |s| s.expire_reports(cutoff, limit, now))
            .await
    }

    /// [`Store::record_report`].
    pub async fn record_report(&self, report: NewReport, now: Millis) -> Result<ReportOutcome> {
        self.call(move |s| s.record_report(&report, now)).await
    }

    /// [`Store::record_report`], queued now and answered through the [`Deferred`].
    pub async fn record_report_deferred(
        &self,
        report: NewReport,
        now: Millis,
    ) -> Result<Deferred<ReportOutcome>> {
        self.call_deferred(move |s| s.record_report(&report, now))
            .await
    }

    /// [`Store::settle_unconfirmed_by_orphans`].
    pub async fn settle_unconfirmed_by_orphans(&self, now: Millis) -> Result<usize> {
        self.call(move |s| s.settle_unconfirmed_by_orphans(now))
            .await
    }

    /// [`Store::orphan_reports`], on the read connection.
    pub async fn orphan_reports(&self, limit: usize) -> Result<Vec<OrphanReport>> {
        self.read(move |c| super::reports::orphan_reports(c, limit))
            .await
    }
}

/// A segment whose status report did not come in time (see [`Store::expire_reports`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnreportedSegment {
    /// The segment.
    pub segment_id: i64,
    /// Its recipient.
    pub recipient_id: i64,
    /// Its job.
    pub job_id: i64,
    /// The carrier's message id.
    pub msg_id: String,
    /// When the carrier accepted it.
    pub submitted_at: Millis,
    /// The recipient's state now.
    pub recipient_state: DeliveryState,
}

/// Why a segment is unreported (`segments.last_error`).
pub(crate) const NO_REPORT: &str = "no status report came within queue.report_timeout";

/// Segments past the report deadline, oldest first (uses `segments_awaiting_report`).
pub(crate) const AWAITING_REPORT_DUE: &str = concat!(
    "SELECT id, recipient_id, job_id, part, parts, msg_id, submitted_at FROM segments
             WHERE state = ",
    segment_state!(submitted),
    " AND submitted_at <= ?1 ORDER BY submitted_at LIMIT ?2"
);

fn expire_reports(
    c: &Connection,
    cache: &mut Cache,
    cutoff: Millis,
    limit: usize,
    now: Millis,
) -> Result<Vec<UnreportedSegment>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let due: Vec<(SegmentPlace, Option<String>, Option<Millis>)> = c
        .prepare_cached(AWAITING_REPORT_DUE)?
        .query_map(params![cutoff, limit], |r| {
            Ok((
                SegmentPlace {
                    segment_id: r.get(0)?,
                    recipient_id: r.get(1)?,
                    job_id: r.get(2)?,
                    part: r.get(3)?,
                    parts: r.get(4)?,
                },
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut mark = c.prepare_cached(concat!(
        "UPDATE segments SET state = ",
        segment_state!(unreported),
        ", last_error = ?2, updated_at = ?3
         WHERE id = ?1 AND state = ",
        segment_state!(submitted)
    ))?;
    let mut out = Vec::with_capacity(due.len());
    for (at, msg_id, submitted_at) in due {
        let n = mark.execute(params![at.segment_id, NO_REPORT, now])?;
        cache
            .counts
            .moved(DeliveryState::Submitted, DeliveryState::Unreported, n);
        let recipient_state = settle(c, &at, DeliveryState::Unreported, now)?;
        super::webhooks::unreported_event(
            c,
            &cache.webhooks,
            &at,
            msg_id.as_deref().unwrap_or_default(),
            submitted_at,
            recipient_state,
            now,
        )?;
        out.push(UnreportedSegment {
            segment_id: at.segment_id,
            recipient_id: at.recipient_id,
            job_id: at.job_id,
            msg_id: msg_id.unwrap_or_default(),
            submitted_at: submitted_at.unwrap_or_default(),
            recipient_state,
        });
    }
    Ok(out)
}

/// Segments the carrier gave a message id (uses `segments_msg`).
pub(crate) const SEGMENTS_BY_MSG_ID: &str =
    "SELECT id, state, recipient_id, job_id, part, parts FROM segments
             WHERE carrier = ?1 AND msg_id = ?2";

fn record_report(
    c: &Connection,
    cache: &mut Cache,
    report: &NewReport,
    now: Millis,
) -> Result<ReportOutcome> {
    // Every segment with this id (almost always one); no ORDER BY, which would cost a
    // sorter per report. The newest one still awaiting a report takes it — or whose
    // report was given up on (unreported): a late report is still the truth.
    let mut newest_submitted: Option<(SegmentPlace, DeliveryState)> = None;
    let mut newest_any: Option<i64> = None;
    {
        let mut stmt = c.prepare_cached(SEGMENTS_BY_MSG_ID)?;
        let mut rows = stmt.query(params![report.carrier, report.msg_id])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            newest_any = newest_any.max(Some(id));
            let state = r.get::<_, i64>(1)?;
            if (state == DeliveryState::Submitted.code()
                || state == DeliveryState::Unreported.code())
                && newest_submitted
                    .as_ref()
                    .is_none_or(|(p, _)| p.segment_id < id)
            {
                let place = SegmentPlace {
                    segment_id: id,
                    recipient_id: r.get(2)?,
                    job_id: r.get(3)?,
                    part: r.get(4)?,
                    parts: r.get(5)?,
                };
                newest_submitted =
                    Some((place, DeliveryState::from_code(state, "segments.state")?));
            }
        }
    }
    let state = report.status.segment_state();
    if let Some((at, was)) = newest_submitted {
        let error = (report.status != ReportStatus::Delivered)
            .then(|| format!("report {} {}", report.stat, report.err));
        let n = c
            .prepare_cached(
                "UPDATE segments
             SET state = ?2, report_stat = ?3, report_err = ?4, reported_at = ?5,
                 updated_at = ?5, last_error = coalesce(?6, last_error)
             WHERE id = ?1",
            )?
            .execute(params![
                at.segment_id,
                state.code(),
                report.stat,
                report.err,
                now,
                error
            ])?;
        cache.counts.moved(was, state, n);
        let recipient_state = settle(c, &at, state, now)?;
        super::webhooks::report_event(
            c,
            &cache.webhooks,
            &at,
            &report.msg_id,
            report.status,
            &report.stat,
            &report.err,
            now,
        )?;
        return Ok(ReportOutcome::Matched {
            segment_id: at.segment_id,
            recipient_id: at.recipient_id,
            job_id: at.job_id,
            recipient_state,
        });
    }
    if let Some(segment_id) = newest_any {
        tracing::debug!(
            segment = segment_id,
            msg_id = %report.msg_id,
            stat = %report.stat,
            "duplicate delivery report; the first one stands"
        );
        return Ok(ReportOutcome::Duplicate { segment_id });
    }

    // The gateway's repeat of a report kept already (committed, its answer lost to a
    // restart): kept once, the first one standing, as for a report on a known segment.
    // A second copy would count as another part's report when the parts of a long
    // message are settled by identity (`unconfirmed.rs`).
    let kept: Option<i64> = c
        .prepare_cached(
            "SELECT id FROM orphan_reports WHERE carrier = ?1 AND msg_id = ?2 ORDER BY id LIMIT 1",
        )?
        .query_row(params![report.carrier, report.msg_id], |r| r.get(0))
        .optional()?;
    if let Some(orphan_id) = kept {
        tracing::debug!(msg_id = %report.msg_id, orphan = orphan_id, "report kept already; the first one stands");
        return Ok(ReportOutcome::Orphaned { orphan_id });
    }
    c.prepare_cached(
        "INSERT INTO orphan_reports (carrier, msg_id, status, stat, err, raw, received_at,
                                     link, recipient, submitted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        report.carrier,
        report.msg_id,
        report.status.code(),
        report.stat,
        report.err,
        report.raw,
        now,
        report.link,
        report.recipient,
        report.submitted_at
    ])?;
    cache.orphans = Some(true);
    let orphan_id = c.last_insert_rowid();
    // No segment has the id; an unconfirmed one (its submit response lost) may be it.
    if let Some(out) = super::unconfirmed::settle_by_identity(c, cache, report, orphan_id, now)? {
        return Ok(out);
    }
    Ok(ReportOutcome::Orphaned { orphan_id })
}

pub(crate) fn orphan_reports(c: &Connection, limit: usize) -> Result<Vec<OrphanReport>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, carrier, msg_id, status, stat, err, raw, received_at
         FROM orphan_reports ORDER BY id LIMIT ?1",
    )?;
    let mut rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(OrphanReport {
            id: r.get(0)?,
            carrier: r.get(1)?,
            msg_id: r.get(2)?,
            report: StoredReport {
                status: ReportStatus::from_code(r.get(3)?)?,
                stat: r.get(4)?,
                err: r.get(5)?,
                received_at: r.get(7)?,
            },
            raw: r.get(6)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, job, one, report};
    use crate::store::{DeliveryState, JobState, Priority};

    #[test]
    fn report_after_submit_response_is_matched() {
        let db = TempDb::new("report-match");
        let mut s = db.open();
        let id = s
            .enqueue(&job(Priority::Bulk, &[("1", 2), ("2", 1)]), 0)
            .unwrap()
            .job_id;
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let p1 = claimed[0].segments[0].segment_id;
        let p2 = claimed[0].segments[1].segment_id;
        let solo = claimed[1].segments[0].segment_id;
        s.mark_submitted(p1, "100", 2).unwrap();
        s.mark_submitted(p2, "101", 2).unwrap();
        s.mark_submitted(solo, "102", 2).unwrap();

        match s
            .record_report(&report("100", ReportStatus::Delivered), 3)
            .unwrap()
        {
            ReportOutcome::Matched {
                segment_id,
                recipient_id,
                job_id,
                recipient_state,
            } => {
                assert_eq!(segment_id, p1);
                assert_eq!(recipient_id, claimed[0].recipient_id);
                assert_eq!(job_id, id);
                assert_eq!(
                    recipient_state,
                    DeliveryState::Submitted,
                    "part 2 unreported"
                );
            }
            other => panic!("{other:?}"),
        }
        let out = s
            .record_report(&report("101", ReportStatus::Delivered), 4)
            .unwrap();
        assert!(matches!(
            out,
            ReportOutcome::Matched {
                recipient_state: DeliveryState::Delivered,
                ..
            }
        ));
        assert_eq!(
            s.job_status(id).unwrap().unwrap().state,
            JobState::Submitted
        );
        let out = s
            .record_report(&report("102", ReportStatus::Failed), 5)
            .unwrap();
        assert!(matches!(
            out,
            ReportOutcome::Matched {
                recipient_state: DeliveryState::Failed,
                ..
            }
        ));
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.state, JobState::PartlyDelivered);
        let seg = &st.recipients[1].segments[0];
        assert_eq!(seg.report_stat.as_deref(), Some("Failed"));
        assert_eq!(seg.report_err.as_deref(), Some("000"));
        assert_eq!(seg.reported_at, Some(5));
        assert_eq!(
            st.recipients[1].last_error.as_deref(),
            Some("report Failed 000")
        );

        // A second report for a reported segment: the first stands.
        let out = s
            .record_report(&report("102", ReportStatus::Delivered), 6)
            .unwrap();
        assert_eq!(out, ReportOutcome::Duplicate { segment_id: solo });
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.recipients[1].state, DeliveryState::Failed);
        assert_eq!(s.queue_depth().unwrap().orphan_reports, 0);
    }

    #[test]
    fn expired_report_expires_the_segment() {
        let db = TempDb::new("report-expired");
        let mut s = db.open();
        let id = s.enqueue(&one("1"), 0).unwrap().job_id;
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        s.mark_submitted(c[0].segments[0].segment_id, "7", 2)
            .unwrap();
        s.record_report(&report("7", ReportStatus::Expired), 3)
            .unwrap();
        assert_eq!(s.job_status(id).unwrap().unwrap().state, JobState::Expired);
    }

    #[test]
    fn report_before_submit_response_is_orphaned_then_matched() {
        let db = TempDb::new("report-orphan");
        let mut s = db.open();
        let id = s.enqueue(&one("1"), 0).unwrap().job_id;
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let seg = c[0].segments[0].segment_id;
        let mut early = report("555", ReportStatus::Delivered);
        early.raw = Some(r#"{"stat":"DELIVRD"}"#.into());
        let orphan_id = match s.record_report(&early, 2).unwrap() {
            ReportOutcome::Orphaned { orphan_id } => orphan_id,
            other => panic!("{other:?}"),
        };
        // Same id from another carrier is a different message.
        let mut other_carrier = report("555", ReportStatus::Failed);
        other_carrier.carrier = "ctcc".into();
        assert!(matches!(
            s.record_report(&other_carrier, 2).unwrap(),
            ReportOutcome::Orphaned { .. }
        ));
        let orphans = s.orphan_reports(10).unwrap();
        assert_eq!(orphans.len(), 2);
        assert_eq!(orphans[0].id, orphan_id);
        assert_eq!(orphans[0].msg_id, "555");
        assert_eq!(orphans[0].raw.as_deref(), Some(r#"{"stat":"DELIVRD"}"#));
        assert_eq!(orphans[0].report.received_at, 2);

        let out = s.mark_submitted(seg, "555", 3).unwrap();
        assert_eq!(out.recipient_state, DeliveryState::Delivered);
        let matched = out.matched_report.unwrap();
        assert_eq!(matched.status, ReportStatus::Delivered);
        assert_eq!(matched.received_at, 2);
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.state, JobState::Delivered);
        assert_eq!(st.recipients[0].segments[0].msg_id.as_deref(), Some("555"));
        assert_eq!(st.recipients[0].segments[0].reported_at, Some(2));
        let left = s.orphan_reports(10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].carrier, "ctcc");
    }

    #[test]
    fn orphans_are_found_whenever_the_table_has_some_again() {
        // The writer remembers whether orphan_reports is empty to skip the lookup; that
        // memory must follow every insert, match and rollback.
        let db = TempDb::new("report-orphan-cache");
        let mut s = db.open();
        for n in ["1", "2", "3"] {
            s.enqueue(&one(n), 0).unwrap();
        }
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let seg = |i: usize| c[i].segments[0].segment_id;
        s.mark_submitted(seg(0), "a", 2).unwrap(); // empty table: no lookup
        s.record_report(&report("b", ReportStatus::Delivered), 3)
            .unwrap();
        assert!(
            s.mark_submitted(seg(1), "b", 4)
                .unwrap()
                .matched_report
                .is_some()
        );
        // The table is empty again; a new orphan must still be seen.
        s.record_report(&report("c", ReportStatus::Failed), 5)
            .unwrap();
        // An orphan written in a transaction that rolls back is forgotten with it.
        s.begin().unwrap();
        s.record_report(&report("zz", ReportStatus::Failed), 5)
            .unwrap();
        s.rollback();
        let out = s.mark_submitted(seg(2), "c", 6).unwrap();
        assert_eq!(out.matched_report.unwrap().status, ReportStatus::Failed);
        assert!(s.orphan_reports(10).unwrap().is_empty());
    }

    #[test]
    fn duplicate_orphans_apply_the_first() {
        let db = TempDb::new("report-orphan-dup");
        let mut s = db.open();
        s.enqueue(&one("1"), 0).unwrap();
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        s.record_report(&report("9", ReportStatus::Failed), 2)
            .unwrap();
        s.record_report(&report("9", ReportStatus::Delivered), 3)
            .unwrap();
        let out = s
            .mark_submitted(c[0].segments[0].segment_id, "9", 4)
            .unwrap();
        assert_eq!(out.matched_report.unwrap().status, ReportStatus::Failed);
        assert_eq!(out.recipient_state, DeliveryState::Failed);
        assert_eq!(s.queue_depth().unwrap().orphan_reports, 0);
    }

    #[test]
    fn reused_msg_id_goes_to_the_newest_unreported_segment() {
        let db = TempDb::new("report-reuse");
        let mut s = db.open();
        s.enqueue(&one("1"), 0).unwrap();
        s.enqueue(&one("2"), 0).unwrap();
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let (a, b) = (c[0].segments[0].segment_id, c[1].segments[0].segment_id);
        s.mark_submitted(a, "42", 2).unwrap();
        s.mark_submitted(b, "42", 3).unwrap();
        let first = s
            .record_report(&report("42", ReportStatus::Delivered), 4)
            .unwrap();
        assert!(matches!(first, ReportOutcome::Matched { segment_id, .. } if segment_id == b));
        let second = s
            .record_report(&report("42", ReportStatus::Delivered), 5)
            .unwrap();
        assert!(matches!(second, ReportOutcome::Matched { segment_id, .. } if segment_id == a));
        let third = s
            .record_report(&report("42", ReportStatus::Delivered), 6)
            .unwrap();
        assert_eq!(third, ReportOutcome::Duplicate { segment_id: b });
    }

    #[test]
    fn an_orphan_survives_reopening_the_file_and_is_matched_later() {
        let db = TempDb::new("report-orphan-reopen");
        let seg = {
            let mut s = db.open();
            s.enqueue(&one("1"), 0).unwrap();
            let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
            assert!(matches!(
                s.record_report(&report("77", ReportStatus::Delivered), 2)
                    .unwrap(),
                ReportOutcome::Orphaned { .. }
            ));
            c[0].segments[0].segment_id
        };
        let mut s = db.open();
        assert_eq!(s.orphan_reports(10).unwrap().len(), 1);
        // The segment was in flight at the "crash"; a late submit response still lands and
        // picks up the orphan.
        let unconfirmed = s.recover_on_start(false, 3).unwrap();
        assert_eq!(unconfirmed.len(), 1);
        let out = s.mark_submitted(seg, "77", 4).unwrap();
        assert!(out.matched_report.is_some());
        assert_eq!(out.recipient_state, DeliveryState::Delivered);
        assert!(s.orphan_reports(10).unwrap().is_empty());
    }

    #[test]
    fn a_report_for_a_segment_submitted_before_a_restart_is_matched_after_it() {
        let db = TempDb::new("report-restart");
        {
            let mut s = db.open();
            s.enqueue(&one("1"), 0).unwrap();
            let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
            s.mark_submitted(c[0].segments[0].segment_id, "abc", 2)
                .unwrap();
        }
        let mut s = db.open();
        assert!(s.recover_on_start(false, 3).unwrap().is_empty());
        assert!(matches!(
            s.record_report(&report("abc", ReportStatus::Delivered), 4)
                .unwrap(),
            ReportOutcome::Matched {
                recipient_state: DeliveryState::Delivered,
                ..
            }
        ));
    }

    #[test]
    fn segments_past_the_report_deadline_become_unreported_and_a_late_report_still_applies() {
        let db = TempDb::new("report-deadline");
        let mut s = db.open();
        let job = s
            .enqueue(&job(Priority::Bulk, &[("1", 2), ("2", 1), ("3", 1)]), 0)
            .unwrap()
            .job_id;
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let (p1, p2) = (c[0].segments[0].segment_id, c[0].segments[1].segment_id);
        let (two, three) = (c[1].segments[0].segment_id, c[2].segments[0].segment_id);
        s.mark_submitted(p1, "p1", 10).unwrap();
        s.mark_submitted(two, "two", 20).unwrap();
        s.mark_submitted(p2, "p2", 30).unwrap();
        s.mark_submitted(three, "three", 40).unwrap();
        s.record_report(&report("p2", ReportStatus::Delivered), 41)
            .unwrap();

        // Nothing is due before its time; the oldest go first, `limit` at a time.
        assert!(s.expire_reports(9, 100, 50).unwrap().is_empty());
        let first = s.expire_reports(35, 1, 50).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(
            (
                first[0].segment_id,
                first[0].msg_id.as_str(),
                first[0].submitted_at
            ),
            (p1, "p1", 10)
        );
        // Part 2 was delivered, part 1 never reported: the message is unreported.
        assert_eq!(first[0].recipient_state, DeliveryState::Unreported);
        let next = s.expire_reports(35, 100, 51).unwrap();
        let ids: Vec<i64> = next.iter().map(|u| u.segment_id).collect();
        assert_eq!(ids, vec![two], "p2 has its report; three is not due");

        let st = s.job_status(job).unwrap().unwrap();
        let states: Vec<DeliveryState> = st.recipients.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            vec![
                DeliveryState::Unreported,
                DeliveryState::Unreported,
                DeliveryState::Submitted
            ]
        );
        assert!(st.recipients[0].state.is_final());
        assert_eq!(st.state, JobState::Submitted, "three still waits");

        // A late report is still the truth.
        match s
            .record_report(&report("two", ReportStatus::Delivered), 60)
            .unwrap()
        {
            ReportOutcome::Matched {
                segment_id,
                recipient_state,
                ..
            } => {
                assert_eq!(segment_id, two);
                assert_eq!(recipient_state, DeliveryState::Delivered);
            }
            other => panic!("{other:?}"),
        }
        s.record_report(&report("three", ReportStatus::Delivered), 61)
            .unwrap();
        let st = s.job_status(job).unwrap().unwrap();
        assert_eq!(st.state, JobState::Unreported, "p1's report never came");
        // Nothing left waiting.
        assert!(s.expire_reports(i64::MAX, 100, 70).unwrap().is_empty());
    }

    #[test]
    fn a_segment_past_the_report_deadline_is_told_to_the_webhooks_that_want_it() {
        use crate::store::WebhookEvent;
        let db = TempDb::new("report-deadline-webhook");
        let mut s = db.open();
        s.set_webhooks(super::super::webhooks::Subscriptions::only(
            "shop",
            &[WebhookEvent::Unreported],
        ));
        let first_job = s
            .enqueue(&job(Priority::Bulk, &[("13800138000", 1), ("2", 1)]), 0)
            .unwrap()
            .job_id;
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let (lost, reported) = (c[0].segments[0].segment_id, c[1].segments[0].segment_id);
        s.mark_submitted(lost, "lost-1", 10).unwrap();
        s.mark_submitted(reported, "ok-1", 10).unwrap();
        s.record_report(&report("ok-1", ReportStatus::Delivered), 11)
            .unwrap();
        assert_eq!(s.expire_reports(20, 100, 30).unwrap().len(), 1);

        let due = super::super::webhooks::due(s.conn(), 30, 10).unwrap();
        assert_eq!(
            due.len(),
            1,
            "only the lost one; delivery_report is not wanted"
        );
        assert_eq!(
            (due[0].webhook.as_str(), due[0].event.as_str()),
            ("shop", "unreported")
        );
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body["event"], "unreported");
        let data = &body["data"];
        assert_eq!(data["job_id"], first_job);
        assert_eq!(data["segment_id"], lost);
        assert_eq!(data["number"], "13800138000");
        assert_eq!(data["carrier"], "cmcc");
        assert_eq!(data["msg_id"], "lost-1");
        assert_eq!(data["submitted_at"], 10);
        assert_eq!(data["recipient_state"], "unreported");

        // Without a subscription nothing is queued.
        s.set_webhooks(super::super::webhooks::Subscriptions::default());
        let c = s.claim(&claim_req("cmcc", 10), 31).unwrap();
        assert!(c.is_empty());
        let more = s
            .enqueue(&job(Priority::Bulk, &[("3", 1)]), 32)
            .unwrap()
            .job_id;
        let c = s.claim(&claim_req("cmcc", 10), 33).unwrap();
        s.mark_submitted(c[0].segments[0].segment_id, "lost-2", 34)
            .unwrap();
        assert_eq!(s.expire_reports(40, 100, 50).unwrap()[0].job_id, more);
        assert_eq!(
            super::super::webhooks::due(s.conn(), 50, 10).unwrap().len(),
            1
        );
    }
}
