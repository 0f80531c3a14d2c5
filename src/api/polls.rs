//! The results of a send that asked for replies: `GET /v1/messages/{id}/replies`
//! (paged, `?option=`, `?answered=`), `GET /v1/messages/{id}/replies.csv` (the same
//! rows for Excel, see `polls_csv.rs`), `GET /v1/messages/{id}/tally`, and
//! `POST /v1/messages/{id}/resend-unanswered` (the poll again to those who have not
//! answered: a new job from the same reply number, whose answers count in this poll).
//!
//! A job sent without `replies` has nothing attributed to it: these routes answer 404
//! `no_replies` and point to the inbox, where replies to it can still be found.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, QueryOf, reply};
use super::error::ApiError;
use super::listing;
use super::polls_csv;
use super::state::AppState;
use crate::store::{JobId, PollRead, ReplyFilter, Window};
use crate::workflow::poll_resend::{ResendError, ResendUnanswered, resend_unanswered};

/// `GET /v1/messages/{id}/replies` (and `.csv`) parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct RepliesQuery {
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only rows older than this one (the `next_before` of the previous page).
    #[serde(default)]
    pub before: Option<i64>,
    /// Only those whose counted answer is this option key.
    #[serde(default)]
    pub option: Option<String>,
    /// `true`: each answering recipient's counted answer; `false`: the recipients who
    /// have not answered.
    #[serde(default)]
    pub answered: Option<bool>,
}

/// What the filters of a replies request ask for.
enum Asked {
    /// Attributed replies (all, by option, or one per recipient).
    Replies(ReplyFilter),
    /// The recipients without an attributed reply.
    Unanswered,
}

fn asked(q: &RepliesQuery) -> Result<Asked, ApiError> {
    let option = q
        .option
        .as_deref()
        .map(str::trim)
        .map(|o| {
            if o.is_empty() {
                Err(ApiError::invalid("option", "is empty"))
            } else {
                Ok(o.to_owned())
            }
        })
        .transpose()?;
    match (q.answered, option) {
        (Some(false), Some(_)) => Err(ApiError::invalid(
            "answered",
            "false lists those who have not answered, so it cannot go with option",
        )),
        (Some(false), None) => Ok(Asked::Unanswered),
        (answered, option) => Ok(Asked::Replies(ReplyFilter {
            counted_only: answered == Some(true) || option.is_some(),
            option,
        })),
    }
}

/// 404 for a job that does not exist or did not ask for replies.
fn missing<T>(id: JobId, read: PollRead<T>) -> Result<T, ApiError> {
    match read {
        PollRead::Found(v) => Ok(v),
        PollRead::NoJob => Err(ApiError::not_found("message job", id)),
        PollRead::NotAsked => Err(not_asked(id)),
    }
}

fn not_asked(id: JobId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_replies",
        format!(
            "job {id} was sent without replies: nothing is attributed to it \
             (replies to it are in /v1/inbox?job={id})"
        ),
    )
}

pub async fn replies(
    State(st): State<AppState>,
    Id(id): Id,
    QueryOf(q): QueryOf<RepliesQuery>,
) -> Result<Response, ApiError> {
    let window = listing::window(q.limit, q.before, 100, 1000)?;
    match asked(&q)? {
        Asked::Replies(filter) => {
            let page = missing(id, st.store.poll_replies_page(id, filter, window).await?)?;
            Ok(reply(
                StatusCode::OK,
                &json!({ "job_id": id, "replies": page.items, "next_before": page.next_before }),
            ))
        }
        Asked::Unanswered => {
            let page = missing(id, st.store.poll_unanswered(id, window).await?)?;
            Ok(reply(
                StatusCode::OK,
                &json!({ "job_id": id, "recipients": page.items, "next_before": page.next_before }),
            ))
        }
    }
}

/// `GET /v1/messages/{id}/replies.csv` parameters: the filters of the JSON list, no page.
#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    /// Only those whose counted answer is this option key.
    #[serde(default)]
    pub option: Option<String>,
    /// As for the JSON list.
    #[serde(default)]
    pub answered: Option<bool>,
}

pub async fn replies_csv(
    State(st): State<AppState>,
    Id(id): Id,
    QueryOf(q): QueryOf<CsvQuery>,
) -> Result<Response, ApiError> {
    let q = RepliesQuery {
        limit: None,
        before: None,
        option: q.option,
        answered: q.answered,
    };
    let all = Window {
        before: None,
        limit: usize::MAX,
    };
    let (bytes, what) = match asked(&q)? {
        Asked::Replies(filter) => {
            let page = missing(id, st.store.poll_replies_page(id, filter, all).await?)?;
            (polls_csv::replies(&page.items), "replies")
        }
        Asked::Unanswered => {
            let page = missing(id, st.store.poll_unanswered(id, all).await?)?;
            (polls_csv::unanswered(&page.items), "unanswered")
        }
    };
    let mut resp = (StatusCode::OK, bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"job-{id}-{what}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

pub async fn tally(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let tally = missing(
        id,
        st.store.poll_tally(id, crate::store::now_millis()).await?,
    )?;
    Ok(reply(StatusCode::OK, &tally))
}

/// `POST /v1/messages/{id}/resend-unanswered`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendBody {
    /// A text instead of the original.
    #[serde(default)]
    pub text: Option<String>,
    /// Retrying with the same key returns the first resend.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

pub async fn resend(
    State(st): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ResendBody>,
) -> Result<Response, ApiError> {
    let key = body.idempotency_key.or_else(|| {
        headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
    });
    let out = resend_unanswered(
        &st.submitter,
        ResendUnanswered {
            job_id: id,
            text: body.text,
            idempotency_key: key,
        },
    )
    .await
    .map_err(|e| resend_error(id, e))?;
    tracing::info!(
        job = id,
        resend = out.job_id,
        recipients = out.recipients,
        created = out.created,
        "API resend to the unanswered"
    );
    let status = if out.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok(reply(status, &out))
}

fn resend_error(id: JobId, e: ResendError) -> ApiError {
    match e {
        ResendError::NoJob => ApiError::not_found("message job", id),
        ResendError::NotAsked => not_asked(id),
        ResendError::Closed => ApiError::new(
            StatusCode::CONFLICT,
            "poll_closed",
            format!("job {id}'s poll is closed: answers to it would not count"),
        ),
        ResendError::AllAnswered => ApiError::new(
            StatusCode::CONFLICT,
            "all_answered",
            format!("every recipient of job {id} has answered: nobody to ask again"),
        ),
        ResendError::EmptyText => ApiError::invalid("text", "is empty"),
        ResendError::NoneAccepted(outcomes) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_valid_recipient",
            "no recipient could be accepted; see details for each one's reason",
        )
        .with_details(json!({ "recipients": outcomes })),
        ResendError::Send(e) => e.into(),
        ResendError::Store(e) => e.into(),
    }
}
