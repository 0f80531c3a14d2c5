//! The rules of an approval, without storage or time: the states a request and its steps
//! go through, and what a stage's step states add up to.
//!
//! A request passes its stages in order. A stage has one or more approvers (one step
//! each) and a rule:
//!
//! * [`StageRule::All`]: every approver must approve; the first rejection rejects the
//!   request (the others' steps are closed as skipped).
//! * [`StageRule::Any`]: the first approval completes the stage (the others are skipped).
//!   One "no" does not sink it while another approver may still say yes: the stage is
//!   rejected only when every approver has rejected. This is the reading of "any one
//!   suffices" that never loses an approval a colleague could still give.

use serde::{Deserialize, Serialize};

/// How the steps of a stage add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageRule {
    /// All approvers must approve (in parallel); any rejection rejects.
    All,
    /// Any one approval suffices.
    Any,
}

/// Where an approver's step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Its stage has not opened yet.
    Waiting,
    /// The approver has been (or is about to be) asked.
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// Closed without an answer: the stage or the request ended first.
    Skipped,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Going through its stages.
    Pending,
    /// Every stage approved.
    Approved,
    /// A stage rejected it.
    Rejected,
    /// Nobody decided before it expired.
    Expired,
}

/// In words, as the API spells the state.
impl std::fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        })
    }
}

/// In words, as the API spells the state.
impl std::fmt::Display for StepState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Waiting => "waiting",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Skipped => "skipped",
        })
    }
}

/// An approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Yes.
    Approve,
    /// No.
    Reject,
}

/// What a stage's steps add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageOutcome {
    /// Still waiting for answers.
    Open,
    /// The stage is approved.
    Approved,
    /// The stage (and so the request) is rejected.
    Rejected,
}

/// Applies `rule` to the states of one stage's steps.
pub fn stage_outcome(rule: StageRule, steps: &[StepState]) -> StageOutcome {
    let approved = steps.iter().filter(|s| **s == StepState::Approved).count();
    let rejected = steps.iter().filter(|s| **s == StepState::Rejected).count();
    match rule {
        StageRule::All if rejected > 0 => StageOutcome::Rejected,
        StageRule::All if approved == steps.len() && !steps.is_empty() => StageOutcome::Approved,
        StageRule::Any if approved > 0 => StageOutcome::Approved,
        StageRule::Any if rejected == steps.len() && !steps.is_empty() => StageOutcome::Rejected,
        _ => StageOutcome::Open,
    }
}

macro_rules! codes {
    ($ty:ident { $($variant:ident = $code:literal),* $(,)? }) => {
        impl $ty {
            /// The integer stored in the database.
            pub const fn code(self) -> i64 {
                match self { $(Self::$variant => $code),* }
            }
            /// The value of a stored integer.
            pub const fn from_code(code: i64) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

codes!(StageRule { All = 0, Any = 1 });
codes!(StepState { Waiting = 0, Pending = 1, Approved = 2, Rejected = 3, Skipped = 4 });
codes!(ApprovalState { Pending = 0, Approved = 1, Rejected = 2, Expired = 3 });

#[cfg(test)]
mod tests {
    use super::StepState::*;
    use super::*;
    use StageOutcome::Open;
    const STAGE_APPROVED: StageOutcome = StageOutcome::Approved;
    const STAGE_REJECTED: StageOutcome = StageOutcome::Rejected;

    #[test]
    fn all_needs_every_approval_and_falls_on_one_rejection() {
        assert_eq!(
            stage_outcome(StageRule::All, &[Approved, Approved, Pending]),
            Open
        );
        assert_eq!(
            stage_outcome(StageRule::All, &[Approved, Approved, Approved]),
            STAGE_APPROVED
        );
        assert_eq!(
            stage_outcome(StageRule::All, &[Approved, Rejected, Pending]),
            STAGE_REJECTED
        );
        assert_eq!(stage_outcome(StageRule::All, &[Pending]), Open);
    }

    #[test]
    fn any_completes_on_the_first_approval_and_fails_only_when_all_reject() {
        assert_eq!(
            stage_outcome(StageRule::Any, &[Pending, Approved, Pending]),
            STAGE_APPROVED
        );
        assert_eq!(
            stage_outcome(StageRule::Any, &[Rejected, Pending, Pending]),
            Open
        );
        assert_eq!(
            stage_outcome(StageRule::Any, &[Rejected, Rejected]),
            STAGE_REJECTED
        );
        assert_eq!(
            stage_outcome(StageRule::Any, &[Rejected, Approved]),
            STAGE_APPROVED
        );
    }

    #[test]
    fn an_empty_stage_never_decides() {
        assert_eq!(stage_outcome(StageRule::All, &[]), Open);
        assert_eq!(stage_outcome(StageRule::Any, &[]), Open);
    }

    #[test]
    fn codes_round_trip() {
        for s in [Waiting, Pending, Approved, Rejected, Skipped] {
            assert_eq!(StepState::from_code(s.code()), Some(s));
        }
        for s in [
            ApprovalState::Pending,
            ApprovalState::Approved,
            ApprovalState::Rejected,
            ApprovalState::Expired,
        ] {
            assert_eq!(ApprovalState::from_code(s.code()), Some(s));
        }
        assert_eq!(StageRule::from_code(7), None);
    }
}
