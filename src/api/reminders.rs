//! `/v1/reminders`: create (per-recipient outcomes), list, status, cancel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, QueryOf, reply};
use super::error::ApiError;
use super::listing;
use super::state::AppState;
use crate::store::{ItemFilter, ReminderCancel, ReminderState};
use crate::workflow::{ReminderOutcome, ReminderRequest};

pub async fn create(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<ReminderRequest>,
) -> Result<Response, ApiError> {
    let out = st.workflow.create_reminders(req).await?;
    let created = out
        .iter()
        .filter(|o| matches!(o, ReminderOutcome::Created { created: true, .. }))
        .count();
    let any = out
        .iter()
        .any(|o| matches!(o, ReminderOutcome::Created { .. }));
    tracing::info!(created, recipients = out.len(), "API reminders");
    if !any {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_valid_recipient",
            "no recipient could be accepted; see details for each one's reason",
        )
        .with_details(json!({ "recipients": out })));
    }
    let status = if created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(reply(status, &json!({ "recipients": out })))
}

/// `GET /v1/reminders` parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only reminders older than this one.
    #[serde(default)]
    pub before: Option<i64>,
    /// Only reminders in this state.
    #[serde(default)]
    pub state: Option<String>,
    /// Only reminders to this number.
    #[serde(default)]
    pub number: Option<String>,
    /// Created at or after (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Created before (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Response, ApiError> {
    let window = listing::window(q.limit, q.before, 50, 500)?;
    let filter = ItemFilter {
        state: q
            .state
            .as_deref()
            .map(|s| listing::state::<ReminderState>("state", s, listing::REMINDER_STATES))
            .transpose()?
            .map(ReminderState::code),
        number: q
            .number
            .as_deref()
            .map(|n| listing::number("number", n))
            .transpose()?,
        time: listing::time_range(q.since.as_deref(), q.until.as_deref())?,
    };
    let page = st.store.reminders_list(filter, window).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "reminders": page.items, "next_before": page.next_before }),
    ))
}

pub async fn get_one(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    match st.workflow.reminder(id).await? {
        Some(v) => Ok(reply(StatusCode::OK, &v)),
        None => Err(ApiError::not_found("reminder", id)),
    }
}

pub async fn cancel(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let out = st.workflow.cancel_reminder(id).await?;
    tracing::info!(reminder = id, ?out, "API reminder cancel");
    match out {
        ReminderCancel::Cancelled => Ok(reply(
            StatusCode::OK,
            &json!({ "reminder_id": id, "result": "cancelled" }),
        )),
        ReminderCancel::TooLate { state } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_late",
            format!("reminder {id} is {state:?} and can no longer be cancelled"),
        )
        .with_details(json!({ "state": state }))),
    }
}
