//! `systemctl reload hongyan` as systemd sends it: `hongyan run --config FILE` as a child
//! process on 127.0.0.1:0, the file and the portability CSV it names changed, then
//! SIGHUP. A ported number goes to its new carrier's link from the next send on, an
//! `[alerts]` change is applied (not named as needing a restart), and a portability file
//! with a bad row changes nothing. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use hongyan::config::EMBEDDED_DEFAULT_TOML;
use serde_json::Value;

use crate::support::{Daemon, LIMIT, TempDir, wait_until_blocking};

/// A China Mobile number by its prefix, ported to China Telecom by the test.
const PORTED: &str = "13900139000";

/// The embedded demo (three simulated carriers, its API token) with `ported` as its
/// portability file, and `extra` added at the end.
fn config_text(ported: &Path, extra: &str) -> String {
    let fallback = "[routing.fallback]\nbroadnet = \"mobile\"\n";
    assert!(EMBEDDED_DEFAULT_TOML.contains(fallback));
    let routing = format!(
        "[routing]\nportability_file = {:?}\n\n{fallback}",
        ported.display().to_string()
    );
    format!(
        "{}\n# The test machine's free space decides nothing.\n[alerts]\ndisk_free_percent = 0\n\
         disk_free_mib = 0\n{extra}",
        EMBEDDED_DEFAULT_TOML.replace(fallback, &routing)
    )
}

/// The next log line (JSON) whose message is `message`.
fn logged(d: &mut Daemon, message: &str) -> Value {
    d.wait_for_json(&format!("the message {message:?}"), |v| {
        v["fields"]["message"] == message || v["message"] == message
    })
}

/// Sends one message to `number`; the carrier it was queued for and the link that sent
/// it, once it has gone.
fn send(d: &Daemon, number: &str) -> (String, String) {
    let sent = d.cli_ok(&["send", "--to", number, "您的快递已到"]);
    assert_eq!(sent["accepted"], 1, "{sent}");
    let job = sent["job_id"].to_string();
    wait_until_blocking("the message sent through a link", LIMIT, || {
        let st = d.cli_ok(&["status", &job]);
        let r = &st["recipients"][0];
        let link = r["segments"][0]["link"].as_str()?;
        Some((r["carrier"].as_str()?.to_owned(), link.to_owned()))
    })
}

#[test]
fn sighup_moves_a_ported_number_to_its_new_carrier_and_applies_alert_settings() {
    let dir = TempDir::new("reload");
    let ported = dir.write("ported.csv", "number,carrier\n");
    let cfg = dir.write("hongyan.toml", &config_text(&ported, ""));
    let mut d = Daemon::launch(&dir).config(&cfg).json_logs().start();
    assert_eq!(send(&d, PORTED), ("mobile".into(), "mobile-demo".into()));

    // Ported to China Telecom; an alert threshold and a key that needs a restart change
    // in the same reload.
    dir.write("ported.csv", &format!("number,carrier\n{PORTED},telecom\n"));
    dir.write(
        "hongyan.toml",
        &config_text(
            &ported,
            "queue_age = \"20m\"\n[queue]\ndefault_validity = \"24h\"\n",
        ),
    );
    d.reload();
    let reloaded = logged(&mut d, "config reloaded");
    let keys = reloaded["keys"].as_str().unwrap();
    assert!(keys.contains("routing.portability_file"), "{reloaded}");
    assert!(keys.contains("alerts.queue_age"), "{reloaded}");
    let restart = logged(
        &mut d,
        "changed in the config file but take effect only after a restart",
    );
    assert_eq!(restart["keys"], "queue.default_validity", "{restart}");
    assert_eq!(send(&d, PORTED), ("telecom".into(), "telecom-demo".into()));

    // A portability file with a bad row changes nothing, and says where.
    dir.write(
        "ported.csv",
        &format!("number,carrier\n{PORTED},mobile\n13800138000,nowhere\n"),
    );
    d.reload();
    let refused = logged(
        &mut d,
        "config reload not applied to this part; its settings in effect stay",
    );
    assert_eq!(refused["key"], "routing.portability_file", "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("line 3"),
        "{refused}"
    );
    assert_eq!(send(&d, PORTED), ("telecom".into(), "telecom-demo".into()));
    d.stop();
}
