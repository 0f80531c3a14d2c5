//! The daemon in this process behind its HTTP API on 127.0.0.1:0 (the embedded demo,
//! three simulated carriers, plus a read-only token), and the calls a test makes to an
//! API — this one or a child process's ([`super::Daemon`]) — each bounded, each failure
//! naming the request.

use std::time::Duration;

use bytes::Bytes;
use hongyan::api::ApiServer;
use hongyan::api::client::{ApiClient, ApiResponse, ClientError};
use hongyan::config::{ApiToken, Config, Scope, Secret};
use hongyan::daemon::{Daemon, DaemonHandle};
use serde_json::Value;

use super::wait::within;
use super::{LIMIT, TempDir, demo_config};

/// The token of the embedded demo: every scope.
pub const TOKEN: &str = hongyan::config::DEMO_API_TOKEN;
/// A token [`Api::start`] adds with the `read` scope only.
pub const READER: &str = "reader-token-0123456789";

/// Calls to a running API: JSON in, JSON out, bounded by [`LIMIT`].
#[allow(async_fn_in_trait)]
pub trait ApiCalls {
    /// The client with the default token.
    fn api_client(&self) -> &ApiClient;

    /// The API's base URL, `http://127.0.0.1:PORT`.
    fn base_url(&self) -> &str;

    /// A client of the same API with `token` instead (`None`: no token at all).
    fn as_client(&self, token: Option<&str>) -> ApiClient {
        ApiClient::new(self.base_url(), token.map(str::to_owned))
    }

    /// `method path` with `body`; the answer's JSON. Panics, naming the request, on an
    /// error answer.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        within(
            &format!("{method} {path}"),
            LIMIT,
            self.api_client().call(method, path, body.as_ref()),
        )
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `GET path`; the answer's JSON.
    async fn get_json(&self, path: &str) -> Value {
        self.call("GET", path, None).await
    }

    /// `POST path` with `body`; the answer's JSON.
    async fn post_json(&self, path: &str, body: Value) -> Value {
        self.call("POST", path, Some(body)).await
    }

    /// `GET path` with the default token, whatever its status (a text body such as
    /// `/metrics`, or a refusal).
    async fn get_raw(&self, path: &str) -> ApiResponse {
        get_bounded(self.api_client(), path).await
    }

    /// `GET path` with `token` instead (`None`: no token at all), whatever its status.
    async fn get_raw_as(&self, token: Option<&str>, path: &str) -> ApiResponse {
        get_bounded(&self.as_client(token), path).await
    }

    /// The error of a call expected to fail: (status, code, whole body).
    async fn fail(&self, method: &str, path: &str, body: Option<Value>) -> (u16, String, Value) {
        let got = within(
            &format!("{method} {path}"),
            LIMIT,
            self.api_client().call(method, path, body.as_ref()),
        )
        .await;
        match got {
            Err(ClientError::Api {
                status, code, body, ..
            }) => (status, code, body),
            other => panic!("{method} {path}: expected an API error, got {other:?}"),
        }
    }
}

/// `GET path` through `client`, within [`LIMIT`]; panics naming the request when no
/// answer comes.
async fn get_bounded(client: &ApiClient, path: &str) -> ApiResponse {
    within(
        &format!("GET {path}"),
        LIMIT,
        client.raw("GET", path, None, Bytes::new(), &[]),
    )
    .await
    .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The daemon in this process on the embedded demo (its data in a [`TempDir`] of its own)
/// with its API server on 127.0.0.1:0.
pub struct Api {
    daemon: Option<DaemonHandle>,
    server: Option<ApiServer>,
    /// A client with the demo's token (every scope).
    pub client: ApiClient,
    base: String,
    _dir: TempDir,
}

impl Api {
    /// Starts it on the demo config, with a read-only token [`READER`] added, changed by
    /// `tweak`; `name` names its directory.
    pub async fn start(name: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = TempDir::new(name);
        let mut config = demo_config(&dir);
        config.api.tokens.push(ApiToken {
            name: "reader".into(),
            token: Some(Secret(READER.into())),
            token_env: None,
            scopes: vec![Scope::Read],
        });
        tweak(&mut config);
        let daemon = Daemon::start(config).await.expect("the daemon starts");
        let server = hongyan::api::start(&daemon, "127.0.0.1:0".parse().expect("an address"))
            .await
            .expect("the API server starts");
        let base = format!("http://{}", server.local_addr());
        Self {
            client: ApiClient::new(&base, Some(TOKEN.into())),
            base,
            daemon: Some(daemon),
            server: Some(server),
            _dir: dir,
        }
    }

    /// The daemon: its store, simulators, workflow.
    pub fn daemon(&self) -> &DaemonHandle {
        self.daemon.as_ref().expect("running until stopped")
    }

    /// The API's base URL.
    pub fn api_url(&self) -> &str {
        &self.base
    }

    /// Stops the API server, then the daemon.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        if let Some(daemon) = self.daemon.take() {
            daemon.shutdown(Duration::from_secs(5)).await;
        }
    }
}

impl ApiCalls for Api {
    fn api_client(&self) -> &ApiClient {
        &self.client
    }

    fn base_url(&self) -> &str {
        &self.base
    }
}
