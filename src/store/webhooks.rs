//! The webhook outbox: one row per (event, webhook) still to be delivered.
//!
//! An event is queued **in the same transaction** as the change it reports (a report
//! matched, an MO message stored, a decision applied), so a crash can lose neither the
//! change nor the news of it. The webhook worker reads due rows, POSTs them, and deletes
//! a row once the receiver answered 2xx, or moves its next attempt out on failure.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;

/// What a webhook is told about. The config names these in `[[webhook]] events` (it
/// re-uses this type); the store owns it because it queues the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A status report matched to a sent segment.
    DeliveryReport,
    /// An inbound (MO) message stored in the inbox.
    Inbound,
    /// An approver's decision applied to an approval step (by SMS or the API).
    ApprovalDecision,
    /// A segment the carrier accepted whose status report did not come within
    /// `queue.report_timeout`: now `unreported`.
    Unreported,
    /// An alert fired, repeated or resolved (see `[alerts]`).
    Alert,
    /// A reply attributed to a recipient of a send that asked for replies (a poll).
    ReplyReceived,
    /// A number was put on the opt-out (退订) list or taken off it.
    OptOut,
}

impl WebhookEvent {
    /// The name used in the config and the payload's `event` field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeliveryReport => "delivery_report",
            Self::Inbound => "inbound",
            Self::ApprovalDecision => "approval_decision",
            Self::Unreported => "unreported",
            Self::Alert => "alert",
            Self::ReplyReceived => "reply_received",
            Self::OptOut => "opt_out",
        }
    }
}

/// Which webhooks hear of which events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    by_event: BTreeMap<WebhookEvent, Vec<String>>,
}

impl Subscriptions {
    /// Adds `webhook` as hearing of each of `events`.
    pub fn subscribe(&mut self, webhook: &str, events: &[WebhookEvent]) {
        for e in events {
            self.by_event
                .entry(*e)
                .or_default()
                .push(webhook.to_owned());
        }
    }

    /// For tests: one webhook, `name`, hearing of `events`.
    #[cfg(test)]
    pub(crate) fn only(name: &str, events: &[WebhookEvent]) -> Self {
        Self {
            by_event: events.iter().map(|e| (*e, vec![name.to_owned()])).collect(),
        }
    }

    /// True when some webhook wants `event`.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.by_event.get(&event).is_some_and(|v| !v.is_empty())
    }
}

/// A delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    /// Row id: also the delivery id the receiver sees (`X-Hongyan-Delivery`), the same on
    /// every retry, so a receiver can drop repeats. Never reused: the table's
    /// AUTOINCREMENT keeps ids rising after rows are deleted.
    pub id: i64,
    /// The webhook's name.
    pub webhook: String,
    /// The event kind.
    pub event: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
}

/// Queues `data` as an `event` for every webhook that wants it.
pub(crate) fn queue(
    c: &Connection,
    subs: &Subscriptions,
    event: WebhookEvent,
    data: serde_json::Value,
    now: Millis,
) -> Result<()> {
    let Some(names) = subs.by_event.get(&event) else {
        return Ok(());
    };
    let body =
        serde_json::json!({ "event": event.name(), "created_at": now, "data": data }).to_string();
    let mut insert = c.prepare_cached(
        "INSERT INTO webhook_outbox (webhook, event, body, created_at, next_at, attempts)
         VALUES (?1, ?2, ?3, ?4, ?4, 0)",
    )?;
    for name in names {
        insert.execute(params![name, event.name(), body, now])?;
    }
    Ok(())
}

/// What every segment event carries: the segment, its place, and whom it went to.
fn segment_data(
    c: &Connection,
    at: &super::place::SegmentPlace,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let (number, carrier): (Option<String>, Option<String>) = c
        .prepare_cached("SELECT number, carrier FROM recipients WHERE id = ?1")?
        .query_row([at.recipient_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None));
    let mut data = serde_json::Map::new();
    data.insert("job_id".into(), at.job_id.into());
    data.insert("recipient_id".into(), at.recipient_id.into());
    data.insert("number".into(), number.into());
    data.insert("segment_id".into(), at.segment_id.into());
    data.insert("part".into(), at.part.into());
    data.insert("parts".into(), at.parts.into());
    data.insert("carrier".into(), carrier.into());
    Ok(data)
}

/// Queues a `delivery_report` event for a report just applied to a segment.
#[allow(clippy::too_many_arguments)]
pub(crate) fn report_event(
    c: &Connection,
    subs: &Subscriptions,
    at: &super::place::SegmentPlace,
    msg_id: &str,
    status: super::state::ReportStatus,
    stat: &str,
    err: &str,
    now: Millis,
) -> Result<()> {
    if !subs.wants(WebhookEvent::DeliveryReport) {
        return Ok(());
    }
    let mut data = segment_data(c, at)?;
    data.insert("msg_id".into(), msg_id.into());
    data.insert("status".into(), serde_json::json!(status));
    data.insert("stat".into(), stat.into());
    data.insert("err".into(), err.into());
    queue(c, subs, WebhookEvent::DeliveryReport, data.into(), now)
}

/// Queues an `unreported` event for a segment that reached the report deadline.
pub(crate) fn unreported_event(
    c: &Connection,
    subs: &Subscriptions,
    at: &super::place::SegmentPlace,
    msg_id: &str,
    submitted_at: Option<Millis>,
    recipient_state: super::state::DeliveryState,
    now: Millis,
) -> Result<()> {
    if !subs.wants(WebhookEvent::Unreported) {
        return Ok(());
    }
    let mut data = segment_data(c, at)?;
    data.insert("msg_id".into(), msg_id.into());
    data.insert("submitted_at".into(), submitted_at.into());
    data.insert("recipient_state".into(), serde_json::json!(recipient_state));
    queue(c, subs, WebhookEvent::Unreported, data.into(), now)
}

impl Store {
    /// Delivered: forget it.
    pub fn webhook_delivered(&mut self, id: i64) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("DELETE FROM webhook_outbox WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    /// Failed: try again at `next_at`.
    pub fn webhook_retry(&mut self, id: i64, next_at: Millis, error: &str) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached(
                "UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3
                 WHERE id = ?1",
            )?
            .execute(params![id, next_at, error])?;
            Ok(())
        })
    }
}

impl StoreHandle {
    /// Which webhooks hear of which events (see [`Store::set_webhooks`]); set before the
    /// links start.
    pub async fn set_webhooks(&self, subs: super::webhooks::Subscriptions) -> Result<()> {
        self.call(move |s| {
            s.set_webhooks(subs.clone());
            Ok(())
        })
        .await
    }

    /// [`Store::webhook_delivered`].
    pub async fn webhook_delivered(&self, id: i64) -> Result<()> {
        self.call(move |s| s.webhook_delivered(id)).await
    }

    /// [`Store::webhook_retry`].
    pub async fn webhook_retry(&self, id: i64, next_at: Millis, error: String) -> Result<()> {
        self.call(move |s| s.webhook_retry(id, next_at, &error))
            .await
    }

    /// Webhook deliveries due at `now`, on the read connection.
    pub async fn webhooks_due(
        &self,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<super::webhooks::WebhookDelivery>> {
        self.read(move |c| super::webhooks::due(c, now, limit))
            .await
    }

    /// When the next webhook delivery is due, on the read connection.
    pub async fn webhook_next_due(&self) -> Result<Option<Millis>> {
        self.read(super::webhooks::next_due).await
    }

    /// Webhook deliveries waiting, per webhook, on the read connection.
    pub async fn webhook_backlog(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        self.read(super::webhooks::backlog).await
    }
}

/// Deliveries due at `now`, oldest first.
pub(crate) fn due(c: &Connection, now: Millis, limit: usize) -> Result<Vec<WebhookDelivery>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, webhook, event, body, attempts FROM webhook_outbox
         WHERE next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok(WebhookDelivery {
                id: r.get(0)?,
                webhook: r.get(1)?,
                event: r.get(2)?,
                body: r.get(3)?,
                attempts: r.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next delivery is due.
pub(crate) fn next_due(c: &Connection) -> Result<Option<Millis>> {
    Ok(c.prepare_cached("SELECT min(next_at) FROM webhook_outbox")?
        .query_row([], |r| r.get(0))?)
}

/// Deliveries waiting, per webhook.
pub(crate) fn backlog(c: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt =
        c.prepare_cached("SELECT webhook, count(*) FROM webhook_outbox GROUP BY webhook")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, inbound};

    fn subs() -> Subscriptions {
        Subscriptions::only("hook", &[WebhookEvent::Inbound])
    }

    /// Queues one event and returns the id of the only delivery due.
    fn queue_one(s: &mut Store, n: i64) -> i64 {
        let subs = subs();
        s.write(|c, _| queue(c, &subs, WebhookEvent::Inbound, n.into(), n))
            .unwrap();
        let due = due(s.conn(), i64::MAX, 10).unwrap();
        assert_eq!(due.len(), 1, "{due:?}");
        due[0].id
    }

    /// Two webhooks: `a` hears of inbound messages and reports, `b` of inbound only.
    fn two_hooks() -> Subscriptions {
        let mut subs = Subscriptions::default();
        subs.subscribe("a", &[WebhookEvent::Inbound, WebhookEvent::DeliveryReport]);
        subs.subscribe("b", &[WebhookEvent::Inbound]);
        subs
    }

    fn queue_at(s: &mut Store, subs: &Subscriptions, event: WebhookEvent, now: Millis) {
        s.write(|c, _| queue(c, subs, event, serde_json::json!({ "n": now }), now))
            .unwrap();
    }

    fn last_error(s: &Store, id: i64) -> Option<String> {
        s.conn()
            .query_row(
                "SELECT last_error FROM webhook_outbox WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn an_event_is_queued_once_for_each_webhook_that_wants_it_and_for_no_other() {
        let db = TempDb::new("webhook-fanout");
        let mut s = db.open();
        let subs = two_hooks();
        assert!(subs.wants(WebhookEvent::Inbound));
        assert!(subs.wants(WebhookEvent::DeliveryReport));
        assert!(!subs.wants(WebhookEvent::Unreported));
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 10);
        queue_at(&mut s, &subs, WebhookEvent::DeliveryReport, 11);
        queue_at(&mut s, &subs, WebhookEvent::Unreported, 12);
        let due = due(s.conn(), i64::MAX, 10).unwrap();
        let got: Vec<(&str, &str, u32)> = due
            .iter()
            .map(|d| (d.webhook.as_str(), d.event.as_str(), d.attempts))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "inbound", 0),
                ("b", "inbound", 0),
                ("a", "delivery_report", 0)
            ]
        );
        // Both webhooks get the very same body: what was signed is what is resent.
        assert_eq!(due[0].body, due[1].body);
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({ "event": "inbound", "created_at": 10, "data": { "n": 10 } })
        );
        // Nobody subscribed: nothing is queued.
        s.write(|c, _| {
            queue(
                c,
                &Subscriptions::default(),
                WebhookEvent::Inbound,
                1.into(),
                13,
            )
        })
        .unwrap();
        assert_eq!(super::due(s.conn(), i64::MAX, 10).unwrap().len(), 3);
    }

    #[test]
    fn due_deliveries_come_oldest_first_up_to_the_limit_and_not_before_their_time() {
        let db = TempDb::new("webhook-due");
        let mut s = db.open();
        let subs = subs();
        for now in [30, 10, 20] {
            queue_at(&mut s, &subs, WebhookEvent::Inbound, now);
        }
        let times = |s: &Store, at: Millis, limit: usize| -> Vec<Millis> {
            due(s.conn(), at, limit)
                .unwrap()
                .iter()
                .map(|d| {
                    let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
                    body["created_at"].as_i64().unwrap()
                })
                .collect()
        };
        assert!(times(&s, 9, 10).is_empty(), "none due yet");
        assert_eq!(times(&s, 20, 10), [10, 20], "due by next attempt time");
        assert_eq!(times(&s, 100, 2), [10, 20], "limited");
        assert_eq!(times(&s, 100, 10), [10, 20, 30]);
        assert!(times(&s, 100, 0).is_empty());
        // Same time: the one queued first goes first.
        let ids = |s: &Store| -> Vec<i64> {
            due(s.conn(), 30, 10)
                .unwrap()
                .iter()
                .map(|d| d.id)
                .collect()
        };
        let before = ids(&s);
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 30);
        let after = ids(&s);
        assert_eq!(after[..3], before[..]);
        assert!(after[3] > before[2], "{after:?}");
        assert_eq!(times(&s, 30, 10), [10, 20, 30, 30]);
    }

    #[test]
    fn a_failed_delivery_waits_for_its_retry_counts_its_attempts_and_keeps_its_error() {
        let db = TempDb::new("webhook-retry");
        let mut s = db.open();
        let subs = subs();
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 1);
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 2);
        let first = due(s.conn(), 2, 10).unwrap()[0].clone();
        s.webhook_retry(first.id, 100, "HTTP 500").unwrap();
        // The other one is now first; the failed one waits for its time.
        let now_due = due(s.conn(), 99, 10).unwrap();
        assert_eq!(now_due.len(), 1);
        assert_ne!(now_due[0].id, first.id);
        let again = due(s.conn(), 100, 10).unwrap();
        let retried = again.iter().find(|d| d.id == first.id).unwrap();
        assert_eq!(retried.attempts, 1);
        assert_eq!(retried.body, first.body, "resent as first signed");
        assert_eq!(retried.event, first.event);
        assert_eq!(last_error(&s, first.id).as_deref(), Some("HTTP 500"));
        assert_eq!(again.last().map(|d| d.id), Some(first.id), "oldest first");
        s.webhook_retry(first.id, 300, "timed out").unwrap();
        let later = due(s.conn(), 300, 10).unwrap();
        let retried = later.iter().find(|d| d.id == first.id).unwrap();
        assert_eq!(retried.attempts, 2);
        assert_eq!(last_error(&s, first.id).as_deref(), Some("timed out"));
        // Waiting for a retry is not delivered: it stays until it is.
        assert_eq!(backlog(s.conn()).unwrap().get("hook"), Some(&2));
    }

    #[test]
    fn a_delivered_event_leaves_the_outbox_and_the_others_stay() {
        let db = TempDb::new("webhook-delivered");
        let mut s = db.open();
        let subs = two_hooks();
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 1);
        let due1 = due(s.conn(), i64::MAX, 10).unwrap();
        assert_eq!(due1.len(), 2);
        s.webhook_delivered(due1[0].id).unwrap();
        let left = due(s.conn(), i64::MAX, 10).unwrap();
        assert_eq!(left, due1[1..]);
        // Delivered twice (a slow answer and a retry that crossed): harmless.
        s.webhook_delivered(due1[0].id).unwrap();
        assert_eq!(due(s.conn(), i64::MAX, 10).unwrap(), left);
        s.webhook_delivered(due1[1].id).unwrap();
        assert!(due(s.conn(), i64::MAX, 10).unwrap().is_empty());
    }

    #[test]
    fn next_due_and_backlog_follow_the_outbox() {
        let db = TempDb::new("webhook-backlog");
        let mut s = db.open();
        assert_eq!(next_due(s.conn()).unwrap(), None);
        assert!(backlog(s.conn()).unwrap().is_empty());
        let subs = two_hooks();
        queue_at(&mut s, &subs, WebhookEvent::Inbound, 50);
        queue_at(&mut s, &subs, WebhookEvent::DeliveryReport, 40);
        assert_eq!(next_due(s.conn()).unwrap(), Some(40));
        let counts = backlog(s.conn()).unwrap();
        assert_eq!(counts, BTreeMap::from([("a".into(), 2), ("b".into(), 1)]));
        let report = due(s.conn(), 40, 10).unwrap()[0].id;
        s.webhook_retry(report, 70, "refused").unwrap();
        assert_eq!(next_due(s.conn()).unwrap(), Some(50));
        s.webhook_delivered(report).unwrap();
        assert_eq!(
            backlog(s.conn()).unwrap(),
            BTreeMap::from([("a".into(), 1), ("b".into(), 1)])
        );
    }

    #[test]
    fn an_event_is_rolled_back_with_the_change_it_reports() {
        let db = TempDb::new("webhook-rollback");
        let mut s = db.open();
        let subs = subs();
        let failed: Result<()> = s.write(|c, _| {
            queue(c, &subs, WebhookEvent::Inbound, 1.into(), 1)?;
            Err(crate::store::StoreError::Internal("the change failed"))
        });
        assert!(failed.is_err());
        assert!(due(s.conn(), i64::MAX, 10).unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_handle_queues_reads_and_records_webhook_deliveries() {
        let db = TempDb::new("webhook-handle");
        let h = db.handle();
        h.set_webhooks(two_hooks()).await.unwrap();
        // An inbound message queues its event in the same transaction.
        h.inbox_insert(inbound("13800000001", "106900011", "Y", 10))
            .await
            .unwrap();
        let due = h.webhooks_due(i64::MAX, 10).await.unwrap();
        assert_eq!(due.len(), 2, "{due:?}");
        assert!(due.iter().all(|d| d.event == "inbound"));
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body["data"]["sender"], "13800000001", "{body}");
        let next = h.webhook_next_due().await.unwrap().unwrap();
        h.webhook_retry(due[0].id, next + 1_000, "HTTP 503".into())
            .await
            .unwrap();
        assert_eq!(h.webhooks_due(next, 10).await.unwrap(), due[1..]);
        h.webhook_delivered(due[1].id).await.unwrap();
        assert_eq!(
            h.webhook_backlog().await.unwrap(),
            BTreeMap::from([("a".into(), 1)])
        );
        assert_eq!(h.webhook_next_due().await.unwrap(), Some(next + 1_000));
        h.close().await.unwrap();
    }

    #[test]
    fn a_delivery_id_is_never_given_to_another_event_after_delivery_or_a_restart() {
        let db = TempDb::new("webhook-ids");
        let mut seen = std::collections::BTreeSet::new();
        for round in 0..3 {
            // A restart between rounds: the highest id ever given is in the file.
            let mut s = db.open();
            // Never more than one waiting at a time, so the table is empty after each
            // delivery: a plain rowid would give id 1 to every event.
            for n in 0..20 {
                let id = queue_one(&mut s, round * 100 + n);
                assert!(seen.insert(id), "id {id} given twice");
                s.webhook_delivered(id).unwrap();
            }
        }
        assert_eq!(seen.len(), 60);
    }

    #[test]
    fn the_migration_keeps_waiting_ids_and_continues_above_them() {
        use crate::store::schema::{MIGRATIONS, migrate};
        let db = TempDb::new("webhook-ids-migrate");
        let step = MIGRATIONS
            .iter()
            .position(|m| m.contains("webhook_outbox_v9"))
            .unwrap();
        {
            let conn = Connection::open(db.path()).unwrap();
            migrate(&conn, &MIGRATIONS[..step]).unwrap();
            for id in [3, 5] {
                conn.execute(
                    "INSERT INTO webhook_outbox (id, webhook, event, body, created_at, next_at)
                     VALUES (?1, 'hook', 'inbound', '{}', 0, 0)",
                    [id],
                )
                .unwrap();
            }
        }
        let mut s = db.open();
        let ids: Vec<i64> = due(s.conn(), i64::MAX, 10)
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, [3, 5]);
        for id in ids {
            s.webhook_delivered(id).unwrap();
        }
        assert_eq!(queue_one(&mut s, 1), 6);
    }
}
