//! Approvals, replies and reminders end to end: the real daemon on its embedded demo
//! config (CMPP 3.0 — or 2.0 — SMGP and SGIP simulators on 127.0.0.1:0), approval SMS
//! read back off the simulator, replies delivered by the simulator as MO messages from
//! the approver's (or a stranger's) phone. Every wait is on a workflow event or a store
//! change, bounded by `LIMIT`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hongyan::config::{Config, LinkProtocol};
use hongyan::daemon::{Daemon, DaemonHandle};
use hongyan::replies::approval::{ApprovalState, Decision, StageRule, StepState};
use hongyan::sim::MoSpec;
use hongyan::store::Approver;
use hongyan::workflow::{
    ApprovalRequest, ReminderOutcome, ReminderRequest, StageRequest, WorkflowEvent,
};
use tokio::sync::broadcast;

use crate::support::{LIMIT, TempDir, demo_config, next_event, start_recording, texts_to};

fn person(name: &str, phone: &str) -> Approver {
    Approver {
        name: name.into(),
        phone: phone.into(),
    }
}

fn request(title: &str, stages: Vec<(StageRule, Vec<Approver>)>) -> ApprovalRequest {
    ApprovalRequest {
        title: title.into(),
        applicant: person("李四", "13900139000"),
        details: "上海出差 3 天，预算 4500 元".into(),
        stages: stages
            .into_iter()
            .map(|(rule, approvers)| StageRequest { rule, approvers })
            .collect(),
        expires_at: None,
        idempotency_key: None,
    }
}

/// Waits for the approval SMS of `step` and returns its extended source number as the
/// simulator received it.
async fn asked(
    daemon: &DaemonHandle,
    rx: &mut broadcast::Receiver<WorkflowEvent>,
    step: i64,
) -> String {
    let (ext, job) = next_event(rx, "the approval SMS of the step", |e| match e {
        WorkflowEvent::ApprovalAsked {
            step_id,
            extension,
            job_id,
            ..
        } if *step_id == step => Some((extension.clone().unwrap(), *job_id)),
        _ => None,
    })
    .await;
    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let number = st.recipients[0].number.clone();
    let link = link_for(daemon.config(), &number);
    let submits = daemon.simulator(&link.name).unwrap().submits();
    let sub = submits
        .iter()
        .rev()
        .find(|s| s.recipients.iter().any(|r| r.ends_with(&number)))
        .expect("the approval SMS reached the simulator");
    let expected = format!("{}{ext}", link.service_code);
    assert_eq!(
        sub.src, expected,
        "source number is service code + extension"
    );
    expected
}

fn link_for<'a>(config: &'a Config, number: &str) -> &'a hongyan::config::Link {
    let carrier = match &number[..3] {
        "138" | "139" | "137" => hongyan::route::Carrier::Mobile,
        "133" | "153" | "189" => hongyan::route::Carrier::Telecom,
        _ => hongyan::route::Carrier::Unicom,
    };
    config
        .links
        .iter()
        .find(|l| l.carrier() == carrier)
        .unwrap()
}

async fn reply(daemon: &DaemonHandle, from: &str, to: &str, text: &str) {
    let link = link_for(daemon.config(), from);
    let from = if link.protocol == LinkProtocol::Sgip {
        format!("86{from}")
    } else {
        from.to_string()
    };
    daemon
        .simulator(&link.name)
        .unwrap()
        .deliver_mo(MoSpec::new(from, to, text))
        .await
        .unwrap();
}

async fn decided(
    rx: &mut broadcast::Receiver<WorkflowEvent>,
    step: i64,
) -> hongyan::store::DecideOutcome {
    next_event(rx, "the step decided", |e| match e {
        WorkflowEvent::Decided {
            step_id, outcome, ..
        } if *step_id == step => Some(outcome.clone()),
        _ => None,
    })
    .await
}

async fn unmatched(rx: &mut broadcast::Receiver<WorkflowEvent>) -> &'static str {
    next_event(rx, "a reply left unmatched", |e| match e {
        WorkflowEvent::Unmatched { reason, .. } => Some(*reason),
        _ => None,
    })
    .await
}

/// One approver: an approval SMS from an extension, a stranger's "同意" that does
/// nothing, the approver's "同意" that approves, and the applicant told.
async fn approve_through(config: Config, approver: &str, stranger: &str) {
    let daemon = start_recording(config).await;
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let created = wf
        .create_approval(request(
            "出差申请",
            vec![(StageRule::All, vec![person("王经理", approver)])],
        ))
        .await
        .unwrap();
    let view = wf.approval(created.approval_id).await.unwrap().unwrap();
    let step = view.steps[0].id;
    let to = asked(&daemon, &mut rx, step).await;

    reply(&daemon, stranger, &to, "同意").await;
    assert_eq!(unmatched(&mut rx).await, "not_the_recipient");
    let view = wf.approval(created.approval_id).await.unwrap().unwrap();
    assert_eq!(
        view.steps[0].state,
        StepState::Pending,
        "a stranger cannot approve"
    );

    reply(&daemon, approver, &to, "同意").await;
    let out = decided(&mut rx, step).await;
    assert!(
        matches!(
            out,
            hongyan::store::DecideOutcome::Decided {
                state: ApprovalState::Approved,
                ..
            }
        ),
        "{out:?}"
    );
    let job = next_event(&mut rx, "the applicant told", |e| match e {
        WorkflowEvent::ApplicantNotified {
            approval_id,
            state,
            job_id,
        } if *approval_id == created.approval_id => {
            assert_eq!(*state, ApprovalState::Approved);
            Some(*job_id)
        }
        _ => None,
    })
    .await;
    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    assert_eq!(st.recipients[0].number, "13900139000");
    let view = wf.approval(created.approval_id).await.unwrap().unwrap();
    assert_eq!(view.state, ApprovalState::Approved);
    assert_eq!(view.steps[0].decided_via.as_deref(), Some("sms"));
    // The reply is in the inbox, routed to the step; the stranger's as unmatched.
    let inbox = daemon.store().inbox_list(false, 10).await.unwrap();
    assert!(inbox.iter().any(|m| m.route.as_deref() == Some("approval_step") && m.message.item_id == Some(step)));
    assert!(
        inbox
            .iter()
            .any(|m| m.route.as_deref() == Some("unmatched:not_the_recipient"))
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmpp3_approval_by_sms_reply_only_from_the_approver() {
    let dir = TempDir::new("appr-cmpp3");
    approve_through(demo_config(&dir), "13800138000", "13700137000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmpp2_approval_by_sms_reply_only_from_the_approver() {
    let dir = TempDir::new("appr-cmpp2");
    let mut config = demo_config(&dir);
    for l in &mut config.links {
        if l.protocol == LinkProtocol::Cmpp3 {
            l.protocol = LinkProtocol::Cmpp2;
        }
    }
    approve_through(config, "13800138000", "13700137000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smgp_approval_by_sms_reply_only_from_the_approver() {
    let dir = TempDir::new("appr-smgp");
    approve_through(demo_config(&dir), "13300133000", "18900189000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sgip_approval_by_sms_reply_only_from_the_approver() {
    let dir = TempDir::new("appr-sgip");
    approve_through(demo_config(&dir), "13012345678", "13112345678").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_with_a_comment_rejects_and_the_applicant_hears_why() {
    let dir = TempDir::new("appr-reject");
    let daemon = start_recording(demo_config(&dir)).await;
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let id = wf
        .create_approval(request(
            "团建经费",
            vec![
                (StageRule::All, vec![person("王总", "13300133000")]),
                (StageRule::All, vec![person("财务", "13800138000")]),
            ],
        ))
        .await
        .unwrap()
        .approval_id;
    let step = wf.approval(id).await.unwrap().unwrap().steps[0].id;
    let to = asked(&daemon, &mut rx, step).await;
    reply(&daemon, "13300133000", &to, "不同意 预算超了").await;
    let out = decided(&mut rx, step).await;
    assert!(
        matches!(
            out,
            hongyan::store::DecideOutcome::Decided {
                state: ApprovalState::Rejected,
                ..
            }
        ),
        "{out:?}"
    );
    let job = next_event(&mut rx, "the applicant told", |e| match e {
        WorkflowEvent::ApplicantNotified { job_id, .. } => Some(*job_id),
        _ => None,
    })
    .await;
    daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let view = wf.approval(id).await.unwrap().unwrap();
    assert_eq!(view.state, ApprovalState::Rejected);
    assert_eq!(view.steps[0].comment.as_deref(), Some("预算超了"));
    assert_eq!(
        view.steps[1].state,
        StepState::Skipped,
        "the second stage never opens"
    );
    assert_eq!(view.steps[1].asks, 0);
    let sim = daemon.simulator("mobile-demo").unwrap();
    let told = texts_to(&sim, "13900139000");
    let text = told.first().unwrap();
    assert!(text.contains("被王总驳回：预算超了"), "{told:?}");
    let to_approver = texts_to(&sim, "13800138000");
    assert!(to_approver.is_empty(), "{to_approver:?}");
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_stage_of_three_completes_only_when_all_three_approve() {
    let dir = TempDir::new("appr-all");
    let daemon = start_recording(demo_config(&dir)).await;
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let approvers = ["13800138001", "13300133002", "13012345003"];
    let id = wf
        .create_approval(request(
            "采购申请",
            vec![
                (
                    StageRule::All,
                    approvers.iter().map(|p| person("审批人", p)).collect(),
                ),
                (StageRule::Any, vec![person("总经理", "13800138009")]),
            ],
        ))
        .await
        .unwrap()
        .approval_id;
    let steps = wf.approval(id).await.unwrap().unwrap().steps;
    let mut numbers = Vec::new();
    for s in &steps[..3] {
        numbers.push(asked(&daemon, &mut rx, s.id).await);
    }
    for (i, (s, to)) in steps[..3].iter().zip(&numbers).enumerate() {
        reply(
            &daemon,
            approvers[i],
            to,
            if i == 1 { "ＯＫ！" } else { "同意" },
        )
        .await;
        let out = decided(&mut rx, s.id).await;
        if i < 2 {
            assert!(
                matches!(out, hongyan::store::DecideOutcome::Recorded { .. }),
                "{i}: {out:?}"
            );
            let view = wf.approval(id).await.unwrap().unwrap();
            assert_eq!(view.stage, 0);
            assert_eq!(view.steps[3].state, StepState::Waiting);
        } else {
            assert!(
                matches!(
                    out,
                    hongyan::store::DecideOutcome::StageOpened { stage: 1, .. }
                ),
                "{out:?}"
            );
        }
    }
    // The next stage's approver is asked now.
    asked(&daemon, &mut rx, steps[3].id).await;
    assert_eq!(
        wf.approval(id).await.unwrap().unwrap().state,
        ApprovalState::Pending
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_any_one_stage_completes_on_the_first_approval() {
    let dir = TempDir::new("appr-any");
    let daemon = start_recording(demo_config(&dir)).await;
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let approvers = ["13800138001", "13300133002", "13012345003"];
    let id = wf
        .create_approval(request(
            "请假",
            vec![(
                StageRule::Any,
                approvers.iter().map(|p| person("主管", p)).collect(),
            )],
        ))
        .await
        .unwrap()
        .approval_id;
    let steps = wf.approval(id).await.unwrap().unwrap().steps;
    let mut numbers = Vec::new();
    for s in &steps {
        numbers.push(asked(&daemon, &mut rx, s.id).await);
    }
    // An unclear answer (a yes taken back by a hedge) keeps the step pending and asks
    // again, from the same number.
    reply(&daemon, approvers[0], &numbers[0], "好的，我看一下再说").await;
    next_event(&mut rx, "the unclear answer noted", |e| {
        matches!(e, WorkflowEvent::Unclear { step_id, .. } if *step_id == steps[0].id).then_some(())
    })
    .await;
    assert_eq!(
        wf.approval(id).await.unwrap().unwrap().steps[0].state,
        StepState::Pending
    );

    reply(&daemon, approvers[1], &numbers[1], "y").await;
    let out = decided(&mut rx, steps[1].id).await;
    assert!(
        matches!(
            out,
            hongyan::store::DecideOutcome::Decided {
                state: ApprovalState::Approved,
                ..
            }
        ),
        "{out:?}"
    );
    let view = wf.approval(id).await.unwrap().unwrap();
    assert_eq!(view.steps[0].state, StepState::Skipped);
    assert_eq!(view.steps[2].state, StepState::Skipped);
    // A late answer from a skipped approver changes nothing: its extension is released.
    reply(&daemon, approvers[2], &numbers[2], "不同意").await;
    assert_eq!(unmatched(&mut rx).await, "unknown_extension");
    assert_eq!(
        wf.approval(id).await.unwrap().unwrap().state,
        ApprovalState::Approved
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_keep_the_number_and_api_decisions_follow_the_same_rules() {
    let dir = TempDir::new("appr-api");
    let daemon = start_recording(demo_config(&dir)).await;
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let id = wf
        .create_approval(request(
            "报销",
            vec![(
                StageRule::All,
                vec![person("甲", "13800138001"), person("乙", "13800138002")],
            )],
        ))
        .await
        .unwrap()
        .approval_id;
    let steps = wf.approval(id).await.unwrap().unwrap().steps;
    let mut first = Vec::new();
    for s in &steps {
        first.push(asked(&daemon, &mut rx, s.id).await);
    }
    // Resent: both approvers asked again, each from the same extended number.
    assert_eq!(wf.resend(id).await.unwrap(), 2);
    for (s, number) in steps.iter().zip(&first) {
        assert_eq!(&asked(&daemon, &mut rx, s.id).await, number);
    }
    assert!(matches!(
        wf.resend(424_242).await,
        Err(hongyan::workflow::WorkflowError::NotFound { .. })
    ));
    let out = wf
        .decide(steps[0].id, Decision::Approve, None)
        .await
        .unwrap();
    assert!(matches!(
        out,
        hongyan::store::DecideOutcome::Recorded { .. }
    ));
    let again = wf
        .decide(steps[0].id, Decision::Reject, None)
        .await
        .unwrap();
    assert!(
        matches!(
            again,
            hongyan::store::DecideOutcome::NotOpen {
                step: StepState::Approved,
                ..
            }
        ),
        "a step is decided once"
    );
    let out = wf
        .decide(steps[1].id, Decision::Reject, Some("发票不全".into()))
        .await
        .unwrap();
    assert!(matches!(
        out,
        hongyan::store::DecideOutcome::Decided {
            state: ApprovalState::Rejected,
            ..
        }
    ));
    assert!(matches!(
        wf.decide(999_999, Decision::Approve, None).await,
        Err(hongyan::workflow::WorkflowError::NotFound { .. })
    ));
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_approver_numbers_are_refused_naming_the_field() {
    let dir = TempDir::new("appr-bad");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    let err = daemon
        .workflow()
        .create_approval(request(
            "x",
            vec![
                (StageRule::All, vec![person("a", "13800138000")]),
                (StageRule::Any, vec![person("b", "010-12345678")]),
            ],
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("stages[1].approvers[0].phone:"),
        "{err}"
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_reminder_stops_when_the_recipient_replies() {
    let dir = TempDir::new("rem-reply");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    let wf = daemon.workflow();
    let mut rx = wf.subscribe();
    let out = wf
        .create_reminders(ReminderRequest {
            recipients: vec!["13800138000".into(), "12345".into()],
            template: Some("{name}您好，订单{order}尚未付款，回复1确认已付".into()),
            variables: [("name", "王女士"), ("order", "A1001")]
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            repeat_every: Some(Duration::from_secs(3600)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        matches!(out[1], ReminderOutcome::Rejected { index: 1, .. }),
        "{out:?}"
    );
    let ReminderOutcome::Created { reminder_id, .. } = out[0] else {
        panic!("{out:?}")
    };
    let job = next_event(&mut rx, "the reminder sent", |e| match e {
        WorkflowEvent::ReminderSent {
            reminder_id: r,
            job_id,
            ..
        } if *r == reminder_id => Some(*job_id),
        _ => None,
    })
    .await;
    daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let r = wf.reminder(reminder_id).await.unwrap().unwrap();
    assert_eq!(r.sends, 1);
    assert_eq!(r.text, "王女士您好，订单A1001尚未付款，回复1确认已付");
    let to = format!("10690123{}", r.extension.clone().unwrap());
    reply(&daemon, "13800138000", &to, "1").await;
    next_event(&mut rx, "the reminder's reply", |e| {
        matches!(e, WorkflowEvent::ReminderReplied { reminder_id: r, .. } if *r == reminder_id)
            .then_some(())
    })
    .await;
    let r = wf.reminder(reminder_id).await.unwrap().unwrap();
    assert_eq!(r.state, hongyan::store::ReminderState::Replied);
    assert_eq!(r.reply.as_deref(), Some("1"));
    // A missing template variable is refused up front, by name.
    let err = wf
        .create_reminders(ReminderRequest {
            recipients: vec!["13800138000".into()],
            template: Some("运单{tracking}".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: missing template variable: tracking"
    );
    daemon.shutdown(LIMIT).await;
}

/// The engine over a real store and queue but no links (nothing drains the queue, so a
/// sent reminder stays visible as a queued segment), on tokio's paused clock.
mod paused {
    use std::collections::HashMap;

    use hongyan::clock::Clock;
    use hongyan::dispatch::{Changes, Submitter};
    use hongyan::route::{Carrier, PortabilityTable, PrefixTable, Router};
    use hongyan::shutdown::Shutdown;
    use hongyan::store::{NewReminder, ReminderCancel, ReminderState, StoreHandle, StoreOptions};
    use hongyan::workflow::Workflow;
    use tokio::sync::watch;

    use super::*;

    const HOUR: i64 = 3_600_000;

    /// A store, a queue that only China Mobile numbers can enter, and a paused clock.
    fn rig(
        name: &str,
    ) -> (
        TempDir,
        hongyan::config::Config,
        StoreHandle,
        Submitter,
        Clock,
    ) {
        let dir = TempDir::new(name);
        let config = demo_config(&dir);
        let store = StoreHandle::open(dir.join("q.db"), StoreOptions::default()).unwrap();
        let mut router = Router::new(PrefixTable::builtin(), PortabilityTable::new());
        router.add_link(Carrier::Mobile);
        let submitter = Submitter::new(
            &config,
            router,
            store.clone(),
            HashMap::new(),
            Changes::default(),
        );
        (dir, config, store, submitter, Clock::following_tokio())
    }

    fn engine(
        store: &StoreHandle,
        submitter: Submitter,
        config: hongyan::config::Config,
        clock: Clock,
    ) -> (
        Workflow,
        Shutdown,
        tokio::task::JoinHandle<()>,
        watch::Sender<u64>,
    ) {
        let (inbox_tx, inbox_rx) = watch::channel(0u64);
        let stop = Shutdown::new();
        let (wf, task) = Workflow::start(
            store.clone(),
            submitter,
            config.clone(),
            hongyan::policy::PolicyHandle::new(hongyan::policy::Policy::from_config(
                &config.policy,
                hongyan::policy::WordList::empty(),
            )),
            clock,
            inbox_rx,
            stop.clone(),
        );
        (wf, stop, task, inbox_tx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_approver_is_reminded_once_and_the_request_expires() {
        let (_dir, mut config, store, submitter, clock) = rig("appr-paused");
        config.workflow.remind_after = Duration::from_secs(4 * 3600);
        let (wf, stop, task, _inbox) = engine(&store, submitter, config, clock);
        let mut rx = wf.subscribe();
        let start = clock.now_millis();
        let mut req = request(
            "用章申请",
            vec![(StageRule::All, vec![person("王经理", "13800138000")])],
        );
        req.expires_at = Some(start + 10 * HOUR);
        let id = wf.create_approval(req).await.unwrap().approval_id;
        let mut seen = Vec::new();
        while seen.len() < 4 {
            let e = rx.recv().await.unwrap();
            let at = clock.now_millis() - start;
            seen.push((e, at));
        }
        let kinds: Vec<String> = seen
            .iter()
            .map(|(e, _)| {
                format!("{e:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "ApprovalAsked",
                "ApprovalAsked",
                "Expired",
                "ApplicantNotified"
            ],
            "{seen:?}"
        );
        assert!(matches!(
            seen[0].0,
            WorkflowEvent::ApprovalAsked {
                reminder: false,
                ..
            }
        ));
        assert!(matches!(
            seen[1].0,
            WorkflowEvent::ApprovalAsked { reminder: true, .. }
        ));
        assert!(
            (4 * HOUR..4 * HOUR + 1_000).contains(&seen[1].1),
            "reminded at {} ms",
            seen[1].1
        );
        assert!(
            (10 * HOUR..10 * HOUR + 1_000).contains(&seen[2].1),
            "expired at {} ms",
            seen[2].1
        );
        let (
            WorkflowEvent::ApprovalAsked {
                extension: Some(a), ..
            },
            WorkflowEvent::ApprovalAsked {
                extension: Some(b), ..
            },
        ) = (&seen[0].0, &seen[1].0)
        else {
            panic!("{seen:?}")
        };
        assert_eq!(a, b, "the reminder comes from the same extended number");
        let view = wf.approval(id).await.unwrap().unwrap();
        assert_eq!(view.state, ApprovalState::Expired);
        assert_eq!(view.steps[0].state, StepState::Skipped);
        assert_eq!(view.steps[0].asks, 2);
        stop.trigger();
        task.await.unwrap();
        store.close().await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_reminder_never_goes_and_the_other_goes_once_at_its_send_at() {
        let (_dir, config, store, submitter, clock) = rig("rem-paused");
        let now = clock.now_millis();
        let reminder = |number: &str| NewReminder {
            recipient: number.into(),
            text: "您的订单将于今日 15:00 关闭，请尽快付款".into(),
            signature: None,
            send_at: now + HOUR,
            repeat_every: None,
            max_sends: 1,
            idempotency_key: None,
        };
        let (kept, _) = store
            .reminder_create(reminder("13800138000"), now)
            .await
            .unwrap();
        let (cancelled, _) = store
            .reminder_create(reminder("13800138001"), now)
            .await
            .unwrap();
        assert_eq!(
            store.reminder_cancel(cancelled, now).await.unwrap(),
            ReminderCancel::Cancelled
        );

        let (wf, stop, task, _inbox) = engine(&store, submitter, config, clock);
        let mut rx = wf.subscribe();
        // Woken by the schedule alone: paused time jumps to the reminder's send_at.
        let (id, at) = match rx.recv().await.unwrap() {
            WorkflowEvent::ReminderSent {
                reminder_id, at, ..
            } => (reminder_id, at),
            other => panic!("{other:?}"),
        };
        assert_eq!(id, kept);
        assert!(
            at >= now + HOUR && at < now + HOUR + 1_000,
            "sent at {} ms after creation",
            at - now
        );

        // Three more hours: nothing else goes.
        tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
        stop.trigger();
        task.await.unwrap();
        assert!(rx.try_recv().is_err(), "no second send");
        let kept = wf.reminder(kept).await.unwrap().unwrap();
        assert_eq!((kept.state, kept.sends), (ReminderState::Sent, 1));
        assert_eq!(
            wf.reminder(cancelled).await.unwrap().unwrap().state,
            ReminderState::Cancelled
        );
        let depth = store.queue_depth().await.unwrap();
        assert_eq!(depth.segments.total(), 1, "one SMS in the queue: {depth:?}");
        store.close().await.unwrap();
    }

    /// A voting peak: more stored MOs than one pass of the reply router takes, then the
    /// approver's answer, and no traffic after. The answer must be applied all the same;
    /// the router once took 256 per pass and slept until the next MO. On tokio's real
    /// clock, so the bounded waits are not skipped while the store's thread works.
    #[tokio::test]
    async fn a_reply_after_a_burst_larger_than_a_pass_is_decided_without_more_traffic() {
        let (_dir, config, store, submitter, clock) = rig("appr-burst");
        let service_code = config.links[0].service_code.clone();
        let link = config.links[0].name.clone();
        let (wf, stop, task, inbox) = engine(&store, submitter, config, clock);
        let mut rx = wf.subscribe();
        let req = request(
            "用章申请",
            vec![(StageRule::All, vec![person("王经理", "13800138000")])],
        );
        let id = wf.create_approval(req).await.unwrap().approval_id;
        let ext = next_event(&mut rx, "the approval SMS queued", |e| match e {
            WorkflowEvent::ApprovalAsked { extension, .. } => extension.clone(),
            _ => None,
        })
        .await;
        let mo = |sender: &str, to: &str, text: &str| hongyan::store::NewInbound {
            sender: sender.into(),
            destination: to.into(),
            text: text.into(),
            coding: 8,
            received_at: clock.now_millis(),
            link: link.clone(),
            item_id: None,
        };
        // Votes to the bare service code: more than two passes' worth.
        for i in 0..600 {
            store
                .inbox_insert(mo(&format!("1390000{i:04}"), &service_code, "1"))
                .await
                .unwrap();
        }
        store
            .inbox_insert(mo("13800138000", &format!("{service_code}{ext}"), "同意"))
            .await
            .unwrap();
        // One wake-up for the whole burst, as the watch channel coalesces them.
        inbox.send_modify(|n| *n += 1);
        next_event(&mut rx, "the reply decided", |e| match e {
            WorkflowEvent::Decided { .. } => Some(()),
            _ => None,
        })
        .await;
        assert_eq!(
            wf.approval(id).await.unwrap().unwrap().state,
            ApprovalState::Approved
        );
        assert!(store.inbox_unrouted(10).await.unwrap().is_empty());
        stop.trigger();
        task.await.unwrap();
        store.close().await.unwrap();
    }
}
