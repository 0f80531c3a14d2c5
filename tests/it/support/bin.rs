//! The `hongyan` binary for one-shot commands (`decode`, `segments`, `check-config`, the
//! CLI's client commands, `demo`): run with their output captured, each bounded in time
//! (a command that hangs is killed and named).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use super::LIMIT;

/// The binary under test, not yet started.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hongyan"))
}

/// Runs `hongyan ARGS` with `stdin` (or nothing) as its standard input; its output,
/// within [`LIMIT`].
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = command();
    cmd.args(args);
    output_of(&mut cmd, stdin)
}

/// Runs `cmd` (its standard output and error captured) with `stdin` as its standard
/// input; its output, within [`LIMIT`].
pub fn output_of(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let input = stdin.unwrap_or_default().to_owned();
    let mut pipe = child.stdin.take().expect("a piped stdin");
    // Written on a thread: a command that does not read its input must not block us.
    std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    bounded(child, &what)
}

/// Its standard output as text, after checking the command succeeded (else the test fails
/// with its standard error).
pub fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd` with its standard output a pipe whose reader is already closed, so its
/// first write fails with EPIPE, whatever the timing; its output (standard error only),
/// within [`LIMIT`].
pub fn into_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let what = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    bounded(child, &what)
}

/// Waits for `child` to end and collects its output, within [`LIMIT`] — else it is
/// killed and the test fails naming it.
fn bounded(child: Child, what: &str) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(out) => out.unwrap_or_else(|e| panic!("{what}: {e}")),
        Err(_) => {
            signal(pid, "KILL");
            panic!("{what} did not end within {LIMIT:?}: killed");
        }
    }
}

/// Reads `r` line by line on a thread; each line comes on the channel, which closes at
/// the end of `r` (for a child's standard error: when the child ends).
pub fn read_lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Sends `SIG<name>` (`TERM`, `HUP`, `KILL`) to the process `pid`; whether it was sent.
pub(super) fn signal(pid: u32, name: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}
