//! Start-up recovery: segments left `in_flight` when the previous process stopped.
//!
//! A segment is `in_flight` from its claim until its submit response is recorded. A claim
//! is not a send: the dispatcher claims a few windows ahead, so most of what a killed
//! process left in flight was still waiting inside it (for the rate limiter, a window
//! slot or the socket) and never left. The daemon's on-the-wire journal says which
//! segments *may* have been written (`dispatch::WireJournal`); recovery uses it:
//!
//! * not in the journal: certainly never written — back to `queued`, the attempt its
//!   claim counted given back ([`RecoveryAction::NeverSent`]);
//! * in the journal: the carrier may have it (and will deliver it), or not. Resending
//!   blindly could give someone the message twice, so by default it becomes `unconfirmed`
//!   and is reported; with `resend_unconfirmed = true` it goes back to the queue instead.
//!
//! Without a journal (none given, or it could not be read) every in-flight segment is
//! taken to have been written: the cautious answer.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::db::{Cache, Store, narrow};
use super::error::Result;
use super::handle::StoreHandle;
use super::model::{Millis, RecoveryAction, SegmentId, UnconfirmedSegment};
use super::place::{SegmentPlace, settle};
use super::requeue::Attempt;
use super::sql_states::segment_state;
use super::state::DeliveryState;

/// Recorded on segments found in flight at start.
pub(crate) const UNCONFIRMED: &str =
    "in flight when the previous run stopped; no submit response recorded";
/// Recorded on segments found in flight at start and queued again.
pub(crate) const RESENT: &str =
    "in flight when the previous run stopped; queued again (resend_unconfirmed)";
/// Recorded on segments found in flight at start that had never been written.
pub(crate) const NEVER_SENT: &str =
    "claimed but never sent when the previous run stopped; queued again";

impl Store {
    /// Settles every segment left `in_flight` by the previous run, taking every one of
    /// them to have been written (no journal): `unconfirmed` (default), or back to
    /// `queued` with `resend_unconfirmed`. See
    /// [`recover_on_start_with`](Store::recover_on_start_with).
    pub fn recover_on_start(
        &mut self,
        resend_unconfirmed: bool,
        now: Millis,
    ) -> Result<Vec<UnconfirmedSegment>> {
        self.recover_on_start_with(resend_unconfirmed, None, now)
    }

    /// Settles every segment left `in_flight` by the previous run. `maybe_written` is the
    /// set of segments whose submit may have been written (the on-the-wire journal), or
    /// `None` when that is not known. A segment outside the set goes back to `queued`
    /// with its attempt given back; one inside becomes `unconfirmed` (default), or goes
    /// back to `queued` with `resend_unconfirmed`. Call once at start, before anything is
    /// claimed. Returns every such segment with what was done, so none goes unreported.
    pub fn recover_on_start_with(
        &mut self,
        resend_unconfirmed: bool,
        maybe_written: Option<&HashSet<SegmentId>>,
        now: Millis,
    ) -> Result<Vec<UnconfirmedSegment>> {
        self.write(|c, cache| recover(c, cache, resend_unconfirmed, maybe_written, now))
    }
}

impl StoreHandle {
    /// [`Store::recover_on_start`].
    pub async fn recover_on_start(
        &self,
        resend_unconfirmed: bool,
        now: Millis,
    ) -> Result<Vec<UnconfirmedSegment>> {
        self.call(move |s| s.recover_on_start(resend_unconfirmed, now))
            .await
    }

    /// [`Store::recover_on_start_with`].
    pub async fn recover_on_start_with(
        &self,
        resend_unconfirmed: bool,
        maybe_written: Option<std::collections::HashSet<SegmentId>>,
        now: Millis,
    ) -> Result<Vec<UnconfirmedSegment>> {
        self.call(move |s| s.recover_on_start_with(resend_unconfirmed, maybe_written.as_ref(), now))
            .await
    }
}

/// What recovery does with one in-flight segment: the pure decision.
pub(crate) fn recovery_action(resend_unconfirmed: bool, maybe_written: bool) -> RecoveryAction {
    match (maybe_written, resend_unconfirmed) {
        (false, _) => RecoveryAction::NeverSent,
        (true, true) => RecoveryAction::Requeued,
        (true, false) => RecoveryAction::MarkedUnconfirmed,
    }
}

/// The state, attempt rule and reason recorded for an action.
fn applied(action: RecoveryAction) -> (DeliveryState, Attempt, &'static str) {
    match action {
        RecoveryAction::NeverSent => (DeliveryState::Queued, Attempt::GivenBack, NEVER_SENT),
        RecoveryAction::Requeued => (DeliveryState::Queued, Attempt::Kept, RESENT),
        RecoveryAction::MarkedUnconfirmed => {
            (DeliveryState::Unconfirmed, Attempt::Kept, UNCONFIRMED)
        }
    }
}

/// Segments in flight, with their numbers (uses `segments_in_flight`).
pub(crate) const IN_FLIGHT: &str = concat!(
    "SELECT s.id, s.recipient_id, s.job_id, r.number, s.carrier, s.part, s.parts,
                    s.link, s.connection, s.attempts, s.claimed_at
             FROM segments s JOIN recipients r ON r.id = s.recipient_id
             WHERE s.state = ",
    segment_state!(in_flight),
    "
             ORDER BY s.id"
);

fn recover(
    c: &Connection,
    cache: &mut Cache,
    resend: bool,
    maybe_written: Option<&HashSet<SegmentId>>,
    now: Millis,
) -> Result<Vec<UnconfirmedSegment>> {
    let mut found = Vec::new();
    {
        let mut stmt = c.prepare_cached(IN_FLIGHT)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let segment_id: SegmentId = r.get(0)?;
            let written = maybe_written.is_none_or(|w| w.contains(&segment_id));
            found.push(UnconfirmedSegment {
                segment_id,
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
                action: recovery_action(resend, written),
            });
        }
    }
    if found.is_empty() {
        return Ok(found);
    }
    {
        let mut update = c.prepare_cached(concat!(
            "UPDATE segments SET state = ?2, last_error = ?3, updated_at = ?4,
                 attempts = MAX(attempts - ?5, 0)
             WHERE id = ?1 AND state = ",
            segment_state!(in_flight)
        ))?;
        for seg in &mut found {
            let (state, attempt, reason) = applied(seg.action);
            let n = update.execute(params![
                seg.segment_id,
                state.code(),
                reason,
                now,
                attempt.taken_back()
            ])?;
            cache.counts.moved(DeliveryState::InFlight, state, n);
            if attempt == Attempt::GivenBack {
                seg.attempts = seg.attempts.saturating_sub(1);
            }
        }
    }
    // Each recipient settled once, after all its parts moved (they are in id order).
    for (i, seg) in found.iter().enumerate() {
        if found
            .get(i + 1)
            .is_some_and(|next| next.recipient_id == seg.recipient_id)
        {
            continue;
        }
        let at = SegmentPlace {
            segment_id: seg.segment_id,
            recipient_id: seg.recipient_id,
            job_id: seg.job_id,
            part: i64::from(seg.part),
            parts: i64::from(seg.parts),
        };
        settle(c, &at, applied(seg.action).0, now)?;
    }
    let count = |a: RecoveryAction| found.iter().filter(|s| s.action == a).count();
    tracing::warn!(
        never_sent = count(RecoveryAction::NeverSent),
        unconfirmed = count(RecoveryAction::MarkedUnconfirmed),
        resent = count(RecoveryAction::Requeued),
        journal = maybe_written.is_some(),
        "segments in flight at restart: never written → queued again; may have been written → unconfirmed (not resent) or, with resend_unconfirmed, queued again"
    );
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
    fn only_segments_that_may_have_been_written_become_unconfirmed() {
        let (db, in_flight) = crashed_db("recover-journal");
        let mut s = db.open();
        // The journal names part 1 of the long message only: part 2 and the short
        // message were claimed but never written.
        let written = HashSet::from([in_flight[0]]);
        let found = s.recover_on_start_with(false, Some(&written), 10).unwrap();
        let actions: Vec<(i64, RecoveryAction)> =
            found.iter().map(|u| (u.segment_id, u.action)).collect();
        assert_eq!(
            actions,
            vec![
                (in_flight[0], RecoveryAction::MarkedUnconfirmed),
                (in_flight[1], RecoveryAction::NeverSent),
                (in_flight[2], RecoveryAction::NeverSent),
            ]
        );
        // The attempt the claim counted is given back to the never-written ones.
        assert_eq!(found[1].attempts, 0);
        let st = s.job_status(found[0].job_id).unwrap().unwrap();
        let long = &st.recipients[0];
        assert_eq!(long.segments[0].state, DeliveryState::Unconfirmed);
        assert_eq!(long.segments[1].state, DeliveryState::Queued);
        assert_eq!(long.segments[1].attempts, 0);
        assert_eq!(long.segments[1].last_error.as_deref(), Some(NEVER_SENT));
        assert_eq!(st.recipients[2].state, DeliveryState::Queued);
        assert_eq!(st.recipients[2].segments[0].attempts, 0);
        // What was never written goes out (once), counted as its first attempt: part 2
        // of the long message — only it, part 1 stays unconfirmed — and the short one.
        let c = s.claim(&claim_req("cmcc", 10), 11).unwrap();
        let claimed: Vec<(&str, u8, u32)> = c
            .iter()
            .flat_map(|m| {
                m.segments
                    .iter()
                    .map(|x| (m.number.as_str(), x.part, x.attempts))
            })
            .collect();
        assert_eq!(claimed, [("1", 2, 1), ("3", 1, 1), ("4", 1, 1)]);
        assert_eq!(s.queue_depth().unwrap().segments.unconfirmed, 1);

        // With resend_unconfirmed, a written one is queued again with its attempt kept.
        let (db, in_flight) = crashed_db("recover-journal-resend");
        let mut s = db.open();
        let found = s
            .recover_on_start_with(true, Some(&HashSet::from([in_flight[2]])), 10)
            .unwrap();
        let actions: Vec<RecoveryAction> = found.iter().map(|u| u.action).collect();
        assert_eq!(
            actions,
            [
                RecoveryAction::NeverSent,
                RecoveryAction::NeverSent,
                RecoveryAction::Requeued
            ]
        );
        let c = s.claim(&claim_req("cmcc", 10), 11).unwrap();
        let attempts: Vec<(&str, u32)> = c
            .iter()
            .flat_map(|m| m.segments.iter().map(|x| (m.number.as_str(), x.attempts)))
            .collect();
        assert_eq!(attempts, [("1", 1), ("1", 1), ("3", 2), ("4", 1)]);
    }

    #[test]
    fn the_pure_decision() {
        assert_eq!(recovery_action(false, false), RecoveryAction::NeverSent);
        assert_eq!(recovery_action(true, false), RecoveryAction::NeverSent);
        assert_eq!(
            recovery_action(false, true),
            RecoveryAction::MarkedUnconfirmed
        );
        assert_eq!(recovery_action(true, true), RecoveryAction::Requeued);
    }

    #[test]
    fn nothing_in_flight_means_nothing_to_do() {
        let db = TempDb::new("recover-empty");
        let mut s = db.open();
        assert!(s.recover_on_start(false, 1).unwrap().is_empty());
        assert!(s.recover_on_start(true, 1).unwrap().is_empty());
    }
}
