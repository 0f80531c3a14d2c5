//! The `hongyan` command line: the daemon and the tools around it. Clap wiring only;
//! every command lives in `hongyan::cli`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    hongyan::cli::main(hongyan::cli::Cli::parse())
}
