//! The console under test: `hongyan run` (embedded demo, its data in a fresh directory,
//! listening on 127.0.0.1:0) and a browser pointed at it, with the steps every console
//! test takes — log in as the first-start admin (its password read from the daemon's
//! log, as an operator reads it), add accounts with `hongyan user add` on the data
//! directory, and screenshots of each step at desktop and phone width.

use std::path::PathBuf;

use serde_json::json;

use super::chrome::Chrome;
use super::webdriver::Session;
use crate::support::{Daemon, TempDir, command, output_of};

/// The widths every step is photographed at: a desktop and a phone.
const WIDTHS: [u32; 2] = [1280, 375];
/// The tallest screenshot taken (a long page is cut there).
const MAX_HEIGHT: u64 = 4000;

/// A running daemon and a browser on its console.
pub struct Console {
    pub daemon: Daemon,
    chrome: Option<Chrome>,
    dir: TempDir,
    name: String,
    /// The password of `admin`, from the daemon's first-start log line.
    pub admin_password: String,
    shot: u32,
}

impl Console {
    /// Starts the daemon on a fresh data directory and a browser, for the test `name`
    /// (which names its screenshots' folder).
    pub async fn start(name: &str) -> Self {
        let dir = TempDir::new(name);
        let mut daemon = Daemon::start(&dir);
        let admin_password = admin_password(&mut daemon);
        let chrome = Chrome::start().await;
        Self {
            daemon,
            chrome: Some(chrome),
            dir,
            name: name.to_owned(),
            admin_password,
            shot: 0,
        }
    }

    /// The test's directory (the daemon's data is in it; files to upload go there).
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }

    /// The browser.
    pub fn b(&self) -> &Session {
        &self
            .chrome
            .as_ref()
            .expect("the browser runs until stop")
            .session
    }

    /// The console's URL of `path` (`/compose`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.daemon.api_url())
    }

    /// Opens the console's page `path`.
    pub async fn open(&self, path: &str) {
        self.b().goto(&self.url(path)).await;
    }

    /// Adds the account `name` with `role` (and the approver's `phone`) to the data
    /// directory, as an operator does: `hongyan user add NAME --role ROLE
    /// --password-stdin [--phone N]`; its password.
    pub fn add_user(&self, name: &str, role: &str, phone: Option<&str>) -> String {
        let password = format!("{name}-pass-7Hq2x9");
        let mut cmd = command();
        cmd.args(["user", "add", name, "--role", role, "--password-stdin"])
            .env("HONGYAN_DATA", self.dir.path());
        if let Some(phone) = phone {
            cmd.args(["--phone", phone]);
        }
        let out = output_of(&mut cmd, Some(&format!("{password}\n")));
        assert!(
            out.status.success(),
            "hongyan user add {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        password
    }

    /// Logs in on the login page as `username` with `password`, and waits for the
    /// page the login leads to.
    pub async fn login(&self, username: &str, password: &str) {
        let b = self.b();
        self.open("/login").await;
        b.fill("#username", username).await;
        b.fill("#password", password).await;
        b.click("#login-submit").await;
        b.wait_url("the page after logging in", |u| !u.contains("/login"))
            .await;
    }

    /// Logs in as the first-start `admin`.
    pub async fn login_admin(&self) {
        let password = self.admin_password.clone();
        self.login("admin", &password).await;
    }

    /// Logs out with the layout's logout button, and waits for the login page.
    pub async fn logout(&self) {
        let b = self.b();
        b.click("#logout").await;
        b.wait_url("the login page after logging out", |u| u.contains("/login"))
            .await;
    }

    /// Screenshots of the page as it is now, at 1280 and 375 px wide (as tall as the
    /// page, up to [`MAX_HEIGHT`]), named after the test's `step`, under
    /// `target/browser-screenshots/TEST/`. At each width it checks what a person would
    /// see there: at 375 px nothing wider than the screen (no sideways scrolling of the
    /// page), and no Content-Security-Policy violation in the browser's log (an inline
    /// script or style the page relies on would be one).
    pub async fn shots(&mut self, step: &str) {
        self.shot += 1;
        let dir = screenshot_dir().join(&self.name);
        let b = self.b();
        for width in WIDTHS {
            b.resize(width, 900).await;
            let height = b
                .execute("return document.documentElement.scrollHeight;", json!([]))
                .await
                .as_u64()
                .unwrap_or(900)
                .clamp(400, MAX_HEIGHT);
            b.resize(width, u32::try_from(height).unwrap_or(900)).await;
            let path = dir.join(format!("{:02}-{step}-{width}.png", self.shot));
            b.screenshot(&path).await;
            let overflow = b
                .execute(
                    "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
                    json!([]),
                )
                .await
                .as_i64()
                .unwrap_or(0);
            assert!(
                overflow <= 1,
                "{step} at {width} px: the page is {overflow} px wider than the window \
                 (a phone would scroll sideways); see {}",
                path.display()
            );
        }
        b.resize(1280, 900).await;
        let csp: Vec<String> = b
            .console_log()
            .await
            .into_iter()
            .filter(|l| l.contains("Content Security Policy"))
            .collect();
        assert!(csp.is_empty(), "{step}: the page broke its CSP: {csp:#?}");
    }

    /// Closes the browser and stops the daemon (SIGTERM: it must exit cleanly).
    pub async fn stop(mut self) {
        if let Some(chrome) = self.chrome.take() {
            chrome.quit().await;
        }
        self.daemon.stop();
    }
}

/// The admin password the daemon logs once at first start ("console: log in as admin
/// with PASSWORD").
fn admin_password(daemon: &mut Daemon) -> String {
    const LINE: &str = "console: log in as admin with";
    let known = daemon.seen.iter().any(|l| l.contains(LINE));
    assert!(
        known || daemon.wait_for_log(LINE),
        "the daemon never logged the first-start admin password: {:#?}",
        daemon.seen
    );
    let line = daemon
        .seen
        .iter()
        .find(|l| l.contains(LINE))
        .expect("the line just seen");
    let rest = &line[line.find(LINE).expect("the line contains it") + LINE.len()..];
    rest.split_whitespace()
        .next()
        .map(|w| w.trim_matches(|c: char| "\"'`,;".contains(c)).to_owned())
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| panic!("no password in {line:?}"))
}

/// `target/browser-screenshots`: beside the binary under test's profile directory.
fn screenshot_dir() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_hongyan"));
    bin.parent()
        .and_then(|profile| profile.parent())
        .map(|target| target.join("browser-screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/browser-screenshots"))
}
