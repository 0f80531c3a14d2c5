//! `/settings/links`: the carrier links as configured, with their state now — read-only
//! (the config file is the source; `systemctl reload hongyan` applies changes). Secrets
//! are never shown: only where each comes from (an environment variable's name, or "in
//! the file").

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use crate::config::Link;
use crate::web::lang::Lang;
use crate::web::layout::Chrome;
use crate::web::render;
use crate::web::session::Viewer;
use crate::web::state::WebState;

/// A link as the page shows it.
struct Row {
    name: String,
    protocol: &'static str,
    carrier: &'static str,
    /// `simulated`, or the gateway's address.
    gateway: String,
    account: String,
    /// Where the login secret comes from, never the secret.
    secret: String,
    service_code: String,
    extension_length: u8,
    window: u16,
    rate: u32,
    connections: u8,
    connections_up: usize,
    signature: String,
    up: bool,
    problem: String,
}

#[derive(Template)]
#[template(path = "web/settings/links.html")]
struct Links {
    l: Lang,
    chrome: Chrome,
    links: Vec<Row>,
}

/// Where a secret comes from, in words.
fn secret_source(l: Lang, c: &Link) -> String {
    match (&c.secret_env, &c.secret) {
        (Some(env), _) => format!("{} {env}", l.t("环境变量", "environment variable")),
        (None, Some(_)) => l
            .t("写在配置文件中（已隐藏）", "in the config file (hidden)")
            .to_owned(),
        (None, None) => l.t("无", "none").to_owned(),
    }
}

/// `GET /settings/links`.
pub async fn page(State(state): State<WebState>, viewer: Viewer, uri: Uri) -> Response {
    let l = viewer.lang;
    let links = state
        .monitors
        .iter()
        .map(|m| {
            let view = m.view();
            let c = m.config();
            Row {
                name: view.name,
                protocol: view.protocol,
                carrier: view.carrier.full_name(),
                gateway: if c.simulated {
                    l.t("模拟网关（本进程内）", "simulated (in this process)")
                        .to_owned()
                } else {
                    c.address.clone().unwrap_or_default()
                },
                account: c.account.clone(),
                secret: secret_source(l, c),
                service_code: c.service_code.clone(),
                extension_length: c.extension_length,
                window: c.window,
                rate: c.rate,
                connections: c.connections,
                connections_up: view.connections_up,
                signature: c.signature.clone().unwrap_or_default(),
                up: view.connections_up > 0,
                problem: view.last_problem.unwrap_or_default(),
            }
        })
        .collect();
    render(&Links {
        l,
        chrome: Chrome::for_viewer(&viewer, &uri),
        links,
    })
}
