//! Crash safety under a real `kill -9`.
//!
//! The test runs this same test binary again as a child process (the ignored test
//! `crash_child`, selected by name and told the database path in an environment variable).
//! The child accepts jobs, claims, submits and reports through a [`StoreHandle`] as fast as
//! it can, printing each acknowledgement *after* the store returned it. The parent kills it
//! with SIGKILL in the middle of that, reopens the file and checks the promises:
//!
//! * every job the child heard accepted is there, whole;
//! * no segment is left in flight: each one that was claimed but had no acknowledged
//!   answer is reported by `recover_on_start` as unconfirmed (or has its answer recorded);
//! * nothing acknowledged as submitted is claimed again (nobody gets it twice);
//! * reports for segments submitted before the kill are matched after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::testutil::{TempDb, claim_req, report};
use super::{
    DeliveryState, NewJob, NewRecipient, Priority, ReportOutcome, ReportStatus, StoreHandle,
    StoreOptions,
};

const DB_ENV: &str = "HONGYAN_STORE_CRASH_DB";

fn job(i: u64) -> NewJob {
    NewJob {
        sender: None,
        idempotency_key: Some(format!("crash-{i}")),
        priority: Priority::Notification,
        text: "crash test".into(),
        signature: "【鸿雁】".into(),
        source_ext: None,
        send_at: None,
        expires_at: None,
        recipients: vec![NewRecipient {
            number: format!("139{i:08}"),
            carrier: "cmcc".into(),
            // Every fifth message is long, so whole-message claims are exercised too.
            segments: if i % 5 == 0 { 3 } else { 1 },
            reference: None,
        }],
    }
}

/// The child: runs until killed. Lines: `A job parts` accepted, `C seg` claimed,
/// `S seg` submit recorded, `R seg` report matched.
#[test]
#[ignore = "child process of crash_tests::kill_9_loses_nothing_acknowledged"]
fn crash_child() {
    let Ok(path) = std::env::var(DB_ENV) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let h = StoreHandle::open(&path, StoreOptions::default()).unwrap();
        for p in 0..4u64 {
            let h = h.clone();
            tokio::spawn(async move {
                for i in (p..).step_by(4) {
                    let j = job(i);
                    let parts = j.recipients[0].segments;
                    let out = h.enqueue(j, 1).await.unwrap();
                    println!("A {} {parts}", out.job_id);
                }
            });
        }
        loop {
            let claimed = h.claim(claim_req("cmcc", 64), 2).await.unwrap();
            for m in &claimed {
                for s in &m.segments {
                    println!("C {}", s.segment_id);
                }
            }
            if !claimed.is_empty() {
                // Hold the claim a moment, so the parent can kill us while it is on the wire.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let mut tasks = tokio::task::JoinSet::new();
            for m in claimed {
                for s in m.segments {
                    let h = h.clone();
                    tasks.spawn(async move {
                        let id = s.segment_id;
                        // Every seventh report beats its submit response.
                        if id % 7 == 0 {
                            h.record_report(report(&format!("m{id}"), ReportStatus::Delivered), 3)
                                .await
                                .unwrap();
                        }
                        h.mark_submitted(id, format!("m{id}"), 3).await.unwrap();
                        println!("S {id}");
                        if id % 2 == 0 && id % 7 != 0 {
                            let out = h
                                .record_report(
                                    report(&format!("m{id}"), ReportStatus::Delivered),
                                    4,
                                )
                                .await
                                .unwrap();
                            assert!(matches!(out, ReportOutcome::Matched { .. }));
                            println!("R {id}");
                        }
                    });
                }
            }
            while let Some(r) = tasks.join_next().await {
                r.unwrap();
            }
        }
    });
}

#[derive(Default)]
struct Seen {
    accepted: Vec<(i64, u8)>,
    claimed: HashSet<i64>,
    submitted: HashSet<i64>,
    reported: HashSet<i64>,
}

impl Seen {
    fn take(&mut self, line: &str) {
        let mut words = line.split_whitespace();
        let (Some(kind), Some(id)) = (words.next(), words.next()) else {
            return;
        };
        let Ok(id) = id.parse::<i64>() else {
            return;
        };
        match kind {
            "A" => {
                let parts = words.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                self.accepted.push((id, parts));
            }
            "C" => {
                self.claimed.insert(id);
            }
            "S" => {
                self.submitted.insert(id);
            }
            "R" => {
                self.reported.insert(id);
            }
            _ => {}
        }
    }
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let db = TempDb::new("crash");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "store::crash_tests::crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_ENV, db.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // Let it run until there is a good mix of every step, then kill it mid-stride.
    // The kill comes right after a claim was printed: the child holds claims 20 ms before
    // submitting, so segments are on the wire.
    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last_was_claim = false;
    while seen.accepted.len() < 3_000
        || seen.submitted.len() < 1_000
        || seen.reported.len() < 200
        || !last_was_claim
    {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                last_was_claim = line.starts_with("C ");
                seen.take(&line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the child stopped by itself"),
        }
        assert!(Instant::now() < deadline, "the child was too slow");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Whatever it printed before dying was acknowledged too.
    reader.join().unwrap();
    for line in rx.try_iter() {
        seen.take(&line);
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = db.handle();

        // Every accepted job is there, whole.
        for &(job_id, parts) in &seen.accepted {
            let st = h
                .job_status(job_id)
                .await
                .unwrap()
                .expect("accepted job lost");
            assert_eq!(st.recipients.len(), 1);
            assert_eq!(st.recipients[0].segments.len(), usize::from(parts));
        }

        // Nothing stays in flight; every claimed segment without a recorded answer is
        // reported.
        let unconfirmed = h.recover_on_start(false, 10).await.unwrap();
        let unconfirmed: HashSet<i64> = unconfirmed.iter().map(|u| u.segment_id).collect();
        assert_eq!(h.queue_depth().await.unwrap().segments.in_flight, 0);
        for id in &seen.submitted {
            assert!(
                !unconfirmed.contains(id),
                "acknowledged submit {id} reported unconfirmed"
            );
        }
        for &(job_id, _) in &seen.accepted {
            let st = h.job_status(job_id).await.unwrap().unwrap();
            for seg in &st.recipients[0].segments {
                let id = seg.segment_id;
                if seen.submitted.contains(&id) {
                    assert!(
                        matches!(
                            seg.state,
                            DeliveryState::Submitted | DeliveryState::Delivered
                        ),
                        "acknowledged submit {id} is {}",
                        seg.state
                    );
                }
                if seen.reported.contains(&id) {
                    assert_eq!(seg.state, DeliveryState::Delivered, "segment {id}");
                }
                if seen.claimed.contains(&id) && !seen.submitted.contains(&id) {
                    // Claimed, answer not acknowledged: unconfirmed, or the answer made it
                    // to disk just before the kill.
                    if seg.state == DeliveryState::Unconfirmed {
                        assert!(unconfirmed.contains(&id), "unconfirmed {id} not reported");
                    } else {
                        assert!(
                            matches!(
                                seg.state,
                                DeliveryState::Submitted | DeliveryState::Delivered
                            ),
                            "claimed segment {id} is {}",
                            seg.state
                        );
                    }
                }
                if seg.state == DeliveryState::Unconfirmed {
                    assert!(unconfirmed.contains(&id));
                }
            }
        }
        assert!(
            !unconfirmed.is_empty(),
            "the kill hit no segment on the wire"
        );

        // Nothing acknowledged, nor anything that was on the wire, goes out again.
        loop {
            let again = h.claim(claim_req("cmcc", 1_000), 11).await.unwrap();
            if again.is_empty() {
                break;
            }
            for m in &again {
                for s in &m.segments {
                    let id = s.segment_id;
                    assert!(!seen.claimed.contains(&id), "segment {id} claimed twice");
                    assert!(!unconfirmed.contains(&id), "unconfirmed {id} resent");
                    assert_eq!(s.attempts, 1);
                }
            }
        }

        // Reports for segments submitted before the kill are matched after it.
        let mut matched = 0;
        for id in seen.submitted.difference(&seen.reported) {
            if id % 7 == 0 {
                continue; // delivered by its early (orphan) report
            }
            let out = h
                .record_report(report(&format!("m{id}"), ReportStatus::Delivered), 12)
                .await
                .unwrap();
            match out {
                ReportOutcome::Matched { .. } => matched += 1,
                // The child's own report may have committed right before the kill.
                ReportOutcome::Duplicate { .. } => {}
                ReportOutcome::Orphaned { .. } => panic!("report for submitted {id} orphaned"),
            }
        }
        assert!(matched > 0);
        h.close().await.unwrap();
    });
}
