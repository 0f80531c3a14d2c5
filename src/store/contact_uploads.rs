//! A contact file between its preview and its import: the console shows every row of an
//! uploaded file, and the confirm imports exactly that file — the bytes are kept here
//! under a one-time id (not posted again by the browser, which could send other bytes),
//! and the import deletes them in the same transaction, so a second confirm (a double
//! click, a reload) imports nothing twice. Files not confirmed are dropped after
//! [`UPLOAD_TTL_MS`].

use rusqlite::{OptionalExtension, params};

use super::contacts::{ImportCounts, NewContact, checked_rows, import_rows};
use super::db::Store;
use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;

/// How long an upload waits for its confirm.
pub const UPLOAD_TTL_MS: Millis = 60 * 60 * 1000;

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpload {
    /// The file's name as uploaded.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The console account that uploaded it.
    pub account_id: Option<i64>,
    /// When.
    pub created_at: Millis,
}

impl Store {
    /// Keeps an upload under `id` (the caller makes it unguessable); drops uploads older
    /// than [`UPLOAD_TTL_MS`].
    pub fn contact_upload_put(&mut self, id: &str, upload: &ContactUpload) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("DELETE FROM contact_uploads WHERE created_at < ?1")?
                .execute([upload.created_at.saturating_sub(UPLOAD_TTL_MS)])?;
            c.prepare_cached(
                "INSERT INTO contact_uploads (id, account_id, file_name, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                id,
                upload.account_id,
                upload.file_name,
                upload.bytes,
                upload.created_at
            ])?;
            Ok(())
        })
    }

    /// Imports `rows` (read from upload `id`) and deletes the upload, in one
    /// transaction; `None` when the upload is gone (imported already, or expired) and
    /// nothing was written.
    pub fn contact_upload_import(
        &mut self,
        id: &str,
        rows: &[NewContact],
        now: Millis,
    ) -> Result<Option<ImportCounts>> {
        let rows = checked_rows(rows)?;
        self.write(|c, _| {
            let gone = c
                .prepare_cached("DELETE FROM contact_uploads WHERE id = ?1 AND created_at >= ?2")?
                .execute(params![id, now.saturating_sub(UPLOAD_TTL_MS)])?
                == 0;
            if gone {
                return Ok(None);
            }
            import_rows(c, &rows, now).map(Some)
        })
    }
}

impl StoreHandle {
    /// [`Store::contact_upload_put`].
    pub async fn contact_upload_put(&self, id: String, upload: ContactUpload) -> Result<()> {
        self.call(move |s| s.contact_upload_put(&id, &upload)).await
    }

    /// [`Store::contact_upload_import`].
    pub async fn contact_upload_import(
        &self,
        id: String,
        rows: Vec<NewContact>,
        now: Millis,
    ) -> Result<Option<ImportCounts>> {
        self.call(move |s| s.contact_upload_import(&id, &rows, now))
            .await
    }

    /// Upload `id` while it waits for its confirm, on the read connection.
    pub async fn contact_upload_get(
        &self,
        id: String,
        now: Millis,
    ) -> Result<Option<ContactUpload>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT file_name, bytes, account_id, created_at FROM contact_uploads
                 WHERE id = ?1 AND created_at >= ?2",
            )?
            .query_row(params![id, now.saturating_sub(UPLOAD_TTL_MS)], |r| {
                Ok(ContactUpload {
                    file_name: r.get(0)?,
                    bytes: r.get(1)?,
                    account_id: r.get(2)?,
                    created_at: r.get(3)?,
                })
            })
            .optional()?)
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    #[test]
    fn an_upload_is_imported_once_and_expires() {
        let db = TempDb::new("contact-uploads");
        let mut s = db.open();
        let upload = |at| ContactUpload {
            file_name: "通讯录.csv".into(),
            bytes: b"phone\n13800000001\n".to_vec(),
            account_id: Some(1),
            created_at: at,
        };
        s.contact_upload_put("a", &upload(1_000)).unwrap();
        let row = NewContact {
            phone: "13800000001".into(),
            name: "张三".into(),
            groups: vec!["销售".into()],
            tags: vec![],
        };
        let first = s
            .contact_upload_import("a", std::slice::from_ref(&row), 2_000)
            .unwrap();
        assert_eq!(first.map(|c| (c.created, c.groups_created)), Some((1, 1)));
        // The second confirm of the same upload imports nothing.
        assert_eq!(
            s.contact_upload_import("a", std::slice::from_ref(&row), 2_001)
                .unwrap(),
            None
        );
        // An upload past its time is not imported, and the next upload drops it.
        s.contact_upload_put("old", &upload(1_000)).unwrap();
        let late = 1_000 + UPLOAD_TTL_MS + 1;
        assert_eq!(
            s.contact_upload_import("old", std::slice::from_ref(&row), late)
                .unwrap(),
            None
        );
        s.contact_upload_put("new", &upload(late)).unwrap();
        let left: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM contact_uploads", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
        let page = s.contacts_list(None, None, 10, 0).unwrap();
        assert_eq!(page.total, 1, "imported once");
    }
}
