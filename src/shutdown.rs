//! [`Shutdown`]: the one way a task is told to stop.
//!
//! Every long-running task (a link's session, the dispatcher's loops, the scheduler, the
//! webhook worker, a simulator's sessions, the API server) takes a `Shutdown` and stops
//! when it is triggered, instead of each owning a hand-rolled `watch<bool>`. A part that
//! owns tasks hands them [`Shutdown::child`]ren, so it can stop its own tasks alone while a
//! trigger of the parent still reaches all of them; a [`ShutdownGuard`] triggers on drop,
//! so a handle that goes away without an explicit stop still stops what it started.
//!
//! Built on tokio-util's `CancellationToken` (the same idea as mini-redis' `Shutdown`
//! over a broadcast channel, without the bookkeeping).

use tokio_util::sync::{CancellationToken, DropGuard};

/// A stop signal shared by a group of tasks. Cloning shares the same signal.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A signal not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells every holder of this signal (and of its children) to stop. Idempotent.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether [`trigger`](Self::trigger) was called here or on an ancestor.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once the signal is triggered (at once if it already was). Cancel-safe, so
    /// it can sit in a `select!` loop.
    pub async fn triggered(&self) {
        self.token.cancelled().await
    }

    /// A signal that is triggered with this one, and can also be triggered alone without
    /// reaching this one or its other children.
    pub fn child(&self) -> Shutdown {
        Shutdown {
            token: self.token.child_token(),
        }
    }

    /// A guard that triggers this signal when dropped: for a handle whose owner may go
    /// away without stopping what it started.
    pub fn trigger_on_drop(&self) -> ShutdownGuard {
        ShutdownGuard(Some(self.token.clone().drop_guard()))
    }
}

/// Triggers its [`Shutdown`] when dropped (see [`Shutdown::trigger_on_drop`]).
#[derive(Debug)]
pub struct ShutdownGuard(Option<DropGuard>);

impl ShutdownGuard {
    /// Lets the guard go without triggering.
    pub fn disarm(mut self) {
        if let Some(guard) = self.0.take() {
            guard.disarm();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trigger_reaches_every_clone_and_child_but_a_child_stops_alone() {
        let root = Shutdown::new();
        let clone = root.clone();
        let child = root.child();
        let sibling = root.child();
        assert!(!child.is_triggered());

        child.trigger();
        assert!(child.is_triggered());
        assert!(!root.is_triggered() && !sibling.is_triggered());

        let waiter = tokio::spawn({
            let sibling = sibling.clone();
            async move { sibling.triggered().await }
        });
        root.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("the sibling's waiter ends once the root is triggered")
            .expect("the waiter does not panic");
        assert!(clone.is_triggered() && sibling.is_triggered());
    }

    #[test]
    fn a_guard_triggers_when_dropped_unless_disarmed() {
        let dropped = Shutdown::new();
        drop(dropped.trigger_on_drop());
        assert!(dropped.is_triggered());

        let kept = Shutdown::new();
        kept.trigger_on_drop().disarm();
        assert!(!kept.is_triggered());
    }
}
