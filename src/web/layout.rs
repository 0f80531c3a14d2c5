//! What the base layout (`templates/web/base.html`) needs on every page: [`Chrome`] —
//! the language, the CSRF token, who is logged in, the navigation their role may use,
//! and where the language switch comes back to.
//!
//! A page's template struct holds `l: Lang` and `chrome: Chrome` and extends
//! `web/base.html`:
//!
//! ```text
//! #[derive(askama::Template)]
//! #[template(path = "web/outbox.html")]
//! struct OutboxPage { l: Lang, chrome: Chrome, jobs: Vec<JobRow> }
//! …
//! render(&OutboxPage { l: viewer.lang, chrome: Chrome::new(&viewer.into(), &uri), jobs })
//! ```
//!
//! The navigation is [`NAV`] filtered by [`PAGES`](super::routes::PAGES): an entry shows
//! once its page's GET route is in the table and the viewer's role may use it.

use axum::http::Uri;

use super::lang::Lang;
use super::roles::Role;
use super::session::{Viewer, Visitor};

/// One entry of the navigation: its path and its label in both languages.
#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    /// The page (a GET route of `PAGES`).
    pub path: &'static str,
    /// 中文.
    pub zh: &'static str,
    /// English.
    pub en: &'static str,
}

/// The navigation bar, in order.
pub const NAV: &[NavEntry] = &[
    NavEntry {
        path: "/",
        zh: "概览",
        en: "Dashboard",
    },
    NavEntry {
        path: "/compose",
        zh: "写短信",
        en: "Compose",
    },
    NavEntry {
        path: "/outbox",
        zh: "发件箱",
        en: "Outbox",
    },
    NavEntry {
        path: "/inbox",
        zh: "收件箱",
        en: "Inbox",
    },
    NavEntry {
        path: "/drafts",
        zh: "草稿箱",
        en: "Drafts",
    },
    NavEntry {
        path: "/scheduled",
        zh: "定时",
        en: "Scheduled",
    },
    NavEntry {
        path: "/contacts",
        zh: "通讯录",
        en: "Contacts",
    },
    NavEntry {
        path: "/approvals",
        zh: "审批",
        en: "Approvals",
    },
    NavEntry {
        path: "/settings",
        zh: "设置",
        en: "Settings",
    },
];

/// A navigation link as shown.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// Its label in the page's language.
    pub label: &'static str,
    /// It is the current section (`aria-current="page"`).
    pub current: bool,
}

/// The layout's data (see the module docs).
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// The CSRF token for forms (`<input type="hidden" name="csrf" value="{{ chrome.csrf }}">`).
    pub csrf: String,
    /// The logged-in account's name, if any.
    pub username: Option<String>,
    /// Its role, if any.
    pub role: Option<Role>,
    /// The navigation the role may use (empty when not logged in).
    pub nav: Vec<NavItem>,
    /// The language switch's link (back to this page).
    pub switch_href: String,
}

impl Chrome {
    /// The chrome for a visitor's page at `uri`.
    pub fn new(visitor: &Visitor, uri: &Uri) -> Self {
        let lang = visitor.lang;
        let role = visitor.viewer.as_ref().map(|v| v.role);
        let here = uri.path();
        let nav = match role {
            Some(role) => NAV
                .iter()
                .filter(|e| super::routes::may_get(e.path, role))
                .map(|e| NavItem {
                    href: e.path,
                    label: lang.t(e.zh, e.en),
                    current: if e.path == "/" {
                        here == "/"
                    } else {
                        here == e.path || here.starts_with(&format!("{}/", e.path))
                    },
                })
                .collect(),
            None => Vec::new(),
        };
        let back = uri.path_and_query().map_or("/", |p| p.as_str());
        Self {
            lang,
            csrf: visitor.csrf.clone(),
            username: visitor.viewer.as_ref().map(|v| v.username.clone()),
            role,
            nav,
            switch_href: format!(
                "/lang?to={}&next={}",
                lang.other().code(),
                super::forms::encode(back)
            ),
        }
    }

    /// The chrome for a logged-in viewer's page at `uri`.
    pub fn for_viewer(viewer: &Viewer, uri: &Uri) -> Self {
        Self::new(
            &Visitor {
                viewer: Some(viewer.clone()),
                lang: viewer.lang,
                csrf: viewer.csrf.clone(),
                address: None,
            },
            uri,
        )
    }

    /// The URL of an embedded static file, with its content hash.
    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }

    /// The role's name for people.
    pub fn role_label(&self) -> &'static str {
        self.role.map_or("", |r| r.label(self.lang))
    }
}
