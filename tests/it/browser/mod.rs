//! Browser tests of the staff console: a real headless Chromium (through chromedriver)
//! against `hongyan run` on the embedded demo at 127.0.0.1:0, driven as a person would —
//! typing into the form fields, clicking the buttons, reading what the page shows.
//!
//! They live in the `it` target rather than a target of their own: they need the same
//! harness (the daemon as a child process, its log, its API for the simulated phones,
//! bounded waits), and one test binary fewer is one link fewer on a two-core machine.
//! Run them alone with `cargo test --test it browser::`.
//!
//! - [`chrome`]: chromedriver and Chromium, found locally, on 127.0.0.1, a fresh profile.
//! - [`webdriver`]: the small WebDriver client (navigate, find, type, click, wait).
//! - [`console`]: the daemon and a browser together: log in, screenshots at 1280 and
//!   375 px under `target/browser-screenshots/` (with checks that the page fits a phone's
//!   width and that the browser saw no Content-Security-Policy violation).

// A harness panics by design (a failed setup is a failed test); the harness offers more
// than each test uses.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod chrome;
mod console;
mod webdriver;

mod access;
mod approval;
mod import;
mod send;
mod smoke;
