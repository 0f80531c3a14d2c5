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
use crate::config::{self, Config};
use crate::route::{Carrier, Router};
use crate::store::{
    CancelOutcome, EnqueueOutcome, Millis, NewJob, NewRecipient, Priority, StoreError, StoreHandle,
    now_millis,
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
    /// The daemon is shutting down and takes no new jobs.
    #[error("hongyan is shutting down")]
    ShuttingDown,
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How one carrier's messages are planned: the config of the (first) link serving it.
#[derive(Debug)]
struct CarrierPlan {
    link: config::Link,
}

#[derive(Debug)]
struct Inner {
    store: StoreHandle,
    /// Swapped whole when `[routing]` or its portability file is reloaded (SIGHUP); each
    /// request routes all its numbers with the one it took at the start.
    router: RwLock<Arc<Router>>,
    plans: HashMap<Carrier, CarrierPlan>,
    default_validity: Duration,
    /// `api.max_recipients`.
    max_recipients: usize,
    /// One allocator per carrier (their UDH widths may differ).
    references: Mutex<HashMap<Carrier, ReferenceAllocator>>,
    /// Dispatchers to wake per carrier.
    wake: HashMap<Carrier, Vec<Arc<Notify>>>,
    changes: Changes,
    closed: AtomicBool,
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
        let mut plans = HashMap::new();
        for link in &config.links {
            plans
                .entry(link.carrier())
                .or_insert_with(|| CarrierPlan { link: link.clone() });
        }
        Self {
            inner: Arc::new(Inner {
                store,
                router: RwLock::new(Arc::new(router)),
                plans,
                default_validity: config.queue.default_validity,
                max_recipients: config.api.max_recipients,
                references: Mutex::new(HashMap::new()),
                wake,
                changes,
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Refuse new requests from now on ([`SendError::ShuttingDown`]).
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
    }

    /// Cancels a job whose messages have not gone out yet.
    pub async fn cancel(&self, job_id: i64) -> Result<CancelOutcome, SendError> {
        let out = self.inner.store.cancel(job_id, now_millis()).await?;
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
        let now = now_millis();
        let start = req.send_at.unwrap_or(now).max(now);
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
        let (outcomes, recipients) = self.plan(&req, References::Allocate);
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
        let job = NewJob {
            sender: req.sender,
            idempotency_key: req.idempotency_key,
            priority: req.priority,
            text: req.text,
            signature: req.signature.unwrap_or_default(),
            source_ext: req.source_ext,
            send_at: req.send_at.filter(|&t| t > now),
            expires_at: Some(expires_at),
            recipients,
        };
        let outcome = match self.inner.store.enqueue(job.clone(), now).await {
            Ok(o) => o,
            Err(StoreError::IdempotencyConflict { key, job_id }) => {
                self.repeated(&job, key, job_id).await?
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(
            job = outcome.job_id,
            created = outcome.created,
            recipients = carriers.len(),
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

    /// The first configured link serving `carrier`: the one its messages are planned with.
    pub(super) fn link_for(&self, carrier: Carrier) -> Option<&config::Link> {
        self.inner.plans.get(&carrier).map(|p| &p.link)
    }

    /// Routes and counts every recipient: the per-item outcomes, and the recipients to
    /// store. [`Submitter::preview`] calls it too (with [`References::Skip`]), so a
    /// preview decides each recipient exactly as a send would.
    pub(super) fn plan(
        &self,
        req: &SendRequest,
        references: References,
    ) -> (Vec<RecipientOutcome>, Vec<NewRecipient>) {
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
            let count = counts
                .entry(route.via)
                .or_insert_with(|| count(&plan.link, &req.text, signature))
                .clone();
            let segments = match count {
                Ok(n) => n,
                Err(reason) => {
                    outcomes.push(reject("text", reason.to_string()));
                    continue;
                }
            };
            if let Some(ext) = &req.source_ext {
                let reserved = usize::from(plan.link.extension_length);
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
                if plan.link.service_code.len() + ext.len() > 20 {
                    outcomes.push(reject(
                        "extension",
                        format!(
                            "service code {} plus extension {ext} is longer than 20 digits",
                            plan.link.service_code
                        ),
                    ));
                    continue;
                }
            }
            let number = route.msisdn.as_str().to_owned();
            let reference = if segments > 1 && references == References::Allocate {
                match self.reference(route.via, &plan.link, &number, clock) {
                    Ok(r) => Some(r),
                    Err(reason) => {
                        outcomes.push(reject("reference", reason.to_string()));
                        continue;
                    }
                }
            } else {
                None
            };
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
        (outcomes, recipients)
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
