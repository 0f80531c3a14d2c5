//! What the binary writes, for whoever reads it: a reader that closes early (`| head`)
//! ends a command quietly and successfully, as with Unix tools, and log lines off a
//! terminal carry no colour codes and say their time zone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{Daemon, TempDir, command, into_closed_pipe};

#[test]
fn commands_whose_reader_went_away_end_quietly() {
    let long = "长".repeat(400);
    let pdu = "0000000c0000000800000007";
    let runs: [&[&str]; 4] = [
        &["decode", "-p", "cmpp3", pdu],
        &["segments", &long],
        &["segments", "--hex", "-p", "cmpp3", &long],
        &["demo", "--log-level", "error"],
    ];
    for args in runs {
        let out = into_closed_pipe(command().args(args).env_remove("HONGYAN_DATA"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn log_lines_off_a_terminal_have_no_colour_and_carry_china_time() {
    let dir = TempDir::new("log-lines");
    let mut d = Daemon::start(&dir);
    d.stop();
    for line in &d.seen {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
    }
    // e.g. `2026-12-07T09:08:24.574+08:00  WARN hongyan: …`
    let stamp = d.seen[0].split_whitespace().next().unwrap();
    assert!(stamp.ends_with("+08:00"), "{stamp:?} in {:?}", d.seen[0]);
    assert!(stamp.contains('T'), "{stamp:?}");
}
