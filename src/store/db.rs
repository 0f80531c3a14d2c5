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

/// Next free row ids, cached by the writer so a job's recipients and segments get
/// contiguous ids without a `max(id)` query per insert. Reset whenever a transaction rolls
/// back (the rolled-back inserts may have been counted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextIds {
    pub(crate) recipient: i64,
    pub(crate) segment: i64,
}

/// The store on one SQLite connection. See the [module docs](super).
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    next: Option<NextIds>,
}

impl Store {
    /// Opens (creating if needed) a store file for writing, in WAL mode, and migrates it.
    pub fn open(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Self> {
        let conn = schema::open_writer(path.as_ref(), options)?;
        Ok(Self { conn, next: None })
    }

    /// Runs `f` in the open transaction, or in a new one that commits if `f` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection, &mut Option<NextIds>) -> Result<T>,
    ) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(&self.conn, &mut self.next);
        }
        self.begin()?;
        match f(&self.conn, &mut self.next) {
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

    /// Commits the open transaction.
    pub(crate) fn commit(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Rolls back the open transaction, if any, and forgets the cached ids.
    pub(crate) fn rollback(&mut self) {
        self.next = None;
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

/// Loads the next free ids if not cached.
pub(crate) fn next_ids(conn: &Connection, next: &mut Option<NextIds>) -> Result<NextIds> {
    if let Some(n) = *next {
        return Ok(n);
    }
    let recipient: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM recipients")?
        .query_row([], |r| r.get(0))?;
    let segment: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM segments")?
        .query_row([], |r| r.get(0))?;
    let n = NextIds { recipient, segment };
    *next = Some(n);
    Ok(n)
}

/// A `u8`/`u16`/`u32` column read as its type, or [`StoreError::Corrupt`].
pub(crate) fn narrow<T: TryFrom<i64>>(value: i64, column: &'static str) -> Result<T> {
    T::try_from(value).map_err(|_| StoreError::Corrupt { column, value })
}
