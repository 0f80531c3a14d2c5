//! The `hongyan` command line: every command, one file per command family. `main.rs`
//! only parses [`Cli`] and calls [`main`].
//!
//! | Command | File |
//! |---|---|
//! | `run` (the daemon, SIGTERM/SIGINT) | `run.rs` |
//! | `check-config` | `check_config.rs` |
//! | `decode` (hex PDUs → JSON) | `decode.rs` |
//! | `segments` (how a text is split, its SUBMIT PDUs) | `segments.rs` |
//! | `simulate` (one carrier gateway in the foreground) | `simulate.rs` |
//! | `demo` (the whole path with simulated carriers) | `demo.rs` |
//! | `bench` (link load bench, durable end-to-end bench) | `bench/` |
//! | `send`, `status`, `jobs`, `inbox`, … (API client commands) | `remote.rs` |
//! | `user` (the staff console's accounts, on the data directory) | `user.rs` |
//! | `opt-out list\|add\|remove\|history` (the 退订 list, through the API) | `opt_out.rs` |
//! | `--collect`, `--poll …` of `send` and `group send` (replies asked for) | `reply_args.rs` |
//! | `replies`, `tally`, `resend-unanswered` (results of a poll) | `polls.rs` |
//!
//! Output goes through `outln!` (`output.rs`): a reader that closes the pipe ends the
//! program quietly and successfully. `anyhow` is used here, at the edge, and nowhere below.

#[macro_use]
mod output;

mod backup;
pub mod bench;
mod check_config;
pub mod decode;
pub mod demo;
pub mod generate_docs;
mod held;
mod opt_out;
mod polls;
mod remote;
mod reply_args;
mod run;
pub mod segments;
pub mod simulate;
mod table;
mod user;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use decode::Protocol;

/// hongyan (鸿雁): carrier-direct SMS gateway for CMPP 2.0/3.0, SMGP 3.0 and SGIP 1.2.
#[derive(Debug, Parser)]
#[command(name = "hongyan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    remote: remote::Remote,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode PDUs given as hex into JSON, one object per PDU.
    ///
    /// Hex comes from the arguments (joined) or, with none, from standard input, one or
    /// more PDUs per line; spaces and `hexdump -C` / `xxd` dumps are accepted. A PDU that
    /// does not decode prints a one-line error naming the field to stderr, and the exit
    /// status is non-zero.
    Decode {
        /// Protocol and version of the bytes.
        #[arg(long, short)]
        protocol: Protocol,
        /// Pretty-print each JSON object.
        #[arg(long)]
        pretty: bool,
        /// The PDU(s) in hex.
        hex: Vec<String>,
    },
    /// Show how a text goes out: coding, number of segments (the cost) and each
    /// segment's text; with `--protocol P --hex`, the SUBMIT PDUs a link would send.
    Segments(segments::SegmentsArgs),
    /// Check a config file without starting anything: prints a summary, or the first
    /// error naming its key, and exits non-zero on error.
    CheckConfig {
        /// The TOML config file.
        #[arg(long, short)]
        config: std::path::PathBuf,
    },
    /// Run the daemon until SIGTERM or Ctrl-C. Without --config: demo mode, with data
    /// under ./hongyan-data (or $HONGYAN_DATA) and three simulated carriers.
    Run {
        /// The TOML config file (checked completely before anything starts).
        #[arg(long, short)]
        config: Option<std::path::PathBuf>,
        /// Log line format; default the config's `log.format` (text).
        #[arg(long, value_enum)]
        log_format: Option<LogFormatArg>,
        /// Listen for the API here instead of `api.listen` (port 0: any free port; the
        /// log line "API listening" shows which).
        #[arg(long)]
        api_listen: Option<std::net::SocketAddr>,
    },
    /// Run one carrier gateway simulator in the foreground until Ctrl-C: try an
    /// integration before the carrier grants access.
    Simulate {
        #[command(flatten)]
        args: simulate::SimulateArgs,
        /// Log filter (standard error); info shows every login, submit, report and MO.
        #[arg(long, default_value = "info")]
        log_level: String,
    },
    /// Load benches against in-process simulators. Without --durable: N messages
    /// through one link, no persistence; prints messages per second and submit →
    /// response latency percentiles. With --durable: the whole daemon, every message
    /// enqueued, sent, answered and reported through SQLite. With --console: every
    /// console page timed on a store of a million jobs.
    Bench(bench::BenchArgs),
    /// Talk to a running daemon over its API (`--api`, `--token`, `--json`).
    #[command(flatten)]
    Remote(remote::RemoteCommand),
    /// The results of a send that asked for replies (`replies`, `tally`,
    /// `resend-unanswered`).
    #[command(flatten)]
    Polls(polls::PollCommand),
    /// Back up the database while the daemon runs (SQLite's online backup) into FILE,
    /// owner-only (0600). The database is found as `hongyan run` finds it: from
    /// --config, else $HONGYAN_DATA or ./hongyan-data.
    Backup {
        /// The config file the daemon runs with (only its [storage] is read).
        #[arg(long, short)]
        config: Option<std::path::PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Where the backup goes.
        file: std::path::PathBuf,
    },
    /// The staff console's accounts: add, list, passwd, disable, enable. Works on the
    /// data directory (--config, else $HONGYAN_DATA or ./hongyan-data) whether or not
    /// the daemon runs.
    User(user::UserArgs),
    /// Write the man pages and shell completions into DIR (packaging).
    #[command(hide = true)]
    GenerateDocs {
        /// The output directory.
        dir: std::path::PathBuf,
    },
    /// Start the daemon with three simulated carriers, send sample messages through it
    /// and print what happened to each: the whole path in one command.
    Demo {
        /// Log line format of the daemon's log on standard error.
        #[arg(long, value_enum, default_value_t = LogFormatArg::Text)]
        log_format: LogFormatArg,
        /// Log filter for the daemon's log (standard error).
        #[arg(long, default_value = "warn")]
        log_level: String,
    },
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl From<LogFormatArg> for crate::config::LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Text => Self::Text,
            LogFormatArg::Json => Self::Json,
        }
    }
}

/// Runs the parsed command line to its exit status: errors print as `error: …` on
/// standard error; a reader that closed our output is not an error.
pub fn main(cli: Cli) -> ExitCode {
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`| head`): nothing is wrong, nothing to say.
        Err(e) if output::closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command.
///
/// # Errors
/// Whatever stopped the command, with its context, for [`main`] to print.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Decode {
            protocol,
            pretty,
            hex,
        } => decode::run(protocol, pretty, hex),
        Command::Segments(args) => segments::run(args),
        Command::CheckConfig { config } => check_config::run(&config),
        Command::Run {
            config,
            log_format,
            api_listen,
        } => run::run(config.as_deref(), log_format, api_listen),
        Command::Demo {
            log_format,
            log_level,
        } => demo::run_command(log_format.into(), &log_level),
        Command::Simulate { args, log_level } => simulate::run_command(args, &log_level),
        Command::Bench(opts) => bench::run(opts),
        Command::Remote(cmd) => remote::run(cli.remote, cmd),
        Command::Polls(cmd) => polls::run(&cli.remote, cmd),
        Command::Backup {
            config,
            force,
            file,
        } => backup::run(config.as_deref(), &file, force),
        Command::GenerateDocs { dir } => generate_docs::run(&dir),
        Command::User(args) => user::run(args),
    }
}

/// The multi-threaded runtime the async commands run on.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
