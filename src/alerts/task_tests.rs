//! The evaluator against a real store and intake, no links: a message waits in the
//! queue, the evaluator's clock runs ten minutes ahead of the store's so the message
//! looks that old, and a reload changes `alerts.queue_age` under an alert that fires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use super::*;
use crate::config::Config;
use crate::dispatch::Changes;
use crate::route::{Carrier, Router};
use crate::store::StoreOptions;
use crate::store::testutil::TempDb;

/// How old the queued message looks to the evaluator.
const AGE: Duration = Duration::from_secs(600);

/// `queue_age` 1m, resolved after two clear evaluations with no hold in time, the disk
/// rule off (the test machine's free space decides nothing).
fn settings(queue_age: Duration) -> config::Alerts {
    config::Alerts {
        queue_age,
        resolve_after_evaluations: 2,
        resolve_after: Duration::ZERO,
        disk_free_percent: 0,
        disk_free_mib: 0,
        ..config::Alerts::default()
    }
}

struct Rig {
    _db: TempDb,
    inputs: Inputs,
}

/// A store holding one queued message for a China Mobile number, and the inputs of an
/// evaluator over it.
async fn rig(name: &str, alerts: config::Alerts) -> Rig {
    let db = TempDb::new(name);
    let store = StoreHandle::open(db.path(), StoreOptions::default()).unwrap();
    let mut router = Router::default();
    router.add_link(Carrier::Mobile);
    let config = Config::embedded_default().unwrap();
    let submitter = Submitter::new(
        &config,
        router,
        store.clone(),
        HashMap::new(),
        Changes::default(),
    );
    let out = submitter
        .send(SendRequest::new(vec!["13900139000".into()], "您的快递已到"))
        .await
        .unwrap();
    assert_eq!(out.accepted(), 1);
    let ahead = i64::try_from(AGE.as_millis()).unwrap();
    Rig {
        _db: db,
        inputs: Inputs {
            config: alerts,
            store,
            submitter,
            monitors: Vec::new(),
            data_dir: std::env::temp_dir(),
            clock: Clock::Tokio {
                base_ms: crate::store::now_millis() + ahead,
                base: Instant::now(),
            },
        },
    }
}

/// `(alert, state)` of every notice recorded, oldest first.
async fn notices(store: &StoreHandle) -> Vec<(String, String)> {
    let mut all = store.alerts_recent(100).await.unwrap();
    all.sort_by_key(|e| e.id);
    all.into_iter()
        .map(|e| (e.event.alert, e.event.state))
        .collect()
}

fn notice(state: &str) -> (String, String) {
    ("queue_stuck".into(), state.into())
}

#[tokio::test]
async fn a_firing_alert_survives_new_thresholds_and_resolves_once_they_clear_it() {
    let rig = rig("alerts-retune", settings(Duration::from_secs(60))).await;
    let store = rig.inputs.store.clone();
    let handle = AlertsHandle::default();
    let mut ev = Evaluator::new(rig.inputs, handle.clone());
    ev.evaluate().await;
    assert!(handle.is_firing(AlertKind::QueueStuck));
    let since = handle.firing()[0].since;
    assert_eq!(notices(&store).await, [notice("firing")]);

    // A threshold the message still passes: it keeps firing, since the same moment, and
    // nobody is told again because a number in the config changed.
    assert_eq!(ev.retune(settings(Duration::from_secs(300))), None);
    for _ in 0..3 {
        ev.evaluate().await;
    }
    assert!(handle.is_firing(AlertKind::QueueStuck));
    assert_eq!(handle.firing()[0].since, since);
    assert_eq!(notices(&store).await, [notice("firing")]);

    // A threshold it no longer passes: clear, and resolved after the usual hold of two
    // clear evaluations, not at once.
    ev.retune(settings(Duration::from_secs(3600)));
    ev.evaluate().await;
    assert!(
        handle.is_firing(AlertKind::QueueStuck),
        "resolved without the hold"
    );
    ev.evaluate().await;
    assert!(!handle.is_firing(AlertKind::QueueStuck));
    assert_eq!(
        notices(&store).await,
        [notice("firing"), notice("resolved")]
    );
}

#[tokio::test(start_paused = true)]
async fn the_running_evaluator_takes_a_reload_and_a_new_period() {
    let mut alerts = settings(Duration::from_secs(60));
    alerts.evaluate_every = Duration::from_secs(1);
    let rig = rig("alerts-reload-task", alerts.clone()).await;
    let shutdown = Shutdown::new();
    let (handle, reload, task) = start(rig.inputs.clone(), shutdown.child());
    let within = |what: &'static str, f: Box<dyn Fn() -> bool>| async move {
        tokio::time::timeout(Duration::from_secs(3600), async {
            while !f() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{what}"));
    };
    let h = handle.clone();
    within(
        "queue_stuck firing",
        Box::new(move || h.is_firing(AlertKind::QueueStuck)),
    )
    .await;
    let mut new = Config::embedded_default().unwrap();
    new.alerts = config::Alerts {
        evaluate_every: Duration::from_secs(2),
        ..settings(Duration::from_secs(3600))
    };
    crate::daemon::reload::ConfigReload::reload(&reload, &new).unwrap();
    let h = handle.clone();
    within(
        "queue_stuck resolved under the reloaded threshold",
        Box::new(move || !h.is_firing(AlertKind::QueueStuck)),
    )
    .await;
    let states = notices(&rig.inputs.store).await;
    assert_eq!(states, [notice("firing"), notice("resolved")]);
    shutdown.trigger();
    task.await.unwrap();
}
