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
mod explain;
mod inbox;
mod links;
mod listing;
mod messages;
mod openapi;
mod ops;
mod reminders;
mod routes;
mod schemas;
mod simulate;
mod state;
mod times;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::daemon::DaemonHandle;

pub use error::ApiError;
pub use routes::{Param, ROUTES, RouteSpec};
pub use times::{format_cst, parse_rfc3339};

/// A running API server.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
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
    let app = routes::router(state, daemon.config().api.max_body_bytes);
    let (stop, mut stop_rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "API server stopped");
        }
    });
    tracing::info!(%addr, "API listening");
    Ok(ApiServer { addr, stop, task })
}

impl ApiServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking connections and waits (up to 5 s) for requests in progress.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
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
