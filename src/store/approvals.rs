//! Approval requests and their steps: created, asked, decided, reminded, expired.
//!
//! The rules (what a stage's answers add up to) are pure and live in
//! [`crate::workflow::rules`]; this file applies them inside one transaction, so a
//! decision, the stage it completes, the next stage opening and the extensions released
//! are one commit. Messages are not sent from here: a step that must be asked has
//! `ask_due = 1` and a decided request `outcome_sent = 0` until the workflow engine has
//! handed the SMS to the queue — an outbox, so a crash between the decision and the SMS
//! sends it after the restart instead of losing it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::extensions::release_item;
use super::inbox::{InboxRoute, inbox_set_route};
use super::model::{ItemKind, Millis};
use crate::workflow::rules::{
    ApprovalState, Decision, StageOutcome, StageRule, StepState, stage_outcome,
};

/// One approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approver {
    /// Name, for messages and the API.
    pub name: String,
    /// Normalised 11-digit mobile number: only a reply from it counts.
    pub phone: String,
}

/// One stage of a new request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStage {
    /// How the approvers' answers add up.
    pub rule: StageRule,
    /// At least one.
    pub approvers: Vec<Approver>,
}

/// A new approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApproval {
    /// What is asked for ("出差申请：上海 3 天").
    pub title: String,
    /// Who asks.
    pub applicant: Approver,
    /// More about it (shortened in the SMS).
    pub details: String,
    /// In order; at least one.
    pub stages: Vec<NewStage>,
    /// Undecided by then, the request expires.
    pub expires_at: Millis,
    /// A second request with the same key returns the first.
    pub idempotency_key: Option<String>,
}

/// A step as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// Row id.
    pub id: i64,
    /// Stage index (0-based).
    pub stage: u32,
    /// The stage's rule.
    pub rule: StageRule,
    /// The approver.
    pub approver: Approver,
    /// Where it stands.
    pub state: StepState,
    /// The comment given with the decision.
    pub comment: Option<String>,
    /// When decided.
    pub decided_at: Option<Millis>,
    /// `sms` or `api`.
    pub decided_via: Option<String>,
    /// Approval SMS handed to the queue so far (first ask, resends, reminders).
    pub asks: u32,
    /// The extension its SMS came from.
    pub extension: Option<String>,
    /// The last SMS job.
    pub last_job: Option<i64>,
}

/// A request as stored, with its steps in stage order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalView {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Applicant.
    pub applicant: Approver,
    /// Details.
    pub details: String,
    /// Where it stands.
    pub state: ApprovalState,
    /// Current stage (0-based; the last one once decided).
    pub stage: u32,
    /// Number of stages.
    pub stages: u32,
    /// Created.
    pub created_at: Millis,
    /// Expires.
    pub expires_at: Millis,
    /// Decided (approved, rejected or expired).
    pub decided_at: Option<Millis>,
    /// Steps.
    pub steps: Vec<StepView>,
}

/// What [`Store::approval_decide`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum DecideOutcome {
    /// Recorded; the stage still waits for other approvers.
    Recorded {
        /// The request.
        approval_id: i64,
    },
    /// The stage is complete and the next one opened.
    StageOpened {
        /// The request.
        approval_id: i64,
        /// The stage now open.
        stage: u32,
    },
    /// The request is decided.
    Decided {
        /// The request.
        approval_id: i64,
        /// Approved or rejected.
        state: ApprovalState,
    },
    /// Nothing changed: the step is not open for a decision (decided already, skipped,
    /// its stage not yet open, or the request closed).
    NotOpen {
        /// The request.
        approval_id: i64,
        /// The step's state.
        step: StepState,
        /// The request's state.
        approval: ApprovalState,
    },
}

/// In words, for people (the demo, the CLI): what the decision did.
impl std::fmt::Display for DecideOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Recorded { approval_id } => write!(
                f,
                "recorded; approval {approval_id} waits for the stage's other approvers"
            ),
            Self::StageOpened { approval_id, stage } => write!(
                f,
                "stage complete; approval {approval_id} moves on to stage {}",
                u64::from(*stage) + 1
            ),
            Self::Decided { approval_id, state } => {
                write!(f, "approval {approval_id} is {state}")
            }
            Self::NotOpen {
                approval_id,
                step,
                approval,
            } => write!(
                f,
                "nothing changed: the step is {step} and approval {approval_id} is {approval}"
            ),
        }
    }
}

/// An approval SMS the workflow engine has to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepToAsk {
    /// The step.
    pub step_id: i64,
    /// Its request.
    pub approval_id: i64,
    /// Who is asked.
    pub approver: Approver,
    /// Request title.
    pub title: String,
    /// Applicant's name.
    pub applicant_name: String,
    /// Request details.
    pub details: String,
    /// SMS sent for this step so far.
    pub asks: u32,
    /// True when this one is a reminder (the approver did not answer in time).
    pub reminder: bool,
}

/// A decided request whose applicant has not been told yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeToSend {
    /// The request.
    pub approval_id: i64,
    /// Title.
    pub title: String,
    /// Applicant.
    pub applicant: Approver,
    /// Approved, rejected or expired.
    pub state: ApprovalState,
    /// For a rejection: who rejected, and their comment.
    pub rejected_by: Option<(String, Option<String>)>,
}

impl Store {
    /// Stores a new request and opens its first stage (its steps become pending and due
    /// to be asked). Returns the id and whether it was created (`false`: the idempotency
    /// key already named this request).
    pub fn approval_create(&mut self, new: &NewApproval, now: Millis) -> Result<(i64, bool)> {
        if new.stages.is_empty() || new.stages.iter().any(|s| s.approvers.is_empty()) {
            return Err(StoreError::InvalidJob(
                "an approval needs stages, each with an approver",
            ));
        }
        self.write(|c, _| create(c, new, now))
    }

    /// Applies an approver's decision to a pending step. `inbox_id`: the reply it came
    /// in, whose route is recorded in the same commit.
    pub fn approval_decide(
        &mut self,
        step_id: i64,
        decision: Decision,
        comment: Option<&str>,
        via: &str,
        now: Millis,
        inbox_id: Option<i64>,
    ) -> Result<DecideOutcome> {
        self.write(|c, cache| {
            let out = decide(c, step_id, decision, comment, via, now)?;
            if !matches!(out, DecideOutcome::NotOpen { .. }) {
                let data = serde_json::json!({
                    "step_id": step_id,
                    "decision": decision,
                    "comment": comment,
                    "via": via,
                    "outcome": out,
                });
                super::webhooks::queue(
                    c,
                    &cache.webhooks,
                    crate::config::WebhookEvent::ApprovalDecision,
                    data,
                    now,
                )?;
            }
            if let Some(id) = inbox_id {
                inbox_set_route(c, id, &InboxRoute::ApprovalStep(step_id))?;
            }
            Ok(out)
        })
    }

    /// Records that a step's SMS is in the queue (from `extension`, as `job_id`).
    pub fn approval_asked(
        &mut self,
        step_id: i64,
        extension: Option<&str>,
        job_id: i64,
        now: Millis,
    ) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached(
                "UPDATE approval_steps SET asks = asks + 1, ask_due = 0, asked_at = ?2,
                     extension = COALESCE(?3, extension), last_job = ?4 WHERE id = ?1",
            )?
            .execute(params![step_id, now, extension, job_id])?;
            Ok(())
        })
    }

    /// A step whose SMS cannot be sent (its number has no link any more): not asked
    /// again until resent.
    pub fn approval_ask_abandoned(&mut self, step_id: i64) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("UPDATE approval_steps SET ask_due = 0 WHERE id = ?1")?
                .execute([step_id])?;
            Ok(())
        })
    }

    /// Records that the applicant has been told the outcome.
    pub fn approval_outcome_sent(&mut self, approval_id: i64) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("UPDATE approvals SET outcome_sent = 1 WHERE id = ?1")?
                .execute([approval_id])?;
            Ok(())
        })
    }

    /// Asks every approver of the open stage who has not answered again. Returns how
    /// many; [`StoreError::NotFound`] for an unknown request,
    /// [`StoreError::ApprovalClosed`] for one already decided or expired.
    pub fn approval_resend(&mut self, approval_id: i64) -> Result<usize> {
        self.write(|c, _| {
            match approval_state(c, approval_id)? {
                None => {
                    return Err(StoreError::NotFound {
                        what: "approval",
                        id: approval_id,
                    });
                }
                Some((ApprovalState::Pending, _, _)) => {}
                Some((state, _, _)) => {
                    return Err(StoreError::ApprovalClosed { approval_id, state });
                }
            }
            Ok(c.prepare_cached(
                "UPDATE approval_steps SET ask_due = 1 WHERE approval_id = ?1 AND state = 1",
            )?
            .execute([approval_id])?)
        })
    }

    /// Marks for a reminder every pending step asked at or before `asked_before` and not
    /// reminded yet; returns how many.
    pub fn approval_remind_due(&mut self, asked_before: Millis, now: Millis) -> Result<usize> {
        self.write(|c, _| {
            Ok(c.prepare_cached(
                "UPDATE approval_steps SET ask_due = 1, reminded_at = ?2
                 WHERE state = 1 AND asked_at <= ?1 AND reminded_at IS NULL AND ask_due = 0",
            )?
            .execute(params![asked_before, now])?)
        })
    }

    /// Expires every open request whose time has come: its open steps are skipped and
    /// their extensions released. Returns the requests expired.
    pub fn approval_expire(&mut self, now: Millis) -> Result<Vec<i64>> {
        self.write(|c, _| {
            let ids: Vec<i64> = c
                .prepare_cached("SELECT id FROM approvals WHERE state = 0 AND expires_at <= ?1")?
                .query_map([now], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in &ids {
                c.prepare_cached("UPDATE approvals SET state = ?2, decided_at = ?3 WHERE id = ?1")?
                    .execute(params![id, ApprovalState::Expired.code(), now])?;
                close_open_steps(c, *id, None, now)?;
            }
            Ok(ids)
        })
    }
}

fn create(c: &Connection, new: &NewApproval, now: Millis) -> Result<(i64, bool)> {
    if let Some(key) = &new.idempotency_key {
        let found: Option<i64> = c
            .prepare_cached("SELECT id FROM approvals WHERE idem_key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            return Ok((id, false));
        }
    }
    c.prepare_cached(
        "INSERT INTO approvals (title, applicant_name, applicant_phone, details, state, stage,
             stages, created_at, expires_at, idem_key)
         VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        new.title,
        new.applicant.name,
        new.applicant.phone,
        new.details,
        i64::try_from(new.stages.len()).unwrap_or(i64::MAX),
        now,
        new.expires_at,
        new.idempotency_key
    ])?;
    let id = c.last_insert_rowid();
    let mut insert = c.prepare_cached(
        "INSERT INTO approval_steps (approval_id, stage, rule, approver_name, approver_phone,
             state, ask_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, stage) in new.stages.iter().enumerate() {
        let (state, due) = if i == 0 {
            (StepState::Pending, 1)
        } else {
            (StepState::Waiting, 0)
        };
        for a in &stage.approvers {
            insert.execute(params![
                id,
                i64::try_from(i).unwrap_or(i64::MAX),
                stage.rule.code(),
                a.name,
                a.phone,
                state.code(),
                due
            ])?;
        }
    }
    Ok((id, true))
}

fn approval_state(c: &Connection, id: i64) -> Result<Option<(ApprovalState, u32, u32)>> {
    let row: Option<(i64, u32, u32)> = c
        .prepare_cached("SELECT state, stage, stages FROM approvals WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(s, stage, stages)| Ok((approval_code(s)?, stage, stages)))
        .transpose()
}

fn approval_code(code: i64) -> Result<ApprovalState> {
    ApprovalState::from_code(code).ok_or(StoreError::Corrupt {
        column: "approvals.state",
        value: code,
    })
}

fn step_code(code: i64) -> Result<StepState> {
    StepState::from_code(code).ok_or(StoreError::Corrupt {
        column: "approval_steps.state",
        value: code,
    })
}

fn rule_code(code: i64) -> Result<StageRule> {
    StageRule::from_code(code).ok_or(StoreError::Corrupt {
        column: "approval_steps.rule",
        value: code,
    })
}

fn decide(
    c: &Connection,
    step_id: i64,
    decision: Decision,
    comment: Option<&str>,
    via: &str,
    now: Millis,
) -> Result<DecideOutcome> {
    let step: Option<(i64, u32, i64, i64)> = c
        .prepare_cached("SELECT approval_id, stage, rule, state FROM approval_steps WHERE id = ?1")?
        .query_row([step_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((approval_id, stage, rule, state)) = step else {
        return Err(StoreError::NotFound {
            what: "approval step",
            id: step_id,
        });
    };
    let (rule, state) = (rule_code(rule)?, step_code(state)?);
    let Some((approval, current, stages)) = approval_state(c, approval_id)? else {
        return Err(StoreError::NotFound {
            what: "approval",
            id: approval_id,
        });
    };
    if state != StepState::Pending || approval != ApprovalState::Pending || stage != current {
        return Ok(DecideOutcome::NotOpen {
            approval_id,
            step: state,
            approval,
        });
    }
    let new_state = match decision {
        Decision::Approve => StepState::Approved,
        Decision::Reject => StepState::Rejected,
    };
    c.prepare_cached(
        "UPDATE approval_steps SET state = ?2, comment = ?3, decided_at = ?4, decided_via = ?5,
             ask_due = 0 WHERE id = ?1",
    )?
    .execute(params![step_id, new_state.code(), comment, now, via])?;
    release_item(c, ItemKind::ApprovalStep, step_id, now)?;
    let states: Vec<StepState> = c
        .prepare_cached("SELECT state FROM approval_steps WHERE approval_id = ?1 AND stage = ?2")?
        .query_map(params![approval_id, stage], |r| r.get::<_, i64>(0))?
        .map(|s| step_code(s?))
        .collect::<Result<_>>()?;
    match stage_outcome(rule, &states) {
        StageOutcome::Open => Ok(DecideOutcome::Recorded { approval_id }),
        StageOutcome::Approved if stage + 1 < stages => {
            close_open_steps(c, approval_id, Some(stage), now)?;
            c.prepare_cached("UPDATE approvals SET stage = ?2 WHERE id = ?1")?
                .execute(params![approval_id, stage + 1])?;
            c.prepare_cached(
                "UPDATE approval_steps SET state = ?3, ask_due = 1
                 WHERE approval_id = ?1 AND stage = ?2",
            )?
            .execute(params![approval_id, stage + 1, StepState::Pending.code()])?;
            Ok(DecideOutcome::StageOpened {
                approval_id,
                stage: stage + 1,
            })
        }
        outcome => {
            let final_state = if outcome == StageOutcome::Approved {
                ApprovalState::Approved
            } else {
                ApprovalState::Rejected
            };
            c.prepare_cached("UPDATE approvals SET state = ?2, decided_at = ?3 WHERE id = ?1")?
                .execute(params![approval_id, final_state.code(), now])?;
            close_open_steps(c, approval_id, None, now)?;
            Ok(DecideOutcome::Decided {
                approval_id,
                state: final_state,
            })
        }
    }
}

/// Skips the request's pending and waiting steps (of one stage, or all) and releases
/// their extensions.
fn close_open_steps(
    c: &Connection,
    approval_id: i64,
    stage: Option<u32>,
    now: Millis,
) -> Result<()> {
    let ids: Vec<i64> = c
        .prepare_cached(
            "SELECT id FROM approval_steps WHERE approval_id = ?1 AND state IN (0, 1)
                 AND (?2 IS NULL OR stage = ?2)",
        )?
        .query_map(params![approval_id, stage], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        c.prepare_cached("UPDATE approval_steps SET state = ?2, ask_due = 0 WHERE id = ?1")?
            .execute(params![id, StepState::Skipped.code()])?;
        release_item(c, ItemKind::ApprovalStep, id, now)?;
    }
    Ok(())
}

/// A request with its steps.
pub(crate) fn approval_get(c: &Connection, id: i64) -> Result<Option<ApprovalView>> {
    let row = c
        .prepare_cached(
            "SELECT title, applicant_name, applicant_phone, details, state, stage, stages,
                 created_at, expires_at, decided_at FROM approvals WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, u32>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })
        .optional()?;
    let Some((
        title,
        name,
        phone,
        details,
        state,
        stage,
        stages,
        created_at,
        expires_at,
        decided_at,
    )) = row
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT id, stage, rule, approver_name, approver_phone, state, comment, decided_at,
             decided_via, asks, extension, last_job
         FROM approval_steps WHERE approval_id = ?1 ORDER BY stage, id",
    )?;
    let mut rows = stmt.query([id])?;
    let mut steps = Vec::new();
    while let Some(r) = rows.next()? {
        steps.push(StepView {
            id: r.get(0)?,
            stage: r.get(1)?,
            rule: rule_code(r.get(2)?)?,
            approver: Approver {
                name: r.get(3)?,
                phone: r.get(4)?,
            },
            state: step_code(r.get(5)?)?,
            comment: r.get(6)?,
            decided_at: r.get(7)?,
            decided_via: r.get(8)?,
            asks: r.get(9)?,
            extension: r.get(10)?,
            last_job: r.get(11)?,
        });
    }
    Ok(Some(ApprovalView {
        id,
        title,
        applicant: Approver { name, phone },
        details,
        state: approval_code(state)?,
        stage,
        stages,
        created_at,
        expires_at,
        decided_at,
        steps,
    }))
}

/// What a reply to a step needs to know: its request, the request's title, the step's
/// extension and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepContext {
    /// The request.
    pub approval_id: i64,
    /// Its title.
    pub title: String,
    /// The step's extension.
    pub extension: Option<String>,
    /// The step's state.
    pub state: StepState,
}

pub(crate) fn step_context(c: &Connection, step_id: i64) -> Result<Option<StepContext>> {
    let row: Option<(i64, String, Option<String>, i64)> = c
        .prepare_cached(
            "SELECT s.approval_id, a.title, s.extension, s.state
             FROM approval_steps s JOIN approvals a ON a.id = s.approval_id WHERE s.id = ?1",
        )?
        .query_row([step_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    row.map(|(approval_id, title, extension, state)| {
        Ok(StepContext {
            approval_id,
            title,
            extension,
            state: step_code(state)?,
        })
    })
    .transpose()
}

/// Steps whose SMS is due, oldest first.
pub(crate) fn asks_due(c: &Connection, limit: usize) -> Result<Vec<StepToAsk>> {
    let mut stmt = c.prepare_cached(
        "SELECT s.id, s.approval_id, s.approver_name, s.approver_phone, a.title,
             a.applicant_name, a.details, s.asks, s.reminded_at IS NOT NULL
         FROM approval_steps s JOIN approvals a ON a.id = s.approval_id
         WHERE s.ask_due = 1 AND s.state = 1 AND a.state = 0 ORDER BY s.id LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok(StepToAsk {
            step_id: r.get(0)?,
            approval_id: r.get(1)?,
            approver: Approver {
                name: r.get(2)?,
                phone: r.get(3)?,
            },
            title: r.get(4)?,
            applicant_name: r.get(5)?,
            details: r.get(6)?,
            asks: r.get(7)?,
            reminder: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Decided requests whose applicant has not been told, oldest first.
pub(crate) fn outcomes_due(c: &Connection, limit: usize) -> Result<Vec<OutcomeToSend>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, title, applicant_name, applicant_phone, state FROM approvals
         WHERE state <> 0 AND outcome_sent = 0 ORDER BY id LIMIT ?1",
    )?;
    let rows: Vec<(i64, String, String, String, i64)> = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (approval_id, title, name, phone, state) in rows {
        let state = approval_code(state)?;
        let rejected_by = if state == ApprovalState::Rejected {
            c.prepare_cached(
                "SELECT approver_name, comment FROM approval_steps
                 WHERE approval_id = ?1 AND state = 3 ORDER BY decided_at DESC, id DESC LIMIT 1",
            )?
            .query_row([approval_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
        } else {
            None
        };
        out.push(OutcomeToSend {
            approval_id,
            title,
            applicant: Approver { name, phone },
            state,
            rejected_by,
        });
    }
    Ok(out)
}

/// The next moment something about approvals is due: an expiry, or a reminder
/// (`remind_after` ms after an unanswered ask; `None`: no reminders).
pub(crate) fn next_due(c: &Connection, remind_after: Option<i64>) -> Result<Option<Millis>> {
    let expiry: Option<i64> = c
        .prepare_cached("SELECT min(expires_at) FROM approvals WHERE state = 0")?
        .query_row([], |r| r.get(0))?;
    let remind: Option<i64> = match remind_after {
        Some(after) => c
            .prepare_cached(
                "SELECT min(asked_at) + ?1 FROM approval_steps
                 WHERE state = 1 AND reminded_at IS NULL AND asked_at IS NOT NULL",
            )?
            .query_row([after], |r| r.get(0))?,
        None => None,
    };
    Ok(match (expiry, remind) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}
