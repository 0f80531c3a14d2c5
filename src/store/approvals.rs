//! Approval requests and their steps: created, asked, decided, reminded, expired — the
//! SQL, and the [`StoreHandle`] methods that run it.
//!
//! The rules (what an approver's answer does to a request) are pure and live in
//! [`crate::replies::approval`]; this file owns the plain data they work on (the stored
//! states, [`DecideState`], [`Transition`]), loads the state, asks the rule it is given,
//! and applies the transition inside one transaction, so a decision, the stage it
//! completes, the next stage opening and the extensions released are one commit.
//! Messages are not sent from here: a step that must be asked has `ask_due = 1` and a
//! decided request `outcome_sent = 0` until the workflow engine has handed the SMS to the
//! queue — an outbox, so a crash between the decision and the SMS sends it after the
//! restart instead of losing it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::extensions::release_item;
use super::handle::StoreHandle;
use super::inbox::{InboxRoute, inbox_set_route};
use super::model::{ItemKind, Millis};

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

/// What a decision on one step is decided from: loaded by [`Store::approval_decide`]
/// inside its transaction, judged by a [`DecideRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideState {
    /// The step's request.
    pub approval_id: i64,
    /// Where the request stands.
    pub approval: ApprovalState,
    /// The request's open stage (0-based).
    pub current_stage: u32,
    /// How many stages the request has.
    pub stages: u32,
    /// The stage the step belongs to.
    pub step_stage: u32,
    /// That stage's rule.
    pub rule: StageRule,
    /// Where the step stands.
    pub step: StepState,
    /// The states of the other steps of the same stage.
    pub others: Vec<StepState>,
}

/// What a decision does to the stored request: chosen by a [`DecideRule`], applied by
/// [`Store::approval_decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing changes: the step is not open for a decision.
    Nothing,
    /// The step takes `step` (approved or rejected); its stage waits for the others.
    Record {
        /// The step's new state.
        step: StepState,
    },
    /// The step takes `step` and completes its stage: the stage's open steps are
    /// skipped and stage `next` opens (its steps pending, to be asked).
    OpenStage {
        /// The step's new state.
        step: StepState,
        /// The stage that opens.
        next: u32,
    },
    /// The step takes `step` and ends the request in `approval`: every open step is
    /// skipped.
    Close {
        /// The step's new state.
        step: StepState,
        /// Approved or rejected.
        approval: ApprovalState,
    },
}

impl Transition {
    /// The decided step's new state; `None` when nothing changes.
    pub const fn step(self) -> Option<StepState> {
        match self {
            Self::Nothing => None,
            Self::Record { step } | Self::OpenStage { step, .. } | Self::Close { step, .. } => {
                Some(step)
            }
        }
    }
}

/// The rule that turns a step's state and an approver's answer into a [`Transition`]
/// (the workflow passes `crate::replies::approval::decide`). A plain function, so the
/// writer can run it again if its batch is retried.
pub type DecideRule = fn(&DecideState, Decision) -> Transition;

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

    /// Applies an approver's decision to a step as `rule` decides it (see
    /// [`DecideRule`]). `inbox_id`: the reply it came in, whose route is recorded in the
    /// same commit.
    #[allow(clippy::too_many_arguments)]
    pub fn approval_decide(
        &mut self,
        step_id: i64,
        decision: Decision,
        rule: DecideRule,
        comment: Option<&str>,
        via: &str,
        now: Millis,
        inbox_id: Option<i64>,
    ) -> Result<DecideOutcome> {
        self.write(|c, cache| {
            let out = decide(c, step_id, decision, rule, comment, via, now)?;
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
                    super::webhooks::WebhookEvent::ApprovalDecision,
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

/// The async forms, for the workflow engine and the API.
impl StoreHandle {
    /// [`Store::approval_create`].
    pub async fn approval_create(&self, new: NewApproval, now: Millis) -> Result<(i64, bool)> {
        self.call(move |s| s.approval_create(&new, now)).await
    }

    /// [`Store::approval_decide`].
    #[allow(clippy::too_many_arguments)]
    pub async fn approval_decide(
        &self,
        step_id: i64,
        decision: Decision,
        rule: DecideRule,
        comment: Option<String>,
        via: &'static str,
        now: Millis,
        inbox_id: Option<i64>,
    ) -> Result<DecideOutcome> {
        self.call(move |s| {
            s.approval_decide(
                step_id,
                decision,
                rule,
                comment.as_deref(),
                via,
                now,
                inbox_id,
            )
        })
        .await
    }

    /// [`Store::approval_asked`].
    pub async fn approval_asked(
        &self,
        step_id: i64,
        extension: Option<String>,
        job_id: i64,
        now: Millis,
    ) -> Result<()> {
        self.call(move |s| s.approval_asked(step_id, extension.as_deref(), job_id, now))
            .await
    }

    /// [`Store::approval_ask_abandoned`].
    pub async fn approval_ask_abandoned(&self, step_id: i64) -> Result<()> {
        self.call(move |s| s.approval_ask_abandoned(step_id)).await
    }

    /// [`Store::approval_outcome_sent`].
    pub async fn approval_outcome_sent(&self, approval_id: i64) -> Result<()> {
        self.call(move |s| s.approval_outcome_sent(approval_id))
            .await
    }

    /// [`Store::approval_resend`].
    pub async fn approval_resend(&self, approval_id: i64) -> Result<usize> {
        self.call(move |s| s.approval_resend(approval_id)).await
    }

    /// [`Store::approval_remind_due`].
    pub async fn approval_remind_due(&self, asked_before: Millis, now: Millis) -> Result<usize> {
        self.call(move |s| s.approval_remind_due(asked_before, now))
            .await
    }

    /// [`Store::approval_expire`].
    pub async fn approval_expire(&self, now: Millis) -> Result<Vec<i64>> {
        self.call(move |s| s.approval_expire(now)).await
    }

    /// A request with its steps, on the read connection.
    pub async fn approval_get(&self, id: i64) -> Result<Option<ApprovalView>> {
        self.read(move |c| approval_get(c, id)).await
    }

    /// A step's request, title, extension and state, on the read connection.
    pub async fn approval_step_context(&self, step_id: i64) -> Result<Option<StepContext>> {
        self.read(move |c| step_context(c, step_id)).await
    }

    /// Approval SMS due (asks, resends, reminders), on the read connection.
    pub async fn approval_asks_due(&self, limit: usize) -> Result<Vec<StepToAsk>> {
        self.read(move |c| asks_due(c, limit)).await
    }

    /// Decided requests whose applicant has not been told, on the read connection.
    pub async fn approval_outcomes_due(&self, limit: usize) -> Result<Vec<OutcomeToSend>> {
        self.read(move |c| outcomes_due(c, limit)).await
    }

    /// The next time an approval expires, a reminder to an approver is due or a poll closes
    /// (`remind_after` ms after an unanswered ask), on the read connection.
    pub async fn workflow_next_due(&self, remind_after: Option<i64>) -> Result<Option<Millis>> {
        self.read(move |c| {
            let a = next_due(c, remind_after)?;
            let r = super::reminders::next_due(c)?;
            let p = super::polls::next_close(c)?;
            Ok([a, r, p].into_iter().flatten().min())
        })
        .await
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

/// Loads what a decision on `step_id` is decided from.
fn decide_state(c: &Connection, step_id: i64) -> Result<DecideState> {
    let step: Option<(i64, u32, i64, i64)> = c
        .prepare_cached("SELECT approval_id, stage, rule, state FROM approval_steps WHERE id = ?1")?
        .query_row([step_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((approval_id, step_stage, rule, step)) = step else {
        return Err(StoreError::NotFound {
            what: "approval step",
            id: step_id,
        });
    };
    let (rule, step) = (rule_code(rule)?, step_code(step)?);
    let Some((approval, current_stage, stages)) = approval_state(c, approval_id)? else {
        return Err(StoreError::NotFound {
            what: "approval",
            id: approval_id,
        });
    };
    let others: Vec<StepState> = c
        .prepare_cached(
            "SELECT state FROM approval_steps WHERE approval_id = ?1 AND stage = ?2 AND id <> ?3",
        )?
        .query_map(params![approval_id, step_stage, step_id], |r| {
            r.get::<_, i64>(0)
        })?
        .map(|s| step_code(s?))
        .collect::<Result<_>>()?;
    Ok(DecideState {
        approval_id,
        approval,
        current_stage,
        stages,
        step_stage,
        rule,
        step,
        others,
    })
}

/// Loads the step's state, asks `rule` what `decision` does, and applies it.
fn decide(
    c: &Connection,
    step_id: i64,
    decision: Decision,
    rule: DecideRule,
    comment: Option<&str>,
    via: &str,
    now: Millis,
) -> Result<DecideOutcome> {
    let state = decide_state(c, step_id)?;
    let approval_id = state.approval_id;
    let transition = rule(&state, decision);
    let Some(step) = transition.step() else {
        return Ok(DecideOutcome::NotOpen {
            approval_id,
            step: state.step,
            approval: state.approval,
        });
    };
    c.prepare_cached(
        "UPDATE approval_steps SET state = ?2, comment = ?3, decided_at = ?4, decided_via = ?5,
             ask_due = 0 WHERE id = ?1",
    )?
    .execute(params![step_id, step.code(), comment, now, via])?;
    release_item(c, ItemKind::ApprovalStep, step_id, now)?;
    match transition {
        Transition::OpenStage { next, .. } => {
            close_open_steps(c, approval_id, Some(state.step_stage), now)?;
            c.prepare_cached("UPDATE approvals SET stage = ?2 WHERE id = ?1")?
                .execute(params![approval_id, next])?;
            c.prepare_cached(
                "UPDATE approval_steps SET state = ?3, ask_due = 1
                 WHERE approval_id = ?1 AND stage = ?2",
            )?
            .execute(params![approval_id, next, StepState::Pending.code()])?;
            Ok(DecideOutcome::StageOpened {
                approval_id,
                stage: next,
            })
        }
        Transition::Close { approval, .. } => {
            c.prepare_cached("UPDATE approvals SET state = ?2, decided_at = ?3 WHERE id = ?1")?
                .execute(params![approval_id, approval.code(), now])?;
            close_open_steps(c, approval_id, None, now)?;
            Ok(DecideOutcome::Decided {
                approval_id,
                state: approval,
            })
        }
        // `Nothing` returned above.
        Transition::Record { .. } | Transition::Nothing => {
            Ok(DecideOutcome::Recorded { approval_id })
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::replies::approval::decide as rule;
    use crate::store::ExtensionRequest;
    use crate::store::testutil::{TempDb, inbound};

    const NOW: Millis = 1_000_000;

    fn person(name: &str, phone: &str) -> Approver {
        Approver {
            name: name.into(),
            phone: phone.into(),
        }
    }

    /// Stages of `(rule, approvers' phones)`.
    fn request(stages: &[(StageRule, &[&str])]) -> NewApproval {
        NewApproval {
            title: "出差申请".into(),
            applicant: person("小李", "13800138000"),
            details: "上海 3 天".into(),
            stages: stages
                .iter()
                .map(|(rule, phones)| NewStage {
                    rule: *rule,
                    approvers: phones.iter().map(|p| person("审批人", p)).collect(),
                })
                .collect(),
            expires_at: NOW + 3_600_000,
            idempotency_key: None,
        }
    }

    fn steps(s: &Store, id: i64) -> Vec<(i64, u32, StepState)> {
        approval_get(s.conn(), id)
            .unwrap()
            .unwrap()
            .steps
            .iter()
            .map(|st| (st.id, st.stage, st.state))
            .collect()
    }

    fn decide_step(s: &mut Store, step: i64, d: Decision) -> DecideOutcome {
        s.approval_decide(step, d, rule, Some("ok"), "api", NOW + 1, None)
            .unwrap()
    }

    fn extension_for(s: &mut Store, step: i64, phone: &str) -> String {
        let req = ExtensionRequest {
            carrier: "mobile".into(),
            length: 3,
            item_kind: ItemKind::ApprovalStep,
            item_id: step,
            recipient: phone.into(),
        };
        s.allocate_extension(&req, NOW, Duration::from_secs(3600))
            .unwrap()
    }

    /// Whether `ext` still names an item at `at`.
    fn held(s: &Store, ext: &str, at: Millis) -> bool {
        s.lookup_extension("mobile", ext, at).unwrap().is_some()
    }

    #[test]
    fn a_new_request_opens_its_first_stage_only_and_a_key_names_it_once() {
        let db = TempDb::new("appr-create");
        let mut s = db.open();
        let mut new = request(&[
            (StageRule::All, &["13900139000", "13700137000"]),
            (StageRule::Any, &["13600136000"]),
        ]);
        new.idempotency_key = Some("k".into());
        let (id, created) = s.approval_create(&new, NOW).unwrap();
        assert!(created);
        assert_eq!(s.approval_create(&new, NOW).unwrap(), (id, false));
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (view.state, view.stage, view.stages, view.created_at),
            (ApprovalState::Pending, 0, 2, NOW)
        );
        assert_eq!(
            view.steps.iter().map(|s| s.state).collect::<Vec<_>>(),
            [StepState::Pending, StepState::Pending, StepState::Waiting]
        );
        let due = asks_due(s.conn(), 10).unwrap();
        assert_eq!(
            due.len(),
            2,
            "the first stage's approvers are due to be asked"
        );
        assert!(
            due.iter()
                .all(|d| d.approval_id == id && d.asks == 0 && !d.reminder)
        );
        assert_eq!(due[0].title, "出差申请");
        assert_eq!(due[0].applicant_name, "小李");

        let empty = request(&[(StageRule::All, &[])]);
        assert!(matches!(
            s.approval_create(&empty, NOW),
            Err(StoreError::InvalidJob(_))
        ));
        assert!(matches!(
            s.approval_create(&request(&[]), NOW),
            Err(StoreError::InvalidJob(_))
        ));
    }

    #[test]
    fn approving_a_stage_opens_the_next_and_the_last_approves_the_request() {
        let db = TempDb::new("appr-stages");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(
                &request(&[
                    (StageRule::All, &["13900139000", "13700137000"]),
                    (StageRule::Any, &["13600136000", "13500135000"]),
                ]),
                NOW,
            )
            .unwrap();
        let st = steps(&s, id);
        let ext = extension_for(&mut s, st[0].0, "13900139000");
        assert_eq!(
            decide_step(&mut s, st[0].0, Decision::Approve),
            DecideOutcome::Recorded { approval_id: id }
        );
        assert!(
            held(&s, &ext, NOW),
            "a reply received before the decision still finds it"
        );
        assert!(
            !held(&s, &ext, NOW + 2),
            "a decided step's extension is released"
        );
        assert_eq!(
            decide_step(&mut s, st[1].0, Decision::Approve),
            DecideOutcome::StageOpened {
                approval_id: id,
                stage: 1
            }
        );
        let after = steps(&s, id);
        assert_eq!(after[2].2, StepState::Pending);
        assert_eq!(after[3].2, StepState::Pending);
        assert_eq!(
            asks_due(s.conn(), 10)
                .unwrap()
                .iter()
                .map(|d| d.step_id)
                .collect::<Vec<_>>(),
            [st[2].0, st[3].0],
            "the second stage is due to be asked"
        );
        assert_eq!(
            decide_step(&mut s, st[3].0, Decision::Approve),
            DecideOutcome::Decided {
                approval_id: id,
                state: ApprovalState::Approved
            }
        );
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(view.state, ApprovalState::Approved);
        assert_eq!(view.decided_at, Some(NOW + 1));
        assert_eq!(
            view.steps[2].state,
            StepState::Skipped,
            "any: the other is closed"
        );
        assert_eq!(view.steps[3].comment.as_deref(), Some("ok"));
        assert_eq!(view.steps[3].decided_via.as_deref(), Some("api"));
        assert!(asks_due(s.conn(), 10).unwrap().is_empty());
        let told = outcomes_due(s.conn(), 10).unwrap();
        assert_eq!(told.len(), 1);
        assert_eq!(
            (told[0].state, told[0].rejected_by.clone()),
            (ApprovalState::Approved, None)
        );
        s.approval_outcome_sent(id).unwrap();
        assert!(outcomes_due(s.conn(), 10).unwrap().is_empty());
    }

    #[test]
    fn a_rejection_rejects_the_request_and_closes_every_open_step() {
        let db = TempDb::new("appr-reject");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(
                &request(&[
                    (StageRule::All, &["13900139000", "13700137000"]),
                    (StageRule::All, &["13600136000"]),
                ]),
                NOW,
            )
            .unwrap();
        let st = steps(&s, id);
        let other = extension_for(&mut s, st[1].0, "13700137000");
        assert_eq!(
            decide_step(&mut s, st[0].0, Decision::Reject),
            DecideOutcome::Decided {
                approval_id: id,
                state: ApprovalState::Rejected
            }
        );
        assert_eq!(
            steps(&s, id).iter().map(|s| s.2).collect::<Vec<_>>(),
            [StepState::Rejected, StepState::Skipped, StepState::Skipped]
        );
        assert!(
            !held(&s, &other, NOW + 2),
            "a skipped step's extension is released"
        );
        let told = outcomes_due(s.conn(), 10).unwrap();
        assert_eq!(
            told[0].rejected_by,
            Some(("审批人".to_string(), Some("ok".to_string())))
        );
        // A second answer, and one from a skipped step, change nothing.
        assert_eq!(
            decide_step(&mut s, st[0].0, Decision::Approve),
            DecideOutcome::NotOpen {
                approval_id: id,
                step: StepState::Rejected,
                approval: ApprovalState::Rejected
            }
        );
        assert_eq!(
            decide_step(&mut s, st[2].0, Decision::Approve),
            DecideOutcome::NotOpen {
                approval_id: id,
                step: StepState::Skipped,
                approval: ApprovalState::Rejected
            }
        );
    }

    #[test]
    fn a_waiting_step_and_an_unknown_one_cannot_be_decided() {
        let db = TempDb::new("appr-waiting");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(
                &request(&[
                    (StageRule::All, &["13900139000"]),
                    (StageRule::All, &["13600136000"]),
                ]),
                NOW,
            )
            .unwrap();
        let st = steps(&s, id);
        assert_eq!(
            decide_step(&mut s, st[1].0, Decision::Approve),
            DecideOutcome::NotOpen {
                approval_id: id,
                step: StepState::Waiting,
                approval: ApprovalState::Pending
            }
        );
        assert!(matches!(
            s.approval_decide(999, Decision::Approve, rule, None, "api", NOW, None),
            Err(StoreError::NotFound {
                what: "approval step",
                id: 999
            })
        ));
    }

    #[test]
    fn a_decision_by_sms_records_the_replys_route_and_queues_no_webhook_without_hooks() {
        let db = TempDb::new("appr-sms");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(&request(&[(StageRule::Any, &["13900139000"])]), NOW)
            .unwrap();
        let step = steps(&s, id)[0].0;
        let inbox = s
            .inbox_insert(&inbound("13900139000", "1065000001", "同意", NOW))
            .unwrap();
        s.approval_decide(step, Decision::Approve, rule, None, "sms", NOW, Some(inbox))
            .unwrap();
        let m = s
            .inbox_list(false, 10)
            .unwrap()
            .into_iter()
            .find(|m| m.id == inbox)
            .unwrap();
        assert_eq!(m.route.as_deref(), Some("approval_step"));
        assert_eq!(m.message.item_id, Some(step));
    }

    #[test]
    fn asks_are_recorded_abandoned_and_resent() {
        let db = TempDb::new("appr-asks");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(
                &request(&[(StageRule::All, &["13900139000", "13700137000"])]),
                NOW,
            )
            .unwrap();
        let st = steps(&s, id);
        s.approval_asked(st[0].0, Some("123"), 41, NOW).unwrap();
        s.approval_ask_abandoned(st[1].0).unwrap();
        assert!(asks_due(s.conn(), 10).unwrap().is_empty());
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (
                view.steps[0].asks,
                view.steps[0].extension.as_deref(),
                view.steps[0].last_job
            ),
            (1, Some("123"), Some(41))
        );
        let ctx = step_context(s.conn(), st[0].0).unwrap().unwrap();
        assert_eq!(
            ctx,
            StepContext {
                approval_id: id,
                title: "出差申请".into(),
                extension: Some("123".into()),
                state: StepState::Pending
            }
        );
        assert_eq!(step_context(s.conn(), 999).unwrap(), None);

        assert_eq!(
            s.approval_resend(id).unwrap(),
            2,
            "both unanswered are asked again"
        );
        let due = asks_due(s.conn(), 10).unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(
            due[0].asks, 1,
            "the resend keeps counting, for a new idempotency key"
        );
        decide_step(&mut s, st[0].0, Decision::Reject);
        assert!(matches!(
            s.approval_resend(id),
            Err(StoreError::ApprovalClosed {
                state: ApprovalState::Rejected,
                ..
            })
        ));
        assert!(matches!(
            s.approval_resend(999),
            Err(StoreError::NotFound {
                what: "approval",
                id: 999
            })
        ));
    }

    #[test]
    fn an_approver_slow_to_answer_is_reminded_once() {
        let db = TempDb::new("appr-remind");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(&request(&[(StageRule::All, &["13900139000"])]), NOW)
            .unwrap();
        let step = steps(&s, id)[0].0;
        assert_eq!(
            next_due(s.conn(), Some(600_000)).unwrap(),
            Some(NOW + 3_600_000)
        );
        s.approval_asked(step, None, 1, NOW).unwrap();
        assert_eq!(
            next_due(s.conn(), Some(600_000)).unwrap(),
            Some(NOW + 600_000),
            "the reminder comes before the expiry"
        );
        assert_eq!(next_due(s.conn(), None).unwrap(), Some(NOW + 3_600_000));
        assert_eq!(s.approval_remind_due(NOW - 1, NOW).unwrap(), 0, "not yet");
        assert_eq!(s.approval_remind_due(NOW, NOW + 600_000).unwrap(), 1);
        let due = asks_due(s.conn(), 10).unwrap();
        assert!(due[0].reminder, "the next ask is a reminder");
        s.approval_asked(step, None, 2, NOW + 600_000).unwrap();
        assert_eq!(
            s.approval_remind_due(NOW + 600_000, NOW + 1_200_000)
                .unwrap(),
            0,
            "one reminder only"
        );
    }

    #[test]
    fn an_undecided_request_expires_and_its_steps_close() {
        let db = TempDb::new("appr-expire");
        let mut s = db.open();
        let (id, _) = s
            .approval_create(
                &request(&[
                    (StageRule::All, &["13900139000"]),
                    (StageRule::All, &["13600136000"]),
                ]),
                NOW,
            )
            .unwrap();
        let st = steps(&s, id);
        let ext = extension_for(&mut s, st[0].0, "13900139000");
        assert!(s.approval_expire(NOW + 3_599_999).unwrap().is_empty());
        assert_eq!(s.approval_expire(NOW + 3_600_000).unwrap(), [id]);
        assert!(
            s.approval_expire(NOW + 3_600_001).unwrap().is_empty(),
            "once"
        );
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(view.state, ApprovalState::Expired);
        assert_eq!(view.decided_at, Some(NOW + 3_600_000));
        assert!(view.steps.iter().all(|s| s.state == StepState::Skipped));
        assert!(!held(&s, &ext, NOW + 3_600_001));
        assert_eq!(next_due(s.conn(), Some(1)).unwrap(), None);
        assert_eq!(
            outcomes_due(s.conn(), 10).unwrap()[0].state,
            ApprovalState::Expired
        );
        // A late answer to an expired request changes nothing.
        assert!(matches!(
            decide_step(&mut s, st[0].0, Decision::Approve),
            DecideOutcome::NotOpen {
                approval: ApprovalState::Expired,
                ..
            }
        ));
    }

    #[test]
    fn requests_survive_a_reopen_and_corrupt_states_are_reported() {
        let db = TempDb::new("appr-reopen");
        let id = {
            let mut s = db.open();
            let (id, _) = s
                .approval_create(&request(&[(StageRule::Any, &["13900139000"])]), NOW)
                .unwrap();
            let step = steps(&s, id)[0].0;
            decide_step(&mut s, step, Decision::Approve);
            id
        };
        let s = db.open();
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        assert_eq!(view.state, ApprovalState::Approved);
        assert_eq!(view.steps[0].rule, StageRule::Any);
        assert_eq!(approval_get(s.conn(), id + 1).unwrap(), None);
        s.conn()
            .execute("UPDATE approvals SET state = 9 WHERE id = ?1", [id])
            .unwrap();
        assert!(matches!(
            approval_get(s.conn(), id),
            Err(StoreError::Corrupt {
                column: "approvals.state",
                value: 9
            })
        ));
    }

    #[tokio::test]
    async fn the_handle_runs_the_same_operations() {
        let db = TempDb::new("appr-handle");
        let h = db.handle();
        let (id, _) = h
            .approval_create(request(&[(StageRule::All, &["13900139000"])]), NOW)
            .await
            .unwrap();
        let step = h.approval_asks_due(10).await.unwrap()[0].step_id;
        h.approval_asked(step, None, 7, NOW).await.unwrap();
        assert_eq!(
            h.approval_decide(step, Decision::Approve, rule, None, "api", NOW, None)
                .await
                .unwrap(),
            DecideOutcome::Decided {
                approval_id: id,
                state: ApprovalState::Approved
            }
        );
        assert_eq!(h.approval_outcomes_due(10).await.unwrap().len(), 1);
        h.approval_outcome_sent(id).await.unwrap();
        assert!(h.approval_outcomes_due(10).await.unwrap().is_empty());
        assert_eq!(h.workflow_next_due(Some(1)).await.unwrap(), None);
        assert!(h.approval_get(id).await.unwrap().is_some());
        assert!(h.approval_step_context(step).await.unwrap().is_some());
        h.close().await.unwrap();
    }
}
