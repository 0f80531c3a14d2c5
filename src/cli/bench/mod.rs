//! `hongyan bench`: load benches against in-process simulators — the link alone
//! (`link.rs`) or, with `--durable`, the whole daemon through SQLite (`durable.rs`);
//! with `--console`, the staff console's pages on a store full of history
//! (`console.rs`).

pub mod console;
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
    /// Time every console page (p50/p95/max) and its first-load size on a store filled
    /// with history (the link options do not apply).
    #[arg(long, conflicts_with = "durable")]
    console: bool,
    /// --console: jobs in the store.
    #[arg(long, default_value_t = 1_000_000, requires = "console")]
    jobs: u64,
    /// --console: contacts in the store.
    #[arg(long, default_value_t = 100_000, requires = "console")]
    contacts: u64,
    /// --console: replies in the inbox.
    #[arg(long, default_value_t = 50_000, requires = "console")]
    replies: u64,
    /// --console: timed requests per page.
    #[arg(long, default_value_t = 200, requires = "console")]
    requests: usize,
    /// --console: keep the data here (filled on the first run, used as it is after);
    /// default a temporary directory, removed afterwards.
    #[arg(long, requires = "console")]
    data_dir: Option<std::path::PathBuf>,
}

/// Runs `hongyan bench` and prints its report.
pub(super) fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let level = std::env::var("HONGYAN_LOG").unwrap_or_else(|_| "warn".into());
    crate::daemon::logging::init(&level, crate::config::LogFormat::Text)?;
    let rt = runtime()?;
    if args.console {
        let opts = console::ConsoleBenchOptions {
            jobs: args.jobs,
            contacts: args.contacts,
            replies: args.replies,
            requests: args.requests,
            data_dir: args.data_dir,
        };
        outln!("{}", rt.block_on(console::run_console_bench(opts))?);
    } else if args.durable {
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
