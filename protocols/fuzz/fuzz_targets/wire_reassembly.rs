//! Fuzz the MO reassembler: arbitrary parts (few senders and references so sets
//! collide, any TP_udhi, any coding, any content) at arbitrary times must never
//! panic, never hold more sets than the cap, and leave nothing behind once time
//! has passed. Every message accounts for each of its parts as received or missing.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use wire::reassembly::{MoPart, ReassemblyConfig, Reassembler};

const CAP: usize = 4;

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new(ReassemblyConfig { timeout: Duration::from_secs(60), max_pending: CAP });
    let mut now = Instant::now();
    let mut out = Vec::new();
    // Each record: [sender, coding, tp_udhi, advance seconds, len] then `len` bytes.
    let mut rest = data;
    while let [sender, coding, tp_udhi, advance, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (content, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_secs(u64::from(*advance % 90));
        out.extend(r.expire(now));
        let part = MoPart {
            sender: format!("1380013800{}", sender % 3),
            destination: "106901238866".to_owned(),
            coding: *coding,
            tp_udhi: *tp_udhi,
            content: content.to_vec(),
        };
        out.extend(r.push(part, now));
        assert!(r.pending() <= CAP);
    }
    out.extend(r.expire(now + Duration::from_secs(3600)));
    assert_eq!(r.pending(), 0);
    assert_eq!(r.next_deadline(), None);
    for m in out {
        let mut all: Vec<u8> = m.received.iter().chain(&m.missing).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (1..=m.total).collect::<Vec<_>>());
    }
});
