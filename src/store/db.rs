//! [`Store`]: the synchronous store on one connection, and its transaction discipline.
//!
//! Each public operation (in `jobs`, `sending`, `reports`, `recovery`, `read`, `inbox`)
//! goes through [`Store::write`]: outside a transaction it opens one, commits on success and
//! rolls back on error; inside one (the writer's batch) it just runs. Operations find
//! refusals before their first write (see [`StoreError::is_refusal`]), so a refused command
//! leaves a batch intact.

use std::path::Path;

use rusqlite::Connection;

use super::error::{Result, StoreError};
use super::schema::{self, StoreOptions};
use super::state::DeliveryState;

/// Next free row ids, cached so a job's recipients and segments get contiguous ids without
/// a `max(id)` query per insert.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextIds {
    pub(crate) recipient: i64,
    pub(crate) segment: i64,
}

/// Facts about the file the writer keeps in memory to save statements on the hot path.
/// Each is `None` when unknown (at open, and after any rollback, since rolled-back writes
/// may have changed it) and is then read from the file again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cache {
    /// Next free recipient and segment ids.
    pub(crate) next: Option<NextIds>,
    /// Whether `orphan_reports` may have rows: when it has none, a submit response need
    /// not look for a report that came before it.
    pub(crate) orphans: Option<bool>,
    /// Webhooks per event kind (configuration, not file state: survives a rollback).
    pub(crate) webhooks: std::sync::Arc<super::webhooks::Subscriptions>,
    /// How the open transaction changed the number of segments in each state; added to
    /// `segment_counts` just before it commits (forgotten with it on rollback).
    pub(crate) counts: CountDeltas,
}

/// Changes to the per-state segment counts (`segment_counts`) made by the open
/// transaction. Every statement that inserts, deletes or changes the state of segments
/// records here what it did, so [`queue_depth`](Store::queue_depth) reads ten rows
/// instead of counting all history.
#[derive(Debug, Clone, Default)]
pub(crate) struct CountDeltas([i64; DeliveryState::ALL.len()]);

impl CountDeltas {
    /// `n` segments entered `state` (inserted).
    pub(crate) fn added(&mut self, state: DeliveryState, n: usize) {
        self.shift(state, to_i64(n));
    }

    /// `n` segments in `state` went (deleted).
    pub(crate) fn removed(&mut self, state: DeliveryState, n: usize) {
        self.shift(state, -to_i64(n));
    }

    /// `n` segments went from `from` to `to`.
    pub(crate) fn moved(&mut self, from: DeliveryState, to: DeliveryState, n: usize) {
        if from != to {
            self.removed(from, n);
            self.added(to, n);
        }
    }

    fn shift(&mut self, state: DeliveryState, by: i64) {
        if let Some(slot) = usize::try_from(state.code())
            .ok()
            .and_then(|i| self.0.get_mut(i))
        {
            *slot += by;
        }
    }

    /// Adds the changes to `segment_counts` and forgets them.
    fn flush(&mut self, conn: &Connection) -> Result<()> {
        if self.0.iter().all(|&n| n == 0) {
            return Ok(());
        }
        let mut add = conn.prepare_cached(
            "INSERT INTO segment_counts (state, n) VALUES (?1, ?2)
             ON CONFLICT (state) DO UPDATE SET n = n + excluded.n",
        )?;
        for (state, n) in DeliveryState::ALL.iter().zip(self.0) {
            if n != 0 {
                add.execute([state.code(), n])?;
            }
        }
        self.0 = Default::default();
        Ok(())
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The store on one SQLite connection. See the [module docs](super).
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    cache: Cache,
    /// Tests: check at drop that `segment_counts` agrees with the segments (off for tests
    /// that damage rows on purpose).
    #[cfg(test)]
    pub(crate) check_counts: bool,
}

impl Store {
    /// Opens (creating if needed) a store file for writing, in WAL mode, and migrates it.
    pub fn open(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Self> {
        let conn = schema::open_writer(path.as_ref(), options)?;
        Ok(Self {
            conn,
            cache: Cache::default(),
            #[cfg(test)]
            check_counts: true,
        })
    }

    /// Which webhooks hear of which events: from now on, each such event queues one
    /// delivery per webhook in the same transaction as the change it reports.
    pub fn set_webhooks(&mut self, subs: super::webhooks::Subscriptions) {
        self.cache.webhooks = std::sync::Arc::new(subs);
    }

    /// Runs `f` in the open transaction, or in a new one that commits if `f` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection, &mut Cache) -> Result<T>,
    ) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(&self.conn, &mut self.cache);
        }
        self.begin()?;
        match f(&self.conn, &mut self.cache) {
            Ok(v) => match self.commit() {
                Ok(()) => Ok(v),
                Err(e) => {
                    self.rollback();
                    Err(e)
                }
            },
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Starts a write transaction (the writer's batch).
    pub(crate) fn begin(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Commits the open transaction, with its changes to the segment counts.
    pub(crate) fn commit(&mut self) -> Result<()> {
        self.cache.counts.flush(&self.conn)?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Rolls back the open transaction, if any, and forgets the cache.
    pub(crate) fn rollback(&mut self) {
        self.cache = Cache {
            webhooks: std::sync::Arc::clone(&self.cache.webhooks),
            ..Cache::default()
        };
        if !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "store rollback failed");
            }
        }
    }

    /// The connection, for reads.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Every store a test drops (outside a transaction, not already failing) has its
/// `segment_counts` checked against a count of the segments: so each store test also
/// checks that the operations it ran kept the counts right.
#[cfg(test)]
impl Drop for Store {
    fn drop(&mut self) {
        if !self.check_counts || std::thread::panicking() || !self.conn.is_autocommit() {
            return;
        }
        let differ = count_mismatches(&self.conn)
            .unwrap_or_else(|e| panic!("cannot check segment_counts: {e}"));
        assert!(
            differ.is_empty(),
            "segment_counts (state, kept, counted) disagree with the segments: {differ:?}"
        );
    }
}

/// States whose `segment_counts` row differs from a count of the segments: (state, kept,
/// counted).
#[cfg(test)]
pub(crate) fn count_mismatches(conn: &Connection) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    conn.prepare(
        "SELECT state, sum(kept), sum(counted) FROM (
             SELECT state, n AS kept, 0 AS counted FROM segment_counts
             UNION ALL
             SELECT state, 0, count(*) FROM segments GROUP BY state)
         GROUP BY state HAVING sum(kept) <> sum(counted)",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}

/// Loads the next free ids if not cached.
pub(crate) fn next_ids(conn: &Connection, cache: &mut Cache) -> Result<NextIds> {
    if let Some(n) = cache.next {
        return Ok(n);
    }
    let recipient: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM recipients")?
        .query_row([], |r| r.get(0))?;
    let segment: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM segments")?
        .query_row([], |r| r.get(0))?;
    let n = NextIds { recipient, segment };
    cache.next = Some(n);
    Ok(n)
}

/// Whether `orphan_reports` may have rows, from the cache or the file.
pub(crate) fn orphans_may_exist(conn: &Connection, cache: &mut Cache) -> Result<bool> {
    if let Some(any) = cache.orphans {
        return Ok(any);
    }
    let any: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orphan_reports)")?
        .query_row([], |r| r.get(0))?;
    cache.orphans = Some(any);
    Ok(any)
}

/// A `u8`/`u16`/`u32` column read as its type, or [`StoreError::Corrupt`].
pub(crate) fn narrow<T: TryFrom<i64>>(value: i64, column: &'static str) -> Result<T> {
    T::try_from(value).map_err(|_| StoreError::Corrupt { column, value })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, one};

    #[test]
    fn a_store_dropped_mid_batch_keeps_every_committed_job_and_nothing_half_written() {
        let db = TempDb::new("db-drop");
        let mut committed = Vec::new();
        {
            let mut s = db.open();
            for i in 0..50 {
                committed.push(s.enqueue(&one(&format!("1{i}")), 1).unwrap().job_id);
            }
            s.begin().unwrap();
            for i in 0..5 {
                committed.push(s.enqueue(&one(&format!("2{i}")), 2).unwrap().job_id);
            }
            s.commit().unwrap();
            // A batch that never commits: its callers were never told "accepted".
            s.begin().unwrap();
            s.enqueue(
                &crate::store::testutil::job(crate::store::Priority::Bulk, &[("3", 2), ("4", 1)]),
                3,
            )
            .unwrap();
            // Dropped here, transaction open.
        }
        let mut s = db.open();
        for id in &committed {
            let st = s.job_status(*id).unwrap().expect("committed job lost");
            assert_eq!(st.recipients.len(), 1);
            assert_eq!(st.recipients[0].segments.len(), 1);
        }
        let depth = s.queue_depth().unwrap();
        assert_eq!(
            depth.segments.queued, 55,
            "the open batch left nothing behind"
        );
        // Ids continue after the committed rows.
        let next = s.enqueue(&one("5"), 4).unwrap().job_id;
        let st = s.job_status(next).unwrap().unwrap();
        assert_eq!(st.recipients[0].recipient_id, 56);
        assert_eq!(st.recipients[0].segments[0].segment_id, 56);
    }

    #[test]
    fn a_rolled_back_write_forgets_its_ids() {
        let db = TempDb::new("db-rollback");
        let mut s = db.open();
        s.begin().unwrap();
        s.enqueue(&one("1"), 1).unwrap();
        s.rollback();
        assert!(s.conn().is_autocommit());
        let id = s.enqueue(&one("2"), 2).unwrap().job_id;
        let st = s.job_status(id).unwrap().unwrap();
        assert_eq!(
            st.recipients[0].recipient_id, 1,
            "ids reused after rollback"
        );
        // A write inside an open transaction joins it instead of committing on its own.
        s.begin().unwrap();
        let inner = s.enqueue(&one("3"), 3).unwrap().job_id;
        assert!(!s.conn().is_autocommit());
        s.rollback();
        assert!(s.job_status(inner).unwrap().is_none());
    }

    #[test]
    fn narrow_refuses_out_of_range_values() {
        assert_eq!(narrow::<u8>(255, "x").unwrap(), 255);
        assert!(matches!(
            narrow::<u8>(256, "segments.part"),
            Err(StoreError::Corrupt {
                column: "segments.part",
                value: 256
            })
        ));
        assert!(narrow::<u32>(-1, "x").is_err());
    }
}
