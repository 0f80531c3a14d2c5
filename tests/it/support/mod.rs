//! The shared harness of the integration tests: the one place that sets up, drives and
//! waits on the real daemon, its simulators and its binary, so that no test module grows
//! a copy of its own. Every wait here is bounded and its panic says what it waited for.
//!
//! - [`TempDir`]: a fresh directory per test, removed afterwards (kept if the test fails).
//! - [`demo_config`], [`mobile_only_at`] / [`only_mobile_at`] / [`external_mobile_at`],
//!   [`demo_gateway`] / [`start_demo_gateway`], [`free_addr`], [`leave_one_claimed`]: the
//!   configs, carriers and stores the tests start from; [`TempDir::write_mode`] for a
//!   file with secrets.
//! - [`Api`]: the daemon in this process behind its HTTP API on 127.0.0.1:0 —
//!   [`Api::daemon`] reaches the store, the simulators and the workflow.
//! - [`Daemon`]: the binary's `hongyan run` as a child process (embedded demo, or a config
//!   file and environment through [`Daemon::launch`]), its log lines (JSON ones through
//!   [`Daemon::wait_for_json`]), its API address, its CLI; [`Daemon::reload`] (SIGHUP),
//!   [`Daemon::stop`] (SIGTERM) and [`Daemon::kill`] (SIGKILL). Both it and [`Api`]
//!   answer [`ApiCalls`] (`get_json`, `post_json`, `call`, `fail`, `get_raw`).
//! - [`run`], [`output_of`], [`command`], [`stdout_of`], [`into_closed_pipe`],
//!   [`read_lines`]: one-shot commands of the binary, bounded.
//! - [`send_job`], [`submitted`], [`settled`], [`assert_delivered`], [`accepted`]: jobs
//!   through an in-process daemon.
//! - [`start_recording`], [`texts_to`]: an in-process daemon whose simulators record
//!   their submits, and the texts a number was sent.
//! - [`wait_until`], [`wait_until_every`] (paced, for paused time),
//!   [`wait_until_blocking`], [`next_event`], [`within`]: bounded waits on a condition, an
//!   event or a future.
//! - [`RawPeer`]: a raw protocol peer (a client of a simulator, or a scripted gateway).
//! - [`WebhookReceiver`]: an HTTP receiver of webhooks that fails as scripted.
//! - [`example`], [`examples`], [`find_example`]: the worked examples of the protocol
//!   reference.
//!
//! A test of the API usually reads:
//!
//! ```text
//! let api = Api::start("my-area", |config| { /* change the demo config */ }).await;
//! let sent = api.post_json("/v1/messages", json!({"recipients": [..], "text": ".."})).await;
//! settled(api.daemon(), sent["job_id"].as_i64().unwrap()).await;
//! api.stop().await;
//! ```
//!
//! and one of the binary `let mut d = Daemon::start(&dir); …; d.stop();`.

// The harness offers more than today's modules use (new tests are ported onto it), and a
// harness panics by design: a failed setup is a failed test.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod bin;
mod config;
mod dir;
mod jobs;
mod process;
mod raw;
mod recorded;
mod reference;
mod wait;
mod webhook;

use std::time::Duration;

pub use api::{Api, ApiCalls, READER, TOKEN};
pub use bin::{command, into_closed_pipe, output_of, read_lines, run, stdout_of};
pub use config::{
    demo_config, demo_gateway, external_mobile_at, free_addr, leave_one_claimed, mobile_only_at,
    only_mobile_at, start_demo_gateway,
};
pub use dir::TempDir;
pub use jobs::{accepted, assert_delivered, send_job, settled, submitted};
pub use process::{Daemon, Launch};
pub use raw::{RawPeer, STEP};
pub use recorded::{start_recording, texts_to};
pub use reference::{Example, example, examples, find_example};
pub use wait::{Found, next_event, wait_until, wait_until_blocking, wait_until_every, within};
pub use webhook::{Received, WebhookReceiver};

/// The bound of any one wait of a test on the daemon (a job settling, an event, a line
/// of its log): generous, as the machine running the tests may be busy.
pub const LIMIT: Duration = Duration::from_secs(30);
