//! The `hongyan` command line: the daemon and the tools around it.

/// `println!` for the command line's output. When the reader has closed its end
/// (`hongyan jobs | head -3`), the program ends at once, quietly and successfully, as Unix
/// tools do, instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::print_line(format_args!($($arg)*))
    };
}

mod remote;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hongyan::decode::{self, Protocol};
use hongyan::segments::{self, Addressing, CodingChoice};

/// hongyan (鸿雁): carrier-direct SMS gateway for CMPP 2.0/3.0, SMGP 3.0 and SGIP 1.2.
#[derive(Debug, Parser)]
#[command(name = "hongyan", version, about, long_about = None)]
struct Cli {
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
    Segments(SegmentsArgs),
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
        args: hongyan::sim::SimulateArgs,
        /// Log filter (standard error); info shows every login, submit, report and MO.
        #[arg(long, default_value = "info")]
        log_level: String,
    },
    /// Load benches against in-process simulators. Without --durable: N messages
    /// through one link, no persistence; prints messages per second and submit →
    /// response latency percentiles. With --durable: the whole daemon, every message
    /// enqueued, sent, answered and reported through SQLite.
    Bench(BenchArgs),
    /// Talk to a running daemon over its API (`--api`, `--token`, `--json`).
    #[command(flatten)]
    Remote(remote::RemoteCommand),
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

impl From<LogFormatArg> for hongyan::config::LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Text => Self::Text,
            LogFormatArg::Json => Self::Json,
        }
    }
}

/// `hongyan bench`.
#[derive(Debug, clap::Args)]
struct BenchArgs {
    #[command(flatten)]
    link: hongyan::link::bench::LoadBenchOptions,
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
}

/// Concatenation UDH form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum UdhBits {
    /// 8-bit reference: 05 00 03 RR TT SS.
    #[value(name = "8")]
    Eight,
    /// 16-bit reference: 06 08 04 RH RL TT SS.
    #[value(name = "16")]
    Sixteen,
}

#[derive(Debug, clap::Args)]
struct SegmentsArgs {
    /// Coding of the text.
    #[arg(long, value_enum, default_value_t = CodingChoice::Auto)]
    coding: CodingChoice,
    /// Signature, e.g. 【鸿雁物流】; added once, at the start unless --signature-at-end.
    #[arg(long)]
    signature: Option<String>,
    /// Put the signature at the end of the text.
    #[arg(long)]
    signature_at_end: bool,
    /// The carrier adds the signature itself: reserve its room but do not send it.
    #[arg(long)]
    carrier_signature: bool,
    /// Concatenation UDH: 8-bit (05 00 03) or 16-bit (06 08 04) reference.
    #[arg(long, value_enum, default_value_t = UdhBits::Eight)]
    udh: UdhBits,
    /// Reference number written into the UDH.
    #[arg(long, default_value_t = 1)]
    reference: u16,
    /// Print JSON instead of the summary.
    #[arg(long, conflicts_with = "hex")]
    json: bool,
    /// Print the SUBMIT PDUs in hex, one per line (needs --protocol).
    #[arg(long, requires = "protocol")]
    hex: bool,
    /// Protocol of the SUBMIT PDUs printed by --hex.
    #[arg(long, short)]
    protocol: Option<Protocol>,
    /// Source number (service code + extension) for --hex.
    #[arg(long, default_value = "1069012388")]
    from: String,
    /// Recipient for --hex.
    #[arg(long, default_value = "13800138000")]
    to: String,
    /// Service id (CMPP/SMGP) or service type (SGIP) for --hex.
    #[arg(long, default_value = "HONGYAN")]
    service_id: String,
    /// SP id (CMPP Msg_src, SGIP corp id) for --hex.
    #[arg(long, default_value = "901234")]
    sp_id: String,
    /// The message text.
    text: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`| head`): nothing is wrong, nothing to say.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// True when `e` comes from writing to a pipe whose reader has closed it.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes one line to standard output (see `outln!`): on a closed pipe the process ends
/// quietly with success; on another write error (a full disk) it ends with the error.
fn print_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing standard output: {e}");
            std::process::exit(1);
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
        Command::Segments(args) => run_segments(args),
        Command::CheckConfig { config } => check_config(&config),
        Command::Run {
            config,
            log_format,
            api_listen,
        } => run_daemon(config.as_deref(), log_format, api_listen),
        Command::Demo {
            log_format,
            log_level,
        } => run_demo(log_format, &log_level),
        Command::Simulate { args, log_level } => run_simulate(args, &log_level),
        Command::Bench(opts) => run_bench(opts),
        Command::Remote(cmd) => remote::run(cli.remote, cmd),
        Command::Backup {
            config,
            force,
            file,
        } => run_backup(config.as_deref(), &file, force),
        Command::GenerateDocs { dir } => {
            use clap::CommandFactory;
            for path in hongyan::manpage::generate(Cli::command(), &dir)? {
                outln!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// How long `hongyan run` gives the links to close after SIGTERM, beyond the longest
/// close grace.
const SHUTDOWN_SLACK: std::time::Duration = std::time::Duration::from_secs(5);

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run_daemon(
    path: Option<&std::path::Path>,
    log_format: Option<LogFormatArg>,
    api_listen: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let mut config = match path {
        Some(p) => {
            hongyan::config::load_file(p).with_context(|| format!("config {}", p.display()))?
        }
        None => hongyan::config::Config::embedded_default().context("embedded default config")?,
    };
    let format = log_format.map_or(config.log.format, Into::into);
    let offset = config
        .log
        .offset()
        .map_err(|e| anyhow::anyhow!("log.utc_offset: {e}"))?;
    hongyan::daemon::logging::init_at(&config.log.level, format, offset)
        .map_err(anyhow::Error::msg)?;
    if let Some(exposed) = path.and_then(hongyan::config::exposure::check_file) {
        tracing::warn!(file = %exposed.file.display(), "{exposed}");
    }
    if path.is_none() {
        tracing::warn!(
            data = %config.storage.data_dir.display(),
            "no --config: running the embedded default"
        );
    }
    let deadline = config
        .links
        .iter()
        .map(|l| l.close_grace)
        .max()
        .unwrap_or_default()
        + SHUTDOWN_SLACK;
    if let Some(addr) = api_listen {
        config.api.listen = addr;
    }
    let listen = config.api.listen;
    let started = config.clone();
    runtime()?.block_on(async move {
        use hongyan::daemon::notify;
        let mut stop = StopSignals::install()?;
        // The data directory first: a second daemon on it stops here, before anything.
        let lock = hongyan::daemon::Daemon::lock_data_dir(&config).context("cannot start")?;
        // Bound next: a taken address stops start-up before any link logs in.
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("api.listen: cannot listen on {listen}"))?;
        let daemon = hongyan::daemon::Daemon::start_locked(config, lock)
            .await
            .context("cannot start")?;
        let api = hongyan::api::serve(&daemon, listener).context("cannot start the API")?;
        notify::notify("READY=1");
        let watchdog = notify::spawn_watchdog();
        let reload = api.token_reload();
        while let Some(()) = stop.wait_or_reload().await {
            // Without --config there is no file to read again.
            if let Some(p) = path {
                let over = |c: &mut hongyan::config::Config| {
                    if let Some(addr) = api_listen {
                        c.api.listen = addr;
                    }
                };
                let _ = hongyan::daemon::reload::reload_file(p, &started, over, &[&reload]);
            }
        }
        notify::notify("STOPPING=1");
        api.shutdown().await;
        let report = daemon.shutdown(deadline).await;
        if let Some(w) = watchdog {
            w.abort();
        }
        if report.timed_out {
            tracing::warn!(
                "shutdown deadline passed; unanswered parts are recovered on the next start"
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// SIGTERM (systemd, kill), SIGINT (Ctrl-C) and SIGHUP (reload), watched from before the
/// daemon starts so a signal that comes while it starts is not the default (immediate)
/// exit.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot watch SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot watch SIGHUP")?,
        })
    }

    /// `Some` for SIGHUP (reload the config), `None` for a stop.
    async fn wait_or_reload(&mut self) -> Option<()> {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM received"),
            _ = self.int.recv() => tracing::info!("SIGINT received"),
            _ = self.hup.recv() => {
                tracing::info!("SIGHUP received: reloading the config");
                return Some(());
            }
        }
        None
    }
}

fn run_demo(log_format: LogFormatArg, log_level: &str) -> anyhow::Result<ExitCode> {
    hongyan::daemon::logging::init(log_level, log_format.into()).map_err(anyhow::Error::msg)?;
    runtime()?.block_on(async {
        let mut stdout = std::io::stdout();
        hongyan::daemon::demo::run(&mut stdout, None).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_simulate(args: hongyan::sim::SimulateArgs, log_level: &str) -> anyhow::Result<ExitCode> {
    hongyan::daemon::logging::init(log_level, hongyan::config::LogFormat::Text)
        .map_err(anyhow::Error::msg)?;
    runtime()?.block_on(hongyan::sim::run_cli(args))?;
    Ok(ExitCode::SUCCESS)
}

fn run_bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let level = std::env::var("HONGYAN_LOG").unwrap_or_else(|_| "warn".into());
    hongyan::daemon::logging::init(&level, hongyan::config::LogFormat::Text)
        .map_err(anyhow::Error::msg)?;
    let rt = runtime()?;
    if args.durable {
        let window = u16::try_from(args.link.window).context("--window: at most 65535")?;
        let connections =
            u8::try_from(args.link.connections).context("--connections: at most 255")?;
        let opts = hongyan::daemon::bench::DurableBenchOptions {
            messages: args.link.messages,
            recipients_per_job: args.recipients_per_job,
            producers: args.producers,
            window,
            connections,
            all_carriers: args.all_carriers,
            fsync: args.fsync,
            data_dir: None,
            timeout: std::time::Duration::from_secs(args.link.timeout_secs),
        };
        outln!(
            "{}",
            rt.block_on(hongyan::daemon::bench::run_durable_bench(opts))?
        );
    } else {
        outln!(
            "{}",
            rt.block_on(hongyan::link::bench::run_load_bench(args.link))?
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_backup(
    config: Option<&std::path::Path>,
    file: &std::path::Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    use hongyan::store::backup;
    let source = backup::database_path(config)?;
    let tty = std::io::stderr().is_terminal();
    let report = backup::backup(&source, file, force, |p| {
        if tty {
            eprint!(
                "\rbacking up {}: page {} of {}",
                source.display(),
                p.done,
                p.total
            );
        }
    })?;
    if tty {
        eprintln!();
    }
    outln!(
        "backed up {} to {} ({} pages, {} bytes)",
        report.source.display(),
        report.file.display(),
        report.pages,
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}

fn check_config(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config =
        hongyan::config::load_file(path).with_context(|| format!("config {}", path.display()))?;
    if let Some(exposed) = hongyan::config::exposure::check_file(path) {
        eprintln!("warning: {exposed}");
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "config {} is valid", path.display())?;
    writeln!(
        stdout,
        "  data: {}",
        config
            .storage
            .data_dir
            .join(&config.storage.database)
            .display()
    )?;
    writeln!(stdout, "  api:  {}", config.api.listen)?;
    for link in &config.links {
        let target = if link.simulated {
            "simulated".to_string()
        } else {
            link.address.clone().unwrap_or_default()
        };
        writeln!(
            stdout,
            "  link {}: {} for {} numbers via {target}, service code {}",
            link.name,
            link.protocol.name(),
            link.carrier(),
            link.service_code
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_segments(args: SegmentsArgs) -> anyhow::Result<ExitCode> {
    let request = segments::Request {
        text: args.text,
        coding: args.coding,
        signature: args.signature,
        signature_at_end: args.signature_at_end,
        carrier_signature: args.carrier_signature,
        wide_udh: args.udh == UdhBits::Sixteen,
        reference: args.reference,
    };
    let split = request.split().context("cannot split the text")?;
    let mut stdout = std::io::stdout().lock();
    match (args.hex, args.protocol) {
        (true, Some(protocol)) => {
            let addr = Addressing {
                from: args.from,
                to: args.to,
                service_id: args.service_id,
                sp_id: args.sp_id,
            };
            for pdu in segments::submits(protocol, &split, &addr)? {
                writeln!(stdout, "{}", wire::hex::encode(&pdu))?;
            }
        }
        _ if args.json => {
            let json = segments::render_json(&split);
            writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        _ => write!(stdout, "{}", segments::render_text(&split))?,
    }
    Ok(ExitCode::SUCCESS)
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
