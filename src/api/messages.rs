//! `POST /v1/messages`, `GET /v1/messages` (filtered, paged), `GET /v1/messages/{id}`
//! (recipients paged), `POST /v1/messages/{id}/cancel`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{Id, JsonBody, QueryOf, page_limit, reply};
use super::error::ApiError;
use super::explain;
use super::listing;
use super::state::AppState;
use crate::dispatch::SendRequest;
use crate::store::{CancelOutcome, JobFilter, JobState, Millis, Priority};
use crate::workflow::template::{TextSourceError, text_or_template};

/// A send request as the API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// Numbers in any usual form.
    pub recipients: Vec<String>,
    /// The text, or…
    #[serde(default)]
    pub text: Option<String>,
    /// …a template with `{name}` variables.
    #[serde(default)]
    pub template: Option<String>,
    /// …or a stored template (`/v1/templates`) by id, filled from `variables`.
    #[serde(default)]
    pub template_id: Option<i64>,
    /// Template variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// A stored signature (`/v1/signatures`) by id, instead of `signature`.
    #[serde(default)]
    pub signature_id: Option<i64>,
    /// A signature instead of the link's.
    #[serde(default)]
    pub signature: Option<String>,
    /// Digits after the service code (replies come back to it); not of the link's
    /// `extension_length`, which is reserved for approvals and reminders.
    #[serde(default)]
    pub source_ext: Option<String>,
    /// `approval`, `reminder`, `notification` (default) or `bulk`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// RFC 3339; default now.
    #[serde(default)]
    pub send_at: Option<Millis>,
    /// RFC 3339; default `validity` after the send time.
    #[serde(default)]
    pub expires_at: Option<Millis>,
    /// How long it may wait, e.g. `2h`.
    #[serde(default)]
    pub validity: Option<String>,
    /// Retrying with the same key returns the first job.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// The `Idempotency-Key` header, when the body has no key.
fn header_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

pub async fn send(
    State(st): State<AppState>,
    client: Option<axum::Extension<super::routes::CallerName>>,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody<SendBody>,
) -> Result<Response, ApiError> {
    if let Some(id) = body.template_id {
        if body.template.is_some() {
            return Err(ApiError::invalid(
                "template_id",
                "give template or template_id, not both",
            ));
        }
        body.template = Some(super::snippets::stored_template(&st.store, id).await?);
    }
    if let Some(id) = body.signature_id {
        if body.signature.is_some() {
            return Err(ApiError::invalid(
                "signature_id",
                "give signature or signature_id, not both",
            ));
        }
        body.signature = Some(super::snippets::stored_signature(&st.store, id).await?);
    }
    let text = text_or_template(
        body.text.as_deref(),
        body.template.as_deref(),
        &body.variables,
    )
    .map_err(|e| match e {
        TextSourceError::Template(t) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "template",
            format!("template: {t}"),
        ),
        other => ApiError::invalid("text", other),
    })?;
    let validity = body
        .validity
        .as_deref()
        .map(humantime::parse_duration)
        .transpose()
        .map_err(|e| ApiError::invalid("validity", format!("{e}; write e.g. \"2h\" or \"30m\"")))?;
    let mut req = SendRequest::new(body.recipients, text);
    req.signature = body.signature;
    req.source_ext = body.source_ext;
    req.priority = body.priority.unwrap_or(Priority::Notification);
    req.send_at = body.send_at;
    req.expires_at = body.expires_at;
    req.validity = validity;
    req.idempotency_key = body.idempotency_key.or_else(|| header_key(&headers));
    req.sender = client.map(|axum::Extension(c)| format!("api:{}", c.0));
    let out = st.submitter.send(req).await?;
    let accepted = out.accepted();
    let rejected = out.recipients.len() - accepted;
    let Some(job) = out.job else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_valid_recipient",
            "no recipient could be accepted; see details for each one's reason",
        )
        .with_details(json!({ "recipients": out.recipients })));
    };
    tracing::info!(
        job = job.job_id,
        accepted,
        rejected,
        created = job.created,
        "API send"
    );
    let status = if job.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok(reply(
        status,
        &json!({
            "job_id": job.job_id,
            "created": job.created,
            "state": job.state,
            "accepted": accepted,
            "rejected": rejected,
            "recipients": out.recipients,
        }),
    ))
}

/// `GET /v1/messages` parameters (the route table lists them).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only jobs older than this one (the `next_before` of the previous page).
    #[serde(default)]
    pub before: Option<i64>,
    /// Only jobs with this recipient.
    #[serde(default)]
    pub number: Option<String>,
    /// Only jobs in this state.
    #[serde(default)]
    pub state: Option<String>,
    /// Accepted at or after (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Accepted before (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Response, ApiError> {
    let window = listing::window(q.limit, q.before, 50, 500)?;
    let filter = JobFilter {
        number: q
            .number
            .as_deref()
            .map(|n| listing::number("number", n))
            .transpose()?,
        state: q
            .state
            .as_deref()
            .map(|s| listing::state::<JobState>("state", s, listing::JOB_STATES))
            .transpose()?,
        time: listing::time_range(q.since.as_deref(), q.until.as_deref())?,
        ..JobFilter::default()
    };
    let page = st.store.jobs_list(filter, window).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "messages": page.items, "next_before": page.next_before }),
    ))
}

/// `GET /v1/messages/{id}` parameters: a page of recipients.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// At most this many recipients (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only recipients after this recipient id (the `next_after` of the previous page).
    #[serde(default)]
    pub after: Option<i64>,
}

pub async fn status(
    State(st): State<AppState>,
    Id(id): Id,
    QueryOf(q): QueryOf<StatusQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(q.limit, RECIPIENT_PAGE, MAX_RECIPIENT_PAGE)?;
    let Some((job, next_after)) = st.store.job_status_page(id, q.after, limit).await? else {
        return Err(ApiError::not_found("message job", id));
    };
    let total = job.counts.total();
    let mut v = serde_json::to_value(&job)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    explain_segments(&st, &mut v);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("recipients_total".into(), total.into());
        obj.insert("next_after".into(), next_after.into());
    }
    Ok(reply(StatusCode::OK, &v))
}

/// Recipients in one page of a job's status, by default and at most: a page stays a
/// few hundred kilobytes however large the job.
pub const RECIPIENT_PAGE: usize = 100;
/// See [`RECIPIENT_PAGE`].
pub const MAX_RECIPIENT_PAGE: usize = 1000;

/// Adds `result_meaning` and `report_meaning` to each segment, read with the protocol
/// of the link that sent it.
fn explain_segments(st: &AppState, job: &mut Value) {
    let Some(recipients) = job.get_mut("recipients").and_then(Value::as_array_mut) else {
        return;
    };
    for seg in recipients
        .iter_mut()
        .filter_map(|r| r.get_mut("segments").and_then(Value::as_array_mut))
        .flatten()
    {
        let protocol = seg
            .get("link")
            .and_then(Value::as_str)
            .and_then(|l| st.config.links.iter().find(|c| c.name == l))
            .map(|l| l.protocol);
        let Some(protocol) = protocol else { continue };
        let result = seg.get("result").and_then(Value::as_i64);
        let stat = seg
            .get("report_stat")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let err = seg
            .get("report_err")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(obj) = seg.as_object_mut() else {
            continue;
        };
        if let Some(code) = result {
            obj.insert(
                "result_meaning".into(),
                explain::submit_result(protocol, code).into(),
            );
        }
        if let Some(stat) = stat.filter(|s| !s.is_empty()) {
            obj.insert(
                "report_meaning".into(),
                explain::report(protocol, &stat, err.as_deref()).into(),
            );
        }
    }
}

pub async fn cancel(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let out = st.submitter.cancel(id).await?;
    tracing::info!(job = id, ?out, "API cancel");
    match out {
        CancelOutcome::TooLate { state } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_late",
            format!("job {id} is {state}: only a scheduled or queued job can be cancelled"),
        )
        .with_details(json!({ "state": state }))),
        other => Ok(reply(
            StatusCode::OK,
            &json!({ "job_id": id, "result": other }),
        )),
    }
}
