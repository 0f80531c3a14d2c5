//! The data directory: one daemon per directory (the real binary, a second start refused
//! naming the directory and the holder's pid, a kill -9 leaving no obstacle), and its
//! files private to the daemon's user whatever the umask.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hongyan::daemon::Daemon;

use crate::daemon::{TempDir, demo_config};

const LIMIT: Duration = Duration::from_secs(30);

/// `hongyan run` on the embedded default with its data in `dir`; killed when dropped.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) seen: Vec<String>,
}

impl Running {
    pub(crate) fn start(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hongyan"))
            .args(["run", "--api-listen", "127.0.0.1:0"])
            .env("HONGYAN_DATA", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a log line containing `what`, or for standard error to close
    /// (the process ended); true if the line came.
    pub(crate) fn wait_for(&mut self, what: &str) -> bool {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(what);
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Waits (bounded) for the process to end; its status.
    fn exit(&mut self) -> std::process::ExitStatus {
        // Standard error closes when the process ends.
        let deadline = Instant::now() + LIMIT;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line);
        }
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit: {:#?}", self.seen);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn terminate(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        assert!(self.exit().success(), "{:#?}", self.seen);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_second_daemon_on_the_same_data_directory_is_refused_and_a_kill_9_leaves_no_obstacle() {
    let dir = TempDir::new("lock");
    let mut first = Running::start(&dir.0);
    assert!(first.wait_for("hongyan running"), "{:#?}", first.seen);

    let mut second = Running::start(&dir.0);
    let started = second.wait_for("hongyan running");
    assert!(!started, "a second daemon started: {:#?}", second.seen);
    let status = second.exit();
    assert!(!status.success(), "{status:?}");
    let err = second.seen.join("\n");
    assert!(err.contains(&dir.0.display().to_string()), "{err}");
    assert!(err.contains(&format!("pid {}", first.child.id())), "{err}");
    assert!(
        !err.contains("link started"),
        "it logged into a carrier: {err}"
    );

    // kill -9: no chance to clean up; the lock goes with the process.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let mut third = Running::start(&dir.0);
    assert!(third.wait_for("hongyan running"), "{:#?}", third.seen);
    third.terminate();
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
    config.storage.data_dir = base.0.join("data");
    let db = config.storage.data_dir.join(&config.storage.database);
    let daemon = Daemon::start(config).await.unwrap();
    assert_eq!(mode(&base.0.join("data")), 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    daemon.shutdown(LIMIT).await;
}
