//! CSRF: every console request that is not GET or HEAD must carry the token of its
//! session (or, before login, of the visitor's `hongyan_csrf` cookie) — in the
//! `X-CSRF-Token` header (scripts; the base layout puts the token in
//! `<meta name="csrf-token">`) or in the form field `csrf` (urlencoded or multipart
//! forms). The guard (`routes.rs`) checks it for every route, so no handler can forget.
//!
//! Reading the field means reading the body: it is buffered (up to the body limit) and
//! handed on unchanged.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};

/// The form field.
pub const FIELD: &str = "csrf";
/// The header.
pub const HEADER: &str = "x-csrf-token";

/// Why a request's token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
}

/// The token a request carries, and the request to run (its body intact).
pub async fn carried(req: Request, limit: usize) -> Result<(Request, Option<String>), BodyError> {
    if let Some(t) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let t = t.to_owned();
        return Ok((req, Some(t)));
    }
    let kind = content_kind(req.headers());
    if kind == Kind::Other {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| BodyError::TooLarge(limit))?;
    let token = match kind {
        Kind::UrlEncoded => from_urlencoded(&bytes),
        Kind::Multipart => from_multipart(&parts.headers, bytes.clone()).await,
        Kind::Other => None,
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    UrlEncoded,
    Multipart,
    Other,
}

fn content_kind(headers: &HeaderMap) -> Kind {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        Kind::UrlEncoded
    } else if ct.starts_with("multipart/form-data") {
        Kind::Multipart
    } else {
        Kind::Other
    }
}

fn from_urlencoded(bytes: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

async fn from_multipart(headers: &HeaderMap, bytes: Bytes) -> Option<String> {
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = headers.clone();
    let mut form = Multipart::from_request(req, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether the carried token is the expected one (constant time: a timing difference
/// must not spell the token out byte by byte).
pub fn matches(carried: Option<&str>, expected: &str) -> bool {
    let Some(c) = carried else { return false };
    if expected.is_empty() || c.len() != expected.len() {
        return false;
    }
    c.bytes()
        .zip(expected.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn request(ct: &str, body: &'static str) -> Request {
        Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn the_token_is_read_from_a_form_and_the_body_is_kept() {
        let (req, t) = carried(
            request(
                "application/x-www-form-urlencoded",
                "a=1&csrf=abc&b=%E7%8E%8B",
            ),
            1024,
        )
        .await
        .unwrap();
        assert_eq!(t.as_deref(), Some("abc"));
        let body = axum::body::to_bytes(req.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"a=1&csrf=abc&b=%E7%8E%8B");
    }

    #[tokio::test]
    async fn the_token_is_read_from_a_multipart_form() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n13800138000,li\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XX--\r\n";
        let (_, t) = carried(request("multipart/form-data; boundary=XX", body), 4096)
            .await
            .unwrap();
        assert_eq!(t.as_deref(), Some("tok"));
    }

    #[tokio::test]
    async fn the_header_wins_and_other_bodies_carry_none() {
        let mut req = request("application/json", "{\"csrf\":\"x\"}");
        req.headers_mut().insert(HEADER, "h".parse().unwrap());
        assert_eq!(carried(req, 10).await.unwrap().1.as_deref(), Some("h"));
        let req = request("application/json", "{\"csrf\":\"x\"}");
        assert_eq!(carried(req, 100).await.unwrap().1, None);
        let big = request("application/x-www-form-urlencoded", "csrf=aaaaaaaaaaaaaaaa");
        assert!(matches!(carried(big, 4).await, Err(BodyError::TooLarge(4))));
    }

    #[test]
    fn only_the_same_token_matches() {
        assert!(matches(Some("abc"), "abc"));
        assert!(!matches(Some("abd"), "abc"));
        assert!(!matches(Some("ab"), "abc"));
        assert!(!matches(None, "abc"));
        assert!(!matches(Some(""), ""));
    }
}
