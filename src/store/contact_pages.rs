//! The address book as the console pages it (通讯录): contacts by keyset (never an
//! OFFSET walk through 100 000 rows), a count that stops counting at [`COUNT_CAP`],
//! contacts by id (the approval form's pickers), and names by number (the inbox).

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::contacts::{CONTACT_COLUMNS, ContactView, contact_row, contact_view, known_group};
use super::error::Result;
use super::handle::StoreHandle;

/// A count of matching contacts stops here: the page says "more than" instead of
/// counting every row of a large book on every page.
pub const COUNT_CAP: u64 = 10_000;

/// Which contacts a page lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactQuery {
    /// Name, number or tag containing this.
    pub search: Option<String>,
    /// Only members of this group (unknown: [`StoreError::UnknownGroups`](super::StoreError)).
    pub group: Option<String>,
}

/// One page of contacts, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRows {
    /// At most the page's limit.
    pub items: Vec<ContactView>,
    /// Pass as `after` for the next page; `None`: this was the last.
    pub next_after: Option<i64>,
    /// Contacts matching, counted up to [`COUNT_CAP`].
    pub total: u64,
    /// True when more than [`COUNT_CAP`] match.
    pub total_capped: bool,
}

pub(crate) fn contacts_page(
    c: &Connection,
    q: &ContactQuery,
    after: Option<i64>,
    limit: usize,
) -> Result<ContactRows> {
    let mut filter = String::from("WHERE c.id > ?1");
    let mut args: Vec<Value> = vec![
        Value::Integer(after.unwrap_or(i64::MIN)),
        Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
    ];
    if let Some(group) = &q.group {
        args.push(Value::Integer(known_group(c, group)?));
        filter.push_str(&format!(
            " AND c.id IN (SELECT contact_id FROM group_members WHERE group_id = ?{})",
            args.len()
        ));
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        args.push(Value::Text(super::contacts::like_anywhere(search)));
        let n = args.len();
        filter.push_str(&format!(
            " AND (c.name LIKE ?{n} ESCAPE '\\' OR c.phone LIKE ?{n} ESCAPE '\\'
                   OR c.tags LIKE ?{n} ESCAPE '\\')"
        ));
    }
    let rows = c
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts c {filter} ORDER BY c.id LIMIT ?2"
        ))?
        .query_map(params_from_iter(args.iter()), contact_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let items: Vec<ContactView> = rows.into_iter().map(contact_view).collect::<Result<_>>()?;
    let next_after = (items.len() == limit)
        .then(|| items.last().map(|v| v.id))
        .flatten();
    // The count ignores the page: from the first contact, capped.
    args[0] = Value::Integer(i64::MIN);
    args[1] = Value::Integer(i64::try_from(COUNT_CAP + 1).unwrap_or(i64::MAX));
    let counted: i64 = c
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM contacts c {filter} LIMIT ?2)"
        ))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let counted = u64::try_from(counted).unwrap_or(0);
    Ok(ContactRows {
        items,
        next_after,
        total: counted.min(COUNT_CAP),
        total_capped: counted > COUNT_CAP,
    })
}

/// The contacts with these ids that exist, in the order asked.
pub(crate) fn contacts_by_ids(c: &Connection, ids: &[i64]) -> Result<Vec<ContactView>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.id = ?1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let mut rows = stmt.query_map([id], contact_row)?;
        if let Some(row) = rows.next() {
            out.push(contact_view(row?)?);
        }
    }
    Ok(out)
}

/// Name by number for the contacts with these (normalised) numbers.
pub(crate) fn contact_names(c: &Connection, phones: &[String]) -> Result<HashMap<String, String>> {
    if phones.is_empty() {
        return Ok(HashMap::new());
    }
    let list = serde_json::Value::from(phones.to_vec()).to_string();
    let rows = c
        .prepare_cached(
            "SELECT phone, name FROM contacts WHERE phone IN (SELECT value FROM json_each(?1))",
        )?
        .query_map([list], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

impl StoreHandle {
    /// Contacts matching `query` after id `after`, at most `limit`, with a capped count,
    /// on the read connection.
    pub async fn contacts_page(
        &self,
        query: ContactQuery,
        after: Option<i64>,
        limit: usize,
    ) -> Result<ContactRows> {
        self.read(move |c| contacts_page(c, &query, after, limit.max(1)))
            .await
    }

    /// The contacts with these ids that exist, in the order asked, on the read
    /// connection.
    pub async fn contacts_by_ids(&self, ids: Vec<i64>) -> Result<Vec<ContactView>> {
        self.read(move |c| contacts_by_ids(c, &ids)).await
    }

    /// Name by number for the contacts with these normalised numbers, on the read
    /// connection.
    pub async fn contact_names(&self, phones: Vec<String>) -> Result<HashMap<String, String>> {
        self.read(move |c| contact_names(c, &phones)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::NewContact;
    use crate::store::testutil::TempDb;

    fn contact(phone: &str, name: &str, groups: &[&str]) -> NewContact {
        NewContact {
            phone: phone.into(),
            name: name.into(),
            groups: groups.iter().map(|g| (*g).into()).collect(),
            tags: vec![],
        }
    }

    #[test]
    fn pages_by_keyset_with_search_group_and_a_count() {
        let db = TempDb::new("contact-pages");
        let mut s = db.open();
        s.contacts_import(
            &[
                contact("13800000001", "张三", &["销售"]),
                contact("13800000002", "李四", &[]),
                contact("13800000003", "张伟", &["销售"]),
            ],
            1,
        )
        .unwrap();
        let page = |q: &ContactQuery, after, limit| contacts_page(s.conn(), q, after, limit);
        let all = ContactQuery::default();
        let first = page(&all, None, 2).unwrap();
        assert_eq!(first.items.len(), 2);
        assert_eq!((first.total, first.total_capped), (3, false));
        let second = page(&all, first.next_after, 2).unwrap();
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.items[0].name, "张伟");
        assert_eq!(second.next_after, None);
        let zhang = ContactQuery {
            search: Some("张".into()),
            ..ContactQuery::default()
        };
        let found = page(&zhang, None, 10).unwrap();
        assert_eq!(found.total, 2);
        let by_number = ContactQuery {
            search: Some("0002".into()),
            ..ContactQuery::default()
        };
        assert_eq!(page(&by_number, None, 10).unwrap().items[0].name, "李四");
        let sales = ContactQuery {
            group: Some("销售".into()),
            search: Some("伟".into()),
        };
        let found = page(&sales, None, 10).unwrap();
        assert_eq!((found.total, found.items[0].name.as_str()), (1, "张伟"));
        let unknown = ContactQuery {
            group: Some("没有".into()),
            ..ContactQuery::default()
        };
        assert!(matches!(
            page(&unknown, None, 10),
            Err(crate::store::StoreError::UnknownGroups(_))
        ));
        let ids: Vec<i64> = found.items.iter().map(|c| c.id).collect();
        let by_ids = contacts_by_ids(s.conn(), &[ids[0], 999]).unwrap();
        assert_eq!(by_ids.len(), 1);
        let names = contact_names(s.conn(), &["13800000001".into(), "13900000000".into()]).unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(names["13800000001"], "张三");
    }

    #[test]
    fn the_count_stops_at_its_cap() {
        let db = TempDb::new("contact-pages-cap");
        let mut s = db.open();
        let rows: Vec<NewContact> = (0..=COUNT_CAP)
            .map(|i| contact(&format!("138{i:08}"), "", &[]))
            .collect();
        s.contacts_import(&rows, 1).unwrap();
        let page = contacts_page(s.conn(), &ContactQuery::default(), None, 5).unwrap();
        assert_eq!((page.total, page.total_capped), (COUNT_CAP, true));
    }
}
