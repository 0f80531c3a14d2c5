//! The console's audit log: one row per state-changing console request that succeeded —
//! who (account id and name as it was then), what (method, path, status, and a detail the
//! page adds, such as "sent job 123 to 40 recipients"), when, and from which address.
//! Read newest first with keyset paging (by id); purged with message history
//! (`retention.rs` calls [`purge_before`]).

use rusqlite::{Connection, params};

use super::db::Store;
use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;

/// An entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// The account that acted (`None`: nobody logged in, e.g. a login).
    pub account_id: Option<i64>,
    /// Its login name then (or the name typed at a login).
    pub username: String,
    /// The client's address.
    pub address: Option<String>,
    /// `POST`, `PUT`, `DELETE`…
    pub method: String,
    /// The request's path (no query string: it may hold what a user typed).
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
    /// What the page says it did, in words.
    pub detail: Option<String>,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Row id, rising with time.
    pub id: i64,
    /// When it was recorded.
    pub at: Millis,
    /// The rest, as recorded.
    pub entry: NewAuditEntry,
}

/// Entries older than `before`, at most `limit` of them, deleted; how many.
pub(crate) fn purge_before(c: &Connection, before: Millis, limit: usize) -> Result<usize> {
    Ok(c.prepare_cached(
        "DELETE FROM audit_log WHERE id IN
             (SELECT id FROM audit_log WHERE at < ?1 ORDER BY at LIMIT ?2)",
    )?
    .execute(params![before, i64::try_from(limit).unwrap_or(i64::MAX)])?)
}

/// Which entries a page or an export wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only ids below this (keyset paging: the last id of the page before).
    pub before: Option<i64>,
    /// Only entries at or after this time.
    pub from: Option<Millis>,
    /// Only entries before this time.
    pub to: Option<Millis>,
}

/// Up to `limit` entries matching `q`, newest first.
pub(crate) fn page(c: &Connection, q: AuditQuery, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, at, account_id, username, address, method, path, status, detail
         FROM audit_log WHERE id < ?1 AND at >= ?2 AND at < ?3 ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            q.before.unwrap_or(i64::MAX),
            q.from.unwrap_or(i64::MIN),
            q.to.unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                entry: NewAuditEntry {
                    account_id: r.get(2)?,
                    username: r.get(3)?,
                    address: r.get(4)?,
                    method: r.get(5)?,
                    path: r.get(6)?,
                    status: r.get(7)?,
                    detail: r.get(8)?,
                },
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Records one entry; its id.
    pub fn audit_record(&mut self, e: &NewAuditEntry, now: Millis) -> Result<i64> {
        self.write(|c, _| {
            c.prepare_cached(
                "INSERT INTO audit_log (at, account_id, username, address, method, path, status,
                                        detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                now,
                e.account_id,
                e.username,
                e.address,
                e.method,
                e.path,
                e.status,
                e.detail
            ])?;
            Ok(c.last_insert_rowid())
        })
    }
}

impl StoreHandle {
    /// [`Store::audit_record`].
    pub async fn audit_record(&self, e: NewAuditEntry, now: Millis) -> Result<i64> {
        self.call(move |s| s.audit_record(&e, now)).await
    }

    /// Up to `limit` entries matching `q`, newest first, on the read connection.
    pub async fn audit_page(&self, q: AuditQuery, limit: usize) -> Result<Vec<AuditEntry>> {
        self.read(move |c| page(c, q, limit)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    fn entry(path: &str) -> NewAuditEntry {
        NewAuditEntry {
            account_id: Some(1),
            username: "li".into(),
            address: Some("192.0.2.7".into()),
            method: "POST".into(),
            path: path.into(),
            status: 303,
            detail: Some("sent job 3 to 2 recipients".into()),
        }
    }

    #[test]
    fn entries_page_newest_first_by_id() {
        let db = TempDb::new("audit-page");
        let mut s = db.open();
        for (i, p) in ["/a", "/b", "/c"].iter().enumerate() {
            s.audit_record(&entry(p), 10 * i64::try_from(i).unwrap())
                .unwrap();
        }
        let first = page(s.conn(), AuditQuery::default(), 2).unwrap();
        assert_eq!(
            first
                .iter()
                .map(|e| e.entry.path.as_str())
                .collect::<Vec<_>>(),
            ["/c", "/b"]
        );
        assert_eq!(first[0].entry, entry("/c"));
        let before = AuditQuery {
            before: Some(first[1].id),
            ..AuditQuery::default()
        };
        let rest = page(s.conn(), before, 2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].entry.path.as_str(), rest[0].at), ("/a", 0));
        let window = AuditQuery {
            from: Some(10),
            to: Some(20),
            ..AuditQuery::default()
        };
        let only_b = page(s.conn(), window, 10).unwrap();
        assert_eq!(only_b.len(), 1);
        assert_eq!(only_b[0].entry.path, "/b");
    }

    #[test]
    fn purge_deletes_only_entries_before_the_cutoff() {
        let db = TempDb::new("audit-purge");
        let mut s = db.open();
        for at in [1, 2, 3, 50] {
            s.audit_record(&entry("/x"), at).unwrap();
        }
        assert_eq!(purge_before(s.conn(), 10, 2).unwrap(), 2);
        assert_eq!(purge_before(s.conn(), 10, 2).unwrap(), 1);
        assert_eq!(purge_before(s.conn(), 10, 2).unwrap(), 0);
        assert_eq!(page(s.conn(), AuditQuery::default(), 10).unwrap().len(), 1);
    }
}
