//! Integration tests: the real `hongyan` binary, one module per area.

mod config;
mod decode;
mod segments;
mod sim;
