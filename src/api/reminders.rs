//! `/v1/reminders`: create (per-recipient outcomes), status, cancel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::body::{Id, JsonBody, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::store::ReminderCancel;
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
