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
}

impl WebhookEvent {
    /// The name used in the config and the payload's `event` field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeliveryReport => "delivery_report",
            Self::Inbound => "inbound",
            Self::ApprovalDecision => "approval_decision",
            Self::Unreported => "unreported",
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
    use crate::store::testutil::TempDb;

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
