//! The statements whose speed depends on an index use it. A plan that falls back to a table
//! scan still gives right answers, only ever slower as history grows, so no other test
//! would notice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::testutil::TempDb;
use super::{claim, jobs, recovery, reports, submit};

fn plan(s: &super::Store, sql: &str) -> String {
    let mut stmt = s
        .conn()
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let params = vec![0i64; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(params), |r| {
        r.get::<_, String>(3)
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect::<Vec<_>>()
    .join(" | ")
}

#[test]
fn hot_statements_use_their_indexes() {
    let db = TempDb::new("plans");
    let s = db.open();
    for (sql, index) in [
        (claim::CLAIM_CANDIDATES, "recipients_claim"),
        (submit::ORPHANS_BY_MSG_ID, "orphan_reports_msg"),
        (reports::SEGMENTS_BY_MSG_ID, "segments_msg"),
        (recovery::IN_FLIGHT, "segments_in_flight"),
        (jobs::BY_IDEMPOTENCY_KEY, "jobs_idempotency"),
        (jobs::PROMOTE_DUE, "jobs_due"),
        (jobs::EXPIRE_DUE, "recipients_expiry"),
        (reports::AWAITING_REPORT_DUE, "segments_awaiting_report"),
    ] {
        let p = plan(&s, sql);
        assert!(
            p.contains(index),
            "{sql}\n  plan: {p}\n  expected index {index}"
        );
        assert!(!p.contains("SCAN"), "{sql}\n  plan: {p}\n  scans a table");
        assert!(
            !p.contains("TEMP B-TREE"),
            "{sql}\n  plan: {p}\n  sorts instead of walking the index"
        );
    }
}

/// A statement whose plan depends on a bound value (a `LIMIT ?`, say) is prepared again
/// every time that value changes: tens of microseconds each, invisible in the results.
#[test]
fn hot_statements_are_not_prepared_again_on_each_run() {
    use super::ReportStatus;
    use super::testutil::{claim_req, one, report};
    use rusqlite::StatementStatus;
    let db = TempDb::new("plans-reprepare");
    let mut s = db.open();
    for i in 0..100 {
        s.enqueue(&one(&format!("{i}")), 1).unwrap();
    }
    let mut claimed = Vec::new();
    for t in 0..10 {
        claimed.extend(s.claim(&claim_req("cmcc", 5 + t), 2 + t as i64).unwrap());
    }
    for (k, m) in claimed.iter().enumerate() {
        let id = m.segments[0].segment_id;
        let k = k as i64;
        if k % 3 == 0 {
            let early = report(&format!("x{id}"), ReportStatus::Delivered);
            s.record_report(&early, 2 + k).unwrap();
        }
        s.mark_submitted(id, &format!("x{id}"), 3 + k).unwrap();
        s.record_report(&report(&format!("x{id}"), ReportStatus::Delivered), 4 + k)
            .unwrap();
    }
    for sql in [
        claim::CLAIM_CANDIDATES,
        submit::ORPHANS_BY_MSG_ID,
        reports::SEGMENTS_BY_MSG_ID,
    ] {
        let st = s.conn().prepare_cached(sql).unwrap();
        assert!(
            st.get_status(StatementStatus::Run) >= 10,
            "{sql} not exercised"
        );
        assert_eq!(st.get_status(StatementStatus::RePrepare), 0, "{sql}");
    }
}
