//! What the dashboard (概览) counts: per day (a day of the caller's time zone) and
//! carrier, the message parts accepted that day and what became of them — sent (accepted
//! by the carrier), delivered, failed (refused, undeliverable or expired), unreported —
//! and the oldest message waiting in the queue.
//!
//! A day's parts are found by id range (ids follow acceptance time: one index seek on
//! `jobs_created` per end, then the segments between the two jobs' first segments), so a
//! day costs its own parts, never all history. A day's counts are kept in `daily_sends`
//! once computed: a day whose outcome is settled (its end lies further back than the
//! report deadline) is computed once and read back from then on; a recent day is
//! recomputed when its counts are older than [`REFRESH_MS`], so a dashboard reloaded
//! often costs a few rows, and a 30-day chart over a million jobs costs at most one
//! recent day's scan now and then.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;
use super::sql_states::segment_state;
use super::state::Priority;

/// How old a recent day's counts may be before they are counted again.
pub const REFRESH_MS: Millis = 30_000;

/// One carrier's parts accepted on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DaySends {
    /// The day's start (unix ms).
    pub day: Millis,
    /// The carrier (store key: `cmcc`, `cucc`, `ctcc`).
    pub carrier: String,
    /// Message parts accepted.
    pub segments: u64,
    /// Of those, accepted by the carrier.
    pub sent: u64,
    /// Delivered to the handset.
    pub delivered: u64,
    /// Refused, undeliverable or expired.
    pub failed: u64,
    /// Accepted by the carrier, with no report in time.
    pub unreported: u64,
}

/// The oldest message waiting in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldestWaiting {
    /// Its job.
    pub job_id: i64,
    /// The number.
    pub number: String,
    /// The carrier.
    pub carrier: String,
    /// When it was accepted.
    pub since: Millis,
}

/// The first segment id of the parts accepted at or after `at` (`None`: none is).
fn first_segment_at(c: &Connection, at: Millis) -> Result<Option<i64>> {
    Ok(c.prepare_cached(
        "SELECT first_segment FROM jobs WHERE created_at >= ?1 ORDER BY created_at, id LIMIT 1",
    )?
    .query_row([at], |r| r.get(0))
    .optional()?)
}

/// Counts the parts accepted in `[start, end)`, per carrier, from the segments.
pub(crate) fn count_days(c: &Connection, start: Millis, end: Millis) -> Result<Vec<DaySends>> {
    let Some(lo) = first_segment_at(c, start)? else {
        return Ok(Vec::new());
    };
    let hi = first_segment_at(c, end)?.unwrap_or(i64::MAX);
    let sql = concat!(
        "SELECT carrier, count(*), count(submitted_at), sum(state = ",
        segment_state!(delivered),
        "), sum(state IN (",
        segment_state!(failed, expired),
        ")), sum(state = ",
        segment_state!(unreported),
        ") FROM segments WHERE id >= ?1 AND id < ?2 GROUP BY carrier ORDER BY carrier"
    );
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let rows = c
        .prepare_cached(sql)?
        .query_map(params![lo, hi], |r| {
            Ok(DaySends {
                day: start,
                carrier: r.get(0)?,
                segments: n(r.get(1)?),
                sent: n(r.get(2)?),
                delivered: n(r.get(3)?),
                failed: n(r.get(4)?),
                unreported: n(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The kept counts of `day` if they are still good at `now`: computed after the day
/// settled (`settled_at`), or less than [`REFRESH_MS`] ago.
fn kept(
    c: &Connection,
    day: Millis,
    settled_at: Millis,
    now: Millis,
) -> Result<Option<Vec<DaySends>>> {
    let computed: Option<Millis> = c
        .prepare_cached("SELECT computed_at FROM daily_sends_days WHERE day = ?1")?
        .query_row([day], |r| r.get(0))
        .optional()?;
    let good = computed.is_some_and(|at| at >= settled_at || at > now - REFRESH_MS);
    if !good {
        return Ok(None);
    }
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let rows = c
        .prepare_cached(
            "SELECT carrier, segments, sent, delivered, failed, unreported FROM daily_sends
             WHERE day = ?1 ORDER BY carrier",
        )?
        .query_map([day], |r| {
            Ok(DaySends {
                day,
                carrier: r.get(0)?,
                segments: n(r.get(1)?),
                sent: n(r.get(2)?),
                delivered: n(r.get(3)?),
                failed: n(r.get(4)?),
                unreported: n(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(rows))
}

fn keep(c: &Connection, day: Millis, rows: &[DaySends], now: Millis) -> Result<()> {
    c.prepare_cached("DELETE FROM daily_sends WHERE day = ?1")?
        .execute([day])?;
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut insert = c.prepare_cached(
        "INSERT INTO daily_sends (day, carrier, segments, sent, delivered, failed, unreported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in rows {
        insert.execute(params![
            day,
            r.carrier,
            i(r.segments),
            i(r.sent),
            i(r.delivered),
            i(r.failed),
            i(r.unreported)
        ])?;
    }
    c.prepare_cached(
        "INSERT INTO daily_sends_days (day, computed_at) VALUES (?1, ?2)
         ON CONFLICT (day) DO UPDATE SET computed_at = excluded.computed_at",
    )?
    .execute(params![day, now])?;
    Ok(())
}

/// The oldest queued message: the lowest recipient id of each (carrier, priority) part
/// of the claim index — one seek each — and the lowest of those.
pub(crate) fn oldest_waiting(c: &Connection, carriers: &[String]) -> Result<Option<OldestWaiting>> {
    let mut best: Option<i64> = None;
    let mut seek = c.prepare_cached(concat!(
        "SELECT min(id) FROM recipients WHERE carrier = ?1 AND priority = ?2 AND state = ",
        crate::store::sql_states::dispatch_state!(queued)
    ))?;
    for carrier in carriers {
        for p in Priority::ALL {
            let id: Option<i64> = seek.query_row(params![carrier, p.code()], |r| r.get(0))?;
            if let Some(id) = id {
                best = Some(best.map_or(id, |b| b.min(id)));
            }
        }
    }
    let Some(id) = best else {
        return Ok(None);
    };
    Ok(c.prepare_cached(
        "SELECT job_id, number, carrier, created_at FROM recipients WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(OldestWaiting {
            job_id: r.get(0)?,
            number: r.get(1)?,
            carrier: r.get(2)?,
            since: r.get(3)?,
        })
    })
    .optional()?)
}

impl StoreHandle {
    /// The counts of each day in `days` (each `[start, end)`), per carrier: kept ones
    /// while good, the others counted on the read connection and kept. A day is settled
    /// `settle_ms` after its end (the report deadline): from then on its counts no longer
    /// change and are counted once more, then kept.
    pub async fn daily_sends(
        &self,
        days: Vec<(Millis, Millis)>,
        settle_ms: Millis,
        now: Millis,
    ) -> Result<Vec<DaySends>> {
        let (mut out, fresh) = self
            .read(move |c| {
                let mut out = Vec::new();
                let mut fresh = Vec::new();
                for (start, end) in days {
                    let settled_at = end.saturating_add(settle_ms);
                    match kept(c, start, settled_at, now)? {
                        Some(rows) => out.extend(rows),
                        None => fresh.push((start, count_days(c, start, end)?)),
                    }
                }
                Ok((out, fresh))
            })
            .await?;
        if !fresh.is_empty() {
            let to_keep = fresh.clone();
            self.call(move |s| {
                s.write(|c, _| {
                    for (day, rows) in &to_keep {
                        keep(c, *day, rows, now)?;
                    }
                    Ok(())
                })
            })
            .await?;
            out.extend(fresh.into_iter().flat_map(|(_, rows)| rows));
        }
        out.sort_by(|a, b| (a.day, &a.carrier).cmp(&(b.day, &b.carrier)));
        Ok(out)
    }

    /// The oldest message waiting in the queue of one of `carriers` (store keys), on the
    /// read connection.
    pub async fn oldest_waiting(&self, carriers: Vec<String>) -> Result<Option<OldestWaiting>> {
        self.read(move |c| oldest_waiting(c, &carriers)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, one};

    const DAY: Millis = 86_400_000;

    #[tokio::test]
    async fn days_are_counted_by_their_parts_and_kept_once_settled() {
        let db = TempDb::new("daily-sends");
        let h = db.handle();
        // Day 0: two messages; day 1: one; nothing on day 2.
        for (number, at) in [
            ("13800000001", 10),
            ("13800000002", 20),
            ("13800000003", DAY + 5),
        ] {
            h.enqueue(one(number), at).await.unwrap();
        }
        let days = vec![(0, DAY), (DAY, 2 * DAY), (2 * DAY, 3 * DAY)];
        let now = 10 * DAY;
        let counts = h.daily_sends(days.clone(), DAY, now).await.unwrap();
        assert_eq!(
            counts
                .iter()
                .map(|d| (d.day, d.segments, d.sent))
                .collect::<Vec<_>>(),
            [(0, 2, 0), (DAY, 1, 0)]
        );
        // Settled days are read back as kept: a message slipped in behind the count's
        // back (as a test can) does not show.
        h.enqueue(one("13800000004"), DAY + 6).await.unwrap();
        let again = h.daily_sends(days.clone(), DAY, now + 1).await.unwrap();
        assert_eq!(again, counts);
        // A day not yet settled is counted again once its counts are older than
        // REFRESH_MS.
        h.enqueue(one("13800000005"), 3 * DAY + 5).await.unwrap();
        let recent = vec![(3 * DAY, 4 * DAY)];
        let early = 4 * DAY + 1;
        let first = h.daily_sends(recent.clone(), DAY, early).await.unwrap();
        assert_eq!(first[0].segments, 1);
        h.enqueue(one("13800000006"), 3 * DAY + 7).await.unwrap();
        let cached = h.daily_sends(recent.clone(), DAY, early + 1).await.unwrap();
        assert_eq!(cached[0].segments, 1, "kept within REFRESH_MS");
        let later = h
            .daily_sends(recent, DAY, early + REFRESH_MS + 1)
            .await
            .unwrap();
        assert_eq!(later[0].segments, 2);
        h.close().await.unwrap();
    }

    #[test]
    fn outcomes_are_counted_by_state() {
        let db = TempDb::new("daily-sends-states");
        let mut s = db.open();
        s.enqueue(&one("13800000001"), 10).unwrap();
        s.enqueue(&one("13800000002"), 11).unwrap();
        s.conn()
            .execute_batch(
                "UPDATE segments SET state = 4, submitted_at = 12 WHERE id = (SELECT min(id) FROM segments);
                 UPDATE segments SET state = 5 WHERE id = (SELECT max(id) FROM segments);",
            )
            .unwrap();
        s.check_counts = false;
        let rows = count_days(s.conn(), 0, 100).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.segments, r.sent, r.delivered, r.failed, r.unreported),
            (2, 1, 1, 1, 0)
        );
        assert!(count_days(s.conn(), 100, 200).unwrap().is_empty());
    }

    #[test]
    fn the_oldest_waiting_message_is_found_by_seeks() {
        let db = TempDb::new("daily-sends-oldest");
        let mut s = db.open();
        assert_eq!(oldest_waiting(s.conn(), &["cmcc".into()]).unwrap(), None);
        let a = s.enqueue(&one("13800000001"), 10).unwrap().job_id;
        s.enqueue(&one("13800000002"), 20).unwrap();
        let found = oldest_waiting(s.conn(), &["cmcc".into(), "ctcc".into()])
            .unwrap()
            .unwrap();
        assert_eq!((found.job_id, found.since), (a, 10));
    }
}
