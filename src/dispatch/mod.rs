//! Moving jobs from the store to the links and results back.
//!
//! | piece | file | does |
//! |---|---|---|
//! | [`split_options`], [`link_config`] | `plan.rs` | a `[[link]]` as text options (one function for counting and splitting) and as driver settings |
//! | [`Submitter`] | `enqueue.rs` | the entry point for new jobs: route, count, reference, enqueue, wake |
//! | [`LinkRunner`] | `dispatcher.rs` | per link: claim → split → submit, and link events → store |
//! | [`metrics::LinkMetrics`], [`LinkMonitor`] | `metrics.rs`, `dispatcher.rs` | per-link counters and submit-latency histogram, read by the API |
//! | [`scheduler`] | `scheduler.rs` | the one-second tick: release scheduled jobs, expire old ones |
//! | [`Changes`] | `changes.rs` | a counter bumped after every store change, for event-driven waiting |
//!
//! The store is the only durable state: the dispatcher keeps in memory only which parts
//! it has handed to a link and not yet heard back about, and puts those back in the
//! queue when it stops. A crash instead leaves them `in_flight`, which the next start
//! turns into `unconfirmed` (or requeues, with `queue.resend_unconfirmed = true`).

mod changes;
mod dispatcher;
mod enqueue;
pub mod metrics;
mod plan;
pub mod scheduler;

pub use changes::Changes;
pub use dispatcher::{LinkMonitor, LinkRunner, LinkView};
pub use enqueue::{RecipientOutcome, SendError, SendOutcome, SendRequest, Submitter};
pub use plan::{REPORT_HOLD, SIM_GATEWAY_LOGIN, SIM_GATEWAY_PASSWORD, link_config, split_options};
