//! The engine's side of replies to bulk sends: a reply to a poll's extension is
//! attributed to the recipient who sent it (as [`crate::replies::poll::judge`] decides,
//! from what the store knows), or kept as unmatched with its reason; polls past their
//! `closes_at` are closed (their extensions go to quarantine), and a late reply to a
//! closed poll's extension is `poll_closed`.

use super::Workflow;
use super::error::WorkflowError;
use super::events::WorkflowEvent;
use crate::policy::opt_out::{ReplyOwner, ReplyReach, reply_owner};
use crate::replies::poll::{ReplyFacts, Verdict, judge};
use crate::store::{
    Deferred, InboxMessage, JobId, NewPollReply, NewPollUnmatched, PollReplyRecorded,
    PollUnmatched, PollView,
};

/// Poll attributions of one routing pass queued for the store's writer, in arrival order,
/// not yet known to be committed.
#[derive(Debug, Default)]
pub(super) struct QueuedReplies(Vec<Queued>);

#[derive(Debug)]
struct Queued {
    poll_id: i64,
    inbox_id: i64,
    option: Option<String>,
    recorded: Deferred<Option<PollReplyRecorded>>,
}

impl Workflow {
    /// Closes the polls whose `closes_at` has come, each as of that time.
    pub(super) async fn polls_pass(&self) -> Result<(), WorkflowError> {
        for poll_id in self.inner.store.close_due_polls(self.now()).await? {
            tracing::info!(poll = poll_id, "poll closed at its closes_at");
            self.emit(WorkflowEvent::PollClosed { poll_id });
        }
        Ok(())
    }

    /// Closes the poll job `job_id` asks replies for, now (replies arriving from now on
    /// are `poll_closed`). `None` when the job asked for none; the poll as it is after.
    pub async fn close_poll_of_job(
        &self,
        job_id: JobId,
    ) -> Result<Option<PollView>, WorkflowError> {
        let store = &self.inner.store;
        let Some(poll) = store.poll_of_job(job_id).await? else {
            return Ok(None);
        };
        if store.close_poll(poll.id, self.now()).await? {
            tracing::info!(poll = poll.id, job = job_id, "poll closed by hand");
            self.emit(WorkflowEvent::PollClosed { poll_id: poll.id });
        }
        Ok(store.poll(poll.id).await?)
    }

    /// A reply to the live extension of poll `poll_id` from `sender` (normalised). An
    /// attribution is queued in `queued` (see [`Workflow::settle_replies`]); any other
    /// outcome settles what is queued first.
    pub(super) async fn poll_reply(
        &self,
        m: &InboxMessage,
        poll_id: i64,
        sender: &str,
        queued: &mut QueuedReplies,
    ) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let msg = &m.message;
        let Some(poll) = store.poll(poll_id).await? else {
            // The extension names a poll the store does not have: nobody can be meant.
            self.settle_replies(queued).await?;
            return self.unmatched(m, sender, "unknown_extension").await;
        };
        // An opt-out keyword (`TD`, `退订`) to a poll is a refusal, not a comment: the
        // policy's order of the uses of a reply says who gets it.
        let word = self.inner.policy.current().keywords.classify(&msg.text);
        if let ReplyOwner::OptOut(word) = reply_owner(ReplyReach::Poll, word) {
            self.settle_replies(queued).await?;
            return self.opt_out_reply(m, sender, word).await;
        }
        let facts = ReplyFacts {
            open: poll.open_at(msg.received_at),
            is_recipient: store
                .poll_has_recipient(poll_id, sender.to_string())
                .await?,
        };
        match judge(&poll.spec, facts, &msg.text) {
            Verdict::Attribute { option, comment } => {
                let recorded = store
                    .record_poll_reply_deferred(NewPollReply {
                        poll_id,
                        inbox_id: m.id,
                        number: sender.to_string(),
                        option_key: option.clone(),
                        text: msg.text.clone(),
                        comment,
                        received_at: msg.received_at,
                        link: msg.link.clone(),
                    })
                    .await?;
                queued.0.push(Queued {
                    poll_id,
                    inbox_id: m.id,
                    option,
                    recorded,
                });
                Ok(())
            }
            Verdict::Unmatched(reason) => {
                self.settle_replies(queued).await?;
                self.poll_unmatched(m, poll_id, sender, reason).await
            }
        }
    }

    /// Waits for the queued attributions to commit, in the order queued, and sends their
    /// events. One that fails leaves its inbox message unrouted (the next pass tries it
    /// again; an attribution is stored once, by inbox id); those after it still commit.
    pub(super) async fn settle_replies(
        &self,
        queued: &mut QueuedReplies,
    ) -> Result<(), WorkflowError> {
        for q in queued.0.drain(..) {
            if let Some(r) = q.recorded.outcome().await? {
                tracing::info!(
                    poll = q.poll_id,
                    inbox = q.inbox_id,
                    option = q.option.as_deref().unwrap_or("-"),
                    superseded = r.superseded,
                    "poll reply attributed"
                );
                self.emit(WorkflowEvent::PollReply {
                    poll_id: q.poll_id,
                    inbox_id: q.inbox_id,
                    option: q.option,
                    superseded: r.superseded,
                });
            }
        }
        Ok(())
    }

    /// A reply to an extension nobody holds: `poll_closed` if a poll held it when it
    /// closed (and nobody since), else `None` (the caller says `unknown_extension`).
    pub(super) async fn reply_to_closed_poll(
        &self,
        m: &InboxMessage,
        carrier: String,
        extension: String,
        sender: &str,
    ) -> Result<Option<()>, WorkflowError> {
        let closed = self
            .inner
            .store
            .closed_poll_of_extension(carrier, extension, m.message.received_at)
            .await?;
        match closed {
            Some(_) if self.is_opt_out_word(&m.message.text) => {
                // Reaches nothing open: the ordinary unmatched path, where a keyword is
                // an opt-out.
                Ok(None)
            }
            Some(poll_id) => {
                self.poll_unmatched(m, poll_id, sender, PollUnmatched::PollClosed)
                    .await?;
                Ok(Some(()))
            }
            None => Ok(None),
        }
    }

    async fn poll_unmatched(
        &self,
        m: &InboxMessage,
        poll_id: i64,
        sender: &str,
        reason: PollUnmatched,
    ) -> Result<(), WorkflowError> {
        let msg = &m.message;
        tracing::info!(
            inbox = m.id,
            poll = poll_id,
            reason = reason.code(),
            "poll reply unmatched"
        );
        self.answer_unmatched(m, sender).await;
        self.inner
            .store
            .record_poll_unmatched(NewPollUnmatched {
                poll_id,
                inbox_id: m.id,
                number: sender.to_string(),
                text: msg.text.clone(),
                reason,
                received_at: msg.received_at,
                link: msg.link.clone(),
            })
            .await?;
        self.emit(WorkflowEvent::Unmatched {
            inbox_id: m.id,
            reason: reason.code(),
        });
        Ok(())
    }

    /// Whether `text` is an opt-out or re-subscribe keyword of the policy in force.
    fn is_opt_out_word(&self, text: &str) -> bool {
        self.inner
            .policy
            .current()
            .keywords
            .classify(text)
            .is_some()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::super::testutil::{MOBILE_A, MOBILE_B, Rig, drain};
    use super::*;
    use crate::dispatch::{SendError, SendRequest};
    use crate::replies::poll::SpecError;
    use crate::route::Carrier;
    use crate::store::{Accept, Millis, NewInbound, PollOption, ReplyMode, ReplySpec};

    fn survey(closes_at: Option<Millis>) -> ReplySpec {
        ReplySpec {
            mode: ReplyMode::Poll,
            options: vec![
                PollOption {
                    key: "1".into(),
                    text: "满意".into(),
                },
                PollOption {
                    key: "2".into(),
                    text: "一般".into(),
                },
            ],
            accept: Accept::First,
            closes_at,
        }
    }

    /// A poll to `MOBILE_A`: its job, poll id and extension on the mobile link.
    async fn poll_to_a(rig: &Rig, spec: ReplySpec) -> (i64, i64, String) {
        let mut req = SendRequest::new(vec![MOBILE_A.into()], "满意度调查：满意回1，一般回2");
        req.replies = Some(spec);
        let job = rig.submitter.send(req).await.unwrap().job.unwrap().job_id;
        let poll = rig.store.poll_of_job(job).await.unwrap().unwrap();
        let ext = poll.extensions[0].1.clone();
        (job, poll.id, ext)
    }

    async fn reply(rig: &Rig, at: Millis, sender: &str, ext: &str, text: &str) -> i64 {
        let link = rig
            .config
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        rig.store
            .inbox_insert(NewInbound {
                sender: sender.into(),
                destination: format!("{}{ext}", link.service_code),
                text: text.into(),
                coding: 8,
                received_at: at,
                link: link.name.clone(),
                item_id: None,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_poll_whose_option_is_an_opt_out_keyword_is_refused_at_send() {
        let rig = Rig::new("wf-poll-keyword-option");
        for (key, text) in [("T", "参加"), ("3", "退订"), ("TD", "不参加")] {
            let mut spec = survey(None);
            spec.options.push(PollOption {
                key: key.into(),
                text: text.into(),
            });
            let mut req = SendRequest::new(vec![MOBILE_A.into()], "周五聚餐：参加回1");
            req.replies = Some(spec);
            let e = rig.submitter.send(req).await.unwrap_err();
            let word = if key == "3" { text } else { key };
            assert!(
                matches!(&e, SendError::Replies(SpecError::OptOutKeyword { option }) if option == word),
                "{key}/{text}: {e:?}"
            );
            let api = crate::api::ApiError::from(e);
            assert_eq!(api.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(api.details.unwrap()["field"], "replies.options");
            assert!(api.message.contains(word), "{}", api.message);
        }
        let page = rig
            .store
            .jobs_list(
                crate::store::JobFilter::default(),
                crate::store::Window {
                    before: None,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert!(page.items.is_empty(), "nothing was queued");
        // Options that are no keyword still go.
        poll_to_a(&rig, survey(None)).await;
    }

    #[tokio::test]
    async fn answers_comments_and_strangers_are_told_apart() {
        let rig = Rig::new("wf-poll-reply");
        let wf = rig.workflow();
        let (_, poll_id, ext) = poll_to_a(&rig, survey(None)).await;
        let mut rx = wf.subscribe();
        let answer = reply(&rig, wf.now(), &format!("+86{MOBILE_A}"), &ext, "选２").await;
        let comment = reply(&rig, wf.now(), MOBILE_A, &ext, "下次吧").await;
        let stranger = reply(&rig, wf.now(), MOBILE_B, &ext, "1").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            vec![
                WorkflowEvent::PollReply {
                    poll_id,
                    inbox_id: answer,
                    option: Some("2".into()),
                    superseded: false
                },
                WorkflowEvent::PollReply {
                    poll_id,
                    inbox_id: comment,
                    option: None,
                    superseded: false
                },
                WorkflowEvent::Unmatched {
                    inbox_id: stranger,
                    reason: "not_a_recipient"
                },
            ]
        );
        let rows = rig.store.poll_replies(poll_id).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, MOBILE_A, "stored in normal form");
        assert!(rows[1].comment);
    }

    #[tokio::test]
    async fn an_opt_out_keyword_to_a_poll_is_a_refusal_not_a_comment() {
        let rig = Rig::new("wf-poll-optout");
        let wf = rig.workflow();
        let (_, poll_id, ext) = poll_to_a(&rig, survey(None)).await;
        let mut rx = wf.subscribe();
        let td = reply(&rig, wf.now(), MOBILE_A, &ext, "ＴＤ").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        assert!(
            matches!(
                events.as_slice(),
                [WorkflowEvent::OptedOut { inbox_id, number, .. }] if *inbox_id == td && number == MOBILE_A
            ),
            "{events:?}"
        );
        assert!(rig.store.poll_replies(poll_id).await.unwrap().is_empty());
        // The same word to a closed poll reaches nothing open: still an opt-out.
        rig.store.close_poll(poll_id, wf.now()).await.unwrap();
        let late = reply(&rig, wf.now() + 1, MOBILE_B, &ext, "退订").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        assert!(
            matches!(
                events.as_slice(),
                [WorkflowEvent::OptedOut { inbox_id, .. }] if *inbox_id == late
            ),
            "{events:?}"
        );
        assert!(rig.store.poll_unmatched(poll_id).await.unwrap().is_empty());
    }

    /// One pass queues its attributions together: a number that answers twice in it is
    /// still settled in arrival order (accept last: the second counts), and a stranger's
    /// reply between them comes out between them.
    #[tokio::test]
    async fn answers_queued_in_one_pass_are_settled_in_arrival_order() {
        let rig = Rig::new("wf-poll-queued");
        let wf = rig.workflow();
        let mut spec = survey(None);
        spec.accept = Accept::Last;
        let (_, poll_id, ext) = poll_to_a(&rig, spec).await;
        let mut rx = wf.subscribe();
        let first = reply(&rig, wf.now(), MOBILE_A, &ext, "1").await;
        let stranger = reply(&rig, wf.now(), MOBILE_B, &ext, "1").await;
        let second = reply(&rig, wf.now(), MOBILE_A, &ext, "一般").await;
        wf.run_once().await;
        let reply_event = |inbox_id, key: &str| WorkflowEvent::PollReply {
            poll_id,
            inbox_id,
            option: Some(key.into()),
            superseded: false,
        };
        assert_eq!(
            drain(&mut rx),
            vec![
                reply_event(first, "1"),
                WorkflowEvent::Unmatched {
                    inbox_id: stranger,
                    reason: "not_a_recipient"
                },
                reply_event(second, "2"),
            ]
        );
        let rows = rig.store.poll_replies(poll_id).await.unwrap();
        let counted: Vec<(i64, bool)> = rows.iter().map(|r| (r.inbox_id, r.superseded)).collect();
        assert_eq!(counted, [(first, true), (second, false)]);
        assert_eq!(rig.store.inbox_backlog().await.unwrap(), 0);
    }

    /// Attribution at scale, on the engine alone (no links): a poll to
    /// [`SCALE_RECIPIENTS`] with [`SCALE_REPLIES`] replies stored, then routed by passes
    /// of the engine; prints replies per second, asserts only that each was attributed
    /// once. Run by hand:
    /// `cargo test --release --lib attribution_at_scale -- --ignored --nocapture`
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "scale run: run by hand, see its doc"]
    async fn attribution_at_scale() {
        use std::time::Instant;
        const SCALE_RECIPIENTS: usize = 100_000;
        const SCALE_REPLIES: usize = 30_000;
        let mut rig = Rig::new("wf-poll-scale");
        rig.config.api.max_recipients = SCALE_RECIPIENTS;
        rig.submitter = crate::dispatch::Submitter::new(
            &rig.config,
            {
                let mut r = crate::route::Router::default();
                r.add_link(Carrier::Mobile);
                r
            },
            rig.store.clone(),
            std::collections::HashMap::new(),
            crate::dispatch::Changes::default(),
        );
        let wf = rig.workflow();
        let numbers: Vec<String> = (0..SCALE_RECIPIENTS)
            .map(|i| format!("139{i:08}"))
            .collect();
        let at = Instant::now();
        let mut req = SendRequest::new(numbers.clone(), "满意度调查：满意回1，一般回2");
        let mut spec = survey(None);
        spec.accept = Accept::Last;
        req.replies = Some(spec);
        let job = rig.submitter.send(req).await.unwrap().job.unwrap().job_id;
        let poll = rig.store.poll_of_job(job).await.unwrap().unwrap();
        let ext = poll.extensions[0].1.clone();
        println!("sent to {SCALE_RECIPIENTS} in {:?}", at.elapsed());
        let at = Instant::now();
        let link = rig
            .config
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap()
            .clone();
        let now = wf.now();
        let inserts: Vec<_> = (0..SCALE_REPLIES)
            .map(|i| {
                let store = rig.store.clone();
                let m = NewInbound {
                    sender: numbers[i % SCALE_RECIPIENTS].clone(),
                    destination: format!("{}{ext}", link.service_code),
                    text: if i % 2 == 0 { "1" } else { "一般" }.into(),
                    coding: 8,
                    received_at: now,
                    link: link.name.clone(),
                    item_id: None,
                };
                tokio::spawn(async move { store.inbox_insert(m).await.unwrap() })
            })
            .collect();
        for i in inserts {
            i.await.unwrap();
        }
        println!("stored {SCALE_REPLIES} replies in {:?}", at.elapsed());
        let at = Instant::now();
        let mut passes = 0;
        while wf.run_once().await {
            passes += 1;
        }
        let took = at.elapsed();
        println!(
            "attributed {SCALE_REPLIES} replies in {took:?} ({passes} passes): {:.0} replies/s",
            SCALE_REPLIES as f64 / took.as_secs_f64()
        );
        let rows = rig.store.poll_replies(poll.id).await.unwrap();
        assert_eq!(rows.len(), SCALE_REPLIES);
        assert_eq!(rig.store.inbox_backlog().await.unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_closes_at_its_closes_at_and_later_replies_are_poll_closed() {
        let rig = Rig::new("wf-poll-close");
        let wf = rig.workflow();
        let closes_at = wf.now() + 60_000;
        let (job, poll_id, ext) = poll_to_a(&rig, survey(Some(closes_at))).await;
        let mut rx = wf.subscribe();
        wf.run_once().await;
        assert!(drain(&mut rx).is_empty(), "open until closes_at");
        let in_time = reply(&rig, closes_at - 1, MOBILE_A, &ext, "1").await;
        tokio::time::advance(Duration::from_secs(61)).await;
        wf.run_once().await;
        // Closed first, as of closes_at; the answer that arrived before still counts.
        assert_eq!(
            drain(&mut rx),
            vec![
                WorkflowEvent::PollClosed { poll_id },
                WorkflowEvent::PollReply {
                    poll_id,
                    inbox_id: in_time,
                    option: Some("1".into()),
                    superseded: false
                },
            ]
        );
        let late = reply(&rig, wf.now(), MOBILE_A, &ext, "2").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            vec![WorkflowEvent::Unmatched {
                inbox_id: late,
                reason: "poll_closed"
            }]
        );
        let poll = rig.store.poll_of_job(job).await.unwrap().unwrap();
        assert_eq!(poll.closed_at, Some(closes_at));
        // The extension rests in quarantine: nobody holds it.
        assert!(
            rig.store
                .lookup_extension("cmcc".into(), ext, wf.now())
                .await
                .unwrap()
                .is_none()
        );
    }
}
