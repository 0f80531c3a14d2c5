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
        println!(
            "store pipeline ({sync:?}): {} messages enqueue→claim→submit→report in {:.2?} \
             = {:.0} msgs/s (enqueues done after {:.2?})",
            r.messages,
            r.elapsed,
            r.per_second(),
            r.enqueue_done
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
    let t = Instant::now();
    for chunk in 0..n.div_ceil(1000) {
        s.begin().unwrap();
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            s.enqueue(&job(i), 1).unwrap();
        }
        s.commit().unwrap();
    }
    let enqueue = t.elapsed();
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
    let t = Instant::now();
    for chunk in segs.chunks(1000) {
        s.begin().unwrap();
        for id in chunk {
            s.mark_submitted(*id, &id.to_string(), 3).unwrap();
        }
        s.commit().unwrap();
    }
    let submit = t.elapsed();
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
            };
            s.record_report(&r, 4).unwrap();
        }
        s.commit().unwrap();
    }
    let report = t.elapsed();
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

#[test]
#[ignore = "measurement"]
fn report_statement_costs() {
    use super::{ClaimRequest, NewJob, NewRecipient, Priority};
    use std::time::Instant;
    let n = 100_000u64;
    let db = TempDb::new("throughput-stmts");
    let mut s = db.open();
    s.begin().unwrap();
    for i in 0..n {
        let j = NewJob {
            idempotency_key: None,
            priority: Priority::Bulk,
            text: "x".into(),
            signature: "y".into(),
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
        s.enqueue(&j, 1).unwrap();
    }
    let req = ClaimRequest {
        carrier: "cmcc".into(),
        link: "l".into(),
        connection: 1,
        max_segments: 200_000,
    };
    let c = s.claim(&req, 2).unwrap();
    for m in &c {
        let id = m.segments[0].segment_id;
        s.mark_submitted(id, &id.to_string(), 3).unwrap();
    }
    s.commit().unwrap();
    let ids: Vec<i64> = c.iter().map(|m| m.segments[0].segment_id).collect();
    let conn = s.conn();
    let time = |name: &str, sql: &str, f: &dyn Fn(&mut rusqlite::CachedStatement<'_>, i64)| {
        conn.execute_batch("BEGIN").unwrap();
        let t = Instant::now();
        for id in &ids {
            let mut st = conn.prepare_cached(sql).unwrap();
            f(&mut st, *id);
        }
        let d = t.elapsed();
        conn.execute_batch("ROLLBACK").unwrap();
        println!("{name}: {:.2} us", d.as_secs_f64() * 1e6 / ids.len() as f64);
    };
    for (name, sql) in [
        (
            "lookup",
            "SELECT id FROM segments WHERE carrier = 'cmcc' AND msg_id = ?1 AND state = 3 ORDER BY id DESC LIMIT 1",
        ),
        (
            "lookup-noorder",
            "SELECT id FROM segments WHERE carrier = 'cmcc' AND msg_id = ?1 AND state = 3",
        ),
        (
            "lookup-nostate",
            "SELECT id FROM segments WHERE carrier = 'cmcc' AND msg_id = ?1",
        ),
        (
            "lookup-msgonly",
            "SELECT id FROM segments WHERE msg_id = ?1",
        ),
        (
            "lookup-rowid",
            "SELECT id FROM segments WHERE id = CAST(?1 AS INTEGER)",
        ),
    ] {
        time(name, sql, &|st, id| {
            let _: i64 = st.query_row([id.to_string()], |r| r.get(0)).unwrap();
        });
    }
    time(
        "update-by-id",
        "UPDATE segments SET state = 4, report_stat = 'DELIVRD', report_err = '000', reported_at = 5, updated_at = 5 WHERE id = ?1",
        &|st, id| {
            st.execute([id]).unwrap();
        },
    );
    time(
        "update-state-only",
        "UPDATE segments SET state = 4 WHERE id = ?1",
        &|st, id| {
            st.execute([id]).unwrap();
        },
    );
    time(
        "update-recipient",
        "UPDATE recipients SET state = 4, updated_at = 5, last_error = coalesce(NULL, last_error) WHERE id = ?1",
        &|st, id| {
            st.execute([id - 1 + 1]).unwrap();
        },
    );
    time(
        "update-by-sub",
        "UPDATE segments SET state = 4, report_stat = 'DELIVRD', report_err = '000', reported_at = 5, updated_at = 5 WHERE id = (SELECT id FROM segments WHERE carrier = 'cmcc' AND msg_id = ?1 AND state = 3 ORDER BY id DESC LIMIT 1) RETURNING id, recipient_id, job_id, part, parts",
        &|st, id| {
            let _: i64 = st.query_row([id.to_string()], |r| r.get(0)).unwrap();
        },
    );
    time(
        "update-by-sub-noret",
        "UPDATE segments SET state = 4, report_stat = 'DELIVRD', report_err = '000', reported_at = 5, updated_at = 5 WHERE id = (SELECT id FROM segments WHERE carrier = 'cmcc' AND msg_id = ?1 AND state = 3 ORDER BY id DESC LIMIT 1)",
        &|st, id| {
            st.execute([id.to_string()]).unwrap();
        },
    );
}
