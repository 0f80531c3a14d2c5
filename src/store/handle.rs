//! [`StoreHandle`]: the store for async code — one writer thread that batches every waiting
//! command into one transaction, and a read-only connection for queries.
//!
//! The writer replies to a command only after the transaction holding it has committed. If
//! SQLite fails during a batch (not a refusal: see [`StoreError::is_refusal`]), the batch is
//! rolled back and its commands are run again one transaction each, so only the command
//! that really fails gets the error.
//!
//! This file is only the writer thread and the two doors into it: [`StoreHandle::call`]
//! (a write, batched) and [`StoreHandle::read`] (a query on the read connection). The
//! async operations themselves — `enqueue`, `claim`, `mark_submitted`, … — are small
//! `impl StoreHandle` blocks in each topic's file, beside the SQL they run, so a new
//! operation is one edit in one file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::db::Store;
use super::error::{Result, StoreError};
use super::schema::{self, StoreOptions};

/// A command waiting for the writer.
trait Pending: Send {
    /// Runs against the store (inside the batch transaction, or alone); returns true if the
    /// outcome is a failure that must roll the batch back.
    fn run(&mut self, store: &mut Store) -> bool;
    /// Sends the outcome to the caller.
    fn reply(self: Box<Self>);
}

struct Call<T, F> {
    op: F,
    outcome: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Pending for Call<T, F>
where
    T: Send,
    F: FnMut(&mut Store) -> Result<T> + Send,
{
    fn run(&mut self, store: &mut Store) -> bool {
        let outcome = (self.op)(store);
        let failed = matches!(&outcome, Err(e) if !e.is_refusal());
        self.outcome = Some(outcome);
        failed
    }

    fn reply(self: Box<Self>) {
        let outcome = self.outcome.unwrap_or(Err(StoreError::Internal(
            "command replied to without being run",
        )));
        // The caller may have gone away; its change is committed either way.
        let _ = self.reply.send(outcome);
    }
}

/// The outcome of a command already queued for the writer (see
/// [`StoreHandle::mark_submitted_deferred`]); it is committed whether or not anybody
/// awaits it.
#[derive(Debug)]
pub struct Deferred<T>(oneshot::Receiver<Result<T>>);

impl<T> Deferred<T> {
    /// Waits until the command has run and its transaction committed.
    pub async fn outcome(self) -> Result<T> {
        self.0.await.map_err(|_| StoreError::Closed)?
    }
}

enum Msg {
    Run(Box<dyn Pending>),
    /// Runs after the batch before it has committed, outside any transaction (it opens its
    /// own): for a command that must change connection settings, which SQLite ignores
    /// inside a transaction.
    Alone(Box<dyn Pending>),
    Close(oneshot::Sender<()>),
}

/// Cloneable async handle to the store. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Msg>,
    reader: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Run(_) => "Run",
            Self::Alone(_) => "Alone",
            Self::Close(_) => "Close",
        })
    }
}

impl StoreHandle {
    /// Opens (creating and migrating if needed) the store file and starts the writer
    /// thread (and, with [`StoreOptions::background_checkpoint`], the checkpointer).
    /// Errors opening the file come back here, before any thread runs.
    ///
    /// Call it inside the tokio runtime that will use the handle: replies are then handed
    /// out by a task on that runtime, one wake-up per batch. Opened outside a runtime, the
    /// writer replies itself (correct, somewhat slower).
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let store = Store::open(&path, &options)?;
        let reader = schema::open_reader(&path, &options)?;
        let checkpointer = if options.background_checkpoint {
            let conn = schema::open_checkpointer(&path, &options)?;
            store.conn().pragma_update(
                None,
                "wal_autocheckpoint",
                schema::WRITER_AUTOCHECKPOINT_BACKSTOP,
            )?;
            Some(conn)
        } else {
            None
        };
        let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
        let max_batch = options.max_batch.max(1);
        let replier = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let (done, mut batches) = mpsc::unbounded_channel::<Vec<Box<dyn Pending>>>();
            rt.spawn(async move {
                while let Some(batch) = batches.recv().await {
                    for cmd in batch {
                        cmd.reply();
                    }
                }
            });
            done
        });
        std::thread::Builder::new()
            .name("hongyan-store".into())
            .spawn(move || {
                // Stops when the writer drops `_stop`, i.e. when the writer stops.
                let (_stop, stopped) = std::sync::mpsc::channel::<()>();
                if let Some(conn) = checkpointer {
                    let spawned = std::thread::Builder::new()
                        .name("hongyan-ckpt".into())
                        .spawn(move || checkpoint_loop(conn, stopped));
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, "no checkpoint thread; the writer checkpoints");
                    }
                }
                writer(store, rx, max_batch, replier);
            })
            .map_err(|_| StoreError::Closed)?;
        Ok(Self {
            tx,
            reader: Arc::new(Mutex::new(reader)),
            path: Arc::new(path),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `op` on the writer thread, in the next batch's transaction, and returns its
    /// outcome once that transaction has committed. What every write operation of the
    /// topic files goes through: `self.call(move |s| s.enqueue(&job, now)).await`.
    ///
    /// `op` is `FnMut` because a failed batch is rolled back and its commands run again,
    /// one transaction each: it must not consume what it captured.
    pub(super) async fn call<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Store) -> Result<T> + Send + 'static,
    {
        self.call_deferred(op).await?.outcome().await
    }

    /// Like `call`, but returns as soon as the command is queued for the writer: the
    /// outcome is awaited later through the [`Deferred`]. Commands queued one after
    /// another from one task run in that order (the writer takes them first in, first
    /// out), so a caller can queue a whole burst — and have it share one transaction —
    /// without giving up ordering.
    pub(super) async fn call_deferred<T, F>(&self, op: F) -> Result<Deferred<T>>
    where
        T: Send + 'static,
        F: FnMut(&mut Store) -> Result<T> + Send + 'static,
    {
        self.queue(op, Msg::Run).await
    }

    /// Like `call`, for a command that runs alone ([`Msg::Alone`]).
    pub(super) async fn call_alone<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Store) -> Result<T> + Send + 'static,
    {
        self.queue(op, Msg::Alone).await?.outcome().await
    }

    /// Hands `op` to the writer as `how` (in a batch, or alone).
    async fn queue<T, F>(&self, op: F, how: fn(Box<dyn Pending>) -> Msg) -> Result<Deferred<T>>
    where
        T: Send + 'static,
        F: FnMut(&mut Store) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let call = Call {
            op,
            outcome: None,
            reply,
        };
        self.tx
            .send(how(Box::new(call)))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(Deferred(rx))
    }

    /// Runs `f` on the read-only connection (on tokio's blocking pool), so a query never
    /// waits behind a write batch; it sees every change that has been acknowledged.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .map_err(|_| StoreError::Internal("store reader lock poisoned"))?;
            f(&conn)
        })
        .await
        .map_err(|_| StoreError::Internal("store read task failed"))?
    }

    /// Stops the writer after the commands already sent, and waits until it has committed
    /// them and closed the file. Later calls on any clone get [`StoreError::Closed`].
    pub async fn close(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Close(tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)
    }
}

/// The writer thread: take what is waiting, run it in one transaction, commit, reply.
/// `replier`, when the handle was opened inside a tokio runtime, is a task there that
/// sends the replies of a committed batch: one cross-thread wake-up per batch instead of
/// one per command (each of those can cost the writer a futex or eventfd system call).
fn writer(
    mut store: Store,
    mut rx: mpsc::Receiver<Msg>,
    max_batch: usize,
    replier: Option<mpsc::UnboundedSender<Vec<Box<dyn Pending>>>>,
) {
    let mut batch: Vec<Box<dyn Pending>> = Vec::with_capacity(max_batch.min(1024));
    let mut closing = None;
    let mut alone = None;
    let (mut batches, mut commands) = (0u64, 0u64);
    let reply = |done: Vec<Box<dyn Pending>>| {
        let unsent = match &replier {
            Some(replier) => replier.send(done).err().map(|e| e.0),
            None => Some(done),
        };
        // No runtime to reply from (or it is gone): reply from here.
        for cmd in unsent.into_iter().flatten() {
            cmd.reply();
        }
    };
    while closing.is_none() {
        match rx.blocking_recv() {
            Some(Msg::Run(cmd)) => batch.push(cmd),
            Some(Msg::Alone(cmd)) => alone = Some(cmd),
            Some(Msg::Close(done)) => closing = Some(done),
            None => break,
        }
        // A command that runs alone ends the batch: what came before it commits first.
        while closing.is_none() && alone.is_none() && batch.len() < max_batch {
            match rx.try_recv() {
                Ok(Msg::Run(cmd)) => batch.push(cmd),
                Ok(Msg::Alone(cmd)) => alone = Some(cmd),
                Ok(Msg::Close(done)) => closing = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            batches += 1;
            commands += u64::try_from(batch.len()).unwrap_or(0);
            run_batch(&mut store, &mut batch);
            reply(std::mem::replace(
                &mut batch,
                Vec::with_capacity(max_batch.min(1024)),
            ));
        }
        if let Some(mut cmd) = alone.take() {
            batches += 1;
            commands += 1;
            cmd.run(&mut store);
            reply(vec![cmd]);
        }
    }
    // Commands sent after Close find the channel closed (their reply is dropped: Closed).
    rx.close();
    drop(rx);
    drop(store);
    if let Some(done) = closing {
        let _ = done.send(());
    }
    tracing::debug!(batches, commands, "store writer stopped");
}

/// Copies committed WAL frames back into the database while the writer goes on writing
/// (a PASSIVE checkpoint never blocks it), so the log stays short and the writer does not
/// stall on the checkpoint's fsync.
///
/// The writer cuts the log back to [`schema::WAL_SIZE_LIMIT`] when it starts it over, but
/// that takes a write: after a burst (or a crash run) an idle store would keep a large
/// log. So once everything is copied and nothing was written since the last round, a
/// TRUNCATE checkpoint empties the file; it waits only for readers, and the writer is
/// idle.
fn checkpoint_loop(conn: Connection, stop: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    let every = std::time::Duration::from_millis(100);
    let mut last_log = None;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match done {
            Ok((log, copied)) => {
                tracing::trace!(log, copied, "store checkpoint");
                if idle_and_oversized(last_log, log, copied) {
                    if let Err(e) =
                        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    {
                        tracing::debug!(error = %e, "store log not truncated");
                    }
                    last_log = None;
                } else {
                    last_log = Some(log);
                }
            }
            Err(e) => tracing::warn!(error = %e, "store checkpoint failed"),
        }
    }
}

/// Whether the log is wholly copied, unchanged since the previous round (`before` frames)
/// and larger than the limit: then emptying it costs the writer nothing.
fn idle_and_oversized(before: Option<i64>, log: i64, copied: i64) -> bool {
    /// Frames of a 4 KiB page (SQLite's default) in the limit.
    const LIMIT_FRAMES: i64 = schema::WAL_SIZE_LIMIT / 4096;
    log > LIMIT_FRAMES && copied == log && before == Some(log)
}

fn run_batch(store: &mut Store, batch: &mut [Box<dyn Pending>]) {
    if batch.len() > 1 {
        let together = store.begin().is_ok() && {
            let failed = batch.iter_mut().any(|cmd| cmd.run(store));
            !failed && store.commit().is_ok()
        };
        if together {
            return;
        }
        store.rollback();
        tracing::warn!(
            commands = batch.len(),
            "store batch failed; running its commands one by one"
        );
    }
    for cmd in batch.iter_mut() {
        // Outside a transaction each command opens and commits its own.
        cmd.run(store);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::model::{CancelOutcome, NewInbound, ReportOutcome};
    use crate::store::testutil::{TempDb, claim_req, inbound, one, report};
    use crate::store::{DeliveryState, JobState, ReportStatus};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_purge_runs_alone_between_batches_and_leaves_foreign_keys_on() {
        let db = TempDb::new("handle-purge");
        let h = db.handle();
        let old = h.enqueue(one("13800000001"), 1).await.unwrap().job_id;
        let c = h.claim(claim_req("cmcc", 10), 1).await.unwrap();
        h.mark_submitted(c[0].segments[0].segment_id, "m".into(), 1)
            .await
            .unwrap();
        h.record_report(report("m", ReportStatus::Delivered), 1)
            .await
            .unwrap();
        // The newest job always stays (ids count on from it); this one is queued anyway.
        h.enqueue(one("13800000002"), 1).await.unwrap();
        // Queued from concurrent tasks, so the purge lands between (or in the middle of)
        // batches of other commands.
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..20 {
            let h = h.clone();
            tasks.spawn(async move { h.enqueue(one(&format!("1390000{i:04}")), 2).await });
        }
        let purged = h.purge(1_000, 0, 100).await.unwrap();
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(purged.jobs, 1, "{purged:?}");
        assert!(h.job_status(old).await.unwrap().is_none());
        assert_eq!(h.queue_depth().await.unwrap().segments.queued, 21);
        // Enforcement is back: a segment of a recipient that does not exist is refused.
        let dangling = h
            .call(|s| {
                s.write(|c, _| {
                    c.execute(
                        "INSERT INTO segments (recipient_id, job_id, carrier, part, parts,
                                               state, updated_at)
                         VALUES (999999, 1, 'cmcc', 1, 1, 1, 0)",
                        [],
                    )?;
                    Ok(())
                })
            })
            .await;
        assert!(
            matches!(dangling, Err(StoreError::Sqlite(_))),
            "{dangling:?}"
        );
        h.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_batches_and_all_commit() {
        let db = TempDb::new("handle-concurrent");
        let h = db.handle();
        let mut tasks = tokio::task::JoinSet::new();
        for t in 0..16 {
            let h = h.clone();
            tasks.spawn(async move {
                let mut ids = Vec::new();
                for i in 0..50 {
                    let mut j = one(&format!("138{t:04}{i:04}"));
                    j.idempotency_key = Some(format!("{t}-{i}"));
                    ids.push(h.enqueue(j, 1).await.unwrap().job_id);
                }
                ids
            });
        }
        let mut all = Vec::new();
        while let Some(ids) = tasks.join_next().await {
            all.extend(ids.unwrap());
        }
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 800);
        let depth = h.queue_depth().await.unwrap();
        assert_eq!(depth.segments.queued, 800);
        // A repeated key through the handle returns the same job; with another body it is
        // refused.
        let mut j = one("13800000000");
        j.idempotency_key = Some("0-0".into());
        let again = h.enqueue(j.clone(), 2).await.unwrap();
        assert!(!again.created);
        assert!(all.contains(&again.job_id));
        j.text = "other".into();
        let conflict = h.enqueue(j, 2).await;
        assert!(matches!(
            conflict,
            Err(StoreError::IdempotencyConflict { .. })
        ));
        assert_eq!(h.queue_depth().await.unwrap().segments.queued, 800);
        h.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_refusal_does_not_fail_its_batch_neighbours() {
        let db = TempDb::new("handle-refusal");
        let h = db.handle();
        // Sent together so they share a batch: a refused mark_submitted in the middle.
        let (a, bad, b) = tokio::join!(
            h.enqueue(one("1"), 1),
            h.mark_submitted(424_242, "x".into(), 1),
            h.enqueue(one("2"), 1),
        );
        assert!(matches!(bad, Err(StoreError::NotFound { .. })));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(h.job_status(a.job_id).await.unwrap().is_some());
        assert!(h.job_status(b.job_id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_failing_command_is_isolated_from_its_batch() {
        let db = TempDb::new("handle-failure");
        let h = db.handle();
        // A command whose SQL fails: rolls the batch back, then runs alone and fails alone.
        let broken = h.call(|s: &mut Store| {
            s.write(|c, _| {
                c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
                Ok(())
            })
        });
        let (a, bad, b) = tokio::join!(h.enqueue(one("1"), 1), broken, h.enqueue(one("2"), 1));
        assert!(matches!(bad, Err(StoreError::Sqlite(_))));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_ne!(a.job_id, b.job_id);
        assert!(h.job_status(a.job_id).await.unwrap().is_some());
        assert!(h.job_status(b.job_id).await.unwrap().is_some());
        // The ids stayed contiguous after the rollback: a fresh job reads back whole.
        let c = h.enqueue(one("3"), 2).await.unwrap();
        let st = h.job_status(c.job_id).await.unwrap().unwrap();
        assert_eq!(st.recipients.len(), 1);
        assert_eq!(st.recipients[0].segments.len(), 1);
        assert_eq!(h.queue_depth().await.unwrap().segments.queued, 3);
    }

    #[tokio::test]
    async fn every_operation_works_through_the_handle() {
        let db = TempDb::new("handle-ops");
        let h = db.handle();
        assert_eq!(h.path(), db.path());
        let mut later = one("9");
        later.send_at = Some(1_000);
        later.expires_at = Some(2_000);
        let later = h.enqueue(later, 0).await.unwrap().job_id;
        let cancel_me = h.enqueue(one("8"), 0).await.unwrap().job_id;
        assert_eq!(
            h.cancel(cancel_me, 1).await.unwrap(),
            CancelOutcome::Cancelled { recipients: 1 }
        );
        let a = h.enqueue(one("1"), 0).await.unwrap().job_id;
        let b = h.enqueue(one("2"), 0).await.unwrap().job_id;
        let c = h.enqueue(one("3"), 0).await.unwrap().job_id;
        let claimed = h.claim(claim_req("cmcc", 10), 5).await.unwrap();
        assert_eq!(claimed.len(), 3);
        let seg = |i: usize| claimed[i].segments[0].segment_id;
        h.mark_submitted(seg(0), "m-a".into(), 6).await.unwrap();
        h.mark_failed(seg(1), 9, "refused".into(), 6).await.unwrap();
        let rq = h
            .requeue(vec![seg(2)], "throttled".into(), 6)
            .await
            .unwrap();
        let un = h
            .mark_unconfirmed(vec![seg(2), seg(1)], "x".into(), 6)
            .await
            .unwrap();
        assert!(un.moved.is_empty(), "neither is in flight");
        assert_eq!(rq.moved, vec![seg(2)]);
        let out = h
            .record_report(report("m-a", ReportStatus::Delivered), 7)
            .await
            .unwrap();
        assert!(matches!(out, ReportOutcome::Matched { .. }));
        let orphan = h
            .record_report(report("zzz", ReportStatus::Delivered), 7)
            .await
            .unwrap();
        assert!(matches!(orphan, ReportOutcome::Orphaned { .. }));
        assert_eq!(h.orphan_reports(10).await.unwrap().len(), 1);
        assert_eq!(h.promote_due(1_000).await.unwrap(), vec![later]);
        assert_eq!(h.expire(2_000).await.unwrap().len(), 1);
        assert_eq!(
            h.job_status(a).await.unwrap().unwrap().state,
            JobState::Delivered
        );
        assert_eq!(
            h.job_status(b).await.unwrap().unwrap().state,
            JobState::Failed
        );
        assert_eq!(
            h.job_status(c).await.unwrap().unwrap().state,
            JobState::Queued
        );
        assert_eq!(
            h.job_status(later).await.unwrap().unwrap().state,
            JobState::Expired
        );
        h.claim(claim_req("cmcc", 10), 8).await.unwrap();
        let rec = h.recover_on_start(false, 9).await.unwrap();
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].job_id, c);
        assert_eq!(
            h.job_status(c).await.unwrap().unwrap().recipients[0].state,
            DeliveryState::Unconfirmed
        );
        let id = h
            .inbox_insert(NewInbound {
                item_id: Some(a),
                ..inbound("13800000001", "106900011", "Y", 10)
            })
            .await
            .unwrap();
        assert_eq!(h.inbox_list(true, 10).await.unwrap().len(), 1);
        h.inbox_mark_read(id).await.unwrap();
        assert!(h.inbox_list(true, 10).await.unwrap().is_empty());
        let depth = h.queue_depth().await.unwrap();
        assert_eq!(depth.orphan_reports, 1);
        assert_eq!(depth.segments.total(), 5);

        h.close().await.unwrap();
        assert!(matches!(
            h.enqueue(one("x"), 11).await,
            Err(StoreError::Closed)
        ));
        assert!(matches!(h.close().await, Err(StoreError::Closed)));
        // The file reopens with everything.
        let s = Store::open(db.path(), &StoreOptions::default()).unwrap();
        assert_eq!(s.queue_depth().unwrap().segments.total(), 5);
    }

    fn call<T: Send + 'static>(
        op: impl FnMut(&mut Store) -> Result<T> + Send + 'static,
    ) -> (Box<dyn Pending>, oneshot::Receiver<Result<T>>) {
        let (reply, rx) = oneshot::channel();
        let cmd = Call {
            op,
            outcome: None,
            reply,
        };
        (Box::new(cmd), rx)
    }

    fn broken(s: &mut Store) -> Result<()> {
        s.write(|c, _| {
            c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
            Ok(())
        })
    }

    #[test]
    fn a_batch_commits_together_and_replies_after_commit() {
        let db = TempDb::new("batch-ok");
        let mut store = db.open();
        let (a, mut ra) = call(|s: &mut Store| s.enqueue(&one("1"), 1));
        let (b, mut rb) = call(|s: &mut Store| s.cancel(999, 1));
        let (c, mut rc) = call(|s: &mut Store| s.enqueue(&one("2"), 1));
        let mut batch = vec![a, b, c];
        run_batch(&mut store, &mut batch);
        assert!(ra.try_recv().is_err(), "no reply before the batch is done");
        for cmd in batch.drain(..) {
            cmd.reply();
        }
        let a = ra.try_recv().unwrap().unwrap();
        assert!(matches!(
            rb.try_recv().unwrap(),
            Err(StoreError::NotFound { .. })
        ));
        let c = rc.try_recv().unwrap().unwrap();
        assert!(store.conn().is_autocommit(), "committed");
        let other = Store::open(db.path(), &StoreOptions::default()).unwrap();
        assert!(other.job_status(a.job_id).unwrap().is_some());
        assert!(other.job_status(c.job_id).unwrap().is_some());
    }

    #[test]
    fn a_failed_batch_is_rolled_back_and_rerun_one_command_at_a_time() {
        let db = TempDb::new("batch-fail");
        let mut store = db.open();
        let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = Arc::clone(&runs);
        let (a, mut ra) = call(move |s: &mut Store| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            s.enqueue(&one("1"), 1)
        });
        let (b, mut rb) = call(broken);
        let (c, mut rc) = call(|s: &mut Store| s.enqueue(&one("2"), 1));
        let mut batch = vec![a, b, c];
        run_batch(&mut store, &mut batch);
        for cmd in batch.drain(..) {
            cmd.reply();
        }
        assert_eq!(
            runs.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "run in the batch, then alone"
        );
        let a = ra.try_recv().unwrap().unwrap();
        assert!(matches!(rb.try_recv().unwrap(), Err(StoreError::Sqlite(_))));
        let c = rc.try_recv().unwrap().unwrap();
        // Each job exactly once, whole, with contiguous ids despite the rollback.
        assert_eq!(store.queue_depth().unwrap().segments.queued, 2);
        for id in [a.job_id, c.job_id] {
            let st = store.job_status(id).unwrap().unwrap();
            assert_eq!(st.recipients[0].segments.len(), 1);
        }
    }

    #[test]
    fn a_reply_without_a_run_is_an_internal_error() {
        let (cmd, mut rx) = call(|s: &mut Store| s.queue_depth());
        cmd.reply();
        assert!(matches!(
            rx.try_recv().unwrap(),
            Err(StoreError::Internal(_))
        ));
    }

    async fn db_file_len_after_writes(name: &str, background: bool) -> (u64, u64) {
        let db = TempDb::new(name);
        let options = StoreOptions {
            background_checkpoint: background,
            ..StoreOptions::default()
        };
        let h = StoreHandle::open(db.path(), options).unwrap();
        let before = std::fs::metadata(db.path()).unwrap().len();
        for i in 0..60 {
            h.enqueue(one(&format!("{i}")), 1).await.unwrap();
        }
        // The checkpointer runs every 100 ms; allow a busy machine some slack.
        let mut after = before;
        for _ in 0..if background { 40 } else { 6 } {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            after = std::fs::metadata(db.path()).unwrap().len();
            if after > before {
                break;
            }
        }
        h.close().await.unwrap();
        (before, after)
    }

    #[test]
    fn only_an_idle_fully_copied_oversized_log_is_emptied() {
        let big = schema::WAL_SIZE_LIMIT / 4096 + 1;
        assert!(idle_and_oversized(Some(big), big, big));
        assert!(!idle_and_oversized(None, big, big), "first look");
        assert!(
            !idle_and_oversized(Some(big - 1), big, big),
            "written since"
        );
        assert!(
            !idle_and_oversized(Some(big), big, big - 1),
            "not all copied"
        );
        assert!(!idle_and_oversized(Some(10), 10, 10), "small enough");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_store_does_not_keep_a_large_log() {
        let db = TempDb::new("handle-idle-wal");
        let h = db.handle();
        // One write far larger than the limit, then nothing.
        h.call(|s| {
            let c = s.conn();
            c.execute_batch("CREATE TABLE IF NOT EXISTS big (x BLOB)")?;
            let rows = schema::WAL_SIZE_LIMIT / (1 << 20) + 8;
            for _ in 0..rows {
                c.execute("INSERT INTO big VALUES (randomblob(1048576))", [])?;
            }
            Ok(())
        })
        .await
        .unwrap();
        let wal = PathBuf::from(format!("{}-wal", db.path().display()));
        let limit = u64::try_from(schema::WAL_SIZE_LIMIT).unwrap();
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > limit, "{grown}");
        // The checkpointer runs every 100 ms; bounded wait for the file to shrink.
        let mut now = grown;
        for _ in 0..100 {
            now = std::fs::metadata(&wal).map_or(0, |m| m.len());
            if now <= limit {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(now <= limit, "{grown} -> {now}");
        h.close().await.unwrap();
    }

    #[tokio::test]
    async fn the_background_checkpointer_copies_the_log_into_the_database() {
        // 60 small commits stay far below SQLite's own 1 000-page checkpoint threshold, so
        // only the background thread moves pages into the main file.
        let (before, after) = db_file_len_after_writes("ckpt-on", true).await;
        assert!(after > before, "{before} -> {after}");
        let (before, after) = db_file_len_after_writes("ckpt-off", false).await;
        assert_eq!(after, before);
    }

    #[test]
    fn a_handle_opened_outside_a_runtime_replies_from_the_writer() {
        let db = TempDb::new("handle-no-runtime");
        let h = db.handle();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let id = h.enqueue(one("1"), 1).await.unwrap().job_id;
            assert!(h.job_status(id).await.unwrap().is_some());
            h.close().await.unwrap();
        });
    }

    #[test]
    fn the_handle_can_be_shared_across_tasks_and_the_store_moved_to_a_thread() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        fn movable<T: Send + 'static>() {}
        shared::<StoreHandle>();
        movable::<Store>();
    }

    #[test]
    fn open_errors_come_back_before_a_thread_starts() {
        let db = TempDb::new("handle-newer");
        let conn = Connection::open(db.path()).unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
        drop(conn);
        assert!(matches!(
            StoreHandle::open(db.path(), StoreOptions::default()),
            Err(StoreError::NewerSchema { found: 999, .. })
        ));
    }
}
