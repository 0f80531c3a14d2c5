//! The send path: claiming whole messages, then recording what the carrier answered
//! (submitted with a message id, refused) or that the submit never got an answer and goes
//! back to the queue.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::{Cache, Store, narrow, orphans_may_exist};
use super::error::{Result, StoreError};
use super::model::{
    ClaimRequest, ClaimedMessage, ClaimedSegment, JobId, Millis, RecipientId, SegmentId,
    StoredReport, SubmitOutcome,
};
use super::state::{DeliveryState, Priority, ReportStatus, recipient_state};

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

/// What [`Store::requeue`] and [`Store::mark_unconfirmed`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentsMoved {
    /// Segments moved (back to the queue, or to unconfirmed).
    pub moved: Vec<SegmentId>,
    /// Segments left alone because they were not in flight (already answered, or unknown).
    pub not_in_flight: Vec<SegmentId>,
}

impl Store {
    /// Claims whole queued messages of one carrier for a link: highest priority first, then
    /// oldest; every queued part of a recipient together; up to `max_segments` parts (but
    /// always one message if any is queued). Claimed parts go `in_flight` with
    /// `attempts + 1` and the link and connection recorded. Recipients past their expiry
    /// are skipped (and left for [`expire`](Store::expire)).
    pub fn claim(&mut self, req: &ClaimRequest, now: Millis) -> Result<Vec<ClaimedMessage>> {
        self.write(|c, cache| claim(c, cache, req, now))
    }

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

/// Queued recipients of a carrier, best first (uses `recipients_claim`).
///
/// The bundled SQLite (built with STAT4) weighs plans with the bound values of a bare
/// `?` here, which marks the statement to be prepared again after every rebinding — tens
/// of microseconds per claim, and the statement cache rebinds each time. So: the carrier
/// goes through `CAST` (still an index equality, but opaque to the estimate), there is no
/// `LIMIT ?` (the rows come lazily in index order and the claim stops reading at its
/// budget) and no `expires_at > ?` (the claim skips expired recipients itself).
pub(crate) const CLAIM_CANDIDATES: &str =
    "SELECT r.id, r.job_id, r.priority, r.number, r.reference, r.parts,
                    r.first_segment, r.expires_at, j.text, j.signature, j.source_ext,
                    s.state, s.attempts
             FROM recipients r
             JOIN jobs j ON j.id = r.job_id
             JOIN segments s ON s.id = r.first_segment
             WHERE r.state = 1 AND r.carrier = CAST(?1 AS TEXT)
             ORDER BY r.priority, r.id";

fn claim(
    c: &Connection,
    cache: &mut Cache,
    req: &ClaimRequest,
    now: Millis,
) -> Result<Vec<ClaimedMessage>> {
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
    let mut take = c.prepare_cached(
        "UPDATE segments
         SET state = 2, attempts = attempts + 1, link = ?3, connection = ?4,
             claimed_at = ?5, updated_at = ?5
         WHERE id BETWEEN ?1 AND ?2 AND state = 1",
    )?;
    for (first, last) in segments_taken.0 {
        let n = take.execute(params![first, last, req.link, req.connection, now])?;
        cache
            .counts
            .moved(DeliveryState::Queued, DeliveryState::InFlight, n);
    }
    let mut mark = c.prepare_cached(
        "UPDATE recipients SET state = 2, updated_at = ?3 WHERE id BETWEEN ?1 AND ?2",
    )?;
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
    let mut stmt = c.prepare_cached(
        "SELECT id, part, attempts FROM segments
         WHERE id BETWEEN ?1 AND ?2 AND state = 1 ORDER BY id",
    )?;
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

/// Where a segment sits: its recipient and job, and which part of how many it is. These
/// never change once the job is accepted, so a caller that claimed the segment can hand
/// them back ([`Store::mark_submitted_at`]) instead of the store reading them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPlace {
    /// The segment.
    pub segment_id: SegmentId,
    /// Its recipient.
    pub recipient_id: RecipientId,
    /// Its job.
    pub job_id: JobId,
    /// Its part number (1-based).
    pub part: i64,
    /// Parts of its message.
    pub parts: i64,
}

impl SegmentPlace {
    /// The place of one claimed part of a claimed message.
    pub fn of(message: &ClaimedMessage, segment: &ClaimedSegment) -> Self {
        Self {
            segment_id: segment.segment_id,
            recipient_id: message.recipient_id,
            job_id: message.job_id,
            part: i64::from(segment.part),
            parts: i64::from(message.parts),
        }
    }
}

/// Keeps the recipient's dispatch state right after one of its segments changed to
/// `state`, and returns the recipient's delivery state (derived from its segments).
///
/// `recipients.state` only says whether the recipient is waiting to be claimed (see the
/// schema notes); so a one-part message needs a write here only when its part went back
/// to the queue. A longer one reads its parts (contiguous ids: no index needed) and goes
/// back to the queue when some part is queued and none is still in flight.
pub(crate) fn settle(
    c: &Connection,
    at: &SegmentPlace,
    state: DeliveryState,
    now: Millis,
) -> Result<DeliveryState> {
    if at.parts <= 1 {
        if state == DeliveryState::Queued {
            requeue_recipient(c, at.recipient_id, now)?;
        }
        return Ok(state);
    }
    let first = at.segment_id - (at.part - 1);
    let mut stmt = c.prepare_cached("SELECT state FROM segments WHERE id BETWEEN ?1 AND ?2")?;
    let mut rows = stmt.query([first, first + at.parts - 1])?;
    let mut states = Vec::with_capacity(usize::try_from(at.parts).unwrap_or(0));
    while let Some(r) = rows.next()? {
        states.push(DeliveryState::from_code(r.get(0)?, "segments.state")?);
    }
    let derived = recipient_state(states.iter().copied());
    if derived == DeliveryState::Queued {
        requeue_recipient(c, at.recipient_id, now)?;
    }
    Ok(derived)
}

fn requeue_recipient(c: &Connection, recipient_id: RecipientId, now: Millis) -> Result<()> {
    c.prepare_cached("UPDATE recipients SET state = 1, updated_at = ?2 WHERE id = ?1")?
        .execute(params![recipient_id, now])?;
    Ok(())
}

/// Orphan reports waiting for a message id (uses `orphan_reports_msg`).
pub(crate) const ORPHANS_BY_MSG_ID: &str =
    "SELECT id, status, stat, err, received_at FROM orphan_reports
             WHERE carrier = ?1 AND msg_id = ?2";

/// A segment's place and state, read before changing it.
struct Located {
    at: SegmentPlace,
    carrier: String,
    state: DeliveryState,
}

fn locate(c: &Connection, segment_id: SegmentId) -> Result<Option<Located>> {
    let row = c
        .prepare_cached(
            "SELECT recipient_id, job_id, carrier, part, parts, state FROM segments WHERE id = ?1",
        )?
        .query_row([segment_id], |r| {
            Ok((
                SegmentPlace {
                    segment_id,
                    recipient_id: r.get(0)?,
                    job_id: r.get(1)?,
                    part: r.get(3)?,
                    parts: r.get(4)?,
                },
                r.get::<_, String>(2)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    row.map(|(at, carrier, state)| {
        Ok(Located {
            at,
            carrier,
            state: DeliveryState::from_code(state, "segments.state")?,
        })
    })
    .transpose()
}

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
/// call (see [`CLAIM_CANDIDATES`]).
macro_rules! mark_submitted {
    ($states:literal) => {
        concat!(
            "UPDATE segments
             SET state = 3, msg_id = ?2, result = 0, submitted_at = ?3, updated_at = ?3
             WHERE id = ?1 AND state IN ",
            $states
        )
    };
}

/// The full path: in flight (2) or unconfirmed (7), as `answerable` found it.
const MARK_SUBMITTED: &str = mark_submitted!("(2, 7)");

/// The fast path: in flight only, so the segment counts know the state it left; an
/// unconfirmed segment (answered late) takes the full path.
const MARK_SUBMITTED_IN_FLIGHT: &str = mark_submitted!("(2)");

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
        .prepare_cached(
            "UPDATE segments SET state = 5, result = ?2, last_error = ?3, updated_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![segment_id, code, reason, now])?;
    cache.counts.moved(seg.state, DeliveryState::Failed, n);
    let recipient_state = settle(c, &seg.at, DeliveryState::Failed, now)?;
    Ok(FailOutcome {
        recipient_id: seg.at.recipient_id,
        job_id: seg.at.job_id,
        recipient_state,
    })
}

/// Moves in-flight segments to `to` (queued or unconfirmed), then settles each recipient.
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
    use crate::store::JobState;
    use crate::store::model::NewJob;
    use crate::store::testutil::{TempDb, claim_req, job, one};

    fn enqueue_with(s: &mut Store, j: &NewJob, now: Millis) -> JobId {
        s.enqueue(j, now).unwrap().job_id
    }

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
            .execute("UPDATE segments SET state = 3 WHERE job_id = ?1", [broken])
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
