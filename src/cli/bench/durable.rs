//! `hongyan bench --durable`: durable end-to-end throughput of the whole daemon.
//!
//! The real [`Daemon`] on a fresh data directory, its links to in-process
//! simulated carriers on 127.0.0.1, and concurrent producers handing it bulk jobs through
//! the [`Submitter`](crate::dispatch::Submitter), as the API does. A message counts when its
//! status report is **stored**: enqueue (committed) → claim → SUBMIT on the wire → response
//! (msg id committed) → status report → matched and committed. Client, simulators and
//! SQLite share the machine's cores.
//!
//! Numbers are generated per carrier from real segments (139…, 133…, 130…), so routing
//! sends each through its own carrier's link, as in production.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::{Config, Synchronous};
use crate::daemon::{Daemon, DaemonError};
use crate::dispatch::SendRequest;
use crate::policy::Category;
use crate::store::{DeliveryState, JobId};

/// Options of the durable bench (`hongyan bench --durable`).
#[derive(Debug, Clone)]
pub struct DurableBenchOptions {
    /// One-segment messages to push through in all.
    pub messages: u64,
    /// Recipients per job (a bulk send to a group is one job).
    pub recipients_per_job: u64,
    /// Concurrent producers handing jobs to the daemon.
    pub producers: u64,
    /// In-flight window per connection.
    pub window: u16,
    /// Connections per link.
    pub connections: u8,
    /// Which carriers to send to: only China Mobile (one link), or all three.
    pub all_carriers: bool,
    /// fsync every commit batch (`storage.synchronous = "full"`).
    pub fsync: bool,
    /// Where the database goes (removed afterwards); default a fresh temp directory.
    pub data_dir: Option<PathBuf>,
    /// Give up after this long.
    pub timeout: Duration,
    /// Send every job as this category (`marketing`: opt-out suffix, opt-out list and
    /// daily caps checked per job, quiet hours off so nothing waits).
    pub category: Category,
    /// A generated sensitive-word list of this many words checked against every job
    /// (0: none), to measure the policy's cost.
    pub policy_words: usize,
}

impl Default for DurableBenchOptions {
    fn default() -> Self {
        Self {
            messages: 200_000,
            recipients_per_job: 100,
            producers: 8,
            window: 64,
            connections: 1,
            all_carriers: false,
            fsync: false,
            data_dir: None,
            timeout: Duration::from_secs(300),
            category: Category::Notice,
            policy_words: 0,
        }
    }
}

/// What the durable bench measured.
#[derive(Debug, Clone)]
pub struct DurableBenchReport {
    /// Messages whose report was stored as delivered.
    pub delivered: u64,
    /// Messages that ended otherwise (should be 0).
    pub not_delivered: u64,
    /// Time until every job was accepted (committed).
    pub accepted_in: Duration,
    /// Time until every report was stored.
    pub elapsed: Duration,
    /// Links used.
    pub links: usize,
    /// Options as run.
    pub options: DurableBenchOptions,
}

impl DurableBenchReport {
    /// Messages per second end to end (report stored).
    pub fn per_second(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for DurableBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "durable: {} messages ({} per job, {} producers) over {} link(s), window {}, synchronous {}",
            o.messages,
            o.recipients_per_job,
            o.producers,
            self.links,
            o.window,
            if o.fsync { "full" } else { "normal" },
        )?;
        writeln!(
            f,
            "policy: category {}, {} sensitive word(s)",
            o.category, o.policy_words
        )?;
        writeln!(
            f,
            "accepted (committed) in {:.3} s = {:.0} msg/s",
            self.accepted_in.as_secs_f64(),
            o.messages as f64 / self.accepted_in.as_secs_f64().max(1e-9)
        )?;
        write!(
            f,
            "delivered and report stored: {} in {:.3} s = {:.0} msg/s; not delivered: {}",
            self.delivered,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.not_delivered
        )
    }
}

/// Why the bench could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum DurableBenchError {
    /// The daemon did not start.
    #[error("daemon: {0}")]
    Daemon(#[from] DaemonError),
    /// A send was refused.
    #[error("send: {0}")]
    Send(String),
    /// Not everything settled in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The data directory.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The bench's daemon config: the embedded default (simulated carriers) on `dir`, no
/// rate limit worth the name, the bench's window.
fn bench_config(o: &DurableBenchOptions, dir: PathBuf) -> Result<Config, DurableBenchError> {
    let mut config = Config::embedded_default().map_err(|e| {
        DurableBenchError::Daemon(DaemonError::Config {
            key: "embedded".into(),
            reason: e.to_string(),
        })
    })?;
    config.storage.data_dir = dir;
    config.storage.synchronous = if o.fsync {
        Synchronous::Full
    } else {
        Synchronous::Normal
    };
    config.log.level = "warn".into();
    // Quiet hours would make a marketing run at night wait for the morning: the bench
    // measures what the checks cost, not the schedule.
    config.policy.quiet_hours = String::new();
    if o.policy_words > 0 {
        let path = config.storage.data_dir.join("sensitive-words.txt");
        std::fs::write(&path, generated_words(o.policy_words)).map_err(|source| {
            DurableBenchError::DataDir {
                path: path.clone(),
                source,
            }
        })?;
        config.policy.sensitive_words = Some(path);
    }
    if !o.all_carriers {
        config.links.retain(|l| l.protocol.name() == "cmpp3");
    }
    for l in &mut config.links {
        l.window = o.window;
        l.connections = o.connections;
        l.rate = 100_000;
        l.signature = None;
    }
    Ok(config)
}

/// `n` distinct words, one per line, none of which occurs in the bench's texts.
fn generated_words(n: usize) -> String {
    (0..n).map(|i| format!("禁词{i:05}\n")).collect()
}

/// The `i`-th bench number: China Mobile 139…, or round-robin over the three carriers.
fn number(i: u64, all: bool) -> String {
    let prefix = if all {
        ["139", "133", "130"][(i % 3) as usize]
    } else {
        "139"
    };
    format!("{prefix}{:08}", i % 100_000_000)
}

/// Runs the durable bench.
pub async fn run_durable_bench(
    o: DurableBenchOptions,
) -> Result<DurableBenchReport, DurableBenchError> {
    let dir = o.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hongyan-bench-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| DurableBenchError::DataDir {
        path: dir.clone(),
        source,
    })?;
    let result = run_in(&o, dir.clone()).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    o: &DurableBenchOptions,
    dir: PathBuf,
) -> Result<DurableBenchReport, DurableBenchError> {
    let config = bench_config(o, dir)?;
    let links = config.links.len();
    let daemon = Daemon::start(config).await?;
    let per_job = o.recipients_per_job.max(1);
    let jobs = o.messages.div_ceil(per_job);
    let producers = o.producers.clamp(1, jobs.max(1));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for p in 0..producers {
        let submitter = daemon.submitter();
        let (messages, all, category) = (o.messages, o.all_carriers, o.category);
        tasks.spawn(async move {
            let mut ids = Vec::new();
            for j in (p..jobs).step_by(producers as usize) {
                let first = j * per_job;
                let last = (first + per_job).min(messages);
                let recipients = (first..last).map(|i| number(i, all)).collect();
                let mut req = SendRequest::new(
                    recipients,
                    format!("bench {j}: your parcel is at the locker"),
                );
                req.category = category;
                let out = submitter.send(req).await.map_err(|e| e.to_string())?;
                match out.job {
                    Some(job) if out.accepted() == (last - first) as usize => ids.push(job.job_id),
                    _ => return Err(format!("job {j}: not every recipient was accepted")),
                }
            }
            Ok::<Vec<JobId>, String>(ids)
        });
    }
    let mut ids = Vec::with_capacity(jobs as usize);
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(mut v)) => ids.append(&mut v),
            Ok(Err(e)) => return Err(DurableBenchError::Send(e)),
            Err(e) => return Err(DurableBenchError::Send(e.to_string())),
        }
    }
    let accepted_in = started.elapsed();
    ids.sort_unstable();
    let deadline = started + o.timeout;
    // Until every report is committed, only the links' counters are looked at (atomics,
    // every few milliseconds): reading the jobs back is verification, and must not
    // compete with the daemon for the two cores it measures.
    let monitors = daemon.link_monitors();
    let stored = || -> u64 { monitors.iter().map(|m| m.metrics().reports_stored).sum() };
    while stored() < o.messages && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut finished = Instant::now();
    let (mut delivered, mut not_delivered) = (0u64, 0u64);
    let store = daemon.store();
    for id in ids {
        let mut waited = false;
        loop {
            let st = store
                .job_status(id)
                .await
                .map_err(|e| DurableBenchError::Timeout(e.to_string()))?
                .ok_or_else(|| DurableBenchError::Timeout(format!("job {id} vanished")))?;
            if st.recipients.iter().all(|r| r.state.is_final()) {
                for r in &st.recipients {
                    if r.state == DeliveryState::Delivered {
                        delivered += 1;
                    } else {
                        not_delivered += 1;
                    }
                }
                if waited {
                    // A message ended without a report (or the counter ran ahead on a
                    // repeated one): the run lasted until this job was final.
                    finished = finished.max(Instant::now());
                }
                break;
            }
            if Instant::now() > deadline {
                return Err(DurableBenchError::Timeout(format!(
                    "job {id}: {:?}",
                    st.state
                )));
            }
            waited = true;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let elapsed = finished - started;
    daemon.shutdown(Duration::from_secs(10)).await;
    Ok(DurableBenchReport {
        delivered,
        not_delivered,
        accepted_in,
        elapsed,
        links,
        options: o.clone(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_route_to_the_carrier_asked_for() {
        assert_eq!(number(5, false), "13900000005");
        assert_eq!(number(0, true), "13900000000");
        assert_eq!(number(1, true), "13300000001");
        assert_eq!(number(2, true), "13000000002");
    }

    /// A small run: every message ends delivered with its report stored. (Counts, not
    /// timings: the rate is measured by hand, see BENCHMARKS.md.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_delivers_every_message_over_all_three_carriers() {
        let o = DurableBenchOptions {
            messages: 1_000,
            recipients_per_job: 50,
            producers: 3,
            all_carriers: true,
            timeout: Duration::from_secs(60),
            ..DurableBenchOptions::default()
        };
        let r = run_durable_bench(o).await.unwrap();
        assert_eq!(r.delivered, 1_000);
        assert_eq!(r.not_delivered, 0);
        assert_eq!(r.links, 3);
    }

    /// With the policy on — marketing, a 10,000-word list — every message still goes
    /// (none of the bench's numbers is opted out or over a cap; no text holds a word).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_marketing_run_with_a_word_list_delivers_every_message() {
        let o = DurableBenchOptions {
            messages: 500,
            recipients_per_job: 50,
            producers: 2,
            category: Category::Marketing,
            policy_words: 10_000,
            // Its own directory: the other run here takes the default one.
            data_dir: Some(
                std::env::temp_dir().join(format!("hongyan-bench-policy-{}", std::process::id())),
            ),
            timeout: Duration::from_secs(60),
            ..DurableBenchOptions::default()
        };
        let r = run_durable_bench(o).await.unwrap();
        assert_eq!(r.delivered, 500);
        assert_eq!(r.not_delivered, 0);
    }
}
