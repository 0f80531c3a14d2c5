//! `/v1/inbox`: inbound messages with their route and unread state.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, QueryOf, page_limit, reply};
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
    QueryOf(q): QueryOf<InboxQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let messages = st.store.inbox_list(q.unread, limit).await?;
    Ok(reply(StatusCode::OK, &json!({ "messages": messages })))
}

pub async fn mark_read(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.inbox_mark_read(id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "read": true })))
}
