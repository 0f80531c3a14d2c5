//! The messaging policy in the API: `GET /v1/held` (jobs held for review), `POST
//! /v1/messages/{id}/release` and `/reject` (an administrator's decision), and the
//! policy's part of a job's status (category, text as sent, hold, why it waits, skipped
//! recipients).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::body::{Id, QueryOf, page_limit, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::store::{HoldOutcome, JobPolicyView, QUIET_HOURS};

/// `GET /v1/held` parameters.
#[derive(Debug, Deserialize)]
pub struct HeldQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<HeldQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(q.limit, 50, 500)?;
    let held = st.store.held_jobs(limit).await?;
    Ok(reply(StatusCode::OK, &json!({ "held": held })))
}

pub async fn release(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let out = st.store.release_hold(id, st.submitter.now()).await?;
    if matches!(out, HoldOutcome::Released { .. }) {
        // Released into the queue now: the links are woken by the scheduler's tick at the
        // latest; the change shows at once.
        st.submitter.wake_all();
    }
    answer(id, out, "released")
}

pub async fn reject(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let out = st.store.reject_hold(id, st.submitter.now()).await?;
    answer(id, out, "rejected")
}

fn answer(id: i64, out: HoldOutcome, verb: &str) -> Result<Response, ApiError> {
    tracing::info!(job = id, outcome = ?out, "held job {verb}");
    match out {
        HoldOutcome::NotHeld { hold } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_held",
            match hold {
                Some(h) => format!("job {id} is not held for review: it was {h} before"),
                None => format!("job {id} is not held for review"),
            },
        )
        .with_details(json!({ "hold": hold }))),
        other => Ok(reply(
            StatusCode::OK,
            &json!({ "job_id": id, "result": other }),
        )),
    }
}

/// Adds the policy's facts to a job's status: `category`, `sent_text`, `hold`,
/// `hold_reason`, `reason` (`quiet_hours` while a scheduled job waits for them), the
/// count of skipped recipients, and — on the last page of recipients — each skipped one
/// as a recipient whose `state` is `skipped`, with its `reason`.
pub fn add_policy(job: &mut Map<String, Value>, p: JobPolicyView, last_page: bool) {
    let waiting = job.get("state").and_then(Value::as_str) == Some("scheduled");
    job.insert("category".into(), p.category.into());
    job.insert("sent_text".into(), p.sent_text.into());
    job.insert("hold".into(), p.hold.into());
    job.insert("hold_reason".into(), p.hold_reason.into());
    let reason = match (&p.wait_reason, waiting) {
        (Some(r), true) if r == QUIET_HOURS => Some(QUIET_HOURS),
        _ => None,
    };
    job.insert("reason".into(), reason.into());
    if let Some(counts) = job.get_mut("counts").and_then(Value::as_object_mut) {
        counts.insert("skipped".into(), p.skipped.len().into());
    }
    if let Some(Value::Number(total)) = job.get("recipients_total").cloned() {
        let total = total.as_u64().unwrap_or(0) + p.skipped.len() as u64;
        job.insert("recipients_total".into(), total.into());
    }
    if last_page {
        if let Some(list) = job.get_mut("recipients").and_then(Value::as_array_mut) {
            for s in p.skipped {
                list.push(json!({
                    "number": s.number,
                    "state": "skipped",
                    "reason": s.reason,
                }));
            }
        }
    }
}
