//! `/v1/approvals`: create, status, decide (the web page's way of answering), resend.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::store::DecideOutcome;
use crate::workflow::ApprovalRequest;
use crate::workflow::rules::Decision;

pub async fn create(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<ApprovalRequest>,
) -> Result<Response, ApiError> {
    let created = st.workflow.create_approval(req).await?;
    tracing::info!(
        approval = created.approval_id,
        created = created.created,
        "API approval"
    );
    let view = st.workflow.approval(created.approval_id).await?;
    let status = if created.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(reply(
        status,
        &json!({ "approval_id": created.approval_id, "created": created.created, "approval": view }),
    ))
}

pub async fn get_one(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    match st.workflow.approval(id).await? {
        Some(v) => Ok(reply(StatusCode::OK, &v)),
        None => Err(ApiError::not_found("approval", id)),
    }
}

/// A decision through the API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// The step (an approver's place in the request).
    pub step_id: i64,
    /// `approve` or `reject`.
    pub decision: Decision,
    /// Why, shown to the applicant.
    #[serde(default)]
    pub comment: Option<String>,
}

pub async fn decide(
    State(st): State<AppState>,
    Id(id): Id,
    JsonBody(body): JsonBody<DecideBody>,
) -> Result<Response, ApiError> {
    let Some(view) = st.workflow.approval(id).await? else {
        return Err(ApiError::not_found("approval", id));
    };
    if !view.steps.iter().any(|s| s.id == body.step_id) {
        return Err(ApiError::not_found(
            &format!("step of approval {id}:"),
            body.step_id,
        ));
    }
    let comment = body.comment.filter(|c| !c.trim().is_empty());
    let outcome = st
        .workflow
        .decide(body.step_id, body.decision, comment)
        .await?;
    tracing::info!(approval = id, step = body.step_id, decision = ?body.decision, "API decision");
    if let DecideOutcome::NotOpen { step, approval, .. } = &outcome {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_open",
            format!(
                "step {} is {step:?} (request {approval:?}) and takes no decision now",
                body.step_id
            ),
        )
        .with_details(json!({ "outcome": outcome })));
    }
    let view = st.workflow.approval(id).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "outcome": outcome, "approval": view }),
    ))
}

pub async fn resend(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let n = st.workflow.resend(id).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "approval_id": id, "resent": n }),
    ))
}
