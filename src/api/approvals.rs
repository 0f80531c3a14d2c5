//! `/v1/approvals`: create, list, status, decide (the web page's way of answering), resend.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, QueryOf, reply};
use super::error::ApiError;
use super::listing;
use super::state::AppState;
use crate::replies::approval::{ApprovalState, Decision};
use crate::store::{DecideOutcome, ItemFilter};
use crate::workflow::ApprovalRequest;

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

/// `GET /v1/approvals` parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only requests older than this one.
    #[serde(default)]
    pub before: Option<i64>,
    /// Only requests in this state.
    #[serde(default)]
    pub state: Option<String>,
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
            .map(|s| listing::state::<ApprovalState>("state", s, listing::APPROVAL_STATES))
            .transpose()?
            .map(ApprovalState::code),
        number: None,
        time: listing::time_range(q.since.as_deref(), q.until.as_deref())?,
    };
    let page = st.store.approvals_list(filter, window).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "approvals": page.items, "next_before": page.next_before }),
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
