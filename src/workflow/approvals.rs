//! The engine's approvals: creating a request, decisions by API, resends, and the pass
//! that expires requests, marks reminders to slow approvers, sends the approval SMS that
//! are due and tells applicants their outcome. What a decision does is
//! [`crate::replies::approval::decide`]'s to say; the store applies it.

use super::Workflow;
use super::engine::BATCH;
use super::error::WorkflowError;
use super::events::WorkflowEvent;
use super::requests::{ApprovalCreated, ApprovalRequest, new_approval};
use super::texts;
use crate::dispatch::SendRequest;
use crate::replies::approval;
use crate::store::{ApprovalView, DecideOutcome, Decision, ItemKind, Priority, StepToAsk};

impl Workflow {
    /// Stores a request and opens its first stage; the approval SMS go out at once.
    pub async fn create_approval(
        &self,
        req: ApprovalRequest,
    ) -> Result<ApprovalCreated, WorkflowError> {
        let now = self.now();
        let new = new_approval(
            &self.inner.submitter.router(),
            req,
            now,
            self.inner.config.workflow.approval_validity,
        )?;
        let (approval_id, created) = self.inner.store.approval_create(new, now).await?;
        tracing::info!(approval = approval_id, created, "approval request");
        self.poke();
        Ok(ApprovalCreated {
            approval_id,
            created,
        })
    }

    /// A decision made outside SMS (the API's web page), under the same rules.
    pub async fn decide(
        &self,
        step_id: i64,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<DecideOutcome, WorkflowError> {
        self.apply_decision(step_id, decision, comment, "api", None)
            .await
    }

    /// A decision by an approver logged in to the console (their own step: the console
    /// checks that), under the same rules; recorded as decided `via` `web`.
    pub async fn decide_on_web(
        &self,
        step_id: i64,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<DecideOutcome, WorkflowError> {
        self.apply_decision(step_id, decision, comment, "web", None)
            .await
    }

    /// Applies a decision by [`approval::decide`] (`inbox_id`: the reply it came in).
    pub(super) async fn apply_decision(
        &self,
        step_id: i64,
        decision: Decision,
        comment: Option<String>,
        via: &'static str,
        inbox_id: Option<i64>,
    ) -> Result<DecideOutcome, WorkflowError> {
        let out = self
            .inner
            .store
            .approval_decide(
                step_id,
                decision,
                approval::decide,
                comment,
                via,
                self.now(),
                inbox_id,
            )
            .await?;
        tracing::info!(step = step_id, ?decision, via, outcome = ?out, "approval decision");
        if !matches!(out, DecideOutcome::NotOpen { .. }) {
            self.poke();
        }
        self.emit(WorkflowEvent::Decided {
            step_id,
            decision,
            via: via.to_string(),
            outcome: out.clone(),
        });
        Ok(out)
    }

    /// A request with its steps.
    pub async fn approval(&self, id: i64) -> Result<Option<ApprovalView>, WorkflowError> {
        Ok(self.inner.store.approval_get(id).await?)
    }

    /// Sends the approval SMS again to every approver of the open stage who has not
    /// answered; returns how many.
    pub async fn resend(&self, approval_id: i64) -> Result<usize, WorkflowError> {
        let n = self.inner.store.approval_resend(approval_id).await?;
        self.poke();
        Ok(n)
    }

    /// The approvals part of a pass: expiries, reminders to approvers, the SMS due.
    pub(super) async fn approvals_pass(&self) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let now = self.now();
        for approval_id in store.approval_expire(now).await? {
            tracing::info!(approval = approval_id, "approval expired");
            self.emit(WorkflowEvent::Expired { approval_id });
        }
        if let Some(after) = self.remind_after() {
            store
                .approval_remind_due(now.saturating_sub(after), now)
                .await?;
        }
        for step in store.approval_asks_due(BATCH).await? {
            self.ask(step).await?;
        }
        for o in store.approval_outcomes_due(BATCH).await? {
            let mut req = SendRequest::new(vec![o.applicant.phone.clone()], texts::outcome(&o));
            req.priority = Priority::Approval;
            req.idempotency_key = Some(format!("hongyan:approval:{}:outcome", o.approval_id));
            match self.send_one(req).await {
                Ok(job_id) => {
                    self.emit(WorkflowEvent::ApplicantNotified {
                        approval_id: o.approval_id,
                        state: o.state,
                        job_id,
                    });
                }
                Err(reason) => {
                    tracing::warn!(approval = o.approval_id, %reason, "cannot tell the applicant");
                }
            }
            store.approval_outcome_sent(o.approval_id).await?;
        }
        Ok(())
    }

    async fn ask(&self, step: StepToAsk) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let ext = match self
            .extension_for(ItemKind::ApprovalStep, step.step_id, &step.approver.phone)
            .await
        {
            Ok(e) => e,
            Err(reason) => {
                tracing::error!(step = step.step_id, %reason, "cannot ask the approver");
                store.approval_ask_abandoned(step.step_id).await?;
                return Ok(());
            }
        };
        let mut req = SendRequest::new(vec![step.approver.phone.clone()], texts::ask(&step));
        req.source_ext = ext.clone();
        req.extension_allocated = true;
        req.priority = Priority::Approval;
        req.idempotency_key = Some(format!(
            "hongyan:approval-step:{}:ask:{}",
            step.step_id, step.asks
        ));
        match self.send_one(req).await {
            Ok(job_id) => {
                store
                    .approval_asked(step.step_id, ext.clone(), job_id, self.now())
                    .await?;
                tracing::info!(
                    approval = step.approval_id,
                    step = step.step_id,
                    job = job_id,
                    reminder = step.reminder,
                    "approval SMS queued"
                );
                self.emit(WorkflowEvent::ApprovalAsked {
                    approval_id: step.approval_id,
                    step_id: step.step_id,
                    extension: ext,
                    job_id,
                    reminder: step.reminder,
                });
            }
            Err(reason) => {
                tracing::error!(step = step.step_id, %reason, "approval SMS refused");
                store.approval_ask_abandoned(step.step_id).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::requests::{Person, StageRequest};
    use super::super::testutil::{MOBILE_A, MOBILE_B, Rig, drain};
    use super::*;
    use crate::store::{ApprovalState, StageRule, StepState};

    fn request(stages: &[&[&str]]) -> ApprovalRequest {
        ApprovalRequest {
            title: "出差申请".into(),
            applicant: Person {
                name: "小李".into(),
                phone: "13800138000".into(),
            },
            details: "上海 3 天".into(),
            stages: stages
                .iter()
                .map(|a| StageRequest {
                    rule: StageRule::All,
                    approvers: a
                        .iter()
                        .map(|p| Person {
                            name: "王经理".into(),
                            phone: (*p).into(),
                        })
                        .collect(),
                })
                .collect(),
            expires_at: None,
            idempotency_key: Some("k1".into()),
        }
    }

    #[tokio::test]
    async fn a_request_is_asked_stage_by_stage_and_the_applicant_told() {
        let rig = Rig::new("wf-appr");
        let wf = rig.workflow();
        let mut rx = wf.subscribe();
        let created = wf
            .create_approval(request(&[&[MOBILE_A], &[MOBILE_B]]))
            .await
            .unwrap();
        assert!(created.created);
        let again = wf
            .create_approval(request(&[&[MOBILE_A], &[MOBILE_B]]))
            .await
            .unwrap();
        assert_eq!(again.approval_id, created.approval_id);
        assert!(!again.created, "the same idempotency key names the first");

        assert!(!wf.run_once().await);
        let asked: Vec<i64> = drain(&mut rx)
            .into_iter()
            .filter_map(|e| match e {
                WorkflowEvent::ApprovalAsked {
                    step_id,
                    extension: Some(_),
                    reminder: false,
                    ..
                } => Some(step_id),
                _ => None,
            })
            .collect();
        assert_eq!(asked.len(), 1, "only the first stage is asked");
        let first = asked[0];

        let out = wf.decide(first, Decision::Approve, None).await.unwrap();
        assert_eq!(
            out,
            DecideOutcome::StageOpened {
                approval_id: created.approval_id,
                stage: 1
            }
        );
        wf.run_once().await;
        let view = wf.approval(created.approval_id).await.unwrap().unwrap();
        let second = view.steps[1].id;
        assert_eq!(view.steps[1].state, StepState::Pending);
        assert_eq!(view.steps[1].asks, 1, "the second stage was asked");

        let out = wf
            .decide(second, Decision::Reject, Some("预算不够".into()))
            .await
            .unwrap();
        assert_eq!(
            out,
            DecideOutcome::Decided {
                approval_id: created.approval_id,
                state: ApprovalState::Rejected
            }
        );
        drain(&mut rx);
        wf.run_once().await;
        assert!(drain(&mut rx).iter().any(|e| matches!(
            e,
            WorkflowEvent::ApplicantNotified {
                state: ApprovalState::Rejected,
                ..
            }
        )));
        // Told once: the next pass has nothing to say.
        wf.run_once().await;
        assert!(drain(&mut rx).is_empty());
        // A late answer changes nothing.
        let late = wf.decide(second, Decision::Approve, None).await.unwrap();
        assert!(matches!(late, DecideOutcome::NotOpen { .. }), "{late:?}");
    }

    #[tokio::test]
    async fn unknown_items_are_not_found() {
        let rig = Rig::new("wf-appr-404");
        let wf = rig.workflow();
        assert!(matches!(
            wf.decide(99, Decision::Approve, None).await.unwrap_err(),
            WorkflowError::NotFound {
                what: "approval step",
                id: 99
            }
        ));
        assert!(matches!(
            wf.resend(98).await.unwrap_err(),
            WorkflowError::NotFound {
                what: "approval",
                id: 98
            }
        ));
        assert_eq!(wf.approval(97).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_approver_without_a_route_is_not_asked_and_not_retried() {
        let rig = Rig::new("wf-appr-noroute");
        let wf = rig.workflow();
        // Valid for the request (it routes), but there is no Telecom link to carry it.
        let mut req = request(&[&[MOBILE_A]]);
        req.stages[0].approvers[0].phone = "13300133000".into();
        let e = wf.create_approval(req).await.unwrap_err();
        assert!(matches!(e, WorkflowError::BadNumber { .. }), "{e:?}");
    }
}
