//! Webhooks: delivery reports, inbound messages and approval decisions POSTed to the
//! business systems named in `[[webhook]]`, signed, retried with backoff, and queued
//! durably in the store's outbox (see [`crate::store::webhooks`]) so a restart loses none.
//!
//! # What the receiver gets
//!
//! `POST` to the configured URL, `Content-Type: application/json`, body
//! `{"event": "...", "created_at": <unix ms>, "data": {...}}`, and the headers
//!
//! | header | value |
//! |---|---|
//! | `X-Hongyan-Event` | `delivery_report`, `inbound`, `approval_decision` or `unreported` |
//! | `X-Hongyan-Delivery` | the delivery id: the same on every retry of one event, so repeats can be dropped |
//! | `X-Hongyan-Timestamp` | unix seconds when this attempt was signed |
//! | `X-Hongyan-Signature` | `sha256=` + lowercase hex of HMAC-SHA256(secret, timestamp + `.` + body) |
//!
//! # Verifying (the recipe)
//!
//! 1. Take the raw body bytes as received (before any JSON parsing).
//! 2. Compute HMAC-SHA256 with the webhook's secret over `X-Hongyan-Timestamp`, a `.`, and
//!    the body; hex-encode it in lowercase.
//! 3. Compare with the part of `X-Hongyan-Signature` after `sha256=` in constant time.
//! 4. Reject a timestamp more than 5 minutes from your clock (a replayed request).
//!
//! Any 2xx answer counts as delivered; anything else (or no answer within `timeout`) is
//! retried after 1 s, 2 s, 4 s … up to `max_backoff`, for as long as it takes.

mod sign;
mod url;
mod worker;

pub use sign::{sign, verify};
pub use url::{WebhookUrl, WebhookUrlError, parse_url};
pub use worker::start;
