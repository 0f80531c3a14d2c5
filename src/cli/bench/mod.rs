//! `hongyan bench`: load benches against in-process simulators — the link alone
//! (`link.rs`) or, with `--durable`, the whole daemon through SQLite (`durable.rs`).

pub mod durable;
pub mod link;

use std::process::ExitCode;

use anyhow::Context;

use super::runtime;

/// `hongyan bench`.
#[derive(Debug, clap::Args)]
pub(super) struct BenchArgs {
    #[command(flatten)]
    link: link::LoadBenchOptions,
    /// Run the durable end-to-end bench through the daemon and its SQLite queue
    /// (`--protocol` and `--no-reports` do not apply).
    #[arg(long)]
    durable: bool,
    /// --durable: recipients per job (a group send is one job).
    #[arg(long, default_value_t = 100, requires = "durable")]
    recipients_per_job: u64,
    /// --durable: concurrent producers handing jobs to the daemon.
    #[arg(long, default_value_t = 8, requires = "durable")]
    producers: u64,
    /// --durable: send to all three carriers (three links), not only China Mobile.
    #[arg(long, requires = "durable")]
    all_carriers: bool,
    /// --durable: fsync every commit batch (storage.synchronous = "full").
    #[arg(long, requires = "durable")]
    fsync: bool,
    /// --durable: the jobs' category, notice (default) or marketing (opt-out suffix,
    /// opt-out list and daily caps checked per job; quiet hours off).
    #[arg(long, default_value = "notice", requires = "durable")]
    category: crate::policy::Category,
    /// --durable: check every job against a generated sensitive-word list of this many
    /// words (0: none), e.g. 10000.
    #[arg(long, default_value_t = 0, requires = "durable")]
    policy_words: usize,
}

/// Runs `hongyan bench` and prints its report.
pub(super) fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let level = std::env::var("HONGYAN_LOG").unwrap_or_else(|_| "warn".into());
    crate::daemon::logging::init(&level, crate::config::LogFormat::Text)?;
    let rt = runtime()?;
    if args.durable {
        let window = u16::try_from(args.link.window).context("--window: at most 65535")?;
        let connections =
            u8::try_from(args.link.connections).context("--connections: at most 255")?;
        let opts = durable::DurableBenchOptions {
            messages: args.link.messages,
            recipients_per_job: args.recipients_per_job,
            producers: args.producers,
            window,
            connections,
            all_carriers: args.all_carriers,
            fsync: args.fsync,
            data_dir: None,
            timeout: std::time::Duration::from_secs(args.link.timeout_secs),
            category: args.category,
            policy_words: args.policy_words,
        };
        outln!("{}", rt.block_on(durable::run_durable_bench(opts))?);
    } else {
        outln!("{}", rt.block_on(link::run_load_bench(args.link))?);
    }
    Ok(ExitCode::SUCCESS)
}
