//! 设置 settings (admins): the index at `/settings`, and the pages under it — accounts
//! (`accounts.rs`), the links' configuration (`links.rs`), the audit log (`audit.rs`).
//! Other settings pages (signatures, templates) add their own files here and a row to
//! [`SECTIONS`].

pub mod accounts;
pub mod audit;
pub mod links;

use askama::Template;
use axum::http::Uri;
use axum::response::Response;

use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::session::Viewer;

/// One section of the settings index: its page and what it is for, in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// The page (a GET route of `PAGES`; the index lists it once the route exists).
    pub path: &'static str,
    /// Title, 中文.
    pub zh: &'static str,
    /// Title, English.
    pub en: &'static str,
    /// What it is for, 中文.
    pub about_zh: &'static str,
    /// What it is for, English.
    pub about_en: &'static str,
}

/// The settings sections, in order. APPEND a row for a new settings page.
pub const SECTIONS: &[Section] = &[
    Section {
        path: "/settings/accounts",
        zh: "账号与角色",
        en: "Accounts and roles",
        about_zh: "谁能登录控制台、以什么角色；重设密码、停用账号。",
        about_en: "Who may log in to the console, in which role; reset passwords, disable accounts.",
    },
    Section {
        path: "/settings/signatures",
        zh: "签名",
        en: "Signatures",
        about_zh: "短信签名（如【鸿雁物流】），写短信和接口都可使用。",
        about_en: "Message signatures (such as 【鸿雁物流】), used by the console and the API.",
    },
    Section {
        path: "/settings/templates",
        zh: "短信模板",
        en: "Templates",
        about_zh: "常用短信内容，写短信时一键选用。",
        about_en: "Texts used often, picked when composing.",
    },
    Section {
        path: "/settings/links",
        zh: "运营商链路",
        en: "Carrier links",
        about_zh: "配置文件中的链路及其当前状态（只读，不显示密码）。",
        about_en: "The links in the config file and their state now (read-only; secrets are never shown).",
    },
    Section {
        path: "/settings/audit",
        zh: "操作日志",
        en: "Audit log",
        about_zh: "控制台中每一次更改：谁、何时、从哪里、做了什么；可导出。",
        about_en: "Every change made in the console: who, when, from where, what; exportable.",
    },
];

/// A section as listed.
struct Listed {
    href: &'static str,
    title: &'static str,
    about: &'static str,
}

#[derive(Template)]
#[template(path = "web/settings/index.html")]
struct Index {
    l: Lang,
    chrome: Chrome,
    sections: Vec<Listed>,
}

/// `GET /settings`.
pub async fn index(viewer: Viewer, uri: Uri) -> Response {
    let l = viewer.lang;
    let sections = SECTIONS
        .iter()
        .filter(|s| super::routes::may_get(s.path, viewer.role))
        .map(|s| Listed {
            href: s.path,
            title: l.t(s.zh, s.en),
            about: l.t(s.about_zh, s.about_en),
        })
        .collect();
    render(&Index {
        l,
        chrome: Chrome::for_viewer(&viewer, &uri),
        sections,
    })
}
