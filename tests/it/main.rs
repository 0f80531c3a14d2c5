//! Integration tests: the real `hongyan` binary, one module per area, each on the shared
//! harness in `support/` (temporary directories, configs, the daemon in process or as a
//! child process, its API, simulators and raw protocol peers, bounded waits).

mod ack;
mod alerts;
mod api;
mod api_lists;
mod approvals;
mod browser;
mod cli;
mod config;
mod console;
mod crash;
mod daemon;
mod datadir;
mod decode;
mod groups;
mod link;
mod link_examples;
mod ops;
mod opt_out;
mod output;
mod policy;
mod poll_results;
mod polls;
mod recovery;
mod reload;
mod segments;
mod sim;
mod support;
mod templates;
mod webhooks;
