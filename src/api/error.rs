//! API errors: an HTTP status, a stable machine code, a message for people and, where
//! it helps, details (per-item reasons, the field at fault).
//!
//! Body: `{"error": {"code": "bad_json", "message": "…", "details": …}}`. Codes are
//! part of the API contract; messages may be reworded.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::dispatch::SendError;
use crate::store::StoreError;
use crate::workflow::WorkflowError;

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`unauthorized`, `bad_json`, `not_found`, …).
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// Extra, machine-readable facts.
    pub details: Option<Value>,
}

impl ApiError {
    /// An error without details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// The same error with details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 400 `invalid` naming the field.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("{field}: {reason}"),
        )
        .with_details(json!({ "field": field }))
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} not found"),
        )
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "API request failed inside hongyan");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("hongyan could not complete the request: {e}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(d), Some(obj)) = (self.details, error.as_object_mut()) {
            obj.insert("details".into(), d);
        }
        (self.status, axum::Json(json!({ "error": error }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::not_found(what, id),
            StoreError::IdempotencyConflict { .. } => {
                Self::new(StatusCode::CONFLICT, "idempotency_conflict", e.to_string())
            }
            StoreError::InvalidJob(reason) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", reason)
            }
            StoreError::ExtensionsExhausted { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "extensions_exhausted",
                e.to_string(),
            ),
            StoreError::UnknownGroups(groups) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_group",
                format!("unknown group(s): {}", groups.join(", ")),
            )
            .with_details(json!({ "groups": groups })),
            StoreError::Invalid { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            StoreError::PollClosed { poll_id } => {
                Self::new(StatusCode::CONFLICT, "poll_closed", e.to_string())
                    .with_details(json!({ "poll_id": poll_id }))
            }
            StoreError::ApprovalClosed { approval_id, state } => {
                Self::new(StatusCode::CONFLICT, "approval_closed", e.to_string())
                    .with_details(json!({ "approval_id": approval_id, "state": state }))
            }
            StoreError::Closed => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "hongyan is shutting down",
            ),
            other => Self::internal(other),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::EmptyText => Self::invalid("text", "is empty"),
            SendError::NoRecipients => Self::invalid("recipients", "lists no number"),
            SendError::BadExtension(_) => Self::invalid("source_ext", &e),
            SendError::ExpiresBeforeSend => Self::invalid("expires_at", "is not after send_at"),
            SendError::TooManyRecipients { given, max } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_recipients",
                format!(
                    "recipients: {given} numbers, more than the {max} one request may name \
                     (api.max_recipients); split the list"
                ),
            )
            .with_details(json!({ "field": "recipients", "given": given, "max": max })),
            SendError::ShuttingDown => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "hongyan is shutting down and takes no new messages",
            ),
            SendError::Signature { field, ref source } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                source.code(),
                e.to_string(),
            )
            .with_details(json!({ "field": field, "rule": source.code() })),
            SendError::SensitiveWord { ref hit, ref link } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sensitive_word",
                e.to_string(),
            )
            .with_details(json!({
                "field": "text",
                "word": hit.word,
                "category": hit.category,
                "start": hit.start,
                "end": hit.end,
                "link": link,
            })),
            SendError::Replies(spec) => Self::invalid(spec.field(), &spec),
            SendError::RepliesAndPoll => Self::invalid("poll", &e),
            SendError::RepliesWithExtension => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
                    .with_details(json!({ "field": "source_ext" }))
            }
            SendError::Store(s) => s.into(),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::BadNumber { field, reason } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_number",
                format!("{field}: {reason}"),
            )
            .with_details(json!({ "field": field })),
            WorkflowError::Invalid { field, reason } => Self::invalid(&field, reason),
            WorkflowError::Template(t) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template",
                format!("template: {t}"),
            ),
            WorkflowError::NotFound { what, id } => Self::not_found(what, id),
            WorkflowError::Send(s) => s.into(),
            WorkflowError::Store(s) => s.into(),
        }
    }
}
