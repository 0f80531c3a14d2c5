//! `hongyan run` as a child process, as an operator or systemd runs it: on the embedded
//! demo (or a config file) with its data in a test's directory and its API on
//! 127.0.0.1:0. Its standard error is read line by line on a thread; every wait on it is
//! bounded. Signals as systemd sends them (SIGTERM to stop, SIGHUP to reload). Killed when
//! dropped, so no daemon outlives its test.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Instant;

use hongyan::api::client::ApiClient;
use serde_json::Value;

use super::api::ApiCalls;
use super::bin::signal;
use super::{LIMIT, command, output_of, read_lines, wait_until_blocking};

/// How to start a [`Daemon`]: the embedded demo unless [`config`](Self::config) names a
/// file; text logs unless [`json_logs`](Self::json_logs).
#[derive(Debug, Clone)]
pub struct Launch {
    data: PathBuf,
    config: Option<PathBuf>,
    json: bool,
    envs: Vec<(String, OsString)>,
    token: Option<String>,
}

impl Launch {
    /// `hongyan run --config PATH` instead of the embedded demo.
    pub fn config(mut self, path: impl AsRef<Path>) -> Self {
        self.config = Some(path.as_ref().to_path_buf());
        self
    }

    /// `--log-format json`.
    pub fn json_logs(mut self) -> Self {
        self.json = true;
        self
    }

    /// An environment variable for the daemon (a secret a config file names, systemd's
    /// `CREDENTIALS_DIRECTORY`).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.envs.push((key.into(), value.as_ref().to_owned()));
        self
    }

    /// The API token of [`ApiCalls`] (default: the embedded demo's).
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Starts it and returns at once: for a daemon expected to refuse to start.
    pub fn spawn(self) -> Daemon {
        let mut child = self.command().spawn().expect("start hongyan run");
        let lines = read_lines(child.stderr.take().expect("a piped stderr"));
        Daemon {
            child,
            lines,
            seen: Vec::new(),
            api: None,
            token: self
                .token
                .unwrap_or_else(|| hongyan::config::DEMO_API_TOKEN.into()),
            client: OnceLock::new(),
            exited: None,
        }
    }

    /// The command line and environment of `hongyan run`, its log on a pipe.
    fn command(&self) -> Command {
        let mut cmd = command();
        cmd.arg("run");
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        if self.json {
            cmd.args(["--log-format", "json"]);
        }
        // A test run under systemd must not lend the daemon its own credentials: only
        // those the test gives with `env`.
        cmd.args(["--api-listen", "127.0.0.1:0"])
            .env("HONGYAN_DATA", &self.data)
            .env_remove("CREDENTIALS_DIRECTORY")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Starts it and waits (bounded) until its API listens.
    pub fn start(self) -> Daemon {
        let mut d = self.spawn();
        d.wait_ready();
        d
    }
}

/// `hongyan run` as a child process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Daemon {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line of its standard error read so far.
    pub seen: Vec<String>,
    api: Option<String>,
    token: String,
    client: OnceLock<ApiClient>,
    exited: Option<ExitStatus>,
}

impl Daemon {
    /// How to start one with its data in `data` (see [`Launch`]).
    pub fn launch(data: impl AsRef<Path>) -> Launch {
        Launch {
            data: data.as_ref().to_path_buf(),
            config: None,
            json: false,
            envs: Vec::new(),
            token: None,
        }
    }

    /// The embedded demo with its data in `data`, started, its API listening.
    pub fn start(data: impl AsRef<Path>) -> Self {
        Self::launch(data).start()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for a log line containing `what`, or for standard error to close
    /// (the process ended); true if the line came. The lines read are in
    /// [`seen`](Self::seen).
    pub fn wait_for_log(&mut self, what: &str) -> bool {
        self.next_line_where(|l| l.contains(what)).is_some()
    }

    /// Waits (bounded) for a JSON log line (`--log-format json`, see
    /// [`Launch::json_logs`]) that `pred` accepts; that line. Panics naming `what`, with
    /// the lines read, when standard error closes or [`LIMIT`] passes first.
    pub fn wait_for_json(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let line =
            self.next_line_where(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| pred(&v)));
        let Some(line) = line else {
            panic!("no log line with {what} within {LIMIT:?}: {:#?}", self.seen)
        };
        serde_json::from_str(&line).expect("a line already read as JSON")
    }

    /// Waits (bounded) until the API listens, and learns its address.
    pub fn wait_ready(&mut self) {
        if self.api.is_some() {
            return;
        }
        let Some(line) = self.next_line_where(|l| l.contains("API listening")) else {
            panic!(
                "the daemon never said where its API listens: {:#?}",
                self.seen
            )
        };
        let addr = api_addr(&line).unwrap_or_else(|| panic!("no address in {line:?}"));
        self.api = Some(format!("http://{addr}"));
    }

    /// The next line for which `pred` holds, reading (and keeping) those before it; `None`
    /// when standard error closes or [`LIMIT`] passes first.
    fn next_line_where(&mut self, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            self.seen.push(line.clone());
            if pred(&line) {
                return Some(line);
            }
        }
    }

    /// The password of the console's `admin` that the first start logs once ("console:
    /// log in as admin with …"), from the lines read so far or the next ones (bounded).
    pub fn console_password(&mut self) -> String {
        const SAID: &str = "console: log in as admin with ";
        let line = match self.seen.iter().find(|l| l.contains(SAID)) {
            Some(l) => l.clone(),
            None => self
                .next_line_where(|l| l.contains(SAID))
                .unwrap_or_else(|| {
                    panic!("no first-start admin password logged: {:#?}", self.seen)
                }),
        };
        let at = line.find(SAID).map(|i| i + SAID.len()).unwrap_or_default();
        line[at..]
            .split(|c: char| c.is_whitespace() || c == '"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The API's base URL, `http://127.0.0.1:PORT`.
    pub fn api_url(&self) -> &str {
        self.api
            .as_deref()
            .expect("the daemon's API address is known once it is ready")
    }

    /// Runs `hongyan --api URL --json ARGS` (no token from the environment); (success,
    /// the JSON of its standard output).
    pub fn cli(&self, args: &[&str]) -> (bool, Value) {
        let out = self.cli_output(&["--json"], args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "{args:?}: not JSON: {stdout} / {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.success(), v)
    }

    /// [`cli`](Self::cli) that must succeed; its JSON.
    pub fn cli_ok(&self, args: &[&str]) -> Value {
        let (ok, v) = self.cli(args);
        assert!(ok, "{args:?}: {v}");
        v
    }

    /// Runs `hongyan --api URL ARGS`, for people (no `--json`).
    pub fn cli_human(&self, args: &[&str]) -> Output {
        self.cli_output(&[], args)
    }

    fn cli_output(&self, flags: &[&str], args: &[&str]) -> Output {
        let mut cmd = command();
        cmd.args(["--api", self.api_url()])
            .args(flags)
            .args(args)
            .env_remove("HONGYAN_TOKEN");
        output_of(&mut cmd, None)
    }

    /// Waits (bounded) for the process to end, reading its standard error to the end;
    /// its exit status.
    pub fn exit(&mut self) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        // Standard error closes when the process ends: read (and keep) the rest.
        let _ = self.next_line_where(|_| false);
        let child = &mut self.child;
        let status = wait_until_blocking("the daemon's exit", LIMIT, || {
            child.try_wait().expect("the daemon's status")
        });
        self.exited = Some(status);
        status
    }

    /// SIGTERM, as systemd stops it: it must drain and exit 0 within [`LIMIT`].
    pub fn stop(&mut self) {
        assert!(signal(self.pid(), "TERM"), "kill -TERM {}", self.pid());
        let status = self.exit();
        assert!(
            status.success(),
            "{status:?} after SIGTERM: {:#?}",
            self.seen
        );
    }

    /// SIGHUP, as `systemctl reload` sends it: the daemon reads its config file again.
    /// Returns at once; wait for its log line ([`wait_for_json`](Self::wait_for_json)).
    pub fn reload(&self) {
        assert!(signal(self.pid(), "HUP"), "kill -HUP {}", self.pid());
    }

    /// SIGKILL: no chance to clean up. Waits for the process to be gone.
    pub fn kill(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            self.exited = self.child.wait().ok();
        }
    }
}

impl ApiCalls for Daemon {
    fn api_client(&self) -> &ApiClient {
        self.client
            .get_or_init(|| ApiClient::new(self.api_url(), Some(self.token.clone())))
    }

    fn base_url(&self) -> &str {
        self.api_url()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The address of an "API listening" line, in either log format.
fn api_addr(line: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return v["addr"].as_str().map(str::to_owned);
    }
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("addr="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::{Daemon, api_addr};

    /// What `cmd` sets `key` to: `Some(None)` when it removes it, `None` when it leaves
    /// the test's own.
    fn env_of<'a>(cmd: &'a std::process::Command, key: &str) -> Option<Option<&'a OsStr>> {
        cmd.get_envs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    #[test]
    fn a_daemon_gets_the_credentials_a_test_gives_and_never_the_tests_own() {
        let bare = Daemon::launch("data").command();
        assert_eq!(env_of(&bare, "CREDENTIALS_DIRECTORY"), Some(None));
        let given = Daemon::launch("data")
            .env("CREDENTIALS_DIRECTORY", "creds")
            .command();
        assert_eq!(
            env_of(&given, "CREDENTIALS_DIRECTORY"),
            Some(Some(OsStr::new("creds")))
        );
    }

    #[test]
    fn the_api_address_is_read_from_either_log_format() {
        let json = r#"{"timestamp":"2026-12-07T09:08:24.574+08:00","level":"INFO","message":"API listening","addr":"127.0.0.1:40123","target":"hongyan::api"}"#;
        assert_eq!(api_addr(json).as_deref(), Some("127.0.0.1:40123"));
        let text =
            "2026-12-07T09:08:24.574+08:00  INFO hongyan::api: API listening addr=127.0.0.1:40123";
        assert_eq!(api_addr(text).as_deref(), Some("127.0.0.1:40123"));
        assert_eq!(api_addr("API listening"), None);
    }
}
