//! Durable end-to-end throughput of the store, measured (never asserted) by ignored tests:
//!
//! ```text
//! cargo test --release -p hongyan --lib store::throughput -- --ignored --nocapture
//! ```
//!
//! `HONGYAN_STORE_BENCH_MSGS` overrides the message count (default 200 000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::loadgen::{LoadConfig, phased, pipeline};
use super::testutil::TempDb;
use super::{StoreOptions, Synchronous};

fn config() -> LoadConfig {
    let messages = std::env::var("HONGYAN_STORE_BENCH_MSGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    LoadConfig {
        messages,
        ..LoadConfig::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
#[ignore = "measurement; run with --ignored --nocapture"]
fn pipelined_end_to_end() {
    for sync in [Synchronous::Normal, Synchronous::Full] {
        let db = TempDb::new("throughput");
        let mut cfg = config();
        cfg.options = StoreOptions {
            synchronous: sync,
            ..StoreOptions::default()
        };
        let r = runtime().block_on(pipeline(db.path(), &cfg));
        let per_msg = |d: Option<std::time::Duration>| {
            d.map(|d| format!("{:.1} µs", d.as_secs_f64() * 1e6 / r.messages as f64))
                .unwrap_or_else(|| "n/a".into())
        };
        println!(
            "store pipeline ({sync:?}): {} messages enqueue→claim→submit→report in {:.2?} \
             = {:.0} msgs/s; CPU per message: writer thread {}, whole process {}",
            r.messages,
            r.elapsed,
            r.per_second(),
            per_msg(r.writer_cpu),
            per_msg(r.process_cpu),
        );
    }
}

#[test]
#[ignore = "measurement; run with --ignored --nocapture"]
fn phased_end_to_end() {
    let db = TempDb::new("throughput-phased");
    let cfg = config();
    let r = runtime().block_on(phased(db.path(), &cfg));
    let rate = |d: std::time::Duration| r.messages as f64 / d.as_secs_f64();
    println!(
        "store phases, {} messages: enqueue {:.2?} ({:.0}/s), claim+submit {:.2?} ({:.0}/s), \
         report {:.2?} ({:.0}/s); whole {:.0} msgs/s",
        r.messages,
        r.enqueue,
        rate(r.enqueue),
        r.submit,
        rate(r.submit),
        r.report,
        rate(r.report),
        rate(r.enqueue + r.submit + r.report)
    );
}

/// The SQL floor: the same four steps on the synchronous core, 1 000 commands per
/// transaction, no channel and no async runtime.
#[test]
#[ignore = "measurement; run with --ignored --nocapture"]
fn sync_core_floor() {
    use super::{ClaimRequest, NewJob, NewRecipient, NewReport, Priority, ReportStatus};
    use std::time::Instant;
    let n = config().messages;
    let db = TempDb::new("throughput-sync");
    let mut s = db.open();
    let job = |i: u64| NewJob {
        sender: None,
        idempotency_key: None,
        priority: Priority::Bulk,
        text: "您的验证码是 123456，5 分钟内有效。".into(),
        signature: "【鸿雁】".into(),
        source_ext: None,
        send_at: None,
        expires_at: None,
        recipients: vec![NewRecipient {
            number: format!("138{i:08}"),
            carrier: "cmcc".into(),
            segments: 1,
            reference: None,
        }],
    };
    let cpu = || super::loadgen::process_cpu().unwrap_or_default();
    let c0 = cpu();
    let t = Instant::now();
    for chunk in 0..n.div_ceil(1000) {
        s.begin().unwrap();
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            s.enqueue(&job(i), 1).unwrap();
        }
        s.commit().unwrap();
    }
    let enqueue = t.elapsed();
    let c1 = cpu();
    let t = Instant::now();
    let mut segs = Vec::new();
    loop {
        s.begin().unwrap();
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "l".into(),
            connection: 1,
            max_segments: 1000,
        };
        let c = s.claim(&req, 2).unwrap();
        s.commit().unwrap();
        if c.is_empty() {
            break;
        }
        segs.extend(c.iter().map(|m| m.segments[0].segment_id));
    }
    let claim = t.elapsed();
    let c2 = cpu();
    let t = Instant::now();
    for chunk in segs.chunks(1000) {
        s.begin().unwrap();
        for id in chunk {
            s.mark_submitted(*id, &id.to_string(), 3).unwrap();
        }
        s.commit().unwrap();
    }
    let submit = t.elapsed();
    let c3 = cpu();
    let t = Instant::now();
    for chunk in segs.chunks(1000) {
        s.begin().unwrap();
        for id in chunk {
            let r = NewReport {
                carrier: "cmcc".into(),
                msg_id: id.to_string(),
                status: ReportStatus::Delivered,
                stat: "DELIVRD".into(),
                err: "000".into(),
                raw: None,
                link: None,
                recipient: None,
                submitted_at: None,
            };
            s.record_report(&r, 4).unwrap();
        }
        s.commit().unwrap();
    }
    let report = t.elapsed();
    let c4 = cpu();
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "store sync core CPU per message: enqueue {:.1} µs, claim {:.1} µs, submit {:.1} µs, \
         report {:.1} µs; all four {:.1} µs",
        us(c1 - c0),
        us(c2 - c1),
        us(c3 - c2),
        us(c4 - c3),
        us(c4 - c0)
    );
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "store sync core, {n} messages: enqueue {:.0}/s, claim {:.0}/s, submit {:.0}/s, \
         report {:.0}/s; all four {:.0} msgs/s",
        rate(enqueue),
        rate(claim),
        rate(submit),
        rate(report),
        rate(enqueue + claim + submit + report)
    );
}
