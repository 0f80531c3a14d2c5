//! [`WebError`]: what a console handler returns when it cannot show its page. It turns
//! into a status plus a marker; the outer layer (`routes.rs`, `pages` middleware) renders
//! the marker as a page in the viewer's language with the usual layout, so handlers need
//! not carry the language into their errors. A refused form is *not* a `WebError`: the
//! handler re-renders the form with the user's input and the error next to the field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::lang::Lang;
use crate::store::StoreError;

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page or item.
    #[error("not found")]
    NotFound,
    /// The viewer's role may not use this page or item.
    #[error("forbidden")]
    Forbidden,
    /// The form's CSRF token is missing or wrong.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The request is malformed (a handler's words, in both languages).
    #[error("bad request: {en}")]
    BadRequest {
        /// 中文.
        zh: String,
        /// English.
        en: String,
    },
    /// Too many failed logins; try again at that time (unix ms).
    #[error("locked until {0}")]
    Locked(i64),
    /// The body is larger than the limit.
    #[error("request body too large")]
    TooLarge,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Something else failed on our side.
    #[error("{0}")]
    Internal(String),
}

/// The marker the error layer renders (kept in the response's extensions).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The status.
    pub status: StatusCode,
    /// Heading and explanation, in Chinese.
    pub zh: (String, String),
    /// Heading and explanation, in English.
    pub en: (String, String),
}

impl ErrorPage {
    /// The heading and explanation in `lang`.
    pub fn text(&self, lang: Lang) -> (&str, &str) {
        let (h, p) = match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        };
        (h, p)
    }
}

impl WebError {
    /// The status it answers.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Store(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bad request, said in both languages.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::BadRequest {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn page(&self) -> ErrorPage {
        let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        let (zh, en) = match self {
            Self::NotFound | Self::Store(StoreError::NotFound { .. }) => (
                s("找不到页面", "请检查网址，或从导航栏进入。"),
                s("Not found", "Check the address, or use the navigation bar."),
            ),
            Self::Forbidden => (
                s(
                    "无权访问",
                    "您的账号没有此页面的权限。如需使用，请联系管理员。",
                ),
                s(
                    "Not allowed",
                    "Your account's role does not allow this page. Ask an administrator if you need it.",
                ),
            ),
            Self::Csrf => (
                s(
                    "请求已被拒绝",
                    "表单缺少安全令牌或令牌已失效（可能是页面打开太久或已重新登录）。请返回、刷新页面后再提交。",
                ),
                s(
                    "Request refused",
                    "The form's security token is missing or no longer valid (the page may have been open too long, or you logged in again). Go back, reload the page and submit again.",
                ),
            ),
            Self::BadRequest { zh, en } => (s("请求有误", zh), s("Bad request", en)),
            Self::Locked(until) => {
                let at = crate::api::format_cst(*until);
                (
                    (
                        "登录尝试过多".to_owned(),
                        format!("登录失败次数过多，请在 {at} 之后再试。"),
                    ),
                    (
                        "Too many login attempts".to_owned(),
                        format!("Too many failed logins. Try again after {at}."),
                    ),
                )
            }
            Self::TooLarge => (
                s("内容过大", "提交的内容超过了大小限制，请分批提交。"),
                s(
                    "Too large",
                    "What you submitted is over the size limit; send it in parts.",
                ),
            ),
            Self::Store(_) | Self::Internal(_) => (
                s(
                    "服务器出错",
                    "操作未能完成，已记录在日志中。请稍后重试；如果一再出现，请联系管理员。",
                ),
                s(
                    "Server error",
                    "The action could not be completed and was logged. Try again later; if it keeps happening, tell an administrator.",
                ),
            ),
        };
        ErrorPage {
            status: self.status(),
            zh,
            en,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "console page failed");
        }
        let page = self.page();
        let mut res = page.status.into_response();
        if let Self::Locked(until) = self {
            let secs = (until - crate::store::now_millis()).max(0) / 1000 + 1;
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(page);
        res
    }
}
