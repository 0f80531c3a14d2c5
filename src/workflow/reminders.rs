//! The engine's reminders: creating them (bad numbers refused per recipient, the others
//! still go), cancelling, and the pass that sends the ones due and closes the ones whose
//! wait for a reply is over.

use super::Workflow;
use super::engine::BATCH;
use super::error::{Unsendable, WorkflowError};
use super::events::WorkflowEvent;
use super::requests::{ReminderOutcome, ReminderRequest, number, reminder_repeats, reminder_text};
use crate::dispatch::SendRequest;
use crate::store::{
    DueReminder, ItemKind, NewReminder, Priority, ReminderCancel, ReminderState, ReminderView,
};

impl Workflow {
    /// Stores one reminder per recipient; bad numbers are refused per item.
    pub async fn create_reminders(
        &self,
        req: ReminderRequest,
    ) -> Result<Vec<ReminderOutcome>, WorkflowError> {
        let text = reminder_text(&req)?;
        self.inner
            .submitter
            .check_recipient_count(req.recipients.len())?;
        let (repeat_every, max_sends) = reminder_repeats(&req)?;
        let now = self.now();
        let send_at = req.send_at.unwrap_or(now);
        let mut out = Vec::with_capacity(req.recipients.len());
        for (index, input) in req.recipients.iter().enumerate() {
            let number = match number(
                &self.inner.submitter.router(),
                format!("recipients[{index}]"),
                input,
            ) {
                Ok(n) => n,
                Err(e) => {
                    out.push(ReminderOutcome::Rejected {
                        index,
                        input: input.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let new = NewReminder {
                recipient: number.clone(),
                text: text.clone(),
                signature: req.signature.clone(),
                send_at,
                repeat_every,
                max_sends,
                idempotency_key: req
                    .idempotency_key
                    .as_ref()
                    .map(|k| format!("{k}:{number}")),
            };
            let (reminder_id, created) = self.inner.store.reminder_create(new, now).await?;
            out.push(ReminderOutcome::Created {
                index,
                number,
                reminder_id,
                created,
            });
        }
        self.poke();
        Ok(out)
    }

    /// Cancels a reminder that has not gone (or stops its repeats).
    pub async fn cancel_reminder(&self, id: i64) -> Result<ReminderCancel, WorkflowError> {
        let out = self.inner.store.reminder_cancel(id, self.now()).await?;
        tracing::info!(reminder = id, outcome = ?out, "reminder cancel");
        Ok(out)
    }

    /// A reminder as stored.
    pub async fn reminder(&self, id: i64) -> Result<Option<ReminderView>, WorkflowError> {
        Ok(self.inner.store.reminder_get(id).await?)
    }

    /// The reminders part of a pass: every reminder due now.
    pub(super) async fn reminders_pass(&self) -> Result<(), WorkflowError> {
        for r in self.inner.store.reminders_due(self.now(), BATCH).await? {
            self.remind(r).await?;
        }
        Ok(())
    }

    async fn remind(&self, r: DueReminder) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let now = self.now();
        if r.finished {
            store
                .reminder_close(r.id, ReminderState::Sent, None, now)
                .await?;
            self.emit(WorkflowEvent::ReminderClosed {
                reminder_id: r.id,
                state: ReminderState::Sent,
            });
            return Ok(());
        }
        if !store.reminder_claim(r.id, now).await? {
            return Ok(());
        }
        let ext = if r.expects_reply {
            match self
                .extension_for(ItemKind::Reminder, r.id, &r.recipient)
                .await
            {
                Ok(e) => e,
                Err(reason) => return self.reminder_failed(r.id, reason).await,
            }
        } else {
            None
        };
        let mut req = SendRequest::new(vec![r.recipient.clone()], r.text.clone());
        req.signature = r.signature.clone();
        req.source_ext = ext.clone();
        req.extension_allocated = true;
        req.priority = Priority::Reminder;
        req.idempotency_key = Some(format!("hongyan:reminder:{}:{}", r.id, r.sends));
        match self.send_one(req).await {
            Ok(job_id) => {
                store.reminder_sent(r.id, job_id, ext, now).await?;
                tracing::info!(reminder = r.id, job = job_id, "reminder queued");
                self.emit(WorkflowEvent::ReminderSent {
                    reminder_id: r.id,
                    job_id,
                    at: now,
                });
                Ok(())
            }
            Err(reason) => self.reminder_failed(r.id, reason).await,
        }
    }

    async fn reminder_failed(&self, id: i64, reason: Unsendable) -> Result<(), WorkflowError> {
        tracing::error!(reminder = id, %reason, "reminder cannot be sent");
        self.inner
            .store
            .reminder_close(
                id,
                ReminderState::Failed,
                Some(reason.to_string()),
                self.now(),
            )
            .await?;
        self.emit(WorkflowEvent::ReminderClosed {
            reminder_id: id,
            state: ReminderState::Failed,
        });
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::super::testutil::{MOBILE_A, Rig, drain};
    use super::*;

    fn request(recipients: &[&str]) -> ReminderRequest {
        ReminderRequest {
            recipients: recipients.iter().map(|r| (*r).to_string()).collect(),
            text: Some("下午三点开会".into()),
            ..ReminderRequest::default()
        }
    }

    #[tokio::test]
    async fn a_bad_number_is_refused_alone_and_the_others_go() {
        let rig = Rig::new("wf-rem-items");
        let wf = rig.workflow();
        let out = wf
            .create_reminders(request(&["12345", MOBILE_A]))
            .await
            .unwrap();
        assert!(
            matches!(&out[0], ReminderOutcome::Rejected { index: 0, reason, .. } if reason.contains("recipients[0]: ")),
            "{out:?}"
        );
        let ReminderOutcome::Created { reminder_id, .. } = out[1] else {
            panic!("{out:?}");
        };
        let mut rx = wf.subscribe();
        wf.run_once().await;
        assert!(
            drain(&mut rx)
                .iter()
                .any(|e| matches!(e, WorkflowEvent::ReminderSent { reminder_id: id, .. } if *id == reminder_id))
        );
        let view = wf.reminder(reminder_id).await.unwrap().unwrap();
        assert_eq!(
            view.state,
            ReminderState::Sent,
            "a one-off closes once sent"
        );
        assert_eq!(view.extension, None, "a one-off expects no reply");
    }

    #[tokio::test]
    async fn a_reminder_that_cannot_be_sent_fails_with_the_reason() {
        let rig = Rig::new("wf-rem-fail");
        let wf = rig.workflow();
        // Stored directly: a number the queue has no link for.
        let (id, _) = rig
            .store
            .reminder_create(
                NewReminder {
                    recipient: "13300133000".into(),
                    text: "x".into(),
                    signature: None,
                    send_at: 0,
                    repeat_every: Some(60_000),
                    max_sends: 2,
                    idempotency_key: None,
                },
                0,
            )
            .await
            .unwrap();
        wf.run_once().await;
        let view = wf.reminder(id).await.unwrap().unwrap();
        assert_eq!(view.state, ReminderState::Failed);
        assert!(view.reply.is_some_and(|r| !r.is_empty()));
    }

    #[tokio::test]
    async fn a_scheduled_reminder_can_be_cancelled_once() {
        let rig = Rig::new("wf-rem-cancel");
        let wf = rig.workflow();
        let mut req = request(&[MOBILE_A]);
        req.send_at = Some(wf.now() + 3_600_000);
        req.repeat_every = Some(Duration::from_secs(3600));
        let out = wf.create_reminders(req).await.unwrap();
        let ReminderOutcome::Created { reminder_id, .. } = out[0] else {
            panic!("{out:?}");
        };
        assert_eq!(
            wf.cancel_reminder(reminder_id).await.unwrap(),
            ReminderCancel::Cancelled
        );
        assert_eq!(
            wf.cancel_reminder(reminder_id).await.unwrap(),
            ReminderCancel::TooLate {
                state: ReminderState::Cancelled
            }
        );
        assert!(matches!(
            wf.cancel_reminder(404).await.unwrap_err(),
            WorkflowError::NotFound { id: 404, .. }
        ));
    }
}
