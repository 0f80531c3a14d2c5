//! The console's static files, embedded in the binary and served from `/static/…` with
//! a year-long, immutable cache: pages link them by [`url`], which appends a hash of the
//! content (`?v=…`), so a new build's file is a new URL.
//!
//! To add a file (a page's script): put it under `static/web/` and APPEND a row to
//! [`ASSETS`]. Scripts are small vanilla JS, no build step, nothing from another site.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its name under `/static/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Every static file of the console.
pub static ASSETS: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/web/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/web/console.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../static/web/favicon.svg"),
    },
    Asset {
        name: "compose.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/web/compose.js"),
    },
];

/// Content hashes, computed once.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| super::session::hex(&Sha256::digest(a.bytes))[..12].to_owned())
        .collect()
});

/// The URL of an embedded file, with its content hash (`/static/console.css?v=…`).
/// An unknown name gives its plain path (and a 404 the browser tests would see).
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!(
            "/static/{name}?v={}",
            VERSIONS.get(i).map_or("", String::as_str)
        ),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        a.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_urls_carry_the_content_hash() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(
                ASSETS.iter().skip(i + 1).all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
            assert!(!a.bytes.is_empty(), "{} is empty", a.name);
        }
        let u = url("console.css");
        assert!(u.starts_with("/static/console.css?v="), "{u}");
        assert_eq!(u.len(), "/static/console.css?v=".len() + 12);
    }
}
