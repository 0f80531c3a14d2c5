//! The statements whose speed depends on an index use it. A plan that falls back to a table
//! scan still gives right answers, only ever slower as history grows, so no other test
//! would notice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::testutil::TempDb;
use super::{jobs, recovery, reports, sending};

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
        (sending::CLAIM_CANDIDATES, "recipients_claim"),
        (sending::ORPHANS_BY_MSG_ID, "orphan_reports_msg"),
        (reports::SEGMENTS_BY_MSG_ID, "segments_msg"),
        (recovery::IN_FLIGHT, "segments_in_flight"),
        (jobs::BY_IDEMPOTENCY_KEY, "jobs_idempotency"),
        (jobs::PROMOTE_DUE, "jobs_due"),
        (jobs::EXPIRE_DUE, "recipients_expiry"),
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
