//! [`Submitter`]: the one way a send request enters hongyan — the API, the CLI and the
//! demo all call [`Submitter::send`].
//!
//! For each recipient it normalises and routes the number ([`Router`]), counts the
//! segments with the options of the link that will carry it (the same
//! [`split_options`](super::plan::split_options) the dispatcher splits with), and
//! allocates a concatenation reference for a long message. Bad numbers, numbers whose
//! carrier has no link, repeats and texts a link cannot carry are reported per item; the
//! good recipients still go, as one durable job. The job is acknowledged only after the
//! store has committed it, and the dispatchers of the carriers involved are woken.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Notify;
use wire::reference::{ReferenceAllocator, ReferenceConfig, ReferenceError};

use super::changes::Changes;
use super::plan::{LinkTextError, measure};
use super::policy_gate::{self, LinkWords, WordVerdict};
use super::policy_metrics::PolicyCounters;
use super::replies;
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::policy::{Category, Hit, PolicyHandle, SentToday, SignatureError, SkipReason, WordList};
use crate::replies::poll::SpecError;
use crate::route::{Carrier, Router};
use crate::store::{
    CancelOutcome, EnqueueOutcome, JobPolicy, Millis, NewJob, NewRecipient, Priority, ReplySpec,
    SkippedRecipient, StoreError, StoreHandle,
};

/// A request to send one text to one or more numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Recipient numbers as the user wrote them (`+86 138-0013-8000` is fine).
    pub recipients: Vec<String>,
    /// The text, without signature.
    pub text: String,
    /// A signature for this job instead of the link's (e.g. `【鸿雁物流】`).
    pub signature: Option<String>,
    /// Digits appended to the link's service code; replies to that number come back
    /// with it (`None`: the bare service code). Not of the link's `extension_length`
    /// unless `extension_allocated`: those are the extensions hongyan hands to approvals
    /// and reminders, and the reply router would take a reply for one of them.
    pub source_ext: Option<String>,
    /// `source_ext` is the extension the store allocated to the item this message belongs
    /// to (an approval step, a reminder): the workflow's own sends.
    pub extension_allocated: bool,
    /// Priority class.
    pub priority: Priority,
    /// Not before this time (unix ms); `None` sends now.
    pub send_at: Option<Millis>,
    /// Give up at this time (unix ms); `None`: `validity` after the send time.
    pub expires_at: Option<Millis>,
    /// How long the message may wait; `None`: the config's `queue.default_validity`.
    pub validity: Option<Duration>,
    /// A second request with the same key returns the first job.
    pub idempotency_key: Option<String>,
    /// Queue every recipient for this carrier's links whatever its number's carrier (the
    /// alerts' on-call SMS, which must avoid a failing link); `None`: routed as usual.
    pub via: Option<Carrier>,
    /// Who sends it, recorded on the job: `web:<account>` (console) or `api:<token
    /// name>`; `None` for the daemon's own sends.
    pub sender: Option<String>,
    /// `notice` (default) or `marketing`: marketing gets the opt-out suffix, skips
    /// opted-out numbers and those over the daily caps, and waits out quiet hours.
    pub category: Category,
    /// Replies this send asks for (a poll or a collection): it goes out from an extension
    /// of its own on each carrier, and replies from its recipients are attributed.
    pub replies: Option<ReplySpec>,
    /// With `replies`: the contact groups the send came from (for a tally per group).
    pub groups: Vec<String>,
    /// Send for this existing open poll instead of a new one (a resend to those who have
    /// not answered): its extensions, its options; replies count for it.
    pub poll: Option<i64>,
}

impl SendRequest {
    /// A notification of `text` to `recipients`, sent now, with the defaults.
    pub fn new(recipients: Vec<String>, text: impl Into<String>) -> Self {
        Self {
            recipients,
            text: text.into(),
            signature: None,
            source_ext: None,
            extension_allocated: false,
            priority: Priority::Notification,
            send_at: None,
            expires_at: None,
            validity: None,
            idempotency_key: None,
            via: None,
            sender: None,
            category: Category::Notice,
            replies: None,
            groups: Vec::new(),
            poll: None,
        }
    }
}

/// What became of one recipient of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum RecipientOutcome {
    /// Part of the job.
    Accepted {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Normalised 11-digit number.
        number: String,
        /// The number's carrier.
        carrier: Carrier,
        /// The carrier whose link sends it (differs only with a configured fallback).
        via: Carrier,
        /// Segments the message takes (what it costs).
        segments: u8,
    },
    /// Not sent, with the reason.
    Rejected {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Stable reason code (`not_mobile`, `no_link`, `text`…).
        code: String,
        /// The reason, for people.
        reason: String,
    },
    /// Not sent because of the messaging policy (opted out, over a daily cap, no link
    /// of its carrier takes the category); shown in the job's status with the reason.
    Skipped {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Normalised 11-digit number.
        number: String,
        /// Stable reason code.
        reason: SkipReason,
    },
    /// The same number appeared earlier in the request; it is sent once.
    Duplicate {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Position of the first occurrence.
        first: usize,
    },
}

impl RecipientOutcome {
    /// Position in the request.
    pub fn index(&self) -> usize {
        match self {
            Self::Accepted { index, .. }
            | Self::Rejected { index, .. }
            | Self::Skipped { index, .. }
            | Self::Duplicate { index, .. } => *index,
        }
    }
}

/// What [`Submitter::send`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendOutcome {
    /// The job, when at least one recipient was accepted.
    pub job: Option<EnqueueOutcome>,
    /// One entry per recipient of the request, in request order.
    pub recipients: Vec<RecipientOutcome>,
}

impl SendOutcome {
    /// Recipients accepted into the job.
    pub fn accepted(&self) -> usize {
        self.recipients
            .iter()
            .filter(|r| matches!(r, RecipientOutcome::Accepted { .. }))
            .count()
    }
}

/// Why a request was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The text is empty.
    #[error("the text is empty")]
    EmptyText,
    /// No recipient was given.
    #[error("no recipients")]
    NoRecipients,
    /// The source extension is not digits.
    #[error("source extension {0:?} must be 1 to 12 digits")]
    BadExtension(String),
    /// The expiry is not after the send time.
    #[error("expires_at is not after the send time")]
    ExpiresBeforeSend,
    /// More recipients than `api.max_recipients` in one request; nothing was accepted.
    #[error("{given} recipients, more than the {max} one request may name (api.max_recipients)")]
    TooManyRecipients {
        /// How many the request named.
        given: usize,
        /// The limit.
        max: usize,
    },
    /// The reply spec cannot be used.
    #[error("{field}: {0}", field = .0.field())]
    Replies(#[from] SpecError),
    /// A send asks for a new poll and names an existing one.
    #[error("replies and poll: ask for new replies or send for an existing poll, not both")]
    RepliesAndPoll,
    /// A send that asks for replies names its own extension.
    #[error(
        "source_ext: a send that asks for replies goes out from the extension hongyan allocates for it"
    )]
    RepliesWithExtension,
    /// The daemon is shutting down and takes no new jobs.
    #[error("hongyan is shutting down")]
    ShuttingDown,
    /// The signature or the text breaks a signature rule (`field` is `signature` or
    /// `text`); nothing was accepted.
    #[error("{field}: {source}")]
    Signature {
        /// Which part of the request broke the rule.
        field: &'static str,
        /// The rule.
        source: SignatureError,
    },
    /// The text holds a sensitive word and the policy (or a link it would use) refuses
    /// such texts; nothing was accepted.
    #[error(
        "the text holds the sensitive word {:?} at characters {}..{}{}",
        hit.word, hit.start, hit.end,
        link.as_deref().map(|l| format!(" (refused by link {l})")).unwrap_or_default()
    )]
    SensitiveWord {
        /// The word, as listed, and where it is in the text (character offsets).
        hit: Hit,
        /// The link whose stricter rules refused it, if not the policy's own.
        link: Option<String>,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How one carrier's messages are planned: the configs of the links serving it, in
/// config order; a job takes the first that takes its category.
#[derive(Debug)]
struct CarrierPlan {
    links: Vec<config::Link>,
}

impl CarrierPlan {
    fn link_for(&self, category: Category) -> Option<&config::Link> {
        self.links.iter().find(|l| l.takes(category))
    }
}

#[derive(Debug)]
struct Inner {
    store: StoreHandle,
    /// Swapped whole when `[routing]` or its portability file is reloaded (SIGHUP); each
    /// request routes all its numbers with the one it took at the start.
    router: RwLock<Arc<Router>>,
    plans: HashMap<Carrier, CarrierPlan>,
    default_validity: Duration,
    /// `workflow.quarantine`: how long a poll's released extension rests before reuse.
    quarantine: Duration,
    /// `api.max_recipients`.
    max_recipients: usize,
    /// One allocator per carrier (their UDH widths may differ).
    references: Mutex<HashMap<Carrier, ReferenceAllocator>>,
    /// Dispatchers to wake per carrier.
    wake: HashMap<Carrier, Vec<Arc<Notify>>>,
    changes: Changes,
    closed: AtomicBool,
    /// The messaging policy in force, its clock, and the links' own word lists.
    policy: PolicyHandle,
    clock: Clock,
    link_words: HashMap<String, Arc<WordList>>,
    /// Marketing jobs are checked against the daily caps and enqueued one at a time, so
    /// two sends at once cannot both pass a cap only one may.
    marketing: tokio::sync::Mutex<()>,
    counters: Arc<PolicyCounters>,
}

/// The entry point for new jobs (cheap to clone).
#[derive(Debug, Clone)]
pub struct Submitter {
    inner: Arc<Inner>,
}

impl Submitter {
    /// A submitter over `store` with `router`, planning each carrier's messages with the
    /// first configured link serving it, waking `wake` (dispatchers per carrier) and
    /// bumping `changes` for every accepted job.
    pub fn new(
        config: &Config,
        router: Router,
        store: StoreHandle,
        wake: HashMap<Carrier, Vec<Arc<Notify>>>,
        changes: Changes,
    ) -> Self {
        Self::with_policy(config, router, store, wake, changes, SendPolicy::default())
    }

    /// [`Submitter::new`] applying `policy` (see `policy_gate.rs`).
    pub fn with_policy(
        config: &Config,
        router: Router,
        store: StoreHandle,
        wake: HashMap<Carrier, Vec<Arc<Notify>>>,
        changes: Changes,
        policy: SendPolicy,
    ) -> Self {
        let mut plans: HashMap<Carrier, CarrierPlan> = HashMap::new();
        for link in &config.links {
            plans
                .entry(link.carrier())
                .or_insert_with(|| CarrierPlan { links: Vec::new() })
                .links
                .push(link.clone());
        }
        Self {
            inner: Arc::new(Inner {
                store,
                router: RwLock::new(Arc::new(router)),
                plans,
                default_validity: config.queue.default_validity,
                quarantine: config.workflow.quarantine,
                max_recipients: config.api.max_recipients,
                references: Mutex::new(HashMap::new()),
                wake,
                changes,
                closed: AtomicBool::new(false),
                policy: policy.policy,
                clock: policy.clock,
                link_words: policy.link_words,
                marketing: tokio::sync::Mutex::new(()),
                counters: policy.counters,
            }),
        }
    }

    /// Refuse new requests from now on ([`SendError::ShuttingDown`]).
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
    }

    /// Cancels a job whose messages have not gone out yet.
    pub async fn cancel(&self, job_id: i64) -> Result<CancelOutcome, SendError> {
        let out = self
            .inner
            .store
            .cancel(job_id, self.inner.clock.now_millis())
            .await?;
        tracing::info!(job = job_id, outcome = ?out, "cancel");
        self.inner.changes.bump();
        Ok(out)
    }

    /// Refuses a request naming more than `api.max_recipients` numbers, before any
    /// work per number: one request must not hold the daemon's memory or its writer.
    pub fn check_recipient_count(&self, given: usize) -> Result<(), SendError> {
        let max = self.inner.max_recipients;
        if given > max {
            return Err(SendError::TooManyRecipients { given, max });
        }
        Ok(())
    }

    /// The router in use now.
    pub fn router(&self) -> Arc<Router> {
        // A poisoned lock only means a panic elsewhere while it was held; the router
        // itself is always whole (it is swapped, never edited in place).
        Arc::clone(
            &self
                .inner
                .router
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Routes new requests with `router` from now on; a request being planned keeps the
    /// one it started with. Jobs already accepted keep the carrier they were routed to.
    pub fn replace_router(&self, router: Router) {
        *self
            .inner
            .router
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(router);
    }

    /// Now, by the clock the policy judges by (the system's, outside tests).
    pub fn now(&self) -> Millis {
        self.inner.clock.now_millis()
    }

    /// Wakes every link's dispatcher (a held job was released into the queue).
    pub fn wake_all(&self) {
        self.inner.changes.bump();
        for n in self.inner.wake.values().flatten() {
            n.notify_one();
        }
    }

    /// Skips, refusals and holds by reason since the start (for `/metrics`).
    pub fn policy_counters(&self) -> Arc<PolicyCounters> {
        Arc::clone(&self.inner.counters)
    }

    /// The messaging policy in force.
    pub fn policy(&self) -> PolicyHandle {
        self.inner.policy.clone()
    }

    /// The store jobs are enqueued in.
    pub fn store(&self) -> &StoreHandle {
        &self.inner.store
    }

    /// Accept a request: route, count, enqueue. Per-recipient problems are in the
    /// outcome; an error means nothing was accepted.
    pub async fn send(&self, req: SendRequest) -> Result<SendOutcome, SendError> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return Err(SendError::ShuttingDown);
        }
        if req.text.is_empty() {
            return Err(SendError::EmptyText);
        }
        if req.recipients.is_empty() {
            return Err(SendError::NoRecipients);
        }
        self.check_recipient_count(req.recipients.len())?;
        if let Some(ext) = &req.source_ext {
            if ext.is_empty() || ext.len() > 12 || !ext.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SendError::BadExtension(ext.clone()));
            }
        }
        let policy = self.inner.policy.current();
        let now = self.inner.clock.now_millis();
        // ---- messaging policy: whole-request rules (see policy_gate.rs) ----
        if let Err((field, source)) =
            policy_gate::check_signature(&policy, req.signature.as_deref(), &req.text)
        {
            self.inner.counters.refused(source.code());
            return Err(SendError::Signature { field, source });
        }
        let text = policy_gate::text_as_sent(&policy, req.category, &req.text);
        replies::check(&req, now, &policy.keywords)?;
        let mut start = req.send_at.unwrap_or(now).max(now);
        let quiet_until = policy_gate::quiet_wait(&policy, req.category, start);
        if let Some(end) = quiet_until {
            start = end;
        }
        // ---- end of policy block ----
        let expires_at = match req.expires_at {
            Some(at) => at,
            None => {
                let validity = req.validity.unwrap_or(self.inner.default_validity);
                start.saturating_add(i64::try_from(validity.as_millis()).unwrap_or(i64::MAX))
            }
        };
        if expires_at <= start {
            return Err(SendError::ExpiresBeforeSend);
        }
        let (mut outcomes, mut recipients, used) = self.plan(&req, &text, References::Allocate);
        // ---- messaging policy: sensitive words, then per-recipient skips ----
        let link_words: Vec<LinkWords<'_>> = used
            .iter()
            .map(|l| LinkWords {
                link: &l.name,
                mode: l.sensitive,
                words: self.inner.link_words.get(&l.name).map(AsRef::as_ref),
            })
            .collect();
        let hold = match policy_gate::judge_words(&policy, &text, &link_words) {
            WordVerdict::Clear => None,
            WordVerdict::Hold(hit) => Some(hit),
            WordVerdict::Refuse(hit, link) => {
                self.inner.counters.refused("sensitive_word");
                return Err(SendError::SensitiveWord { hit, link });
            }
        };
        let marketing = req.category == Category::Marketing;
        let day = crate::policy::day::china_day_start(start);
        let hash = policy_gate::text_hash(&text);
        // Held across the caps read and the enqueue (marketing only; see `Inner`).
        let _one_at_a_time = if marketing {
            Some(self.inner.marketing.lock().await)
        } else {
            None
        };
        let mut skips: Vec<SkippedRecipient> = outcomes
            .iter()
            .filter_map(|o| match o {
                RecipientOutcome::Skipped { number, reason, .. } => Some(SkippedRecipient {
                    number: number.clone(),
                    reason: reason.as_str().to_owned(),
                }),
                _ => None,
            })
            .collect();
        if marketing {
            if let Some(key) = &req.idempotency_key {
                // A retry: the first request's skips and counts stand (checked again, the
                // caps it used itself would skip everyone and the job would differ).
                if let Some(job_id) = self.inner.store.job_by_idempotency_key(key.clone()).await? {
                    return self
                        .repeated_marketing(job_id, key.clone(), &text, &req, outcomes)
                        .await;
                }
            }
        }
        if marketing && !recipients.is_empty() {
            let numbers: Vec<String> = recipients.iter().map(|r| r.number.clone()).collect();
            let opted_out = self.inner.store.opted_out_among(numbers.clone()).await?;
            let today = self.inner.store.daily_counts(numbers, day, hash).await?;
            let mut dropped = std::collections::HashMap::new();
            for r in &recipients {
                let sent = today.get(&r.number).copied().unwrap_or_default();
                let sent = SentToday {
                    marketing: sent.marketing,
                    identical: sent.identical,
                };
                if let Some(reason) = policy_gate::skip_reason(
                    &policy,
                    req.category,
                    opted_out.contains(&r.number),
                    sent,
                ) {
                    dropped.insert(r.number.clone(), reason);
                }
            }
            if !dropped.is_empty() {
                recipients.retain(|r| !dropped.contains_key(&r.number));
                for o in &mut outcomes {
                    if let RecipientOutcome::Accepted {
                        index,
                        input,
                        number,
                        ..
                    } = o
                    {
                        if let Some(reason) = dropped.get(number.as_str()) {
                            skips.push(SkippedRecipient {
                                number: number.clone(),
                                reason: reason.as_str().to_owned(),
                            });
                            *o = RecipientOutcome::Skipped {
                                index: *index,
                                input: std::mem::take(input),
                                number: std::mem::take(number),
                                reason: *reason,
                            };
                        }
                    }
                }
            }
        }
        for s in &skips {
            self.inner.counters.skipped(&s.reason, 1);
        }
        // ---- end of policy block ----
        if recipients.is_empty() {
            return Ok(SendOutcome {
                job: None,
                recipients: outcomes,
            });
        }
        let carriers: Vec<Carrier> = outcomes
            .iter()
            .filter_map(|o| match o {
                RecipientOutcome::Accepted { via, .. } => Some(*via),
                _ => None,
            })
            .collect();
        let sent_text = used
            .first()
            .map(|l| policy_gate::composed(l, req.signature.as_deref(), &text));
        let job_policy = JobPolicy {
            category: req.category.as_str().to_owned(),
            sent_text,
            hold_reason: hold.as_ref().map(|h| {
                format!(
                    "sensitive_word {:?} at characters {}..{}",
                    h.word, h.start, h.end
                )
            }),
            wait_reason: quiet_until.map(|_| crate::store::QUIET_HOURS.to_owned()),
            skips,
            count: marketing.then_some((day, hash)),
        };
        let poll = replies::target(&req);
        let job = NewJob {
            sender: req.sender,
            idempotency_key: req.idempotency_key,
            priority: req.priority,
            text,
            signature: req.signature.unwrap_or_default(),
            source_ext: req.source_ext,
            send_at: quiet_until.or(req.send_at.filter(|&t| t > now)),
            expires_at: Some(expires_at),
            recipients,
        };
        let enqueued = match poll {
            None => {
                self.inner
                    .store
                    .enqueue_with_policy(job.clone(), job_policy, now)
                    .await
            }
            Some(target) => {
                let lengths = replies::lengths(&job.recipients, |carrier| {
                    let plan = self.inner.plans.iter().find(|(c, _)| c.name() == carrier);
                    plan.and_then(|(_, p)| p.link_for(req.category))
                        .map(|l| l.extension_length)
                });
                let store = &self.inner.store;
                store
                    .enqueue_with_replies(
                        job.clone(),
                        target,
                        lengths,
                        now,
                        self.inner.quarantine,
                        job_policy,
                    )
                    .await
                    .map(|(out, _poll)| out)
            }
        };
        let outcome = match enqueued {
            Ok(o) => o,
            Err(StoreError::IdempotencyConflict { key, job_id }) => {
                self.repeated(&job, key, job_id).await?
            }
            Err(e) => return Err(e.into()),
        };
        if hold.is_some() && outcome.created {
            self.inner.counters.held("sensitive_word");
        }
        tracing::info!(
            job = outcome.job_id,
            created = outcome.created,
            recipients = carriers.len(),
            category = req.category.as_str(),
            held = hold.is_some(),
            state = %outcome.state,
            "job accepted"
        );
        self.inner.changes.bump();
        for c in carriers {
            for n in self.inner.wake.get(&c).into_iter().flatten() {
                n.notify_one();
            }
        }
        Ok(SendOutcome {
            job: Some(outcome),
            recipients: outcomes,
        })
    }

    /// A repeated idempotency key whose stored job differs from `job` only in what the
    /// submitter derives per call (expiry from "now", a fresh concatenation reference):
    /// the same request, so the first job is the answer. Anything the caller sent that
    /// differs (text, signature, extension, priority, numbers) is a real conflict.
    async fn repeated(
        &self,
        job: &NewJob,
        key: String,
        job_id: i64,
    ) -> Result<EnqueueOutcome, SendError> {
        let conflict = || StoreError::IdempotencyConflict {
            key: key.clone(),
            job_id,
        };
        let Some(stored) = self.inner.store.job_status(job_id).await? else {
            return Err(conflict().into());
        };
        let same = stored.text == job.text
            && stored.signature == job.signature
            && stored.source_ext == job.source_ext
            && stored.priority == job.priority
            && stored
                .recipients
                .iter()
                .map(|r| r.number.as_str())
                .eq(job.recipients.iter().map(|r| r.number.as_str()));
        if !same {
            return Err(conflict().into());
        }
        Ok(EnqueueOutcome {
            job_id,
            created: false,
            state: stored.state,
        })
    }

    /// A repeated idempotency key of a marketing request: the stored job is the answer
    /// when its text (as sent) and signature are this request's, with each recipient it
    /// skipped marked so again; otherwise a conflict.
    async fn repeated_marketing(
        &self,
        job_id: i64,
        key: String,
        text: &str,
        req: &SendRequest,
        mut outcomes: Vec<RecipientOutcome>,
    ) -> Result<SendOutcome, SendError> {
        let conflict = || StoreError::IdempotencyConflict {
            key: key.clone(),
            job_id,
        };
        let (Some(stored), Some(policy)) = (
            self.inner.store.job_status(job_id).await?,
            self.inner.store.job_policy(job_id).await?,
        ) else {
            return Err(conflict().into());
        };
        if stored.text != text
            || stored.signature != req.signature.clone().unwrap_or_default()
            || policy.category != req.category.as_str()
        {
            return Err(conflict().into());
        }
        let skipped: HashMap<&str, SkipReason> = policy
            .skipped
            .iter()
            .filter_map(|s| Some((s.number.as_str(), s.reason.parse().ok()?)))
            .collect();
        for o in &mut outcomes {
            if let RecipientOutcome::Accepted {
                index,
                input,
                number,
                ..
            } = o
            {
                if let Some(reason) = skipped.get(number.as_str()) {
                    *o = RecipientOutcome::Skipped {
                        index: *index,
                        input: std::mem::take(input),
                        number: std::mem::take(number),
                        reason: *reason,
                    };
                }
            }
        }
        Ok(SendOutcome {
            job: Some(EnqueueOutcome {
                job_id,
                created: false,
                state: stored.state,
            }),
            recipients: outcomes,
        })
    }

    /// The first configured link serving `carrier` that takes `category`: the one its
    /// messages are planned with.
    pub(super) fn link_for(&self, carrier: Carrier, category: Category) -> Option<&config::Link> {
        self.inner
            .plans
            .get(&carrier)
            .and_then(|p| p.link_for(category))
    }

    /// The text as sent for `req` under the policy in effect (the opt-out suffix on
    /// marketing): what a preview counts.
    pub(super) fn text_as_sent(&self, req: &SendRequest) -> String {
        policy_gate::text_as_sent(&self.inner.policy.current(), req.category, &req.text)
    }

    /// Routes and counts every recipient of `text` (the text as sent): the per-item
    /// outcomes, the recipients to store, and the links they will go through.
    pub(super) fn plan(
        &self,
        req: &SendRequest,
        text: &str,
        references: References,
    ) -> (Vec<RecipientOutcome>, Vec<NewRecipient>, Vec<&config::Link>) {
        let mut used: Vec<&config::Link> = Vec::new();
        let batch = self.router().route_many(&req.recipients);
        let mut outcomes: Vec<RecipientOutcome> = Vec::with_capacity(req.recipients.len());
        let mut recipients = Vec::with_capacity(batch.routes.len());
        for r in batch.rejected {
            outcomes.push(RecipientOutcome::Rejected {
                index: r.index,
                input: r.input,
                code: r.error.code().to_owned(),
                reason: r.error.to_string(),
            });
        }
        for d in batch.duplicates {
            outcomes.push(RecipientOutcome::Duplicate {
                index: d.index,
                input: d.input,
                first: d.first,
            });
        }
        let signature = req.signature.as_deref();
        let mut counts: HashMap<Carrier, Result<u8, LinkTextError>> = HashMap::new();
        let clock = Instant::now();
        for routed in batch.routes {
            let mut route = routed.route;
            if let Some(via) = req.via {
                route.via = via;
            }
            let input = req
                .recipients
                .get(routed.index)
                .cloned()
                .unwrap_or_default();
            let reject = |code: &str, reason: String| RecipientOutcome::Rejected {
                index: routed.index,
                input: input.clone(),
                code: code.to_owned(),
                reason,
            };
            let Some(plan) = self.inner.plans.get(&route.via) else {
                outcomes.push(reject(
                    "no_link",
                    format!("no link for {} numbers", route.via.full_name()),
                ));
                continue;
            };
            let Some(link) = plan.link_for(req.category) else {
                outcomes.push(RecipientOutcome::Skipped {
                    index: routed.index,
                    input: input.clone(),
                    number: route.msisdn.as_str().to_owned(),
                    reason: SkipReason::NoLinkForCategory,
                });
                continue;
            };
            let count = counts
                .entry(route.via)
                .or_insert_with(|| count(link, text, signature))
                .clone();
            let segments = match count {
                Ok(n) => n,
                Err(reason) => {
                    outcomes.push(reject("text", reason.to_string()));
                    continue;
                }
            };
            if let Some(reason) = replies::link_refuses_replies(req, link) {
                outcomes.push(reject("replies", reason));
                continue;
            }
            if let Some(ext) = &req.source_ext {
                let reserved = usize::from(link.extension_length);
                if !req.extension_allocated && reserved > 0 && ext.len() == reserved {
                    // The reply router reads service code + this many digits as an
                    // approval's or reminder's extension: a reply to this message from
                    // someone who also holds that item would be taken as their answer.
                    outcomes.push(reject(
                        "extension",
                        format!(
                            "{ext}: extensions of {reserved} digits are the ones this link hands \
                             to approvals and reminders for their replies \
                             (extension_length); use another length"
                        ),
                    ));
                    continue;
                }
                if link.service_code.len() + ext.len() > 20 {
                    outcomes.push(reject(
                        "extension",
                        format!(
                            "service code {} plus extension {ext} is longer than 20 digits",
                            link.service_code
                        ),
                    ));
                    continue;
                }
            }
            let number = route.msisdn.as_str().to_owned();
            let reference = if segments > 1 && references == References::Allocate {
                match self.reference(route.via, link, &number, clock) {
                    Ok(r) => Some(r),
                    Err(reason) => {
                        outcomes.push(reject("reference", reason.to_string()));
                        continue;
                    }
                }
            } else {
                None
            };
            if !used.iter().any(|l| l.name == link.name) {
                used.push(link);
            }
            recipients.push(NewRecipient {
                number: number.clone(),
                carrier: route.via.name().to_owned(),
                segments,
                reference,
            });
            outcomes.push(RecipientOutcome::Accepted {
                index: routed.index,
                input,
                number,
                carrier: route.carrier,
                via: route.via,
                segments,
            });
        }
        outcomes.sort_by_key(RecipientOutcome::index);
        (outcomes, recipients, used)
    }

    fn reference(
        &self,
        carrier: Carrier,
        link: &config::Link,
        number: &str,
        now: Instant,
    ) -> Result<u16, ReferenceError> {
        let mut all = self
            .inner
            .references
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let alloc = all.entry(carrier).or_insert_with(|| {
            ReferenceAllocator::new(ReferenceConfig {
                wide: link.udh == 16,
                ..ReferenceConfig::default()
            })
        });
        alloc.allocate(number, now)
    }
}

/// Whether [`Submitter::plan`] hands out concatenation references: a send does; a
/// preview must not use up the carrier's reference space for messages never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum References {
    /// Allocate one per long message (a send).
    Allocate,
    /// Leave them unset (a preview).
    Skip,
}

/// Segments `text` takes on `link`, or why it cannot go.
fn count(link: &config::Link, text: &str, signature: Option<&str>) -> Result<u8, LinkTextError> {
    let n = measure(link, text, signature)?.segments;
    u8::try_from(n).map_err(|_| LinkTextError::Over255(n))
}

/// What the submitter applies the messaging policy with.
#[derive(Debug, Clone, Default)]
pub struct SendPolicy {
    /// The policy in force (replaced on reload).
    pub policy: PolicyHandle,
    /// Where "now" comes from for quiet hours, the China day and the times stored.
    pub clock: Clock,
    /// Each link's own sensitive-word list (`[[link]] sensitive_words`), by link name.
    pub link_words: HashMap<String, Arc<WordList>>,
    /// Skips, refusals and holds counted by reason (for `/metrics`).
    pub counters: Arc<PolicyCounters>,
}
