//! The opt-out (退订) list: numbers that refused marketing, and the history of every
//! change to it — who added or removed a number, when, why, and the reply that did it —
//! kept as long as message history. Each change queues its `opt_out` webhook event in
//! the same transaction.
//!
//! Numbers are stored as the caller normalised them (the 11-digit mainland form of
//! `route::normalize`); the store compares them as text.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::lists::{Page, Window};
use super::model::Millis;
use super::webhooks::WebhookEvent;

/// How a change to the list was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptOutSource {
    /// The number replied an opt-out or re-subscribe keyword.
    Reply,
    /// A client of the HTTP API.
    Api,
    /// `hongyan opt-out` on the command line.
    Cli,
    /// The staff console.
    Console,
}

impl OptOutSource {
    /// Every source, in order (for metrics that list zeros too).
    pub const ALL: [OptOutSource; 4] = [
        OptOutSource::Reply,
        OptOutSource::Api,
        OptOutSource::Cli,
        OptOutSource::Console,
    ];

    /// `reply`, `api`, `cli` or `console`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OptOutSource::Reply => "reply",
            OptOutSource::Api => "api",
            OptOutSource::Cli => "cli",
            OptOutSource::Console => "console",
        }
    }
}

impl fmt::Display for OptOutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OptOutSource {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        OptOutSource::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| StoreError::UnknownName {
                column: "opt_outs.source",
                value: s.to_owned(),
            })
    }
}

/// What a history record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptOutAction {
    /// The number was put on the list.
    Added,
    /// The number was taken off it.
    Removed,
}

impl OptOutAction {
    /// `added` or `removed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OptOutAction::Added => "added",
            OptOutAction::Removed => "removed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "added" => Ok(OptOutAction::Added),
            "removed" => Ok(OptOutAction::Removed),
            other => Err(StoreError::UnknownName {
                column: "opt_out_history.action",
                value: other.to_owned(),
            }),
        }
    }
}

/// A change to make: who, how, why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptOutChange {
    /// The normalised number.
    pub number: String,
    /// How.
    pub source: Option<OptOutSource>,
    /// Who: the API token's or console user's name, `cli`, or the number itself for a
    /// reply.
    pub actor: String,
    /// Why: the consent record of an add, the reason of a remove.
    pub note: Option<String>,
    /// The link a reply came in on.
    pub link: Option<String>,
    /// The reply's text.
    pub text: Option<String>,
    /// The reply's inbox message.
    pub inbox_id: Option<i64>,
}

impl OptOutChange {
    fn source(&self) -> OptOutSource {
        self.source.unwrap_or(OptOutSource::Api)
    }
}

/// A number on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptOutEntry {
    /// Row id: orders the list newest first, and pages it.
    pub id: i64,
    /// The number.
    pub number: String,
    /// Since when (unix ms; `opted_out_at` in JSON).
    #[serde(rename = "opted_out_at")]
    pub since: Millis,
    /// How it got there.
    pub source: OptOutSource,
    /// Who put it there.
    pub actor: String,
    /// The link its reply came in on.
    pub link: Option<String>,
    /// What it replied.
    pub text: Option<String>,
    /// The note given when it was added (the consent record).
    pub note: Option<String>,
}

/// One change in a number's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptOutRecord {
    /// Row id, rising.
    pub id: i64,
    /// The number.
    pub number: String,
    /// When (unix ms; `changed_at` in JSON).
    #[serde(rename = "changed_at")]
    pub at: Millis,
    /// Added or removed.
    pub action: OptOutAction,
    /// How.
    pub source: OptOutSource,
    /// Who.
    pub actor: String,
    /// Why.
    pub note: Option<String>,
    /// The link a reply came in on.
    pub link: Option<String>,
    /// The reply's text.
    pub text: Option<String>,
    /// The reply's inbox message.
    pub inbox_id: Option<i64>,
}

/// Numbers per `opted_out_among` statement: a JSON array bound as one parameter, so the
/// statement is prepared once and cached whatever the job's size.
const AMONG_CHUNK: usize = 10_000;

impl Store {
    /// Puts `change.number` on the list, records it in the history and queues its
    /// webhook event. `false` (and nothing written): it was on the list already.
    pub fn add_opt_out(&mut self, change: &OptOutChange, now: Millis) -> Result<bool> {
        self.write(|c, cache| add(c, cache, change, now))
    }

    /// Takes `change.number` off the list, records it in the history and queues its
    /// webhook event. `false` (and nothing written): it was not on the list.
    pub fn remove_opt_out(&mut self, change: &OptOutChange, now: Millis) -> Result<bool> {
        self.write(|c, cache| remove(c, cache, change, now))
    }
}

fn add(
    c: &Connection,
    cache: &mut super::db::Cache,
    change: &OptOutChange,
    now: Millis,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO opt_outs (number, since, source, actor, link, text, note)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (number) DO NOTHING",
        )?
        .execute(params![
            change.number,
            now,
            change.source().as_str(),
            change.actor,
            change.link,
            change.text,
            change.note
        ])?;
    if n == 0 {
        return Ok(false);
    }
    record(c, cache, change, OptOutAction::Added, now)?;
    Ok(true)
}

fn remove(
    c: &Connection,
    cache: &mut super::db::Cache,
    change: &OptOutChange,
    now: Millis,
) -> Result<bool> {
    let n = c
        .prepare_cached("DELETE FROM opt_outs WHERE number = ?1")?
        .execute([&change.number])?;
    if n == 0 {
        return Ok(false);
    }
    record(c, cache, change, OptOutAction::Removed, now)?;
    Ok(true)
}

impl Store {
    /// Applies a keyword reply: puts its sender on the list (`opt_out`) or takes it off,
    /// and records the inbox message's route (`opt_out` / `resubscribe`) in the same
    /// transaction, so the reply is handled exactly once whatever stops the process.
    /// True when the list changed.
    pub fn opt_out_reply(
        &mut self,
        change: &OptOutChange,
        opt_out: bool,
        inbox_id: i64,
        now: Millis,
    ) -> Result<bool> {
        let route = if opt_out {
            super::inbox::InboxRoute::OptOut
        } else {
            super::inbox::InboxRoute::Resubscribe
        };
        self.write(|c, cache| {
            super::inbox::inbox_set_route(c, inbox_id, &route)?;
            if opt_out {
                add(c, cache, change, now)
            } else {
                remove(c, cache, change, now)
            }
        })
    }
}

fn record(
    c: &Connection,
    cache: &mut super::db::Cache,
    change: &OptOutChange,
    action: OptOutAction,
    now: Millis,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO opt_out_history
             (number, at, action, source, actor, note, link, text, inbox_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        change.number,
        now,
        action.as_str(),
        change.source().as_str(),
        change.actor,
        change.note,
        change.link,
        change.text,
        change.inbox_id
    ])?;
    if cache.webhooks.wants(WebhookEvent::OptOut) {
        let data = serde_json::json!({
            "number": change.number,
            "action": action.as_str(),
            "source": change.source().as_str(),
            "actor": change.actor,
            "note": change.note,
            "link": change.link,
            "text": change.text,
            "inbox_id": change.inbox_id,
            "changed_at": now,
        });
        super::webhooks::queue(c, &cache.webhooks, WebhookEvent::OptOut, data, now)?;
    }
    Ok(())
}

/// The numbers among `numbers` that are on the list. One statement per
/// [`AMONG_CHUNK`] numbers, each a walk of the list's number index per number.
pub(crate) fn opted_out_among(c: &Connection, numbers: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    let mut stmt = c.prepare_cached(OPTED_OUT_AMONG)?;
    for chunk in numbers.chunks(AMONG_CHUNK) {
        let json = serde_json::Value::from(chunk.to_vec()).to_string();
        let mut rows = stmt.query([json])?;
        while let Some(r) = rows.next()? {
            out.insert(r.get(0)?);
        }
    }
    Ok(out)
}

/// The list's rows whose number is in the JSON array `?1`.
pub(crate) const OPTED_OUT_AMONG: &str =
    "SELECT number FROM opt_outs WHERE number IN (SELECT value FROM json_each(?1))";

/// The entry of `number`, if it is on the list.
pub(crate) fn opt_out_get(c: &Connection, number: &str) -> Result<Option<OptOutEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, number, since, source, actor, link, text, note FROM opt_outs
         WHERE number = ?1",
    )?;
    let row = stmt.query_row([number], entry).optional()?;
    row.map(finish_entry).transpose()
}

type RawEntry = (OptOutEntry, String);

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        OptOutEntry {
            id: r.get(0)?,
            number: r.get(1)?,
            since: r.get(2)?,
            source: OptOutSource::Api,
            actor: r.get(4)?,
            link: r.get(5)?,
            text: r.get(6)?,
            note: r.get(7)?,
        },
        r.get(3)?,
    ))
}

fn finish_entry((mut e, source): RawEntry) -> Result<OptOutEntry> {
    e.source = source.parse()?;
    Ok(e)
}

/// The upper bound of the texts starting with `prefix`: the prefix with its last
/// character raised by one (`139` → `13:`, `:` following `9`); `None` when there is no
/// such character (then no bound is needed).
fn prefix_end(prefix: &str) -> Option<String> {
    let last = prefix.chars().next_back()?;
    let next = char::from_u32(u32::from(last) + 1)?;
    let mut end = prefix[..prefix.len() - last.len_utf8()].to_owned();
    end.push(next);
    Some(end)
}

/// One page of the list, newest first; only numbers starting with `prefix` when given.
pub(crate) fn list_opt_outs(
    c: &Connection,
    prefix: Option<&str>,
    window: Window,
) -> Result<Page<OptOutEntry>> {
    let prefix = prefix.filter(|p| !p.is_empty());
    let from = prefix.unwrap_or("");
    let to = prefix.and_then(prefix_end);
    let limit = window.limit.max(1);
    let mut stmt = c.prepare_cached(
        "SELECT id, number, since, source, actor, link, text, note FROM opt_outs
         WHERE id < ?1 AND number >= ?2 AND (?3 IS NULL OR number < ?3)
         ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            window.before.unwrap_or(i64::MAX),
            from,
            to,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        entry,
    )?;
    let mut items = rows
        .map(|r| r.map_err(StoreError::from).and_then(finish_entry))
        .collect::<Result<Vec<_>>>()?;
    let next_before = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Page { items, next_before })
}

/// Every change to `number`'s place on the list still kept, oldest first.
pub(crate) fn opt_out_history(c: &Connection, number: &str) -> Result<Vec<OptOutRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, number, at, action, source, actor, note, link, text, inbox_id
         FROM opt_out_history WHERE number = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([number])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let action: String = r.get(3)?;
        let source: String = r.get(4)?;
        out.push(OptOutRecord {
            id: r.get(0)?,
            number: r.get(1)?,
            at: r.get(2)?,
            action: OptOutAction::parse(&action)?,
            source: source.parse()?,
            actor: r.get(5)?,
            note: r.get(6)?,
            link: r.get(7)?,
            text: r.get(8)?,
            inbox_id: r.get(9)?,
        });
    }
    Ok(out)
}

/// How many numbers are on the list.
pub(crate) fn opt_out_count(c: &Connection) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM opt_outs")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes history records older than `cutoff`, at most `limit` of them; how many went.
/// A number still on the list keeps its entry (with its source, reply and note) whatever
/// its age: only the record of the change goes with the rest of history.
pub(crate) fn purge_opt_out_history(c: &Connection, cutoff: Millis, limit: usize) -> Result<u64> {
    let n = c
        .prepare_cached(
            "DELETE FROM opt_out_history WHERE id IN
                 (SELECT id FROM opt_out_history WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )?
        .execute(params![cutoff, i64::try_from(limit).unwrap_or(i64::MAX)])?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl StoreHandle {
    /// [`Store::add_opt_out`].
    pub async fn add_opt_out(&self, change: OptOutChange, now: Millis) -> Result<bool> {
        self.call(move |s| s.add_opt_out(&change, now)).await
    }

    /// [`Store::opt_out_reply`].
    pub async fn opt_out_reply(
        &self,
        change: OptOutChange,
        opt_out: bool,
        inbox_id: i64,
        now: Millis,
    ) -> Result<bool> {
        self.call(move |s| s.opt_out_reply(&change, opt_out, inbox_id, now))
            .await
    }

    /// [`Store::remove_opt_out`].
    pub async fn remove_opt_out(&self, change: OptOutChange, now: Millis) -> Result<bool> {
        self.call(move |s| s.remove_opt_out(&change, now)).await
    }

    /// The numbers among `numbers` (normalised) that are on the opt-out list, on the read
    /// connection: one query per 10,000 numbers, for a whole job at once.
    pub async fn opted_out_among(&self, numbers: Vec<String>) -> Result<HashSet<String>> {
        self.read(move |c| opted_out_among(c, &numbers)).await
    }

    /// `number`'s entry on the list, if it is on it, on the read connection.
    pub async fn opt_out_get(&self, number: String) -> Result<Option<OptOutEntry>> {
        self.read(move |c| opt_out_get(c, &number)).await
    }

    /// One page of the list, newest first, numbers starting with `prefix` when given, on
    /// the read connection.
    pub async fn list_opt_outs(
        &self,
        prefix: Option<String>,
        window: Window,
    ) -> Result<Page<OptOutEntry>> {
        self.read(move |c| list_opt_outs(c, prefix.as_deref(), window))
            .await
    }

    /// Every kept change to `number`'s place on the list, oldest first, on the read
    /// connection.
    pub async fn opt_out_history(&self, number: String) -> Result<Vec<OptOutRecord>> {
        self.read(move |c| opt_out_history(c, &number)).await
    }

    /// How many numbers are on the list, on the read connection.
    pub async fn opt_out_count(&self) -> Result<u64> {
        self.read(opt_out_count).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::Subscriptions;
    use crate::store::testutil::TempDb;

    fn reply(number: &str, text: &str) -> OptOutChange {
        OptOutChange {
            number: number.into(),
            source: Some(OptOutSource::Reply),
            actor: number.into(),
            link: Some("cmcc-1".into()),
            text: Some(text.into()),
            inbox_id: Some(7),
            note: None,
        }
    }

    fn admin(number: &str, note: &str) -> OptOutChange {
        OptOutChange {
            number: number.into(),
            source: Some(OptOutSource::Api),
            actor: "crm".into(),
            note: Some(note.into()),
            ..OptOutChange::default()
        }
    }

    #[test]
    fn a_number_is_added_once_removed_once_and_every_change_is_kept() {
        let db = TempDb::new("optout-add");
        let mut s = db.open();
        assert!(s.add_opt_out(&reply("13800000001", "TD"), 100).unwrap());
        assert!(!s.add_opt_out(&reply("13800000001", "退订"), 200).unwrap());
        let e = opt_out_get(s.conn(), "13800000001").unwrap().unwrap();
        assert_eq!(e.since, 100);
        assert_eq!(
            e.text.as_deref(),
            Some("TD"),
            "the first reply is the record"
        );
        assert_eq!(e.source, OptOutSource::Reply);
        assert_eq!(e.link.as_deref(), Some("cmcc-1"));
        assert!(
            s.remove_opt_out(&admin("13800000001", "客户来电要求恢复"), 300)
                .unwrap()
        );
        assert!(
            !s.remove_opt_out(&admin("13800000001", "again"), 400)
                .unwrap()
        );
        assert_eq!(opt_out_get(s.conn(), "13800000001").unwrap(), None);
        let h = opt_out_history(s.conn(), "13800000001").unwrap();
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(
            (h[0].action, h[0].at, h[0].inbox_id),
            (OptOutAction::Added, 100, Some(7))
        );
        assert_eq!(h[0].text.as_deref(), Some("TD"));
        assert_eq!(h[1].action, OptOutAction::Removed);
        assert_eq!(h[1].source, OptOutSource::Api);
        assert_eq!(h[1].actor, "crm");
        assert_eq!(h[1].note.as_deref(), Some("客户来电要求恢复"));
        assert!(opt_out_history(s.conn(), "13900000000").unwrap().is_empty());
    }

    #[test]
    fn each_change_queues_its_webhook_event_in_the_same_transaction() {
        let db = TempDb::new("optout-hook");
        let mut s = db.open();
        s.set_webhooks(Subscriptions::only("crm", &[WebhookEvent::OptOut]));
        s.add_opt_out(&reply("13800000001", "TD"), 1).unwrap();
        s.add_opt_out(&reply("13800000001", "TD"), 2).unwrap();
        s.remove_opt_out(&admin("13800000001", "恢复"), 3).unwrap();
        let due = crate::store::webhooks::due(s.conn(), 10, 10).unwrap();
        assert_eq!(due.len(), 2, "no change, no event");
        let body: serde_json::Value = serde_json::from_str(&due[0].body).unwrap();
        assert_eq!(body["event"], "opt_out");
        assert_eq!(body["data"]["action"], "added");
        assert_eq!(body["data"]["source"], "reply");
        assert_eq!(body["data"]["text"], "TD");
        let body: serde_json::Value = serde_json::from_str(&due[1].body).unwrap();
        assert_eq!(body["data"]["action"], "removed");
        assert_eq!(body["data"]["note"], "恢复");
    }

    #[test]
    fn opted_out_among_finds_the_listed_numbers_of_a_large_job_by_index() {
        let db = TempDb::new("optout-among");
        let mut s = db.open();
        for i in (0..1_000).step_by(7) {
            s.add_opt_out(&admin(&format!("1380000{i:04}"), "consent"), i)
                .unwrap();
        }
        let numbers: Vec<String> = (0..25_000)
            .map(|i| format!("1380000{:04}", i % 10_000))
            .chain(["13900000000".to_owned()])
            .collect();
        let found = opted_out_among(s.conn(), &numbers).unwrap();
        let want: HashSet<String> = (0..1_000)
            .step_by(7)
            .map(|i| format!("1380000{i:04}"))
            .collect();
        assert_eq!(found, want);
        assert!(opted_out_among(s.conn(), &[]).unwrap().is_empty());
        let plan: Vec<String> = s
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {OPTED_OUT_AMONG}"))
            .unwrap()
            .query_map(["[]"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("USING COVERING INDEX") || p.contains("USING INDEX")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|p| p.starts_with("SCAN opt_outs")),
            "{plan:?}"
        );
    }

    #[test]
    fn the_list_pages_newest_first_and_searches_by_prefix() {
        let db = TempDb::new("optout-list");
        let mut s = db.open();
        for n in [
            "13800000001",
            "13900000002",
            "13800000003",
            "13910000004",
            "15000000005",
        ] {
            s.add_opt_out(&admin(n, "consent"), 1).unwrap();
        }
        let page = |prefix: Option<&str>, before, limit| {
            list_opt_outs(s.conn(), prefix, Window { before, limit }).unwrap()
        };
        let all = page(None, None, 10);
        let numbers: Vec<&str> = all.items.iter().map(|e| e.number.as_str()).collect();
        assert_eq!(
            numbers,
            [
                "15000000005",
                "13910000004",
                "13800000003",
                "13900000002",
                "13800000001"
            ]
        );
        assert_eq!(all.next_before, None);
        let first = page(None, None, 2);
        assert_eq!(first.items.len(), 2);
        let second = page(None, first.next_before, 2);
        assert_eq!(second.items[0].number, "13800000003");
        let third = page(None, second.next_before, 2);
        assert_eq!(third.items.len(), 1);
        assert_eq!(third.next_before, None);
        let p139: Vec<String> = page(Some("139"), None, 10)
            .items
            .into_iter()
            .map(|e| e.number)
            .collect();
        assert_eq!(p139, ["13910000004", "13900000002"]);
        assert_eq!(page(Some("1391"), None, 10).items.len(), 1);
        assert_eq!(page(Some("13800000001"), None, 10).items.len(), 1);
        assert!(page(Some("17"), None, 10).items.is_empty());
        assert!(page(Some("13x"), None, 10).items.is_empty());
        assert_eq!(opt_out_count(s.conn()).unwrap(), 5);
    }

    #[test]
    fn history_older_than_the_cutoff_goes_and_the_list_stays() {
        let db = TempDb::new("optout-purge");
        let mut s = db.open();
        s.add_opt_out(&reply("13800000001", "TD"), 10).unwrap();
        s.add_opt_out(&reply("13800000002", "TD"), 10).unwrap();
        s.remove_opt_out(&admin("13800000002", "恢复"), 20).unwrap();
        s.add_opt_out(&reply("13800000002", "T"), 30).unwrap();
        assert_eq!(purge_opt_out_history(s.conn(), 25, 100).unwrap(), 3);
        assert!(opt_out_history(s.conn(), "13800000001").unwrap().is_empty());
        assert_eq!(opt_out_history(s.conn(), "13800000002").unwrap().len(), 1);
        let kept = opt_out_get(s.conn(), "13800000001").unwrap().unwrap();
        assert_eq!(kept.text.as_deref(), Some("TD"));
    }

    #[tokio::test]
    async fn the_handle_reads_what_it_wrote() {
        let db = TempDb::new("optout-handle");
        let h = db.handle();
        assert!(h.add_opt_out(reply("13800000001", "TD"), 5).await.unwrap());
        let among = h
            .opted_out_among(vec!["13800000001".into(), "13800000002".into()])
            .await
            .unwrap();
        assert_eq!(among.len(), 1);
        assert_eq!(h.opt_out_count().await.unwrap(), 1);
        assert_eq!(
            h.opt_out_history("13800000001".into()).await.unwrap().len(),
            1
        );
        h.close().await.unwrap();
    }
}
