//! Moving jobs from the store to the links and results back.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`split_options`], [`link_config`] | `plan.rs` | a `[[link]]` as text options (one function for counting and splitting) and as driver settings |
//! | [`Submitter`] | `intake.rs` | the entry point for new jobs: route, count, reference, enqueue, wake |
//! | [`Preview`] | `preview.rs` | what a request would cost per recipient and carrier, queueing nothing (the console's counter) |
//! | replies | `replies.rs` | a send that asks for replies (a poll): its checks, and the poll it is enqueued with |
//! | [`routing::build`], [`RoutingReload`] | `routing.rs` | the router `[routing]` describes, built at start and swapped into the submitter on SIGHUP |
//! | [`LinkRunner`] | `runner.rs` | per link: claim → split → submit; owns the link and its events loop |
//! | events loop | `events.rs` | per link: link events → store (submit responses, failures, reports, MO), DELIVERs answered once committed |
//! | [`WireJournal`] | `journal.rs` | which claimed segments may have been written to a socket, for crash recovery |
//! | [`metrics::LinkMetrics`], [`LinkMonitor`] | `metrics.rs`, `runner.rs` | per-link counters and submit-latency histogram, read by the API |
//! | [`scheduler`] | `scheduler.rs` | the one-second tick: release scheduled jobs, expire old ones |
//! | [`LinkProblem`] | `problem.rs` | a link's last problem as a type (its words are `last_problem`) |
//! | [`policy_gate`] | `policy_gate.rs` | the messaging policy at intake, as pure decisions: signature, opt-out suffix, sensitive words, skips, quiet hours |
//! | [`PolicyCounters`] | `policy_metrics.rs` | skips, refusals and holds by reason, for `/metrics` |
//! | [`QuietGate`] | `quiet.rs` | quiet hours while sending: the links' claim filter by category, parking queued marketing |
//! | [`Changes`] | `changes.rs` | a counter bumped after every store change, for event-driven waiting |
//!
//! The store is the only durable state: the dispatcher keeps in memory only which parts
//! it has handed to a link and not yet heard back about, and puts those back in the
//! queue when it stops. A crash instead leaves them `in_flight`. Most of them never left
//! the process (claimed ahead, waiting for the rate limiter or a window slot); the
//! links record in the [`WireJournal`] each part right before its bytes go to the
//! socket, so the next start queues again every in-flight segment the journal does not
//! name (attempt given back) and only those it names become `unconfirmed` (or are
//! requeued, with `queue.resend_unconfirmed = true`).

mod changes;
mod events;
mod intake;
pub mod journal;
pub mod metrics;
mod plan;
pub mod policy_gate;
pub mod policy_metrics;
mod preview;
mod problem;
pub mod quiet;
mod replies;
pub mod routing;
mod runner;
pub mod scheduler;

pub use changes::Changes;
pub use intake::{RecipientOutcome, SendError, SendOutcome, SendPolicy, SendRequest, Submitter};
pub use journal::WireJournal;
pub use plan::{
    LinkTextError, REPORT_HOLD, SIM_GATEWAY_LOGIN, SIM_GATEWAY_PASSWORD, link_config, measure,
    split_options,
};
pub use policy_metrics::PolicyCounters;
#[cfg(test)]
pub(crate) use preview::test_submitter;
pub use preview::{CarrierCost, Preview};
pub use problem::LinkProblem;
pub use quiet::QuietGate;
pub use routing::RoutingReload;
pub use runner::{LinkHealth, LinkMonitor, LinkRunner, LinkView};
