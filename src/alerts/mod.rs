//! Alerts that reach a person: a link down or refused at login, the queue stuck, reports
//! missing, the webhook backlog growing, the disk nearly full, the store's writer stalled.
//!
//! | file | holds |
//! |---|---|
//! | `rules.rs` | the conditions: observations + thresholds → which alerts hold (pure) |
//! | `state.rs` | one alert's life: firing, repeats, resolve after a hold, daily bound (pure) |
//! | `oncall.rs` | the on-call SMS: which healthy link, the hourly budget, the words (pure) |
//! | `task.rs` | the evaluator that observes, decides and applies: log, history + webhook, SMS |
//! | `reload.rs` | SIGHUP: reloaded `[alerts]` settings to the running evaluator |
//!
//! Each notice goes to the log (error; info when resolved, fields `alert` and `state`),
//! to the `alert_events` history with a signed `alert` webhook event in the same
//! transaction, and — with `alerts.on_call` numbers — as an SMS queued like any other
//! job for a healthy link's carrier. `/v1/alerts`, `hongyan alerts` and the
//! `hongyan_alert_firing` gauge read what fires now.

pub mod oncall;
pub mod reload;
pub mod rules;
pub mod state;
pub mod task;

pub use reload::AlertsReload;
pub use rules::AlertKind;
pub use task::{AlertsHandle, Firing, Inputs, SmsOutcome, start};
