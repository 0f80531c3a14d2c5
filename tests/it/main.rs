//! Integration tests: the real `hongyan` binary, one module per area.

mod ack;
mod alerts;
mod api;
mod api_lists;
mod approvals;
mod cli;
mod config;
mod crash;
mod daemon;
mod datadir;
mod decode;
mod groups;
mod link;
mod link_examples;
mod output;
mod recovery;
mod reference;
mod segments;
mod sim;
mod webhooks;
