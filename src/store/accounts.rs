//! Console accounts: who may log in to the staff console, with which role, tied to which
//! phone number. The store keeps the argon2id PHC string (`$argon2id$v=19$…`), never a
//! password; hashing and checking are the console's (`web::password`). Roles are stored
//! as their names (`admin`, `staff`, `approver`), which the console parses.
//!
//! Changing a password or disabling an account deletes the account's sessions in the same
//! transaction, so nobody stays logged in with the old password.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::db::Store;
use super::error::{Result, StoreError};
use super::handle::StoreHandle;
use super::model::Millis;

/// An account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Login name, unique.
    pub username: String,
    /// `admin`, `staff` or `approver`.
    pub role: String,
    /// The mobile number of the person (an approver's number), normalised.
    pub phone: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

/// A stored account.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// `admin`, `staff` or `approver`.
    pub role: String,
    /// The person's mobile number, if tied to one.
    pub phone: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// A disabled account cannot log in.
    pub disabled: bool,
    /// When it was created.
    pub created_at: Millis,
    /// When its password was last set.
    pub password_at: Millis,
}

impl std::fmt::Debug for Account {
    // The hash stays out of logs and panics: it is what an offline guesser needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("phone", &self.phone)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, username, role, phone, password_hash, disabled, created_at, password_at";

fn account(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        role: r.get(2)?,
        phone: r.get(3)?,
        password_hash: r.get(4)?,
        disabled: r.get(5)?,
        created_at: r.get(6)?,
        password_at: r.get(7)?,
    })
}

fn insert(c: &Connection, a: &NewAccount, now: Millis) -> Result<i64> {
    if by_username(c, &a.username)?.is_some() {
        return Err(StoreError::AccountExists(a.username.clone()));
    }
    c.prepare_cached(
        "INSERT INTO accounts (username, role, phone, password_hash, created_at, password_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![a.username, a.role, a.phone, a.password_hash, now])?;
    Ok(c.last_insert_rowid())
}

/// The account with that login name (disabled ones too).
pub(crate) fn by_username(c: &Connection, username: &str) -> Result<Option<Account>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE username = ?1"
    ))?
    .query_row([username], account)
    .optional()?)
}

/// The account with that id.
pub(crate) fn by_id(c: &Connection, id: i64) -> Result<Option<Account>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
            .query_row([id], account)
            .optional()?,
    )
}

/// Every account, by name (a console has tens, not thousands).
pub(crate) fn all(c: &Connection) -> Result<Vec<Account>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts ORDER BY username"))?;
    let rows = stmt.query_map([], account)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many accounts exist (disabled ones too).
pub(crate) fn count(c: &Connection) -> Result<i64> {
    Ok(c.prepare_cached("SELECT count(*) FROM accounts")?
        .query_row([], |r| r.get(0))?)
}

fn existing(c: &Connection, id: i64) -> Result<()> {
    match by_id(c, id)? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound {
            what: "account",
            id,
        }),
    }
}

impl Store {
    /// The account with that login name (for `hongyan user`, which has no read
    /// connection of its own).
    pub fn account_named(&self, username: &str) -> Result<Option<Account>> {
        by_username(self.conn(), username)
    }

    /// Every account, by name.
    pub fn account_list(&self) -> Result<Vec<Account>> {
        all(self.conn())
    }

    /// Creates an account; refused ([`StoreError::AccountExists`]) if the name is taken.
    pub fn account_create(&mut self, a: &NewAccount, now: Millis) -> Result<i64> {
        self.write(|c, _| insert(c, a, now))
    }

    /// Creates `a` only if no account exists at all (the first start's admin), in one
    /// transaction, so two starts racing create one. Its id, or `None` if there were
    /// accounts already.
    pub fn account_create_first(&mut self, a: &NewAccount, now: Millis) -> Result<Option<i64>> {
        self.write(|c, _| {
            if count(c)? > 0 {
                return Ok(None);
            }
            insert(c, a, now).map(Some)
        })
    }

    /// Sets an account's password hash and ends its sessions.
    pub fn account_set_password(&mut self, id: i64, hash: &str, now: Millis) -> Result<()> {
        self.write(|c, _| {
            existing(c, id)?;
            c.prepare_cached(
                "UPDATE accounts SET password_hash = ?2, password_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, hash, now])?;
            super::sessions::delete_for(c, id)?;
            Ok(())
        })
    }

    /// Disables (ending its sessions) or enables an account.
    pub fn account_set_disabled(&mut self, id: i64, disabled: bool) -> Result<()> {
        self.write(|c, _| {
            existing(c, id)?;
            c.prepare_cached("UPDATE accounts SET disabled = ?2 WHERE id = ?1")?
                .execute(params![id, disabled])?;
            if disabled {
                super::sessions::delete_for(c, id)?;
            }
            Ok(())
        })
    }

    /// Changes an account's role and phone number. A changed role ends its sessions: the
    /// pages a session was shown were for the old role.
    pub fn account_update(&mut self, id: i64, role: &str, phone: Option<&str>) -> Result<()> {
        self.write(|c, _| {
            let Some(old) = by_id(c, id)? else {
                return Err(StoreError::NotFound {
                    what: "account",
                    id,
                });
            };
            c.prepare_cached("UPDATE accounts SET role = ?2, phone = ?3 WHERE id = ?1")?
                .execute(params![id, role, phone])?;
            if old.role != role {
                super::sessions::delete_for(c, id)?;
            }
            Ok(())
        })
    }
}

impl StoreHandle {
    /// [`Store::account_create`].
    pub async fn account_create(&self, a: NewAccount, now: Millis) -> Result<i64> {
        self.call(move |s| s.account_create(&a, now)).await
    }

    /// [`Store::account_create_first`].
    pub async fn account_create_first(&self, a: NewAccount, now: Millis) -> Result<Option<i64>> {
        self.call(move |s| s.account_create_first(&a, now)).await
    }

    /// [`Store::account_set_password`].
    pub async fn account_set_password(&self, id: i64, hash: String, now: Millis) -> Result<()> {
        self.call(move |s| s.account_set_password(id, &hash, now))
            .await
    }

    /// [`Store::account_set_disabled`].
    pub async fn account_set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        self.call(move |s| s.account_set_disabled(id, disabled))
            .await
    }

    /// [`Store::account_update`].
    pub async fn account_update(&self, id: i64, role: String, phone: Option<String>) -> Result<()> {
        self.call(move |s| s.account_update(id, &role, phone.as_deref()))
            .await
    }

    /// The account with that login name, on the read connection.
    pub async fn account_by_username(&self, username: String) -> Result<Option<Account>> {
        self.read(move |c| by_username(c, &username)).await
    }

    /// The account with that id, on the read connection.
    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        self.read(move |c| by_id(c, id)).await
    }

    /// Every account, by name, on the read connection.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.read(all).await
    }

    /// How many accounts exist, on the read connection.
    pub async fn account_count(&self) -> Result<i64> {
        self.read(count).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    fn new(name: &str, role: &str) -> NewAccount {
        NewAccount {
            username: name.into(),
            role: role.into(),
            phone: None,
            password_hash: format!("$argon2id$hash-of-{name}"),
        }
    }

    #[test]
    fn an_account_is_found_by_name_and_id_and_a_taken_name_is_refused() {
        let db = TempDb::new("accounts-create");
        let mut s = db.open();
        let id = s.account_create(&new("li", "staff"), 5).unwrap();
        let a = by_username(s.conn(), "li").unwrap().unwrap();
        assert_eq!((a.id, a.role.as_str(), a.created_at), (id, "staff", 5));
        assert_eq!(by_id(s.conn(), id).unwrap().unwrap().username, "li");
        let again = s.account_create(&new("li", "admin"), 6).unwrap_err();
        assert!(
            matches!(again, StoreError::AccountExists(ref n) if n == "li"),
            "{again}"
        );
        assert!(again.is_refusal());
        assert_eq!(count(s.conn()).unwrap(), 1);
    }

    #[test]
    fn the_first_admin_is_created_only_into_an_empty_table() {
        let db = TempDb::new("accounts-first");
        let mut s = db.open();
        assert!(
            s.account_create_first(&new("admin", "admin"), 1)
                .unwrap()
                .is_some()
        );
        assert!(
            s.account_create_first(&new("admin2", "admin"), 2)
                .unwrap()
                .is_none()
        );
        assert_eq!(count(s.conn()).unwrap(), 1);
    }

    #[test]
    fn a_new_password_or_disabling_ends_the_sessions_and_the_hash_is_not_in_debug() {
        let db = TempDb::new("accounts-sessions");
        let mut s = db.open();
        let id = s.account_create(&new("wang", "staff"), 1).unwrap();
        s.session_create("h1", id, "c1", 10, None).unwrap();
        s.account_set_password(id, "$argon2id$new", 20).unwrap();
        assert!(
            super::super::sessions::lookup(s.conn(), "h1")
                .unwrap()
                .is_none()
        );
        let a = by_id(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (a.password_hash.as_str(), a.password_at),
            ("$argon2id$new", 20)
        );
        assert!(!format!("{a:?}").contains("argon2id"));

        s.session_create("h2", id, "c2", 30, None).unwrap();
        s.account_set_disabled(id, true).unwrap();
        assert!(
            super::super::sessions::lookup(s.conn(), "h2")
                .unwrap()
                .is_none()
        );
        assert!(by_id(s.conn(), id).unwrap().unwrap().disabled);
        assert!(matches!(
            s.account_set_disabled(999, true),
            Err(StoreError::NotFound {
                what: "account",
                ..
            })
        ));
    }

    #[test]
    fn a_role_change_ends_the_sessions_a_phone_change_does_not() {
        let db = TempDb::new("accounts-update");
        let mut s = db.open();
        let id = s.account_create(&new("zhao", "approver"), 1).unwrap();
        s.session_create("h1", id, "c1", 10, None).unwrap();
        s.account_update(id, "approver", Some("13800138000"))
            .unwrap();
        assert!(
            super::super::sessions::lookup(s.conn(), "h1")
                .unwrap()
                .is_some()
        );
        s.account_update(id, "staff", Some("13800138000")).unwrap();
        assert!(
            super::super::sessions::lookup(s.conn(), "h1")
                .unwrap()
                .is_none()
        );
        let a = by_id(s.conn(), id).unwrap().unwrap();
        assert_eq!(
            (a.role.as_str(), a.phone.as_deref()),
            ("staff", Some("13800138000"))
        );
    }
}
