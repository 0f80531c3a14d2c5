//! Start-up recovery: segments that were on the wire when the previous process stopped.
//!
//! A segment is `in_flight` from its claim until its submit response is recorded. At start
//! nothing is in flight any more, so every `in_flight` row is a submit whose fate is
//! unknown: the carrier may have it (and will deliver it) or not. Resending blindly could
//! give someone the message twice, so by default such segments become `unconfirmed` and
//! are reported; with `resend_unconfirmed = true` they go back to the queue instead.

use rusqlite::{Connection, params};

use super::db::{Cache, Store, narrow};
use super::error::Result;
use super::model::{Millis, RecoveryAction, UnconfirmedSegment};
use super::sending::{SegmentPlace, settle};
use super::state::DeliveryState;

/// Recorded on segments found in flight at start.
pub(crate) const UNCONFIRMED: &str =
    "in flight when the previous run stopped; no submit response recorded";
/// Recorded on segments found in flight at start and queued again.
pub(crate) const RESENT: &str =
    "in flight when the previous run stopped; queued again (resend_unconfirmed)";

impl Store {
    /// Settles every segment left `in_flight` by the previous run: `unconfirmed`
    /// (default), or back to `queued` with `resend_unconfirmed`. Call once at start,
    /// before anything is claimed. Returns every such segment, so none goes unreported.
    pub fn recover_on_start(
        &mut self,
        resend_unconfirmed: bool,
        now: Millis,
    ) -> Result<Vec<UnconfirmedSegment>> {
        self.write(|c, cache| recover(c, cache, resend_unconfirmed, now))
    }
}

/// Segments in flight, with their numbers (uses `segments_in_flight`).
pub(crate) const IN_FLIGHT: &str =
    "SELECT s.id, s.recipient_id, s.job_id, r.number, s.carrier, s.part, s.parts,
                    s.link, s.connection, s.attempts, s.claimed_at
             FROM segments s JOIN recipients r ON r.id = s.recipient_id
             WHERE s.state = 2
             ORDER BY s.id";

fn recover(
    c: &Connection,
    cache: &mut Cache,
    resend: bool,
    now: Millis,
) -> Result<Vec<UnconfirmedSegment>> {
    let (action, state, reason) = if resend {
        (RecoveryAction::Requeued, DeliveryState::Queued, RESENT)
    } else {
        (
            RecoveryAction::MarkedUnconfirmed,
            DeliveryState::Unconfirmed,
            UNCONFIRMED,
        )
    };
    let mut found = Vec::new();
    {
        let mut stmt = c.prepare_cached(IN_FLIGHT)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            found.push(UnconfirmedSegment {
                segment_id: r.get(0)?,
                recipient_id: r.get(1)?,
                job_id: r.get(2)?,
                number: r.get(3)?,
                carrier: r.get(4)?,
                part: narrow(r.get(5)?, "segments.part")?,
                parts: narrow(r.get(6)?, "segments.parts")?,
                link: r.get(7)?,
                connection: r.get(8)?,
                attempts: narrow(r.get(9)?, "segments.attempts")?,
                claimed_at: r.get(10)?,
                action,
            });
        }
    }
    if found.is_empty() {
        return Ok(found);
    }
    let n = c
        .prepare_cached(
            "UPDATE segments SET state = ?1, last_error = ?2, updated_at = ?3 WHERE state = 2",
        )?
        .execute(params![state.code(), reason, now])?;
    cache.counts.moved(DeliveryState::InFlight, state, n);
    let mut last_recipient = None;
    for seg in &found {
        if last_recipient == Some(seg.recipient_id) {
            continue;
        }
        last_recipient = Some(seg.recipient_id);
        let at = SegmentPlace {
            segment_id: seg.segment_id,
            recipient_id: seg.recipient_id,
            job_id: seg.job_id,
            part: i64::from(seg.part),
            parts: i64::from(seg.parts),
        };
        settle(c, &at, state, now)?;
    }
    if resend {
        tracing::warn!(
            segments = found.len(),
            "segments in flight at restart queued again"
        );
    } else {
        tracing::warn!(
            segments = found.len(),
            "segments in flight at restart marked unconfirmed (not resent)"
        );
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, claim_req, job};
    use crate::store::{JobState, Priority};

    /// Two jobs: one 2-part message fully in flight, one 1-part submitted, one 1-part in
    /// flight, one queued.
    fn crashed_db(name: &str) -> (TempDb, Vec<i64>) {
        let db = TempDb::new(name);
        let mut s = db.open();
        s.enqueue(&job(Priority::Bulk, &[("1", 2), ("2", 1), ("3", 1)]), 0)
            .unwrap();
        let c = s.claim(&claim_req("cmcc", 4), 1).unwrap();
        assert_eq!(c.len(), 3);
        s.mark_submitted(c[1].segments[0].segment_id, "m", 2)
            .unwrap();
        s.enqueue(&job(Priority::Bulk, &[("4", 1)]), 3).unwrap();
        let in_flight = vec![
            c[0].segments[0].segment_id,
            c[0].segments[1].segment_id,
            c[2].segments[0].segment_id,
        ];
        drop(s);
        (db, in_flight)
    }

    #[test]
    fn default_marks_in_flight_segments_unconfirmed_and_reports_each() {
        let (db, in_flight) = crashed_db("recover-unconfirmed");
        let mut s = db.open();
        let found = s.recover_on_start(false, 10).unwrap();
        let ids: Vec<i64> = found.iter().map(|u| u.segment_id).collect();
        assert_eq!(ids, in_flight);
        let u = &found[0];
        assert_eq!(u.action, RecoveryAction::MarkedUnconfirmed);
        assert_eq!(u.number, "1");
        assert_eq!(u.carrier, "cmcc");
        assert_eq!((u.part, u.parts), (1, 2));
        assert_eq!(u.link.as_deref(), Some("link-a"));
        assert_eq!(u.connection, Some(7));
        assert_eq!(u.attempts, 1);
        assert_eq!(u.claimed_at, Some(1));
        let st = s.job_status(u.job_id).unwrap().unwrap();
        assert_eq!(st.recipients[0].state, DeliveryState::Unconfirmed);
        assert_eq!(st.recipients[0].last_error.as_deref(), Some(UNCONFIRMED));
        assert_eq!(st.recipients[1].state, DeliveryState::Submitted);
        assert_eq!(st.recipients[2].state, DeliveryState::Unconfirmed);
        assert_eq!(st.state, JobState::Submitted);
        // Nothing of them is claimable: only the queued job goes out.
        let c = s.claim(&claim_req("cmcc", 10), 11).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].number, "4");
        // Running it again finds only what is in flight now (that last claim).
        let again = s.recover_on_start(false, 12).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].number, "4");
        assert_eq!(s.queue_depth().unwrap().segments.unconfirmed, 4);
    }

    #[test]
    fn resend_mode_queues_in_flight_segments_again() {
        let (db, in_flight) = crashed_db("recover-resend");
        let mut s = db.open();
        let found = s.recover_on_start(true, 10).unwrap();
        let ids: Vec<i64> = found.iter().map(|u| u.segment_id).collect();
        assert_eq!(ids, in_flight);
        assert!(found.iter().all(|u| u.action == RecoveryAction::Requeued));
        let c = s.claim(&claim_req("cmcc", 10), 11).unwrap();
        let numbers: Vec<&str> = c.iter().map(|m| m.number.as_str()).collect();
        assert_eq!(numbers, ["1", "3", "4"]);
        assert_eq!(c[0].segments.len(), 2);
        assert!(c[0].segments.iter().all(|x| x.attempts == 2));
        assert_eq!(c[2].segments[0].attempts, 1);
    }

    #[test]
    fn nothing_in_flight_means_nothing_to_do() {
        let db = TempDb::new("recover-empty");
        let mut s = db.open();
        assert!(s.recover_on_start(false, 1).unwrap().is_empty());
        assert!(s.recover_on_start(true, 1).unwrap().is_empty());
    }
}
