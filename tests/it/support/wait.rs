//! Bounded waits: on a condition polled until it holds, or on the next event of a
//! broadcast channel that matches. Each panics, naming what it waited for, when the time
//! is up — a test never sleeps for a fixed time to wait for a state.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::LIMIT;

/// What a condition returns: `true` or `Some(value)` when it holds.
pub trait Found {
    /// What a wait on the condition returns.
    type Value;
    /// `Some` once the condition holds.
    fn found(self) -> Option<Self::Value>;
}

impl Found for bool {
    type Value = ();
    fn found(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Found for Option<T> {
    type Value = T;
    fn found(self) -> Option<T> {
        self
    }
}

/// The pause before the `n`th look: quick at first, then no busier than every 50 ms.
fn pause(n: u32) -> Duration {
    Duration::from_millis((1u64 << n.min(6)).min(50))
}

/// Polls `check` until it holds (`true` or `Some`), for at most `limit`; what it found.
/// Panics with `what` when the time is up.
pub async fn wait_until<R: Found>(
    what: &str,
    limit: Duration,
    check: impl AsyncFnMut() -> R,
) -> R::Value {
    poll(what, limit, pause, check).await
}

/// [`wait_until`] looking once every `every`, for a test in paused tokio time that waits
/// hours of it: each look lets the runtime run every timer due by then, so a coarser
/// pace costs less real time and finds the same state.
pub async fn wait_until_every<R: Found>(
    what: &str,
    limit: Duration,
    every: Duration,
    check: impl AsyncFnMut() -> R,
) -> R::Value {
    poll(what, limit, |_| every, check).await
}

/// Looks with `check` until it holds or `limit` passes, the `n`th pause `pause(n)`.
async fn poll<R: Found>(
    what: &str,
    limit: Duration,
    pause: impl Fn(u32) -> Duration,
    mut check: impl AsyncFnMut() -> R,
) -> R::Value {
    let deadline = tokio::time::Instant::now() + limit;
    let mut n = 0;
    loop {
        if let Some(v) = check().await.found() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(pause(n)).await;
        n = n.saturating_add(1);
    }
}

/// [`wait_until`] for a test without a runtime (child processes, blocking calls).
pub fn wait_until_blocking<R: Found>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> R,
) -> R::Value {
    let deadline = Instant::now() + limit;
    let mut n = 0;
    loop {
        if let Some(v) = check().found() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(pause(n));
        n += 1;
    }
}

/// The next event on `rx` for which `matches` gives `Some`, within [`LIMIT`]; events
/// before it are passed over. Panics with `what` when the time is up or the channel ends.
pub async fn next_event<E: Clone, T>(
    rx: &mut broadcast::Receiver<E>,
    what: &str,
    mut matches: impl FnMut(&E) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(LIMIT, async {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    if let Some(t) = matches(&e) {
                        return t;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    panic!("{n} events were lost waiting for {what}: raise the channel's capacity")
                }
                Err(broadcast::error::RecvError::Closed) => {
                    panic!("the events ended before {what}")
                }
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out after {LIMIT:?} waiting for {what}"))
}

/// `fut` within `limit`, or a panic naming `what`.
pub async fn within<T>(what: &str, limit: Duration, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?} waiting for {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "waiting for the moon")]
    async fn a_wait_that_times_out_names_what_it_waited_for() {
        wait_until("the moon", Duration::from_secs(1), async || false).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_returns_what_the_condition_found_once_it_holds() {
        let mut looks = 0;
        let found = wait_until("the third look", LIMIT, async || {
            looks += 1;
            (looks == 3).then_some(looks * 10)
        })
        .await;
        assert_eq!(found, 30);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_wait_looks_once_every_step_of_paused_time() {
        let start = tokio::time::Instant::now();
        let mut looks = 0;
        wait_until_every(
            "the fourth look",
            LIMIT,
            Duration::from_secs(10),
            async || {
                looks += 1;
                looks == 4
            },
        )
        .await;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[test]
    #[should_panic(expected = "waiting for nothing at all")]
    fn a_blocking_wait_that_times_out_names_what_it_waited_for() {
        wait_until_blocking("nothing at all", Duration::from_millis(20), || false);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "waiting for an event that never comes")]
    async fn an_event_that_never_comes_is_named() {
        let (_tx, mut rx) = broadcast::channel::<u8>(1);
        next_event(&mut rx, "an event that never comes", |_| Some(())).await;
    }

    #[tokio::test]
    async fn the_first_matching_event_is_returned() {
        let (tx, mut rx) = broadcast::channel::<u8>(8);
        for n in [1, 2, 3] {
            tx.send(n).unwrap();
        }
        let even = next_event(&mut rx, "an even number", |n| (n % 2 == 0).then_some(*n)).await;
        assert_eq!(even, 2);
    }
}
