//! Where a segment sits (its recipient, job and part), and what a change of one segment
//! does to its recipient's dispatch state: shared by every path that moves a segment.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::Result;
use super::model::{ClaimedMessage, ClaimedSegment, JobId, Millis, RecipientId, SegmentId};
use super::sql_states::dispatch_state;
use super::state::{DeliveryState, recipient_state};

/// Where a segment sits: its recipient and job, and which part of how many it is. These
/// never change once the job is accepted, so a caller that claimed the segment can hand
/// them back ([`Store::mark_submitted_at`](super::Store::mark_submitted_at)) instead of
/// the store reading them again.
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
    c.prepare_cached(concat!(
        "UPDATE recipients SET state = ",
        dispatch_state!(queued),
        ", updated_at = ?2 WHERE id = ?1"
    ))?
    .execute(params![recipient_id, now])?;
    Ok(())
}

/// A segment's place and state, read before changing it.
pub(super) struct Located {
    pub(super) at: SegmentPlace,
    pub(super) carrier: String,
    pub(super) state: DeliveryState,
}

pub(super) fn locate(c: &Connection, segment_id: SegmentId) -> Result<Option<Located>> {
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
