//! Sessions and who is asking.
//!
//! * The session cookie (`hongyan_session`) holds a random 256-bit id (hex); the store
//!   keeps its SHA-256 only. `HttpOnly; SameSite=Strict; Path=/`, plus `Secure` when
//!   `console.secure_cookie` is set (the console served through TLS).
//! * A session ends after `console.idle_timeout` unused or `console.absolute_timeout`
//!   after its login, whichever comes first ([`judge`]); on logout; and when its account
//!   gets a new password, another role, or is disabled (the store deletes them).
//! * Each session has its own CSRF token. A visitor without a session gets one in the
//!   `hongyan_csrf` cookie (same flags), which the login form must echo: that keeps
//!   another site from logging a browser in to an account of its choosing.
//!
//! The guard (`routes.rs`) resolves the request once and leaves a [`Visitor`] — and, if
//! logged in, a [`Viewer`] — in the request's extensions; handlers take them as
//! extractors.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::lang::Lang;
use super::roles::Role;
use super::state::WebState;
use crate::store::{Millis, SessionRow, StoreError};

/// The session cookie.
pub const SESSION_COOKIE: &str = "hongyan_session";
/// The CSRF cookie of a visitor without a session.
pub const CSRF_COOKIE: &str = "hongyan_csrf";
/// `seen_at` is written again only once it is this old: one write a minute per session,
/// not one per request (idle expiry is then at most this much late).
pub const TOUCH_EVERY_MS: Millis = 60_000;

/// The logged-in account a request comes from.
#[derive(Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The account's id.
    pub account_id: i64,
    /// Its login name.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// The phone number it is tied to (an approver's number), if any.
    pub phone: Option<String>,
    /// The page language.
    pub lang: Lang,
    /// The session's CSRF token (forms carry it as `csrf`).
    pub csrf: String,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// Anybody asking, logged in or not: what a public page (login) needs.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The logged-in account, if any.
    pub viewer: Option<Viewer>,
    /// The page language.
    pub lang: Lang,
    /// The CSRF token forms must carry (the session's, or the visitor cookie's).
    pub csrf: String,
    /// The client's address (for throttling and the audit log).
    pub address: Option<String>,
}

/// Not logged in: where a page request is sent (303 to the login page, back here
/// after), or 401 for a script's request.
#[derive(Debug)]
pub struct LoginRequired {
    /// The path (and query) to come back to.
    pub next: String,
    /// A `fetch` call (JSON wanted, or not a GET): answer 401, not a redirect.
    pub fetch: bool,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.fetch {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                [(header::CACHE_CONTROL, "no-store")],
                "login required",
            )
                .into_response();
        }
        Redirect::to(&login_url(&self.next)).into_response()
    }
}

/// `/login?next=…` (the next path percent-encoded).
pub fn login_url(next: &str) -> String {
    if next == "/" || next.is_empty() {
        return "/login".into();
    }
    format!("/login?next={}", super::forms::encode(next))
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| LoginRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned(),
                fetch: wants_fetch_answer(&parts.method, &parts.headers),
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .unwrap_or_else(|| Visitor {
                viewer: None,
                lang: Lang::from_headers(&parts.headers),
                csrf: String::new(),
                address: None,
            }))
    }
}

/// True for a request a script made (wants JSON, or says it is a fetch): such a caller
/// gets a status, not a page or a redirect.
pub fn wants_fetch_answer(method: &axum::http::Method, headers: &HeaderMap) -> bool {
    let accepts_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    let fetch_mode = headers
        .get("sec-fetch-mode")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m == "cors" || m == "same-origin");
    let method_not_navigable = method != axum::http::Method::GET
        && method != axum::http::Method::HEAD
        && method != axum::http::Method::POST;
    accepts_json || fetch_mode || method_not_navigable || headers.contains_key("x-csrf-token")
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The stored form of a session id.
pub fn hash_id(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new random token of `N` bytes, in hex.
pub fn token<const N: usize>() -> Result<String, super::password::PasswordError> {
    Ok(hex(&super::password::random_bytes::<N>()?))
}

/// What becomes of a stored session at `now` ([`judge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid; `touch`: write `seen_at` again.
    Valid {
        /// Whether to note that it was seen now.
        touch: bool,
    },
    /// Idle too long, too old, or its account disabled: delete it, log in again.
    Ended,
}

/// The pure rule of session expiry.
pub fn judge(row: &SessionRow, now: Millis, c: &crate::config::Console) -> Verdict {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    if row.disabled
        || now.saturating_sub(row.seen_at) >= ms(c.idle_timeout)
        || now.saturating_sub(row.created_at) >= ms(c.absolute_timeout)
    {
        return Verdict::Ended;
    }
    Verdict::Valid {
        touch: now.saturating_sub(row.seen_at) >= TOUCH_EVERY_MS,
    }
}

/// The viewer behind a request's session cookie, if it has a live session; an ended one
/// is deleted on the way.
pub async fn resolve(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
) -> Result<Option<Viewer>, StoreError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = hash_id(id);
    let Some(row) = state.store.session_lookup(id_hash.clone()).await? else {
        return Ok(None);
    };
    let now = state.now();
    match judge(&row, now, &state.config.console) {
        Verdict::Ended => {
            state.store.session_delete(id_hash).await?;
            Ok(None)
        }
        Verdict::Valid { touch } => {
            let Some(role) = Role::parse(&row.role) else {
                tracing::warn!(account = %row.username, role = %row.role, "console account with an unknown role refused");
                return Ok(None);
            };
            if touch {
                state.store.session_touch(id_hash, now).await?;
            }
            Ok(Some(Viewer {
                account_id: row.account_id,
                username: row.username,
                role,
                phone: row.phone,
                lang,
                csrf: row.csrf,
            }))
        }
    }
}

/// A `Set-Cookie` value with the console's flags; `max_age` in seconds (`Some(0)`
/// deletes, `None` lasts for the browser session).
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    // Names and values are ours (hex, fixed names): always a valid header value.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::Console;

    fn row(created_at: Millis, seen_at: Millis) -> SessionRow {
        SessionRow {
            account_id: 1,
            username: "li".into(),
            role: "staff".into(),
            phone: None,
            disabled: false,
            csrf: "t".into(),
            created_at,
            seen_at,
        }
    }

    #[test]
    fn a_session_ends_when_idle_or_old_or_disabled() {
        let c = Console::default(); // 30 min idle, 12 h absolute
        let min = 60_000;
        assert_eq!(
            judge(&row(0, 0), 30 * min - 1, &c),
            Verdict::Valid { touch: true }
        );
        assert_eq!(judge(&row(0, 0), 30 * min, &c), Verdict::Ended);
        assert_eq!(
            judge(&row(0, 0), 10_000, &c),
            Verdict::Valid { touch: false }
        );
        let busy = row(0, 12 * 60 * min - 1);
        assert_eq!(
            judge(&busy, 12 * 60 * min - 1, &c),
            Verdict::Valid { touch: false }
        );
        assert_eq!(judge(&busy, 12 * 60 * min, &c), Verdict::Ended);
        let mut off = row(0, 0);
        off.disabled = true;
        assert_eq!(judge(&off, 1, &c), Verdict::Ended);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; hongyan_session_x=2"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("hongyan_session=abc; lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "b"), None);
    }

    #[test]
    fn ids_are_stored_hashed_and_tokens_are_random() {
        let a = token::<32>().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, token::<32>().unwrap());
        assert_eq!(hash_id(&a).len(), 64);
        assert_ne!(hash_id(&a), a);
    }

    #[test]
    fn the_cookie_has_the_flags() {
        let c = set_cookie(SESSION_COOKIE, "abc", None, true);
        assert_eq!(
            c.to_str().unwrap(),
            "hongyan_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let gone = set_cookie(SESSION_COOKIE, "", Some(0), false);
        assert!(gone.to_str().unwrap().contains("Max-Age=0"));
    }
}
