//! The session layer: one generic link driver for all three protocols.

mod backoff;
mod deadline;
mod idle;
mod keepalive;
mod rate;
mod reports;
mod sequence;
mod window;

pub use backoff::{Backoff, BackoffConfig, Failure};
pub use idle::IdleTimer;
pub use keepalive::{KeepAlive, KeepAliveAction, KeepAliveConfig};
pub use rate::{RateConfig, RateLimiter};
pub use reports::{Matched, Orphan, ReportConfig, ReportMatcher, ReportOutcome};
pub use sequence::{SequenceError, SequenceIds, ZeroId};
pub use window::{Expired, InsertError, Window, WindowConfig};
