//! The daemon's configuration: a TOML file, validated completely before anything
//! starts. Every error names the key (`link[1].window`) and says why, so an operator
//! fixes the file without reading code.
//!
//! * [`schema`] — the file's structure, defaults and documentation of every key
//!   (`config/hongyan.example.toml` shows them all).
//! * [`load`] — reading and parsing, turning serde errors into key paths.
//! * [`validate`] — the rules serde cannot express: ranges, cross-field requirements,
//!   unique link names, numbers that must be digits, fallbacks that lead somewhere.
//! * [`secret_source`] — secrets from systemd credentials or files instead of inline.
//! * [`exposure`] — a warning for a file others can read that holds secrets inline.
//! * [`Config::embedded_default`] — what `hongyan run` uses without `--config`:
//!   data under `./hongyan-data` (or `$HONGYAN_DATA`) and three in-process simulated
//!   carriers.

mod alerts;
mod console;
mod database_path;
mod duration;
mod embedded;
pub mod exposure;
mod load;
mod schema;
pub mod secret_source;
mod validate;

pub use alerts::Alerts;
pub use console::Console;
pub use database_path::database_path;
pub use embedded::{DEMO_API_TOKEN, EMBEDDED_DEFAULT_TOML};
pub use load::{ConfigError, load_file, parse};
pub use schema::*;

#[cfg(test)]
mod tests;
