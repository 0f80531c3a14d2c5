//! Integration tests: the real `hongyan` binary, one module per area.

mod decode;
mod segments;
mod sim;
