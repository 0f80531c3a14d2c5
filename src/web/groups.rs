//! 分组: groups with their sizes; create, delete (its contacts stay); a group's members,
//! paged, with contacts found by search to add and checked members to remove.
//!
//! Routes: `GET|POST /groups`, `GET /groups/{id}`, `POST /groups/{id}/members`,
//! `POST /groups/{id}/delete`. Groups are named in the store's operations; the id in the
//! path is looked up among the groups.

use askama::Template;
use axum::Form;
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
use crate::store::{ContactQuery, ContactView, GroupView, StoreError};

const PAGE: usize = 50;

#[derive(Template)]
#[template(path = "web/groups.html")]
struct GroupsPage {
    l: Lang,
    chrome: Chrome,
    groups: Vec<GroupView>,
    name: String,
    error: Option<String>,
    can_edit: bool,
}

async fn groups_page(
    st: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    name: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = GroupsPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(viewer, uri),
        groups: st.store.groups_list().await?,
        name,
        can_edit: viewer.role >= super::Role::Staff,
        error,
    };
    Ok(if page.error.is_some() {
        super::render_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    })
}

/// `GET /groups`.
pub async fn list(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
) -> Result<Response, WebError> {
    groups_page(&st, &viewer, &uri, String::new(), None).await
}

/// The new-group form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewGroup {
    name: String,
}

/// `POST /groups`.
pub async fn create(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Form(f): Form<NewGroup>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    match st.store.group_create(f.name.clone(), st.now()).await {
        Ok((id, _)) => {
            let mut res = Redirect::to(&format!("/groups/{id}")).into_response();
            res.extensions_mut()
                .insert(Detail(format!("created group {id} {:?}", f.name.trim())));
            Ok(res)
        }
        Err(StoreError::Invalid { reason, .. }) => {
            let text = format!(
                "{}{reason}",
                l.t("分组名不可用：", "cannot use this name: ")
            );
            groups_page(&st, &viewer, &uri, f.name, Some(text)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn group_by_id(st: &WebState, id: i64) -> Result<GroupView, WebError> {
    st.store
        .groups_list()
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or(WebError::NotFound)
}

/// `GET /groups/{id}?after=&find=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MembersQuery {
    after: String,
    /// Contacts to offer for adding: name, number or tag containing this.
    find: String,
}

#[derive(Template)]
#[template(path = "web/group.html")]
struct GroupPage {
    l: Lang,
    chrome: Chrome,
    group: GroupView,
    contacts_href: String,
    members: Vec<ContactView>,
    next_href: Option<String>,
    find: String,
    found: Vec<ContactView>,
    can_edit: bool,
}

/// `GET /groups/{id}`.
pub async fn members(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Query(q): Query<MembersQuery>,
) -> Result<Response, WebError> {
    let group = group_by_id(&st, id).await?;
    let page = st
        .store
        .contacts_page(
            ContactQuery {
                search: None,
                group: Some(group.name.clone()),
            },
            q.after.parse().ok(),
            PAGE,
        )
        .await?;
    let found = match q.find.trim() {
        "" => Vec::new(),
        f => {
            st.store
                .contacts_page(
                    ContactQuery {
                        search: Some(f.to_owned()),
                        group: None,
                    },
                    None,
                    20,
                )
                .await?
                .items
        }
    };
    Ok(render(&GroupPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        next_href: page.next_after.map(|a| format!("/groups/{id}?after={a}")),
        members: page.items,
        contacts_href: format!("/contacts?group={}", super::forms::encode(&group.name)),
        group,
        find: q.find,
        found,
        can_edit: viewer.role >= super::Role::Staff,
    }))
}

/// `POST /groups/{id}/members`: repeated `add` and `remove` fields, contact ids.
pub async fn change_members(
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let group = group_by_id(&st, id).await?;
    let ids = |name: &str| -> Vec<i64> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    };
    let (add, remove) = (ids("add"), ids("remove"));
    let mut added = 0;
    let mut removed = 0;
    if !add.is_empty() {
        added = match st.store.group_add_members(group.name.clone(), add).await {
            Ok(n) => n,
            Err(StoreError::NotFound { .. }) => return Err(WebError::NotFound),
            Err(e) => return Err(e.into()),
        };
    }
    if !remove.is_empty() {
        removed = st
            .store
            .group_remove_members(group.name.clone(), remove)
            .await?;
    }
    let mut res = Redirect::to(&format!("/groups/{id}")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "group {id}: added {added}, removed {removed} members"
    )));
    Ok(res)
}

/// `POST /groups/{id}/delete`.
pub async fn delete(State(st): State<WebState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let group = group_by_id(&st, id).await?;
    let n = st.store.group_delete(group.name.clone()).await?;
    let mut res = Redirect::to("/groups").into_response();
    res.extensions_mut().insert(Detail(format!(
        "deleted group {id} {:?} ({n} members kept as contacts)",
        group.name
    )));
    Ok(res)
}
