//! Contacts, groups and drafts: the address book that group messages are sent from.
//!
//! A contact is one normalised mobile number (unique) with a name and tags; a group is a
//! named set of contacts; a draft is a message not yet sent to some groups. Writes run on
//! the writer like every other command — an import of a whole file is **one command and
//! so one transaction**: either every good row is in, or (SQLite failing) none is.
//! Reads (lists, a group's numbers) go through the read connection.
//!
//! Refusals ([`StoreError::UnknownGroups`], [`StoreError::Invalid`],
//! [`StoreError::NotFound`]) are found before the first write, as everywhere in the store.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};

use super::db::Store;
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::Millis;

/// Longest contact name, group name, tag or draft title, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// A contact to store: what an import row or an edit carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// The normalised 11-digit mobile number (see [`crate::route::normalize`]).
    pub phone: String,
    /// Name; empty when unknown.
    pub name: String,
    /// Groups the contact is in (created when missing).
    pub groups: Vec<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
}

/// What [`Store::contacts_import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Contacts that did not exist before.
    pub created: u64,
    /// Existing contacts (same number) that the rows were merged into.
    pub updated: u64,
    /// Groups created because a row named them.
    pub groups_created: u64,
}

/// What [`Store::contact_upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContactUpsert {
    /// The contact's id.
    pub id: i64,
    /// True when the number was new.
    pub created: bool,
}

/// A contact as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactView {
    /// Row id.
    pub id: i64,
    /// 11-digit number.
    pub phone: String,
    /// Name (empty when unknown).
    pub name: String,
    /// Its groups, oldest group first.
    pub groups: Vec<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Created at.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// One page of [`StoreHandle::contacts_list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactPage {
    /// Contacts matching the filter, on all pages.
    pub total: u64,
    /// This page, by id.
    pub contacts: Vec<ContactView>,
}

/// A group with its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupView {
    /// Row id.
    pub id: i64,
    /// Name (unique).
    pub name: String,
    /// Contacts in it.
    pub members: u64,
    /// Created at.
    pub created_at: Millis,
}

/// A draft to store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDraft {
    /// A title for the list of drafts.
    pub title: String,
    /// The text, without signature (may be unfinished).
    pub text: String,
    /// A signature instead of the link's.
    pub signature: Option<String>,
    /// Groups to send to.
    pub groups: Vec<String>,
    /// When to send (unix ms); `None`: at once.
    pub send_at: Option<Millis>,
    /// Numbers to send to besides the groups, as typed (checked when sent: a draft may
    /// hold an unfinished list).
    #[serde(default)]
    pub numbers: Vec<String>,
    /// The console account that saved it (`None`: saved through the API).
    #[serde(skip)]
    pub owner: Option<i64>,
}

/// A draft as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftView {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Signature.
    pub signature: Option<String>,
    /// Groups to send to.
    pub groups: Vec<String>,
    /// When to send.
    pub send_at: Option<Millis>,
    /// Created at.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Numbers besides the groups.
    pub numbers: Vec<String>,
    /// The console account that saved it.
    pub owner: Option<i64>,
}

/// A label (name, group, tag, title) trimmed, or why it cannot be stored.
fn label(what: &'static str, text: &str, allow_empty: bool) -> Result<String> {
    let text = text.trim();
    if text.is_empty() && !allow_empty {
        return Err(StoreError::Invalid {
            what,
            reason: "it is empty".into(),
        });
    }
    let n = text.chars().count();
    if n > MAX_LABEL_CHARS {
        return Err(StoreError::Invalid {
            what,
            reason: format!("{n} characters; at most {MAX_LABEL_CHARS}"),
        });
    }
    Ok(text.to_owned())
}

/// Labels trimmed, each once, in order.
fn labels(what: &'static str, list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        let item = label(what, item, false)?;
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// A contact checked and tidied before anything is written.
fn checked(contact: &NewContact) -> Result<NewContact> {
    let phone = contact.phone.as_str();
    let normalised = phone.len() == crate::route::MSISDN_DIGITS
        && phone.starts_with('1')
        && phone.bytes().all(|b| b.is_ascii_digit());
    if !normalised {
        return Err(StoreError::Invalid {
            what: "contact",
            reason: format!("{phone:?} is not a normalised 11-digit mobile number"),
        });
    }
    Ok(NewContact {
        phone: phone.to_owned(),
        name: label("contact name", &contact.name, true)?,
        groups: labels("group name", &contact.groups)?,
        tags: labels("tag", &contact.tags)?,
    })
}

/// Every row checked and tidied ([`checked`]), or the first refusal.
pub(super) fn checked_rows(rows: &[NewContact]) -> Result<Vec<NewContact>> {
    rows.iter().map(checked).collect()
}

/// Merges checked rows in (see [`Store::contacts_import`]), inside the caller's
/// transaction.
pub(super) fn import_rows(
    c: &Connection,
    rows: &[NewContact],
    now: Millis,
) -> Result<ImportCounts> {
    let mut counts = ImportCounts::default();
    let mut groups = Groups {
        ids: HashMap::new(),
        now,
        created: &mut counts.groups_created,
    };
    let (mut created, mut updated) = (0, 0);
    for row in rows {
        if merge_contact(c, row, &mut groups, now)?.1 {
            created += 1;
        } else {
            updated += 1;
        }
    }
    counts.created = created;
    counts.updated = updated;
    Ok(counts)
}

fn to_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(|_| StoreError::Internal("a list did not serialise"))
}

fn from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|_| StoreError::Internal("a stored list is not JSON"))
}

/// The id of group `name`, if it exists.
fn group_id(c: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(c.prepare_cached("SELECT id FROM groups WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// The id of group `name`, or [`StoreError::UnknownGroups`].
pub(super) fn known_group(c: &Connection, name: &str) -> Result<i64> {
    group_id(c, name.trim())?.ok_or_else(|| StoreError::UnknownGroups(vec![name.to_owned()]))
}

/// Group ids by name, creating missing groups; counts the ones created.
struct Groups<'a> {
    ids: HashMap<String, i64>,
    now: Millis,
    created: &'a mut u64,
}

impl Groups<'_> {
    fn id(&mut self, c: &Connection, name: &str) -> Result<i64> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let id = match group_id(c, name)? {
            Some(id) => id,
            None => {
                c.prepare_cached("INSERT INTO groups (name, created_at) VALUES (?1, ?2)")?
                    .execute(params![name, self.now])?;
                *self.created += 1;
                c.last_insert_rowid()
            }
        };
        self.ids.insert(name.to_owned(), id);
        Ok(id)
    }
}

fn add_member(c: &Connection, group_id: i64, contact_id: i64) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT OR IGNORE INTO group_members (group_id, contact_id) VALUES (?1, ?2)",
        )?
        .execute([group_id, contact_id])?;
    Ok(n == 1)
}

fn contact_exists(c: &Connection, id: i64) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM contacts WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?,
    )
}

/// Merges one checked contact in: new number → insert; known number → tags unioned, a
/// non-empty name replaces the stored one. Groups are added, never removed. Returns the
/// id and whether it was created.
fn merge_contact(
    c: &Connection,
    row: &NewContact,
    groups: &mut Groups<'_>,
    now: Millis,
) -> Result<(i64, bool)> {
    let existing: Option<(i64, String, String)> = c
        .prepare_cached("SELECT id, name, tags FROM contacts WHERE phone = ?1")?
        .query_row([&row.phone], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (id, created) = match existing {
        Some((id, name, tags)) => {
            let mut merged = from_json(&tags)?;
            for tag in &row.tags {
                if !merged.contains(tag) {
                    merged.push(tag.clone());
                }
            }
            let name = if row.name.is_empty() {
                name
            } else {
                row.name.clone()
            };
            c.prepare_cached(
                "UPDATE contacts SET name = ?2, tags = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, name, to_json(&merged)?, now])?;
            (id, false)
        }
        None => {
            c.prepare_cached(
                "INSERT INTO contacts (phone, name, tags, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![row.phone, row.name, to_json(&row.tags)?, now])?;
            (c.last_insert_rowid(), true)
        }
    };
    for g in &row.groups {
        let gid = groups.id(c, g)?;
        add_member(c, gid, id)?;
    }
    Ok((id, created))
}

impl Store {
    /// Imports contacts in one transaction: each row is merged into the contact with its
    /// number (tags and groups added, a non-empty name replacing the stored one) or
    /// creates it; groups named are created when missing. Rows are checked first: a
    /// number that is not normalised, or a label that is empty or too long, refuses the
    /// whole import ([`StoreError::Invalid`]) before anything is written.
    pub fn contacts_import(&mut self, rows: &[NewContact], now: Millis) -> Result<ImportCounts> {
        let rows = checked_rows(rows)?;
        self.write(|c, _| import_rows(c, &rows, now))
    }

    /// Creates or edits the contact with `contact.phone`: its name, tags and groups become
    /// exactly the given ones (groups created when missing).
    pub fn contact_upsert(&mut self, contact: &NewContact, now: Millis) -> Result<ContactUpsert> {
        let contact = checked(contact)?;
        self.write(|c, _| {
            let mut made = 0;
            let mut groups = Groups {
                ids: HashMap::new(),
                now,
                created: &mut made,
            };
            let (id, created) = merge_contact(c, &contact, &mut groups, now)?;
            // Exactly these tags, name and groups (the merge only added).
            c.prepare_cached("UPDATE contacts SET name = ?2, tags = ?3 WHERE id = ?1")?
                .execute(params![id, contact.name, to_json(&contact.tags)?])?;
            let keep: Vec<i64> = contact
                .groups
                .iter()
                .map(|g| groups.id(c, g))
                .collect::<Result<_>>()?;
            let current: Vec<i64> = c
                .prepare_cached("SELECT group_id FROM group_members WHERE contact_id = ?1")?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for gid in current.into_iter().filter(|g| !keep.contains(g)) {
                c.prepare_cached(
                    "DELETE FROM group_members WHERE group_id = ?1 AND contact_id = ?2",
                )?
                .execute([gid, id])?;
            }
            Ok(ContactUpsert { id, created })
        })
    }

    /// Deletes a contact and its group memberships.
    pub fn contact_delete(&mut self, id: i64) -> Result<()> {
        self.write(|c, _| {
            if !contact_exists(c, id)? {
                return Err(StoreError::NotFound {
                    what: "contact",
                    id,
                });
            }
            c.prepare_cached("DELETE FROM group_members WHERE contact_id = ?1")?
                .execute([id])?;
            c.prepare_cached("DELETE FROM contacts WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    /// Creates a group; returns its id and whether it was created (`false`: it existed).
    pub fn group_create(&mut self, name: &str, now: Millis) -> Result<(i64, bool)> {
        let name = label("group name", name, false)?;
        self.write(|c, _| {
            let mut made = 0;
            let id = Groups {
                ids: HashMap::new(),
                now,
                created: &mut made,
            }
            .id(c, &name)?;
            Ok((id, made == 1))
        })
    }

    /// Deletes a group (not its contacts); returns how many members it had.
    pub fn group_delete(&mut self, name: &str) -> Result<u64> {
        self.write(|c, _| {
            let id = known_group(c, name)?;
            let n = c
                .prepare_cached("DELETE FROM group_members WHERE group_id = ?1")?
                .execute([id])?;
            c.prepare_cached("DELETE FROM groups WHERE id = ?1")?
                .execute([id])?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Adds contacts to a group; returns how many were not in it yet. Every contact must
    /// exist ([`StoreError::NotFound`] names the first that does not).
    pub fn group_add_members(&mut self, name: &str, contact_ids: &[i64]) -> Result<u64> {
        self.write(|c, _| {
            let gid = known_group(c, name)?;
            for &id in contact_ids {
                if !contact_exists(c, id)? {
                    return Err(StoreError::NotFound {
                        what: "contact",
                        id,
                    });
                }
            }
            let mut added = 0;
            for &id in contact_ids {
                added += u64::from(add_member(c, gid, id)?);
            }
            Ok(added)
        })
    }

    /// Removes contacts from a group; returns how many were in it.
    pub fn group_remove_members(&mut self, name: &str, contact_ids: &[i64]) -> Result<u64> {
        self.write(|c, _| {
            let gid = known_group(c, name)?;
            let mut removed = 0;
            for &id in contact_ids {
                let n = c
                    .prepare_cached(
                        "DELETE FROM group_members WHERE group_id = ?1 AND contact_id = ?2",
                    )?
                    .execute([gid, id])?;
                removed += u64::try_from(n).unwrap_or(0);
            }
            Ok(removed)
        })
    }

    /// Saves a draft: a new one (`id` `None`), or over draft `id`. Returns its id.
    pub fn draft_save(&mut self, id: Option<i64>, draft: &NewDraft, now: Millis) -> Result<i64> {
        let title = label("draft title", &draft.title, true)?;
        let groups = to_json(&labels("group name", &draft.groups)?)?;
        let numbers = to_json(&draft_numbers(&draft.numbers)?)?;
        self.write(|c, _| match id {
            None => {
                c.prepare_cached(
                    "INSERT INTO drafts (title, text, signature, groups, send_at, created_at,
                         updated_at, numbers, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
                )?
                .execute(params![
                    title,
                    draft.text,
                    draft.signature,
                    groups,
                    draft.send_at,
                    now,
                    numbers,
                    draft.owner
                ])?;
                Ok(c.last_insert_rowid())
            }
            Some(id) => {
                let n = c
                    .prepare_cached(
                        "UPDATE drafts SET title = ?2, text = ?3, signature = ?4, groups = ?5,
                             send_at = ?6, updated_at = ?7, numbers = ?8 WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        title,
                        draft.text,
                        draft.signature,
                        groups,
                        draft.send_at,
                        now,
                        numbers
                    ])?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "draft", id });
                }
                Ok(id)
            }
        })
    }

    /// Deletes a draft.
    pub fn draft_delete(&mut self, id: i64) -> Result<()> {
        self.write(|c, _| {
            let n = c
                .prepare_cached("DELETE FROM drafts WHERE id = ?1")?
                .execute([id])?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "draft", id });
            }
            Ok(())
        })
    }

    /// [`StoreHandle::contacts_list`] on this connection.
    pub fn contacts_list(
        &self,
        group: Option<&str>,
        search: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<ContactPage> {
        contacts_list(self.conn(), group, search, limit, offset)
    }

    /// [`StoreHandle::contact_get`] on this connection.
    pub fn contact_get(&self, id: i64) -> Result<Option<ContactView>> {
        contact_get(self.conn(), id)
    }

    /// [`StoreHandle::groups_list`] on this connection.
    pub fn groups_list(&self) -> Result<Vec<GroupView>> {
        groups_list(self.conn())
    }

    /// [`StoreHandle::group_numbers`] on this connection.
    pub fn group_numbers(&self, groups: &[String]) -> Result<(Vec<String>, Vec<String>)> {
        group_numbers(self.conn(), groups)
    }

    /// [`StoreHandle::drafts_list`] on this connection.
    pub fn drafts_list(&self) -> Result<Vec<DraftView>> {
        drafts_list(self.conn())
    }

    /// [`StoreHandle::draft_get`] on this connection.
    pub fn draft_get(&self, id: i64) -> Result<Option<DraftView>> {
        draft_get(self.conn(), id)
    }
}

/// The columns of a [`ContactView`], groups oldest first.
pub(super) const CONTACT_COLUMNS: &str =
    "c.id, c.phone, c.name, c.tags, c.created_at, c.updated_at,
    (SELECT json_group_array(name) FROM (SELECT g.name FROM group_members m
        JOIN groups g ON g.id = m.group_id WHERE m.contact_id = c.id ORDER BY g.id))";

pub(super) fn contact_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(ContactView, String, String)> {
    Ok((
        ContactView {
            id: r.get(0)?,
            phone: r.get(1)?,
            name: r.get(2)?,
            groups: Vec::new(),
            tags: Vec::new(),
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
        },
        r.get(3)?,
        r.get(6)?,
    ))
}

pub(super) fn contact_view(
    (mut v, tags, groups): (ContactView, String, String),
) -> Result<ContactView> {
    v.tags = from_json(&tags)?;
    v.groups = from_json(&groups)?;
    Ok(v)
}

/// `text` as a LIKE pattern matching it anywhere (`\` escapes).
pub(super) fn like_anywhere(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

pub(crate) fn contacts_list(
    c: &Connection,
    group: Option<&str>,
    search: Option<&str>,
    limit: usize,
    offset: usize,
) -> Result<ContactPage> {
    let group_id = group.map(|g| known_group(c, g)).transpose()?;
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(like_anywhere);
    let filter = "WHERE (?1 IS NULL OR c.id IN
            (SELECT contact_id FROM group_members WHERE group_id = ?1))
        AND (?2 IS NULL OR c.name LIKE ?2 ESCAPE '\\' OR c.phone LIKE ?2 ESCAPE '\\'
            OR c.tags LIKE ?2 ESCAPE '\\')";
    let total: i64 = c
        .prepare_cached(&format!("SELECT count(*) FROM contacts c {filter}"))?
        .query_row(params![group_id, pattern], |r| r.get(0))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = c
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts c {filter} ORDER BY c.id LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(params![group_id, pattern, limit, offset], contact_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ContactPage {
        total: u64::try_from(total).unwrap_or(0),
        contacts: rows.into_iter().map(contact_view).collect::<Result<_>>()?,
    })
}

pub(crate) fn contact_get(c: &Connection, id: i64) -> Result<Option<ContactView>> {
    c.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.id = ?1"
    ))?
    .query_row([id], contact_row)
    .optional()?
    .map(contact_view)
    .transpose()
}

pub(crate) fn groups_list(c: &Connection) -> Result<Vec<GroupView>> {
    let rows = c
        .prepare_cached(
            "SELECT g.id, g.name, g.created_at,
                 (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)
             FROM groups g ORDER BY g.name",
        )?
        .query_map([], |r| {
            Ok(GroupView {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                members: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The distinct numbers of the contacts in any of `groups`, by contact id, and the names
/// of `groups` that do not exist (each once, in the order given).
pub(crate) fn group_numbers(
    c: &Connection,
    groups: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut ids: Vec<i64> = Vec::with_capacity(groups.len());
    let mut unknown: Vec<String> = Vec::new();
    for name in groups {
        match group_id(c, name.trim())? {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None if !unknown.contains(name) => unknown.push(name.clone()),
            None => {}
        }
    }
    if ids.is_empty() {
        return Ok((Vec::new(), unknown));
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let numbers = c
        .prepare(&format!(
            "SELECT c.phone FROM contacts c WHERE c.id IN
                 (SELECT contact_id FROM group_members WHERE group_id IN ({marks}))
             ORDER BY c.id"
        ))?
        .query_map(params_from_iter(ids), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((numbers, unknown))
}

const DRAFT_COLUMNS: &str = "id, title, text, signature, groups, send_at, created_at, updated_at,
     numbers, owner FROM drafts";

/// Most numbers a draft keeps (a pasted list longer than one request may name is
/// refused when it is sent, not silently cut here).
const MAX_DRAFT_NUMBERS: usize = 100_000;

fn draft_numbers(numbers: &[String]) -> Result<Vec<String>> {
    if numbers.len() > MAX_DRAFT_NUMBERS {
        return Err(StoreError::Invalid {
            what: "draft numbers",
            reason: format!("{} numbers; at most {MAX_DRAFT_NUMBERS}", numbers.len()),
        });
    }
    Ok(numbers
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect())
}

fn draft_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(DraftView, String, String)> {
    Ok((
        DraftView {
            id: r.get(0)?,
            title: r.get(1)?,
            text: r.get(2)?,
            signature: r.get(3)?,
            groups: Vec::new(),
            send_at: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
            numbers: Vec::new(),
            owner: r.get(9)?,
        },
        r.get(4)?,
        r.get(8)?,
    ))
}

fn draft_view((mut v, groups, numbers): (DraftView, String, String)) -> Result<DraftView> {
    v.groups = from_json(&groups)?;
    v.numbers = from_json(&numbers)?;
    Ok(v)
}

pub(crate) fn drafts_list(c: &Connection) -> Result<Vec<DraftView>> {
    let rows = c
        .prepare_cached(&format!(
            "SELECT {DRAFT_COLUMNS} ORDER BY updated_at DESC, id DESC"
        ))?
        .query_map([], draft_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(draft_view).collect()
}

pub(crate) fn draft_get(c: &Connection, id: i64) -> Result<Option<DraftView>> {
    c.prepare_cached(&format!("SELECT {DRAFT_COLUMNS} WHERE id = ?1"))?
        .query_row([id], draft_row)
        .optional()?
        .map(draft_view)
        .transpose()
}

impl StoreHandle {
    /// [`Store::contacts_import`].
    pub async fn contacts_import(
        &self,
        rows: Vec<NewContact>,
        now: Millis,
    ) -> Result<ImportCounts> {
        self.call(move |s| s.contacts_import(&rows, now)).await
    }

    /// [`Store::contact_upsert`].
    pub async fn contact_upsert(&self, contact: NewContact, now: Millis) -> Result<ContactUpsert> {
        self.call(move |s| s.contact_upsert(&contact, now)).await
    }

    /// [`Store::contact_delete`].
    pub async fn contact_delete(&self, id: i64) -> Result<()> {
        self.call(move |s| s.contact_delete(id)).await
    }

    /// [`Store::group_create`].
    pub async fn group_create(&self, name: String, now: Millis) -> Result<(i64, bool)> {
        self.call(move |s| s.group_create(&name, now)).await
    }

    /// [`Store::group_delete`].
    pub async fn group_delete(&self, name: String) -> Result<u64> {
        self.call(move |s| s.group_delete(&name)).await
    }

    /// [`Store::group_add_members`].
    pub async fn group_add_members(&self, name: String, contact_ids: Vec<i64>) -> Result<u64> {
        self.call(move |s| s.group_add_members(&name, &contact_ids))
            .await
    }

    /// [`Store::group_remove_members`].
    pub async fn group_remove_members(&self, name: String, contact_ids: Vec<i64>) -> Result<u64> {
        self.call(move |s| s.group_remove_members(&name, &contact_ids))
            .await
    }

    /// [`Store::draft_save`].
    pub async fn draft_save(&self, id: Option<i64>, draft: NewDraft, now: Millis) -> Result<i64> {
        self.call(move |s| s.draft_save(id, &draft, now)).await
    }

    /// [`Store::draft_delete`].
    pub async fn draft_delete(&self, id: i64) -> Result<()> {
        self.call(move |s| s.draft_delete(id)).await
    }

    /// Contacts by id, `limit` from `offset`, on the read connection: only those in
    /// `group` (unknown: [`StoreError::UnknownGroups`]), and only those whose name, number
    /// or tags contain `search`, when given.
    pub async fn contacts_list(
        &self,
        group: Option<String>,
        search: Option<String>,
        limit: usize,
        offset: usize,
    ) -> Result<ContactPage> {
        self.read(move |c| contacts_list(c, group.as_deref(), search.as_deref(), limit, offset))
            .await
    }

    /// One contact, on the read connection.
    pub async fn contact_get(&self, id: i64) -> Result<Option<ContactView>> {
        self.read(move |c| contact_get(c, id)).await
    }

    /// Every group with its member count, by name, on the read connection.
    pub async fn groups_list(&self) -> Result<Vec<GroupView>> {
        self.read(groups_list).await
    }

    /// The distinct numbers of the contacts in any of `groups`, by contact id, and the
    /// names in `groups` that are no group, on the read connection.
    pub async fn group_numbers(&self, groups: Vec<String>) -> Result<(Vec<String>, Vec<String>)> {
        self.read(move |c| group_numbers(c, &groups)).await
    }

    /// Every draft, last changed first, on the read connection.
    pub async fn drafts_list(&self) -> Result<Vec<DraftView>> {
        self.read(drafts_list).await
    }

    /// One draft, on the read connection.
    pub async fn draft_get(&self, id: i64) -> Result<Option<DraftView>> {
        self.read(move |c| draft_get(c, id)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    fn contact(phone: &str, name: &str, groups: &[&str], tags: &[&str]) -> NewContact {
        NewContact {
            phone: phone.into(),
            name: name.into(),
            groups: groups.iter().map(|s| (*s).to_owned()).collect(),
            tags: tags.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn names(list: &[String]) -> Vec<&str> {
        list.iter().map(String::as_str).collect()
    }

    #[test]
    fn an_import_creates_contacts_and_groups_and_merges_into_existing_ones() {
        let db = TempDb::new("contacts-import");
        let mut s = db.open();
        let counts = s
            .contacts_import(
                &[
                    contact("13800138000", "张三", &["销售", "华东"], &["VIP"]),
                    contact("13300133000", "李四", &["运维"], &[]),
                ],
                1,
            )
            .unwrap();
        assert_eq!(
            counts,
            ImportCounts {
                created: 2,
                updated: 0,
                groups_created: 3
            }
        );
        let counts = s
            .contacts_import(
                &[
                    contact("13800138000", "", &["运维", "销售"], &["VIP", "新"]),
                    contact("13012345678", "王五", &["运维"], &[]),
                    contact("13300133000", "李四（新）", &[], &[]),
                ],
                2,
            )
            .unwrap();
        assert_eq!(
            counts,
            ImportCounts {
                created: 1,
                updated: 2,
                groups_created: 0
            }
        );
        let page = s.contacts_list(None, None, 10, 0).unwrap();
        assert_eq!(page.total, 3);
        let zhang = &page.contacts[0];
        assert_eq!(zhang.name, "张三", "an empty name keeps the stored one");
        assert_eq!(names(&zhang.groups), ["销售", "华东", "运维"]);
        assert_eq!(names(&zhang.tags), ["VIP", "新"]);
        assert_eq!((zhang.created_at, zhang.updated_at), (1, 2));
        assert_eq!(page.contacts[1].name, "李四（新）");
        let groups = s.groups_list().unwrap();
        let sizes: Vec<(&str, u64)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.members))
            .collect();
        assert_eq!(sizes, [("华东", 1), ("运维", 3), ("销售", 1)]);
    }

    #[test]
    fn an_import_with_a_bad_row_writes_nothing() {
        let db = TempDb::new("contacts-import-bad");
        let mut s = db.open();
        for bad in [
            contact("+8613800138000", "", &[], &[]),
            contact("13800138001", &"名".repeat(65), &[], &[]),
            contact("13800138001", "", &[" "], &[]),
        ] {
            let err = s
                .contacts_import(&[contact("13800138000", "a", &["g"], &[]), bad], 1)
                .unwrap_err();
            assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
            assert!(err.is_refusal());
        }
        assert_eq!(s.contacts_list(None, None, 10, 0).unwrap().total, 0);
        assert!(s.groups_list().unwrap().is_empty());
    }

    #[test]
    fn group_numbers_are_distinct_by_contact_id_and_unknown_groups_are_named() {
        let db = TempDb::new("contacts-numbers");
        let mut s = db.open();
        s.contacts_import(
            &[
                contact("13900000003", "", &["a"], &[]),
                contact("13900000001", "", &["a", "b"], &[]),
                contact("13900000002", "", &["b"], &[]),
                contact("13900000004", "", &["c"], &[]),
            ],
            1,
        )
        .unwrap();
        let (numbers, unknown) = s
            .group_numbers(&["b".into(), "a".into(), "x".into(), "b".into(), "x".into()])
            .unwrap();
        assert_eq!(numbers, ["13900000003", "13900000001", "13900000002"]);
        assert_eq!(unknown, ["x"]);
        let (numbers, unknown) = s.group_numbers(&["nope".into()]).unwrap();
        assert!(numbers.is_empty());
        assert_eq!(unknown, ["nope"]);
    }

    #[test]
    fn contacts_are_listed_by_group_and_search_and_paged() {
        let db = TempDb::new("contacts-list");
        let mut s = db.open();
        s.contacts_import(
            &[
                contact("13800000001", "张三", &["销售"], &["VIP"]),
                contact("13800000002", "李四", &["销售"], &[]),
                contact("13800000003", "王五", &[], &["100%_done"]),
                contact("13900000004", "赵六", &["运维"], &["vip"]),
            ],
            1,
        )
        .unwrap();
        let phones = |p: ContactPage| -> (u64, Vec<String>) {
            (p.total, p.contacts.into_iter().map(|c| c.phone).collect())
        };
        assert_eq!(
            phones(s.contacts_list(Some("销售"), None, 10, 0).unwrap()),
            (2, vec!["13800000001".into(), "13800000002".into()])
        );
        assert_eq!(
            phones(s.contacts_list(None, Some("vip"), 10, 0).unwrap()).0,
            2,
            "tags, ASCII case-insensitively"
        );
        assert_eq!(
            phones(s.contacts_list(None, Some("李"), 10, 0).unwrap()).1,
            ["13800000002"]
        );
        assert_eq!(
            phones(s.contacts_list(None, Some("1390"), 10, 0).unwrap()).1,
            ["13900000004"]
        );
        // LIKE wildcards in the search are literal.
        assert_eq!(
            phones(s.contacts_list(None, Some("%_"), 10, 0).unwrap()).1,
            ["13800000003"]
        );
        assert_eq!(
            phones(s.contacts_list(None, Some("  "), 2, 2).unwrap()),
            (4, vec!["13800000003".into(), "13900000004".into()])
        );
        assert!(matches!(
            s.contacts_list(Some("无"), None, 10, 0),
            Err(StoreError::UnknownGroups(g)) if g == ["无"]
        ));
    }

    #[test]
    fn upsert_sets_exactly_the_given_fields_and_delete_removes_memberships() {
        let db = TempDb::new("contacts-upsert");
        let mut s = db.open();
        let first = s
            .contact_upsert(&contact("13800138000", "张三", &["a", "b"], &["x"]), 1)
            .unwrap();
        assert!(first.created);
        let again = s
            .contact_upsert(&contact("13800138000", "张三丰", &["b", "c"], &[]), 2)
            .unwrap();
        assert_eq!(
            again,
            ContactUpsert {
                id: first.id,
                created: false
            }
        );
        let v = s.contact_get(first.id).unwrap().unwrap();
        assert_eq!(v.name, "张三丰");
        assert_eq!(names(&v.groups), ["b", "c"]);
        assert!(v.tags.is_empty());
        assert!(s.contact_get(999).unwrap().is_none());
        s.contact_delete(first.id).unwrap();
        assert!(s.contact_get(first.id).unwrap().is_none());
        assert!(s.groups_list().unwrap().iter().all(|g| g.members == 0));
        assert!(matches!(
            s.contact_delete(first.id),
            Err(StoreError::NotFound {
                what: "contact",
                ..
            })
        ));
    }

    #[test]
    fn groups_are_created_filled_emptied_and_deleted() {
        let db = TempDb::new("contacts-groups");
        let mut s = db.open();
        assert_eq!(s.group_create(" 销售 ", 1).unwrap(), (1, true));
        assert_eq!(s.group_create("销售", 2).unwrap(), (1, false));
        assert!(matches!(
            s.group_create("", 2),
            Err(StoreError::Invalid {
                what: "group name",
                ..
            })
        ));
        let a = s
            .contact_upsert(&contact("13800000001", "", &[], &[]), 1)
            .unwrap()
            .id;
        let b = s
            .contact_upsert(&contact("13800000002", "", &[], &[]), 1)
            .unwrap()
            .id;
        assert_eq!(s.group_add_members("销售", &[a, b, a]).unwrap(), 2);
        assert_eq!(s.group_add_members("销售", &[a]).unwrap(), 0);
        assert!(matches!(
            s.group_add_members("销售", &[b, 77]),
            Err(StoreError::NotFound {
                what: "contact",
                id: 77
            })
        ));
        let err = s.group_add_members("市场", &[a]).unwrap_err();
        assert_eq!(err.to_string(), "unknown group: 市场");
        assert_eq!(s.group_remove_members("销售", &[a, 77]).unwrap(), 1);
        assert_eq!(s.groups_list().unwrap()[0].members, 1);
        assert_eq!(s.group_delete("销售").unwrap(), 1);
        assert!(s.groups_list().unwrap().is_empty());
        assert!(s.contact_get(b).unwrap().unwrap().groups.is_empty());
        assert!(matches!(
            s.group_delete("销售"),
            Err(StoreError::UnknownGroups(_))
        ));
        let both = StoreError::UnknownGroups(vec!["a".into(), "b".into()]);
        assert_eq!(both.to_string(), "unknown groups: a, b");
    }

    #[test]
    fn drafts_are_saved_listed_updated_and_deleted() {
        let db = TempDb::new("contacts-drafts");
        let mut s = db.open();
        let d = NewDraft {
            title: "周会".into(),
            text: "周五例会改到 15:00。".into(),
            signature: Some("【行政部】".into()),
            groups: vec!["销售".into(), " 运维 ".into(), "销售".into()],
            send_at: Some(5_000),
            numbers: vec![
                " 138 0013 8000 ".into(),
                String::new(),
                "+8613900139000".into(),
            ],
            owner: Some(7),
        };
        let id = s.draft_save(None, &d, 1).unwrap();
        let other = s.draft_save(None, &NewDraft::default(), 2).unwrap();
        let got = s.draft_get(id).unwrap().unwrap();
        assert_eq!(names(&got.groups), ["销售", "运维"]);
        assert_eq!(got.signature.as_deref(), Some("【行政部】"));
        assert_eq!(got.send_at, Some(5_000));
        assert_eq!(got.numbers, ["138 0013 8000", "+8613900139000"]);
        assert_eq!(got.owner, Some(7));
        let ids: Vec<i64> = s.drafts_list().unwrap().iter().map(|d| d.id).collect();
        assert_eq!(ids, [other, id], "last changed first");
        let changed = NewDraft {
            text: "改到 16:00。".into(),
            send_at: None,
            ..d
        };
        assert_eq!(s.draft_save(Some(id), &changed, 3).unwrap(), id);
        let got = s.draft_get(id).unwrap().unwrap();
        assert_eq!(
            (
                got.text.as_str(),
                got.send_at,
                got.created_at,
                got.updated_at
            ),
            ("改到 16:00。", None, 1, 3)
        );
        assert!(matches!(
            s.draft_save(Some(99), &changed, 3),
            Err(StoreError::NotFound {
                what: "draft",
                id: 99
            })
        ));
        s.draft_delete(id).unwrap();
        assert!(s.draft_get(id).unwrap().is_none());
        assert!(matches!(
            s.draft_delete(id),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn every_contact_operation_works_through_the_handle() {
        let db = TempDb::new("contacts-handle");
        let h = db.handle();
        let counts = h
            .contacts_import(vec![contact("13800138000", "张三", &["a"], &[])], 1)
            .await
            .unwrap();
        assert_eq!(counts.created, 1);
        let up = h
            .contact_upsert(contact("13300133000", "李四", &["b"], &[]), 1)
            .await
            .unwrap();
        assert!(h.group_create("c".into(), 1).await.unwrap().1);
        assert_eq!(
            h.group_add_members("c".into(), vec![up.id]).await.unwrap(),
            1
        );
        let (numbers, unknown) = h.group_numbers(vec!["a".into(), "c".into()]).await.unwrap();
        assert_eq!(numbers, ["13800138000", "13300133000"]);
        assert!(unknown.is_empty());
        assert_eq!(h.groups_list().await.unwrap().len(), 3);
        assert_eq!(
            h.contacts_list(Some("b".into()), None, 10, 0)
                .await
                .unwrap()
                .total,
            1
        );
        assert!(h.contact_get(up.id).await.unwrap().is_some());
        assert_eq!(
            h.group_remove_members("c".into(), vec![up.id])
                .await
                .unwrap(),
            1
        );
        assert_eq!(h.group_delete("c".into()).await.unwrap(), 0);
        h.contact_delete(up.id).await.unwrap();
        let id = h.draft_save(None, NewDraft::default(), 1).await.unwrap();
        assert_eq!(h.drafts_list().await.unwrap().len(), 1);
        assert!(h.draft_get(id).await.unwrap().is_some());
        h.draft_delete(id).await.unwrap();
        h.close().await.unwrap();
    }
}
