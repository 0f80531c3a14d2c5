//! Load generator for the store's durable end-to-end throughput: enqueue → claim →
//! mark_submitted → record_report through a [`StoreHandle`](crate::store::StoreHandle) with
//! many concurrent callers.
//!
//! Shared by the ignored test `store::throughput` and `benches/store.rs` (which includes this
//! file by path and provides `crate::store` as a re-export of `hongyan::store`), so it uses
//! only the store's public API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::store::{
    ClaimRequest, NewJob, NewRecipient, NewReport, Priority, ReportOutcome, ReportStatus,
    StoreHandle, StoreOptions, now_millis,
};

/// How to load the store.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// One-segment messages to push through.
    pub messages: u64,
    /// Concurrent enqueueing tasks.
    pub producers: u64,
    /// Most messages between claim and report at once.
    pub in_flight: usize,
    /// Segments per claim.
    pub claim_size: usize,
    /// Store options.
    pub options: StoreOptions,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            messages: 200_000,
            producers: 64,
            in_flight: 8_192,
            claim_size: 1_024,
            options: StoreOptions::default(),
        }
    }
}

/// Measured figures.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Messages that went the whole way.
    pub messages: u64,
    /// Wall time from the first enqueue to the last report.
    pub elapsed: Duration,
    /// Time until the last enqueue was acknowledged.
    pub enqueue_done: Duration,
    /// CPU time of the store's writer thread over the run (Linux only).
    pub writer_cpu: Option<Duration>,
    /// CPU time of the whole process over the run (Linux only).
    pub process_cpu: Option<Duration>,
}

/// CPU time (user + system) from a `/proc/.../stat` line: fields 14 and 15 after the
/// command name, in clock ticks of (on Linux, practically always) 10 ms.
fn stat_cpu(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time used so far by this process.
pub fn process_cpu() -> Option<Duration> {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// CPU time used so far by the thread of this process named `name`.
pub fn thread_cpu(name: &str) -> Option<Duration> {
    let wanted = format!("({name})");
    std::fs::read_dir("/proc/self/task")
        .ok()?
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .find(|stat| stat.contains(&wanted))
        .and_then(|stat| stat_cpu(&stat))
}

impl LoadReport {
    /// Whole messages per second.
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

fn job(i: u64) -> NewJob {
    NewJob {
        sender: None,
        idempotency_key: None,
        priority: if i % 10 == 0 {
            Priority::Approval
        } else {
            Priority::Bulk
        },
        text: "您的验证码是 123456，5 分钟内有效。".into(),
        signature: "【鸿雁】".into(),
        source_ext: None,
        send_at: None,
        expires_at: None,
        recipients: vec![NewRecipient {
            number: format!("138{:08}", i % 100_000_000),
            carrier: "cmcc".into(),
            segments: 1,
            reference: None,
        }],
    }
}

/// Runs the pipeline on a fresh file at `path`: producers enqueue while a dispatcher claims,
/// submits and reports concurrently, all through one handle.
pub async fn pipeline(path: &Path, cfg: &LoadConfig) -> LoadReport {
    let h = StoreHandle::open(path, cfg.options.clone()).unwrap();
    let start = Instant::now();
    let cpu_start = process_cpu();
    // The writer names its thread as it starts; wait for that.
    let mut writer_start = None;
    for _ in 0..100 {
        writer_start = thread_cpu("hongyan-store");
        if writer_start.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let next = Arc::new(AtomicU64::new(0));
    let mut producers = tokio::task::JoinSet::new();
    for _ in 0..cfg.producers {
        let h = h.clone();
        let next = Arc::clone(&next);
        let total = cfg.messages;
        producers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                h.enqueue(job(i), now_millis()).await.unwrap();
            }
        });
    }
    let enqueue_timer = tokio::spawn(async move {
        while let Some(r) = producers.join_next().await {
            r.unwrap();
        }
        start.elapsed()
    });

    let reported = Arc::new(AtomicU64::new(0));
    let permits = Arc::new(Semaphore::new(cfg.in_flight));
    let mut claimed_total = 0u64;
    while claimed_total < cfg.messages {
        let want = cfg.claim_size.min(permits.available_permits());
        if want == 0 {
            // Wait for room, then look again.
            drop(permits.acquire().await.unwrap());
            continue;
        }
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "bench".into(),
            connection: 1,
            max_segments: want,
        };
        let claimed = h.claim(req, now_millis()).await.unwrap();
        if claimed.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        for m in claimed {
            claimed_total += 1;
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let h = h.clone();
            let reported = Arc::clone(&reported);
            let segment = m.segments[0].segment_id;
            tokio::spawn(async move {
                let msg_id = segment.to_string();
                h.mark_submitted(segment, msg_id.clone(), now_millis())
                    .await
                    .unwrap();
                let report = NewReport {
                    carrier: "cmcc".into(),
                    msg_id,
                    status: ReportStatus::Delivered,
                    stat: "DELIVRD".into(),
                    err: "000".into(),
                    raw: None,
                    link: None,
                    recipient: None,
                    submitted_at: None,
                };
                let out = h.record_report(report, now_millis()).await.unwrap();
                assert!(matches!(out, ReportOutcome::Matched { .. }), "{out:?}");
                reported.fetch_add(1, Ordering::Relaxed);
                drop(permit);
            });
        }
    }
    // All claimed; wait for the last reports.
    let _all = permits
        .acquire_many(u32::try_from(cfg.in_flight).unwrap())
        .await
        .unwrap();
    let elapsed = start.elapsed();
    let process_cpu = process_cpu().zip(cpu_start).map(|(b, a)| b - a);
    let writer_cpu = thread_cpu("hongyan-store")
        .zip(writer_start)
        .map(|(b, a)| b - a);
    let enqueue_done = enqueue_timer.await.unwrap();
    let done = reported.load(Ordering::Relaxed);
    assert_eq!(done, cfg.messages);
    let depth = h.queue_depth().await.unwrap();
    assert_eq!(depth.segments.delivered, cfg.messages);
    h.close().await.unwrap();
    LoadReport {
        messages: done,
        elapsed,
        enqueue_done,
        writer_cpu,
        process_cpu,
    }
}

/// Figures of the phased run: each step over all messages before the next.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// Enqueue of every message.
    pub enqueue: Duration,
    /// Claim and mark_submitted of every message.
    pub submit: Duration,
    /// record_report of every message.
    pub report: Duration,
    /// Messages.
    pub messages: u64,
}

/// Runs each step over all messages before the next, to see which step costs what.
pub async fn phased(path: &Path, cfg: &LoadConfig) -> PhaseReport {
    let h = StoreHandle::open(path, cfg.options.clone()).unwrap();
    let n = cfg.messages;
    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..cfg.producers {
        let h = h.clone();
        let next = Arc::clone(&next);
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                h.enqueue(job(i), now_millis()).await.unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let enqueue = t.elapsed();

    let t = Instant::now();
    let mut segments = Vec::with_capacity(usize::try_from(n).unwrap());
    let permits = Arc::new(Semaphore::new(cfg.in_flight));
    loop {
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "bench".into(),
            connection: 1,
            max_segments: cfg.claim_size,
        };
        let claimed = h.claim(req, now_millis()).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        for m in claimed {
            let segment = m.segments[0].segment_id;
            segments.push(segment);
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let h = h.clone();
            tokio::spawn(async move {
                h.mark_submitted(segment, segment.to_string(), now_millis())
                    .await
                    .unwrap();
                drop(permit);
            });
        }
    }
    let _all = permits
        .acquire_many(u32::try_from(cfg.in_flight).unwrap())
        .await
        .unwrap();
    drop(_all);
    let submit = t.elapsed();

    let t = Instant::now();
    for segment in segments {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let h = h.clone();
        tokio::spawn(async move {
            let report = NewReport {
                carrier: "cmcc".into(),
                msg_id: segment.to_string(),
                status: ReportStatus::Delivered,
                stat: "DELIVRD".into(),
                err: "000".into(),
                raw: None,
                link: None,
                recipient: None,
                submitted_at: None,
            };
            h.record_report(report, now_millis()).await.unwrap();
            drop(permit);
        });
    }
    let _all = permits
        .acquire_many(u32::try_from(cfg.in_flight).unwrap())
        .await
        .unwrap();
    let report = t.elapsed();
    assert_eq!(h.queue_depth().await.unwrap().segments.delivered, n);
    h.close().await.unwrap();
    PhaseReport {
        enqueue,
        submit,
        report,
        messages: n,
    }
}
