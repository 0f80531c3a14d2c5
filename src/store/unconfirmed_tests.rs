//! Reports that identify unconfirmed segments (`unconfirmed.rs`) against a real store:
//! exactly one candidate is settled (delivered, failed), two are left alone until
//! their reports agree, another link or number or minute matches nothing, and the
//! segment counts, the job and the `delivery_report` webhook follow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use super::db::count_mismatches;
use super::place::SegmentPlace;
use super::sql_states::segment_state;
use super::testutil::{TempDb, claim_req, job, one, report};
use super::webhooks::WebhookEvent;
use super::{DeliveryState, JobState, Millis, Priority, ReportOutcome, ReportStatus, Store};

/// The minute every test's segments are claimed in (a whole minute, in unix ms).
const MINUTE: Millis = 1_765_000_000_000 - 1_765_000_000_000 % 60_000;

/// A report on `msg_id` that names no segment, from `link` about `number`, submitted in
/// the minute starting at `minute`.
fn identified(
    msg_id: &str,
    status: ReportStatus,
    link: &str,
    number: &str,
    minute: Millis,
) -> super::NewReport {
    let mut r = report(msg_id, status);
    r.link = Some(link.into());
    r.recipient = Some(number.into());
    r.submitted_at = Some(minute);
    r
}

/// Claims everything queued (link `link-a`) at `at` and marks it unconfirmed, as a
/// restart does with segments whose submit response was lost.
fn unconfirm_all(s: &mut Store, at: Millis) -> Vec<i64> {
    let claimed = s.claim(&claim_req("cmcc", 100), at).unwrap();
    let ids: Vec<i64> = claimed
        .iter()
        .flat_map(|m| m.segments.iter().map(|x| x.segment_id))
        .collect();
    s.mark_unconfirmed(&ids, "hongyan stopped before the answer was stored", at + 1)
        .unwrap();
    ids
}

fn state_of(s: &Store, job_id: i64) -> Vec<DeliveryState> {
    super::testutil::segment_states(s, job_id)
}

fn unconfirmed_count(s: &Store) -> i64 {
    s.conn()
        .query_row(
            concat!(
                "SELECT coalesce(sum(n), 0) FROM segment_counts WHERE state = ",
                segment_state!(unconfirmed)
            ),
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn one_unconfirmed_segment_is_settled_by_the_report_that_identifies_it() {
    for (status, state, job_state) in [
        (
            ReportStatus::Delivered,
            DeliveryState::Delivered,
            JobState::Delivered,
        ),
        (
            ReportStatus::Failed,
            DeliveryState::Failed,
            JobState::Failed,
        ),
    ] {
        let db = TempDb::new("unconfirmed-one");
        let mut s = db.open();
        s.set_webhooks(super::webhooks::Subscriptions::only(
            "shop",
            &[WebhookEvent::DeliveryReport],
        ));
        let job_id = s.enqueue(&one("13800000001"), MINUTE).unwrap().job_id;
        let seg = unconfirm_all(&mut s, MINUTE + 20_000)[0];
        assert_eq!(unconfirmed_count(&s), 1);
        // The gateway's clock is a minute behind ours: still within the window.
        let out = s
            .record_report(
                &identified("g-1", status, "link-a", "13800000001", MINUTE - 60_000),
                MINUTE + 90_000,
            )
            .unwrap();
        let ReportOutcome::Matched {
            segment_id,
            recipient_state,
            ..
        } = out
        else {
            panic!("expected the report to settle the segment, got {out:?}");
        };
        assert_eq!((segment_id, recipient_state), (seg, state));
        assert_eq!(state_of(&s, job_id), vec![state]);
        let st = s.job_status(job_id).unwrap().unwrap();
        assert_eq!(st.state, job_state);
        assert_eq!(st.recipients[0].segments[0].msg_id.as_deref(), Some("g-1"));
        // No longer unconfirmed anywhere: the counts (metrics) follow, no orphan left.
        assert_eq!(unconfirmed_count(&s), 0);
        assert!(count_mismatches(s.conn()).unwrap().is_empty());
        assert!(s.orphan_reports(10).unwrap().is_empty());
        // The webhook tells it like any other report.
        let due = super::webhooks::due(s.conn(), i64::MAX, 10).unwrap();
        assert_eq!(due.len(), 1);
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body["event"], "delivery_report");
        assert_eq!(body["data"]["segment_id"], seg);
        assert_eq!(body["data"]["msg_id"], "g-1");
        // The gateway's repeat of the report is a duplicate now.
        assert!(matches!(
            s.record_report(
                &identified("g-1", status, "link-a", "13800000001", MINUTE),
                MINUTE + 95_000
            )
            .unwrap(),
            ReportOutcome::Duplicate { segment_id } if segment_id == seg
        ));
    }
}

#[test]
fn another_link_number_or_minute_settles_nothing() {
    let db = TempDb::new("unconfirmed-other");
    let mut s = db.open();
    let job_id = s.enqueue(&one("13800000001"), MINUTE).unwrap().job_id;
    unconfirm_all(&mut s, MINUTE + 20_000);
    let d = ReportStatus::Delivered;
    for r in [
        identified("x-1", d, "link-b", "13800000001", MINUTE),
        identified("x-2", d, "link-a", "13800000002", MINUTE),
        identified("x-3", d, "link-a", "13800000001", MINUTE + 10 * 60_000),
        identified("x-4", d, "link-a", "13800000001", MINUTE - 10 * 60_000),
        // No submit time: nothing to tell it by.
        {
            let mut r = identified("x-5", d, "link-a", "13800000001", MINUTE);
            r.submitted_at = None;
            r
        },
    ] {
        let out = s.record_report(&r, MINUTE + 60_000).unwrap();
        assert!(matches!(out, ReportOutcome::Orphaned { .. }), "{out:?}");
    }
    assert_eq!(state_of(&s, job_id), vec![DeliveryState::Unconfirmed]);
    assert_eq!(s.orphan_reports(10).unwrap().len(), 5, "kept, never lost");
    assert!(count_mismatches(s.conn()).unwrap().is_empty());
}

#[test]
fn two_candidates_are_left_until_both_their_reports_agree() {
    // Two parts to one number in the same minute.
    let db = TempDb::new("unconfirmed-two");
    let mut s = db.open();
    let job_id = s
        .enqueue(&job(Priority::Bulk, &[("13800000001", 2)]), MINUTE)
        .unwrap()
        .job_id;
    unconfirm_all(&mut s, MINUTE + 5_000);
    let d = ReportStatus::Delivered;
    let first = s
        .record_report(
            &identified("p-1", d, "link-a", "13800000001", MINUTE),
            MINUTE + 30_000,
        )
        .unwrap();
    assert!(matches!(first, ReportOutcome::Orphaned { .. }), "{first:?}");
    assert_eq!(
        state_of(&s, job_id),
        vec![DeliveryState::Unconfirmed, DeliveryState::Unconfirmed],
        "ambiguous: neither settled"
    );
    let second = s
        .record_report(
            &identified("p-2", d, "link-a", "13800000001", MINUTE),
            MINUTE + 31_000,
        )
        .unwrap();
    assert!(
        matches!(second, ReportOutcome::Matched { .. }),
        "{second:?}"
    );
    assert_eq!(
        state_of(&s, job_id),
        vec![DeliveryState::Delivered, DeliveryState::Delivered]
    );
    assert_eq!(
        s.job_status(job_id).unwrap().unwrap().state,
        JobState::Delivered
    );
    assert!(s.orphan_reports(10).unwrap().is_empty());
    assert!(count_mismatches(s.conn()).unwrap().is_empty());

    // Reports that disagree leave both parts as they are.
    let db = TempDb::new("unconfirmed-disagree");
    let mut s = db.open();
    let job_id = s
        .enqueue(&job(Priority::Bulk, &[("13800000001", 2)]), MINUTE)
        .unwrap()
        .job_id;
    unconfirm_all(&mut s, MINUTE + 5_000);
    for (id, status) in [("q-1", d), ("q-2", ReportStatus::Failed)] {
        let out = s
            .record_report(
                &identified(id, status, "link-a", "13800000001", MINUTE),
                MINUTE + 30_000,
            )
            .unwrap();
        assert!(matches!(out, ReportOutcome::Orphaned { .. }), "{out:?}");
    }
    assert_eq!(
        state_of(&s, job_id),
        vec![DeliveryState::Unconfirmed, DeliveryState::Unconfirmed]
    );
    assert_eq!(s.orphan_reports(10).unwrap().len(), 2);
}

#[test]
fn a_candidate_still_in_flight_makes_it_ambiguous() {
    let db = TempDb::new("unconfirmed-in-flight");
    let mut s = db.open();
    let lost = s.enqueue(&one("13800000001"), MINUTE).unwrap().job_id;
    unconfirm_all(&mut s, MINUTE + 5_000);
    // Another message to the same number, on the wire, its response not in yet.
    let live = s
        .enqueue(&one("13800000001"), MINUTE + 6_000)
        .unwrap()
        .job_id;
    s.claim(&claim_req("cmcc", 10), MINUTE + 7_000).unwrap();
    let out = s
        .record_report(
            &identified(
                "r-1",
                ReportStatus::Delivered,
                "link-a",
                "13800000001",
                MINUTE,
            ),
            MINUTE + 30_000,
        )
        .unwrap();
    assert!(matches!(out, ReportOutcome::Orphaned { .. }), "{out:?}");
    assert_eq!(state_of(&s, lost), vec![DeliveryState::Unconfirmed]);
    assert_eq!(state_of(&s, live), vec![DeliveryState::InFlight]);
}

/// The report overtook its submit response and was kept while the segment was still in
/// flight; then hongyan stopped before the response was stored, and the segment became
/// unconfirmed. The kept report settles it once it is unconfirmed.
#[test]
fn a_report_kept_before_the_segment_became_unconfirmed_settles_it_afterwards() {
    let db = TempDb::new("unconfirmed-later");
    let mut s = db.open();
    let job_id = s.enqueue(&one("13800000001"), MINUTE).unwrap().job_id;
    let claimed = s.claim(&claim_req("cmcc", 10), MINUTE + 5_000).unwrap();
    let seg = claimed[0].segments[0].segment_id;
    let out = s
        .record_report(
            &identified(
                "e-1",
                ReportStatus::Delivered,
                "link-a",
                "13800000001",
                MINUTE,
            ),
            MINUTE + 6_000,
        )
        .unwrap();
    assert!(
        matches!(out, ReportOutcome::Orphaned { .. }),
        "in flight: {out:?}"
    );
    // The dispatcher's "no answer after every attempt" marks it unconfirmed: settled.
    s.mark_unconfirmed(&[seg], "no response", MINUTE + 9_000)
        .unwrap();
    assert_eq!(state_of(&s, job_id), vec![DeliveryState::Delivered]);
    assert!(s.orphan_reports(10).unwrap().is_empty());
    assert!(count_mismatches(s.conn()).unwrap().is_empty());

    // After a restart's recovery (which marks it without looking at reports): the sweep.
    let db = TempDb::new("unconfirmed-restart");
    let mut s = db.open();
    let job_id = s.enqueue(&one("13800000002"), MINUTE).unwrap().job_id;
    s.claim(&claim_req("cmcc", 10), MINUTE + 5_000).unwrap();
    s.record_report(
        &identified("e-2", ReportStatus::Failed, "link-a", "13800000002", MINUTE),
        MINUTE + 6_000,
    )
    .unwrap();
    drop(s);
    let mut s = db.open();
    s.recover_on_start(false, MINUTE + 60_000).unwrap();
    assert_eq!(state_of(&s, job_id), vec![DeliveryState::Unconfirmed]);
    assert_eq!(s.settle_unconfirmed_by_orphans(MINUTE + 61_000).unwrap(), 1);
    assert_eq!(state_of(&s, job_id), vec![DeliveryState::Failed]);
    assert_eq!(s.settle_unconfirmed_by_orphans(MINUTE + 62_000).unwrap(), 0);
    assert!(count_mismatches(s.conn()).unwrap().is_empty());
}

/// A kill cut a long message: its first part may have been written (unconfirmed), the
/// others were only claimed (queued again, then claimed again by the new run). The first
/// part's report comes while they are in flight — it may be about one of them, so it is
/// kept. Once their own answers (message ids, or a refusal) say it is not theirs, it can
/// only be about the first part, and settles it then, not only at the next restart.
#[test]
fn a_report_kept_while_a_sibling_was_in_flight_settles_once_the_sibling_is_answered() {
    for refused in [false, true] {
        let db = TempDb::new("unconfirmed-sibling");
        let mut s = db.open();
        let job_id = s
            .enqueue(&job(Priority::Bulk, &[("13800000001", 3)]), MINUTE)
            .unwrap()
            .job_id;
        let claimed = s.claim(&claim_req("cmcc", 10), MINUTE + 5_000).unwrap();
        let first = claimed[0].segments[0].segment_id;
        drop(s);
        // The restart: only the first part is in the journal.
        let mut s = db.open();
        s.recover_on_start_with(false, Some(&HashSet::from([first])), MINUTE + 6_000)
            .unwrap();
        assert_eq!(
            state_of(&s, job_id),
            vec![
                DeliveryState::Unconfirmed,
                DeliveryState::Queued,
                DeliveryState::Queued
            ]
        );
        let again = s.claim(&claim_req("cmcc", 10), MINUTE + 7_000).unwrap();
        let out = s
            .record_report(
                &identified(
                    "g-1",
                    ReportStatus::Delivered,
                    "link-a",
                    "13800000001",
                    MINUTE,
                ),
                MINUTE + 8_000,
            )
            .unwrap();
        assert!(
            matches!(out, ReportOutcome::Orphaned { .. }),
            "a sibling in flight: {out:?}"
        );
        let places: Vec<SegmentPlace> = again[0]
            .segments
            .iter()
            .map(|seg| SegmentPlace::of(&again[0], seg))
            .collect();
        s.mark_submitted_at(&places[0], "g-2", MINUTE + 9_000)
            .unwrap();
        assert_eq!(
            state_of(&s, job_id)[0],
            DeliveryState::Unconfirmed,
            "the third part is still in flight"
        );
        let third = if refused {
            s.mark_failed(places[1].segment_id, 8, "refused", MINUTE + 9_500)
                .unwrap();
            DeliveryState::Failed
        } else {
            s.mark_submitted_at(&places[1], "g-3", MINUTE + 9_500)
                .unwrap();
            DeliveryState::Submitted
        };
        assert_eq!(
            state_of(&s, job_id),
            vec![DeliveryState::Delivered, DeliveryState::Submitted, third],
            "nothing in flight any more: the kept report is the first part's (refused: {refused})"
        );
        let st = s.job_status(job_id).unwrap().unwrap();
        assert_eq!(st.recipients[0].segments[0].msg_id.as_deref(), Some("g-1"));
        assert!(s.orphan_reports(10).unwrap().is_empty());
        assert!(count_mismatches(s.conn()).unwrap().is_empty());
    }
}

/// The gateway sends a report again when its answer was lost (the daemon committed the
/// report, then was killed before answering). A report kept as an orphan must not be kept
/// twice: two copies of one report would count as two of the reports a long message's
/// unconfirmed parts wait for, and they would wait for ever.
#[test]
fn a_report_kept_as_an_orphan_and_sent_again_is_kept_once() {
    let db = TempDb::new("unconfirmed-repeat");
    let mut s = db.open();
    let job_id = s
        .enqueue(&job(Priority::Bulk, &[("13800000001", 2)]), MINUTE)
        .unwrap()
        .job_id;
    unconfirm_all(&mut s, MINUTE + 5_000);
    let d = ReportStatus::Delivered;
    let first = s
        .record_report(
            &identified("p-1", d, "link-a", "13800000001", MINUTE),
            MINUTE + 30_000,
        )
        .unwrap();
    let ReportOutcome::Orphaned { orphan_id } = first else {
        panic!("two candidates, one report: kept, got {first:?}");
    };
    let again = s
        .record_report(
            &identified("p-1", d, "link-a", "13800000001", MINUTE),
            MINUTE + 31_000,
        )
        .unwrap();
    assert_eq!(again, ReportOutcome::Orphaned { orphan_id }, "stored once");
    assert_eq!(s.orphan_reports(10).unwrap().len(), 1);
    assert_eq!(
        state_of(&s, job_id),
        vec![DeliveryState::Unconfirmed, DeliveryState::Unconfirmed]
    );
    // The other part's report completes the set.
    s.record_report(
        &identified("p-2", d, "link-a", "13800000001", MINUTE),
        MINUTE + 32_000,
    )
    .unwrap();
    assert_eq!(
        state_of(&s, job_id),
        vec![DeliveryState::Delivered, DeliveryState::Delivered]
    );
    assert!(s.orphan_reports(10).unwrap().is_empty());
    assert!(count_mismatches(s.conn()).unwrap().is_empty());
}
