//! The approval state machine, without storage or time: what an approver's answer does to
//! a request ([`decide`]), and what a stage's answers add up to ([`stage_outcome`]).
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
//!
//! The states are stored, so their types are the store's plain data (re-exported here);
//! the store loads a [`DecideState`], calls [`decide`] inside its transaction and applies
//! the [`Transition`] it returns.

pub use crate::store::{ApprovalState, DecideState, Decision, StageRule, StepState, Transition};

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

/// What `decision` on the step described by `state` does to its request.
///
/// Only a pending step of the open stage of a pending request can be decided; anything
/// else (a second answer, a step whose stage has not opened or was closed, a request
/// already decided or expired) changes nothing.
pub fn decide(state: &DecideState, decision: Decision) -> Transition {
    if state.step != StepState::Pending
        || state.approval != ApprovalState::Pending
        || state.step_stage != state.current_stage
    {
        return Transition::Nothing;
    }
    let step = match decision {
        Decision::Approve => StepState::Approved,
        Decision::Reject => StepState::Rejected,
    };
    let mut stage = state.others.clone();
    stage.push(step);
    match stage_outcome(state.rule, &stage) {
        StageOutcome::Open => Transition::Record { step },
        StageOutcome::Approved if state.step_stage + 1 < state.stages => Transition::OpenStage {
            step,
            next: state.step_stage + 1,
        },
        StageOutcome::Approved => Transition::Close {
            step,
            approval: ApprovalState::Approved,
        },
        StageOutcome::Rejected => Transition::Close {
            step,
            approval: ApprovalState::Rejected,
        },
    }
}

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

    /// A pending step of stage `stage` (open) of `stages`, beside `others`.
    fn open_step(rule: StageRule, stage: u32, stages: u32, others: &[StepState]) -> DecideState {
        DecideState {
            approval_id: 1,
            approval: ApprovalState::Pending,
            current_stage: stage,
            stages,
            step_stage: stage,
            rule,
            step: Pending,
            others: others.to_vec(),
        }
    }

    #[test]
    fn approving_a_stage_that_is_not_the_last_opens_the_next() {
        for rule in [StageRule::All, StageRule::Any] {
            assert_eq!(
                decide(&open_step(rule, 0, 3, &[]), Decision::Approve),
                Transition::OpenStage {
                    step: Approved,
                    next: 1
                }
            );
        }
        assert_eq!(
            decide(
                &open_step(StageRule::All, 1, 3, &[Approved]),
                Decision::Approve
            ),
            Transition::OpenStage {
                step: Approved,
                next: 2
            }
        );
    }

    #[test]
    fn approving_the_last_stage_approves_the_request() {
        assert_eq!(
            decide(&open_step(StageRule::All, 2, 3, &[]), Decision::Approve),
            Transition::Close {
                step: Approved,
                approval: ApprovalState::Approved
            }
        );
        assert_eq!(
            decide(
                &open_step(StageRule::Any, 0, 1, &[Pending, Rejected]),
                Decision::Approve
            ),
            Transition::Close {
                step: Approved,
                approval: ApprovalState::Approved
            }
        );
    }

    #[test]
    fn one_rejection_rejects_an_all_stage_at_any_stage() {
        for (stage, others) in [
            (0, vec![]),
            (0, vec![Approved, Pending]),
            (2, vec![Pending]),
        ] {
            assert_eq!(
                decide(
                    &open_step(StageRule::All, stage, 3, &others),
                    Decision::Reject
                ),
                Transition::Close {
                    step: Rejected,
                    approval: ApprovalState::Rejected
                },
                "stage {stage}, others {others:?}"
            );
        }
    }

    #[test]
    fn an_all_stage_waits_for_every_approver() {
        assert_eq!(
            decide(
                &open_step(StageRule::All, 0, 2, &[Pending, Approved]),
                Decision::Approve
            ),
            Transition::Record { step: Approved }
        );
    }

    #[test]
    fn an_any_stage_survives_a_rejection_while_someone_may_still_approve() {
        assert_eq!(
            decide(
                &open_step(StageRule::Any, 0, 2, &[Pending]),
                Decision::Reject
            ),
            Transition::Record { step: Rejected }
        );
        assert_eq!(
            decide(
                &open_step(StageRule::Any, 0, 2, &[Rejected, Rejected]),
                Decision::Reject
            ),
            Transition::Close {
                step: Rejected,
                approval: ApprovalState::Rejected
            },
            "the last possible approver said no"
        );
    }

    #[test]
    fn a_second_answer_from_the_same_approver_changes_nothing() {
        for done in [Approved, Rejected] {
            for decision in [Decision::Approve, Decision::Reject] {
                let mut s = open_step(StageRule::All, 0, 2, &[Pending]);
                s.step = done;
                assert_eq!(decide(&s, decision), Transition::Nothing);
            }
        }
    }

    #[test]
    fn a_step_not_asked_yet_or_closed_cannot_be_decided() {
        // Its stage has not opened (waiting), or was closed without it (skipped).
        let mut waiting = open_step(StageRule::All, 1, 2, &[]);
        waiting.current_stage = 0;
        waiting.step = Waiting;
        assert_eq!(decide(&waiting, Decision::Approve), Transition::Nothing);
        let mut skipped = open_step(StageRule::Any, 0, 2, &[Approved]);
        skipped.current_stage = 1;
        skipped.step = Skipped;
        assert_eq!(decide(&skipped, Decision::Reject), Transition::Nothing);
        // Pending but of a stage that is no longer the open one (never stored so, but a
        // rule must not act on it).
        let mut stale = open_step(StageRule::All, 0, 2, &[]);
        stale.current_stage = 1;
        assert_eq!(decide(&stale, Decision::Approve), Transition::Nothing);
    }

    #[test]
    fn a_decided_or_expired_request_takes_no_more_answers() {
        for closed in [
            ApprovalState::Approved,
            ApprovalState::Rejected,
            ApprovalState::Expired,
        ] {
            let mut s = open_step(StageRule::Any, 0, 1, &[]);
            s.approval = closed;
            assert_eq!(
                decide(&s, Decision::Approve),
                Transition::Nothing,
                "{closed}"
            );
            assert_eq!(
                decide(&s, Decision::Reject),
                Transition::Nothing,
                "{closed}"
            );
        }
    }
}
