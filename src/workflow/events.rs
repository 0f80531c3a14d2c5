//! [`WorkflowEvent`]: what the engine did, broadcast to subscribers (tests, the demo,
//! webhooks).

use serde::Serialize;

use crate::store::{ApprovalState, DecideOutcome, Decision, Millis, ReminderState};

/// What the engine did, for subscribers (tests, the demo, webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum WorkflowEvent {
    /// An approval SMS (first, resent or reminder) is in the queue.
    ApprovalAsked {
        /// The request.
        approval_id: i64,
        /// The step.
        step_id: i64,
        /// Its extension (`None` when the link has none).
        extension: Option<String>,
        /// The SMS job.
        job_id: i64,
        /// True for a reminder.
        reminder: bool,
    },
    /// An approver decided (by SMS or API).
    Decided {
        /// The step.
        step_id: i64,
        /// The decision.
        decision: Decision,
        /// `sms` or `api`.
        via: String,
        /// What it did to the request.
        outcome: DecideOutcome,
    },
    /// A request expired.
    Expired {
        /// The request.
        approval_id: i64,
    },
    /// The applicant's outcome SMS is in the queue.
    ApplicantNotified {
        /// The request.
        approval_id: i64,
        /// How it ended.
        state: ApprovalState,
        /// The SMS job.
        job_id: i64,
    },
    /// A reply to a step was neither yes nor no; the approver was asked again.
    Unclear {
        /// The inbox message.
        inbox_id: i64,
        /// The step.
        step_id: i64,
    },
    /// A reply reached no item.
    Unmatched {
        /// The inbox message.
        inbox_id: i64,
        /// Stable reason code.
        reason: &'static str,
    },
    /// A reply was an opt-out keyword and reached no open item: its sender is on the
    /// opt-out list.
    OptedOut {
        /// The inbox message.
        inbox_id: i64,
        /// The sender, normalised.
        number: String,
        /// False when it was on the list already (nothing changed, no confirmation).
        added: bool,
        /// The confirmation SMS, when one is configured and could be queued.
        confirmation_job: Option<i64>,
    },
    /// A reply was a re-subscribe keyword and reached no open item: its sender is off
    /// the opt-out list.
    Resubscribed {
        /// The inbox message.
        inbox_id: i64,
        /// The sender, normalised.
        number: String,
        /// False when it was not on the list.
        removed: bool,
    },
    /// A reminder SMS is in the queue.
    ReminderSent {
        /// The reminder.
        reminder_id: i64,
        /// The SMS job.
        job_id: i64,
        /// The engine's clock when it decided to send (unix ms).
        at: Millis,
    },
    /// A reminder was answered.
    ReminderReplied {
        /// The reminder.
        reminder_id: i64,
        /// The inbox message.
        inbox_id: i64,
    },
    /// A reply to a poll was attributed to its recipient.
    PollReply {
        /// The poll.
        poll_id: i64,
        /// The inbox message.
        inbox_id: i64,
        /// The option it names (`None`: a comment, or a collection).
        option: Option<String>,
        /// It does not count (`accept = first` and an earlier answer does).
        superseded: bool,
    },
    /// A poll closed (its `closes_at` came, or by hand): later replies are `poll_closed`.
    PollClosed {
        /// The poll.
        poll_id: i64,
    },
    /// A reminder ended without a reply, or could not be sent.
    ReminderClosed {
        /// The reminder.
        reminder_id: i64,
        /// Sent or failed.
        state: ReminderState,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_in_snake_case_for_subscribers() {
        let e = WorkflowEvent::Unmatched {
            inbox_id: 3,
            reason: "not_the_recipient",
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"event": "unmatched", "inbox_id": 3, "reason": "not_the_recipient"})
        );
        let e = WorkflowEvent::ReminderClosed {
            reminder_id: 1,
            state: ReminderState::Failed,
        };
        assert_eq!(serde_json::to_value(&e).unwrap()["state"], "failed");
    }
}
