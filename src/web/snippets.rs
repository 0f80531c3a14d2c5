//! 设置 → 签名 `/settings/signatures` and 模板 `/settings/templates` (admins): the
//! signatures and templates the compose page offers and the API names
//! (`signature_id`, `template_id`). One set of handlers serves both; the store keeps
//! them (`store/templates.rs`), and a template is checked as a template before it is
//! kept, as the API checks it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::session::Viewer;
use super::state::WebState;
use crate::store::{Snippet, SnippetKind, StoreError};

#[derive(Template)]
#[template(path = "web/snippets.html")]
struct SnippetsPage {
    l: Lang,
    chrome: Chrome,
    /// `signatures` or `templates` (the path and the ids).
    kind: &'static str,
    heading: String,
    items: Vec<Snippet>,
    f: SnippetForm,
    name_error: Option<String>,
    text_error: Option<String>,
    saved: bool,
}

/// The form: a new one, or over `id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SnippetForm {
    /// Empty: a new one.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// `GET` parameters: open one for editing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Open {
    /// The one to edit.
    pub edit: Option<i64>,
    /// Set after a save.
    pub saved: Option<i64>,
}

fn path(kind: SnippetKind) -> &'static str {
    match kind {
        SnippetKind::Signature => "signatures",
        SnippetKind::Template => "templates",
    }
}

async fn show(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    kind: SnippetKind,
    f: SnippetForm,
    errors: (Option<String>, Option<String>),
    saved: bool,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let items = state.store.snippets_list(kind).await?;
    Ok(render(&SnippetsPage {
        l,
        chrome: Chrome::for_viewer(viewer, uri),
        kind: path(kind),
        heading: match kind {
            SnippetKind::Signature => l.t("签名", "Signatures"),
            SnippetKind::Template => l.t("短信模板", "Templates"),
        }
        .to_owned(),
        items,
        f,
        name_error: errors.0,
        text_error: errors.1,
        saved,
    }))
}

async fn list(
    kind: SnippetKind,
    viewer: Viewer,
    uri: Uri,
    state: WebState,
    q: Open,
) -> Result<Response, WebError> {
    let mut f = SnippetForm::default();
    if let Some(id) = q.edit {
        let s = state
            .store
            .snippet_get(kind, id)
            .await?
            .ok_or(WebError::NotFound)?;
        f = SnippetForm {
            id: s.id.to_string(),
            name: s.name,
            text: s.text,
        };
    }
    show(
        &state,
        &viewer,
        &uri,
        kind,
        f,
        (None, None),
        q.saved.is_some(),
    )
    .await
}

async fn save(
    kind: SnippetKind,
    viewer: Viewer,
    uri: Uri,
    state: WebState,
    f: SnippetForm,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let id = match f.id.trim() {
        "" => None,
        s => Some(s.parse::<i64>().map_err(|_| WebError::NotFound)?),
    };
    if kind == SnippetKind::Template {
        if let Err(e) = crate::workflow::template::variables(&f.text) {
            let msg = format!(
                "{}{e}",
                l.t(
                    "模板写法有误（变量写成 {姓名}，花括号本身写成 {{ 或 }}）：",
                    "The template is not valid (variables are {name}; a brace is {{ or }}): "
                )
            );
            return show(&state, &viewer, &uri, kind, f, (None, Some(msg)), false).await;
        }
    }
    match state
        .store
        .snippet_save(kind, id, f.name.clone(), f.text.clone(), state.now())
        .await
    {
        Ok(saved) => {
            let mut res =
                Redirect::to(&format!("/settings/{}?saved={saved}", path(kind))).into_response();
            res.extensions_mut().insert(Detail(format!(
                "saved {} {saved} ({})",
                path(kind).trim_end_matches('s'),
                f.name.trim()
            )));
            Ok(res)
        }
        Err(StoreError::Invalid { what, reason }) => {
            let msg = format!("{}{reason}", l.t("无法保存：", "Not saved: "));
            let errors = if what.ends_with("name") {
                (Some(msg), None)
            } else {
                (None, Some(msg))
            };
            show(&state, &viewer, &uri, kind, f, errors, false).await
        }
        Err(StoreError::NotFound { .. }) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn delete(kind: SnippetKind, state: WebState, id: i64) -> Result<Response, WebError> {
    match state.store.snippet_delete(kind, id).await {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let mut res = Redirect::to(&format!("/settings/{}", path(kind))).into_response();
    res.extensions_mut().insert(Detail(format!(
        "deleted {} {id}",
        path(kind).trim_end_matches('s')
    )));
    Ok(res)
}

/// `GET /settings/signatures`.
pub async fn signatures(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Query(q): Query<Open>,
) -> Result<Response, WebError> {
    list(SnippetKind::Signature, viewer, uri, state, q).await
}

/// `POST /settings/signatures`.
pub async fn signature_save(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    axum::Form(f): axum::Form<SnippetForm>,
) -> Result<Response, WebError> {
    save(SnippetKind::Signature, viewer, uri, state, f).await
}

/// `POST /settings/signatures/{id}/delete`.
pub async fn signature_delete(
    _viewer: Viewer,
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    delete(SnippetKind::Signature, state, id).await
}

/// `GET /settings/templates`.
pub async fn templates(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Query(q): Query<Open>,
) -> Result<Response, WebError> {
    list(SnippetKind::Template, viewer, uri, state, q).await
}

/// `POST /settings/templates`.
pub async fn template_save(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    axum::Form(f): axum::Form<SnippetForm>,
) -> Result<Response, WebError> {
    save(SnippetKind::Template, viewer, uri, state, f).await
}

/// `POST /settings/templates/{id}/delete`.
pub async fn template_delete(
    _viewer: Viewer,
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    delete(SnippetKind::Template, state, id).await
}
