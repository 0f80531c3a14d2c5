//! Sending one text to whole groups: [`group_send`] resolves the groups to their distinct
//! numbers in the store and hands them to the [`Submitter`] as **one** bulk job, so a
//! contact in several of the groups gets the message once, and every recipient has its
//! own outcome and delivery state. [`send_draft`] does the same from a stored draft;
//! [`group_send_progress`] reads how far the job is.

use serde::{Deserialize, Serialize};

use crate::dispatch::{RecipientOutcome, SendError, SendRequest, Submitter};
use crate::store::{
    DeliveryState, JobId, JobState, Millis, Priority, StateCounts, StoreError, StoreHandle,
};

/// A message to everyone in some groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSend {
    /// Group names; a contact in several of them gets one message.
    pub groups: Vec<String>,
    /// The text, without signature.
    pub text: String,
    /// A signature instead of the link's (e.g. `【行政部】`).
    pub signature: Option<String>,
    /// Not before this time (unix ms); `None` (or a time past) sends now.
    pub send_at: Option<Millis>,
    /// A second request with the same key returns the first job.
    pub idempotency_key: Option<String>,
}

/// What [`group_send`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSendOutcome {
    /// The job, when at least one number was accepted.
    pub job_id: Option<JobId>,
    /// False when the idempotency key named an earlier job, which is the answer.
    pub created: bool,
    /// Distinct numbers in the groups.
    pub recipients: usize,
    /// Numbers accepted into the job.
    pub accepted: usize,
    /// One entry per distinct number, in contact order: accepted, or rejected with the
    /// reason (a carrier without a link, a text a link cannot carry, …).
    pub outcomes: Vec<RecipientOutcome>,
}

/// Why a group send was refused as a whole; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum GroupSendError {
    /// No group was named.
    #[error("no group given")]
    NoGroups,
    /// Some named groups do not exist (listed once each, in request order).
    #[error("unknown group{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    UnknownGroups(Vec<String>),
    /// The groups exist but have no contacts.
    #[error("the group(s) {} have no contacts", .0.join(", "))]
    NoMembers(Vec<String>),
    /// No draft with that id.
    #[error("draft {0} not found")]
    DraftNotFound(i64),
    /// The submitter refused the job (empty text, shutting down, …).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends `req.text` to the distinct numbers of `req.groups` as one bulk job (see the
/// [module docs](self)). Unknown groups refuse the whole send; numbers that cannot be
/// sent to are rejected one by one in the outcome while the others go.
pub async fn group_send(
    submitter: &Submitter,
    req: GroupSend,
) -> Result<GroupSendOutcome, GroupSendError> {
    if req.groups.iter().all(|g| g.trim().is_empty()) {
        return Err(GroupSendError::NoGroups);
    }
    if req.text.is_empty() {
        return Err(SendError::EmptyText.into());
    }
    let (numbers, unknown) = submitter.store().group_numbers(req.groups.clone()).await?;
    if !unknown.is_empty() {
        return Err(GroupSendError::UnknownGroups(unknown));
    }
    if numbers.is_empty() {
        return Err(GroupSendError::NoMembers(req.groups));
    }
    let recipients = numbers.len();
    let send = SendRequest {
        signature: req.signature,
        priority: Priority::Bulk,
        send_at: req.send_at,
        idempotency_key: req.idempotency_key,
        ..SendRequest::new(numbers, req.text)
    };
    let out = submitter.send(send).await?;
    let accepted = out.accepted();
    tracing::info!(
        groups = ?req.groups,
        recipients,
        accepted,
        job = out.job.map(|j| j.job_id),
        "group send"
    );
    Ok(GroupSendOutcome {
        job_id: out.job.map(|j| j.job_id),
        created: out.job.is_some_and(|j| j.created),
        recipients,
        accepted,
        outcomes: out.recipients,
    })
}

/// Sends draft `id` as [`group_send`] would (its groups, text, signature and send time).
/// The draft stays; `idempotency_key` guards against sending it twice by accident.
pub async fn send_draft(
    submitter: &Submitter,
    id: i64,
    idempotency_key: Option<String>,
) -> Result<GroupSendOutcome, GroupSendError> {
    let draft = submitter
        .store()
        .draft_get(id)
        .await?
        .ok_or(GroupSendError::DraftNotFound(id))?;
    if !draft.numbers.is_empty() {
        return draft_with_numbers(submitter, draft, idempotency_key).await;
    }
    group_send(
        submitter,
        GroupSend {
            groups: draft.groups,
            text: draft.text,
            signature: draft.signature,
            send_at: draft.send_at,
            idempotency_key,
        },
    )
    .await
}

/// A draft that names numbers besides (or instead of) groups: sent as the console's
/// compose would send it, one job for the numbers and the groups' members together.
async fn draft_with_numbers(
    submitter: &Submitter,
    draft: crate::store::DraftView,
    idempotency_key: Option<String>,
) -> Result<GroupSendOutcome, GroupSendError> {
    use super::compose::{self, Compose, ComposeError};
    let c = Compose {
        numbers: draft.numbers.join("\n"),
        groups: draft.groups,
        text: draft.text,
        signature: draft.signature,
        send_at: draft.send_at,
        idempotency_key,
        sender: None,
    };
    let req = compose::request(submitter.store(), &c)
        .await
        .map_err(|e| match e {
            ComposeError::UnknownGroups(g) => GroupSendError::UnknownGroups(g),
            ComposeError::Send(s) => GroupSendError::Send(s),
            ComposeError::Store(s) => GroupSendError::Store(s),
        })?;
    let recipients = req.recipients.len();
    let out = submitter.send(req).await?;
    Ok(GroupSendOutcome {
        job_id: out.job.map(|j| j.job_id),
        created: out.job.is_some_and(|j| j.created),
        recipients,
        accepted: out.accepted(),
        outcomes: out.recipients,
    })
}

/// One recipient of a group send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientProgress {
    /// 11-digit number.
    pub number: String,
    /// Its delivery state.
    pub state: DeliveryState,
    /// The last error seen on any of its parts.
    pub last_error: Option<String>,
}

/// How far a group send is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSendProgress {
    /// The job.
    pub job_id: JobId,
    /// Its state.
    pub state: JobState,
    /// Recipients.
    pub total: usize,
    /// Recipients whose state is final (delivered, failed, expired, unconfirmed,
    /// cancelled, unreported).
    pub done: usize,
    /// Recipients per state.
    pub counts: StateCounts,
    /// Recipients in job order: all, or one page of them.
    pub recipients: Vec<RecipientProgress>,
    /// The recipient id after which the next page starts; `None`: this was the last.
    pub next_after: Option<i64>,
}

/// The progress of job `job_id` with every recipient, `None` if there is no such job.
pub async fn group_send_progress(
    store: &StoreHandle,
    job_id: JobId,
) -> Result<Option<GroupSendProgress>, StoreError> {
    group_send_progress_page(store, job_id, None, usize::MAX).await
}

/// The progress of job `job_id` with one page of its recipients: those after recipient
/// `after`, at most `limit` (totals and counts cover them all); `None` if there is no
/// such job.
pub async fn group_send_progress_page(
    store: &StoreHandle,
    job_id: JobId,
    after: Option<i64>,
    limit: usize,
) -> Result<Option<GroupSendProgress>, StoreError> {
    let Some((st, next_after)) = store.job_status_page(job_id, after, limit).await? else {
        return Ok(None);
    };
    let recipients: Vec<RecipientProgress> = st
        .recipients
        .into_iter()
        .map(|r| RecipientProgress {
            number: r.number,
            state: r.state,
            last_error: r.last_error,
        })
        .collect();
    let done = DeliveryState::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| st.counts.get(*s))
        .sum::<u64>();
    Ok(Some(GroupSendProgress {
        job_id: st.job_id,
        state: st.state,
        total: usize::try_from(st.counts.total()).unwrap_or(usize::MAX),
        done: usize::try_from(done).unwrap_or(usize::MAX),
        counts: st.counts,
        recipients,
        next_after,
    }))
}
