//! `/account`: any logged-in person's own account — who they are, their role and phone,
//! and a new password (the current one first). A new password ends every session of the
//! account, this one too: the page sends them to log in again with it.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::password::{self, PasswordError};
use super::render_status;
use super::session::{self, SESSION_COOKIE, Viewer};
use super::state::WebState;

#[derive(Template)]
#[template(path = "web/account.html")]
struct AccountPage {
    l: Lang,
    chrome: Chrome,
    username: String,
    role: &'static str,
    phone: String,
    current_error: Option<String>,
    new_error: Option<String>,
    repeat_error: Option<String>,
}

fn page(viewer: &Viewer, uri: &Uri, status: StatusCode, errors: [Option<String>; 3]) -> Response {
    let [current_error, new_error, repeat_error] = errors;
    render_status(
        status,
        &AccountPage {
            l: viewer.lang,
            chrome: Chrome::for_viewer(viewer, uri),
            username: viewer.username.clone(),
            role: viewer.role.label(viewer.lang),
            phone: viewer.phone.clone().unwrap_or_default(),
            current_error,
            new_error,
            repeat_error,
        },
    )
}

/// `GET /account`.
pub async fn show(viewer: Viewer, uri: Uri) -> Response {
    page(&viewer, &uri, StatusCode::OK, [None, None, None])
}

/// The password form. Passwords are never put back into a re-rendered form.
#[derive(Default, Deserialize)]
pub struct PasswordForm {
    /// The password now.
    #[serde(default)]
    pub current: String,
    /// The new one.
    #[serde(default)]
    pub new: String,
    /// The new one again.
    #[serde(default)]
    pub repeat: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let refuse = |errors| Ok(page(&viewer, &uri, StatusCode::BAD_REQUEST, errors));
    if let Err(e) = password::check(&f.new) {
        let words = match e {
            PasswordError::TooShort(_) => format!(
                "{}{}{}",
                l.t("新密码至少需要 ", "Use at least "),
                password::MIN_CHARS,
                l.t(" 个字符。", " characters.")
            ),
            _ => l
                .t("新密码太长。", "The new password is too long.")
                .to_owned(),
        };
        return refuse([None, Some(words), None]);
    }
    if f.new != f.repeat {
        let words = l.t("两次输入的新密码不一致。", "The two new passwords differ.");
        return refuse([None, None, Some(words.to_owned())]);
    }
    let account = state
        .store
        .account_by_id(viewer.account_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (current, new) = (f.current, f.new);
    let hashed = tokio::task::spawn_blocking(move || {
        if !password::verify(&current, &account.password_hash) {
            return Ok(None);
        }
        password::hash(&new).map(Some)
    })
    .await
    .map_err(|_| WebError::Internal("password hashing task failed".into()))?
    .map_err(|e| WebError::Internal(e.to_string()))?;
    let Some(hash) = hashed else {
        // A wrong current password counts as a failed login: this form must not be a
        // way around the throttle.
        state.throttle.failed(&viewer.username, None, state.now());
        let words = l.t("当前密码不正确。", "The current password is wrong.");
        return refuse([Some(words.to_owned()), None, None]);
    };
    state
        .store
        .account_set_password(viewer.account_id, hash, state.now())
        .await?;
    let mut res = Redirect::to("/login").into_response();
    let gone = session::set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        state.config.console.secure_cookie,
    );
    res.headers_mut().append(header::SET_COOKIE, gone);
    res.extensions_mut()
        .insert(Detail("changed own password".into()));
    Ok(res)
}
