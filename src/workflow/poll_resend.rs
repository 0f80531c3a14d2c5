//! Asking again those who have not answered a poll: [`resend_unanswered`] sends the
//! poll's text (or a new one) to the recipients of the asking job without an attributed
//! reply, as a **new job for the same poll** — the same extension on each carrier, the
//! same options — so an answer to it counts in the original poll.
//!
//! Retrying with the same idempotency key returns the first resend, even when someone
//! answered in between (the key is looked up before the list is made, so the retry is
//! not refused for naming fewer numbers). Keys are kept apart per poll: the same key
//! on another poll's resend is another resend.

use serde::Serialize;

use crate::dispatch::{RecipientOutcome, SendError, SendRequest, Submitter};
use crate::store::{JobId, PollRead, Priority, ResendBasis, StoreError, now_millis};

/// A resend to a poll's unanswered recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendUnanswered {
    /// The job that asked (or one of its resends: the poll is the same).
    pub job_id: JobId,
    /// A text instead of the asking job's.
    pub text: Option<String>,
    /// A second request with the same key returns the first resend.
    pub idempotency_key: Option<String>,
}

/// What [`resend_unanswered`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResendOutcome {
    /// The new job (or the earlier one, for a repeated key).
    pub job_id: JobId,
    /// The job whose poll its answers count in.
    pub poll_job_id: JobId,
    /// False when the idempotency key named an earlier resend, which this is.
    pub created: bool,
    /// Recipients who had not answered, asked again.
    pub recipients: u64,
    /// Of them, accepted into the job (a number whose link went away is rejected).
    pub accepted: u64,
}

/// Why nothing was resent.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    /// No job with that id.
    #[error("no such job")]
    NoJob,
    /// The job did not ask for replies.
    #[error("the job asked for no replies")]
    NotAsked,
    /// The poll is closed: answers would not count.
    #[error("the poll is closed")]
    Closed,
    /// Everyone has answered.
    #[error("every recipient has answered")]
    AllAnswered,
    /// The text given is empty.
    #[error("is empty")]
    EmptyText,
    /// No recipient could be accepted (their links went away); each one's reason.
    #[error("no recipient could be accepted")]
    NoneAccepted(Vec<RecipientOutcome>),
    /// The submitter refused the job.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends the poll of `req.job_id` again to its recipients without an attributed reply
/// (see the [module docs](self)).
pub async fn resend_unanswered(
    submitter: &Submitter,
    req: ResendUnanswered,
) -> Result<ResendOutcome, ResendError> {
    if req.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ResendError::EmptyText);
    }
    let store = submitter.store();
    let key = match (&req.idempotency_key, store.job_poll_id(req.job_id).await?) {
        (_, None) => return Err(ResendError::NoJob),
        (_, Some(None)) => return Err(ResendError::NotAsked),
        (Some(k), Some(Some(poll))) => Some(format!("resend-unanswered:{poll}:{k}")),
        (None, Some(Some(_))) => None,
    };
    let basis = match store
        .poll_resend_basis(req.job_id, key.clone(), now_millis())
        .await?
    {
        PollRead::Found(b) => b,
        PollRead::NoJob => return Err(ResendError::NoJob),
        PollRead::NotAsked => return Err(ResendError::NotAsked),
    };
    let (poll_id, asking_job, text, signature, priority, numbers) = match basis {
        ResendBasis::Earlier {
            job_id, recipients, ..
        } => {
            let poll_job_id = match store.poll_of_job(job_id).await? {
                Some(p) => p.job_id,
                None => req.job_id,
            };
            return Ok(ResendOutcome {
                job_id,
                poll_job_id,
                created: false,
                recipients,
                accepted: recipients,
            });
        }
        ResendBasis::New { closed: true, .. } => return Err(ResendError::Closed),
        ResendBasis::New { numbers, .. } if numbers.is_empty() => {
            return Err(ResendError::AllAnswered);
        }
        ResendBasis::New {
            poll_id,
            asking_job,
            text,
            signature,
            priority,
            numbers,
            ..
        } => (poll_id, asking_job, text, signature, priority, numbers),
    };
    let asked = numbers.len() as u64;
    let send = SendRequest {
        signature,
        priority: Priority::from_code(priority)?,
        idempotency_key: key,
        poll: Some(poll_id),
        ..SendRequest::new(numbers, req.text.unwrap_or(text))
    };
    let out = submitter.send(send).await?;
    let Some(job) = out.job else {
        return Err(ResendError::NoneAccepted(out.recipients));
    };
    Ok(ResendOutcome {
        job_id: job.job_id,
        poll_job_id: asking_job,
        created: job.created,
        recipients: asked,
        accepted: out.accepted() as u64,
    })
}
