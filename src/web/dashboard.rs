//! 概览: the dashboard at `/`. (A first page; the dashboard's figures come with its
//! own work.)

use askama::Template;
use axum::http::Uri;
use axum::response::Response;

use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::session::Viewer;

#[derive(Template)]
#[template(path = "web/dashboard.html")]
struct Dashboard {
    l: Lang,
    chrome: Chrome,
    username: String,
}

/// `GET /`.
pub async fn page(viewer: Viewer, uri: Uri) -> Response {
    render(&Dashboard {
        l: viewer.lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        username: viewer.username.clone(),
    })
}
