//! A small HTTP/1.1 JSON client of the API, for the CLI (`hongyan send`, `status`, …)
//! and the integration tests: one request at a time over hyper, bearer token, JSON
//! in and out, API errors returned with their code.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL or path is not usable.
    #[error("bad URL {0:?}")]
    Url(String),
    /// No connection, or it broke.
    #[error("cannot reach hongyan at {url}: {reason} (is `hongyan run` running?)")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// No answer in time.
    #[error("no answer from {0} in time")]
    Timeout(String),
    /// The API answered with an error.
    #[error("{status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error's stable code.
        code: String,
        /// Its message.
        message: String,
        /// The whole body.
        body: Value,
    },
    /// The answer is not JSON.
    #[error("answer is not JSON ({status}): {text}")]
    NotJson {
        /// HTTP status.
        status: u16,
        /// What came.
        text: String,
    },
}

/// A response: status, and the body as JSON (or text for `/metrics`).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The raw body.
    pub body: Bytes,
}

impl ApiResponse {
    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client of one hongyan API.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
    http: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl ApiClient {
    /// `base` like `http://127.0.0.1:8080`; `token` for `/v1`.
    pub fn new(base: &str, token: Option<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http: Client::builder(TokioExecutor::new()).build_http(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Any request; the response whatever its status.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
        extra: &[(&str, &str)],
    ) -> Result<ApiResponse, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = Request::builder().method(method).uri(&url);
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|_| ClientError::Url(url.clone()))?;
        let send = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| ClientError::Connect {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| ClientError::Connect {
                    url: url.clone(),
                    reason: e.to_string(),
                })?
                .to_bytes();
            Ok(ApiResponse {
                status,
                content_type,
                body,
            })
        };
        tokio::time::timeout(self.timeout, send)
            .await
            .map_err(|_| ClientError::Timeout(url.clone()))?
    }

    /// A JSON call: the body on 2xx, [`ClientError::Api`] otherwise.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let (ct, bytes) = match body {
            Some(b) => (Some("application/json"), Bytes::from(b.to_string())),
            None => (None, Bytes::new()),
        };
        let resp = self.raw(method, path, ct, bytes, &[]).await?;
        Self::json_or_error(resp)
    }

    /// A body of another type (a CSV upload): JSON back.
    pub async fn upload(
        &self,
        path: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<Value, ClientError> {
        let resp = self
            .raw("POST", path, Some(content_type), body, &[])
            .await?;
        Self::json_or_error(resp)
    }

    fn json_or_error(resp: ApiResponse) -> Result<Value, ClientError> {
        let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else {
            return Err(ClientError::NotJson {
                status: resp.status,
                text: resp.text(),
            });
        };
        if (200..300).contains(&resp.status) {
            return Ok(v);
        }
        let code = v["error"]["code"].as_str().unwrap_or("unknown").to_owned();
        let message = v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Err(ClientError::Api {
            status: resp.status,
            code,
            message,
            body: v,
        })
    }
}
