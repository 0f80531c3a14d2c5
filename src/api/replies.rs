//! What a send that asked for replies adds to the API: the job status shows the reply
//! spec and where replies go (`reply_to`, the extended number per link), and
//! `POST /v1/messages/{id}/close-poll` closes the poll now. The results (replies, tally,
//! CSV) are `polls.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::body::{Id, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::config::Config;
use crate::store::PollView;

/// `reply_to`: the number a link's recipients reply to (its service code + the poll's
/// extension on that link's carrier), by link name.
pub fn reply_to(config: &Config, poll: &PollView) -> Map<String, Value> {
    let mut out = Map::new();
    for link in &config.links {
        let carrier = link.carrier().name();
        if let Some((_, ext)) = poll.extensions.iter().find(|(c, _)| c == carrier) {
            out.insert(
                link.name.clone(),
                Value::from(format!("{}{ext}", link.service_code)),
            );
        }
    }
    out
}

/// The `replies` object of a job's status.
pub fn replies_json(poll: &PollView) -> Value {
    json!({
        "poll_id": poll.id,
        "job_id": poll.job_id,
        "mode": poll.spec.mode,
        "options": poll.spec.options,
        "accept": poll.spec.accept,
        "closes_at": poll.spec.closes_at,
        "closed_at": poll.closed_at,
        "groups": poll.groups,
    })
}

/// Adds `replies` and `reply_to` to job `job_id`'s status when it asked for replies.
pub async fn annotate_status(
    st: &AppState,
    job_id: i64,
    status: &mut Value,
) -> Result<(), ApiError> {
    let Some(poll) = st.store.poll_of_job(job_id).await? else {
        return Ok(());
    };
    if let Some(obj) = status.as_object_mut() {
        obj.insert("replies".into(), replies_json(&poll));
        obj.insert(
            "reply_to".into(),
            Value::Object(reply_to(&st.config, &poll)),
        );
    }
    Ok(())
}

/// `POST /v1/messages/{id}/close-poll`: replies arriving from now on are unmatched as
/// `poll_closed`, and the poll's extensions go to quarantine. Closing again is harmless.
pub async fn close(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    if st.store.job_poll_id(id).await?.is_none() {
        return Err(ApiError::not_found("message job", id));
    }
    let Some(poll) = st.workflow.close_poll_of_job(id).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_replies",
            format!("job {id} did not ask for replies: there is no poll to close"),
        ));
    };
    tracing::info!(job = id, poll = poll.id, "API close poll");
    Ok(reply(
        StatusCode::OK,
        &json!({ "job_id": id, "replies": replies_json(&poll) }),
    ))
}
