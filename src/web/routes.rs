//! Every console route in one table, [`PAGES`]: method, path, who may use it, and what it
//! is for. The router is built from the table (a row cannot be forgotten in one or the
//! other), and [`guard`] — one middleware for every route — enforces, in order:
//!
//! 1. who is asking: the session cookie → [`Viewer`] (ended sessions are deleted);
//! 2. the row's [`Access`]: not logged in → 303 to `/login?next=…` (401 for scripts);
//!    a role below the access → 403 page;
//! 3. CSRF on every method but GET/HEAD (`csrf.rs`) → 403 page;
//! 4. after the handler: the audit entry of every state-changing request that succeeded
//!    (or whose handler added a [`Detail`](super::audit::Detail)).
//!
//! Per-item rules (an approver sees only their own approvals, staff only the approvals
//! they created) are the handler's: the table knows routes, not rows.
//!
//! To add a page: APPEND a row to [`PAGES`] with its handler; tests check every row
//! (refusals by role, CSRF, served by the router).

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use super::error::WebError;
use super::lang::Lang;
use super::roles::{Access, Role};
use super::session::{self, CSRF_COOKIE, LoginRequired, Visitor};
use super::state::WebState;
use super::{
    approvals, assets, audit, compose, contact_import, contacts, csrf, dashboard, drafts, groups,
    inbox, login, outbox, settings, snippets,
};

/// One console route.
#[derive(Clone, Copy)]
pub struct PageSpec {
    /// `GET` or `POST` (forms post; there is no PUT/DELETE in a plain HTML form).
    pub method: &'static str,
    /// The path, with `{param}`s as axum writes them.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// What it is for, in one line.
    pub summary: &'static str,
    /// Its handler, as an axum method router for `method`.
    pub handler: fn() -> MethodRouter<WebState>,
}

impl std::fmt::Debug for PageSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.method, self.path, self.access)
    }
}

const fn page(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    handler: fn() -> MethodRouter<WebState>,
) -> PageSpec {
    PageSpec {
        method,
        path,
        access,
        summary,
        handler,
    }
}

/// Every console route. APPEND new rows (several engineers add pages at once; one row
/// per line, so rustfmt is told to leave the table alone).
#[rustfmt::skip]
pub static PAGES: &[PageSpec] = &[
    page("GET", "/login", Access::Public, "the login form", || get(login::form)),
    page("POST", "/login", Access::Public, "log in (username, password)", || post(login::submit)),
    page("POST", "/logout", Access::Any, "log out: end this session", || post(login::logout)),
    page("GET", "/lang", Access::Public, "switch the language (to=zh|en, next=path)", || get(login::switch_lang)),
    page("GET", "/static/{file}", Access::Public, "embedded static files", || get(assets::serve)),
    page("GET", "/", Access::Any, "概览 dashboard", || get(dashboard::page)),
    page("GET", "/settings", Access::Admin, "设置 settings index", || get(settings::index)),
    page("GET", "/settings/accounts", Access::Admin, "console accounts and roles", || get(settings::accounts::list)),
    page("POST", "/settings/accounts", Access::Admin, "create an account", || post(settings::accounts::create)),
    page("GET", "/settings/accounts/{id}", Access::Admin, "one account", || get(settings::accounts::edit)),
    page("POST", "/settings/accounts/{id}", Access::Admin, "an account's role and phone", || post(settings::accounts::update)),
    page("POST", "/settings/accounts/{id}/password", Access::Admin, "an account's new password (its sessions end)", || post(settings::accounts::set_password)),
    page("POST", "/settings/accounts/{id}/status", Access::Admin, "disable or enable an account", || post(settings::accounts::set_status)),
    page("GET", "/settings/links", Access::Admin, "the configured links, read-only, no secrets", || get(settings::links::page)),
    page("GET", "/settings/audit", Access::Admin, "the audit log", || get(settings::audit::page)),
    page("GET", "/settings/audit.csv", Access::Admin, "the audit log as CSV", || get(settings::audit::csv)),
    page(
        "GET",
        "/compose",
        Access::Staff,
        "写短信 compose (from ?draft= or ?template=)",
        || get(compose::page),
    ),
    page(
        "POST",
        "/compose",
        Access::Staff,
        "compose: save a draft, or go on to the confirmation",
        || post(compose::submit),
    ),
    page(
        "POST",
        "/compose/send",
        Access::Staff,
        "compose: the confirmation's send (one-time key: sent once)",
        || post(compose::send),
    ),
    page(
        "GET",
        "/compose/preview",
        Access::Staff,
        "compose: the live counter's figures (JSON)",
        || get(compose::preview),
    ),
    page(
        "GET",
        "/outbox",
        Access::Staff,
        "发件箱 outbox: jobs newest first, filtered, keyset-paged",
        || get(outbox::page),
    ),
    page(
        "GET",
        "/outbox/export.csv",
        Access::Staff,
        "outbox: the filtered list as CSV (UTF-8 with BOM)",
        || get(outbox::export),
    ),
    page(
        "GET",
        "/outbox/{job}",
        Access::Staff,
        "a job: its recipients (paged) with state, carrier, cost and codes explained",
        || get(outbox::job),
    ),
    page(
        "POST",
        "/outbox/{job}/cancel",
        Access::Staff,
        "cancel a scheduled or queued job",
        || post(outbox::cancel),
    ),
    page(
        "GET",
        "/drafts",
        Access::Staff,
        "草稿箱 drafts (own; admins all)",
        || get(drafts::drafts),
    ),
    page(
        "POST",
        "/drafts/{id}/delete",
        Access::Staff,
        "delete a draft (own; admins any)",
        || post(drafts::delete),
    ),
    page(
        "GET",
        "/scheduled",
        Access::Staff,
        "定时 scheduled jobs: move or cancel",
        || get(drafts::scheduled),
    ),
    page(
        "POST",
        "/scheduled/{job}",
        Access::Staff,
        "move a scheduled job to another time",
        || post(drafts::reschedule),
    ),
    page(
        "GET",
        "/settings/signatures",
        Access::Admin,
        "设置 signatures",
        || get(snippets::signatures),
    ),
    page(
        "POST",
        "/settings/signatures",
        Access::Admin,
        "save a signature",
        || post(snippets::signature_save),
    ),
    page(
        "POST",
        "/settings/signatures/{id}/delete",
        Access::Admin,
        "delete a signature",
        || post(snippets::signature_delete),
    ),
    page(
        "GET",
        "/settings/templates",
        Access::Admin,
        "设置 message templates",
        || get(snippets::templates),
    ),
    page(
        "POST",
        "/settings/templates",
        Access::Admin,
        "save a template",
        || post(snippets::template_save),
    ),
    page(
        "POST",
        "/settings/templates/{id}/delete",
        Access::Admin,
        "delete a template",
        || post(snippets::template_delete),
    ),
    page(
        "GET",
        "/inbox",
        Access::Any,
        "收件箱: replies, unread first, filtered",
        || get(inbox::page),
    ),
    page(
        "GET",
        "/inbox.csv",
        Access::Staff,
        "the filtered inbox as CSV",
        || get(inbox::export),
    ),
    page(
        "POST",
        "/inbox/{id}/read",
        Access::Staff,
        "mark a reply read",
        || post(inbox::mark_read),
    ),
    page(
        "POST",
        "/inbox/{id}/reply",
        Access::Staff,
        "reply to a message (one SMS, sent once)",
        || post(inbox::reply),
    ),
    page(
        "GET",
        "/contacts",
        Access::Any,
        "通讯录: search contacts",
        || get(contacts::list),
    ),
    page(
        "GET",
        "/contacts.csv",
        Access::Staff,
        "the filtered contacts as CSV (the import format)",
        || get(contacts::export),
    ),
    page(
        "GET",
        "/contacts/new",
        Access::Staff,
        "the new-contact form",
        || get(contacts::new_form),
    ),
    page(
        "POST",
        "/contacts/new",
        Access::Staff,
        "add a contact",
        || post(contacts::create),
    ),
    page(
        "GET",
        "/contacts/{id}",
        Access::Staff,
        "the contact's edit form",
        || get(contacts::edit_form),
    ),
    page(
        "POST",
        "/contacts/{id}",
        Access::Staff,
        "edit a contact",
        || post(contacts::update),
    ),
    page(
        "POST",
        "/contacts/{id}/delete",
        Access::Staff,
        "delete a contact",
        || post(contacts::delete),
    ),
    page(
        "GET",
        "/contacts/import",
        Access::Staff,
        "the contact-file upload form",
        || get(contact_import::form),
    ),
    page(
        "POST",
        "/contacts/import",
        Access::Staff,
        "upload a contact file: preview every row",
        || post(contact_import::preview),
    ),
    page(
        "POST",
        "/contacts/import/confirm",
        Access::Staff,
        "import exactly the previewed file",
        || post(contact_import::confirm),
    ),
    page(
        "GET",
        "/groups",
        Access::Any,
        "groups with their sizes",
        || get(groups::list),
    ),
    page("POST", "/groups", Access::Staff, "create a group", || {
        post(groups::create)
    }),
    page(
        "GET",
        "/groups/{id}",
        Access::Any,
        "a group's members",
        || get(groups::members),
    ),
    page(
        "POST",
        "/groups/{id}/members",
        Access::Staff,
        "add contacts to a group or remove them",
        || post(groups::change_members),
    ),
    page(
        "POST",
        "/groups/{id}/delete",
        Access::Staff,
        "delete a group (not its contacts)",
        || post(groups::delete),
    ),
    page(
        "GET",
        "/approvals",
        Access::Any,
        "审批: waiting for me, and all I may see",
        || get(approvals::list),
    ),
    page(
        "GET",
        "/approvals/new",
        Access::Staff,
        "the new-approval form (approvers picked from contacts)",
        || get(approvals::new_form),
    ),
    page(
        "POST",
        "/approvals/new",
        Access::Staff,
        "create an approval request",
        || post(approvals::create),
    ),
    page(
        "GET",
        "/approvals/{id}",
        Access::Any,
        "an approval's timeline",
        || get(approvals::detail),
    ),
    page(
        "POST",
        "/approvals/{id}/decide",
        Access::Any,
        "decide one's own step on the web",
        || post(approvals::decide),
    ),
    page(
        "POST",
        "/approvals/{id}/resend",
        Access::Staff,
        "send the approval SMS again to silent approvers",
        || post(approvals::resend),
    ),
];

/// Marks the answer of a request no row of [`PAGES`] serves (tests tell it from a
/// handler's own 404).
#[derive(Debug, Clone, Copy)]
pub struct Unrouted;

/// The answer to a path or method no row serves: a 404 page.
pub async fn unrouted() -> Response {
    let mut res = WebError::NotFound.into_response();
    res.extensions_mut().insert(Unrouted);
    res
}

/// The table's row for a request (HEAD is served as GET).
pub fn find(method: &Method, path: &str) -> Option<&'static PageSpec> {
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    PAGES.iter().find(|p| p.path == path && p.method == m)
}

/// Whether `role` may GET `path` (the navigation shows only such links).
pub fn may_get(path: &str, role: Role) -> bool {
    find(&Method::GET, path).is_some_and(|p| p.access.allows(Some(role)))
}

/// The routes of [`PAGES`], each behind [`guard`].
pub fn router(state: WebState) -> Router<WebState> {
    let mut r = Router::new();
    for p in PAGES {
        r = r.route(p.path, (p.handler)());
    }
    r.route_layer(axum::middleware::from_fn_with_state(state, guard))
}

/// The client's address (the TCP peer).
fn address(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The one middleware of every console route (see the module docs).
pub async fn guard(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let Some(spec) = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| find(req.method(), m.as_str()))
    else {
        return WebError::NotFound.into_response();
    };
    let lang = Lang::from_headers(req.headers());
    let viewer = match session::resolve(&state, req.headers(), lang).await {
        Ok(v) => v,
        Err(e) => return WebError::Store(e).into_response(),
    };
    // A visitor without a session gets a CSRF token of their own (for the login form).
    let mut new_csrf_cookie = None;
    let csrf_token = match (&viewer, session::cookie(req.headers(), CSRF_COOKIE)) {
        (Some(v), _) => v.csrf.clone(),
        (None, Some(t)) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
            t.to_owned()
        }
        (None, _) => match session::token::<16>() {
            Ok(t) => {
                new_csrf_cookie = Some(t.clone());
                t
            }
            Err(e) => return WebError::Internal(e.to_string()).into_response(),
        },
    };
    let visitor = Visitor {
        viewer: viewer.clone(),
        lang,
        csrf: csrf_token.clone(),
        address: address(&req),
    };
    let mut res = admit(&state, spec, visitor.clone(), req, next).await;
    if let Some(t) = new_csrf_cookie {
        let cookie = session::set_cookie(CSRF_COOKIE, &t, None, state.config.console.secure_cookie);
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // The error layer renders error pages with the visitor's chrome.
    res.extensions_mut().insert(visitor);
    res
}

async fn admit(
    state: &WebState,
    spec: &PageSpec,
    visitor: Visitor,
    req: Request,
    next: Next,
) -> Response {
    let role = visitor.viewer.as_ref().map(|v| v.role);
    if !spec.access.allows(role) {
        if role.is_none() {
            let next_path = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
            return LoginRequired {
                // A form posted after the session ended goes back to its page's login,
                // not to a POST-only address.
                next: if is_get { next_path } else { "/".into() },
                fetch: session::wants_fetch_answer(req.method(), req.headers()),
            }
            .into_response();
        }
        return WebError::Forbidden.into_response();
    }
    let method = req.method().clone();
    let changes = method != Method::GET && method != Method::HEAD;
    let mut req = req;
    if changes {
        let (checked, token) = match csrf::carried(req, state.config.api.max_body_bytes).await {
            Ok(x) => x,
            Err(csrf::BodyError::TooLarge(_)) => return WebError::TooLarge.into_response(),
        };
        if !csrf::matches(token.as_deref(), &visitor.csrf) {
            return WebError::Csrf.into_response();
        }
        req = checked;
    }
    let path = req.uri().path().to_owned();
    req.extensions_mut().insert(visitor.clone());
    if let Some(v) = &visitor.viewer {
        req.extensions_mut().insert(v.clone());
    }
    let res = next.run(req).await;
    if changes {
        if let Some(entry) = audit::entry(&visitor, &method, &path, &res) {
            audit::record(state, entry).await;
        }
    }
    res
}
