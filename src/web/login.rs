//! Logging in and out, and the language switch.
//!
//! A login is refused with the same words whether the name is unknown, the account
//! disabled or the password wrong, and an unknown name costs the same hashing time, so
//! the answer does not tell which accounts exist. Failures are counted per name and per
//! address (`throttle.rs`); a locked login answers 429 with the time to try again.
//! Every attempt is written to the audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::{Actor, Detail};
use super::error::WebError;
use super::forms::safe_next;
use super::lang::{self, Lang};
use super::layout::Chrome;
use super::roles::Role;
use super::session::{self, SESSION_COOKIE, Visitor};
use super::state::WebState;
use super::throttle::Gate;
use super::{password, render_status};

/// Longest name looked at (a longer one cannot exist: see `accounts.rs`).
const MAX_NAME: usize = 64;

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    l: Lang,
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<String>,
}

/// `?next=` of the login page.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    /// Where to go after logging in.
    #[serde(default)]
    pub next: Option<String>,
}

/// The login form's fields.
#[derive(Default, Deserialize)]
pub struct LoginForm {
    /// The account's name.
    #[serde(default)]
    pub username: String,
    /// Its password.
    #[serde(default)]
    pub password: String,
    /// Where to go after.
    #[serde(default)]
    pub next: Option<String>,
}

fn login_page(
    visitor: &Visitor,
    uri: &Uri,
    username: String,
    next: &str,
    error: Option<String>,
) -> LoginPage {
    LoginPage {
        l: visitor.lang,
        chrome: Chrome::new(visitor, uri),
        username,
        next: next.to_owned(),
        error,
    }
}

/// `GET /login`: the form (a logged-in visitor goes on to `next`).
pub async fn form(visitor: Visitor, uri: Uri, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    if visitor.viewer.is_some() {
        return Redirect::to(next).into_response();
    }
    render_status(
        StatusCode::OK,
        &login_page(&visitor, &uri, String::new(), next, None),
    )
}

/// `POST /login`.
pub async fn submit(
    State(state): State<WebState>,
    visitor: Visitor,
    uri: Uri,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = visitor.lang;
    let next = safe_next(f.next.as_deref()).to_owned();
    let name: String = f.username.trim().chars().take(MAX_NAME).collect();
    let address = visitor.address.clone();
    let now = state.now();
    let refuse = |status: StatusCode, msg: String, detail: &str, account_id: Option<i64>| {
        let mut res = render_status(
            status,
            &login_page(&visitor, &uri, name.clone(), &next, Some(msg)),
        );
        res.extensions_mut().insert(Actor {
            account_id,
            username: name.clone(),
        });
        res.extensions_mut().insert(Detail(detail.to_owned()));
        res
    };
    if let Gate::LockedUntil(until) = state.throttle.gate(&name, address.as_deref(), now) {
        let at = crate::api::format_cst(until);
        let mut res = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{}{at}{}",
                l.t(
                    "登录失败次数过多，已暂时锁定。请在 ",
                    "Too many failed logins: locked for now. Try again after "
                ),
                l.t(" 之后再试。", ".")
            ),
            "login refused: too many failures",
            None,
        );
        let secs = (until - now).max(0) / 1000 + 1;
        if let Ok(v) = secs.to_string().parse() {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let account = match state.store.account_by_username(name.clone()).await {
        Ok(a) => a.filter(|a| !a.disabled),
        Err(e) => return WebError::Store(e).into_response(),
    };
    let typed = f.password;
    let found = account.clone();
    let ok = tokio::task::spawn_blocking(move || match &found {
        Some(a) => password::verify(&typed, &a.password_hash),
        None => {
            password::verify_nothing(&typed);
            false
        }
    })
    .await
    .unwrap_or(false);
    let role = account.as_ref().and_then(|a| Role::parse(&a.role));
    let (Some(account), true, Some(_)) = (account, ok, role) else {
        state.throttle.failed(&name, address.as_deref(), now);
        return refuse(
            StatusCode::UNAUTHORIZED,
            l.t("用户名或密码不正确。", "Wrong user name or password.")
                .to_owned(),
            "login failed",
            None,
        );
    };
    state.throttle.succeeded(&name);
    match start_session(&state, account.id, address).await {
        Ok(cookie) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res.extensions_mut().insert(Actor {
                account_id: Some(account.id),
                username: account.username,
            });
            res.extensions_mut().insert(Detail("logged in".into()));
            res
        }
        Err(e) => e.into_response(),
    }
}

/// Records a new session for `account_id`; the cookie that carries it.
async fn start_session(
    state: &WebState,
    account_id: i64,
    address: Option<String>,
) -> Result<axum::http::HeaderValue, WebError> {
    let id = session::token::<32>().map_err(|e| WebError::Internal(e.to_string()))?;
    let csrf = session::token::<32>().map_err(|e| WebError::Internal(e.to_string()))?;
    let now = state.now();
    let c = &state.config.console;
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    // Ended sessions of anybody go now: the table stays as small as the live ones.
    state
        .store
        .sessions_purge(now - ms(c.idle_timeout), now - ms(c.absolute_timeout))
        .await?;
    state
        .store
        .session_create(session::hash_id(&id), account_id, csrf, now, address)
        .await?;
    Ok(session::set_cookie(
        SESSION_COOKIE,
        &id,
        None,
        c.secure_cookie,
    ))
}

/// `POST /logout`: ends this session.
pub async fn logout(State(state): State<WebState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(id) = session::cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.store.session_delete(session::hash_id(id)).await {
            return WebError::Store(e).into_response();
        }
    }
    let mut res = Redirect::to("/login").into_response();
    let gone = session::set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        state.config.console.secure_cookie,
    );
    res.headers_mut().append(header::SET_COOKIE, gone);
    res.extensions_mut().insert(Detail("logged out".into()));
    res
}

/// `?to=&next=` of the language switch.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    /// `zh` or `en`.
    #[serde(default)]
    pub to: String,
    /// The page to go back to.
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /lang?to=en&next=/outbox`: remembers the language for a year and goes back.
pub async fn switch_lang(State(state): State<WebState>, Query(q): Query<LangQuery>) -> Response {
    let to = Lang::parse(&q.to);
    let mut res = Redirect::to(safe_next(q.next.as_deref())).into_response();
    let cookie = session::set_cookie(
        lang::COOKIE,
        to.code(),
        Some(365 * 86_400),
        state.config.console.secure_cookie,
    );
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}
