//! Reports that settle unconfirmed segments: a segment whose submit was on the wire when
//! hongyan stopped (or never got an answer) is `unconfirmed` and has no message id, so
//! its report, when it comes, names an id no segment has. The report still says which
//! link it came on, the number it is about and when the gateway took the submit (to the
//! minute); when that identifies exactly one segment, the report settles it.
//!
//! [`decide`] is the rule, pure; [`settle_by_identity`] reads the candidates and applies
//! it when a report arrives. A report can also arrive first — overtaking its submit
//! response while the segment is still in flight — and the segment become unconfirmed
//! later (no answer after every attempt, or a restart): [`settle_orphans`] looks at the
//! kept reports again then (`mark_unconfirmed`, and once at start). A segment is a
//! candidate when it went out on the same link to the same number and was (last)
//! claimed within the report's minute, allowing [`SKEW`] either way for the gateway's
//! clock:
//!
//! * any candidate still **in flight** — its submit response may yet come and it may be
//!   the one — leaves everything as it is, until that candidate is answered (its own
//!   message id, or a refusal): [`settle_orphans_beside`] then looks at the reports of
//!   its link and number again (`mark_submitted`, `mark_failed`);
//! * exactly **one** unconfirmed candidate: the report settles it (`delivered`,
//!   `failed`, `expired`);
//! * **several** (the parts of a long message to one number, sent in the same minute):
//!   they are settled only once as many reports of that link, number and minute have come
//!   as there are candidates, all saying the same — then which report goes to which part
//!   makes no difference. Otherwise they wait (a later report may complete the set), and
//!   the reports stay orphans, never lost.
//!
//! A settled segment takes the report's message id, so a repeat of the report is a
//! duplicate; its state, the segment counts, the recipient and the `delivery_report`
//! webhook follow exactly as for a report matched by id.

use rusqlite::{Connection, params};

use super::db::Cache;
use super::error::Result;
use super::model::{Millis, NewReport, ReportOutcome};
use super::place::{SegmentPlace, settle};
use super::sql_states::segment_state;
use super::state::{DeliveryState, ReportStatus};

/// How far the gateway's clock may be from ours.
pub(crate) const SKEW: Millis = 120_000;
/// The resolution of a report's submit time.
const MINUTE: Millis = 60_000;

/// A segment the report may be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub segment_id: i64,
    pub state: DeliveryState,
}

/// An orphan report of the same link, number and minute (this one included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Twin {
    pub orphan_id: i64,
    pub status: ReportStatus,
}

/// What to do with the candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settle {
    /// Nothing: no candidate, or it cannot be told which.
    Leave,
    /// Each segment takes the orphan report paired with it.
    Pairs(Vec<(i64, i64)>),
}

/// The rule (see the module docs): `this` is the report just kept as an orphan.
pub(crate) fn decide(candidates: &[Candidate], twins: &[Twin], this: i64) -> Settle {
    if candidates.is_empty()
        || candidates
            .iter()
            .any(|c| c.state != DeliveryState::Unconfirmed)
    {
        return Settle::Leave;
    }
    let mut segments: Vec<i64> = candidates.iter().map(|c| c.segment_id).collect();
    segments.sort_unstable();
    if let [only] = segments[..] {
        return Settle::Pairs(vec![(only, this)]);
    }
    let mut twins = twins.to_vec();
    twins.sort_unstable_by_key(|t| t.orphan_id);
    let same = twins.windows(2).all(|w| w[0].status == w[1].status);
    if twins.len() == segments.len() && same && twins.iter().any(|t| t.orphan_id == this) {
        return Settle::Pairs(
            segments
                .into_iter()
                .zip(twins.iter().map(|t| t.orphan_id))
                .collect(),
        );
    }
    Settle::Leave
}

/// Candidates of one state: a partial index each (`segments_unconfirmed`,
/// `segments_in_flight`), so the states are literals.
macro_rules! candidates {
    ($state:ident) => {
        concat!(
            "SELECT s.id FROM segments s JOIN recipients r ON r.id = s.recipient_id
             WHERE s.state = ",
            segment_state!($state),
            " AND s.link = ?1 AND r.number = ?2 AND s.claimed_at BETWEEN ?3 AND ?4"
        )
    };
}

/// After `report` was kept as orphan `orphan_id`: settles the unconfirmed segments it
/// identifies (see the module docs) and returns its outcome, or `None` when it stays an
/// orphan.
pub(crate) fn settle_by_identity(
    c: &Connection,
    cache: &mut Cache,
    report: &NewReport,
    orphan_id: i64,
    now: Millis,
) -> Result<Option<ReportOutcome>> {
    let (Some(link), Some(number), Some(minute)) =
        (&report.link, &report.recipient, report.submitted_at)
    else {
        return Ok(None);
    };
    settle_orphan(c, cache, link, number, minute, orphan_id, now)
}

/// Orphans that may identify an unconfirmed segment: same link and number, submit minute
/// within the window of the segment's claim (uses `segments_unconfirmed`).
const ORPHANS_OF_UNCONFIRMED: &str = concat!(
    "SELECT DISTINCT o.id, o.link, o.recipient, o.submitted_at
     FROM segments s JOIN recipients r ON r.id = s.recipient_id
     JOIN orphan_reports o ON o.link = s.link AND o.recipient = r.number
     WHERE s.state = ",
    segment_state!(unconfirmed),
    " AND o.submitted_at BETWEEN s.claimed_at - ?1 AND s.claimed_at + ?2
     ORDER BY o.id"
);

/// Looks again at the orphans kept before their segment became unconfirmed — a report
/// that overtook its submit response, then hongyan stopped before the response was
/// stored — and settles what they identify. Returns how many segments were settled.
pub(crate) fn settle_orphans(c: &Connection, cache: &mut Cache, now: Millis) -> Result<usize> {
    let found = c
        .prepare_cached(ORPHANS_OF_UNCONFIRMED)?
        .query_map(params![MINUTE + SKEW, SKEW], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Millis>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    settle_found(c, cache, found, now)
}

/// Orphans of the link and number segment `?1` went out on (uses
/// `orphan_reports_identity`).
const ORPHANS_BESIDE: &str = "SELECT o.id, o.link, o.recipient, o.submitted_at
     FROM segments s JOIN recipients r ON r.id = s.recipient_id
     JOIN orphan_reports o ON o.link = s.link AND o.recipient = r.number
     WHERE s.id = ?1 AND o.submitted_at IS NOT NULL
     ORDER BY o.id";

/// After segment `segment_id` left `in_flight` with its carrier's answer (its own message
/// id, or a refusal): a report kept because that segment was a candidate still in flight
/// may now identify an unconfirmed segment beside it (the other parts of a message a
/// kill cut, another message to the same number). Looks at the orphans of its link and
/// number again and settles what they identify; returns how many were settled. Without
/// this they would wait for the next start's sweep.
pub(crate) fn settle_orphans_beside(
    c: &Connection,
    cache: &mut Cache,
    segment_id: i64,
    now: Millis,
) -> Result<usize> {
    let found = c
        .prepare_cached(ORPHANS_BESIDE)?
        .query_map([segment_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Millis>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    settle_found(c, cache, found, now)
}

/// Settles what each orphan found identifies, skipping those an earlier one's pair took.
fn settle_found(
    c: &Connection,
    cache: &mut Cache,
    found: Vec<(i64, String, String, Millis)>,
    now: Millis,
) -> Result<usize> {
    let mut settled = 0;
    for (orphan_id, link, number, minute) in found {
        let still_there: bool = c
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM orphan_reports WHERE id = ?1)")?
            .query_row([orphan_id], |r| r.get(0))?;
        // A pair settled earlier in this sweep may have taken it.
        if still_there && settle_orphan(c, cache, &link, &number, minute, orphan_id, now)?.is_some()
        {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Settles what orphan `orphan_id` (of `link`, `number`, submit `minute`) identifies.
fn settle_orphan(
    c: &Connection,
    cache: &mut Cache,
    link: &str,
    number: &str,
    minute: Millis,
    orphan_id: i64,
    now: Millis,
) -> Result<Option<ReportOutcome>> {
    let (from, to) = (minute - SKEW, minute + MINUTE + SKEW);
    let mut candidates = Vec::new();
    for (sql, state) in [
        (candidates!(unconfirmed), DeliveryState::Unconfirmed),
        (candidates!(in_flight), DeliveryState::InFlight),
    ] {
        let ids = c
            .prepare_cached(sql)?
            .query_map(params![link, number, from, to], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        candidates.extend(
            ids.into_iter()
                .map(|segment_id| Candidate { segment_id, state }),
        );
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    let twins = c
        .prepare_cached(
            "SELECT id, status FROM orphan_reports
             WHERE link = ?1 AND recipient = ?2 AND submitted_at = ?3",
        )?
        .query_map(params![link, number, minute], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?
        .map(|row| {
            let (orphan_id, status) = row?;
            Ok(Twin {
                orphan_id,
                status: ReportStatus::from_code(status)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let Settle::Pairs(pairs) = decide(&candidates, &twins, orphan_id) else {
        tracing::info!(
            link,
            orphan = orphan_id,
            candidates = candidates.len(),
            "report for no known message id; more than one segment it may be about, kept"
        );
        return Ok(None);
    };
    let mut outcome = None;
    for (segment_id, orphan) in pairs {
        let applied = apply(c, cache, segment_id, orphan, now)?;
        if orphan == orphan_id {
            outcome = applied;
        }
    }
    Ok(outcome)
}

/// Applies orphan report `orphan` to unconfirmed segment `segment_id` and deletes it.
fn apply(
    c: &Connection,
    cache: &mut Cache,
    segment_id: i64,
    orphan: i64,
    now: Millis,
) -> Result<Option<ReportOutcome>> {
    let (msg_id, status, stat, err): (String, i64, String, String) = c
        .prepare_cached("SELECT msg_id, status, stat, err FROM orphan_reports WHERE id = ?1")?
        .query_row([orphan], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let status = ReportStatus::from_code(status)?;
    let state = status.segment_state();
    let error = (status != ReportStatus::Delivered).then(|| format!("report {stat} {err}"));
    let at = c
        .prepare_cached(concat!(
            "UPDATE segments
             SET state = ?2, msg_id = ?3, report_stat = ?4, report_err = ?5, reported_at = ?6,
                 updated_at = ?6, last_error = coalesce(?7, last_error)
             WHERE id = ?1 AND state = ",
            segment_state!(unconfirmed),
            "
             RETURNING recipient_id, job_id, part, parts"
        ))?
        .query_row(
            params![segment_id, state.code(), msg_id, stat, err, now, error],
            |r| {
                Ok(SegmentPlace {
                    segment_id,
                    recipient_id: r.get(0)?,
                    job_id: r.get(1)?,
                    part: r.get(2)?,
                    parts: r.get(3)?,
                })
            },
        )?;
    cache.counts.moved(DeliveryState::Unconfirmed, state, 1);
    c.prepare_cached("DELETE FROM orphan_reports WHERE id = ?1")?
        .execute([orphan])?;
    // Maybe that was the last one; look again when next needed.
    cache.orphans = None;
    let recipient_state = settle(c, &at, state, now)?;
    super::webhooks::report_event(c, &cache.webhooks, &at, &msg_id, status, &stat, &err, now)?;
    tracing::info!(
        segment = segment_id,
        %msg_id,
        %stat,
        "unconfirmed segment settled by a report that identifies it"
    );
    Ok(Some(ReportOutcome::Matched {
        segment_id,
        recipient_id: at.recipient_id,
        job_id: at.job_id,
        recipient_state,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unconfirmed(segment_id: i64) -> Candidate {
        Candidate {
            segment_id,
            state: DeliveryState::Unconfirmed,
        }
    }

    fn twin(orphan_id: i64, status: ReportStatus) -> Twin {
        Twin { orphan_id, status }
    }

    #[test]
    fn one_unconfirmed_candidate_takes_the_report() {
        assert_eq!(
            decide(&[unconfirmed(4)], &[twin(9, ReportStatus::Failed)], 9),
            Settle::Pairs(vec![(4, 9)])
        );
        assert_eq!(
            decide(&[], &[twin(9, ReportStatus::Failed)], 9),
            Settle::Leave
        );
    }

    #[test]
    fn a_candidate_in_flight_leaves_everything() {
        let in_flight = Candidate {
            segment_id: 5,
            state: DeliveryState::InFlight,
        };
        assert_eq!(
            decide(
                &[unconfirmed(4), in_flight],
                &[twin(9, ReportStatus::Delivered)],
                9
            ),
            Settle::Leave
        );
    }

    #[test]
    fn several_candidates_wait_for_as_many_reports_saying_the_same() {
        let parts = [unconfirmed(11), unconfirmed(10)];
        let d = ReportStatus::Delivered;
        assert_eq!(decide(&parts, &[twin(7, d)], 7), Settle::Leave);
        assert_eq!(
            decide(&parts, &[twin(8, d), twin(7, d)], 8),
            Settle::Pairs(vec![(10, 7), (11, 8)])
        );
        assert_eq!(
            decide(&parts, &[twin(7, d), twin(8, ReportStatus::Failed)], 8),
            Settle::Leave
        );
        assert_eq!(
            decide(&parts, &[twin(7, d), twin(8, d), twin(9, d)], 9),
            Settle::Leave
        );
    }
}
