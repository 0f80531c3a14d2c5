//! Claiming queued work: the SQL that takes whole queued messages of one carrier for a
//! link — highest priority first, then oldest, every queued part of a recipient together —
//! and moves them `in_flight`.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::db::{Cache, Store, narrow};
use super::error::Result;
use super::handle::StoreHandle;
use super::model::{
    ClaimRequest, ClaimedMessage, ClaimedSegment, JobId, Millis, RecipientId, SegmentId,
};
use super::sql_states::{dispatch_state, segment_state};
use super::state::{DeliveryState, Priority};

impl Store {
    /// Claims whole queued messages of one carrier for a link: highest priority first, then
    /// oldest; every queued part of a recipient together; up to `max_segments` parts (but
    /// always one message if any is queued). Claimed parts go `in_flight` with
    /// `attempts + 1` and the link and connection recorded. Recipients past their expiry
    /// are skipped (and left for [`expire`](Store::expire)).
    pub fn claim(&mut self, req: &ClaimRequest, now: Millis) -> Result<Vec<ClaimedMessage>> {
        self.write(|c, cache| claim(c, cache, req, now))
    }
}

impl StoreHandle {
    /// [`Store::claim`].
    pub async fn claim(&self, req: ClaimRequest, now: Millis) -> Result<Vec<ClaimedMessage>> {
        self.call(move |s| s.claim(&req, now)).await
    }

    /// [`Store::claim`] of only the categories `filter` lets through (a link limited to
    /// some categories; marketing kept back during quiet hours).
    pub async fn claim_filtered(
        &self,
        req: ClaimRequest,
        filter: ClaimFilter,
        now: Millis,
    ) -> Result<Vec<ClaimedMessage>> {
        self.call(move |s| s.write(|c, cache| claim_with(c, cache, &req, filter, now)))
            .await
    }
}

/// Which job categories a claim may take (`jobs.category`): both by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimFilter {
    /// Take `notice` jobs.
    pub notice: bool,
    /// Take `marketing` jobs.
    pub marketing: bool,
}

impl Default for ClaimFilter {
    fn default() -> Self {
        Self {
            notice: true,
            marketing: true,
        }
    }
}

impl ClaimFilter {
    fn takes(self, category: &str) -> bool {
        if category == "marketing" {
            self.marketing
        } else {
            self.notice
        }
    }
}

struct Candidate {
    recipient_id: RecipientId,
    job_id: JobId,
    priority: i64,
    number: String,
    reference: Option<i64>,
    parts: i64,
    first_segment: i64,
    expires_at: Option<Millis>,
    text: String,
    signature: String,
    source_ext: Option<String>,
    first_state: i64,
    first_attempts: i64,
}

/// Queued recipients of a carrier, best first (uses `recipients_claim`). A job that asks
/// for replies goes out from its poll's extension on the recipient's carrier (one seek in
/// `poll_extensions`), every other job from its own `source_ext`.
///
/// The bundled SQLite (built with STAT4) weighs plans with the bound values of a bare
/// `?` here, which marks the statement to be prepared again after every rebinding — tens
/// of microseconds per claim, and the statement cache rebinds each time. So: the carrier
/// goes through `CAST` (still an index equality, but opaque to the estimate), there is no
/// `LIMIT ?` (the rows come lazily in index order and the claim stops reading at its
/// budget) and no `expires_at > ?` (the claim skips expired recipients itself).
pub(crate) const CLAIM_CANDIDATES: &str = concat!(
    "SELECT r.id, r.job_id, r.priority, r.number, r.reference, r.parts,
                    r.first_segment, r.expires_at, j.text, j.signature,
                    CASE WHEN j.poll_id IS NULL THEN j.source_ext
                         ELSE (SELECT pe.extension FROM poll_extensions pe
                               WHERE pe.poll_id = j.poll_id AND pe.carrier = r.carrier)
                    END,
                    s.state, s.attempts, j.category
             FROM recipients r
             JOIN jobs j ON j.id = r.job_id
             JOIN segments s ON s.id = r.first_segment
             WHERE r.state = ",
    dispatch_state!(queued),
    " AND r.carrier = CAST(?1 AS TEXT)
             ORDER BY r.priority, r.id"
);

fn claim(
    c: &Connection,
    cache: &mut Cache,
    req: &ClaimRequest,
    now: Millis,
) -> Result<Vec<ClaimedMessage>> {
    claim_with(c, cache, req, ClaimFilter::default(), now)
}

fn claim_with(
    c: &Connection,
    cache: &mut Cache,
    req: &ClaimRequest,
    filter: ClaimFilter,
    now: Millis,
) -> Result<Vec<ClaimedMessage>> {
    let every_category = filter == ClaimFilter::default();
    if req.max_segments == 0 {
        return Ok(Vec::new());
    }
    let mut candidates = Vec::new();
    {
        // The first segment comes along: for a one-part message (the usual case) that is
        // the whole message, and no second query is needed.
        let mut stmt = c.prepare_cached(CLAIM_CANDIDATES)?;
        let mut rows = stmt.query(params![req.carrier])?;
        let mut budget = req.max_segments;
        while let Some(r) = rows.next()? {
            let expires_at: Option<Millis> = r.get(7)?;
            if expires_at.is_some_and(|t| t <= now) {
                // Left for `expire`, which reports it.
                continue;
            }
            if !every_category && !filter.takes(r.get_ref(13)?.as_str().unwrap_or("")) {
                // Left for a link that takes its category, or for after quiet hours.
                continue;
            }
            let parts: i64 = r.get(5)?;
            let size = usize::try_from(parts).unwrap_or(usize::MAX);
            if !candidates.is_empty() && size > budget {
                break;
            }
            budget = budget.saturating_sub(size);
            candidates.push(Candidate {
                recipient_id: r.get(0)?,
                job_id: r.get(1)?,
                priority: r.get(2)?,
                number: r.get(3)?,
                reference: r.get(4)?,
                parts,
                first_segment: r.get(6)?,
                expires_at,
                text: r.get(8)?,
                signature: r.get(9)?,
                source_ext: r.get(10)?,
                first_state: r.get(11)?,
                first_attempts: r.get(12)?,
            });
            if budget == 0 {
                break;
            }
        }
    }

    // Plain statements rather than `UPDATE … RETURNING`: RETURNING costs SQLite an
    // ephemeral table per execution (about 10 µs), which was most of a claim; with one
    // writer inside one transaction, reading first and then updating cannot race.
    let mut out = Vec::with_capacity(candidates.len());
    let mut recipients = Ranges::default();
    let mut segments_taken = Ranges::default();
    for cand in candidates {
        let last = cand.first_segment + cand.parts - 1;
        let segments = if cand.parts == 1 {
            let mut one = Vec::with_capacity(1);
            if cand.first_state == DeliveryState::Queued.code() {
                let attempts: u32 = narrow(cand.first_attempts, "segments.attempts")?;
                one.push(ClaimedSegment {
                    segment_id: cand.first_segment,
                    part: 1,
                    attempts: attempts.saturating_add(1),
                });
            }
            one
        } else {
            queued_parts(c, cand.first_segment, last)?
        };
        recipients.push(cand.recipient_id, cand.recipient_id);
        if segments.is_empty() {
            // The recipient said queued but no part was: take it out of the queue anyway.
            tracing::warn!(
                recipient = cand.recipient_id,
                "queued recipient without queued parts"
            );
            continue;
        }
        segments_taken.push(cand.first_segment, last);
        out.push(ClaimedMessage {
            recipient_id: cand.recipient_id,
            job_id: cand.job_id,
            priority: Priority::from_code(cand.priority)?,
            number: cand.number,
            carrier: req.carrier.clone(),
            text: cand.text,
            signature: cand.signature,
            source_ext: cand.source_ext,
            reference: cand
                .reference
                .map(|v| narrow(v, "recipients.reference"))
                .transpose()?,
            parts: narrow(cand.parts, "recipients.parts")?,
            segments,
            expires_at: cand.expires_at,
        });
    }
    // Claimed messages are mostly neighbours (one bulk job, or jobs accepted one after
    // another), so one statement per run of consecutive ids instead of one per message.
    let mut take = c.prepare_cached(concat!(
        "UPDATE segments
         SET state = ",
        segment_state!(in_flight),
        ", attempts = attempts + 1, link = ?3, connection = ?4,
             claimed_at = ?5, updated_at = ?5
         WHERE id BETWEEN ?1 AND ?2 AND state = ",
        segment_state!(queued)
    ))?;
    for (first, last) in segments_taken.0 {
        let n = take.execute(params![first, last, req.link, req.connection, now])?;
        cache
            .counts
            .moved(DeliveryState::Queued, DeliveryState::InFlight, n);
    }
    let mut mark = c.prepare_cached(concat!(
        "UPDATE recipients SET state = ",
        dispatch_state!(taken),
        ", updated_at = ?3 WHERE id BETWEEN ?1 AND ?2"
    ))?;
    for (first, last) in recipients.0 {
        mark.execute(params![first, last, now])?;
    }
    Ok(out)
}

/// Id ranges, consecutive ids merged.
#[derive(Default)]
pub(crate) struct Ranges(pub(crate) Vec<(i64, i64)>);

impl Ranges {
    /// Adds `first..=last`, merged into the last range when it follows on.
    pub(crate) fn push(&mut self, first: i64, last: i64) {
        match self.0.last_mut() {
            Some((_, end)) if *end + 1 == first => *end = last,
            _ => self.0.push((first, last)),
        }
    }
}

/// The queued parts of a multi-part message, in part order, with their attempts after
/// this claim.
fn queued_parts(c: &Connection, first: SegmentId, last: SegmentId) -> Result<Vec<ClaimedSegment>> {
    let mut stmt = c.prepare_cached(concat!(
        "SELECT id, part, attempts FROM segments
         WHERE id BETWEEN ?1 AND ?2 AND state = ",
        segment_state!(queued),
        " ORDER BY id"
    ))?;
    let mut rows = stmt.query([first, last])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let attempts: u32 = narrow(r.get(2)?, "segments.attempts")?;
        out.push(ClaimedSegment {
            segment_id: r.get(0)?,
            part: narrow(r.get(1)?, "segments.part")?,
            attempts: attempts.saturating_add(1),
        });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::JobState;
    use crate::store::testutil::{TempDb, claim_req, enqueue_with, job, one};

    #[test]
    fn claim_takes_highest_priority_then_oldest() {
        let db = TempDb::new("claim-order");
        let mut s = db.open();
        let bulk1 = enqueue_with(&mut s, &job(Priority::Bulk, &[("1", 1)]), 0);
        let notif = enqueue_with(&mut s, &job(Priority::Notification, &[("2", 1)]), 1);
        let bulk2 = enqueue_with(&mut s, &job(Priority::Bulk, &[("3", 1)]), 2);
        let appr = enqueue_with(&mut s, &job(Priority::Approval, &[("4", 1)]), 3);
        let remind = enqueue_with(&mut s, &job(Priority::Reminder, &[("5", 1)]), 4);
        let mut other = job(Priority::Approval, &[("6", 1)]);
        other.recipients[0].carrier = "ctcc".into();
        let ctcc = enqueue_with(&mut s, &other, 5);

        let first = s.claim(&claim_req("cmcc", 2), 10).unwrap();
        let jobs: Vec<JobId> = first.iter().map(|m| m.job_id).collect();
        assert_eq!(jobs, vec![appr, remind]);
        assert_eq!(first[0].priority, Priority::Approval);
        let rest = s.claim(&claim_req("cmcc", 10), 11).unwrap();
        let jobs: Vec<JobId> = rest.iter().map(|m| m.job_id).collect();
        assert_eq!(jobs, vec![notif, bulk1, bulk2]);
        assert!(s.claim(&claim_req("cmcc", 10), 12).unwrap().is_empty());
        let c = s.claim(&claim_req("ctcc", 10), 12).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].job_id, ctcc);
        assert_eq!(c[0].carrier, "ctcc");
        assert!(s.claim(&claim_req("cmcc", 0), 12).unwrap().is_empty());
    }

    #[test]
    fn claim_keeps_a_recipients_parts_together() {
        let db = TempDb::new("claim-together");
        let mut s = db.open();
        let mut j = job(Priority::Notification, &[("1", 3), ("2", 2), ("3", 1)]);
        j.recipients[0].reference = Some(7);
        j.source_ext = Some("88".into());
        j.expires_at = Some(1_000_000);
        let id = enqueue_with(&mut s, &j, 0);
        // A budget of 2 segments still takes the whole 3-part message (never split).
        let a = s.claim(&claim_req("cmcc", 2), 10).unwrap();
        assert_eq!(a.len(), 1);
        let m = &a[0];
        assert_eq!(m.job_id, id);
        assert_eq!(m.number, "1");
        assert_eq!(m.parts, 3);
        assert_eq!(m.reference, Some(7));
        assert_eq!(m.text, "hello");
        assert_eq!(m.signature, "【鸿雁】");
        assert_eq!(m.source_ext.as_deref(), Some("88"));
        assert_eq!(m.expires_at, Some(1_000_000));
        let parts: Vec<u8> = m.segments.iter().map(|x| x.part).collect();
        assert_eq!(parts, [1, 2, 3]);
        assert!(m.segments.iter().all(|x| x.attempts == 1));
        // Budget 2: the 2-part message fits, the next one would exceed it.
        let b = s.claim(&claim_req("cmcc", 2), 11).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].segments.len(), 2);
        // Budget 3 with one 1-part message left.
        let c = s.claim(&claim_req("cmcc", 3), 12).unwrap();
        assert_eq!(c.len(), 1);
        let st = s.job_status(id).unwrap().unwrap();
        for seg in st.recipients.iter().flat_map(|r| r.segments.iter()) {
            assert_eq!(seg.state, DeliveryState::InFlight);
            assert_eq!(seg.link.as_deref(), Some("link-a"));
            assert_eq!(seg.connection, Some(7));
            assert!(seg.claimed_at.is_some_and(|t| (10..=12).contains(&t)));
        }
        assert!(
            st.recipients
                .iter()
                .all(|r| r.state == DeliveryState::InFlight)
        );
        assert_eq!(st.state, JobState::Sending);
    }

    #[test]
    fn a_queued_recipient_without_queued_parts_is_taken_out_of_the_queue() {
        let db = TempDb::new("claim-repair");
        let mut s = db.open();
        let broken = enqueue_with(&mut s, &job(Priority::Approval, &[("1", 1), ("2", 2)]), 0);
        let fine = enqueue_with(&mut s, &one("3"), 0);
        // Damage: the parts say submitted while the recipients still say queued.
        s.check_counts = false;
        s.conn()
            .execute(
                concat!(
                    "UPDATE segments SET state = ",
                    segment_state!(submitted),
                    " WHERE job_id = ?1"
                ),
                [broken],
            )
            .unwrap();
        let c = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        let jobs: Vec<JobId> = c.iter().map(|m| m.job_id).collect();
        assert_eq!(jobs, vec![fine]);
        assert!(
            s.claim(&claim_req("cmcc", 10), 2).unwrap().is_empty(),
            "not looked at again"
        );
    }

    #[test]
    fn claim_skips_expired_recipients() {
        let db = TempDb::new("claim-expired");
        let mut s = db.open();
        let mut j = one("1");
        j.expires_at = Some(100);
        enqueue_with(&mut s, &j, 0);
        let fresh = enqueue_with(&mut s, &one("2"), 0);
        let c = s.claim(&claim_req("cmcc", 10), 100).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].job_id, fresh);
    }
}
