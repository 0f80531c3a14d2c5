//! [`Workflow`]: the engine task and the handle the API, the CLI and the demo use.
//!
//! One task does all the work, in passes: route new inbox messages to their items,
//! expire requests, mark reminders to slow approvers, send the approval SMS that are
//! due, tell applicants their outcome, and send due reminders. A pass runs when an MO
//! message arrives, when the handle changed something, and when the next scheduled
//! moment comes (asked of the store: the earliest expiry, approver reminder or
//! reminder send), and at once again while stored replies are left over from a pass
//! that took a full batch, so a burst is drained without waiting for more traffic.
//! Nothing polls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::replies::routing::{Routed, route_destination};
use crate::replies::approval::{ApprovalState, Decision, StageRule};
use super::template::{TemplateError, TextSourceError, text_or_template};
use super::texts;
use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::{RecipientOutcome, SendError, SendOutcome, SendRequest, Submitter};
use crate::replies::{Reply, parse_reply};
use crate::route::{Carrier, normalize};
use crate::store::{
    ApprovalView, Approver, DecideOutcome, ExtensionRequest, InboxMessage, InboxRoute, ItemKind,
    Millis, NewApproval, NewReminder, NewStage, Priority, ReminderCancel, ReminderState,
    ReminderView, StoreError, StoreHandle,
};

/// How many items one pass takes of each kind (the rest come in the next pass, at once).
const BATCH: usize = 256;
/// Shortest wait between passes when something is already due (a failing store must not
/// spin the engine).
const MIN_WAIT: Duration = Duration::from_millis(100);

/// Why a workflow request was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// A phone number cannot be used: the field and the reason.
    #[error("{field}: {reason}")]
    BadNumber {
        /// e.g. `stages[1].approvers[0].phone`.
        field: String,
        /// Why.
        reason: String,
    },
    /// A field is missing or wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
    /// The template cannot be rendered.
    #[error("template: {0}")]
    Template(#[from] TemplateError),
    /// No such item.
    #[error("{what} {id} not found")]
    NotFound {
        /// `approval`, `approval step`, `reminder`.
        what: &'static str,
        /// The id.
        id: i64,
    },
    /// The queue refused the SMS.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            other => Self::Store(other),
        }
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> WorkflowError {
    WorkflowError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A person in a request.
pub type Person = Approver;

/// One stage of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRequest {
    /// `all` or `any`.
    pub rule: StageRule,
    /// One or more.
    pub approvers: Vec<Person>,
}

/// A new approval request, as a user writes it (numbers in any usual form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Title.
    pub title: String,
    /// Who asks; told the outcome.
    pub applicant: Person,
    /// Details (shortened in the SMS).
    #[serde(default)]
    pub details: String,
    /// Stages in order.
    pub stages: Vec<StageRequest>,
    /// Expiry (unix ms); default `workflow.approval_validity` from now.
    #[serde(default)]
    pub expires_at: Option<Millis>,
    /// A retried request with the same key returns the first.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// What [`Workflow::create_approval`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApprovalCreated {
    /// The request.
    pub approval_id: i64,
    /// False when the idempotency key named an earlier request.
    pub created: bool,
}

/// Reminders to one or more recipients.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReminderRequest {
    /// Numbers in any usual form.
    pub recipients: Vec<String>,
    /// The text, or…
    #[serde(default)]
    pub text: Option<String>,
    /// …a template with `{name}` variables, filled from `variables`.
    #[serde(default)]
    pub template: Option<String>,
    /// Template variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// When (unix ms); default now.
    #[serde(default)]
    pub send_at: Option<Millis>,
    /// Repeat this often until the recipient replies.
    #[serde(default, with = "opt_duration")]
    pub repeat_every: Option<Duration>,
    /// Most sends with repeats (default 3 with `repeat_every`, else 1).
    #[serde(default)]
    pub max_sends: Option<u32>,
    /// A signature instead of the link's.
    #[serde(default)]
    pub signature: Option<String>,
    /// A retried request with the same key returns the first reminders.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| humantime::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }

    pub fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

/// What became of one recipient of a [`ReminderRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ReminderOutcome {
    /// A reminder for this recipient.
    Created {
        /// Position in the request.
        index: usize,
        /// Normalised number.
        number: String,
        /// The reminder.
        reminder_id: i64,
        /// False when the idempotency key named an earlier one.
        created: bool,
    },
    /// Refused, with the reason; the others still go.
    Rejected {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Why.
        reason: String,
    },
}

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
    /// A reminder ended without a reply, or could not be sent.
    ReminderClosed {
        /// The reminder.
        reminder_id: i64,
        /// Sent or failed.
        state: ReminderState,
    },
}

struct Inner {
    store: StoreHandle,
    submitter: Submitter,
    config: Config,
    clock: Clock,
    poke: Notify,
    events: broadcast::Sender<WorkflowEvent>,
}

/// The workflow engine's handle (cheap to clone).
#[derive(Clone)]
pub struct Workflow {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Workflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow").finish_non_exhaustive()
    }
}

impl Workflow {
    /// Starts the engine. `inbox` is bumped for every stored MO message; the task ends
    /// when `stop` turns true.
    pub fn start(
        store: StoreHandle,
        submitter: Submitter,
        config: Config,
        clock: Clock,
        mut inbox: watch::Receiver<u64>,
        mut stop: watch::Receiver<bool>,
    ) -> (Self, JoinHandle<()>) {
        let (events, _) = broadcast::channel(1024);
        let wf = Self {
            inner: Arc::new(Inner {
                store,
                submitter,
                config,
                clock,
                poke: Notify::new(),
                events,
            }),
        };
        let engine = wf.clone();
        let task = tokio::spawn(async move {
            loop {
                if engine.run_once().await {
                    // More stored replies than one pass takes: route them now, not when
                    // the next MO or due item happens to come (a burst may be the last
                    // traffic for a long time). A pass is bounded, so stopping is still
                    // seen between passes.
                    if *stop.borrow() {
                        return;
                    }
                    tokio::task::yield_now().await;
                    continue;
                }
                let wake = engine.next_wake().await;
                tokio::select! {
                    _ = sleep_until(wake) => {}
                    _ = inbox.changed() => {}
                    _ = engine.inner.poke.notified() => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    return;
                }
            }
        });
        (wf, task)
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WorkflowEvent> {
        self.inner.events.subscribe()
    }

    /// The clock the engine schedules by.
    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    fn now(&self) -> Millis {
        self.inner.clock.now_millis()
    }

    fn emit(&self, e: WorkflowEvent) {
        tracing::debug!(event = ?e, "workflow");
        let _ = self.inner.events.send(e);
    }

    fn number(&self, field: String, input: &str) -> Result<String, WorkflowError> {
        self.inner
            .submitter
            .router()
            .route(input)
            .map(|r| r.msisdn.as_str().to_string())
            .map_err(|e| WorkflowError::BadNumber {
                field,
                reason: e.to_string(),
            })
    }

    /// Stores a request and opens its first stage; the approval SMS go out at once.
    pub async fn create_approval(
        &self,
        req: ApprovalRequest,
    ) -> Result<ApprovalCreated, WorkflowError> {
        if req.title.trim().is_empty() {
            return Err(invalid("title", "is empty"));
        }
        if req.stages.is_empty() {
            return Err(invalid("stages", "needs at least one stage"));
        }
        let applicant = Approver {
            name: req.applicant.name.clone(),
            phone: self.number("applicant.phone".into(), &req.applicant.phone)?,
        };
        let mut stages = Vec::with_capacity(req.stages.len());
        for (i, s) in req.stages.iter().enumerate() {
            if s.approvers.is_empty() {
                return Err(invalid(
                    format!("stages[{i}].approvers"),
                    "needs at least one approver",
                ));
            }
            let mut approvers = Vec::with_capacity(s.approvers.len());
            for (j, a) in s.approvers.iter().enumerate() {
                let phone = self.number(format!("stages[{i}].approvers[{j}].phone"), &a.phone)?;
                if approvers.iter().any(|x: &Approver| x.phone == phone) {
                    return Err(invalid(
                        format!("stages[{i}].approvers[{j}].phone"),
                        "appears twice in the stage",
                    ));
                }
                approvers.push(Approver {
                    name: a.name.clone(),
                    phone,
                });
            }
            stages.push(NewStage {
                rule: s.rule,
                approvers,
            });
        }
        let now = self.now();
        let validity = i64::try_from(self.inner.config.workflow.approval_validity.as_millis())
            .unwrap_or(i64::MAX);
        let expires_at = req.expires_at.unwrap_or(now.saturating_add(validity));
        if expires_at <= now {
            return Err(invalid("expires_at", "is not in the future"));
        }
        let new = NewApproval {
            title: req.title,
            applicant,
            details: req.details,
            stages,
            expires_at,
            idempotency_key: req.idempotency_key,
        };
        let (approval_id, created) = self.inner.store.approval_create(new, now).await?;
        tracing::info!(approval = approval_id, created, "approval request");
        self.inner.poke.notify_one();
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
        let out = self
            .inner
            .store
            .approval_decide(step_id, decision, comment, "api", self.now(), None)
            .await?;
        self.decided(step_id, decision, "api", &out);
        Ok(out)
    }

    fn decided(&self, step_id: i64, decision: Decision, via: &str, out: &DecideOutcome) {
        tracing::info!(step = step_id, ?decision, via, outcome = ?out, "approval decision");
        if !matches!(out, DecideOutcome::NotOpen { .. }) {
            self.inner.poke.notify_one();
        }
        self.emit(WorkflowEvent::Decided {
            step_id,
            decision,
            via: via.to_string(),
            outcome: out.clone(),
        });
    }

    /// A request with its steps.
    pub async fn approval(&self, id: i64) -> Result<Option<ApprovalView>, WorkflowError> {
        Ok(self.inner.store.approval_get(id).await?)
    }

    /// Sends the approval SMS again to every approver of the open stage who has not
    /// answered; returns how many.
    pub async fn resend(&self, approval_id: i64) -> Result<usize, WorkflowError> {
        let n = self.inner.store.approval_resend(approval_id).await?;
        self.inner.poke.notify_one();
        Ok(n)
    }

    /// Stores one reminder per recipient; bad numbers are refused per item.
    pub async fn create_reminders(
        &self,
        req: ReminderRequest,
    ) -> Result<Vec<ReminderOutcome>, WorkflowError> {
        let text = text_or_template(req.text.as_deref(), req.template.as_deref(), &req.variables)
            .map_err(|e| match e {
            TextSourceError::Both => invalid("template", e.to_string()),
            TextSourceError::Neither => invalid("text", e.to_string()),
            TextSourceError::Template(t) => WorkflowError::Template(t),
        })?;
        if text.trim().is_empty() {
            return Err(invalid("text", "is empty"));
        }
        if req.recipients.is_empty() {
            return Err(invalid("recipients", "is empty"));
        }
        self.inner
            .submitter
            .check_recipient_count(req.recipients.len())?;
        let repeat_every = match req.repeat_every {
            Some(d) if d < Duration::from_secs(60) => {
                return Err(invalid("repeat_every", "must be at least 1 minute"));
            }
            Some(d) => Some(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            None => None,
        };
        let max_sends = match (req.max_sends, repeat_every) {
            (Some(0), _) => return Err(invalid("max_sends", "must be at least 1")),
            (Some(n), Some(_)) if n > 20 => return Err(invalid("max_sends", "at most 20")),
            (Some(n), None) if n > 1 => return Err(invalid("max_sends", "needs repeat_every")),
            (Some(n), _) => n,
            (None, Some(_)) => 3,
            (None, None) => 1,
        };
        let now = self.now();
        let send_at = req.send_at.unwrap_or(now);
        let mut out = Vec::with_capacity(req.recipients.len());
        for (index, input) in req.recipients.iter().enumerate() {
            let number = match self.number(format!("recipients[{index}]"), input) {
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
        self.inner.poke.notify_one();
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

    /// When the engine should look again.
    async fn next_wake(&self) -> Option<tokio::time::Instant> {
        // Replies left over (a pass failed half-way): look again shortly rather than
        // wait for an MO that may never come.
        if self.inner.store.inbox_backlog().await.is_ok_and(|n| n > 0) {
            return Some(tokio::time::Instant::now() + MIN_WAIT);
        }
        let remind = self.remind_after();
        match self.inner.store.workflow_next_due(remind).await {
            Ok(Some(at)) => {
                // Something already due that the pass just left (it failed, or more than
                // a batch) waits a moment rather than spinning.
                let now = tokio::time::Instant::now();
                let at = self.inner.clock.instant_at(at);
                Some(if at <= now { now + MIN_WAIT } else { at })
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "workflow: cannot read the schedule; retrying");
                Some(tokio::time::Instant::now() + Duration::from_secs(1))
            }
        }
    }

    fn remind_after(&self) -> Option<i64> {
        let d = self.inner.config.workflow.remind_after;
        (!d.is_zero()).then(|| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// One pass of the engine now: routes replies, expires, reminds, sends what is due.
    /// True when stored replies are left for another pass (more than a batch came).
    pub async fn run_once(&self) -> bool {
        match self.pass().await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(error = %e, "workflow pass failed; the next pass retries");
                false
            }
        }
    }

    async fn pass(&self) -> Result<bool, WorkflowError> {
        let store = &self.inner.store;
        let unrouted = store.inbox_unrouted(BATCH).await?;
        let more = unrouted.len() == BATCH;
        for m in unrouted {
            self.route_reply(m).await?;
        }
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
        for r in store.reminders_due(self.now(), BATCH).await? {
            self.remind(r).await?;
        }
        Ok(more)
    }

    /// Queues a one-recipient SMS; the job id, or why it was refused.
    async fn send_one(&self, req: SendRequest) -> Result<i64, String> {
        match self.inner.submitter.send(req).await {
            Ok(SendOutcome { job: Some(job), .. }) => Ok(job.job_id),
            Ok(SendOutcome { recipients, .. }) => Err(match recipients.first() {
                Some(RecipientOutcome::Rejected { reason, .. }) => reason.clone(),
                _ => "refused".into(),
            }),
            Err(e) => Err(e.to_string()),
        }
    }

    /// An extension for `item` to `number`, on the link that will carry it (`None` when
    /// that link has no extensions).
    async fn extension_for(
        &self,
        kind: ItemKind,
        item_id: i64,
        number: &str,
    ) -> Result<Option<String>, String> {
        let route = self
            .inner
            .submitter
            .router()
            .route(number)
            .map_err(|e| e.to_string())?;
        let Some(link) = self
            .inner
            .config
            .links
            .iter()
            .find(|l| l.carrier() == route.via)
        else {
            return Err(format!("no link for {}", route.via.full_name()));
        };
        if link.extension_length == 0 {
            tracing::warn!(link = %link.name, "link has extension_length = 0: replies cannot be matched");
            return Ok(None);
        }
        if route.fallback {
            tracing::warn!(number = %route.msisdn.masked(), "sent over a fallback link: the reply may lose the extended number");
        }
        let request = ExtensionRequest {
            carrier: carrier_key(route.via),
            length: link.extension_length,
            item_kind: kind,
            item_id,
            recipient: number.to_string(),
        };
        self.inner
            .store
            .allocate_extension(request, self.now(), self.inner.config.workflow.quarantine)
            .await
            .map(Some)
            .map_err(|e| e.to_string())
    }

    async fn ask(&self, step: crate::store::StepToAsk) -> Result<(), WorkflowError> {
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

    async fn remind(&self, r: crate::store::DueReminder) -> Result<(), WorkflowError> {
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

    async fn reminder_failed(&self, id: i64, reason: String) -> Result<(), WorkflowError> {
        tracing::error!(reminder = id, %reason, "reminder cannot be sent");
        self.inner
            .store
            .reminder_close(id, ReminderState::Failed, Some(reason), self.now())
            .await?;
        self.emit(WorkflowEvent::ReminderClosed {
            reminder_id: id,
            state: ReminderState::Failed,
        });
        Ok(())
    }

    async fn route_reply(&self, m: InboxMessage) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let msg = &m.message;
        let sender = normalize(&msg.sender)
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|_| msg.sender.clone());
        let holder = match route_destination(&self.inner.config, &msg.link, &msg.destination) {
            Routed::Unmatched(reason) => return self.unmatched(&m, &sender, reason).await,
            Routed::Extension { carrier, extension } => {
                match store
                    .lookup_extension(carrier_key(carrier), extension, msg.received_at)
                    .await?
                {
                    Some(h) => h,
                    None => return self.unmatched(&m, &sender, "unknown_extension").await,
                }
            }
        };
        if holder.recipient != sender {
            // Not an operator's problem (a forwarded SMS, a wrong number): logged and
            // kept in the inbox as unmatched.
            tracing::info!(
                inbox = m.id,
                item = holder.item_id,
                "a reply to an item from a number it was not sent to"
            );
            return self.unmatched(&m, &sender, "not_the_recipient").await;
        }
        match holder.item_kind {
            ItemKind::Reminder => {
                let open = store
                    .reminder_replied(holder.item_id, msg.text.clone(), m.id, self.now())
                    .await?;
                tracing::info!(reminder = holder.item_id, open, "reminder reply");
                self.emit(WorkflowEvent::ReminderReplied {
                    reminder_id: holder.item_id,
                    inbox_id: m.id,
                });
            }
            ItemKind::ApprovalStep => {
                let step_id = holder.item_id;
                let (decision, comment) = match parse_reply(&msg.text) {
                    Reply::Approve { comment } => (Decision::Approve, comment),
                    Reply::Reject { comment } => (Decision::Reject, comment),
                    Reply::Unclear => return self.unclear(&m, step_id, &sender).await,
                };
                let out = store
                    .approval_decide(step_id, decision, comment, "sms", self.now(), Some(m.id))
                    .await?;
                self.decided(step_id, decision, "sms", &out);
            }
        }
        Ok(())
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

    async fn unmatched(
        &self,
        m: &InboxMessage,
        sender: &str,
        reason: &'static str,
    ) -> Result<(), WorkflowError> {
        tracing::info!(inbox = m.id, link = %m.message.link, reason, "reply matches no open item");
        if let Some(answer) = &self.inner.config.workflow.unmatched_answer {
            let mut req = SendRequest::new(vec![sender.to_string()], answer.clone());
            req.idempotency_key = Some(format!("hongyan:inbox:{}:unmatched", m.id));
            if let Err(why) = self.send_one(req).await {
                tracing::warn!(inbox = m.id, reason = %why, "cannot answer an unmatched reply");
            }
        }
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
}

/// The carrier key extensions are unique under.
fn carrier_key(c: Carrier) -> String {
    c.name().to_string()
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
