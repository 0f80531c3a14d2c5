//! Signatures (`【鸿雁物流】`) and message templates kept server-side, so staff pick them
//! in the console and integrations name them in the API instead of each keeping a copy.
//! Both are a name (unique per kind) and a text; one set of statements serves both
//! tables ([`SnippetKind`]).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::db::Store;
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::Millis;

/// Longest name of a signature or template, in characters.
pub const MAX_SNIPPET_NAME_CHARS: usize = 64;
/// Longest signature, in characters (brackets included): it is paid for in every
/// message's segment count.
pub const MAX_SIGNATURE_CHARS: usize = 24;
/// Longest template, in characters (a concatenated message of the longest kind).
pub const MAX_TEMPLATE_CHARS: usize = 2_000;

/// Which of the two is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnippetKind {
    /// A signature, `【…】`.
    Signature,
    /// A message template, with `{name}` variables.
    Template,
}

impl SnippetKind {
    fn table(self) -> &'static str {
        match self {
            Self::Signature => "signatures",
            Self::Template => "templates",
        }
    }

    fn max_text(self) -> usize {
        match self {
            Self::Signature => MAX_SIGNATURE_CHARS,
            Self::Template => MAX_TEMPLATE_CHARS,
        }
    }

    fn name_what(self) -> &'static str {
        match self {
            Self::Signature => "signature name",
            Self::Template => "template name",
        }
    }

    fn text_what(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Template => "template text",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Template => "template",
        }
    }
}

/// A stored signature or template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Its id.
    pub id: i64,
    /// Its name, unique among its kind.
    pub name: String,
    /// The signature or the template text.
    pub text: String,
    /// Created at (unix ms).
    pub created_at: Millis,
    /// Last changed at (unix ms).
    pub updated_at: Millis,
}

fn checked(what: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid {
            what,
            reason: "it is empty".into(),
        });
    }
    let n = text.chars().count();
    if n > max {
        return Err(StoreError::Invalid {
            what,
            reason: format!("{n} characters; at most {max}"),
        });
    }
    Ok(text.to_owned())
}

impl Store {
    /// Saves a signature or template: a new one (`id` `None`) or over `id`. Returns its
    /// id. A name another one of its kind has is refused.
    pub fn snippet_save(
        &mut self,
        kind: SnippetKind,
        id: Option<i64>,
        name: &str,
        text: &str,
        now: Millis,
    ) -> Result<i64> {
        let name = checked(kind.name_what(), name, MAX_SNIPPET_NAME_CHARS)?;
        let text = checked(kind.text_what(), text, kind.max_text())?;
        self.write(|c, _| save(c, kind, id, &name, &text, now))
    }

    /// Deletes a signature or template.
    pub fn snippet_delete(&mut self, kind: SnippetKind, id: i64) -> Result<()> {
        self.write(|c, _| {
            let sql = format!("DELETE FROM {} WHERE id = ?1", kind.table());
            if c.prepare_cached(&sql)?.execute([id])? == 0 {
                return Err(StoreError::NotFound {
                    what: kind.what(),
                    id,
                });
            }
            Ok(())
        })
    }

    /// [`snippets_list`] on this connection.
    pub fn snippets_list(&self, kind: SnippetKind) -> Result<Vec<Snippet>> {
        snippets_list(self.conn(), kind)
    }
}

fn save(
    c: &Connection,
    kind: SnippetKind,
    id: Option<i64>,
    name: &str,
    text: &str,
    now: Millis,
) -> Result<i64> {
    let table = kind.table();
    let holder: Option<i64> = c
        .prepare_cached(&format!("SELECT id FROM {table} WHERE name = ?1"))?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(other) = holder.filter(|&h| Some(h) != id) {
        return Err(StoreError::Invalid {
            what: kind.name_what(),
            reason: format!("{name:?} is already the name of {} {other}", kind.what()),
        });
    }
    match id {
        None => {
            c.prepare_cached(&format!(
                "INSERT INTO {table} (name, text, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)"
            ))?
            .execute(params![name, text, now])?;
            Ok(c.last_insert_rowid())
        }
        Some(id) => {
            let n = c
                .prepare_cached(&format!(
                    "UPDATE {table} SET name = ?2, text = ?3, updated_at = ?4 WHERE id = ?1"
                ))?
                .execute(params![id, name, text, now])?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: kind.what(),
                    id,
                });
            }
            Ok(id)
        }
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snippet> {
    Ok(Snippet {
        id: r.get(0)?,
        name: r.get(1)?,
        text: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

/// Every signature or template, by name. They are few (a team's handful), so one list
/// serves the pickers.
pub(crate) fn snippets_list(c: &Connection, kind: SnippetKind) -> Result<Vec<Snippet>> {
    let sql = format!(
        "SELECT id, name, text, created_at, updated_at FROM {} ORDER BY name, id",
        kind.table()
    );
    Ok(c.prepare_cached(&sql)?
        .query_map([], row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// One signature or template, by id.
pub(crate) fn snippet_get(c: &Connection, kind: SnippetKind, id: i64) -> Result<Option<Snippet>> {
    let sql = format!(
        "SELECT id, name, text, created_at, updated_at FROM {} WHERE id = ?1",
        kind.table()
    );
    Ok(c.prepare_cached(&sql)?.query_row([id], row).optional()?)
}

/// One signature or template, by name.
pub(crate) fn snippet_by_name(
    c: &Connection,
    kind: SnippetKind,
    name: &str,
) -> Result<Option<Snippet>> {
    let sql = format!(
        "SELECT id, name, text, created_at, updated_at FROM {} WHERE name = ?1",
        kind.table()
    );
    Ok(c.prepare_cached(&sql)?
        .query_row([name.trim()], row)
        .optional()?)
}

impl StoreHandle {
    /// [`Store::snippet_save`].
    pub async fn snippet_save(
        &self,
        kind: SnippetKind,
        id: Option<i64>,
        name: String,
        text: String,
        now: Millis,
    ) -> Result<i64> {
        self.call(move |s| s.snippet_save(kind, id, &name, &text, now))
            .await
    }

    /// [`Store::snippet_delete`].
    pub async fn snippet_delete(&self, kind: SnippetKind, id: i64) -> Result<()> {
        self.call(move |s| s.snippet_delete(kind, id)).await
    }

    /// Every signature or template, by name, on the read connection.
    pub async fn snippets_list(&self, kind: SnippetKind) -> Result<Vec<Snippet>> {
        self.read(move |c| snippets_list(c, kind)).await
    }

    /// One signature or template by id, on the read connection.
    pub async fn snippet_get(&self, kind: SnippetKind, id: i64) -> Result<Option<Snippet>> {
        self.read(move |c| snippet_get(c, kind, id)).await
    }

    /// One signature or template by name, on the read connection.
    pub async fn snippet_by_name(
        &self,
        kind: SnippetKind,
        name: String,
    ) -> Result<Option<Snippet>> {
        self.read(move |c| snippet_by_name(c, kind, &name)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    #[test]
    fn signatures_and_templates_are_saved_renamed_listed_and_deleted_apart() {
        let db = TempDb::new("snippets");
        let mut s = db.open();
        let sig = s
            .snippet_save(SnippetKind::Signature, None, " 物流 ", "【鸿雁物流】", 1)
            .unwrap();
        let tpl = s
            .snippet_save(SnippetKind::Template, None, "物流", "您的快递{no}已到", 2)
            .unwrap();
        // The same name in the other kind is fine; in the same kind it is not.
        let dup = s.snippet_save(SnippetKind::Signature, None, "物流", "【另一个】", 3);
        assert!(
            matches!(&dup, Err(StoreError::Invalid { what: "signature name", reason }) if reason.contains("物流")),
            "{dup:?}"
        );
        let list = s.snippets_list(SnippetKind::Signature).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].id, list[0].name.as_str()), (sig, "物流"));
        assert_eq!(list[0].text, "【鸿雁物流】");
        // Saving over itself under the same name is an edit, not a clash.
        s.snippet_save(SnippetKind::Signature, Some(sig), "物流", "【鸿雁】", 4)
            .unwrap();
        let got = snippet_get(s.conn(), SnippetKind::Signature, sig)
            .unwrap()
            .unwrap();
        assert_eq!((got.text.as_str(), got.updated_at), ("【鸿雁】", 4));
        assert_eq!(
            snippet_by_name(s.conn(), SnippetKind::Template, "物流")
                .unwrap()
                .unwrap()
                .id,
            tpl
        );
        s.snippet_delete(SnippetKind::Signature, sig).unwrap();
        assert!(s.snippets_list(SnippetKind::Signature).unwrap().is_empty());
        assert_eq!(s.snippets_list(SnippetKind::Template).unwrap().len(), 1);
        assert!(matches!(
            s.snippet_delete(SnippetKind::Signature, sig),
            Err(StoreError::NotFound {
                what: "signature",
                ..
            })
        ));
    }

    #[test]
    fn empty_and_overlong_names_and_texts_are_refused_by_field() {
        let db = TempDb::new("snippets-bad");
        let mut s = db.open();
        let bad = |r: Result<i64>| match r {
            Err(StoreError::Invalid { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            bad(s.snippet_save(SnippetKind::Signature, None, " ", "【a】", 1)),
            "signature name"
        );
        assert_eq!(
            bad(s.snippet_save(SnippetKind::Signature, None, "a", &"长".repeat(25), 1)),
            "signature"
        );
        assert_eq!(
            bad(s.snippet_save(SnippetKind::Template, None, "a", "", 1)),
            "template text"
        );
        assert!(matches!(
            s.snippet_save(SnippetKind::Template, Some(77), "a", "b", 1),
            Err(StoreError::NotFound {
                what: "template",
                id: 77
            })
        ));
    }
}
