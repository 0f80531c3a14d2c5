//! The daemon in this process with simulated carriers that record every submit they
//! receive, and what a test reads back from them: the texts a number was sent, decoded
//! as the handset shows them.

use hongyan::config::Config;
use hongyan::daemon::{Daemon, DaemonHandle, record_submits};
use hongyan::sim::SimHandle;
use wire::coding::{Coding, decode_text};

/// Starts the daemon on `config` with each simulator recording its submits (see
/// [`SimHandle::submits`]).
pub async fn start_recording(config: Config) -> DaemonHandle {
    Daemon::start_with(config, Some(record_submits()))
        .await
        .expect("the daemon starts")
}

/// The texts `sim` received for `number` (any prefix before it, such as `86`), one per
/// submit in the order they came; a part of a long message is its own text.
pub fn texts_to(sim: &SimHandle, number: &str) -> Vec<String> {
    sim.submits()
        .iter()
        .filter(|s| s.recipients.iter().any(|r| r.ends_with(number)))
        .map(|s| {
            decode_text(Coding::from_u8(s.coding), &s.content)
                .unwrap_or_else(|| panic!("a submit to {number} whose text does not decode: {s:?}"))
        })
        .collect()
}
