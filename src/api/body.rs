//! Request bodies and response bodies.
//!
//! [`JsonBody`] reads a JSON request: `Content-Type: application/json`, at most
//! `api.max_body_bytes` (413 `body_too_large`), syntax errors with line and column
//! (400 `bad_json`), RFC 3339 times turned into unix ms, and type errors naming the
//! field path (422 `invalid`, e.g. `stages[0].approvers[1].phone`). [`reply`] writes a
//! JSON response with every `…_at` time as RFC 3339 in UTC+8.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::times::{times_in, times_out};

/// Request fields that hold a time.
const TIME_FIELDS: &[&str] = &["send_at", "expires_at", "closes_at"];

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = read_body(req, state).await?;
        parse(&bytes).map(JsonBody)
    }
}

/// The whole body, within the configured limit.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than api.max_body_bytes",
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.body_text())
        }
    })
}

/// Parses a JSON body into `T`, with the errors described in the module header.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    times_in(&mut value, TIME_FIELDS, "")
        .map_err(|(field, reason)| ApiError::invalid(&field, reason))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." {
            "body".to_owned()
        } else {
            field
        };
        ApiError::invalid(&field, e.inner())
    })
}

/// A numeric `{id}` path segment; anything else is 422 naming `id`.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| Id(id))
            .map_err(|_| ApiError::invalid("id", "must be a whole number"))
    }
}

/// Query parameters of type `T`; a bad one is 422 `invalid` with the parser's reason.
#[derive(Debug)]
pub struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| QueryOf(q))
            .map_err(|e| ApiError::invalid("query", e.body_text()))
    }
}

/// A page size: `given` or `default`, refused outside 1 to `max`.
pub fn page_limit(given: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    let limit = given.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid("limit", format!("must be 1 to {max}")))
    }
}

/// A JSON response with times as RFC 3339.
pub fn reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_value(body) {
        Ok(mut v) => {
            times_out(&mut v);
            (status, axum::Json(v)).into_response()
        }
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot write the response: {e}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        recipients: Vec<String>,
        #[serde(default)]
        send_at: Option<i64>,
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let e = parse::<B>(b"{\"recipients\": [1]}").unwrap_err();
        assert_eq!(e.code, "invalid");
        assert!(e.message.starts_with("recipients[0]:"), "{}", e.message);
        let e = parse::<B>(b"{\"recipients\": [").unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "bad_json"));
        let e = parse::<B>(b"{\"recipients\": [], \"send_at\": \"noon\"}").unwrap_err();
        assert!(e.message.starts_with("send_at:"), "{}", e.message);
        let e = parse::<B>(b"{\"recipient\": []}").unwrap_err();
        assert_eq!(e.code, "invalid");
        let b =
            parse::<B>(b"{\"recipients\": [\"1\"], \"send_at\": \"2026-12-03T15:00:00+08:00\"}")
                .unwrap();
        assert_eq!(b.send_at, Some(1_796_281_200_000));
        assert_eq!(b.recipients, ["1"]);
    }

    proptest::proptest! {
        /// Whatever the bytes, a request body gives a value or a JSON error — no panic.
        #[test]
        fn arbitrary_bodies_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Err(e) = parse::<super::super::messages::SendBody>(&bytes) {
                proptest::prop_assert!(!e.code.is_empty());
            }
        }

        /// Arbitrary JSON-ish text with time fields is refused with the field named.
        #[test]
        fn arbitrary_times_never_panic(s in ".{0,40}") {
            let body = serde_json::json!({ "recipients": [], "send_at": s });
            let _ = parse::<super::super::messages::SendBody>(body.to_string().as_bytes());
        }
    }
}
