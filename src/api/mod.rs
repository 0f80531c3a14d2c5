//! The HTTP JSON API under `/v1` (axum), plus `/healthz`, `/readyz`, `/metrics` and
//! `/v1/openapi.json`; and [`client`], the small HTTP client the CLI and the tests use.
//!
//! | file | holds |
//! |---|---|
//! | `routes.rs` | [`ROUTES`]: every route with its method, scope and summary; the router |
//! | `state.rs` | what handlers reach: submitter, store, workflow, link monitors, tokens |
//! | `auth.rs` | bearer tokens and scopes |
//! | `body.rs` | JSON request bodies (limits, errors naming the field) and responses |
//! | `error.rs` | [`ApiError`]: status, stable code, message, details |
//! | `times.rs` | RFC 3339 in, RFC 3339 (UTC+8) out |
//! | `listing.rs` | list routes' parameters: page, time range, numbers, states |
//! | `schemas.rs` | the response schemas of the OpenAPI document |
//! | `explain.rs` | carrier codes in words |
//! | `messages.rs` | send, status, cancel |
//! | `approvals.rs` | approvals: create, status, decide, resend |
//! | `reminders.rs` | reminders: create, status, cancel |
//! | `contacts.rs` | contacts, groups, CSV import, group sends, drafts |
//! | `inbox.rs` | the inbox and its unread state |
//! | `links.rs` | links and queue |
//! | `simulate.rs` | demo mode: a simulated phone replies |
//! | `snippets.rs` | stored signatures and templates |
//! | `ops.rs` | health, readiness, Prometheus metrics |
//! | `openapi.rs` | the OpenAPI document, built from [`ROUTES`] |
//! | `client.rs` | [`client::ApiClient`] |

mod alerts;
mod approvals;
mod auth;
mod body;
pub mod client;
mod contacts;
mod error;
pub mod explain;
mod inbox;
pub(crate) mod links;
mod listing;
mod messages;
mod openapi;
mod ops;
mod reminders;
mod routes;
mod schemas;
mod simulate;
mod snippets;
mod state;
mod times;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::daemon::DaemonHandle;
use crate::shutdown::{Shutdown, ShutdownGuard};

pub use error::ApiError;
pub use routes::{Param, ROUTES, RouteSpec};
pub use times::{TimeError, format_cst, parse_rfc3339};

/// A running API server.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    stop: Shutdown,
    /// A server dropped without [`ApiServer::shutdown`] still stops serving.
    _stop_on_drop: ShutdownGuard,
    task: JoinHandle<()>,
    state: state::AppState,
}

/// The API's part of a config reload (SIGHUP): its bearer tokens.
#[derive(Debug, Clone)]
pub struct TokenReload(state::AppState);

impl crate::daemon::reload::ConfigReload for TokenReload {
    fn keys(&self) -> &'static [&'static str] {
        &["api.token"]
    }

    fn reload(
        &self,
        new: &crate::config::Config,
    ) -> Result<(), crate::daemon::reload::ReloadError> {
        self.0.tokens.replace(&new.api.tokens);
        Ok(())
    }
}

/// Starts the API of `daemon` on `listen` (port 0 picks one; see
/// [`ApiServer::local_addr`]).
///
/// # Errors
/// The address cannot be bound.
pub async fn start(daemon: &DaemonHandle, listen: SocketAddr) -> std::io::Result<ApiServer> {
    serve(daemon, TcpListener::bind(listen).await?)
}

/// Serves the API of `daemon` on a bound listener (bind before starting the daemon, so
/// a taken address stops start-up before anything runs).
///
/// # Errors
/// The listener has no local address.
pub fn serve(daemon: &DaemonHandle, listener: TcpListener) -> std::io::Result<ApiServer> {
    let addr = listener.local_addr()?;
    let state = state::AppState::from_daemon(daemon);
    if daemon.config().api.tokens.is_empty() {
        tracing::warn!(%addr, "no [[api.token]] configured: every /v1 request is refused");
    }
    let api = routes::router(state.clone(), daemon.config().api.max_body_bytes);
    // The staff console shares the listener: the API's paths go to the API, every other
    // path to the console.
    let app = with_console(
        api,
        crate::web::router(crate::web::WebState::from_daemon(daemon)),
    );
    let stop = Shutdown::new();
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stopped.triggered().await })
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "API server stopped");
        }
    });
    tracing::info!(%addr, "API listening");
    Ok(ApiServer {
        addr,
        _stop_on_drop: stop.trigger_on_drop(),
        stop,
        task,
        state,
    })
}

/// One router for the listener: a request for one of the API's paths (see
/// [`routes::is_api_path`]) goes to `api`, any other to the console.
pub fn with_console(api: axum::Router, console: axum::Router) -> axum::Router {
    use tower::ServiceExt;
    axum::Router::new().fallback(move |req: axum::extract::Request| {
        let to = if routes::is_api_path(req.uri().path()) {
            api.clone()
        } else {
            console.clone()
        };
        async move {
            match to.oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        }
    })
}

impl ApiServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What a config reload hands the API's new tokens to.
    pub fn token_reload(&self) -> TokenReload {
        TokenReload(self.state.clone())
    }

    /// Stops taking connections and waits (up to 5 s) for requests in progress.
    pub async fn shutdown(self) {
        self.stop.trigger();
        let mut task = self.task;
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            tracing::warn!("API requests still open after 5 s; closing them");
            task.abort();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::Config;
    use crate::daemon::Daemon;
    use crate::testutil::TempDir;

    #[tokio::test]
    async fn a_server_dropped_without_shutdown_stops_listening() {
        let dir = TempDir::new("api-drop");
        let mut config = Config::embedded_default().unwrap();
        config.storage.data_dir = dir.join("data");
        let daemon = Daemon::start(config).await.unwrap();
        let server = start(&daemon, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = server.local_addr();
        drop(tokio::net::TcpStream::connect(addr).await.unwrap());
        drop(server);
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        daemon.shutdown(Duration::from_secs(5)).await;
        closed.expect("the API stops listening once its server handle is dropped");
    }
}
