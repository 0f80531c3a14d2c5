//! Durable end-to-end throughput of the store: one-segment messages enqueued by many
//! concurrent callers while a dispatcher claims, submits and reports them, everything
//! committed to SQLite through one `StoreHandle` (one writer thread, batched transactions).
//!
//! ```text
//! cargo bench -p hongyan --bench store
//! HONGYAN_STORE_BENCH_MSGS=500000 cargo bench -p hongyan --bench store
//! ```
//!
//! After the `Normal` run it also purges the file it left (retention with every message
//! old): segments deleted per second and the longest single pass.
//!
//! Needs `[[bench]] name = "store" harness = false` in the root Cargo.toml. Prints
//! messages per second and CPU per message (writer thread and whole process): on a shared
//! machine the wall-clock rate moves with the neighbours' load, the CPU figures much less.
//! The load generator is the one the ignored test `store::throughput` uses.
#![allow(dead_code)]

/// What `loadgen.rs` calls `crate::store`.
mod store {
    pub use hongyan::store::*;
}

#[path = "../src/store/loadgen.rs"]
mod loadgen;

use std::time::Duration;

use loadgen::{LoadConfig, pipeline};
use store::{StoreOptions, Synchronous};

fn temp_db(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "hongyan-store-bench-{}-{tag}.db",
        std::process::id()
    ))
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn per_message(d: Option<Duration>, n: u64) -> String {
    d.map(|d| format!("{:.1} µs", d.as_secs_f64() * 1e6 / n as f64))
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let messages = std::env::var("HONGYAN_STORE_BENCH_MSGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return;
        }
    };
    for sync in [Synchronous::Normal, Synchronous::Full] {
        let path = temp_db(&format!("{sync:?}"));
        remove(&path);
        let cfg = LoadConfig {
            messages,
            options: StoreOptions {
                synchronous: sync,
                ..StoreOptions::default()
            },
            ..LoadConfig::default()
        };
        let r = rt.block_on(pipeline(&path, &cfg));
        println!(
            "store/pipeline/{sync:?}: {} messages enqueue→claim→submit→report in {:.2?} = \
             {:.0} msgs/s; CPU per message: writer {}, process {}",
            r.messages,
            r.elapsed,
            r.per_second(),
            per_message(r.writer_cpu, r.messages),
            per_message(r.process_cpu, r.messages),
        );
        if sync == Synchronous::Normal {
            rt.block_on(purge_all(&path));
        }
        remove(&path);
    }
}

/// Retention over the file the pipeline left (every message delivered), paced as the
/// daemon paces it: how fast the purge deletes, and the longest single pass (the longest
/// the writer is held from sending).
async fn purge_all(path: &std::path::Path) {
    let h = match store::StoreHandle::open(path, StoreOptions::default()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("store/purge: cannot open: {e}");
            return;
        }
    };
    let cutoff = store::now_millis() + 1;
    let budget = hongyan::daemon::retention::PASS_BUDGET;
    let started = std::time::Instant::now();
    let (mut after, mut segments, mut passes, mut longest) = (0, 0, 0u32, Duration::ZERO);
    loop {
        let pass = std::time::Instant::now();
        match h.purge(cutoff, after, budget).await {
            Ok(out) => {
                longest = longest.max(pass.elapsed());
                passes += 1;
                segments += out.segments;
                match out.resume_after {
                    Some(next) => after = next,
                    None => break,
                }
                // As the daemon's retention task does: a pause as long as the pass.
                tokio::time::sleep(pass.elapsed()).await;
            }
            Err(e) => {
                eprintln!("store/purge: {e}");
                break;
            }
        }
    }
    let took = started.elapsed();
    println!(
        "store/purge: {segments} delivered segments (with their recipients and jobs) in \
         {took:.2?} = {:.0} segments/s; {passes} passes of {budget}, longest {longest:.1?}",
        segments as f64 / took.as_secs_f64()
    );
    let _ = h.close().await;
}
