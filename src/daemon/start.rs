//! Starting the daemon: data directory and store, crash recovery, router, simulators,
//! links, dispatchers, scheduler — in that order, so nothing sends before the queue is
//! consistent again.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::lock::DataDirLock;
use super::{DaemonError, DaemonHandle};
use crate::clock::Clock;
use crate::config::{self, Config, LinkProtocol};
use crate::dispatch::{self, Changes, LinkRunner, Submitter, WireJournal, scheduler};
use crate::link::LinkDriver;
use crate::route::{Carrier, Router};
use crate::shutdown::Shutdown;
use crate::sim::{Account, SimConfig, SimHandle, SimProtocol, Simulator};
use crate::store::{
    RecoveryAction, StoreHandle, StoreOptions, Synchronous, UnconfirmedSegment, now_millis,
};
use crate::workflow::Workflow;

/// Adjusts an in-process simulator's settings before it starts.
pub type SimTweak = Arc<dyn Fn(&config::Link, &mut SimConfig) + Send + Sync>;

fn config_error(key: impl Into<String>, reason: impl Into<String>) -> DaemonError {
    DaemonError::Config {
        key: key.into(),
        reason: reason.into(),
    }
}

/// Creates the data directory if needed (owner-only) and locks it for this process:
/// before the store opens or any link logs in, so a second daemon on the same directory
/// stops here.
pub(super) fn lock_data_dir(config: &Config) -> Result<DataDirLock, DaemonError> {
    let dir = &config.storage.data_dir;
    let prepared = super::datadir::prepare(dir).map_err(|source| DaemonError::DataDir {
        path: dir.clone(),
        source,
    })?;
    if let super::datadir::DataDir::OpenToOthers(bits) = prepared {
        tracing::warn!(
            dir = %dir.display(),
            open_bits = format!("{bits:03o}"),
            "the data directory (messages, numbers, replies) can be read by other users; chmod 700 it"
        );
    }
    Ok(DataDirLock::acquire(dir)?)
}

pub(super) async fn start(
    config: Config,
    lock: Option<DataDirLock>,
    tweak: Option<SimTweak>,
) -> Result<DaemonHandle, DaemonError> {
    check_shared_carriers(&config)?;
    let router = build_router(&config)?;
    let policy = super::policy_reload::at_start(&config)?;
    let lock = match lock {
        Some(l) => l,
        None => lock_data_dir(&config)?,
    };
    if config.is_demo() {
        tracing::warn!("DEMO MODE: all carriers are simulated; no real SMS is sent");
    }
    let (store, recovered, journal) = open_store(&config).await?;
    if let Err(e) = store
        .set_webhooks(crate::store::Subscriptions::from_config(&config.webhooks))
        .await
    {
        let _ = store.close().await;
        return Err(DaemonError::Store {
            path: store.path().to_path_buf(),
            source: e,
        });
    }
    let shutdown = Shutdown::new();
    let changes = Changes::default();
    let mut runners: Vec<LinkRunner> = Vec::new();
    let mut sims: Vec<(String, SimHandle)> = Vec::new();
    let mut wake_by_carrier: HashMap<Carrier, Vec<Arc<Notify>>> = HashMap::new();
    let mut wake_all = Vec::new();
    for link in &config.links {
        match start_link(link, &store, &changes, &journal, tweak.as_ref(), &shutdown).await {
            Ok((runner, sim, wake)) => {
                runners.push(runner);
                if let Some(sim) = sim {
                    sims.push((link.name.clone(), sim));
                }
                wake_by_carrier
                    .entry(link.carrier())
                    .or_default()
                    .push(Arc::clone(&wake));
                wake_all.push(wake);
            }
            Err(e) => {
                for r in runners {
                    r.shutdown().await;
                }
                for (_, s) in sims {
                    s.shutdown().await;
                }
                let _ = store.close().await;
                return Err(e);
            }
        }
    }
    let submitter = Submitter::new(
        &config,
        router,
        store.clone(),
        wake_by_carrier,
        changes.clone(),
    );
    let scheduler = scheduler::start(
        store.clone(),
        wake_all.clone(),
        changes.clone(),
        config.queue.report_timeout,
        shutdown.child(),
    );
    let retention_counters = Arc::new(super::retention::RetentionCounters::default());
    let retention = super::retention::start(
        store.clone(),
        config.storage.retention,
        Arc::clone(&retention_counters),
        shutdown.child(),
    );
    let webhooks = crate::webhooks::start(
        store.clone(),
        config.webhooks.clone(),
        changes.clone(),
        shutdown.child(),
    );
    let (workflow, workflow_task) = Workflow::start(
        store.clone(),
        submitter.clone(),
        config.clone(),
        policy.clone(),
        Clock::System,
        changes.subscribe_inbox(),
        shutdown.child(),
    );
    // Its own stop signal until the daemon's stop flags become one `Shutdown`.
    let alerts_stop = crate::shutdown::Shutdown::new();
    let (alerts, alerts_reload, alerts_task) = if config.alerts.enabled {
        let (h, r, t) = crate::alerts::start(
            crate::alerts::Inputs {
                config: config.alerts.clone(),
                store: store.clone(),
                submitter: submitter.clone(),
                monitors: runners.iter().map(LinkRunner::monitor).collect(),
                data_dir: config.storage.data_dir.clone(),
                // Tokio's clock, so paused-time tests age the queue like the links.
                clock: Clock::following_tokio(),
            },
            alerts_stop.child(),
        );
        (h, Some(r), Some(t))
    } else {
        (crate::alerts::AlertsHandle::default(), None, None)
    };
    tracing::info!(
        links = runners.len(),
        data = %store.path().display(),
        "hongyan running"
    );
    Ok(DaemonHandle {
        config,
        store,
        submitter,
        runners,
        sims,
        wake: wake_all,
        changes,
        _stop_on_drop: shutdown.trigger_on_drop(),
        shutdown,
        scheduler,
        retention,
        retention_counters,
        workflow,
        workflow_task,
        webhooks,
        alerts,
        alerts_reload,
        alerts_task,
        alerts_stop,
        recovered,
        policy,
        _lock: lock,
    })
}

/// Links serving one carrier share its queue, so a message counted with one link's text
/// settings may be split by another's: they must agree.
fn check_shared_carriers(config: &Config) -> Result<(), DaemonError> {
    let mut first: HashMap<Carrier, (usize, wire::segment::SplitOptions)> = HashMap::new();
    for (i, link) in config.links.iter().enumerate() {
        let opts = dispatch::split_options(link, None);
        match first.get(&link.carrier()) {
            Some((j, o)) if *o != opts => {
                return Err(config_error(
                    format!("link[{i}]"),
                    format!(
                        "serves {} numbers like link[{j}] but with other text settings (signature, coding, udh or max_segments); links of one carrier must split texts alike",
                        link.carrier().full_name()
                    ),
                ));
            }
            Some(_) => {}
            None => {
                first.insert(link.carrier(), (i, opts));
            }
        }
    }
    Ok(())
}

/// The router `[routing]` describes; a portability row that cannot be read is skipped
/// with a warning naming its line (a reload refuses such a file instead: see
/// `dispatch::routing`).
fn build_router(config: &Config) -> Result<Router, DaemonError> {
    let links: Vec<Carrier> = config.links.iter().map(config::Link::carrier).collect();
    let built = dispatch::routing::build(&config.routing, &links)
        .map_err(|e| config_error(e.key, e.reason))?;
    if let Some((path, report)) = &built.portability {
        for row in &report.rejected {
            tracing::warn!(file = %path.display(), line = row.line, reason = %row.reason, "portability row skipped");
        }
        tracing::info!(file = %path.display(), numbers = report.imported(), "portability overrides loaded");
    }
    Ok(built.router)
}

/// Opens the store and recovers what the previous run left in flight — with its
/// on-the-wire journal, which tells the segments that may have been written from those
/// only claimed — then starts a fresh journal for this run.
async fn open_store(
    config: &Config,
) -> Result<(StoreHandle, Vec<UnconfirmedSegment>, Arc<WireJournal>), DaemonError> {
    // The directory exists: `lock_data_dir` created it (owner-only) and holds its lock.
    let dir = &config.storage.data_dir;
    let path = dir.join(&config.storage.database);
    let options = StoreOptions {
        synchronous: match config.storage.synchronous {
            config::Synchronous::Normal => Synchronous::Normal,
            config::Synchronous::Full => Synchronous::Full,
        },
        ..StoreOptions::default()
    };
    let store_err = |source| DaemonError::Store {
        path: path.clone(),
        source,
    };
    let store = StoreHandle::open(&path, options).map_err(store_err)?;
    let resend = config.queue.resend_unconfirmed;
    let journal_path = dir.join(dispatch::journal::FILE_NAME);
    let written = dispatch::journal::read_written(&journal_path);
    let recovered = match store
        .recover_on_start_with(resend, written, now_millis())
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = store.close().await;
            return Err(store_err(e));
        }
    };
    // Only now, with the recovery committed, may the old journal go.
    let journal = match WireJournal::create(&journal_path) {
        Ok(j) => Arc::new(j),
        Err(source) => {
            let _ = store.close().await;
            return Err(DaemonError::Journal {
                path: journal_path,
                source,
            });
        }
    };
    for s in &recovered {
        match s.action {
            RecoveryAction::MarkedUnconfirmed => tracing::warn!(
                job = s.job_id,
                recipient = s.recipient_id,
                segment = s.segment_id,
                number = %s.number,
                part = s.part,
                parts = s.parts,
                link = s.link.as_deref().unwrap_or("-"),
                "may have been written, with no response, when hongyan stopped; marked unconfirmed, not resent (queue.resend_unconfirmed = false)"
            ),
            RecoveryAction::Requeued => tracing::warn!(
                job = s.job_id,
                recipient = s.recipient_id,
                segment = s.segment_id,
                number = %s.number,
                part = s.part,
                parts = s.parts,
                "may have been written, with no response, when hongyan stopped; sending again (queue.resend_unconfirmed = true)"
            ),
            RecoveryAction::NeverSent => tracing::info!(
                job = s.job_id,
                recipient = s.recipient_id,
                segment = s.segment_id,
                number = %s.number,
                part = s.part,
                parts = s.parts,
                "was claimed but never written when hongyan stopped; queued again, no attempt counted"
            ),
        }
    }
    Ok((store, recovered, journal))
}

/// Starts one link (and its simulator, when simulated) with its dispatcher.
async fn start_link(
    link: &config::Link,
    store: &StoreHandle,
    changes: &Changes,
    journal: &Arc<WireJournal>,
    tweak: Option<&SimTweak>,
    shutdown: &Shutdown,
) -> Result<(LinkRunner, Option<SimHandle>, Arc<Notify>), DaemonError> {
    let link_err = |source| DaemonError::Link {
        link: link.name.clone(),
        source,
    };
    let (sim, listener, address) = if link.simulated {
        let (sim, listener) = start_sim(link, tweak).await?;
        let addr = sim.local_addr().to_string();
        (Some(sim), listener, addr)
    } else {
        (None, None, link.address.clone().unwrap_or_default())
    };
    let mut lc = dispatch::link_config(link, address);
    lc.on_write = Some(Arc::clone(journal) as Arc<dyn crate::link::WriteHook>);
    let started = match listener {
        Some(l) => LinkDriver::start_with_listener(lc, l, shutdown.child()).await,
        None => LinkDriver::start(lc, shutdown.child()).await,
    };
    let (handle, events) = match started {
        Ok(x) => x,
        Err(e) => {
            if let Some(s) = sim {
                s.shutdown().await;
            }
            return Err(link_err(e));
        }
    };
    tracing::info!(
        link = %link.name,
        protocol = link.protocol.name(),
        carrier = %link.carrier(),
        simulated = link.simulated,
        listener = ?handle.listener_addr(),
        "link started"
    );
    let wake = Arc::new(Notify::new());
    let runner = LinkRunner::start_with_journal(
        link.clone(),
        handle,
        events,
        store.clone(),
        Arc::clone(&wake),
        changes.clone(),
        Some(Arc::clone(journal)),
        shutdown.child(),
    );
    Ok((runner, sim, wake))
}

/// The settings of the in-process gateway behind `link`. It runs as long as the daemon,
/// so, like the standalone `hongyan simulate`, it keeps no record of each SUBMIT and no
/// duplicate key per message: either would grow with every message sent (about 630 bytes
/// each). Tests that read the records ask for them with [`record_submits`].
fn sim_config(link: &config::Link, protocol: SimProtocol) -> SimConfig {
    let secret = link.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    let mut sc = SimConfig::new(protocol).account(link.account.clone(), secret);
    sc.record_submits = false;
    sc.track_duplicates = false;
    sc
}

/// A [`SimTweak`] that makes the in-process simulators record every SUBMIT and count
/// duplicates, as [`SimConfig::new`] does by default — for tests and short trials that
/// read [`SimHandle::submits`] or the duplicate counters; memory grows with every message.
pub fn record_submits() -> SimTweak {
    Arc::new(|_, sc: &mut SimConfig| {
        sc.record_submits = true;
        sc.track_duplicates = true;
    })
}

/// An in-process gateway for a simulated link; for SGIP also the link's listener, bound
/// first so the simulator knows where to connect back.
async fn start_sim(
    link: &config::Link,
    tweak: Option<&SimTweak>,
) -> Result<(SimHandle, Option<TcpListener>), DaemonError> {
    let sim_err = |source| DaemonError::Sim {
        link: link.name.clone(),
        source,
    };
    let protocol = match link.protocol {
        LinkProtocol::Cmpp2 => SimProtocol::Cmpp2,
        LinkProtocol::Cmpp3 => SimProtocol::Cmpp3,
        LinkProtocol::Smgp => SimProtocol::Smgp,
        LinkProtocol::Sgip => SimProtocol::Sgip,
    };
    let mut sc = sim_config(link, protocol);
    let listener = if protocol == SimProtocol::Sgip {
        let l = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| sim_err(e.into()))?;
        let addr = l.local_addr().map_err(|e| sim_err(e.into()))?;
        sc.sgip_sp_listener = Some(addr);
        let name = link
            .gateway_login
            .clone()
            .unwrap_or_else(|| dispatch::SIM_GATEWAY_LOGIN.to_owned());
        let password = link.gateway_password.as_ref().map_or_else(
            || dispatch::SIM_GATEWAY_PASSWORD.to_owned(),
            |s| s.expose().to_owned(),
        );
        sc.sgip_sp_account = Some(Account::new(name, password));
        Some(l)
    } else {
        None
    };
    if let Some(t) = tweak {
        t(link, &mut sc);
    }
    let sim = Simulator::start(sc).await.map_err(sim_err)?;
    Ok((sim, listener))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_daemons_simulators_keep_nothing_per_message_unless_asked() {
        let config = Config::embedded_default().unwrap();
        for link in config.links.iter().filter(|l| l.simulated) {
            let mut sc = sim_config(link, SimProtocol::Cmpp3);
            assert!(!sc.record_submits, "{} records submits", link.name);
            assert!(!sc.track_duplicates, "{} keeps duplicate keys", link.name);
            record_submits()(link, &mut sc);
            assert!(sc.record_submits && sc.track_duplicates);
        }
    }
}
