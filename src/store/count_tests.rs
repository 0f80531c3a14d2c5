//! `segment_counts` stays equal to a count of the segments through any sequence of store
//! operations: random sequences of every operation that adds, moves or deletes segments,
//! with a check after each step (a wrong delta shows at the step that made it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::db::count_mismatches;
use super::testutil::{TempDb, claim_req, job, report};
use super::{JobId, Millis, Priority, ReportStatus, SegmentId, Store, StoreError};

#[derive(Debug, Clone)]
enum Op {
    /// A job to `recipients` numbers of `parts` parts; scheduled later, or with an expiry.
    Enqueue {
        recipients: u8,
        parts: u8,
        scheduled: bool,
        expiring: bool,
    },
    Claim(u8),
    /// Submit answer for the `n`th remembered in-flight segment.
    Submit(u8),
    Fail(u8),
    Requeue(u8),
    Unconfirm(u8),
    /// Report for the `n`th remembered msg id (delivered or failed), or for nobody.
    Report(u8, bool),
    ReportUnknown,
    Cancel(u8),
    /// Time passes by this many seconds.
    Advance(u16),
    Promote,
    Expire,
    ExpireReports,
    Purge,
    Recover(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..4, 1u8..4, any::<bool>(), any::<bool>()).prop_map(
            |(recipients, parts, scheduled, expiring)| Op::Enqueue {
                recipients,
                parts,
                scheduled,
                expiring
            }
        ),
        (1u8..6).prop_map(Op::Claim),
        any::<u8>().prop_map(Op::Submit),
        any::<u8>().prop_map(Op::Fail),
        any::<u8>().prop_map(Op::Requeue),
        any::<u8>().prop_map(Op::Unconfirm),
        (any::<u8>(), any::<bool>()).prop_map(|(n, ok)| Op::Report(n, ok)),
        Just(Op::ReportUnknown),
        any::<u8>().prop_map(Op::Cancel),
        (1u16..2000).prop_map(Op::Advance),
        Just(Op::Promote),
        Just(Op::Expire),
        Just(Op::ExpireReports),
        Just(Op::Purge),
        any::<bool>().prop_map(Op::Recover),
    ]
}

fn pick<T: Copy>(items: &[T], n: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(n) % items.len()])
}

/// Runs `ops`; refusals (a wrong state, say) are part of the game, failures are not.
fn run(s: &mut Store, ops: &[Op]) {
    let mut now: Millis = 1_000_000;
    let mut jobs: Vec<JobId> = Vec::new();
    let mut in_flight: Vec<SegmentId> = Vec::new();
    let mut msg_ids: Vec<String> = Vec::new();
    let mut next_msg = 0u32;
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Enqueue {
                recipients,
                parts,
                scheduled,
                expiring,
            } => {
                let numbers: Vec<(String, u8)> = (0..*recipients)
                    .map(|i| (format!("1380000{step:03}{i}"), *parts))
                    .collect();
                let refs: Vec<(&str, u8)> = numbers.iter().map(|(n, p)| (n.as_str(), *p)).collect();
                let mut j = job(Priority::Bulk, &refs);
                if *scheduled {
                    j.send_at = Some(now + 500_000);
                }
                if *expiring {
                    j.expires_at = Some(now + 1_000_000);
                }
                jobs.push(s.enqueue(&j, now).unwrap().job_id);
            }
            Op::Claim(n) => {
                for m in s.claim(&claim_req("cmcc", usize::from(*n)), now).unwrap() {
                    in_flight.extend(m.segments.iter().map(|x| x.segment_id));
                }
            }
            Op::Submit(n) => {
                if let Some(id) = pick(&in_flight, *n) {
                    next_msg += 1;
                    let msg = format!("m{next_msg}");
                    if s.mark_submitted(id, &msg, now).is_ok() {
                        msg_ids.push(msg);
                    }
                }
            }
            Op::Fail(n) => {
                if let Some(id) = pick(&in_flight, *n) {
                    let _ = s.mark_failed(id, 8, "refused", now);
                }
            }
            Op::Requeue(n) => {
                if let Some(id) = pick(&in_flight, *n) {
                    s.requeue(&[id], "too fast", now).unwrap();
                }
            }
            Op::Unconfirm(n) => {
                if let Some(id) = pick(&in_flight, *n) {
                    s.mark_unconfirmed(&[id], "connection lost", now).unwrap();
                }
            }
            Op::Report(n, delivered) => {
                if let Some(i) = (!msg_ids.is_empty()).then(|| usize::from(*n) % msg_ids.len()) {
                    let status = if *delivered {
                        ReportStatus::Delivered
                    } else {
                        ReportStatus::Failed
                    };
                    s.record_report(&report(&msg_ids[i], status), now).unwrap();
                }
            }
            Op::ReportUnknown => {
                // Becomes an orphan; a later submit answer may use this id and match it.
                let msg = format!("m{}", next_msg + 1);
                s.record_report(&report(&msg, ReportStatus::Delivered), now)
                    .unwrap();
            }
            Op::Cancel(n) => {
                if let Some(id) = pick(&jobs, *n) {
                    // A purged job is not found: fine.
                    match s.cancel(id, now) {
                        Ok(_) | Err(StoreError::NotFound { .. }) => {}
                        Err(e) => panic!("cancel: {e}"),
                    }
                }
            }
            Op::Advance(secs) => now += i64::from(*secs) * 1000,
            Op::Promote => {
                s.promote_due(now).unwrap();
            }
            Op::Expire => {
                s.expire(now).unwrap();
            }
            Op::ExpireReports => {
                s.expire_reports(now - 100_000, 10, now).unwrap();
            }
            Op::Purge => {
                s.purge(now - 200_000, 0, 8).unwrap();
            }
            Op::Recover(resend) => {
                s.recover_on_start(*resend, now).unwrap();
            }
        }
        let differ = count_mismatches(s.conn()).unwrap();
        assert!(
            differ.is_empty(),
            "after step {step} ({op:?}): (state, kept, counted) {differ:?}"
        );
    }
    // The counts are what queue_depth reports.
    let depth = s.queue_depth().unwrap();
    let counted: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM segments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(i64::try_from(depth.segments.total()).unwrap(), counted);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn segment_counts_follow_every_operation(ops in proptest::collection::vec(op(), 1..60)) {
        let db = TempDb::new("counts-prop");
        let mut s = db.open();
        run(&mut s, &ops);
    }
}
