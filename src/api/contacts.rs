//! Contacts, groups, CSV import, group sends with progress, and drafts.

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::{Id, JsonBody, QueryOf, page_limit, read_body, reply};
use super::error::ApiError;
use super::state::AppState;
use crate::contacts::{
    ContactImportError, GroupSend, GroupSendError, group_send_progress_page, import_csv, send_draft,
};
use crate::route::normalize;
use crate::store::{Millis, NewContact, NewDraft, now_millis};

impl From<GroupSendError> for ApiError {
    fn from(e: GroupSendError) -> Self {
        match e {
            GroupSendError::NoGroups => Self::invalid("groups", "names no group"),
            GroupSendError::UnknownGroups(groups) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_group",
                format!("unknown group(s): {}", groups.join(", ")),
            )
            .with_details(json!({ "groups": groups })),
            GroupSendError::NoMembers(groups) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty_group",
                format!("no contacts in {}", groups.join(", ")),
            ),
            GroupSendError::DraftNotFound(id) => Self::not_found("draft", id),
            GroupSendError::Send(s) => s.into(),
            GroupSendError::Store(s) => s.into(),
        }
    }
}

/// `?group=&search=&limit=&offset=`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only members of this group.
    #[serde(default)]
    pub group: Option<String>,
    /// Name or number containing this.
    #[serde(default)]
    pub search: Option<String>,
    /// Page size (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: Option<usize>,
}

pub async fn list(
    State(st): State<AppState>,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let page = st
        .store
        .contacts_list(q.group, q.search, limit, q.offset.unwrap_or(0))
        .await?;
    Ok(reply(StatusCode::OK, &page))
}

pub async fn get_one(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    match st.store.contact_get(id).await? {
        Some(c) => Ok(reply(StatusCode::OK, &c)),
        None => Err(ApiError::not_found("contact", id)),
    }
}

/// A contact as the API takes it; the number in any usual form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Phone number.
    pub phone: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Groups (created as needed); replaces the contact's groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Tags; replaces the contact's tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

pub async fn upsert(
    State(st): State<AppState>,
    JsonBody(body): JsonBody<ContactBody>,
) -> Result<Response, ApiError> {
    let phone = normalize(&body.phone).map_err(|e| ApiError::invalid("phone", e))?;
    st.submitter
        .router()
        .route(&phone.to_string())
        .map_err(|e| ApiError::invalid("phone", e))?;
    let out = st
        .store
        .contact_upsert(
            NewContact {
                phone: phone.to_string(),
                name: body.name,
                groups: body.groups,
                tags: body.tags,
            },
            now_millis(),
        )
        .await?;
    let contact = st.store.contact_get(out.id).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(reply(
        status,
        &json!({ "created": out.created, "contact": contact }),
    ))
}

pub async fn delete(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.contact_delete(id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "deleted": true })))
}

/// `POST /v1/contacts/import`: the CSV file itself as the body (`text/csv`), UTF-8 or GBK.
pub async fn import(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(ct.starts_with("text/csv")
        || ct.starts_with("application/octet-stream")
        || ct.starts_with("text/plain"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the CSV file as the body with Content-Type: text/csv",
        ));
    }
    let bytes = read_body(req, &()).await?;
    let report = import_csv(&st.store, &bytes, &st.submitter.router(), now_millis())
        .await
        .map_err(|e| match e {
            ContactImportError::Csv(c) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_csv", c.to_string())
            }
            ContactImportError::Store(s) => s.into(),
        })?;
    Ok(reply(StatusCode::OK, &report))
}

/// A new group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// Its name (unique).
    pub name: String,
}

pub async fn group_create(
    State(st): State<AppState>,
    JsonBody(b): JsonBody<GroupBody>,
) -> Result<Response, ApiError> {
    let (id, created) = st.store.group_create(b.name.clone(), now_millis()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(reply(
        status,
        &json!({ "id": id, "name": b.name, "created": created }),
    ))
}

pub async fn group_delete(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let members = st.store.group_delete(name.clone()).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({ "name": name, "deleted": true, "members": members }),
    ))
}

/// Contacts to add to and remove from a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    /// Contact ids to add.
    #[serde(default)]
    pub add: Vec<i64>,
    /// Contact ids to remove.
    #[serde(default)]
    pub remove: Vec<i64>,
}

pub async fn group_members(
    State(st): State<AppState>,
    Path(name): Path<String>,
    JsonBody(b): JsonBody<MembersBody>,
) -> Result<Response, ApiError> {
    if b.add.is_empty() && b.remove.is_empty() {
        return Err(ApiError::invalid(
            "add",
            "give contact ids to add or remove",
        ));
    }
    let added = if b.add.is_empty() {
        0
    } else {
        st.store.group_add_members(name.clone(), b.add).await?
    };
    let removed = if b.remove.is_empty() {
        0
    } else {
        st.store
            .group_remove_members(name.clone(), b.remove)
            .await?
    };
    Ok(reply(
        StatusCode::OK,
        &json!({ "name": name, "added": added, "removed": removed }),
    ))
}

pub async fn groups(State(st): State<AppState>) -> Result<Response, ApiError> {
    let groups = st.store.groups_list().await?;
    Ok(reply(StatusCode::OK, &json!({ "groups": groups })))
}

/// A group send as the API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSendBody {
    /// One or more groups; each number is sent once.
    pub groups: Vec<String>,
    /// The text.
    pub text: String,
    /// A signature instead of the link's.
    #[serde(default)]
    pub signature: Option<String>,
    /// RFC 3339; default now.
    #[serde(default)]
    pub send_at: Option<Millis>,
    /// Retrying with the same key returns the first job.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// `notice` (default) or `marketing`.
    #[serde(default)]
    pub category: Option<crate::policy::Category>,
    /// Replies asked for: `{"mode": "collect"}` or `{"mode": "poll", "options": {…},
    /// "accept": "first" | "last", "closes_at": …}`.
    #[serde(default)]
    pub replies: Option<crate::store::ReplySpec>,
}

pub async fn group_send(
    State(st): State<AppState>,
    JsonBody(b): JsonBody<GroupSendBody>,
) -> Result<Response, ApiError> {
    let out = crate::contacts::group_send(
        &st.submitter,
        GroupSend {
            groups: b.groups,
            text: b.text,
            signature: b.signature,
            send_at: b.send_at,
            idempotency_key: b.idempotency_key,
            category: b.category.unwrap_or_default(),
            replies: b.replies,
        },
    )
    .await?;
    sent(out)
}

fn sent(out: crate::contacts::GroupSendOutcome) -> Result<Response, ApiError> {
    if out.job_id.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_valid_recipient",
            "no member's number could be accepted; see details",
        )
        .with_details(json!({ "recipients": out.outcomes })));
    }
    let status = if out.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok(reply(status, &out))
}

pub async fn progress(
    State(st): State<AppState>,
    Id(id): Id,
    QueryOf(q): QueryOf<super::messages::StatusQuery>,
) -> Result<Response, ApiError> {
    let limit = page_limit(
        q.limit,
        super::messages::RECIPIENT_PAGE,
        super::messages::MAX_RECIPIENT_PAGE,
    )?;
    match group_send_progress_page(&st.store, id, q.after, limit).await? {
        Some(p) => Ok(reply(StatusCode::OK, &p)),
        None => Err(ApiError::not_found("send", id)),
    }
}

pub async fn drafts(State(st): State<AppState>) -> Result<Response, ApiError> {
    let drafts = st.store.drafts_list().await?;
    Ok(reply(StatusCode::OK, &json!({ "drafts": drafts })))
}

pub async fn draft_save(
    State(st): State<AppState>,
    JsonBody(d): JsonBody<NewDraft>,
) -> Result<Response, ApiError> {
    let id = st.store.draft_save(None, d, now_millis()).await?;
    let draft = st.store.draft_get(id).await?;
    Ok(reply(StatusCode::CREATED, &json!({ "draft": draft })))
}

pub async fn draft_send(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    let key = format!("hongyan:draft:{id}");
    sent(send_draft(&st.submitter, id, Some(key)).await?)
}

pub async fn draft_delete(State(st): State<AppState>, Id(id): Id) -> Result<Response, ApiError> {
    st.store.draft_delete(id).await?;
    Ok(reply(StatusCode::OK, &json!({ "id": id, "deleted": true })))
}
