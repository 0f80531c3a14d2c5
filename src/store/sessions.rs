//! Console sessions. The cookie carries a random 256-bit id; the store keeps only its
//! SHA-256 (computed by the console), so the database file alone logs nobody in. Each
//! session has its CSRF token, its creation time (absolute expiry) and the last time it
//! was seen (idle expiry); the console decides expiry and passes the cut-offs here.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::Store;
use super::error::Result;
use super::handle::StoreHandle;
use super::model::Millis;

/// A session with its account, as a request needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The account.
    pub account_id: i64,
    /// Its login name.
    pub username: String,
    /// Its role's name.
    pub role: String,
    /// Its phone number.
    pub phone: Option<String>,
    /// Whether the account is disabled (such a session is refused).
    pub disabled: bool,
    /// The session's CSRF token.
    pub csrf: String,
    /// When the session began.
    pub created_at: Millis,
    /// When it was last seen (written at most about once a minute).
    pub seen_at: Millis,
}

impl std::fmt::Debug for SessionRow {
    // The CSRF token stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .field("seen_at", &self.seen_at)
            .finish_non_exhaustive()
    }
}

/// The session whose id hashes to `id_hash`, with its account.
pub(crate) fn lookup(c: &Connection, id_hash: &str) -> Result<Option<SessionRow>> {
    Ok(c.prepare_cached(
        "SELECT s.account_id, a.username, a.role, a.phone, a.disabled, s.csrf, s.created_at,
                s.seen_at
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = ?1",
    )?
    .query_row([id_hash], |r| {
        Ok(SessionRow {
            account_id: r.get(0)?,
            username: r.get(1)?,
            role: r.get(2)?,
            phone: r.get(3)?,
            disabled: r.get(4)?,
            csrf: r.get(5)?,
            created_at: r.get(6)?,
            seen_at: r.get(7)?,
        })
    })
    .optional()?)
}

/// Deletes every session of an account (a new password, disabled, another role).
pub(crate) fn delete_for(c: &Connection, account_id: i64) -> Result<usize> {
    Ok(
        c.prepare_cached("DELETE FROM sessions WHERE account_id = ?1")?
            .execute([account_id])?,
    )
}

impl Store {
    /// Records a new session.
    pub fn session_create(
        &mut self,
        id_hash: &str,
        account_id: i64,
        csrf: &str,
        now: Millis,
        address: Option<&str>,
    ) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached(
                "INSERT INTO sessions (id_hash, account_id, csrf, created_at, seen_at, address)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            )?
            .execute(params![id_hash, account_id, csrf, now, address])?;
            Ok(())
        })
    }

    /// Notes that the session was seen at `now`.
    pub fn session_touch(&mut self, id_hash: &str, now: Millis) -> Result<()> {
        self.write(|c, _| {
            c.prepare_cached("UPDATE sessions SET seen_at = ?2 WHERE id_hash = ?1")?
                .execute(params![id_hash, now])?;
            Ok(())
        })
    }

    /// Deletes one session (logout, or found expired); true if it existed.
    pub fn session_delete(&mut self, id_hash: &str) -> Result<bool> {
        self.write(|c, _| {
            Ok(c.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
                .execute([id_hash])?
                > 0)
        })
    }

    /// Deletes the sessions idle since before `seen_before` or begun before
    /// `created_before`; how many.
    pub fn sessions_purge(&mut self, seen_before: Millis, created_before: Millis) -> Result<usize> {
        self.write(|c, _| {
            Ok(
                c.prepare_cached("DELETE FROM sessions WHERE seen_at < ?1 OR created_at < ?2")?
                    .execute(params![seen_before, created_before])?,
            )
        })
    }
}

impl StoreHandle {
    /// [`Store::session_create`].
    pub async fn session_create(
        &self,
        id_hash: String,
        account_id: i64,
        csrf: String,
        now: Millis,
        address: Option<String>,
    ) -> Result<()> {
        self.call(move |s| s.session_create(&id_hash, account_id, &csrf, now, address.as_deref()))
            .await
    }

    /// The session whose id hashes to `id_hash`, with its account, on the read connection.
    pub async fn session_lookup(&self, id_hash: String) -> Result<Option<SessionRow>> {
        self.read(move |c| lookup(c, &id_hash)).await
    }

    /// [`Store::session_touch`].
    pub async fn session_touch(&self, id_hash: String, now: Millis) -> Result<()> {
        self.call(move |s| s.session_touch(&id_hash, now)).await
    }

    /// [`Store::session_delete`].
    pub async fn session_delete(&self, id_hash: String) -> Result<bool> {
        self.call(move |s| s.session_delete(&id_hash)).await
    }

    /// [`Store::sessions_purge`].
    pub async fn sessions_purge(
        &self,
        seen_before: Millis,
        created_before: Millis,
    ) -> Result<usize> {
        self.call(move |s| s.sessions_purge(seen_before, created_before))
            .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::NewAccount;
    use crate::store::testutil::TempDb;

    fn account(s: &mut Store, name: &str) -> i64 {
        let a = NewAccount {
            username: name.into(),
            role: "staff".into(),
            phone: Some("13800138000".into()),
            password_hash: "$argon2id$x".into(),
        };
        s.account_create(&a, 1).unwrap()
    }

    #[test]
    fn a_session_is_found_with_its_account_touched_and_deleted() {
        let db = TempDb::new("sessions-roundtrip");
        let mut s = db.open();
        let id = account(&mut s, "li");
        s.session_create("hash", id, "tok", 100, Some("127.0.0.1"))
            .unwrap();
        let row = lookup(s.conn(), "hash").unwrap().unwrap();
        assert_eq!(row.username, "li");
        assert_eq!(row.phone.as_deref(), Some("13800138000"));
        assert_eq!(
            (row.csrf.as_str(), row.created_at, row.seen_at),
            ("tok", 100, 100)
        );
        assert!(!format!("{row:?}").contains("tok"));
        s.session_touch("hash", 160).unwrap();
        assert_eq!(lookup(s.conn(), "hash").unwrap().unwrap().seen_at, 160);
        assert!(lookup(s.conn(), "other").unwrap().is_none());
        assert!(s.session_delete("hash").unwrap());
        assert!(!s.session_delete("hash").unwrap());
        assert!(lookup(s.conn(), "hash").unwrap().is_none());
    }

    #[test]
    fn purge_removes_idle_and_old_sessions_only() {
        let db = TempDb::new("sessions-purge");
        let mut s = db.open();
        let id = account(&mut s, "li");
        s.session_create("idle", id, "a", 100, None).unwrap();
        s.session_create("old", id, "b", 50, None).unwrap();
        s.session_touch("old", 500).unwrap();
        s.session_create("fresh", id, "c", 400, None).unwrap();
        assert_eq!(s.sessions_purge(200, 60).unwrap(), 2);
        assert!(lookup(s.conn(), "fresh").unwrap().is_some());
        assert!(lookup(s.conn(), "idle").unwrap().is_none());
        assert!(lookup(s.conn(), "old").unwrap().is_none());
    }
}
