//! A small HTTP/1.1 JSON client of the API, for the CLI (`hongyan send`, `status`, …)
//! and the integration tests: one request at a time over hyper, bearer token, JSON
//! in and out, API errors returned with their code.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::{Body, Frame, SizeHint};
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
    http: Client<HttpConnector, ChunkedBody>,
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
        self.raw_with_progress(method, path, content_type, body, extra, None)
            .await
    }

    /// [`raw`](Self::raw), calling `progress` with the bytes of the body sent so far.
    pub async fn raw_with_progress(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
        extra: &[(&str, &str)],
        progress: Option<Progress>,
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
            .body(ChunkedBody::new(body, progress))
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
        self.upload_with_progress(path, content_type, body, None)
            .await
    }

    /// [`upload`](Self::upload), reporting the bytes sent so far to `progress`.
    pub async fn upload_with_progress(
        &self,
        path: &str,
        content_type: &str,
        body: Bytes,
        progress: Option<Progress>,
    ) -> Result<Value, ClientError> {
        let resp = self
            .raw_with_progress("POST", path, Some(content_type), body, &[], progress)
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

/// Called with the bytes of a request body handed to the connection so far.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// A request body sent in 64 KiB frames, reporting progress as each goes.
pub struct ChunkedBody {
    data: Bytes,
    sent: u64,
    progress: Option<Progress>,
}

impl ChunkedBody {
    const CHUNK: usize = 64 * 1024;

    fn new(data: Bytes, progress: Option<Progress>) -> Self {
        Self {
            data,
            sent: 0,
            progress,
        }
    }
}

impl Body for ChunkedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.data.is_empty() {
            return std::task::Poll::Ready(None);
        }
        let n = self.data.len().min(Self::CHUNK);
        let chunk = self.data.split_to(n);
        self.sent += n as u64;
        if let Some(p) = &self.progress {
            p(self.sent);
        }
        std::task::Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[tokio::test]
    async fn a_body_goes_in_chunks_and_reports_each() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&seen);
        let progress: Progress = std::sync::Arc::new(move |n| log.lock().unwrap().push(n));
        let data = Bytes::from(vec![7u8; 150 * 1024]);
        let body = ChunkedBody::new(data.clone(), Some(progress));
        assert_eq!(body.size_hint().exact(), Some(150 * 1024));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected, data);
        assert_eq!(*seen.lock().unwrap(), [65_536, 131_072, 153_600]);
    }
}
