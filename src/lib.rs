//! hongyan (鸿雁): a carrier-direct SMS gateway and notification daemon for the three
//! Chinese carrier SP protocols — CMPP 2.0/3.0 (China Mobile), SMGP 3.0 (China Telecom)
//! and SGIP 1.2 (China Unicom).
//!
//! The library holds everything the `hongyan` binary runs; the wire formats live in the
//! sans-IO crates under `protocols/`.

pub mod alerts;
pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contacts;
pub mod daemon;
pub mod dispatch;
pub mod link;
pub mod replies;
pub mod route;
pub mod shutdown;
pub mod sim;
pub mod store;
#[cfg(test)]
mod testutil;
pub mod web;
pub mod webhooks;
pub mod workflow;
