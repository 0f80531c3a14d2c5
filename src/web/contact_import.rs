//! 导入通讯录: upload a contact file (CSV, or Excel saved as CSV; UTF-8 with or without
//! BOM, or GBK), see every row before anything is stored — the good ones (new or merged
//! into an existing contact, with their groups), the bad ones with their line and
//! reason, duplicates merged into an earlier line, the groups that will be created —
//! then confirm.
//!
//! The confirm imports exactly the previewed file: the upload is kept server-side under
//! a one-time id (`store/contact_uploads.rs`), the confirm form carries only that id,
//! and the import deletes the upload in its own transaction — a second confirm imports
//! nothing twice. The file is read by the same parser as `POST /v1/contacts/import`
//! ([`parse_csv`](crate::contacts::parse_csv)).
//!
//! Routes: `GET|POST /contacts/import`, `POST /contacts/import/confirm`.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::page_kit::{refusal, token};
use super::session::Viewer;
use super::state::WebState;
use super::{render, render_status};
use crate::contacts::{CsvImportError, Field, ImportPlan, SourceEncoding, parse_csv};
use crate::store::{ContactUpload, NewContact};

/// Good rows shown one by one; beyond this the preview says how many more (the counts
/// stay exact). Bad and merged rows are always all shown.
const GOOD_SHOWN: usize = 2_000;

#[derive(Template)]
#[template(path = "web/contact_import.html")]
struct UploadPage {
    l: Lang,
    chrome: Chrome,
    error: Option<String>,
}

/// `GET /contacts/import`.
pub async fn form(viewer: Viewer, uri: Uri) -> Response {
    render(&UploadPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        error: None,
    })
}

/// One good row of the preview.
struct GoodRow {
    line: u64,
    name: String,
    phone: String,
    groups: String,
    tags: String,
    /// The number is in the address book already: the row is merged into it.
    existing: bool,
}

/// One bad row of the preview.
struct BadRowView {
    line: u64,
    field: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "web/contact_import_preview.html")]
struct PreviewPage {
    l: Lang,
    chrome: Chrome,
    upload: String,
    file_name: String,
    encoding: &'static str,
    records: usize,
    good: Vec<GoodRow>,
    good_total: usize,
    new_count: usize,
    merged_count: usize,
    bad: Vec<BadRowView>,
    duplicates: Vec<(u64, u64)>,
    new_groups: Vec<String>,
}

fn field_name(f: Field, l: Lang) -> &'static str {
    match f {
        Field::Record => l.t("整行", "record"),
        Field::Name => l.t("姓名", "name"),
        Field::Phone => l.t("手机号", "phone"),
        Field::Groups => l.t("分组", "groups"),
        Field::Tags => l.t("标签", "tags"),
    }
}

/// Why a whole file cannot be read, in the viewer's language.
fn file_error(e: &CsvImportError, l: Lang) -> String {
    match (l, e) {
        (Lang::Zh, CsvImportError::Encoding { .. }) => {
            "文件既不是 UTF-8 也不是 GBK 编码：请在 Excel 中“另存为 CSV”后再上传".into()
        }
        (Lang::Zh, CsvImportError::Empty) => {
            "文件是空的：第一行应是列名（姓名、手机号、分组、标签）".into()
        }
        (Lang::Zh, CsvImportError::MissingPhoneColumn { found }) => format!(
            "第一行没有手机号列（可用列名：手机号、手机、电话、phone、mobile）；现在的列是：{found}"
        ),
        (Lang::Zh, CsvImportError::Csv { line, reason }) => {
            format!("第 {line} 行无法读取：{reason}")
        }
        (Lang::En, e) => e.to_string(),
    }
}

fn upload_error(viewer: &Viewer, uri: &Uri, text: String) -> Response {
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &UploadPage {
            l: viewer.lang,
            chrome: Chrome::for_viewer(viewer, uri),
            error: Some(text),
        },
    )
}

/// The rows a plan imports.
fn rows_of(plan: &ImportPlan) -> Vec<NewContact> {
    plan.rows.iter().cloned().map(NewContact::from).collect()
}

/// `POST /contacts/import` (multipart, the file in field `file`): keeps the upload and
/// shows its preview.
pub async fn preview(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("contacts.csv").to_owned();
            let bytes = field.bytes().await.map_err(|_| WebError::TooLarge)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(upload_error(
            &viewer,
            &uri,
            l.t("请选择一个文件", "choose a file").to_owned(),
        ));
    };
    let plan = match parse_csv(&bytes, &st.submitter.router()) {
        Ok(p) => p,
        Err(e) => return Ok(upload_error(&viewer, &uri, file_error(&e, l))),
    };
    let id = token();
    st.store
        .contact_upload_put(
            id.clone(),
            ContactUpload {
                file_name: file_name.clone(),
                bytes,
                account_id: Some(viewer.account_id),
                created_at: st.now(),
            },
        )
        .await?;
    let phones: Vec<String> = plan.rows.iter().map(|r| r.phone.clone()).collect();
    let existing: HashMap<String, String> = st.store.contact_names(phones).await?;
    let known_groups: HashSet<String> = st
        .store
        .groups_list()
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let mut new_groups: Vec<String> = Vec::new();
    for r in &plan.rows {
        for g in &r.groups {
            if !known_groups.contains(g) && !new_groups.contains(g) {
                new_groups.push(g.clone());
            }
        }
    }
    let merged_count = plan
        .rows
        .iter()
        .filter(|r| existing.contains_key(&r.phone))
        .count();
    let good = plan
        .rows
        .iter()
        .take(GOOD_SHOWN)
        .map(|r| GoodRow {
            line: r.line,
            name: r.name.clone(),
            phone: r.phone.clone(),
            groups: r.groups.join("，"),
            tags: r.tags.join("，"),
            existing: existing.contains_key(&r.phone),
        })
        .collect();
    let bad = plan
        .bad
        .iter()
        .map(|b| BadRowView {
            line: b.line,
            field: field_name(b.field, l),
            reason: refusal(l, &b.code, &b.reason),
        })
        .collect();
    Ok(render(&PreviewPage {
        chrome: Chrome::for_viewer(&viewer, &uri),
        l,
        upload: id,
        file_name,
        encoding: match plan.encoding {
            SourceEncoding::Utf8 => "UTF-8",
            SourceEncoding::Utf8Bom => "UTF-8 (BOM)",
            SourceEncoding::Gbk => "GBK",
        },
        records: plan.records,
        good,
        good_total: plan.rows.len(),
        new_count: plan.rows.len() - merged_count,
        merged_count,
        bad,
        duplicates: plan.merged.clone(),
        new_groups,
    }))
}

/// The confirm form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Confirm {
    upload: String,
}

#[derive(Template)]
#[template(path = "web/contact_import_done.html")]
struct DonePage {
    l: Lang,
    chrome: Chrome,
    /// `None`: the upload was imported already, or waited too long.
    counts: Option<crate::store::ImportCounts>,
    bad: usize,
}

/// `POST /contacts/import/confirm`: imports the kept upload, once.
pub async fn confirm(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Form(f): Form<Confirm>,
) -> Result<Response, WebError> {
    let now = st.now();
    let chrome = Chrome::for_viewer(&viewer, &uri);
    let Some(upload) = st.store.contact_upload_get(f.upload.clone(), now).await? else {
        return Ok(render_status(
            StatusCode::CONFLICT,
            &DonePage {
                l: viewer.lang,
                chrome,
                counts: None,
                bad: 0,
            },
        ));
    };
    // The same bytes through the same parser: the rows previewed.
    let plan =
        parse_csv(&upload.bytes, &st.submitter.router()).map_err(|e| WebError::BadRequest {
            zh: file_error(&e, Lang::Zh),
            en: file_error(&e, Lang::En),
        })?;
    let counts = st
        .store
        .contact_upload_import(f.upload, rows_of(&plan), now)
        .await?;
    let status = if counts.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let mut res = render_status(
        status,
        &DonePage {
            l: viewer.lang,
            chrome,
            counts,
            bad: plan.bad.len(),
        },
    );
    if let Some(c) = counts {
        res.extensions_mut().insert(Detail(format!(
            "imported {:?}: {} contacts created, {} merged, {} groups created, {} bad rows skipped",
            upload.file_name,
            c.created,
            c.updated,
            c.groups_created,
            plan.bad.len()
        )));
    }
    Ok(res.into_response())
}
