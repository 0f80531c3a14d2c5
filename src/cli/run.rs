//! `hongyan run`: the daemon in the foreground until SIGTERM or SIGINT, then an orderly
//! stop (API first, then the daemon within the links' close grace); SIGHUP reloads the
//! config (see `daemon::reload`).

use std::process::ExitCode;

use anyhow::Context;

use super::{LogFormatArg, runtime};
use crate::daemon::reload::{ConfigReload, InEffect};
use crate::shutdown::Shutdown;

/// How long `hongyan run` gives the links to close after SIGTERM, beyond the longest
/// close grace.
const SHUTDOWN_SLACK: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `hongyan run`.
pub(super) fn run(
    path: Option<&std::path::Path>,
    log_format: Option<LogFormatArg>,
    api_listen: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let mut config = match path {
        Some(p) => {
            crate::config::load_file(p).with_context(|| format!("config {}", p.display()))?
        }
        None => crate::config::Config::embedded_default().context("embedded default config")?,
    };
    let format = log_format.map_or(config.log.format, Into::into);
    let offset = config
        .log
        .offset()
        .map_err(|e| anyhow::anyhow!("log.utc_offset: {e}"))?;
    crate::daemon::logging::init_at(&config.log.level, format, offset)?;
    if let Some(exposed) = path.and_then(crate::config::exposure::check_file) {
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
        use crate::daemon::notify;
        // Watched from before the daemon starts, so a signal that comes while it starts
        // is not the default (immediate) exit: the stop follows once it is up.
        let shutdown = Shutdown::new();
        let signals = StopSignals::install()?;
        let (reload_tx, mut reload_rx) = tokio::sync::mpsc::channel(1);
        let _watcher = tokio::spawn(signals.watch(shutdown.clone(), reload_tx));
        // The data directory first: a second daemon on it stops here, before anything.
        let lock = crate::daemon::Daemon::lock_data_dir(&config).context("cannot start")?;
        // Bound next: a taken address stops start-up before any link logs in.
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("api.listen: cannot listen on {listen}"))?;
        let daemon = crate::daemon::Daemon::start_locked(config, lock)
            .await
            .context("cannot start")?;
        // Before the console serves: by the time it answers, the account exists.
        first_admin(&daemon, listener.local_addr().ok()).await;
        let api = crate::api::serve(&daemon, listener).context("cannot start the API")?;
        notify::notify("READY=1");
        let watchdog = notify::spawn_watchdog();
        let mut parts = daemon.reload_parts();
        parts.push(Box::new(api.token_reload()));
        let parts: Vec<&dyn ConfigReload> = parts.iter().map(AsRef::as_ref).collect();
        let mut in_effect = InEffect::new(&started);
        loop {
            tokio::select! {
                _ = shutdown.triggered() => break,
                Some(()) = reload_rx.recv() => {
                    // Without --config there is no file to read again.
                    if let Some(p) = path {
                        let over = |c: &mut crate::config::Config| {
                            if let Some(addr) = api_listen {
                                c.api.listen = addr;
                            }
                        };
                        let _ = crate::daemon::reload::reload_file(p, &mut in_effect, over, &parts);
                    }
                }
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

/// On a store without console accounts, creates `admin` and logs its generated password
/// — once: the next start finds the account. A password in the log is on purpose here
/// (the operator needs it to log in the first time); nothing else secret is ever logged.
async fn first_admin(daemon: &crate::daemon::DaemonHandle, addr: Option<std::net::SocketAddr>) {
    let now = crate::store::now_millis();
    match crate::web::accounts::ensure_first_admin(&daemon.store(), now).await {
        Ok(Some(password)) => {
            let at = addr.map(|a| format!(" at http://{a}/")).unwrap_or_default();
            tracing::warn!(
                "console: log in as admin with {password}{at} (shown once; change it under 设置 → 账号, or `hongyan user passwd admin`)"
            );
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "console: cannot create the first admin account"),
    }
}

/// SIGTERM (systemd, kill), SIGINT (Ctrl-C) and SIGHUP (`systemctl reload`: read the
/// config again).
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

    /// Passes each SIGHUP on to `reload` until SIGTERM or SIGINT triggers `shutdown`.
    async fn watch(mut self, shutdown: Shutdown, reload: tokio::sync::mpsc::Sender<()>) {
        loop {
            tokio::select! {
                _ = self.term.recv() => {
                    tracing::info!("SIGTERM received");
                    break;
                }
                _ = self.int.recv() => {
                    tracing::info!("SIGINT received");
                    break;
                }
                _ = self.hup.recv() => {
                    tracing::info!("SIGHUP received: reloading the config");
                    // One reload waiting is enough: it reads the file as it is then.
                    let _ = reload.try_send(());
                }
            }
        }
        shutdown.trigger();
    }
}
