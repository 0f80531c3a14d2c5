//! State codes and the rules that derive a recipient's state from its segments and a
//! job's state from its recipients.
//!
//! States are stored as small integers (cheaper to compare and index than text); the codes
//! below are part of the file format — never renumber one, only add.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::StoreError;

/// State of a segment, and (derived from its segments) of a recipient.
///
/// | code | state | meaning |
/// |------|-------|---------|
/// | 0 | `scheduled` | waiting for the job's `send_at` |
/// | 1 | `queued` | ready to be claimed |
/// | 2 | `in_flight` | claimed by a link, submit on the wire, no response recorded |
/// | 3 | `submitted` | the carrier accepted it and gave a message id |
/// | 4 | `delivered` | a delivery report said delivered |
/// | 5 | `failed` | refused by the carrier, written `max_attempts` times without a readable answer, or a report said undeliverable |
/// | 6 | `expired` | its validity ran out before it could be sent, or a report said expired |
/// | 7 | `unconfirmed` | its submit may have been written (at a crash, or sent `max_attempts` times with no response at all); nobody knows whether the carrier has it |
/// | 8 | `cancelled` | the job was cancelled before it was sent |
/// | 9 | `unreported` | accepted by the carrier, but no status report came within `queue.report_timeout`; a late report still applies |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for the job's `send_at`.
    Scheduled = 0,
    /// Ready to be claimed.
    Queued = 1,
    /// Claimed by a link; no submit response recorded yet.
    InFlight = 2,
    /// Accepted by the carrier, which gave a message id.
    Submitted = 3,
    /// Delivered to the handset, according to a report.
    Delivered = 4,
    /// Refused by the carrier, or reported undeliverable.
    Failed = 5,
    /// Validity ran out before sending, or reported expired.
    Expired = 6,
    /// On the wire at a crash with no response recorded; not resent (unless configured).
    Unconfirmed = 7,
    /// The job was cancelled before this was sent.
    Cancelled = 8,
    /// Accepted by the carrier, but no status report came in time (carriers lose some);
    /// a late report still applies.
    Unreported = 9,
}

impl DeliveryState {
    /// Every state, in code order.
    pub const ALL: [Self; 10] = [
        Self::Scheduled,
        Self::Queued,
        Self::InFlight,
        Self::Submitted,
        Self::Delivered,
        Self::Failed,
        Self::Expired,
        Self::Unconfirmed,
        Self::Cancelled,
        Self::Unreported,
    ];

    /// The stored code.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The state with a stored code.
    pub fn from_code(code: i64, column: &'static str) -> Result<Self, StoreError> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(StoreError::Corrupt {
                column,
                value: code,
            })
    }

    /// The snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::InFlight => "in_flight",
            Self::Submitted => "submitted",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Unconfirmed => "unconfirmed",
            Self::Cancelled => "cancelled",
            Self::Unreported => "unreported",
        }
    }

    /// True when nothing more will happen to it without an operator (no send pending, no
    /// report expected).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::Failed
                | Self::Expired
                | Self::Unconfirmed
                | Self::Cancelled
                | Self::Unreported
        )
    }

    /// True while the store still has to send it (scheduled, queued or in flight).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Scheduled | Self::Queued | Self::InFlight)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recipient's state from the states of its segments.
///
/// Work still to do wins (in flight, then queued, so a recipient whose parts are partly on
/// the wire is not claimed again until they settle); once every part is past the wire, the
/// worst outcome wins: unconfirmed, failed, expired, cancelled, then submitted (a report
/// still to come), then unreported (none came in time), and delivered only when every
/// part is delivered. An empty list (which
/// the store never produces) counts as failed.
pub fn recipient_state(segments: impl IntoIterator<Item = DeliveryState>) -> DeliveryState {
    use DeliveryState as S;
    // Precedence, highest first.
    const ORDER: [DeliveryState; 10] = [
        S::Scheduled,
        S::InFlight,
        S::Queued,
        S::Unconfirmed,
        S::Failed,
        S::Expired,
        S::Cancelled,
        S::Submitted,
        S::Unreported,
        S::Delivered,
    ];
    let mut seen = [false; 10];
    let mut any = false;
    for s in segments {
        if let Some(slot) = seen.get_mut(s as usize) {
            *slot = true;
        }
        any = true;
    }
    if !any {
        return S::Failed;
    }
    ORDER
        .into_iter()
        .find(|s| seen.get(*s as usize).copied().unwrap_or(false))
        .unwrap_or(S::Failed)
}

/// Priority class of a job; lower sends first. Strict: a queued approval always goes before
/// any queued bulk message of the same carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Approval requests (a person is waiting on them).
    Approval = 0,
    /// Reminders.
    Reminder = 1,
    /// Ordinary notifications.
    Notification = 2,
    /// Bulk sends.
    Bulk = 3,
}

impl Priority {
    /// Every class, highest first.
    pub const ALL: [Self; 4] = [
        Self::Approval,
        Self::Reminder,
        Self::Notification,
        Self::Bulk,
    ];

    /// The stored code.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The class with a stored code.
    pub fn from_code(code: i64) -> Result<Self, StoreError> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(StoreError::Corrupt {
                column: "priority",
                value: code,
            })
    }
}

/// What a delivery report says happened, as the caller read it from the protocol's
/// status fields (the store does not interpret `DELIVRD` and friends itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Delivered to the handset.
    Delivered,
    /// Not delivered (undeliverable, rejected, deleted, unknown).
    Failed,
    /// Validity period ran out at the carrier.
    Expired,
}

impl ReportStatus {
    /// The stored code (the segment state it leads to).
    pub fn code(self) -> i64 {
        self.segment_state().code()
    }

    /// The segment state a report with this status leads to.
    pub fn segment_state(self) -> DeliveryState {
        match self {
            Self::Delivered => DeliveryState::Delivered,
            Self::Failed => DeliveryState::Failed,
            Self::Expired => DeliveryState::Expired,
        }
    }

    /// The status with a stored code.
    pub fn from_code(code: i64) -> Result<Self, StoreError> {
        match DeliveryState::from_code(code, "orphan_reports.status")? {
            DeliveryState::Delivered => Ok(Self::Delivered),
            DeliveryState::Failed => Ok(Self::Failed),
            DeliveryState::Expired => Ok(Self::Expired),
            _ => Err(StoreError::Corrupt {
                column: "orphan_reports.status",
                value: code,
            }),
        }
    }
}

/// A job's state, derived from its recipients when read (a job row is not rewritten for
/// every segment of a 100 000-recipient bulk send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `send_at`.
    Scheduled,
    /// Accepted and queued; nothing claimed yet.
    Queued,
    /// Some recipients are queued or in flight, others are further along.
    Sending,
    /// Every recipient is past the wire; reports are still expected for some.
    Submitted,
    /// Every recipient delivered.
    Delivered,
    /// Some recipients delivered, the others failed or expired.
    PartlyDelivered,
    /// No recipient delivered; at least one failed.
    Failed,
    /// Every recipient expired.
    Expired,
    /// At least one recipient was on the wire at a crash and is unconfirmed.
    Unconfirmed,
    /// Cancelled before sending.
    Cancelled,
    /// Every recipient was accepted by the carrier and none failed, but the status report
    /// of some never came (see [`DeliveryState::Unreported`]).
    Unreported,
}

impl JobState {
    /// The snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Submitted => "submitted",
            Self::Delivered => "delivered",
            Self::PartlyDelivered => "partly_delivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Unconfirmed => "unconfirmed",
            Self::Cancelled => "cancelled",
            Self::Unreported => "unreported",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the `jobs.state` column holds: only the job's own lifecycle steps. Everything
/// after release is derived from recipients by [`job_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobPhase {
    /// Waiting for `send_at` (code 0).
    Scheduled,
    /// Released to the queue (code 1).
    Released,
    /// Cancelled (code 8).
    Cancelled,
}

impl JobPhase {
    pub(crate) fn code(self) -> i64 {
        match self {
            Self::Scheduled => 0,
            Self::Released => 1,
            Self::Cancelled => 8,
        }
    }

    pub(crate) fn from_code(code: i64) -> Result<Self, StoreError> {
        match code {
            0 => Ok(Self::Scheduled),
            1 => Ok(Self::Released),
            8 => Ok(Self::Cancelled),
            _ => Err(StoreError::Corrupt {
                column: "jobs.state",
                value: code,
            }),
        }
    }
}

/// Count of recipients (or segments) in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// `scheduled`.
    pub scheduled: u64,
    /// `queued`.
    pub queued: u64,
    /// `in_flight`.
    pub in_flight: u64,
    /// `submitted`.
    pub submitted: u64,
    /// `delivered`.
    pub delivered: u64,
    /// `failed`.
    pub failed: u64,
    /// `expired`.
    pub expired: u64,
    /// `unconfirmed`.
    pub unconfirmed: u64,
    /// `cancelled`.
    pub cancelled: u64,
    /// `unreported`.
    #[serde(default)]
    pub unreported: u64,
}

impl StateCounts {
    /// Adds `n` to the count of `state`.
    pub fn add(&mut self, state: DeliveryState, n: u64) {
        let slot = match state {
            DeliveryState::Scheduled => &mut self.scheduled,
            DeliveryState::Queued => &mut self.queued,
            DeliveryState::InFlight => &mut self.in_flight,
            DeliveryState::Submitted => &mut self.submitted,
            DeliveryState::Delivered => &mut self.delivered,
            DeliveryState::Failed => &mut self.failed,
            DeliveryState::Expired => &mut self.expired,
            DeliveryState::Unconfirmed => &mut self.unconfirmed,
            DeliveryState::Cancelled => &mut self.cancelled,
            DeliveryState::Unreported => &mut self.unreported,
        };
        *slot += n;
    }

    /// The count of `state`.
    pub fn get(&self, state: DeliveryState) -> u64 {
        match state {
            DeliveryState::Scheduled => self.scheduled,
            DeliveryState::Queued => self.queued,
            DeliveryState::InFlight => self.in_flight,
            DeliveryState::Submitted => self.submitted,
            DeliveryState::Delivered => self.delivered,
            DeliveryState::Failed => self.failed,
            DeliveryState::Expired => self.expired,
            DeliveryState::Unconfirmed => self.unconfirmed,
            DeliveryState::Cancelled => self.cancelled,
            DeliveryState::Unreported => self.unreported,
        }
    }

    /// Sum over all states.
    pub fn total(&self) -> u64 {
        DeliveryState::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

/// A job's state from its stored phase, the counts of its recipients' states, and whether
/// any of its segments has left the queue (a recipient back in the queue may have parts
/// out already, and then the job is sending, not queued).
pub(crate) fn job_state(phase: JobPhase, r: &StateCounts, started: bool) -> JobState {
    match phase {
        JobPhase::Cancelled => return JobState::Cancelled,
        JobPhase::Scheduled => return JobState::Scheduled,
        JobPhase::Released => {}
    }
    let total = r.total();
    if r.queued + r.scheduled == total && !started {
        JobState::Queued
    } else if r.queued + r.in_flight + r.scheduled > 0 {
        JobState::Sending
    } else if r.submitted > 0 {
        JobState::Submitted
    } else if r.delivered == total {
        JobState::Delivered
    } else if r.unconfirmed > 0 {
        JobState::Unconfirmed
    } else if r.unreported > 0 && r.delivered + r.unreported == total {
        JobState::Unreported
    } else if r.delivered > 0 {
        JobState::PartlyDelivered
    } else if r.expired == total {
        JobState::Expired
    } else if r.cancelled == total {
        JobState::Cancelled
    } else {
        JobState::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryState as S;
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_corrupt() {
        for s in S::ALL {
            assert_eq!(S::from_code(s.code(), "x").ok(), Some(s));
        }
        assert!(matches!(
            S::from_code(10, "segments.state"),
            Err(StoreError::Corrupt { value: 10, .. })
        ));
        assert!(S::from_code(-1, "x").is_err());
        for p in Priority::ALL {
            assert_eq!(Priority::from_code(p.code()).ok(), Some(p));
        }
        assert!(Priority::from_code(4).is_err());
        for r in [
            ReportStatus::Delivered,
            ReportStatus::Failed,
            ReportStatus::Expired,
        ] {
            assert_eq!(ReportStatus::from_code(r.code()).ok(), Some(r));
        }
        assert!(ReportStatus::from_code(S::Queued.code()).is_err());
        for p in [JobPhase::Scheduled, JobPhase::Released, JobPhase::Cancelled] {
            assert_eq!(JobPhase::from_code(p.code()).ok(), Some(p));
        }
        assert!(JobPhase::from_code(2).is_err());
    }

    #[test]
    fn recipient_state_follows_its_parts() {
        assert_eq!(recipient_state([S::Delivered]), S::Delivered);
        assert_eq!(recipient_state([S::Delivered, S::Delivered]), S::Delivered);
        assert_eq!(recipient_state([S::Delivered, S::Submitted]), S::Submitted);
        assert_eq!(recipient_state([S::Delivered, S::Failed]), S::Failed);
        assert_eq!(recipient_state([S::Failed, S::Submitted]), S::Failed);
        assert_eq!(recipient_state([S::Expired, S::Delivered]), S::Expired);
        assert_eq!(recipient_state([S::Unconfirmed, S::Failed]), S::Unconfirmed);
        // Work still to do wins over any outcome; in flight wins over queued so a
        // partly requeued message is not claimed twice at once.
        assert_eq!(recipient_state([S::Submitted, S::Queued]), S::Queued);
        assert_eq!(recipient_state([S::Queued, S::InFlight]), S::InFlight);
        assert_eq!(recipient_state([S::Failed, S::Queued]), S::Queued);
        assert_eq!(recipient_state([S::Scheduled, S::Scheduled]), S::Scheduled);
        assert_eq!(recipient_state([S::Cancelled]), S::Cancelled);
        // A part still awaiting its report keeps the message waiting; one whose report
        // never came makes it unreported, unless another part failed.
        assert_eq!(recipient_state([S::Unreported, S::Submitted]), S::Submitted);
        assert_eq!(
            recipient_state([S::Delivered, S::Unreported]),
            S::Unreported
        );
        assert_eq!(recipient_state([S::Unreported, S::Failed]), S::Failed);
        assert!(S::Unreported.is_final() && !S::Submitted.is_final());
        assert_eq!(recipient_state([]), S::Failed);
    }

    fn counts(states: &[S]) -> StateCounts {
        let mut c = StateCounts::default();
        for s in states {
            c.add(*s, 1);
        }
        c
    }

    #[test]
    fn job_state_follows_its_recipients() {
        let rel = JobPhase::Released;
        assert_eq!(
            job_state(JobPhase::Cancelled, &counts(&[S::Cancelled]), false),
            JobState::Cancelled
        );
        assert_eq!(
            job_state(JobPhase::Scheduled, &counts(&[S::Scheduled]), false),
            JobState::Scheduled
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Queued, S::Queued]), false),
            JobState::Queued
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Queued, S::Delivered]), false),
            JobState::Sending
        );
        assert_eq!(
            job_state(rel, &counts(&[S::InFlight]), false),
            JobState::Sending
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Queued]), true),
            JobState::Sending
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Submitted, S::Failed]), false),
            JobState::Submitted
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Delivered, S::Delivered]), false),
            JobState::Delivered
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Delivered, S::Failed]), false),
            JobState::PartlyDelivered
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Delivered, S::Unconfirmed]), false),
            JobState::Unconfirmed
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Expired, S::Expired]), false),
            JobState::Expired
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Expired, S::Failed]), false),
            JobState::Failed
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Cancelled]), false),
            JobState::Cancelled
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Delivered, S::Unreported]), false),
            JobState::Unreported
        );
        assert_eq!(
            job_state(rel, &counts(&[S::Unreported, S::Failed]), false),
            JobState::Failed
        );
        assert_eq!(
            job_state(
                rel,
                &counts(&[S::Delivered, S::Unreported, S::Failed]),
                false
            ),
            JobState::PartlyDelivered
        );
    }

    #[test]
    fn state_counts_add_and_total() {
        let c = counts(&[S::Queued, S::Queued, S::Delivered]);
        assert_eq!(c.get(S::Queued), 2);
        assert_eq!(c.get(S::Delivered), 1);
        assert_eq!(c.get(S::Failed), 0);
        assert_eq!(c.total(), 3);
        assert!(S::Delivered.is_final() && !S::Submitted.is_final());
        assert!(S::InFlight.is_pending() && !S::Submitted.is_pending());
        assert_eq!(S::InFlight.to_string(), "in_flight");
        assert_eq!(JobState::PartlyDelivered.to_string(), "partly_delivered");
    }
}
