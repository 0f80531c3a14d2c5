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

use super::roles::{Access, Role};
use super::routes::PAGES;
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

/// A path of `spec` with its parameters filled in: `{id}` → `id`, `{file}` → a real
/// static file, any other → `1`.
fn concrete(path: &str, id: i64) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" => id.to_string(),
            "{file}" => "console.css".to_owned(),
            s if s.starts_with('{') => "1".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn request(
    method: &str,
    path: &str,
    session: Option<&Session>,
    token: Option<&str>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(s) = session {
        b = b.header(header::COOKIE, &s.cookie);
    }
    if method == "GET" {
        return b.body(Body::empty()).unwrap();
    }
    let body = token.map(|t| format!("csrf={t}")).unwrap_or_default();
    b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn is_unrouted(res: &Response) -> bool {
    res.extensions().get::<super::routes::Unrouted>().is_some()
}

#[tokio::test]
async fn the_router_serves_exactly_the_rows_of_pages() {
    let c = Console::start("pages-served").await;
    c.account("boss", Role::Admin).await;
    // {id} names another account: posting its forms must not end the admin's session.
    let target = c.account("target", Role::Staff).await;
    for spec in PAGES {
        // Logging out ends the session: a fresh one for every row.
        let s = c.login("boss", PASSWORD).await.unwrap();
        let path = concrete(spec.path, target);
        let res = c
            .send(request(spec.method, &path, Some(&s), Some(&s.csrf)))
            .await;
        assert!(
            !is_unrouted(&res),
            "{spec:?} is not served ({})",
            res.status()
        );
        assert_ne!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{spec:?}: an admin with the token is refused"
        );
        let other = if spec.method == "GET" { "POST" } else { "GET" };
        if super::routes::find(&other.parse().unwrap(), spec.path).is_none() {
            let res = c.send(request(other, &path, Some(&s), Some(&s.csrf))).await;
            assert!(
                is_unrouted(&res),
                "{other} {path} is served but not in PAGES"
            );
        }
    }
    let res = c.get("/no/such/page", None).await;
    assert!(is_unrouted(&res));
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    c.stop().await;
}

#[tokio::test]
async fn every_route_refuses_a_role_below_its_access_and_asks_strangers_to_log_in() {
    let c = Console::start("pages-roles").await;
    let target = c.account("target", Role::Staff).await;
    let mut sessions = Vec::new();
    for (name, role) in [("appr", Role::Approver), ("staff1", Role::Staff)] {
        c.account(name, role).await;
        sessions.push((role, c.login(name, PASSWORD).await.unwrap()));
    }
    let mut checked = 0;
    for spec in PAGES {
        let path = concrete(spec.path, target);
        if spec.access != Access::Public {
            let res = c.send(request(spec.method, &path, None, None)).await;
            assert_eq!(
                res.status(),
                StatusCode::SEE_OTHER,
                "{spec:?} without a session"
            );
            let to = res.headers()[header::LOCATION].to_str().unwrap();
            assert!(to.starts_with("/login"), "{spec:?} sends strangers to {to}");
            let mut fetch = request(spec.method, &path, None, None);
            fetch
                .headers_mut()
                .insert(header::ACCEPT, "application/json".parse().unwrap());
            let res = c.send(fetch).await;
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{spec:?} from a script"
            );
        }
        let Some(refused) = spec.access.refuses() else {
            continue;
        };
        for (role, s) in sessions.iter().filter(|(r, _)| *r <= refused) {
            let res = c
                .send(request(spec.method, &path, Some(s), Some(&s.csrf)))
                .await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{spec:?} as {role}");
            let html = body(res).await;
            assert!(
                html.contains("id=\"error\" data-status=\"403\""),
                "{spec:?}: {html}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} refusals checked");
    c.stop().await;
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_missing_or_wrong_csrf_token() {
    let c = Console::start("pages-csrf").await;
    c.account("boss", Role::Admin).await;
    let target = c.account("target", Role::Staff).await;
    let s = c.login("boss", PASSWORD).await.unwrap();
    let wrong = "0".repeat(s.csrf.len());
    let mut checked = 0;
    for spec in PAGES.iter().filter(|p| p.method != "GET") {
        let path = concrete(spec.path, target);
        for token in [None, Some(wrong.as_str())] {
            let res = c.send(request(spec.method, &path, Some(&s), token)).await;
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{spec:?} with token {token:?}"
            );
            let html = body(res).await;
            assert!(
                html.contains("安全令牌"),
                "{spec:?}: the page says why: {html}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 5);
    // The session still works: a refused request changed nothing.
    assert_eq!(c.get("/", Some(&s)).await.status(), StatusCode::OK);
    // The header is as good as the field (scripts).
    let mut req = request(
        "POST",
        &format!("/settings/accounts/{target}/status"),
        Some(&s),
        None,
    );
    req.headers_mut()
        .insert("x-csrf-token", s.csrf.parse().unwrap());
    assert_eq!(c.send(req).await.status(), StatusCode::SEE_OTHER);
    // A login form without the visitor's token is refused too (login CSRF).
    let res = c
        .post(
            "/login",
            None,
            &[("username", "boss"), ("password", PASSWORD)],
            Some(""),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    c.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_csp_and_the_session_cookie_its_flags() {
    let c = Console::start("csp").await;
    c.account("li", Role::Staff).await;
    let s = c.login("li", PASSWORD).await.unwrap();
    for (path, session) in [
        ("/login", None),
        ("/", Some(&s)),
        ("/", None),
        ("/settings", Some(&s)),
        ("/static/console.css", None),
        ("/nowhere", Some(&s)),
    ] {
        let res = c.get(path, session).await;
        let h = res.headers();
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            super::security::CSP,
            "{path}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
    }
    let css = c.get("/static/console.css", None).await;
    assert!(
        css.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let page = c.get("/", Some(&s)).await;
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = body(page).await;
    assert!(!html.contains("style=\""), "no inline style");
    assert!(!html.contains("<script>"), "no inline script");

    // The cookies' flags, without and with `secure_cookie`.
    let login = c.get("/login", None).await;
    let pre = set_cookie_line(login.headers(), super::session::CSRF_COOKIE).unwrap();
    assert!(
        pre.contains("HttpOnly") && pre.contains("SameSite=Strict") && pre.contains("Path=/"),
        "{pre}"
    );
    let pre_session = Session {
        cookie: format!(
            "{}={}",
            super::session::CSRF_COOKIE,
            set_cookie(&login, super::session::CSRF_COOKIE).unwrap()
        ),
        csrf: field_value(&body(login).await, "csrf").unwrap(),
    };
    let res = c
        .post(
            "/login",
            Some(&pre_session),
            &[("username", "li"), ("password", PASSWORD)],
            None,
        )
        .await;
    let line = set_cookie_line(res.headers(), super::session::SESSION_COOKIE).unwrap();
    assert!(
        line.contains("; Path=/; HttpOnly; SameSite=Strict"),
        "{line}"
    );
    assert!(!line.contains("Secure"), "{line}");
    assert!(
        !line.contains("Max-Age"),
        "a browser-session cookie: {line}"
    );
    let id = set_cookie(&res, super::session::SESSION_COOKIE).unwrap();
    assert_eq!(id.len(), 64, "256 random bits in hex");
    c.stop().await;

    let c = Console::start_with("csp-secure", |cfg| cfg.console.secure_cookie = true).await;
    c.account("li", Role::Staff).await;
    let page = c.get("/login", None).await;
    let pre = set_cookie_line(page.headers(), super::session::CSRF_COOKIE).unwrap();
    assert!(pre.ends_with("; Secure"), "{pre}");
    c.stop().await;
}

/// The stored session of a browser.
async fn stored(c: &Console, s: &Session) -> Option<crate::store::SessionRow> {
    let id = s.cookie.split_once('=').unwrap().1;
    c.state
        .store
        .session_lookup(super::session::hash_id(id))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_ends_after_its_idle_time_and_use_keeps_it_alive() {
    let c = Console::start("idle").await;
    c.account("li", Role::Staff).await;
    let s = c.login("li", PASSWORD).await.unwrap();
    let minutes = |m: u64| Duration::from_secs(60 * m);
    c.state.clock.advance(minutes(29));
    assert_eq!(c.get("/", Some(&s)).await.status(), StatusCode::OK);
    c.state.clock.advance(minutes(29));
    assert_eq!(
        c.get("/", Some(&s)).await.status(),
        StatusCode::OK,
        "use restarted the idle time"
    );
    c.state.clock.advance(minutes(30));
    let res = c.get("/settings/audit?from=2026-12-01", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/login?next=/settings/audit%3Ffrom%3D2026-12-01"
    );
    assert!(
        stored(&c, &s).await.is_none(),
        "the ended session is deleted"
    );
    c.stop().await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_time_however_busy() {
    let c = Console::start("absolute").await;
    c.account("li", Role::Staff).await;
    let s = c.login("li", PASSWORD).await.unwrap();
    for _ in 0..35 {
        c.state.clock.advance(Duration::from_secs(20 * 60));
        assert_eq!(c.get("/", Some(&s)).await.status(), StatusCode::OK);
    }
    // 11 h 40 min so far; 20 more minutes reach 12 h.
    c.state.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(c.get("/", Some(&s)).await.status(), StatusCode::SEE_OTHER);
    c.stop().await;
}

fn with_address(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr: std::net::SocketAddr = format!("{ip}:50000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

/// Posts the login form from `ip` (with a visitor token of its own).
async fn try_login(c: &Console, ip: &str, name: &str, password: &str) -> Response {
    let token = "ab".repeat(16);
    let form = serde_urlencoded::to_string([
        ("username", name),
        ("password", password),
        ("csrf", token.as_str()),
    ])
    .unwrap();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("{}={token}", super::session::CSRF_COOKIE),
        )
        .body(Body::from(form))
        .unwrap();
    c.send(with_address(req, ip)).await
}

#[tokio::test]
async fn failed_logins_lock_the_name_and_the_address_without_telling_which_names_exist() {
    let c = Console::start("throttle").await;
    c.account("li", Role::Staff).await;
    for _ in 0..5 {
        let res = try_login(&c, "192.0.2.1", "li", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let ghost = try_login(&c, "192.0.2.1", "nobody", "wrong password!").await;
        assert_eq!(ghost.status(), StatusCode::UNAUTHORIZED);
        let (a, b) = (body(res).await, body(ghost).await);
        assert!(a.contains("用户名或密码不正确") && b.contains("用户名或密码不正确"));
    }
    // Locked now, even with the right password, from anywhere; the unknown name too.
    let res = try_login(&c, "198.51.100.7", "li", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    let html = body(res).await;
    assert!(
        html.contains("登录失败次数过多") && html.contains("value=\"li\""),
        "{html}"
    );
    let ghost = try_login(&c, "198.51.100.7", "nobody", PASSWORD).await;
    assert_eq!(
        ghost.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "unknown names lock the same way"
    );
    // After the lock, the right password works.
    c.state.clock.advance(Duration::from_secs(61));
    let res = try_login(&c, "198.51.100.7", "li", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // One address failing for many names is locked for every name.
    for i in 0..20 {
        let res = try_login(&c, "203.0.113.9", &format!("guess{i}"), "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = try_login(&c, "203.0.113.9", "li", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = try_login(&c, "192.0.2.50", "li", PASSWORD).await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::SEE_OTHER,
        "other addresses are not locked"
    );
    c.stop().await;
}

#[tokio::test]
async fn a_disabled_account_or_a_new_password_ends_its_sessions() {
    let c = Console::start("account-changes").await;
    c.account("boss", Role::Admin).await;
    let li = c.account("li", Role::Staff).await;
    let admin = c.login("boss", PASSWORD).await.unwrap();
    let s = c.login("li", PASSWORD).await.unwrap();
    let res = c
        .post(
            &format!("/settings/accounts/{li}/password"),
            Some(&admin),
            &[("password", "a brand new secret")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        c.get("/", Some(&s)).await.status(),
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    assert!(
        c.login("li", PASSWORD).await.is_err(),
        "old password refused"
    );
    let s = c.login("li", "a brand new secret").await.unwrap();
    let res = c
        .post(
            &format!("/settings/accounts/{li}/status"),
            Some(&admin),
            &[("disabled", "true")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/", Some(&s)).await.status(),
        StatusCode::SEE_OTHER,
        "disabled: session ended"
    );
    let refused = c.login("li", "a brand new secret").await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        body(refused).await.contains("用户名或密码不正确"),
        "same words as a wrong password"
    );
    c.stop().await;
}

#[tokio::test]
async fn admins_create_accounts_with_a_password_shown_once_and_errors_keep_the_input() {
    let c = Console::start("accounts-page").await;
    c.account("boss", Role::Admin).await;
    let admin = c.login("boss", PASSWORD).await.unwrap();
    let res = c
        .post(
            "/settings/accounts",
            Some(&admin),
            &[
                ("username", "wang fang"),
                ("role", "approver"),
                ("phone", "138 0013 8000"),
                ("password", ""),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = body(res).await;
    assert!(html.contains("id=\"username-error\""), "{html}");
    assert!(
        html.contains("value=\"wang fang\"") && html.contains("value=\"138 0013 8000\""),
        "input kept"
    );
    assert!(
        html.contains("<option value=\"approver\" selected>"),
        "role kept"
    );

    let res = c
        .post(
            "/settings/accounts",
            Some(&admin),
            &[
                ("username", "wangfang"),
                ("role", "approver"),
                ("phone", "138 0013 8000"),
                ("password", ""),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    let at = html.find("id=\"new-password\">").unwrap() + 18;
    let pw = &html[at..at + html[at..].find('<').unwrap()];
    let s = c.login("wangfang", pw).await.unwrap();
    let a = c
        .state
        .store
        .account_by_username("wangfang".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.role.as_str(), a.phone.as_deref()),
        ("approver", Some("13800138000"))
    );
    // An approver may use "any" pages, not settings.
    assert_eq!(c.get("/", Some(&s)).await.status(), StatusCode::OK);
    assert_eq!(
        c.get("/settings/accounts", Some(&s)).await.status(),
        StatusCode::FORBIDDEN
    );

    let res = c
        .post(
            "/settings/accounts",
            Some(&admin),
            &[
                ("username", "wangfang"),
                ("role", "staff"),
                ("password", "long enough pw"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(body(res).await.contains("已有同名账号"));
    c.stop().await;
}

#[tokio::test]
async fn the_last_enabled_admin_keeps_its_role() {
    let c = Console::start("last-admin").await;
    let boss = c.account("boss", Role::Admin).await;
    let admin = c.login("boss", PASSWORD).await.unwrap();
    for (path, form) in [
        (
            format!("/settings/accounts/{boss}"),
            vec![("role", "staff"), ("phone", "")],
        ),
        (
            format!("/settings/accounts/{boss}/status"),
            vec![("disabled", "true")],
        ),
    ] {
        let res = c.post(&path, Some(&admin), &form, None).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{path}");
        assert!(body(res).await.contains("最后一个启用的管理员"));
    }
    assert_eq!(
        c.get("/settings", Some(&admin)).await.status(),
        StatusCode::OK
    );
    c.stop().await;
}

#[tokio::test]
async fn changes_and_logins_are_audited_with_who_and_where_and_exported() {
    let c = Console::start("audit").await;
    c.account("boss", Role::Admin).await;
    let target = c.account("target", Role::Staff).await;
    let _ = try_login(&c, "192.0.2.8", "boss", "not the password").await;
    let ok = try_login(&c, "192.0.2.8", "boss", PASSWORD).await;
    let cookie = format!(
        "{}={}",
        super::session::SESSION_COOKIE,
        set_cookie(&ok, super::session::SESSION_COOKIE).unwrap()
    );
    let html = body(
        c.get(
            "/",
            Some(&Session {
                cookie: cookie.clone(),
                csrf: String::new(),
            }),
        )
        .await,
    )
    .await;
    let admin = Session {
        cookie,
        csrf: meta_csrf(&html).unwrap(),
    };
    let form = format!("disabled=true&csrf={}", admin.csrf);
    let req = Request::post(format!("/settings/accounts/{target}/status"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &admin.cookie)
        .body(Body::from(form))
        .unwrap();
    assert_eq!(
        c.send(with_address(req, "192.0.2.8")).await.status(),
        StatusCode::SEE_OTHER
    );
    let _ = c.get("/settings/accounts", Some(&admin)).await;

    let entries = c
        .state
        .store
        .audit_page(crate::store::AuditQuery::default(), 10)
        .await
        .unwrap();
    let got: Vec<_> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.entry.username.as_str(),
                e.entry.path.as_str(),
                e.entry.status,
                e.entry.detail.as_deref(),
                e.entry.address.as_deref(),
            )
        })
        .collect();
    let status_path = format!("/settings/accounts/{target}/status");
    assert_eq!(
        got,
        [
            (
                "boss",
                "/login",
                401,
                Some("login failed"),
                Some("192.0.2.8")
            ),
            ("boss", "/login", 303, Some("logged in"), Some("192.0.2.8")),
            (
                "boss",
                status_path.as_str(),
                303,
                Some("account target: disabled"),
                Some("192.0.2.8")
            ),
        ],
        "GETs are not audited"
    );
    let page = body(c.get("/settings/audit", Some(&admin)).await).await;
    assert!(page.contains("account target: disabled"), "{page}");
    let csv = c.get("/settings/audit.csv", Some(&admin)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = body(csv).await;
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("account target: disabled"));
    let bad = c.get("/settings/audit?from=12/07/2026", Some(&admin)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(bad).await.contains("id=\"from-error\""));
    c.stop().await;
}

#[tokio::test]
async fn the_language_switch_remembers_english_and_only_goes_back_to_this_site() {
    let c = Console::start("lang").await;
    let res = c.get("/lang?to=en&next=/login", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/login");
    let line = set_cookie_line(res.headers(), "lang").unwrap();
    assert!(line.starts_with("lang=en;"), "{line}");
    let req = Request::get("/login")
        .header(header::COOKIE, "lang=en")
        .body(Body::empty())
        .unwrap();
    let html = body(c.send(req).await).await;
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("Log in to hongyan"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/lang?to=zh&#38;next=/login\""),
        "{html}"
    );
    let res = c.get("/lang?to=en&next=//evil.example/", None).await;
    assert_eq!(res.headers()[header::LOCATION], "/");
    c.stop().await;
}
