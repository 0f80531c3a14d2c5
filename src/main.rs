//! The `hongyan` command line: the daemon and the tools around it.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hongyan::decode::{self, Protocol};

/// hongyan (鸿雁): carrier-direct SMS gateway for CMPP 2.0/3.0, SMGP 3.0 and SGIP 1.2.
#[derive(Debug, Parser)]
#[command(name = "hongyan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Decode {
            protocol,
            pretty,
            hex,
        } => run_decode(protocol, pretty, hex),
    }
}

fn run_decode(protocol: Protocol, pretty: bool, hex: Vec<String>) -> anyhow::Result<ExitCode> {
    let input = if hex.is_empty() {
        let mut stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("reading hex PDUs from standard input, one per line (Ctrl-D to end)");
        }
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .context("reading standard input")?;
        text
    } else {
        hex.join("")
    };
    let outcomes = decode::decode_text(protocol, &input);
    if outcomes.is_empty() {
        anyhow::bail!("no PDU in the input");
    }
    let mut stdout = std::io::stdout().lock();
    let mut failed = 0;
    for outcome in &outcomes {
        match &outcome.result {
            Ok(json) => {
                let text = if pretty {
                    serde_json::to_string_pretty(json)?
                } else {
                    json.to_string()
                };
                writeln!(stdout, "{text}")?;
            }
            Err(_) => {
                failed += 1;
                eprintln!("error: {outcome}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
