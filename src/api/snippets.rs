//! `GET/POST /v1/signatures`, `GET/POST /v1/templates`, `DELETE` of either by id: the
//! signatures and templates the console's settings keep, for integrations to list and
//! keep in step. `POST /v1/messages` names them with `template_id` and `signature_id`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::store::{SnippetKind, StoreHandle, now_millis};
use crate::workflow::template::variables;

/// A signature or template to save.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnippetBody {
    /// Save over this one; absent: a new one.
    #[serde(default)]
    pub id: Option<i64>,
    /// Its name (unique among its kind).
    pub name: String,
    /// The signature, or the template text with `{name}` variables.
    pub text: String,
}

/// The template text is checked as a template before it is stored, so a broken one is
/// refused where it is written and not when someone sends with it.
pub fn check_template(text: &str) -> Result<(), ApiError> {
    variables(text)
        .map(|_| ())
        .map_err(|e| ApiError::invalid("text", format!("template: {e}")))
}

async fn list(store: &StoreHandle, kind: SnippetKind, key: &str) -> Result<Response, ApiError> {
    let items = store.snippets_list(kind).await?;
    Ok(reply(StatusCode::OK, &json!({ key: items })))
}

async fn save(
    store: &StoreHandle,
    kind: SnippetKind,
    body: SnippetBody,
) -> Result<Response, ApiError> {
    if kind == SnippetKind::Template {
        check_template(&body.text)?;
    }
    let id = store
        .snippet_save(kind, body.id, body.name, body.text, now_millis())
        .await?;
    let saved = store.snippet_get(kind, id).await?;
    let status = if body.id.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(reply(status, &json!({ "saved": saved })))
}

pub async fn signatures(State(st): State<AppState>) -> Result<Response, ApiError> {
    list(&st.store, SnippetKind::Signature, "signatures").await
}

pub async fn templates(State(st): State<AppState>) -> Result<Response, ApiError> {
    list(&st.store, SnippetKind::Template, "templates").await
}

pub async fn signature_save(
    State(st): State<AppState>,
    JsonBody(body): JsonBody<SnippetBody>,
) -> Result<Response, ApiError> {
    save(&st.store, SnippetKind::Signature, body).await
}

pub async fn template_save(
    State(st): State<AppState>,
    JsonBody(body): JsonBody<SnippetBody>,
) -> Result<Response, ApiError> {
    save(&st.store, SnippetKind::Template, body).await
}

pub async fn signature_delete(
    State(st): State<AppState>,
    Id(id): Id,
) -> Result<Response, ApiError> {
    st.store.snippet_delete(SnippetKind::Signature, id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "deleted": true })))
}

pub async fn template_delete(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.snippet_delete(SnippetKind::Template, id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "deleted": true })))
}

/// The text of stored template `id` (for `template_id` of a send), or a 422 naming the
/// field.
pub async fn stored_template(store: &StoreHandle, id: i64) -> Result<String, ApiError> {
    store
        .snippet_get(SnippetKind::Template, id)
        .await?
        .map(|t| t.text)
        .ok_or_else(|| ApiError::invalid("template_id", format!("no template {id}")))
}

/// The text of stored signature `id` (for `signature_id` of a send), or a 422 naming the
/// field.
pub async fn stored_signature(store: &StoreHandle, id: i64) -> Result<String, ApiError> {
    store
        .snippet_get(SnippetKind::Signature, id)
        .await?
        .map(|t| t.text)
        .ok_or_else(|| ApiError::invalid("signature_id", format!("no signature {id}")))
}
