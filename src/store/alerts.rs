//! Alert history and the reads the alert evaluator needs: each notice an alert gave
//! (firing, repeat, resolved) is one row of `alert_events`, written in the same
//! transaction as its signed `alert` webhook event, so `/v1/alerts`' recent history
//! survives a restart and no notice is announced without being recorded. The table keeps
//! the last [`KEPT`] rows.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::db::Store;
use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;
use super::webhooks::WebhookEvent;

/// Rows of history kept; older ones are deleted as new ones come.
pub const KEPT: i64 = 1000;

/// A notice to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAlertEvent {
    /// The alert's name (`link_down`…).
    pub alert: String,
    /// What it is about (a link's name, or the alert's name).
    pub subject: String,
    /// `firing`, `repeat` or `resolved`.
    pub state: String,
    /// For people.
    pub text: String,
    /// Since when the alert fired.
    pub since: Millis,
    /// Whether people were told (false: past the daily bound).
    pub notified: bool,
    /// What became of the on-call SMS: `job 12 via ctcc`, `no healthy link`,
    /// `rate limited`… (`None`: no on-call numbers, or not notified).
    pub sms: Option<String>,
}

/// A recorded notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    /// Row id, rising.
    pub id: i64,
    /// When it was recorded.
    pub at: Millis,
    /// The rest, as recorded.
    #[serde(flatten)]
    pub event: NewAlertEvent,
}

impl Store {
    /// Records a notice and queues its `alert` webhook event in one transaction.
    pub fn alert_record(&mut self, e: &NewAlertEvent, now: Millis) -> Result<i64> {
        self.write(|c, cache| {
            c.prepare_cached(
                "INSERT INTO alert_events (alert, subject, state, text, since, at, notified, sms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                e.alert, e.subject, e.state, e.text, e.since, now, e.notified, e.sms
            ])?;
            let id = c.last_insert_rowid();
            c.prepare_cached("DELETE FROM alert_events WHERE id <= ?1")?
                .execute([id - KEPT])?;
            if e.notified {
                let data = serde_json::json!({
                    "id": id, "alert": e.alert, "subject": e.subject, "state": e.state,
                    "text": e.text, "since": e.since, "at": now,
                });
                super::webhooks::queue(c, &cache.webhooks, WebhookEvent::Alert, data, now)?;
            }
            Ok(id)
        })
    }
}

/// The last `limit` notices, newest first.
pub(crate) fn recent(c: &Connection, limit: usize) -> Result<Vec<AlertEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, at, alert, subject, state, text, since, notified, sms
         FROM alert_events ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok(AlertEvent {
            id: r.get(0)?,
            at: r.get(1)?,
            event: NewAlertEvent {
                alert: r.get(2)?,
                subject: r.get(3)?,
                state: r.get(4)?,
                text: r.get(5)?,
                since: r.get(6)?,
                notified: r.get(7)?,
                sms: r.get(8)?,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the oldest queued (due, unclaimed) message became due: its job's send time, or
/// its acceptance when it had none.
pub(crate) fn oldest_queued(c: &Connection) -> Result<Option<Millis>> {
    Ok(c.prepare_cached(
        "SELECT min(max(r.created_at, coalesce(j.send_at, 0)))
         FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.state = 1",
    )?
    .query_row([], |r| r.get(0))?)
}

/// Segments still waiting for their report that were submitted in `[from, to)`, per
/// link. Walks the `segments_awaiting_report` index (submitted, no report yet) over the
/// window only: the alert needs no index of its own on every segment's submit time.
pub(crate) const AWAITING_REPORT_IN_WINDOW: &str = "SELECT link, count(*) FROM segments
     WHERE state = 3 AND submitted_at >= ?1 AND submitted_at < ?2 GROUP BY link";

pub(crate) fn awaiting_reports(
    c: &Connection,
    from: Millis,
    to: Millis,
) -> Result<BTreeMap<String, u64>> {
    let mut stmt = c.prepare_cached(AWAITING_REPORT_IN_WINDOW)?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl StoreHandle {
    /// [`Store::alert_record`].
    pub async fn alert_record(&self, e: NewAlertEvent, now: Millis) -> Result<i64> {
        self.call(move |s| s.alert_record(&e, now)).await
    }

    /// The last `limit` alert notices, newest first, on the read connection.
    pub async fn alerts_recent(&self, limit: usize) -> Result<Vec<AlertEvent>> {
        self.read(move |c| recent(c, limit)).await
    }

    /// When the oldest queued message became due, on the read connection.
    pub async fn oldest_queued(&self) -> Result<Option<Millis>> {
        self.read(oldest_queued).await
    }

    /// Segments submitted in `[from, to)` still waiting for their report, per link, on
    /// the read connection.
    pub async fn awaiting_reports(
        &self,
        from: Millis,
        to: Millis,
    ) -> Result<BTreeMap<String, u64>> {
        self.read(move |c| awaiting_reports(c, from, to)).await
    }

    /// A command that does nothing, through the writer: it returns once the writer has
    /// reached it, so one that takes long tells that the writer is stuck.
    pub async fn writer_probe(&self) -> Result<()> {
        self.call(|_| Ok(())).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::Subscriptions;
    use crate::store::testutil::{TempDb, claim_req, job, one};
    use crate::store::{Priority, ReportStatus};

    fn event(state: &str) -> NewAlertEvent {
        NewAlertEvent {
            alert: "link_down".into(),
            subject: "cmcc-1".into(),
            state: state.into(),
            text: "链路cmcc-1已断开5分钟".into(),
            since: 1_000,
            notified: true,
            sms: Some("job 3 via ctcc".into()),
        }
    }

    #[test]
    fn notices_come_back_newest_first_and_survive_reopening() {
        let db = TempDb::new("alerts-recent");
        {
            let mut s = db.open();
            s.alert_record(&event("firing"), 1_000).unwrap();
            s.alert_record(&event("resolved"), 2_000).unwrap();
        }
        let s = db.open();
        let r = recent(s.conn(), 10).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].event.state, "resolved");
        assert_eq!(r[0].at, 2_000);
        assert_eq!(r[1].event, event("firing"));
        assert_eq!(recent(s.conn(), 1).unwrap().len(), 1);
    }

    #[test]
    fn a_notice_queues_its_webhook_event_in_the_same_transaction() {
        let db = TempDb::new("alerts-hook");
        let mut s = db.open();
        s.set_webhooks(Subscriptions::only("ops", &[WebhookEvent::Alert]));
        s.alert_record(&event("firing"), 5).unwrap();
        let mut quiet = event("repeat");
        quiet.notified = false;
        s.alert_record(&quiet, 6).unwrap();
        let due = crate::store::webhooks::due(s.conn(), 10, 10).unwrap();
        assert_eq!(due.len(), 1, "a notice nobody is told of sends no event");
        assert_eq!(due[0].event, "alert");
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body["data"]["alert"], "link_down");
        assert_eq!(body["data"]["state"], "firing");
        assert_eq!(body["data"]["subject"], "cmcc-1");
    }

    #[test]
    fn history_is_bounded() {
        let db = TempDb::new("alerts-bound");
        let mut s = db.open();
        for i in 0..KEPT + 5 {
            s.alert_record(&event("firing"), i).unwrap();
        }
        let n: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM alert_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, KEPT);
    }

    #[test]
    fn the_oldest_queued_message_counts_from_its_due_time() {
        let db = TempDb::new("alerts-oldest");
        let mut s = db.open();
        assert_eq!(oldest_queued(s.conn()).unwrap(), None);
        s.enqueue(&one("1"), 100).unwrap();
        s.enqueue(&one("2"), 50).unwrap();
        assert_eq!(oldest_queued(s.conn()).unwrap(), Some(50));
        let mut later = one("3");
        later.send_at = Some(10_000);
        s.enqueue(&later, 0).unwrap();
        assert_eq!(
            oldest_queued(s.conn()).unwrap(),
            Some(50),
            "scheduled is not queued"
        );
        s.promote_due(10_000).unwrap();
        s.claim(&claim_req("cmcc", 10), 10_001).unwrap();
        assert_eq!(
            oldest_queued(s.conn()).unwrap(),
            None,
            "claimed is not waiting"
        );
    }

    #[test]
    fn segments_awaiting_reports_are_counted_per_link_in_the_window_by_index() {
        let db = TempDb::new("alerts-awaiting");
        let mut s = db.open();
        s.enqueue(&job(Priority::Bulk, &[("1", 1), ("2", 1), ("3", 1)]), 0)
            .unwrap();
        let claimed = s.claim(&claim_req("cmcc", 10), 1).unwrap();
        for (i, m) in claimed.iter().enumerate() {
            let seg = m.segments[0].segment_id;
            s.mark_submitted(seg, &format!("m{i}"), 1_000 + i as i64)
                .unwrap();
        }
        s.record_report(
            &crate::store::testutil::report("m0", ReportStatus::Delivered),
            5_000,
        )
        .unwrap();
        let all = awaiting_reports(s.conn(), 0, 10_000).unwrap();
        assert_eq!(
            all.into_iter().collect::<Vec<_>>(),
            [("link-a".to_owned(), 2)]
        );
        assert_eq!(
            awaiting_reports(s.conn(), 1_002, 10_000).unwrap()["link-a"],
            1
        );
        assert!(
            awaiting_reports(s.conn(), 5_000, 10_000)
                .unwrap()
                .is_empty()
        );
        let plan: String = s
            .conn()
            .query_row(
                &format!("EXPLAIN QUERY PLAN {AWAITING_REPORT_IN_WINDOW}"),
                params![0, 0],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("segments_awaiting_report"), "{plan}");
    }
}
