//! `/v1/inbox`: inbound messages with their route and unread state, filtered by
//! sender, job, item and time, paged by `before`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, QueryOf, reply};
use super::error::ApiError;
use super::listing;
use super::state::AppState;
use crate::store::lists::spellings;
use crate::store::{InboxFilter, JobReplies};

/// `GET /v1/inbox` parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    /// Only messages nobody has marked read.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only messages older than this one (the `next_before` of the previous page).
    #[serde(default)]
    pub before: Option<i64>,
    /// Only from this number.
    #[serde(default)]
    pub sender: Option<String>,
    /// Only replies to this job.
    #[serde(default)]
    pub job: Option<i64>,
    /// Only replies matched to this approval step or reminder.
    #[serde(default)]
    pub item: Option<i64>,
    /// Arrived at or after (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Arrived before (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<InboxQuery>,
) -> Result<Response, ApiError> {
    let window = listing::window(q.limit, q.before, 100, 1000)?;
    let senders = match q.sender.as_deref() {
        Some(s) => spellings(&listing::number("sender", s)?).to_vec(),
        None => Vec::new(),
    };
    let filter = InboxFilter {
        unread: q.unread,
        senders,
        item: q.item,
        job: q.job.map(|job_id| JobReplies {
            job_id,
            service_codes: st
                .config
                .links
                .iter()
                .map(|l| l.service_code.clone())
                .collect(),
        }),
        time: listing::time_range(q.since.as_deref(), q.until.as_deref())?,
    };
    let page = st.store.inbox_page(filter, window).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "messages": page.items, "next_before": page.next_before }),
    ))
}

pub async fn mark_read(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.inbox_mark_read(id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "read": true })))
}
