//! Headless Chromium through chromedriver, both local programs: found on the PATH (or
//! named by `HONGYAN_CHROMIUM` / `HONGYAN_CHROMEDRIVER`), chromedriver on a free port of
//! 127.0.0.1, the browser on a fresh temporary profile with everything that would talk
//! to another host switched off. A machine without them fails the test loudly, saying
//! how to install them: a browser test that silently passes would prove nothing.
//!
//! One browser at a time per test process ([`Chrome::start`] holds a permit until
//! dropped): the suite runs beside the other integration tests on two cores, and two
//! Chromiums at once buy no wall time there.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::webdriver::Session;
use crate::support::{TempDir, read_lines};

/// How long chromedriver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(20);

/// The permit of the one browser running at a time.
static ONE_BROWSER: Semaphore = Semaphore::const_new(1);

/// What to tell a developer whose machine lacks the browser.
const INSTALL: &str = "the browser tests drive a real headless Chromium: install it and \
its driver (Debian/Ubuntu: `sudo apt-get install -y chromium chromium-driver`), or name \
them with HONGYAN_CHROMIUM=/path/to/chromium and HONGYAN_CHROMEDRIVER=/path/to/chromedriver";

/// A running chromedriver with one browser session; both end when dropped.
pub struct Chrome {
    pub session: Session,
    driver: Child,
    _profile: TempDir,
    _permit: SemaphorePermit<'static>,
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium (window 1280 × 900).
    pub async fn start() -> Self {
        let permit = ONE_BROWSER
            .acquire()
            .await
            .expect("the permit is never closed");
        let chromium = program(
            "HONGYAN_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let chromedriver = program("HONGYAN_CHROMEDRIVER", &["chromedriver"]);
        let profile = TempDir::new("chromium-profile");
        let (driver, url) = start_driver(&chromedriver);
        let session = Session::new(&url, capabilities(&chromium, profile.path())).await;
        Self {
            session,
            driver,
            _profile: profile,
            _permit: permit,
        }
    }

    /// Closes the browser, then stops chromedriver.
    pub async fn quit(mut self) {
        self.session.quit().await;
        kill_group(&mut self.driver);
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // A test that failed never reached `quit`, and a browser outlives a killed
        // chromedriver: end the whole process group chromedriver leads (it and the
        // browser it started, nothing else).
        kill_group(&mut self.driver);
    }
}

/// SIGKILL to the process group `child` leads (see [`start_driver`]), then reaps it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// The program named by the environment variable `var`, else the first of `names` on
/// the PATH; panics with how to install it when there is none.
fn program(var: &str, names: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{var}={} is not a file; {INSTALL}",
            path.display()
        );
        return path;
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |d| d.join(name)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no {} on the PATH: {INSTALL}", names.join(" or ")))
}

/// Starts chromedriver on a free port of 127.0.0.1; it and its base URL. chromedriver
/// cannot listen on port 0, so a port is found free by binding it and letting it go; if
/// another process takes it in between, chromedriver fails to start and another port is
/// tried.
fn start_driver(chromedriver: &Path) -> (Child, String) {
    let mut last = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        // Its own process group, which the browser it starts joins: dropping [`Chrome`]
        // ends them together.
        let mut child = Command::new(chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", chromedriver.display()));
        let stdout = read_lines(child.stdout.take().expect("a piped stdout"));
        let stderr = read_lines(child.stderr.take().expect("a piped stderr"));
        // "ChromeDriver was started successfully on port N." once it listens; standard
        // output closes if it exits instead (the port was taken).
        let deadline = std::time::Instant::now() + DRIVER_START;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match stdout.recv_timeout(left) {
                Ok(line) if line.contains("started successfully") => {
                    return (child, format!("http://127.0.0.1:{port}"));
                }
                Ok(line) => last = line,
                Err(_) => break,
            }
        }
        kill_group(&mut child);
        last = format!("{last} {}", stderr.try_iter().collect::<Vec<_>>().join(" "));
    }
    panic!("chromedriver did not start on 127.0.0.1 (tried 5 ports): {last}")
}

/// The session's capabilities: headless, a fresh profile, a desktop-sized window, and
/// every background service that would reach another host turned off.
fn capabilities(chromium: &Path, profile: &Path) -> Value {
    let args = [
        "--headless=new".to_owned(),
        // Root in CI and containers: Chromium's sandbox refuses to run as root.
        "--no-sandbox".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-gpu".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,900".to_owned(),
        "--lang=zh-CN".to_owned(),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-default-apps".to_owned(),
        "--disable-domain-reliability".to_owned(),
        "--disable-client-side-phishing-detection".to_owned(),
        "--disable-breakpad".to_owned(),
        "--no-pings".to_owned(),
        "--password-store=basic".to_owned(),
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"
            .to_owned(),
    ];
    json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 30_000 },
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": args,
        },
    })
}
