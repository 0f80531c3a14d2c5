//! `/v1/inbox`: inbound messages with their route and unread state.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, reply};
use super::error::ApiError;
use super::state::AppState;

/// `?unread=true&limit=N`.
#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    /// Only messages nobody has marked read.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
}

pub async fn list(
    State(st): State<AppState>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 1000"));
    }
    let messages = st.store.inbox_list(q.unread, limit).await?;
    Ok(reply(StatusCode::OK, &json!({ "messages": messages })))
}

pub async fn mark_read(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.inbox_mark_read(id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "read": true })))
}
