//! [`import_csv`]: a contact CSV file from bytes to the store — the parse
//! ([`parse_csv`](super::parse_csv)) and one store transaction for every good row.

use serde::Serialize;

use super::csv_import::{BadRow, ContactRow, CsvImportError, SourceEncoding, parse_csv};
use crate::route::Router;
use crate::store::{Millis, NewContact, StoreError, StoreHandle};

/// What an import did: the counts, and every record that was not imported as its own
/// contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// How the file was decoded.
    pub encoding: SourceEncoding,
    /// Data records in the file (blank lines are not records).
    pub records: usize,
    /// Contacts created.
    pub created: u64,
    /// Existing contacts the file's rows were merged into.
    pub updated: u64,
    /// Groups created because rows named them.
    pub groups_created: u64,
    /// Records refused, with line and reason, in file order.
    pub bad: Vec<BadRow>,
    /// `(line, first_line)`: records merged into an earlier record with the same number.
    pub merged: Vec<(u64, u64)>,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ContactImportError {
    /// The file as a whole cannot be read (encoding, no header, no phone column).
    #[error(transparent)]
    Csv(#[from] CsvImportError),
    /// The store refused or failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ContactRow> for NewContact {
    fn from(row: ContactRow) -> Self {
        Self {
            phone: row.phone,
            name: row.name,
            groups: row.groups,
            tags: row.tags,
        }
    }
}

/// Reads a contact CSV (see [`parse_csv`](super::parse_csv)) and stores its good rows in
/// one transaction, merging into existing contacts with the same number. Bad rows are
/// reported, not fatal; an error means nothing was imported.
pub async fn import_csv(
    store: &StoreHandle,
    bytes: &[u8],
    router: &Router,
    now: Millis,
) -> Result<ImportReport, ContactImportError> {
    let plan = parse_csv(bytes, router)?;
    let rows: Vec<NewContact> = plan.rows.into_iter().map(NewContact::from).collect();
    let counts = store.contacts_import(rows, now).await?;
    tracing::info!(
        records = plan.records,
        created = counts.created,
        updated = counts.updated,
        bad = plan.bad.len(),
        merged = plan.merged.len(),
        "contacts imported"
    );
    Ok(ImportReport {
        encoding: plan.encoding,
        records: plan.records,
        created: counts.created,
        updated: counts.updated,
        groups_created: counts.groups_created,
        bad: plan.bad,
        merged: plan.merged,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;
    use crate::testutil::TempDir;

    #[tokio::test]
    async fn a_file_is_imported_and_a_second_import_merges_into_it() {
        let dir = TempDir::new("contacts-import");
        let h = StoreHandle::open(dir.join("contacts.db"), StoreOptions::default()).unwrap();
        let router = Router::default();
        let report = import_csv(
            &h,
            "姓名,手机号,分组\n张三,138 0013 8000,销售\n坏,12345,销售\n,+8613800138000,运维\n"
                .as_bytes(),
            &router,
            1,
        )
        .await
        .unwrap();
        assert_eq!(
            (report.created, report.updated, report.groups_created),
            (1, 0, 2)
        );
        assert_eq!(report.bad.len(), 1);
        assert_eq!(report.bad[0].line, 3);
        assert_eq!(report.merged, [(4, 2)]);
        let again = import_csv(&h, b"phone,groups\n13800138000,hr\n", &router, 2)
            .await
            .unwrap();
        assert_eq!((again.created, again.updated), (0, 1));
        let c = h.contacts_list(None, None, 10, 0).await.unwrap();
        assert_eq!(c.contacts[0].groups, ["销售", "运维", "hr"]);
        assert!(matches!(
            import_csv(&h, b"name\nx\n", &router, 3).await,
            Err(ContactImportError::Csv(
                CsvImportError::MissingPhoneColumn { .. }
            ))
        ));
        h.close().await.unwrap();
    }
}
