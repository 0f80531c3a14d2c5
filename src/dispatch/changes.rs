//! [`Changes`]: a counter bumped after every change the daemon writes to the store (job
//! accepted, submit answered, report recorded, MO stored, messages expired), so waiters
//! — tests, the demo, later the API's long polls — are woken by the change itself
//! instead of polling on a timer.

use std::sync::Arc;

use tokio::sync::watch;

/// Cheap to clone; every clone bumps the same counter.
#[derive(Debug, Clone)]
pub struct Changes {
    tx: Arc<watch::Sender<u64>>,
    /// Bumped only for stored MO messages: the reply router wakes for those alone, not
    /// for every submit response of a bulk send.
    inbox: Arc<watch::Sender<u64>>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(0)),
            inbox: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl Changes {
    /// Something changed in the store.
    pub fn bump(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// An MO message was stored (also counts as a change).
    pub fn bump_inbox(&self) {
        self.inbox.send_modify(|n| *n = n.wrapping_add(1));
        self.bump();
    }

    /// A receiver woken by stored MO messages only.
    pub fn subscribe_inbox(&self) -> watch::Receiver<u64> {
        self.inbox.subscribe()
    }

    /// A receiver that sees every bump from now on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bump_wakes_a_subscriber() {
        let c = Changes::default();
        let mut rx = c.subscribe();
        assert!(!rx.has_changed().unwrap());
        c.clone().bump();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
    }
}
