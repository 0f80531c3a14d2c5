//! Taking segments back out of flight without an answer from the carrier: back to the
//! queue (flow control, a submit that surely never left, or a resend wanted) or to
//! `unconfirmed` (a submit that may have been written when its connection dropped); and
//! counting the writes of a submit sent more than once.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::db::{Cache, Store, orphans_may_exist};
use super::error::Result;
use super::handle::StoreHandle;
use super::model::{Millis, SegmentId};
use super::place::{locate, settle};
use super::state::DeliveryState;

/// What [`Store::requeue`] and [`Store::mark_unconfirmed`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentsMoved {
    /// Segments moved (back to the queue, or to unconfirmed).
    pub moved: Vec<SegmentId>,
    /// Segments left alone because they were not in flight (already answered, or unknown).
    pub not_in_flight: Vec<SegmentId>,
}

impl Store {
    /// Puts in-flight segments back in the queue without counting a failure: the carrier
    /// said "too fast", or the submit certainly did not reach it. Attempts are kept.
    ///
    /// A submit written to a connection that then dropped *may* have reached the carrier
    /// (only its response was lost); requeueing it can deliver the message twice. For
    /// those, [`mark_unconfirmed`](Store::mark_unconfirmed) applies the same rule as a
    /// restart (unless `resend_unconfirmed` is wanted, which is what this is).
    pub fn requeue(
        &mut self,
        segment_ids: &[SegmentId],
        reason: &str,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.write(|c, cache| {
            move_in_flight(
                c,
                cache,
                segment_ids,
                DeliveryState::Queued,
                Attempt::Kept,
                reason,
                now,
            )
        })
    }

    /// Puts in-flight segments whose submit was never written back in the queue, and
    /// gives back the attempt their claim counted: they were claimed but never reached a
    /// socket (still waiting in the process when the link stopped), so no attempt was
    /// made.
    pub fn requeue_unsent(
        &mut self,
        segment_ids: &[SegmentId],
        reason: &str,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.write(|c, cache| {
            move_in_flight(
                c,
                cache,
                segment_ids,
                DeliveryState::Queued,
                Attempt::GivenBack,
                reason,
                now,
            )
        })
    }

    /// Records that a segment's submit was written `writes` times in all (a link that
    /// resent it, or wrote it on several connections, before giving up): `attempts`
    /// becomes at least that. Claims count one attempt each; this corrects the count on
    /// the rare path where one claim was written more than once.
    pub fn count_writes(&mut self, segment_id: SegmentId, writes: u32) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("UPDATE segments SET attempts = MAX(attempts, ?2) WHERE id = ?1")?
                .execute(params![segment_id, writes])?;
            Ok(())
        })
    }

    /// Marks in-flight segments `unconfirmed`: their submit was on the wire when the
    /// connection was lost and no response came, so nobody knows whether the carrier has
    /// them. They are not resent; a late response is still recorded
    /// ([`mark_submitted`](Store::mark_submitted) accepts unconfirmed segments).
    pub fn mark_unconfirmed(
        &mut self,
        segment_ids: &[SegmentId],
        reason: &str,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.write(|c, cache| {
            let moved = move_in_flight(
                c,
                cache,
                segment_ids,
                DeliveryState::Unconfirmed,
                Attempt::Kept,
                reason,
                now,
            )?;
            // A report that overtook the missing answer may be waiting as an orphan.
            if orphans_may_exist(c, cache)? {
                super::unconfirmed::settle_orphans(c, cache, now)?;
            }
            Ok(moved)
        })
    }
}

impl StoreHandle {
    /// [`Store::requeue`].
    pub async fn requeue(
        &self,
        segment_ids: Vec<SegmentId>,
        reason: String,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.call(move |s| s.requeue(&segment_ids, &reason, now))
            .await
    }

    /// [`Store::requeue_unsent`].
    pub async fn requeue_unsent(
        &self,
        segment_ids: Vec<SegmentId>,
        reason: String,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.call(move |s| s.requeue_unsent(&segment_ids, &reason, now))
            .await
    }

    /// [`Store::count_writes`].
    pub async fn count_writes(&self, segment_id: SegmentId, writes: u32) -> Result<()> {
        self.call(move |s| s.count_writes(segment_id, writes)).await
    }

    /// [`Store::mark_unconfirmed`].
    pub async fn mark_unconfirmed(
        &self,
        segment_ids: Vec<SegmentId>,
        reason: String,
        now: Millis,
    ) -> Result<SegmentsMoved> {
        self.call(move |s| s.mark_unconfirmed(&segment_ids, &reason, now))
            .await
    }
}

/// Whether moving a segment out of flight keeps the attempt its claim counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Its submit was (or may have been) written: the attempt stands.
    Kept,
    /// Its submit was never written: the claim's count is taken back.
    GivenBack,
}

impl Attempt {
    /// How much `attempts` goes down.
    pub(crate) fn taken_back(self) -> i64 {
        match self {
            Self::Kept => 0,
            Self::GivenBack => 1,
        }
    }
}

/// Moves in-flight segments to `to` (queued or unconfirmed), then settles each recipient.
fn move_in_flight(
    c: &Connection,
    cache: &mut Cache,
    segment_ids: &[SegmentId],
    to: DeliveryState,
    attempt: Attempt,
    reason: &str,
    now: Millis,
) -> Result<SegmentsMoved> {
    let mut out = SegmentsMoved::default();
    let mut places = Vec::with_capacity(segment_ids.len());
    for &segment_id in segment_ids {
        match locate(c, segment_id)? {
            Some(seg) if seg.state == DeliveryState::InFlight => {
                let n = c
                    .prepare_cached(
                        "UPDATE segments SET state = ?2, last_error = ?3, updated_at = ?4,
                             attempts = MAX(attempts - ?5, 0)
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        segment_id,
                        to.code(),
                        reason,
                        now,
                        attempt.taken_back()
                    ])?;
                cache.counts.moved(DeliveryState::InFlight, to, n);
                out.moved.push(segment_id);
                places.push(seg.at);
            }
            _ => out.not_in_flight.push(segment_id),
        }
    }
    // Settle each recipient once, after all its parts moved.
    places.sort_unstable_by_key(|p| p.recipient_id);
    places.dedup_by_key(|p| p.recipient_id);
    for at in &places {
        settle(c, at, to, now)?;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::Priority;
    use crate::store::testutil::{TempDb, claim_req, enqueue_with, job};

    #[test]
    fn requeue_returns_parts_to_the_queue_without_failing_them() {
        let db = TempDb::new("requeue");
        let mut s = db.open();
        let id = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 2), ("2", 1)]), 0);
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let long = &claimed[0];
        let seg_ids: Vec<i64> = long.segments.iter().map(|x| x.segment_id).collect();
        s.mark_submitted(seg_ids[0], "m-1", 2).unwrap();
        let out = s.requeue(&seg_ids, "connection lost", 3).unwrap();
        assert_eq!(out.moved, vec![seg_ids[1]]);
        assert_eq!(out.not_in_flight, vec![seg_ids[0]]);
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.recipients[0].state, DeliveryState::Queued);
        assert_eq!(
            st.recipients[0].last_error.as_deref(),
            Some("connection lost")
        );
        let part2 = &st.recipients[0].segments[1];
        assert_eq!(part2.state, DeliveryState::Queued);
        assert_eq!(part2.attempts, 1, "kept");
        // Only the requeued part is claimed again, with its attempt counted.
        let again = s.claim(&claim_req("cmcc", 10), 4).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].recipient_id, long.recipient_id);
        assert_eq!(again[0].segments.len(), 1);
        assert_eq!(again[0].segments[0].part, 2);
        assert_eq!(again[0].segments[0].attempts, 2);
        assert_eq!(again[0].parts, 2);
        // A recipient with one part back in the queue and another in flight is not
        // claimable until the in-flight part is answered.
        let short = claimed[1].segments[0].segment_id;
        let other = enqueue_with(&mut s, &job(Priority::Bulk, &[("3", 2)]), 5);
        let c = s.claim(&claim_req("cmcc", 10), 6).unwrap();
        assert_eq!(c[0].job_id, other);
        s.requeue(&[c[0].segments[0].segment_id], "throttled", 7)
            .unwrap();
        assert!(s.claim(&claim_req("cmcc", 10), 8).unwrap().is_empty());
        s.mark_submitted(c[0].segments[1].segment_id, "m-9", 9)
            .unwrap();
        let c2 = s.claim(&claim_req("cmcc", 10), 10).unwrap();
        assert_eq!(c2.len(), 1);
        assert_eq!(c2[0].segments[0].part, 1);
        let out = s.requeue(&[short, 777], "x", 11).unwrap();
        assert_eq!(out.moved, vec![short]);
        assert_eq!(out.not_in_flight, vec![777]);
    }

    #[test]
    fn segments_lost_with_their_connection_can_be_marked_unconfirmed() {
        let db = TempDb::new("unconfirmed");
        let mut s = db.open();
        let id = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 1), ("2", 3)]), 0);
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let solo = c[0].segments[0].segment_id;
        let long: Vec<i64> = c[1].segments.iter().map(|x| x.segment_id).collect();
        // Part 1 answered, part 2 throttled back to the queue, part 3 lost on the wire.
        s.mark_submitted(long[0], "m1", 2).unwrap();
        s.requeue(&[long[1]], "throttled", 3).unwrap();
        let out = s
            .mark_unconfirmed(&[solo, long[2], 9_999], "connection lost", 4)
            .unwrap();
        assert_eq!(out.moved, vec![solo, long[2]]);
        assert_eq!(out.not_in_flight, vec![9_999]);
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.recipients[0].state, DeliveryState::Unconfirmed);
        assert_eq!(
            st.recipients[0].segments[0].last_error.as_deref(),
            Some("connection lost")
        );
        // The queued part of the long message may go now: nothing of it is in flight.
        assert_eq!(st.recipients[1].state, DeliveryState::Queued);
        let again = s.claim(&claim_req("cmcc", 10), 5).unwrap();
        assert_eq!(again.len(), 1);
        let parts: Vec<u8> = again[0].segments.iter().map(|x| x.part).collect();
        assert_eq!(parts, [2]);
        // Unconfirmed parts are not resent, and a late answer still lands.
        s.mark_submitted(long[1], "m2", 6).unwrap();
        assert_eq!(
            s.job_status(id).unwrap().unwrap().recipients[1].state,
            DeliveryState::Unconfirmed
        );
        assert!(s.claim(&claim_req("cmcc", 10), 7).unwrap().is_empty());
        s.mark_submitted(long[2], "m3", 8).unwrap();
        assert_eq!(
            s.job_status(id).unwrap().unwrap().recipients[1].state,
            DeliveryState::Submitted
        );
    }

    #[test]
    fn writes_beyond_the_claims_are_counted_and_unsent_parts_give_their_attempt_back() {
        let db = TempDb::new("count-writes");
        let mut s = db.open();
        let id = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 1), ("2", 1)]), 0);
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let (written, unsent) = (c[0].segments[0].segment_id, c[1].segments[0].segment_id);
        // Written three times on one claim, then given up on.
        s.count_writes(written, 3).unwrap();
        s.mark_failed(written, -1, "written 3 times", 2).unwrap();
        // Never written: back in the queue as if never claimed.
        let out = s
            .requeue_unsent(&[unsent], "link shutting down", 3)
            .unwrap();
        assert_eq!(out.moved, vec![unsent]);
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.recipients[0].segments[0].attempts, 3);
        assert_eq!(st.recipients[1].segments[0].attempts, 0);
        assert_eq!(st.recipients[1].state, DeliveryState::Queued);
        // A count below the claims' never lowers it.
        s.count_writes(written, 1).unwrap();
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(st.recipients[0].segments[0].attempts, 3);
    }
}
