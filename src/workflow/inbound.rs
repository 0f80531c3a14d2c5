//! The engine's inbound routing: every stored MO message goes to the item it answers
//! (as [`crate::replies::routing`] decides), is answered when unclear, or is kept as
//! unmatched with its reason.

use super::Workflow;
use super::engine::BATCH;
use super::error::WorkflowError;
use super::events::WorkflowEvent;
use super::polls::QueuedReplies;
use super::sending::carrier_key;
use super::texts;
use crate::dispatch::SendRequest;
use crate::replies::routing::{Addressed, Answer, answer, route_destination, sender_number};
use crate::store::{InboxMessage, InboxRoute, Priority};

impl Workflow {
    /// Routes up to a batch of stored replies; true when more are waiting.
    pub(super) async fn route_replies(&self) -> Result<bool, WorkflowError> {
        let unrouted = self.inner.store.inbox_unrouted(BATCH).await?;
        let more = unrouted.len() == BATCH;
        // Poll attributions are queued for the writer and settled together (one commit
        // for a burst, not one each); anything else is routed only after those before it
        // are settled, so events still come in arrival order.
        let mut queued = QueuedReplies::default();
        for m in unrouted {
            self.route_reply(m, &mut queued).await?;
        }
        self.settle_replies(&mut queued).await?;
        Ok(more)
    }

    async fn route_reply(
        &self,
        m: InboxMessage,
        queued: &mut QueuedReplies,
    ) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let msg = &m.message;
        let sender = sender_number(&msg.sender);
        let holder = match route_destination(&self.inner.config, &msg.link, &msg.destination) {
            Addressed::Unmatched(reason) => {
                self.settle_replies(queued).await?;
                return self.unmatched(&m, &sender, reason).await;
            }
            Addressed::Extension { carrier, extension } => {
                match store
                    .lookup_extension(carrier_key(carrier), extension.clone(), msg.received_at)
                    .await?
                {
                    Some(h) => h,
                    None => {
                        self.settle_replies(queued).await?;
                        let closed = self
                            .reply_to_closed_poll(&m, carrier_key(carrier), extension, &sender)
                            .await?;
                        if closed.is_some() {
                            return Ok(());
                        }
                        return self.unmatched(&m, &sender, "unknown_extension").await;
                    }
                }
            }
        };
        let answer = answer(&holder, &sender, &msg.text);
        if let Answer::Poll { poll_id } = answer {
            return self.poll_reply(&m, poll_id, &sender, queued).await;
        }
        self.settle_replies(queued).await?;
        match answer {
            Answer::NotTheRecipient => {
                // Not an operator's problem (a forwarded SMS, a wrong number): logged and
                // kept in the inbox as unmatched.
                tracing::info!(
                    inbox = m.id,
                    item = holder.item_id,
                    "a reply to an item from a number it was not sent to"
                );
                self.unmatched(&m, &sender, Answer::NOT_THE_RECIPIENT).await
            }
            Answer::Reminder { reminder_id } => {
                let open = store
                    .reminder_replied(reminder_id, msg.text.clone(), m.id, self.now())
                    .await?;
                tracing::info!(reminder = reminder_id, open, "reminder reply");
                self.emit(WorkflowEvent::ReminderReplied {
                    reminder_id,
                    inbox_id: m.id,
                });
                Ok(())
            }
            Answer::Decision {
                step_id,
                decision,
                comment,
            } => {
                self.apply_decision(step_id, decision, comment, "sms", Some(m.id))
                    .await?;
                Ok(())
            }
            Answer::Unclear { step_id } => self.unclear(&m, step_id, &sender).await,
            // Handled above, without settling first.
            Answer::Poll { .. } => Ok(()),
        }
    }

    async fn unclear(
        &self,
        m: &InboxMessage,
        step_id: i64,
        sender: &str,
    ) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        if let Some(ctx) = store.approval_step_context(step_id).await? {
            let mut req = SendRequest::new(vec![sender.to_string()], texts::ask_again(&ctx.title));
            req.source_ext = ctx.extension;
            req.extension_allocated = true;
            req.priority = Priority::Approval;
            req.idempotency_key = Some(format!("hongyan:inbox:{}:unclear", m.id));
            if let Err(reason) = self.send_one(req).await {
                tracing::warn!(inbox = m.id, %reason, "cannot ask again");
            }
        }
        store
            .inbox_route(m.id, InboxRoute::Unclear(step_id))
            .await?;
        self.emit(WorkflowEvent::Unclear {
            inbox_id: m.id,
            step_id,
        });
        Ok(())
    }

    pub(super) async fn unmatched(
        &self,
        m: &InboxMessage,
        sender: &str,
        reason: &'static str,
    ) -> Result<(), WorkflowError> {
        // Opt-out keywords come after approvals and reminders (a reply that reached one
        // was handled above) and before polls: see `policy::opt_out::reply_owner`. A
        // reply reaching an open poll goes to `opt_out_reply` too when it is a keyword.
        if let Some(word) = self
            .inner
            .policy
            .current()
            .keywords
            .classify(&m.message.text)
        {
            return self.opt_out_reply(m, sender, word).await;
        }
        tracing::info!(inbox = m.id, link = %m.message.link, reason, "reply matches no open item");
        self.answer_unmatched(m, sender).await;
        self.inner
            .store
            .inbox_route(m.id, InboxRoute::Unmatched(reason))
            .await?;
        self.emit(WorkflowEvent::Unmatched {
            inbox_id: m.id,
            reason,
        });
        Ok(())
    }

    /// Sends `workflow.unmatched_answer`, if configured, to the sender of a reply that
    /// reached nothing (once per inbox message: keyed by it).
    pub(super) async fn answer_unmatched(&self, m: &InboxMessage, sender: &str) {
        if let Some(answer) = &self.inner.config.workflow.unmatched_answer {
            let mut req = SendRequest::new(vec![sender.to_string()], answer.clone());
            req.idempotency_key = Some(format!("hongyan:inbox:{}:unmatched", m.id));
            if let Err(why) = self.send_one(req).await {
                tracing::warn!(inbox = m.id, reason = %why, "cannot answer an unmatched reply");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::requests::{ApprovalRequest, Person, StageRequest};
    use super::super::testutil::{MOBILE_A, MOBILE_B, Rig, drain};
    use super::*;
    use crate::route::Carrier;
    use crate::store::{ApprovalState, DecideOutcome, Decision, Millis, NewInbound, StageRule};

    /// A request with one stage asked of `MOBILE_A`; the step and its extension.
    async fn asked(wf: &Workflow) -> (i64, String) {
        let req = ApprovalRequest {
            title: "报销".into(),
            applicant: Person {
                name: "小李".into(),
                phone: "13800138000".into(),
            },
            details: String::new(),
            stages: vec![StageRequest {
                rule: StageRule::Any,
                approvers: vec![Person {
                    name: "王经理".into(),
                    phone: MOBILE_A.into(),
                }],
            }],
            expires_at: None,
            idempotency_key: None,
        };
        let id = wf.create_approval(req).await.unwrap().approval_id;
        wf.run_once().await;
        let step = wf.approval(id).await.unwrap().unwrap().steps[0].clone();
        (step.id, step.extension.expect("asked from an extension"))
    }

    async fn reply(rig: &Rig, wf: &Workflow, sender: &str, ext: &str, text: &str) -> i64 {
        reply_at(rig, wf.now(), sender, ext, text).await
    }

    async fn reply_at(rig: &Rig, received_at: Millis, sender: &str, ext: &str, text: &str) -> i64 {
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
                received_at,
                link: link.name.clone(),
                item_id: None,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_yes_from_the_approver_decides_the_step_once() {
        let rig = Rig::new("wf-in-yes");
        let wf = rig.workflow();
        let (step, ext) = asked(&wf).await;
        let mut rx = wf.subscribe();
        // The approver sends the answer twice before the engine looks (both arrived a
        // moment before the decision, so the extension still names the step for both).
        let before = wf.now() - 1;
        reply_at(&rig, before, &format!("+86{MOBILE_A}"), &ext, "同意").await;
        reply_at(&rig, before, MOBILE_A, &ext, "同意").await;
        assert!(!wf.run_once().await);
        let events = drain(&mut rx);
        assert!(
            matches!(
                events.as_slice(),
                [
                    WorkflowEvent::Decided {
                        step_id,
                        decision: Decision::Approve,
                        outcome: DecideOutcome::Decided {
                            state: ApprovalState::Approved,
                            ..
                        },
                        ..
                    },
                    WorkflowEvent::Decided {
                        outcome: DecideOutcome::NotOpen {
                            approval: ApprovalState::Approved,
                            ..
                        },
                        ..
                    },
                    ..
                ] if *step_id == step
            ),
            "{events:?}"
        );
        // One that arrives after the decision finds the extension released.
        let late = reply_at(&rig, wf.now() + 1_000, MOBILE_A, &ext, "同意").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            vec![WorkflowEvent::Unmatched {
                inbox_id: late,
                reason: "unknown_extension"
            }]
        );
    }

    #[tokio::test]
    async fn a_reply_from_another_number_or_to_no_extension_is_unmatched() {
        let rig = Rig::new("wf-in-other");
        let wf = rig.workflow();
        let (_, ext) = asked(&wf).await;
        let mut rx = wf.subscribe();
        let other = reply(&rig, &wf, MOBILE_B, &ext, "同意").await;
        let nobody = "9".repeat(ext.len());
        let unknown = reply(&rig, &wf, MOBILE_A, &nobody, "同意").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        assert!(events.contains(&WorkflowEvent::Unmatched {
            inbox_id: other,
            reason: "not_the_recipient"
        }));
        assert!(events.contains(&WorkflowEvent::Unmatched {
            inbox_id: unknown,
            reason: "unknown_extension"
        }));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, WorkflowEvent::Decided { .. })),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn an_unclear_reply_is_asked_again_and_decides_nothing() {
        let rig = Rig::new("wf-in-unclear");
        let wf = rig.workflow();
        let (step, ext) = asked(&wf).await;
        let mut rx = wf.subscribe();
        let inbox = reply(&rig, &wf, MOBILE_A, &ext, "明天再说吧？").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            vec![WorkflowEvent::Unclear {
                inbox_id: inbox,
                step_id: step
            }]
        );
        let view = wf.approval(1).await.unwrap().unwrap();
        assert_eq!(view.state, ApprovalState::Pending);
    }
}
