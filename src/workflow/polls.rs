//! The engine's side of replies to bulk sends: a reply to a poll's extension is
//! attributed to the recipient who sent it (as [`crate::replies::poll::judge`] decides,
//! from what the store knows), or kept as unmatched with its reason; polls past their
//! `closes_at` are closed (their extensions go to quarantine), and a late reply to a
//! closed poll's extension is `poll_closed`.

use super::Workflow;
use super::error::WorkflowError;
use super::events::WorkflowEvent;
use crate::replies::poll::{ReplyFacts, Verdict, judge};
use crate::store::{InboxMessage, JobId, NewPollReply, NewPollUnmatched, PollUnmatched, PollView};

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

    /// A reply to the live extension of poll `poll_id` from `sender` (normalised).
    pub(super) async fn poll_reply(
        &self,
        m: &InboxMessage,
        poll_id: i64,
        sender: &str,
    ) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let msg = &m.message;
        let Some(poll) = store.poll(poll_id).await? else {
            // The extension names a poll the store does not have: nobody can be meant.
            return self.unmatched(m, sender, "unknown_extension").await;
        };
        if self.is_opt_out(&msg.text) {
            // #20: an opt-out keyword to an open poll is a refusal, not a comment. The
            // policy's opt-out handling takes the message from here.
            return self.opt_out_reply(m, sender).await;
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
                    .record_poll_reply(NewPollReply {
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
                if let Some(r) = recorded {
                    tracing::info!(
                        poll = poll_id,
                        inbox = m.id,
                        option = option.as_deref().unwrap_or("-"),
                        superseded = r.superseded,
                        "poll reply attributed"
                    );
                    self.emit(WorkflowEvent::PollReply {
                        poll_id,
                        inbox_id: m.id,
                        option,
                        superseded: r.superseded,
                    });
                }
                Ok(())
            }
            Verdict::Unmatched(reason) => self.poll_unmatched(m, poll_id, sender, reason).await,
        }
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

    /// Whether `text` is an opt-out keyword (`T`, `TD`, `退订`, …): those win over a poll
    /// answer. The keywords are the messaging policy's (#20,
    /// `policy::opt_out::Keywords::classify`); until it is wired in here, no reply is
    /// one.
    fn is_opt_out(&self, _text: &str) -> bool {
        false
    }

    /// What an opt-out reply to a poll does: the policy's opt-out handling (#20).
    async fn opt_out_reply(&self, m: &InboxMessage, sender: &str) -> Result<(), WorkflowError> {
        self.unmatched(m, sender, "opt_out").await
    }
}
