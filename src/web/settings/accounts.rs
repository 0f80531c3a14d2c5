//! `/settings/accounts`: the console's accounts — list, create (a typed password, or a
//! generated one shown once), and per account: role and phone, a new password, disable
//! or enable. Changing the password, the role or disabling ends the account's sessions
//! (the store does it in the same transaction). The last enabled admin cannot be demoted
//! or disabled. The same rules as `hongyan user` (`web/accounts.rs`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::store::{Account, StoreError};
use crate::web::accounts::{self, AccountError};
use crate::web::audit::Detail;
use crate::web::error::WebError;
use crate::web::forms::show_time;
use crate::web::lang::Lang;
use crate::web::layout::Chrome;
use crate::web::password::{self, PasswordError};
use crate::web::render_status;
use crate::web::roles::Role;
use crate::web::session::Viewer;
use crate::web::state::WebState;

/// A role as a `<select>` option.
pub struct RoleOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn role_options(l: Lang, selected: &str) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .rev()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(l),
            selected: r.as_str() == selected,
        })
        .collect()
}

struct Row {
    id: i64,
    username: String,
    role: &'static str,
    phone: String,
    disabled: bool,
    created: String,
}

fn row(l: Lang, a: &Account) -> Row {
    Row {
        id: a.id,
        username: a.username.clone(),
        role: Role::parse(&a.role).map_or("?", |r| r.label(l)),
        phone: a.phone.clone().unwrap_or_default(),
        disabled: a.disabled,
        created: show_time(a.created_at),
    }
}

/// The create form's fields (all optional to the parser: a missing one is the form's
/// error next to the field).
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// `admin`, `staff` or `approver`.
    #[serde(default)]
    pub role: String,
    /// Phone number, optional.
    #[serde(default)]
    pub phone: String,
    /// Password; empty: generate one.
    #[serde(default)]
    pub password: String,
}

/// Errors of the create form, per field.
#[derive(Default)]
struct CreateErrors {
    username: Option<String>,
    role: Option<String>,
    phone: Option<String>,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "web/settings/accounts.html")]
struct ListPage {
    l: Lang,
    chrome: Chrome,
    rows: Vec<Row>,
    form: CreateForm,
    roles: Vec<RoleOption>,
    errors: CreateErrors,
    created: Option<String>,
    new_password: Option<String>,
}

/// What the list page shows besides the accounts: the create form as typed, its
/// errors, and the outcome of a creation.
#[derive(Default)]
struct Shown {
    form: CreateForm,
    errors: CreateErrors,
    created: Option<String>,
    new_password: Option<String>,
}

async fn list_page(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let all = state.store.accounts().await?;
    let role = if shown.form.role.is_empty() {
        "staff".to_owned()
    } else {
        shown.form.role.clone()
    };
    Ok(render_status(
        status,
        &ListPage {
            l,
            chrome: Chrome::for_viewer(viewer, uri),
            rows: all.iter().map(|a| row(l, a)).collect(),
            roles: role_options(l, &role),
            form: shown.form,
            errors: shown.errors,
            created: shown.created,
            new_password: shown.new_password,
        },
    ))
}

/// `GET /settings/accounts`.
pub async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
) -> Result<Response, WebError> {
    list_page(&state, &viewer, &uri, StatusCode::OK, Shown::default()).await
}

/// Words for a password refusal.
fn password_words(l: Lang, e: &PasswordError) -> String {
    match e {
        PasswordError::TooShort(n) => format!(
            "{}{n}{}{}{}",
            l.t("密码只有 ", "The password has "),
            l.t(" 个字符，至少需要 ", " characters; use at least "),
            password::MIN_CHARS,
            l.t(" 个。", ".")
        ),
        PasswordError::TooLong => format!(
            "{}{}{}",
            l.t("密码太长，最多 ", "The password is too long: at most "),
            password::MAX_BYTES,
            l.t(" 字节。", " bytes.")
        ),
        PasswordError::Random(_) | PasswordError::Hash(_) => l
            .t(
                "无法生成密码，请重试。",
                "Could not make the password; try again.",
            )
            .to_owned(),
    }
}

/// `POST /settings/accounts`: creates an account.
pub async fn create(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let mut errors = CreateErrors::default();
    let name = form.username.trim().to_owned();
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.role = Some(l.t("请选择角色。", "Choose a role.").to_owned());
    }
    if accounts::check_name(&name).is_err() {
        errors.username = Some(
            l.t(
                "用户名须为 1–32 个字母、数字或 . _ - @，不能有空格。",
                "Use 1–32 letters, digits or . _ - @, no spaces.",
            )
            .to_owned(),
        );
    }
    if accounts::normalize_phone(&form.phone).is_err() {
        errors.phone = Some(
            l.t(
                "请填写 11 位手机号，或留空。",
                "Give an 11-digit mobile number, or leave it empty.",
            )
            .to_owned(),
        );
    }
    let generated = form.password.is_empty();
    if !generated {
        if let Err(e) = password::check(&form.password) {
            errors.password = Some(password_words(l, &e));
        }
    }
    let (Some(role), None, None, None) = (role, &errors.username, &errors.phone, &errors.password)
    else {
        return list_page(
            &state,
            &viewer,
            &uri,
            StatusCode::BAD_REQUEST,
            Shown {
                form,
                errors,
                ..Shown::default()
            },
        )
        .await;
    };
    let typed = form.password.clone();
    let phone = form.phone.clone();
    let made = tokio::task::spawn_blocking({
        let name = name.clone();
        move || {
            let pw = if typed.is_empty() {
                password::generate()?
            } else {
                typed
            };
            let a = accounts::new_account(&name, role, Some(&phone), &pw)?;
            Ok::<_, AccountError>((pw, a))
        }
    })
    .await
    .map_err(|_| WebError::Internal("password hashing task failed".into()))?;
    let (pw, account) = match made {
        Ok(x) => x,
        Err(e) => return Err(WebError::Internal(e.to_string())),
    };
    match state.store.account_create(account, state.now()).await {
        Ok(id) => {
            let mut res = list_page(
                &state,
                &viewer,
                &uri,
                StatusCode::OK,
                Shown {
                    created: Some(name.clone()),
                    new_password: generated.then_some(pw),
                    ..Shown::default()
                },
            )
            .await?;
            res.extensions_mut().insert(Detail(format!(
                "created account {name} (id {id}) as {role}"
            )));
            Ok(res)
        }
        Err(StoreError::AccountExists(_)) => {
            errors.username = Some(
                l.t(
                    "已有同名账号，请换一个用户名。",
                    "An account with that name exists; choose another.",
                )
                .to_owned(),
            );
            list_page(
                &state,
                &viewer,
                &uri,
                StatusCode::CONFLICT,
                Shown {
                    form,
                    errors,
                    ..Shown::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "web/settings/account.html")]
struct EditPage {
    l: Lang,
    chrome: Chrome,
    account: Row,
    is_self: bool,
    roles: Vec<RoleOption>,
    phone: String,
    notice: Option<String>,
    error: Option<String>,
    phone_error: Option<String>,
    password_error: Option<String>,
    new_password: Option<String>,
}

/// What the edit page says after an action.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    phone: Option<String>,
    phone_error: Option<String>,
    password_error: Option<String>,
    new_password: Option<String>,
}

async fn edit_page(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    id: i64,
    status: StatusCode,
    o: Outcome,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let a = state
        .store
        .account_by_id(id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(render_status(
        status,
        &EditPage {
            l,
            chrome: Chrome::for_viewer(viewer, uri),
            roles: role_options(l, &a.role),
            phone: o
                .phone
                .unwrap_or_else(|| a.phone.clone().unwrap_or_default()),
            is_self: a.id == viewer.account_id,
            account: row(l, &a),
            notice: o.notice,
            error: o.error,
            phone_error: o.phone_error,
            password_error: o.password_error,
            new_password: o.new_password,
        },
    ))
}

/// `GET /settings/accounts/{id}`.
pub async fn edit(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    edit_page(
        &state,
        &viewer,
        &uri,
        id,
        StatusCode::OK,
        Outcome::default(),
    )
    .await
}

/// The role-and-phone form.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateForm {
    /// The new role.
    #[serde(default)]
    pub role: String,
    /// The new phone number (empty: none).
    #[serde(default)]
    pub phone: String,
}

fn last_admin(l: Lang) -> String {
    l.t(
        "这是最后一个启用的管理员账号，不能改为其他角色或停用。请先让另一个账号成为管理员。",
        "This is the last enabled administrator: it cannot get another role or be disabled. Make another account an administrator first.",
    )
    .to_owned()
}

/// `POST /settings/accounts/{id}`: role and phone.
pub async fn update(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<UpdateForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let all = state.store.accounts().await?;
    let current = all.iter().find(|a| a.id == id).ok_or(WebError::NotFound)?;
    let Some(role) = Role::parse(&f.role) else {
        return Err(WebError::bad_request("未知的角色。", "Unknown role."));
    };
    let phone = match accounts::normalize_phone(&f.phone) {
        Ok(p) => p,
        Err(_) => {
            let o = Outcome {
                phone: Some(f.phone.clone()),
                phone_error: Some(
                    l.t(
                        "请填写 11 位手机号，或留空。",
                        "Give an 11-digit mobile number, or leave it empty.",
                    )
                    .to_owned(),
                ),
                ..Outcome::default()
            };
            return edit_page(&state, &viewer, &uri, id, StatusCode::BAD_REQUEST, o).await;
        }
    };
    if !accounts::leaves_an_admin(&all, id, role, current.disabled) {
        let o = Outcome {
            error: Some(last_admin(l)),
            ..Outcome::default()
        };
        return edit_page(&state, &viewer, &uri, id, StatusCode::CONFLICT, o).await;
    }
    let name = current.username.clone();
    state
        .store
        .account_update(id, role.as_str().to_owned(), phone.clone())
        .await?;
    let mut res = Redirect::to(&format!("/settings/accounts/{id}")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "account {name}: role {role}, phone {}",
        phone.as_deref().unwrap_or("none")
    )));
    Ok(res)
}

/// The new-password form.
#[derive(Default, Deserialize)]
pub struct PasswordForm {
    /// The new password; empty: generate one.
    #[serde(default)]
    pub password: String,
}

/// `POST /settings/accounts/{id}/password`: a new password (typed, or generated and
/// shown once); the account's sessions end.
pub async fn set_password(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let a = state
        .store
        .account_by_id(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let generated = f.password.is_empty();
    let hashed = tokio::task::spawn_blocking(move || {
        let pw = if generated {
            password::generate()?
        } else {
            f.password
        };
        password::hash(&pw).map(|h| (pw, h))
    })
    .await
    .map_err(|_| WebError::Internal("password hashing task failed".into()))?;
    let (pw, hash) = match hashed {
        Ok(x) => x,
        Err(e) => {
            let o = Outcome {
                password_error: Some(password_words(l, &e)),
                ..Outcome::default()
            };
            return edit_page(&state, &viewer, &uri, id, StatusCode::BAD_REQUEST, o).await;
        }
    };
    state
        .store
        .account_set_password(id, hash, state.now())
        .await?;
    let o = Outcome {
        notice: Some(
            l.t(
                "密码已更改，该账号的所有登录已结束。",
                "Password changed; every session of the account has ended.",
            )
            .to_owned(),
        ),
        new_password: generated.then_some(pw),
        ..Outcome::default()
    };
    let mut res = edit_page(&state, &viewer, &uri, id, StatusCode::OK, o).await?;
    res.extensions_mut()
        .insert(Detail(format!("account {}: new password", a.username)));
    Ok(res)
}

/// The enable/disable form.
#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    /// `true` to disable, `false` to enable.
    #[serde(default)]
    pub disabled: bool,
}

/// `POST /settings/accounts/{id}/status`: disable (its sessions end) or enable.
pub async fn set_status(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let all = state.store.accounts().await?;
    let current = all.iter().find(|a| a.id == id).ok_or(WebError::NotFound)?;
    let role = Role::parse(&current.role).unwrap_or(Role::Approver);
    if f.disabled && !accounts::leaves_an_admin(&all, id, role, true) {
        let o = Outcome {
            error: Some(last_admin(l)),
            ..Outcome::default()
        };
        return edit_page(&state, &viewer, &uri, id, StatusCode::CONFLICT, o).await;
    }
    let name = current.username.clone();
    state.store.account_set_disabled(id, f.disabled).await?;
    let mut res = Redirect::to(&format!("/settings/accounts/{id}")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "account {name}: {}",
        if f.disabled { "disabled" } else { "enabled" }
    )));
    Ok(res)
}
