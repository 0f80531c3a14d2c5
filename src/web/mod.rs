//! The staff console: server-rendered pages for office staff — send, follow, answer,
//! approve — served at `/` from the API's listener (every path but the API's own).
//! Templates (askama, compile-time checked) live in `templates/web/`, static files in
//! `static/web/`, both compiled into the binary. No JavaScript build step, nothing from
//! another site, a strict CSP (no inline script or style).
//!
//! # Files
//!
//! | file | holds |
//! |---|---|
//! | `routes.rs` | [`PAGES`]: every route (method, path, access, summary, handler); the guard: session → role → CSRF → audit |
//! | `state.rs` | [`WebState`]: the daemon's parts (store, submitter, workflow, link monitors, config), clock, throttle |
//! | `session.rs` | [`Viewer`] / [`Visitor`] extractors, session cookie, expiry rule |
//! | `roles.rs` | [`Role`] (admin, staff, approver) and [`Access`] (public, any, staff, admin) |
//! | `csrf.rs` | the CSRF token: header `X-CSRF-Token` or form field `csrf` |
//! | `security.rs` | CSP and the other security headers |
//! | `lang.rs` | [`Lang`]: zh-CN (default) / en, `lang.t("中文", "English")` |
//! | `layout.rs` | [`Chrome`]: what `base.html` needs; the navigation |
//! | `error.rs` | [`WebError`]: a page's failure, rendered in the viewer's language |
//! | `assets.rs` | embedded static files, `/static/{file}`, [`assets::url`] |
//! | `audit.rs` | [`audit::Detail`]: the words a handler adds to its audit entry |
//! | `forms.rs` | percent-encoding, the safe `next=` rule |
//! | `password.rs` | argon2id hashing, generated passwords |
//! | `throttle.rs` | failed-login counting per name and address |
//! | `accounts.rs` | account rules shared with the CLI (names, first admin) |
//! | `login.rs` | `/login`, `/logout`, `/lang` |
//! | `account.rs` | `/account`: my own account, a new password |
//! | `dashboard.rs` | `/` |
//! | `download.rs` | streamed CSV downloads that open in Excel (BOM, CRLF, no formulas) |
//! | `settings/` | `/settings`: accounts, links, audit log (+ other settings pages) |
//! | `compose.rs` | `/compose` (写短信), its live counter and confirmation |
//! | `when.rs` | China-time form values and display |
//! | `outbox.rs` | `/outbox` (发件箱): filters, keyset pages, CSV export; a job's recipients; cancel |
//! | `drafts.rs` | `/drafts` (草稿箱) and `/scheduled` (定时: move or cancel) |
//! | `snippets.rs` | `/settings/signatures`, `/settings/templates` |
//!
//! # Decisions for every page (the skeleton's contract)
//!
//! * **Adding a page**: a handler in its own file under `src/web/`, a template under
//!   `templates/web/` extending `web/base.html`, and a row APPENDED to [`PAGES`]. The
//!   router is built from the table; nothing else registers routes. The navigation
//!   ([`layout::NAV`]) shows an entry once its GET row exists and the role may use it.
//! * **Roles** are enforced by the guard from the row's [`Access`]; a handler checks
//!   only per-item rules (an approver's own approvals, staff's own drafts). Forms post
//!   (`POST`); there is no PUT/DELETE from an HTML form: a delete is
//!   `POST /things/{id}/delete`.
//! * **Handlers** take [`Viewer`] (logged in; the guard guarantees it on non-public
//!   routes) or [`Visitor`] (anybody), `State<WebState>`, the `Uri` (for [`Chrome`]),
//!   and `Form`/`Query`/`Multipart` with `#[serde(default)]` fields, so a missing field
//!   is the page's error next to the field, never axum's plain-text rejection.
//!   They return `Response` (or `Result<Response, WebError>`): [`render`] a template,
//!   `Redirect::to` after a successful POST (303: reload does not post again), or
//!   [`WebError`] for a page that cannot be shown (404, 403, store failure) — the error
//!   layer renders it in the viewer's language.
//! * **Templates**: the struct has `l: Lang` and `chrome: Chrome`; text is
//!   `{{ l.t("中文", "English") }}`; every form carries
//!   `<input type="hidden" name="csrf" value="{{ chrome.csrf }}">` (scripts send the
//!   `X-CSRF-Token` header from `<meta name="csrf-token">`). No `style="…"`, no
//!   `on…=`, no inline `<script>`: a page's script is a file `static/web/NAME.js`
//!   added to [`assets::ASSETS`] and linked in `{% block head %}` with
//!   `<script src="{{ chrome.asset("NAME.js") }}" defer></script>`. Every control has a
//!   `<label for>`; an error is a `<p class="error" id="FIELD-error">` right after its
//!   field, which gets `aria-invalid="true" aria-describedby="FIELD-error"`; the form
//!   keeps every value typed.
//! * **CSS** (`static/web/console.css`): `.panel` (a card), `.stack` (a vertical form),
//!   `.row` (controls side by side, wrapping), `.primary` / `.danger` buttons, `.error`,
//!   `.hint`, `.ok` (a success notice), `.badge` + `.state-<name>`,
//!   `table.list` (stacks into labelled rows under 640 px: give each `<td>` a
//!   `data-label="…"`), `.pager`, `.actions`, `.inline` (an inline form), `.num`
//!   (right-aligned figures), `.sr-only` (text for screen readers only), `.table-wrap`
//!   (a table that scrolls inside its box). Mobile first; 375 px wide works without horizontal scroll.
//! * **Audit**: the guard records every successful POST (and any response with an
//!   [`audit::Detail`]); a handler adds `res.extensions_mut().insert(Detail(…))` with
//!   words such as "sent job 123 to 40 recipients".
//! * **No SQL here**: a page calls the same store / workflow / dispatch operations as the
//!   API; a new query goes into the store topic file that owns it.
//! * **Times** are shown in China time (`crate::api::format_cst`, or the page's own
//!   shorter form); **stable ids** for the browser tests: `#login-form`, `#username`,
//!   `#password`, `#login-submit`, `#login-error`, `#logout`, `#lang-switch`,
//!   `#account-name`, `#error` (with `data-status`), `#main`.

pub mod account;
pub mod accounts;
mod approvals;
pub mod assets;
pub mod audit;
pub mod chart;
mod compose;
mod contact_import;
mod contacts;
pub mod csrf;
mod dashboard;
pub mod download;
mod drafts;
pub mod error;
pub mod forms;
mod groups;
mod inbox;
pub mod lang;
pub mod layout;
pub mod link_words;
mod login;
mod outbox;
pub mod page_kit;
pub mod password;
mod refusals;
pub mod roles;
pub mod routes;
pub mod security;
pub mod session;
pub mod settings;
mod snippets;
pub mod state;
pub mod throttle;
mod when;

#[cfg(test)]
mod compose_tests;
#[cfg(test)]
mod pages_tests;
#[cfg(test)]
mod tests;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

pub use error::WebError;
pub use lang::Lang;
pub use layout::Chrome;
pub use roles::{Access, Role};
pub use routes::{PAGES, PageSpec};
pub use session::{Viewer, Visitor};
pub use state::WebState;

/// The console's router (every path but the API's), with its state applied.
pub fn router(state: WebState) -> Router {
    let max_body = state.config.api.max_body_bytes;
    routes::router(state.clone())
        .fallback(routes::unrouted)
        .method_not_allowed_fallback(routes::unrouted)
        .layer(axum::middleware::from_fn(error_pages))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// A template as an HTML page (200).
pub fn render<T: Template>(page: &T) -> Response {
    render_status(StatusCode::OK, page)
}

/// A template as an HTML page with `status`.
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::Internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorTemplate<'a> {
    l: Lang,
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    text: &'a str,
}

/// Renders a [`WebError`]'s marker as a page in the visitor's language (middleware).
async fn error_pages(req: Request, next: Next) -> Response {
    let uri = req.uri().clone();
    let lang = Lang::from_headers(req.headers());
    let fetch = session::wants_fetch_answer(req.method(), req.headers());
    let res = next.run(req).await;
    let Some(page) = res.extensions().get::<error::ErrorPage>().cloned() else {
        return res;
    };
    let visitor = res
        .extensions()
        .get::<Visitor>()
        .cloned()
        .unwrap_or(Visitor {
            viewer: None,
            lang,
            csrf: String::new(),
            address: None,
        });
    let (heading, text) = page.text(visitor.lang);
    let (mut parts, _) = res.into_parts();
    if fetch {
        // A script gets the words, not a page.
        let body = axum::body::Body::from(format!("{heading}: {text}"));
        parts.headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return Response::from_parts(parts, body);
    }
    let tpl = ErrorTemplate {
        l: visitor.lang,
        chrome: Chrome::new(&visitor, &uri),
        status: page.status.as_u16(),
        heading,
        text,
    };
    match tpl.render() {
        Ok(html) => {
            parts.headers.insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Response::from_parts(parts, axum::body::Body::from(html))
        }
        Err(e) => {
            tracing::error!(error = %e, "console error page failed to render");
            Response::from_parts(parts, axum::body::Body::from(heading.to_owned()))
        }
    }
}
