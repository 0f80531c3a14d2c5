//! The retention purge's part for polls (see `retention.rs`): a poll goes with the last
//! of its jobs, and with it every reply attributed to it, every reply to its extension
//! that was not, its extensions, and the group memberships its jobs were asked as.
//!
//! Replies hold subscribers' numbers and words, so they must not outlive the message
//! history they answer (`storage.retention`): a poll is kept exactly as long as one of
//! its jobs is.

use rusqlite::{Connection, params};

use super::error::Result;
use super::extensions::kind_code;
use super::model::{ItemKind, Millis};

/// Polls created before the cutoff that no job names any more (neither the asking job
/// nor a resend). `jobs_poll` makes each `NOT EXISTS` one index seek.
const ORPHANED: &str = "SELECT p.id FROM polls p
    WHERE p.created_at < ?1
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.poll_id = p.id)
      AND (p.job_id IS NULL OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = p.job_id))
    ORDER BY p.id LIMIT ?2";

/// Deletes up to `limit` polls whose jobs are all gone, with their rows in every poll
/// table; returns how many polls went.
pub(crate) fn purge_orphaned_polls(c: &Connection, cutoff: Millis, limit: usize) -> Result<u64> {
    let ids: Vec<i64> = c
        .prepare_cached(ORPHANED)?
        .query_map(
            params![cutoff, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut children = [
        c.prepare_cached("DELETE FROM poll_replies WHERE poll_id = ?1")?,
        c.prepare_cached("DELETE FROM poll_unmatched WHERE poll_id = ?1")?,
        c.prepare_cached("DELETE FROM poll_extensions WHERE poll_id = ?1")?,
    ];
    // A poll still open when its jobs went would otherwise hold its extensions for ever.
    let mut extensions =
        c.prepare_cached("DELETE FROM extensions WHERE item_kind = ?1 AND item_id = ?2")?;
    let mut poll = c.prepare_cached("DELETE FROM polls WHERE id = ?1")?;
    let mut n = 0u64;
    for id in ids {
        for stmt in &mut children {
            stmt.execute([id])?;
        }
        extensions.execute(params![kind_code(ItemKind::Poll), id])?;
        n += u64::try_from(poll.execute([id])?).unwrap_or(0);
    }
    Ok(n)
}
