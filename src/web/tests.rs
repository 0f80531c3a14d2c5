//! HTTP-level tests of the console, in-process: the real router over a real daemon (on
//! the embedded default, data in a temporary directory), requests through `oneshot`.
//! Time moves by the console's clock ([`Clock::advance`](super::state::Clock::advance)),
//! never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::Response;
use tower::ServiceExt;

use super::roles::Role;
use super::state::WebState;
use crate::config::Config;
use crate::daemon::{Daemon, DaemonHandle};
use crate::testutil::TempDir;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A console over a running daemon.
pub(crate) struct Console {
    pub app: Router,
    pub state: WebState,
    daemon: Option<DaemonHandle>,
    _dir: TempDir,
}

/// A logged-in browser: its cookie header and CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Console {
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, |_| {}).await
    }

    pub async fn start_with(name: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = TempDir::new(&format!("web-{name}"));
        let mut config = Config::embedded_default().unwrap();
        config.storage.data_dir = dir.join("data");
        tweak(&mut config);
        let daemon = Daemon::start(config).await.unwrap();
        let state = WebState::from_daemon(&daemon);
        Self {
            app: super::router(state.clone()),
            state,
            daemon: Some(daemon),
            _dir: dir,
        }
    }

    pub async fn stop(mut self) {
        if let Some(d) = self.daemon.take() {
            d.shutdown(Duration::from_secs(5)).await;
        }
    }

    /// Creates an account with [`PASSWORD`].
    pub async fn account(&self, name: &str, role: Role) -> i64 {
        let a = super::accounts::new_account(name, role, None, PASSWORD).unwrap();
        self.state
            .store
            .account_create(a, self.state.now())
            .await
            .unwrap()
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        self.app.clone().oneshot(req).await.unwrap()
    }

    pub async fn get(&self, path: &str, session: Option<&Session>) -> Response {
        let mut b = Request::get(path);
        if let Some(s) = session {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// POSTs a urlencoded form (the session's token added as `csrf` unless `csrf` is
    /// given: `Some("")` sends none).
    pub async fn post(
        &self,
        path: &str,
        session: Option<&Session>,
        form: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Response {
        let mut fields: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let token = csrf.map(str::to_owned).or(session.map(|s| s.csrf.clone()));
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            fields.push(("csrf".into(), t));
        }
        let body = serde_urlencoded::to_string(&fields).unwrap();
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = session {
            b = b.header(header::COOKIE, &s.cookie);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Logs in through the form, as a browser does: fetch the login page (its CSRF
    /// cookie and token), post the form; the session's token from the next page.
    pub async fn login(&self, name: &str, password: &str) -> Result<Session, Response> {
        let page = self.get("/login", None).await;
        let pre = set_cookie(&page, super::session::CSRF_COOKIE).unwrap();
        let html = body(page).await;
        let token = field_value(&html, "csrf").unwrap();
        let pre_session = Session {
            cookie: format!("{}={pre}", super::session::CSRF_COOKIE),
            csrf: token,
        };
        let res = self
            .post(
                "/login",
                Some(&pre_session),
                &[("username", name), ("password", password), ("next", "/")],
                None,
            )
            .await;
        if res.status() != StatusCode::SEE_OTHER {
            return Err(res);
        }
        let id = set_cookie(&res, super::session::SESSION_COOKIE).unwrap();
        let cookie = format!("{}={id}", super::session::SESSION_COOKIE);
        let html = body(
            self.get(
                "/",
                Some(&Session {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
            )
            .await,
        )
        .await;
        let csrf = meta_csrf(&html).unwrap();
        Ok(Session { cookie, csrf })
    }
}

/// The value a response sets for cookie `name`.
pub(crate) fn set_cookie(res: &Response, name: &str) -> Option<String> {
    set_cookie_line(res.headers(), name)
        .and_then(|l| l.split(';').next().map(str::to_owned))
        .and_then(|kv| kv.split_once('=').map(|(_, v)| v.to_owned()))
}

/// The whole `Set-Cookie` line for cookie `name`.
pub(crate) fn set_cookie_line(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|l| l.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub(crate) async fn body(res: Response) -> String {
    let b = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .unwrap();
    String::from_utf8(b.to_vec()).unwrap()
}

/// The `value` of the input named `name` in a page.
pub(crate) fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_owned())
}

pub(crate) fn meta_csrf(html: &str) -> Option<String> {
    let at = html.find("<meta name=\"csrf-token\" content=\"")? + 33;
    Some(html[at..at + html[at..].find('"')?].to_owned())
}

#[tokio::test]
async fn a_staff_member_logs_in_sees_the_dashboard_and_logs_out() {
    let c = Console::start("login").await;
    c.account("li", Role::Staff).await;
    let s = c.login("li", PASSWORD).await.unwrap();
    let res = c.get("/", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains("id=\"account-name\""), "{html}");
    let out = c.post("/logout", Some(&s), &[], None).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie_line(out.headers(), super::session::SESSION_COOKIE)
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = c.get("/", Some(&s)).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is gone");
    c.stop().await;
}
