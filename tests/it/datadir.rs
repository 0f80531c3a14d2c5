//! The data directory: one daemon per directory (the real binary, a second start refused
//! naming the directory and the holder's pid, a kill -9 leaving no obstacle), and its
//! files private to the daemon's user whatever the umask.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{Daemon, LIMIT, TempDir, demo_config};

#[test]
fn a_second_daemon_on_the_same_data_directory_is_refused_and_a_kill_9_leaves_no_obstacle() {
    let dir = TempDir::new("lock");
    let mut first = Daemon::start(&dir);
    assert!(
        first.seen.iter().any(|l| l.contains("hongyan running")),
        "{:#?}",
        first.seen
    );

    let mut second = Daemon::launch(&dir).spawn();
    let started = second.wait_for_log("hongyan running");
    assert!(!started, "a second daemon started: {:#?}", second.seen);
    let status = second.exit();
    assert!(!status.success(), "{status:?}");
    let err = second.seen.join("\n");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(err.contains(&format!("pid {}", first.pid())), "{err}");
    assert!(
        !err.contains("link started"),
        "it logged into a carrier: {err}"
    );

    // kill -9: no chance to clean up; the lock goes with the process.
    first.kill();
    let mut third = Daemon::start(&dir);
    assert!(
        third.seen.iter().any(|l| l.contains("hongyan running")),
        "{:#?}",
        third.seen
    );
    third.stop();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_the_database_files_are_private_to_the_owner() {
    let base = TempDir::new("modes");
    let mut config = demo_config(&base);
    // Not there yet: the daemon creates it.
    config.storage.data_dir = base.join("data");
    let db = config.storage.data_dir.join(&config.storage.database);
    let daemon = hongyan::daemon::Daemon::start(config).await.unwrap();
    assert_eq!(mode(&base.join("data")), 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    daemon.shutdown(LIMIT).await;
}
