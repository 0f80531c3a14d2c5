//! 通讯录: the address book — search, add, edit, delete, export. A number is taken as
//! the API takes it (normalised, and only if the router can send to it), names, groups
//! and tags by the store's rules; a refusal is shown next to its field with everything
//! typed kept.
//!
//! Routes: `GET /contacts`, `GET /contacts.csv`, `GET|POST /contacts/new`,
//! `GET|POST /contacts/{id}`, `POST /contacts/{id}/delete`.

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
use super::page_kit::{csv_download, refusal};
use super::render;
use super::session::Viewer;
use super::state::WebState;
use crate::store::{ContactQuery, ContactView, NewContact, StoreError};

/// Contacts per page.
const PAGE: usize = 50;

/// `GET /contacts?q=&group=&after=`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Name, number or tag containing this.
    pub q: String,
    /// Only this group's members.
    pub group: String,
    /// The page's cursor (the last id of the previous page).
    pub after: String,
    /// Set after an action: what happened.
    pub done: String,
}

#[derive(Template)]
#[template(path = "web/contacts.html")]
struct ContactsPage {
    l: Lang,
    chrome: Chrome,
    query: ListQuery,
    contacts: Vec<ContactView>,
    total: String,
    groups: Vec<String>,
    group_error: bool,
    next_href: Option<String>,
    export_href: String,
    notice: Option<String>,
    can_edit: bool,
}

fn list_query(q: &ListQuery) -> ContactQuery {
    ContactQuery {
        search: Some(q.q.trim().to_owned()).filter(|s| !s.is_empty()),
        group: Some(q.group.trim().to_owned()).filter(|s| !s.is_empty()),
    }
}

fn query_string(q: &ListQuery) -> String {
    [("q", &q.q), ("group", &q.group)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::forms::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /contacts`.
pub async fn list(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let after = q.after.parse::<i64>().ok();
    let groups: Vec<String> = st
        .store
        .groups_list()
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let (page, group_error) = match st.store.contacts_page(list_query(&q), after, PAGE).await {
        Ok(p) => (Some(p), false),
        Err(StoreError::UnknownGroups(_)) => (None, true),
        Err(e) => return Err(e.into()),
    };
    let base = query_string(&q);
    let sep = if base.is_empty() { "" } else { "&" };
    let (contacts, total, next_href) = match page {
        Some(p) => (
            p.items,
            if p.total_capped {
                format!("{}+", p.total)
            } else {
                p.total.to_string()
            },
            p.next_after
                .map(|a| format!("/contacts?{base}{sep}after={a}")),
        ),
        None => (Vec::new(), "0".into(), None),
    };
    let notice = match q.done.as_str() {
        "saved" => Some(l.t("联系人已保存。", "Contact saved.")),
        "deleted" => Some(l.t("联系人已删除。", "Contact deleted.")),
        _ => None,
    }
    .map(str::to_owned);
    Ok(render(&ContactsPage {
        chrome: Chrome::for_viewer(&viewer, &uri),
        l,
        export_href: format!("/contacts.csv?{base}"),
        can_edit: viewer.role >= super::Role::Staff,
        query: q,
        contacts,
        total,
        groups,
        group_error,
        next_href,
        notice,
    }))
}

/// `GET /contacts.csv`: the filtered contacts in the import format (姓名, 手机号, 分组,
/// 标签), UTF-8 with BOM — a file exported here imports back unchanged.
pub async fn export(
    State(st): State<WebState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let query = list_query(&q);
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = match st.store.contacts_page(query.clone(), after, 1_000).await {
            Ok(p) => p,
            Err(StoreError::UnknownGroups(_)) => return Err(WebError::NotFound),
            Err(e) => return Err(e.into()),
        };
        rows.extend(
            page.items
                .into_iter()
                .map(|c| vec![c.name, c.phone, c.groups.join(";"), c.tags.join(";")]),
        );
        match page.next_after {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    Ok(csv_download(
        "contacts.csv",
        &["姓名", "手机号", "分组", "标签"],
        &rows,
    ))
}

/// The contact form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    /// Name.
    pub name: String,
    /// Number in any usual spelling (new contacts only).
    pub phone: String,
    /// Groups, separated by `,`, `，`, `;` or `；`.
    pub groups: String,
    /// Tags, likewise.
    pub tags: String,
}

/// A form field's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field.
    pub field: &'static str,
    /// The words, in the viewer's language.
    pub text: String,
}

#[derive(Template)]
#[template(path = "web/contact_edit.html")]
struct EditPage {
    l: Lang,
    chrome: Chrome,
    /// `None`: a new contact.
    id: Option<i64>,
    form: ContactForm,
    error: Option<FieldError>,
}

impl EditPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.text.as_str())
    }
}

/// A list field split on the usual separators, each trimmed, empty ones dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', ';', '；', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The normalised number of a phone field, if the router can send to it; else the
/// error for the field.
pub fn checked_phone(st: &WebState, l: Lang, phone: &str) -> Result<String, FieldError> {
    let routed = st.submitter.router().route(phone).map_err(|e| FieldError {
        field: "phone",
        text: refusal(l, e.code(), &e.to_string()),
    })?;
    Ok(routed.msisdn.as_str().to_owned())
}

/// The store's refusal of a contact as a field error (its `what` names the field).
fn store_refusal(l: Lang, e: &StoreError) -> Option<FieldError> {
    match e {
        StoreError::Invalid { what, reason } => {
            let field = match *what {
                "contact name" => "name",
                "group name" => "groups",
                "tag" => "tags",
                _ => "phone",
            };
            Some(FieldError {
                field,
                text: format!("{}{reason}", l.t("无法保存：", "cannot save: ")),
            })
        }
        _ => None,
    }
}

fn edit_page(
    viewer: &Viewer,
    uri: &Uri,
    id: Option<i64>,
    form: ContactForm,
    error: Option<FieldError>,
) -> Response {
    let page = EditPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(viewer, uri),
        id,
        form,
        error,
    };
    if page.error.is_some() {
        super::render_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    }
}

/// `GET /contacts/new`.
pub async fn new_form(viewer: Viewer, uri: Uri) -> Response {
    edit_page(&viewer, &uri, None, ContactForm::default(), None)
}

/// `GET /contacts/{id}`.
pub async fn edit_form(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let Some(c) = st.store.contact_get(id).await? else {
        return Err(WebError::NotFound);
    };
    let form = ContactForm {
        name: c.name,
        phone: c.phone,
        groups: c.groups.join("，"),
        tags: c.tags.join("，"),
    };
    Ok(edit_page(&viewer, &uri, Some(id), form, None))
}

/// `POST /contacts/new` and `POST /contacts/{id}`: the contact with exactly these name,
/// groups and tags (an existing number is edited, not duplicated).
async fn save(
    viewer: Viewer,
    uri: Uri,
    st: WebState,
    id: Option<i64>,
    form: ContactForm,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    // An edit keeps its number: a contact is its number (change it by adding anew).
    let phone = match id {
        Some(id) => match st.store.contact_get(id).await? {
            Some(c) => c.phone,
            None => return Err(WebError::NotFound),
        },
        None => match checked_phone(&st, l, &form.phone) {
            Ok(p) => p,
            Err(e) => return Ok(edit_page(&viewer, &uri, id, form, Some(e))),
        },
    };
    let contact = NewContact {
        phone: phone.clone(),
        name: form.name.clone(),
        groups: split_list(&form.groups),
        tags: split_list(&form.tags),
    };
    match st.store.contact_upsert(contact, st.now()).await {
        Ok(out) => {
            let mut res = Redirect::to("/contacts?done=saved").into_response();
            res.extensions_mut().insert(Detail(format!(
                "{} contact {} ({phone})",
                if out.created { "added" } else { "edited" },
                out.id
            )));
            Ok(res)
        }
        Err(e) => match store_refusal(l, &e) {
            Some(err) => Ok(edit_page(&viewer, &uri, id, form, Some(err))),
            None => Err(e.into()),
        },
    }
}

/// `POST /contacts/new`.
pub async fn create(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Form(form): Form<ContactForm>,
) -> Result<Response, WebError> {
    save(viewer, uri, st, None, form).await
}

/// `POST /contacts/{id}`.
pub async fn update(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> Result<Response, WebError> {
    save(viewer, uri, st, Some(id), form).await
}

/// `POST /contacts/{id}/delete`.
pub async fn delete(State(st): State<WebState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    match st.store.contact_delete(id).await {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let mut res = Redirect::to("/contacts?done=deleted").into_response();
    res.extensions_mut()
        .insert(Detail(format!("deleted contact {id}")));
    Ok(res)
}
